//! Event: clause catalog, sequential model, and the adapter that runs a model operation on a
//! real [`EventApi`].
//!
//! Semantics follow Python's `threading.Event` (see `PYTHON-SEMANTICS.md` section 3.5), made
//! Rust-idiomatic; each [`Clause`] says where it deviates. Where `threading` and
//! `multiprocessing` differ (a waiter woken by `set` when `clear` follows at once), the
//! `threading` side is the requirement.

use std::time::{Duration, Instant};

use twinsync::{Error, EventApi, TIMEOUT_MAX};

use super::{Clause, Python};

/// The Event clauses, in report order.
pub const CLAUSES: &[Clause] = &[
    Clause {
        id: "EVENT-01",
        text: "a new Event is clear: is_set() is false",
        python: Python::Same,
    },
    Clause {
        id: "EVENT-02",
        text: "set() raises the flag: is_set() becomes true; set() on a set event changes \
               nothing",
        python: Python::Same,
    },
    Clause {
        id: "EVENT-03",
        text: "clear() lowers the flag: is_set() becomes false; clear() on a clear event \
               changes nothing",
        python: Python::Same,
    },
    Clause {
        id: "EVENT-04",
        text: "on a set event, wait() returns at once and wait_timeout(d) returns true at once, \
               whatever d (zero included)",
        python: Python::Deviates(
            "wait() returns () where Python's wait() returns an always-true bool; only \
             wait_timeout has an answer to give",
        ),
    },
    Clause {
        id: "EVENT-05",
        text: "on a clear event that nobody sets, wait_timeout(d) returns false, not before d \
               has elapsed, and changes nothing; a zero timeout is a single look at the flag",
        python: Python::Deviates(
            "timeouts are Durations: no negative timeout (Python treats it as zero) and no \
             None (use wait())",
        ),
    },
    Clause {
        id: "EVENT-06",
        text: "set() wakes every waiter: every wait() and wait_timeout() in progress when set() \
               is called returns (wait_timeout with true), however many there are",
        python: Python::Same,
    },
    Clause {
        id: "EVENT-07",
        text: "a waiter woken by set() returns (wait_timeout with true) even if clear() follows \
               at once, before the waiter runs: what counts is that a set happened while it \
               waited (threading semantics; multiprocessing.Event re-reads the flag and returns \
               False, or waits on, in that case)",
        python: Python::Same,
    },
    Clause {
        id: "EVENT-08",
        text: "progress, no lost wake-up: in any interleaving of waiters with set() and clear(), \
               a set() made after a waiter began waiting ends that wait (the run terminates); \
               a wait_timeout that saw a set returns true, also when the set comes with its \
               deadline",
        python: Python::Same,
    },
    Clause {
        id: "EVENT-09",
        text: "a timeout above twinsync::TIMEOUT_MAX is Error::TimeoutTooLarge and changes \
               nothing",
        python: Python::Deviates(
            "a typed error instead of OverflowError (threading); multiprocessing accepts any \
             timeout",
        ),
    },
    Clause {
        id: "EVENT-10",
        text: "set -> wait is a happens-before edge: writes made before the set() that raised \
               the flag are visible after a wait() that it ended, or a wait_timeout() or \
               is_set() that returned true because of it",
        python: Python::Beyond("Python's GIL hides it; in Rust it is a memory-ordering duty"),
    },
    Clause {
        id: "EVENT-11",
        text: "any thread or process may set, clear and wait; a process::Event segment carries \
               its own kind tag (KIND_EVENT), and process::Event::open refuses another \
               primitive's segment with SegmentError::WrongKind",
        python: Python::Beyond("multiprocessing has no named events to open"),
    },
];

/// One operation of the sequential model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventOp {
    /// `is_set()`.
    IsSet,
    /// `set()`.
    Set,
    /// `clear()`.
    Clear,
    /// `wait()`: blocks until the event is set.
    Wait,
    /// `wait_timeout(d)`.
    WaitTimeout(Duration),
}

/// Errors an Event operation may report, as the model sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventErr {
    /// [`Error::TimeoutTooLarge`].
    TimeoutTooLarge,
    /// Any other error (never expected from an Event operation).
    Other,
}

impl From<&Error> for EventErr {
    fn from(e: &Error) -> Self {
        match e {
            Error::TimeoutTooLarge { .. } => EventErr::TimeoutTooLarge,
            _ => EventErr::Other,
        }
    }
}

/// The observable result of one [`EventOp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventResult {
    /// `is_set()`'s answer.
    IsSet(bool),
    /// `set()` returned.
    Set,
    /// `clear()` returned.
    Cleared,
    /// `wait()` returned.
    Waited,
    /// `wait_timeout`'s answer.
    Timed(Result<bool, EventErr>),
}

/// The sequential model of an Event: the flag.
///
/// In a sequential run nobody sets the event while an operation waits, so a blocking
/// `wait()` is enabled only on a set event, and `wait_timeout` on a clear one times out.
///
/// ```
/// use twinsync_conformance::spec::event::{EventModel, EventOp, EventResult};
///
/// let mut m = EventModel::default();
/// assert!(!m.enabled(EventOp::Wait)); // would block forever in a sequential run
/// assert_eq!(m.step(EventOp::Set), EventResult::Set);
/// assert_eq!(m.step(EventOp::Wait), EventResult::Waited);
/// assert_eq!(m.step(EventOp::Clear), EventResult::Cleared);
/// assert_eq!(m.step(EventOp::IsSet), EventResult::IsSet(false));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventModel {
    /// Whether the flag is set.
    pub set: bool,
}

/// Whether `d` is an acceptable timeout (EVENT-09).
pub fn timeout_ok(d: Duration) -> bool {
    d <= TIMEOUT_MAX
}

impl EventModel {
    /// Whether `op` can complete from this state: every operation but `Wait` on a clear
    /// event.
    pub fn enabled(&self, op: EventOp) -> bool {
        self.set || op != EventOp::Wait
    }

    /// Applies an enabled `op`, returning its result.
    ///
    /// # Panics
    ///
    /// If `op` is not [enabled](Self::enabled) (a bug in the caller).
    pub fn step(&mut self, op: EventOp) -> EventResult {
        assert!(self.enabled(op), "{op:?} is not enabled in {self:?}");
        match op {
            EventOp::IsSet => EventResult::IsSet(self.set),
            EventOp::Set => {
                self.set = true;
                EventResult::Set
            }
            EventOp::Clear => {
                self.set = false;
                EventResult::Cleared
            }
            EventOp::Wait => EventResult::Waited,
            EventOp::WaitTimeout(d) if !timeout_ok(d) => {
                EventResult::Timed(Err(EventErr::TimeoutTooLarge))
            }
            EventOp::WaitTimeout(_) => EventResult::Timed(Ok(self.set)),
        }
    }

    /// The clause that `op`, applied in this state, exercises.
    pub fn clause(&self, op: EventOp) -> &'static str {
        match op {
            EventOp::WaitTimeout(d) if !timeout_ok(d) => "EVENT-09",
            EventOp::IsSet if self.set => "EVENT-02",
            EventOp::IsSet => "EVENT-03",
            EventOp::Set => "EVENT-02",
            EventOp::Clear => "EVENT-03",
            EventOp::Wait => "EVENT-04",
            EventOp::WaitTimeout(_) if self.set => "EVENT-04",
            EventOp::WaitTimeout(_) => "EVENT-05",
        }
    }
}

/// Runs `op` on a real event and returns its result and how long it took.
pub fn apply<E: EventApi + ?Sized>(ev: &E, op: EventOp) -> (EventResult, Duration) {
    let t0 = Instant::now();
    let r = match op {
        EventOp::IsSet => EventResult::IsSet(ev.is_set()),
        EventOp::Set => {
            ev.set();
            EventResult::Set
        }
        EventOp::Clear => {
            ev.clear();
            EventResult::Cleared
        }
        EventOp::Wait => {
            ev.wait();
            EventResult::Waited
        }
        EventOp::WaitTimeout(d) => {
            EventResult::Timed(ev.wait_timeout(d).map_err(|e| EventErr::from(&e)))
        }
    };
    (r, t0.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_and_clauses() {
        let mut m = EventModel::default();
        assert_eq!(m.clause(EventOp::IsSet), "EVENT-03");
        assert_eq!(m.step(EventOp::Clear), EventResult::Cleared);
        assert!(!m.set);
        let d = Duration::from_millis(1);
        assert_eq!(m.clause(EventOp::WaitTimeout(d)), "EVENT-05");
        assert_eq!(
            m.step(EventOp::WaitTimeout(d)),
            EventResult::Timed(Ok(false))
        );
        m.step(EventOp::Set);
        m.step(EventOp::Set);
        assert!(m.set);
        assert_eq!(m.clause(EventOp::IsSet), "EVENT-02");
        assert_eq!(m.clause(EventOp::WaitTimeout(d)), "EVENT-04");
        assert_eq!(
            m.step(EventOp::WaitTimeout(d)),
            EventResult::Timed(Ok(true))
        );
        let big = TIMEOUT_MAX + Duration::from_nanos(1);
        assert_eq!(m.clause(EventOp::WaitTimeout(big)), "EVENT-09");
        assert_eq!(
            m.step(EventOp::WaitTimeout(big)),
            EventResult::Timed(Err(EventErr::TimeoutTooLarge))
        );
        assert!(m.set);
    }

    #[test]
    #[should_panic(expected = "not enabled")]
    fn wait_on_a_clear_event_is_not_enabled() {
        EventModel::default().step(EventOp::Wait);
    }

    /// Every operation from both states, on the model and on a real event made by `make`.
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn model_agrees_with<E: EventApi>(make: impl Fn() -> E) {
        let d = Duration::from_millis(2);
        let ops = [
            EventOp::IsSet,
            EventOp::Set,
            EventOp::Clear,
            EventOp::Wait,
            EventOp::WaitTimeout(Duration::ZERO),
            EventOp::WaitTimeout(d),
            EventOp::WaitTimeout(TIMEOUT_MAX + Duration::from_nanos(1)),
            EventOp::WaitTimeout(Duration::MAX),
        ];
        for start in [false, true] {
            for &op in &ops {
                let mut model = EventModel { set: start };
                if !model.enabled(op) {
                    continue;
                }
                let want = model.step(op);
                let ev = make();
                if start {
                    ev.set();
                }
                let (got, took) = apply(&ev, op);
                assert_eq!(got, want, "{op:?} from set={start}");
                assert_eq!(ev.is_set(), model.set, "{op:?} from set={start}");
                if let (EventOp::WaitTimeout(t), EventResult::Timed(Ok(false))) = (op, got) {
                    assert!(took >= t, "{op:?} timed out early ({took:?})");
                }
            }
        }
    }

    #[test]
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn model_agrees_with_both_versions() {
        model_agrees_with(twinsync::thread::Event::new);
        model_agrees_with(|| twinsync::process::Event::new().unwrap());
    }
}
