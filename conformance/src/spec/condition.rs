//! Condition: clause catalog, sequential model, and the adapter that runs a model operation
//! on a real [`ConditionApi`].
//!
//! Semantics follow Python's `threading.Condition` (see `PYTHON-SEMANTICS.md` section 3.3),
//! made Rust-idiomatic; each [`Clause`] says where it deviates.
//!
//! The sequential model has one actor, so nobody ever notifies it: a timed wait times out, an
//! untimed wait with the lock held is never enabled, and notify finds no waiter. What needs
//! several threads (COND-02's release to another thread, COND-05, 06, 08, 09, 10, 13) is
//! stated in the clauses for the concurrent drivers.

use std::time::{Duration, Instant};

use twinsync::{ConditionApi, ConditionLock, Error};

use super::lock::{timeout_ok, GuardForm};
use super::{Clause, Python};

/// The Condition clauses, in report order.
pub const CLAUSES: &[Clause] = &[
    Clause {
        id: "COND-01",
        text: "acquire, try_acquire, acquire_timeout, release and the guard act on the \
               condition's lock exactly as the lock's own operations do (reentrant over an \
               RLock, not over a Lock)",
        python: Python::Same,
    },
    Clause {
        id: "COND-02",
        text: "wait releases the lock completely, every level of an RLock, so that another \
               thread can acquire it meanwhile, and re-acquires it at the same depth before \
               returning, after a notification or a timeout",
        python: Python::Same,
    },
    Clause {
        id: "COND-03",
        text: "wait_timeout returns true when notified and false on timeout, not before the \
               timeout has elapsed; a zero timeout is a non-blocking check",
        python: Python::Deviates(
            "timeouts are Durations: no negative or None timeout (use wait() to wait forever)",
        ),
    },
    Clause {
        id: "COND-04",
        text: "wait_for returns the predicate's last value; it calls the predicate with the \
               lock held, first at once (no wait at all if it is already true), then after \
               each wake-up; one deadline covers the whole call, so notifications that leave \
               the predicate false do not extend it",
        python: Python::Deviates(
            "ownership is checked first: without the lock it is Error::NotOwner even if the \
             predicate is already true (Python returns True without checking)",
        ),
    },
    Clause {
        id: "COND-05",
        text: "notify(n) wakes at most n of the threads waiting when it is called (none for n \
               = 0), and exactly min(n, waiting) of them return true from their wait",
        python: Python::Deviates(
            "order: waiters are served by arrival group (all that began waiting before an \
             earlier notify come first), not strictly FIFO as in threading; multiprocessing \
             promises no order",
        ),
    },
    Clause {
        id: "COND-06",
        text: "notify_all wakes every thread waiting when it is called",
        python: Python::Same,
    },
    Clause {
        id: "COND-07",
        text: "wait, wait_timeout, wait_for, notify and notify_all by a thread that does not \
               hold the lock are Error::NotOwner and change nothing; over a plain Lock, \
               holding means having acquired it (the lock's holder is the calling thread)",
        python: Python::Deviates(
            "a typed error instead of RuntimeError; over a plain Lock stricter than threading \
             (which only checks that someone holds it), like multiprocessing's _is_mine, whose \
             check is an assert that vanishes under -O",
        ),
    },
    Clause {
        id: "COND-08",
        text: "a timed-out waiter never absorbs a notification: when wait_timeout returns \
               false, every notification issued while it waited went to another waiter (one \
               that was notified before its timeout returns true instead), and the waiter no \
               longer counts for later notifies",
        python: Python::Beyond(
            "multiprocessing's Condition can lose a notification to a waiter that times out \
             at the same moment; threading gets it right with a lock per waiter",
        ),
    },
    Clause {
        id: "COND-09",
        text: "no lost wake-up: a thread that began waiting (under the lock) before a notify \
               that reaches it is woken, and a thread that begins waiting after a notify is not \
               woken by it, even if it times out while the notification is still untaken",
        python: Python::Same,
    },
    Clause {
        id: "COND-10",
        text: "no spurious wake-ups: wait returns only after a notification, wait_timeout only \
               after a notification or the timeout",
        python: Python::Beyond("Python has none in practice but does not promise it"),
    },
    Clause {
        id: "COND-11",
        text: "a timeout above twinsync::TIMEOUT_MAX (wait_timeout, wait_for, acquire_timeout, \
               guard_timeout) is Error::TimeoutTooLarge and changes nothing",
        python: Python::Deviates(
            "a typed error instead of OverflowError (threading); multiprocessing accepts any \
             timeout",
        ),
    },
    Clause {
        id: "COND-12",
        text: "the guard (guard, try_guard, guard_timeout) holds the lock (one level of an \
               RLock) and releases it on drop",
        python: Python::Deviates("a RAII guard instead of the `with` statement"),
    },
    Clause {
        id: "COND-13",
        text: "the process version works between processes: a notify in one process wakes a \
               waiter in another, when every process uses the condition over the same lock",
        python: Python::Same,
    },
];

/// One operation of the sequential model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CondOp {
    /// `acquire()`.
    Acquire,
    /// `try_acquire()`.
    TryAcquire,
    /// `acquire_timeout(d)`.
    AcquireTimeout(Duration),
    /// `release()`.
    Release,
    /// `lock().is_mine()`.
    IsMine,
    /// Take a guard in the given form (`guard`, `try_guard`, `guard_timeout`), observe
    /// `is_mine()` while it lives, drop it.
    Guard(GuardForm),
    /// `wait()`: enabled only without the lock (it then fails at once).
    Wait,
    /// `wait_timeout(d)`.
    WaitTimeout(Duration),
    /// `wait_for(p, timeout)` with a predicate that is true from its `true_on_call`-th call
    /// on (1 = at once; 0 = never).
    WaitFor {
        /// The call (1-based) from which the predicate is true; 0 for never.
        true_on_call: u32,
        /// The timeout; `None` waits without limit (enabled only when it returns at once).
        timeout: Option<Duration>,
    },
    /// `notify(n)`.
    Notify(usize),
    /// `notify_all()`.
    NotifyAll,
}

/// Errors a Condition operation may report, as the model sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CondErr {
    /// [`Error::NotOwner`].
    NotOwner,
    /// [`Error::NotHeld`] (releasing a free plain Lock).
    NotHeld,
    /// [`Error::TimeoutTooLarge`].
    TimeoutTooLarge,
    /// Any other error (never expected from a Condition operation).
    Other,
}

impl From<&Error> for CondErr {
    fn from(e: &Error) -> Self {
        match e {
            Error::NotOwner => CondErr::NotOwner,
            Error::NotHeld => CondErr::NotHeld,
            Error::TimeoutTooLarge { .. } => CondErr::TimeoutTooLarge,
            _ => CondErr::Other,
        }
    }
}

fn err<T>(r: Result<T, Error>) -> Result<T, CondErr> {
    r.map_err(|e| CondErr::from(&e))
}

/// The observable result of one [`CondOp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CondResult {
    /// `acquire()` returned.
    Acquired,
    /// `try_acquire()`'s answer.
    Tried(bool),
    /// `acquire_timeout`'s answer.
    Timed(Result<bool, CondErr>),
    /// `release`'s answer.
    Released(Result<(), CondErr>),
    /// `is_mine()`'s answer.
    IsMine(bool),
    /// Guard operation: `Ok(None)` no guard, `Ok(Some(is_mine_while_guarded))`, or an error.
    Guarded(Result<Option<bool>, CondErr>),
    /// `wait` / `wait_timeout`: whether notified (true for a `wait` that returned), and
    /// whether the lock was the caller's afterwards.
    Waited(Result<bool, CondErr>, bool),
    /// `wait_for`: the returned value and how many times the predicate was called.
    WaitedFor(Result<bool, CondErr>, u32),
    /// `notify` / `notify_all`.
    Notified(Result<(), CondErr>),
}

/// The sequential model of a Condition: the kind of lock and the caller's depth on it.
///
/// ```
/// use std::time::Duration;
/// use twinsync_conformance::spec::condition::{CondErr, CondModel, CondOp, CondResult};
///
/// let mut m = CondModel::over_rlock();
/// assert_eq!(m.step(CondOp::Notify(1)), CondResult::Notified(Err(CondErr::NotOwner)));
/// m.step(CondOp::Acquire);
/// m.step(CondOp::Acquire);
/// let w = CondOp::WaitTimeout(Duration::from_millis(1));
/// assert_eq!(m.step(w), CondResult::Waited(Ok(false), true)); // nobody notifies
/// assert_eq!(m.depth, 2);                                      // depth restored
/// assert!(!m.enabled(CondOp::Wait));                           // would wait forever
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CondModel {
    /// Whether the lock is an RLock (reentrant) rather than a plain Lock.
    pub reentrant: bool,
    /// The caller's depth on the lock; 0 when it does not hold it (in the model nobody else
    /// does either).
    pub depth: u32,
}

impl CondModel {
    /// A condition over a free RLock.
    pub fn over_rlock() -> Self {
        CondModel {
            reentrant: true,
            depth: 0,
        }
    }

    /// A condition over a free plain Lock.
    pub fn over_lock() -> Self {
        CondModel {
            reentrant: false,
            depth: 0,
        }
    }

    fn timeout_too_large(op: CondOp) -> bool {
        match op {
            CondOp::AcquireTimeout(d)
            | CondOp::Guard(GuardForm::LockTimeout(d))
            | CondOp::WaitTimeout(d)
            | CondOp::WaitFor {
                timeout: Some(d), ..
            } => !timeout_ok(d),
            _ => false,
        }
    }

    /// Whether `op` can complete from this state: a blocking acquire of a held plain Lock,
    /// an untimed wait with the lock held, and an untimed `wait_for` whose predicate is not
    /// true at once would never return (nobody notifies); an acquire at depth `u32::MAX`
    /// panics.
    pub fn enabled(&self, op: CondOp) -> bool {
        let held = self.depth > 0;
        match op {
            CondOp::Acquire | CondOp::Guard(GuardForm::Lock) if held && !self.reentrant => false,
            CondOp::Acquire | CondOp::TryAcquire | CondOp::AcquireTimeout(_) | CondOp::Guard(_) => {
                self.depth < u32::MAX || Self::timeout_too_large(op)
            }
            CondOp::Wait => !held,
            CondOp::WaitFor {
                true_on_call,
                timeout: None,
            } => !held || true_on_call == 1,
            _ => true,
        }
    }

    /// Applies an enabled `op`, returning its result.
    ///
    /// # Panics
    ///
    /// If `op` is not [enabled](Self::enabled) (a bug in the caller).
    pub fn step(&mut self, op: CondOp) -> CondResult {
        assert!(self.enabled(op), "{op:?} is not enabled in {self:?}");
        let held = self.depth > 0;
        // The lock can be taken now: it is free, or the caller re-enters an RLock.
        let takeable = !held || self.reentrant;
        if Self::timeout_too_large(op) {
            let e = CondErr::TimeoutTooLarge;
            return match op {
                CondOp::AcquireTimeout(_) => CondResult::Timed(Err(e)),
                CondOp::Guard(_) => CondResult::Guarded(Err(e)),
                CondOp::WaitTimeout(_) => CondResult::Waited(Err(e), held),
                _ => CondResult::WaitedFor(Err(e), 0),
            };
        }
        match op {
            CondOp::Acquire => {
                self.depth += 1;
                CondResult::Acquired
            }
            CondOp::TryAcquire | CondOp::AcquireTimeout(_) => {
                if takeable {
                    self.depth += 1;
                }
                match op {
                    CondOp::TryAcquire => CondResult::Tried(takeable),
                    _ => CondResult::Timed(Ok(takeable)),
                }
            }
            CondOp::Release if !held => CondResult::Released(Err(if self.reentrant {
                CondErr::NotOwner
            } else {
                CondErr::NotHeld
            })),
            CondOp::Release => {
                self.depth -= 1;
                CondResult::Released(Ok(()))
            }
            CondOp::IsMine => CondResult::IsMine(held),
            // A guard lives and dies within the operation: the depth is unchanged after it.
            CondOp::Guard(_) => CondResult::Guarded(Ok(takeable.then_some(true))),
            CondOp::Wait => CondResult::Waited(Err(CondErr::NotOwner), false),
            CondOp::WaitTimeout(_) if !held => CondResult::Waited(Err(CondErr::NotOwner), false),
            CondOp::WaitTimeout(_) => CondResult::Waited(Ok(false), true),
            CondOp::WaitFor { .. } if !held => CondResult::WaitedFor(Err(CondErr::NotOwner), 0),
            CondOp::WaitFor {
                true_on_call: 1, ..
            } => CondResult::WaitedFor(Ok(true), 1),
            // Called once, one wait that times out (nobody notifies), called again, and the
            // deadline has passed.
            CondOp::WaitFor { true_on_call, .. } => CondResult::WaitedFor(Ok(true_on_call == 2), 2),
            CondOp::Notify(_) | CondOp::NotifyAll if !held => {
                CondResult::Notified(Err(CondErr::NotOwner))
            }
            CondOp::Notify(_) | CondOp::NotifyAll => CondResult::Notified(Ok(())),
        }
    }

    /// The clause that `op`, applied in this state, exercises.
    pub fn clause(&self, op: CondOp) -> &'static str {
        let held = self.depth > 0;
        match op {
            _ if Self::timeout_too_large(op) => "COND-11",
            CondOp::Guard(_) => "COND-12",
            CondOp::Wait
            | CondOp::WaitTimeout(_)
            | CondOp::WaitFor { .. }
            | CondOp::Notify(_)
            | CondOp::NotifyAll
                if !held =>
            {
                "COND-07"
            }
            CondOp::WaitTimeout(_) if self.depth > 1 => "COND-02",
            CondOp::WaitTimeout(_) => "COND-03",
            CondOp::WaitFor { .. } => "COND-04",
            CondOp::NotifyAll => "COND-06",
            _ => "COND-01",
        }
    }
}

/// Runs `op` on a real condition and returns its result and how long it took.
pub fn apply<S: ConditionApi + ?Sized>(s: &S, op: CondOp) -> (CondResult, Duration) {
    let t0 = Instant::now();
    let r = match op {
        CondOp::Acquire => {
            s.acquire();
            CondResult::Acquired
        }
        CondOp::TryAcquire => CondResult::Tried(s.try_acquire()),
        CondOp::AcquireTimeout(d) => CondResult::Timed(err(s.acquire_timeout(d))),
        CondOp::Release => CondResult::Released(err(s.release())),
        CondOp::IsMine => CondResult::IsMine(s.lock().is_mine()),
        CondOp::Guard(form) => {
            let guard = match form {
                GuardForm::Lock => Ok(Some(s.guard())),
                GuardForm::TryLock => Ok(s.try_guard()),
                GuardForm::LockTimeout(d) => err(s.guard_timeout(d)),
            };
            CondResult::Guarded(guard.map(|g| g.map(|g| g.condition().lock().is_mine())))
        }
        CondOp::Wait => {
            let r = err(s.wait()).map(|()| true);
            CondResult::Waited(r, s.lock().is_mine())
        }
        CondOp::WaitTimeout(d) => {
            let r = err(s.wait_timeout(d));
            CondResult::Waited(r, s.lock().is_mine())
        }
        CondOp::WaitFor {
            true_on_call,
            timeout,
        } => {
            let mut calls = 0;
            let r = s.wait_for(
                || {
                    calls += 1;
                    calls == true_on_call
                },
                timeout,
            );
            CondResult::WaitedFor(err(r), calls)
        }
        CondOp::Notify(n) => CondResult::Notified(err(s.notify(n))),
        CondOp::NotifyAll => CondResult::Notified(err(s.notify_all())),
    };
    (r, t0.elapsed())
}

#[cfg(all(test, not(any(twinsync_loom, twinsync_shuttle))))]
mod tests {
    use super::*;
    use twinsync::{process, thread, TIMEOUT_MAX};

    const SHORT: Duration = Duration::from_millis(1);

    /// Every operation, with timeouts that are zero, short and too large.
    fn ops() -> Vec<CondOp> {
        let mut v = vec![
            CondOp::Acquire,
            CondOp::TryAcquire,
            CondOp::Release,
            CondOp::IsMine,
            CondOp::Guard(GuardForm::Lock),
            CondOp::Guard(GuardForm::TryLock),
            CondOp::Wait,
            CondOp::Notify(0),
            CondOp::Notify(1),
            CondOp::Notify(usize::MAX),
            CondOp::NotifyAll,
        ];
        for d in [Duration::ZERO, SHORT, TIMEOUT_MAX + SHORT] {
            v.push(CondOp::AcquireTimeout(d));
            v.push(CondOp::Guard(GuardForm::LockTimeout(d)));
            v.push(CondOp::WaitTimeout(d));
        }
        for true_on_call in 0..=3 {
            for timeout in [None, Some(Duration::ZERO), Some(SHORT), Some(Duration::MAX)] {
                v.push(CondOp::WaitFor {
                    true_on_call,
                    timeout,
                });
            }
        }
        v
    }

    #[test]
    fn wait_without_the_lock_is_not_owner() {
        for mut m in [CondModel::over_rlock(), CondModel::over_lock()] {
            assert!(m.enabled(CondOp::Wait));
            assert_eq!(m.clause(CondOp::Wait), "COND-07");
            assert_eq!(
                m.step(CondOp::Wait),
                CondResult::Waited(Err(CondErr::NotOwner), false)
            );
        }
    }

    #[test]
    fn plain_lock_is_not_reentrant() {
        let mut m = CondModel::over_lock();
        m.step(CondOp::Acquire);
        assert!(!m.enabled(CondOp::Acquire));
        assert_eq!(m.step(CondOp::TryAcquire), CondResult::Tried(false));
        assert_eq!(
            m.step(CondOp::Guard(GuardForm::TryLock)),
            CondResult::Guarded(Ok(None))
        );
        m.step(CondOp::Release);
        assert_eq!(
            m.step(CondOp::Release),
            CondResult::Released(Err(CondErr::NotHeld))
        );
    }

    #[test]
    fn wait_for_calls_the_predicate_twice_when_nobody_notifies() {
        let mut m = CondModel::over_rlock();
        m.step(CondOp::Acquire);
        let op = |true_on_call| CondOp::WaitFor {
            true_on_call,
            timeout: Some(SHORT),
        };
        assert_eq!(m.step(op(1)), CondResult::WaitedFor(Ok(true), 1));
        assert_eq!(m.step(op(2)), CondResult::WaitedFor(Ok(true), 2));
        assert_eq!(m.step(op(0)), CondResult::WaitedFor(Ok(false), 2));
        assert_eq!(m.clause(op(0)), "COND-04");
    }

    /// The model and both versions, over both kinds of lock, agree on a walk through every
    /// operation at every depth the lock allows (0..=2 for an RLock, 0..=1 for a Lock).
    #[test]
    fn model_matches_both_versions() {
        fn walk<S: ConditionApi>(s: &S, mut m: CondModel) {
            let max_depth = if m.reentrant { 2 } else { 1 };
            for depth in 0..=max_depth {
                for op in ops() {
                    if !m.enabled(op) {
                        continue;
                    }
                    let before = m;
                    let want = m.step(op);
                    let (got, took) = apply(s, op);
                    assert_eq!(got, want, "{op:?} at {before:?}");
                    assert!(m.clause(op).starts_with("COND-"));
                    if got == CondResult::Waited(Ok(false), true) {
                        if let CondOp::WaitTimeout(d) = op {
                            assert!(took >= d, "{op:?} returned early");
                        }
                    }
                    while m.depth > depth {
                        m.step(CondOp::Release);
                        s.release().unwrap();
                    }
                    while m.depth < depth {
                        m.step(CondOp::Acquire);
                        s.acquire();
                    }
                }
                if depth < max_depth {
                    m.step(CondOp::Acquire);
                    s.acquire();
                }
            }
            while m.depth > 0 {
                m.step(CondOp::Release);
                s.release().unwrap();
            }
            assert!(!s.lock().is_mine());
        }
        walk(&thread::Condition::new(), CondModel::over_rlock());
        walk(
            &thread::Condition::with_lock(thread::Lock::new()),
            CondModel::over_lock(),
        );
        walk(&process::Condition::new().unwrap(), CondModel::over_rlock());
        walk(
            &process::Condition::with_lock(process::Lock::new().unwrap()).unwrap(),
            CondModel::over_lock(),
        );
    }
}
