//! Semaphore and BoundedSemaphore: clause catalogs, one sequential model for both, and the
//! adapter that runs a model operation on a real [`SemaphoreApi`].
//!
//! Semantics follow Python's `threading.Semaphore` and `threading.BoundedSemaphore` (see
//! `PYTHON-SEMANTICS.md` section 3.4), made Rust-idiomatic, with `multiprocessing`'s maximum
//! value (`SEM_VALUE_MAX`); each [`Clause`] says where it deviates. A BoundedSemaphore is a
//! Semaphore whose maximum is its initial value: the `SEM-` clauses hold for it too
//! (BSEM-05), and the `BSEM-` clauses add what differs.

use std::time::{Duration, Instant};

use twinsync::algo::semaphore::VALUE_MAX;
use twinsync::{Error, SemaphoreApi, TIMEOUT_MAX};

use super::{Clause, Python};

/// The Semaphore clauses, in report order.
pub const CLAUSES: &[Clause] = &[
    Clause {
        id: "SEM-01",
        text: "new(value) with value <= VALUE_MAX (2147483647, i32::MAX) makes a semaphore with \
               value() == value and max_value() == VALUE_MAX",
        python: Python::Deviates(
            "the value is a u32, so a negative initial value (ValueError in threading) cannot \
             be written; the maximum is multiprocessing's SEM_VALUE_MAX, where threading's \
             value is unbounded",
        ),
    },
    Clause {
        id: "SEM-02",
        text: "new(value) with value above VALUE_MAX is Error::InvalidArgument",
        python: Python::Deviates(
            "threading has no maximum; multiprocessing raises OverflowError only beyond a C \
             int",
        ),
    },
    Clause {
        id: "SEM-03",
        text: "with value > 0, acquire, try_acquire and acquire_timeout take a token at once: \
               they succeed and the value drops by 1",
        python: Python::Same,
    },
    Clause {
        id: "SEM-04",
        text: "with value 0, try_acquire fails at once and changes nothing",
        python: Python::Same,
    },
    Clause {
        id: "SEM-05",
        text: "with value 0, acquire_timeout returns false, not before the timeout has elapsed, \
               and changes nothing; a zero timeout is a single try",
        python: Python::Deviates(
            "timeouts are Durations: no negative timeout, and no ValueError for a non-blocking \
             call with a timeout (try_acquire takes none)",
        ),
    },
    Clause {
        id: "SEM-06",
        text: "release(n) with n >= 1 adds n to the value",
        python: Python::Same,
    },
    Clause {
        id: "SEM-07",
        text: "release(0) is Error::InvalidArgument and changes nothing",
        python: Python::Deviates("a typed error instead of ValueError (\"n must be one or more\")"),
    },
    Clause {
        id: "SEM-08",
        text: "a release(n) that would take the value past max_value() is \
               Error::TooManyReleases { max } and leaves the value unchanged: the whole n is \
               checked at once, never partly added",
        python: Python::Deviates(
            "threading's Semaphore is unbounded; multiprocessing raises ValueError past \
             SEM_VALUE_MAX, as here, but has no release(n)",
        ),
    },
    Clause {
        id: "SEM-09",
        text: "release(n) while k acquirers are blocked lets min(n, k) of them proceed (no fewer: \
               it wakes as many as it adds tokens for), and no more than the tokens allow",
        python: Python::Same,
    },
    Clause {
        id: "SEM-10",
        text: "progress, no lost wake-up: with acquirers and releasers in any interleaving, \
               every blocked acquirer for which a token is released proceeds (the run \
               terminates), including when other acquirers time out meanwhile",
        python: Python::Same,
    },
    Clause {
        id: "SEM-11",
        text: "never more holders than tokens: at any moment, the acquires that succeeded \
               minus the tokens given back never exceed the initial value plus the releases \
               made, and the value never goes below 0",
        python: Python::Same,
    },
    Clause {
        id: "SEM-12",
        text: "a timeout above twinsync::TIMEOUT_MAX is Error::TimeoutTooLarge and changes \
               nothing",
        python: Python::Deviates(
            "a typed error instead of OverflowError (threading); multiprocessing accepts any \
             timeout",
        ),
    },
    Clause {
        id: "SEM-13",
        text: "the guard (acquire_guard, try_acquire_guard, acquire_guard_timeout) holds one \
               token and releases it on drop; a failed attempt changes nothing",
        python: Python::Deviates("a RAII guard instead of the `with` statement"),
    },
    Clause {
        id: "SEM-14",
        text: "release -> acquire is a happens-before edge: writes made before a release are \
               visible to the acquirer that takes one of its tokens",
        python: Python::Beyond("Python's GIL hides it; in Rust it is a memory-ordering duty"),
    },
    Clause {
        id: "SEM-15",
        text: "any thread or process may release, whether or not it acquired",
        python: Python::Same,
    },
    Clause {
        id: "SEM-16",
        text: "value() reports the number of free tokens",
        python: Python::Deviates(
            "threading shows the value only in repr; multiprocessing has get_value()",
        ),
    },
    Clause {
        id: "SEM-17",
        text: "linearizable: every history of concurrent acquire (any form) and release(n) \
               calls, with their results, is explained by one sequential order of the \
               operations, each taking effect between its call and its return, that the \
               sequential model (value, maximum, TooManyReleases) accepts",
        python: Python::Beyond("Python does not state it; the GIL makes it hold"),
    },
];

/// The BoundedSemaphore clauses, in report order.
pub const BOUNDED_CLAUSES: &[Clause] = &[
    Clause {
        id: "BSEM-01",
        text: "BoundedSemaphore::new(value) with value <= VALUE_MAX makes a semaphore with \
               value() == max_value() == value",
        python: Python::Same,
    },
    Clause {
        id: "BSEM-02",
        text: "BoundedSemaphore::new(value) with value above VALUE_MAX is \
               Error::InvalidArgument",
        python: Python::Deviates("threading has no maximum"),
    },
    Clause {
        id: "BSEM-03",
        text: "a release(n) that would take the value past the initial value is \
               Error::TooManyReleases { max: initial } and leaves the value unchanged: the \
               whole n is checked at once, never partly added",
        python: Python::Deviates(
            "a typed error instead of ValueError (\"Semaphore released too many times\"); \
             threading also checks release(n) as a whole",
        ),
    },
    Clause {
        id: "BSEM-04",
        text: "racing releases never take the value past the initial value: each release \
               either adds all of its n or is refused and adds nothing, whatever the \
               interleaving",
        python: Python::Same,
    },
    Clause {
        id: "BSEM-05",
        text: "apart from its maximum, a BoundedSemaphore behaves as a Semaphore: SEM-03 to \
               SEM-07 and SEM-09 to SEM-17 hold for it (its records carry those ids)",
        python: Python::Same,
    },
    Clause {
        id: "BSEM-06",
        text: "a process::BoundedSemaphore segment carries its own kind tag \
               (KIND_BOUNDED_SEMAPHORE): process::Semaphore::open refuses it, and \
               process::BoundedSemaphore::open refuses a Semaphore's, with \
               SegmentError::WrongKind",
        python: Python::Beyond("multiprocessing has no named semaphores to open"),
    },
];

/// How a guard is taken by [`SemOp::Guard`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardForm {
    /// `acquire_guard()` (blocking).
    Acquire,
    /// `try_acquire_guard()`.
    Try,
    /// `acquire_guard_timeout(d)`.
    Timeout(Duration),
}

/// One operation of the sequential model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemOp {
    /// `acquire()`: blocks until a token is free.
    Acquire,
    /// `try_acquire()`.
    TryAcquire,
    /// `acquire_timeout(d)`.
    AcquireTimeout(Duration),
    /// `release(n)`.
    Release(u32),
    /// `value()`.
    Value,
    /// `max_value()`.
    MaxValue,
    /// Take a guard in the given form, observe `value()` while it lives, drop it.
    Guard(GuardForm),
}

/// Errors a Semaphore operation may report, as the model sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemErr {
    /// [`Error::InvalidArgument`].
    InvalidArgument,
    /// [`Error::TooManyReleases`] with its maximum.
    TooManyReleases(u64),
    /// [`Error::TimeoutTooLarge`].
    TimeoutTooLarge,
    /// Any other error (never expected from a Semaphore operation).
    Other,
}

impl From<&Error> for SemErr {
    fn from(e: &Error) -> Self {
        match e {
            Error::InvalidArgument { .. } => SemErr::InvalidArgument,
            Error::TooManyReleases { max } => SemErr::TooManyReleases(*max),
            Error::TimeoutTooLarge { .. } => SemErr::TimeoutTooLarge,
            _ => SemErr::Other,
        }
    }
}

/// The observable result of one [`SemOp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemResult {
    /// `acquire()` returned.
    Acquired,
    /// `try_acquire()`'s answer.
    Tried(bool),
    /// `acquire_timeout`'s answer.
    Timed(Result<bool, SemErr>),
    /// `release`'s answer.
    Released(Result<(), SemErr>),
    /// `value()`'s answer.
    Value(u32),
    /// `max_value()`'s answer.
    MaxValue(u32),
    /// Guard operation: `Ok(None)` no guard, `Ok(Some(value_while_guarded))`, or an error.
    Guarded(Result<Option<u32>, SemErr>),
}

/// The sequential model of a Semaphore or BoundedSemaphore: its value and maximum.
///
/// ```
/// use twinsync_conformance::spec::semaphore::{SemErr, SemOp, SemResult, SemaphoreModel};
///
/// let mut m = SemaphoreModel::new(1).unwrap();
/// assert_eq!(m.step(SemOp::TryAcquire), SemResult::Tried(true));
/// assert!(!m.enabled(SemOp::Acquire)); // would block forever in a sequential run
/// assert_eq!(m.step(SemOp::Release(3)), SemResult::Released(Ok(())));
/// assert_eq!(m.step(SemOp::Value), SemResult::Value(3));
/// assert_eq!(m.step(SemOp::Release(0)), SemResult::Released(Err(SemErr::InvalidArgument)));
///
/// let mut b = SemaphoreModel::bounded(1).unwrap();
/// assert_eq!(b.step(SemOp::Release(1)), SemResult::Released(Err(SemErr::TooManyReleases(1))));
/// assert_eq!(b.clause(SemOp::Release(1)), "BSEM-03");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemaphoreModel {
    /// Free tokens.
    pub value: u32,
    /// The largest value allowed.
    pub max: u32,
    /// A BoundedSemaphore (the maximum is the initial value).
    pub bounded: bool,
}

/// Whether `d` is an acceptable timeout (SEM-12).
pub fn timeout_ok(d: Duration) -> bool {
    d <= TIMEOUT_MAX
}

impl SemaphoreModel {
    /// The model of `Semaphore::new(value)`: `None` where the constructor must fail with
    /// [`Error::InvalidArgument`] (SEM-02).
    pub fn new(value: u32) -> Option<Self> {
        (value <= VALUE_MAX).then_some(SemaphoreModel {
            value,
            max: VALUE_MAX,
            bounded: false,
        })
    }

    /// The model of `BoundedSemaphore::new(value)`: `None` where the constructor must fail
    /// with [`Error::InvalidArgument`] (BSEM-02).
    pub fn bounded(value: u32) -> Option<Self> {
        (value <= VALUE_MAX).then_some(SemaphoreModel {
            value,
            max: value,
            bounded: true,
        })
    }

    /// Whether `op` can complete from this state. Only blocking operations with no token
    /// cannot (`Acquire`, `Guard(Acquire)`); a timed operation always completes.
    pub fn enabled(&self, op: SemOp) -> bool {
        self.value > 0 || !matches!(op, SemOp::Acquire | SemOp::Guard(GuardForm::Acquire))
    }

    /// Takes a token if one is free; returns whether it did.
    fn take(&mut self) -> bool {
        let free = self.value > 0;
        if free {
            self.value -= 1;
        }
        free
    }

    /// Applies an enabled `op`, returning its result.
    ///
    /// # Panics
    ///
    /// If `op` is not [enabled](Self::enabled) (a bug in the caller).
    pub fn step(&mut self, op: SemOp) -> SemResult {
        assert!(self.enabled(op), "{op:?} is not enabled in {self:?}");
        match op {
            SemOp::Acquire => {
                self.take();
                SemResult::Acquired
            }
            SemOp::TryAcquire => SemResult::Tried(self.take()),
            SemOp::AcquireTimeout(d) if !timeout_ok(d) => {
                SemResult::Timed(Err(SemErr::TimeoutTooLarge))
            }
            SemOp::AcquireTimeout(_) => SemResult::Timed(Ok(self.take())),
            SemOp::Release(0) => SemResult::Released(Err(SemErr::InvalidArgument)),
            SemOp::Release(n) if n > self.max - self.value => {
                SemResult::Released(Err(SemErr::TooManyReleases(self.max.into())))
            }
            SemOp::Release(n) => {
                self.value += n;
                SemResult::Released(Ok(()))
            }
            SemOp::Value => SemResult::Value(self.value),
            SemOp::MaxValue => SemResult::MaxValue(self.max),
            SemOp::Guard(GuardForm::Timeout(d)) if !timeout_ok(d) => {
                SemResult::Guarded(Err(SemErr::TimeoutTooLarge))
            }
            // A guard holds one token while it lives and gives it back on drop.
            SemOp::Guard(_) => SemResult::Guarded(Ok((self.value > 0).then(|| self.value - 1))),
        }
    }

    /// The clause that `op`, applied in this state, exercises.
    pub fn clause(&self, op: SemOp) -> &'static str {
        let timeout_too_large = match op {
            SemOp::AcquireTimeout(d) | SemOp::Guard(GuardForm::Timeout(d)) => !timeout_ok(d),
            _ => false,
        };
        match op {
            _ if timeout_too_large => "SEM-12",
            SemOp::Guard(_) => "SEM-13",
            SemOp::Acquire => "SEM-03",
            SemOp::TryAcquire | SemOp::AcquireTimeout(_) if self.value > 0 => "SEM-03",
            SemOp::TryAcquire => "SEM-04",
            SemOp::AcquireTimeout(_) => "SEM-05",
            SemOp::Release(0) => "SEM-07",
            SemOp::Release(n) if n > self.max - self.value && self.bounded => "BSEM-03",
            SemOp::Release(n) if n > self.max - self.value => "SEM-08",
            SemOp::Release(_) => "SEM-06",
            SemOp::Value => "SEM-16",
            SemOp::MaxValue if self.bounded => "BSEM-01",
            SemOp::MaxValue => "SEM-01",
        }
    }
}

/// Runs `op` on a real semaphore and returns its result and how long it took.
pub fn apply<S: SemaphoreApi + ?Sized>(sem: &S, op: SemOp) -> (SemResult, Duration) {
    let t0 = Instant::now();
    let err = |e: Error| SemErr::from(&e);
    let r = match op {
        SemOp::Acquire => {
            sem.acquire();
            SemResult::Acquired
        }
        SemOp::TryAcquire => SemResult::Tried(sem.try_acquire()),
        SemOp::AcquireTimeout(d) => SemResult::Timed(sem.acquire_timeout(d).map_err(err)),
        SemOp::Release(n) => SemResult::Released(sem.release(n).map_err(err)),
        SemOp::Value => SemResult::Value(sem.value()),
        SemOp::MaxValue => SemResult::MaxValue(sem.max_value()),
        SemOp::Guard(form) => {
            let guard = match form {
                GuardForm::Acquire => Ok(Some(sem.acquire_guard())),
                GuardForm::Try => Ok(sem.try_acquire_guard()),
                GuardForm::Timeout(d) => sem.acquire_guard_timeout(d).map_err(err),
            };
            SemResult::Guarded(guard.map(|g| g.map(|g| g.semaphore().value())))
        }
    };
    (r, t0.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructor_bounds() {
        assert_eq!(SemaphoreModel::new(VALUE_MAX).unwrap().max, VALUE_MAX);
        assert!(SemaphoreModel::new(VALUE_MAX + 1).is_none());
        assert_eq!(SemaphoreModel::bounded(7).unwrap().max, 7);
        assert_eq!(SemaphoreModel::bounded(VALUE_MAX).unwrap().max, VALUE_MAX);
        assert!(SemaphoreModel::bounded(VALUE_MAX + 1).is_none());
    }

    #[test]
    fn bounded_release_is_checked_as_a_whole() {
        let mut m = SemaphoreModel::bounded(3).unwrap();
        m.step(SemOp::Acquire);
        m.step(SemOp::Acquire);
        assert_eq!(m.clause(SemOp::Release(3)), "BSEM-03");
        assert_eq!(
            m.step(SemOp::Release(3)),
            SemResult::Released(Err(SemErr::TooManyReleases(3)))
        );
        assert_eq!(m.value, 1);
        assert_eq!(m.clause(SemOp::Release(2)), "SEM-06");
        assert_eq!(m.step(SemOp::Release(2)), SemResult::Released(Ok(())));
        assert_eq!(m.step(SemOp::MaxValue), SemResult::MaxValue(3));
        assert_eq!(m.clause(SemOp::MaxValue), "BSEM-01");
        let mut z = SemaphoreModel::bounded(0).unwrap();
        assert!(!z.enabled(SemOp::Acquire));
        assert_eq!(
            z.step(SemOp::Release(1)),
            SemResult::Released(Err(SemErr::TooManyReleases(0)))
        );
    }

    #[test]
    fn release_past_the_maximum_changes_nothing() {
        let mut m = SemaphoreModel::new(VALUE_MAX - 1).unwrap();
        let too_many = SemResult::Released(Err(SemErr::TooManyReleases(VALUE_MAX.into())));
        assert_eq!(m.clause(SemOp::Release(2)), "SEM-08");
        assert_eq!(m.step(SemOp::Release(2)), too_many);
        assert_eq!(m.value, VALUE_MAX - 1);
        assert_eq!(m.step(SemOp::Release(u32::MAX)), too_many);
        assert_eq!(m.step(SemOp::Release(1)), SemResult::Released(Ok(())));
        assert_eq!(m.value, VALUE_MAX);
    }

    #[test]
    fn blocking_ops_enabled_only_with_a_token() {
        let mut m = SemaphoreModel::new(0).unwrap();
        for op in [SemOp::Acquire, SemOp::Guard(GuardForm::Acquire)] {
            assert!(!m.enabled(op));
        }
        assert_eq!(m.clause(SemOp::TryAcquire), "SEM-04");
        assert_eq!(m.step(SemOp::TryAcquire), SemResult::Tried(false));
        let d = Duration::from_millis(1);
        assert_eq!(m.clause(SemOp::AcquireTimeout(d)), "SEM-05");
        assert_eq!(
            m.step(SemOp::AcquireTimeout(d)),
            SemResult::Timed(Ok(false))
        );
        assert_eq!(
            m.step(SemOp::Guard(GuardForm::Timeout(d))),
            SemResult::Guarded(Ok(None))
        );
        m.step(SemOp::Release(2));
        assert!(m.enabled(SemOp::Acquire));
        assert_eq!(m.clause(SemOp::Acquire), "SEM-03");
        assert_eq!(
            m.step(SemOp::Guard(GuardForm::Acquire)),
            SemResult::Guarded(Ok(Some(1)))
        );
        assert_eq!(m.step(SemOp::Acquire), SemResult::Acquired);
        assert_eq!(m.value, 1);
    }

    #[test]
    fn timeouts_too_large() {
        let mut m = SemaphoreModel::new(1).unwrap();
        let big = TIMEOUT_MAX + Duration::from_nanos(1);
        assert_eq!(m.clause(SemOp::AcquireTimeout(big)), "SEM-12");
        assert_eq!(
            m.step(SemOp::AcquireTimeout(big)),
            SemResult::Timed(Err(SemErr::TimeoutTooLarge))
        );
        assert_eq!(
            m.step(SemOp::Guard(GuardForm::Timeout(big))),
            SemResult::Guarded(Err(SemErr::TimeoutTooLarge))
        );
        assert_eq!(m.value, 1);
    }

    /// Every operation from a few states, on the model made by `model` and on a real
    /// semaphore made by `make`.
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn model_agrees_with<S: SemaphoreApi>(
        model: fn(u32) -> Option<SemaphoreModel>,
        make: impl Fn(u32) -> S,
    ) {
        let d = Duration::from_millis(2);
        let ops = [
            SemOp::Value,
            SemOp::MaxValue,
            SemOp::TryAcquire,
            SemOp::Acquire,
            SemOp::AcquireTimeout(d),
            SemOp::AcquireTimeout(Duration::ZERO),
            SemOp::AcquireTimeout(Duration::MAX),
            SemOp::Release(0),
            SemOp::Release(1),
            SemOp::Release(3),
            SemOp::Release(VALUE_MAX),
            SemOp::Release(u32::MAX),
            SemOp::Guard(GuardForm::Acquire),
            SemOp::Guard(GuardForm::Try),
            SemOp::Guard(GuardForm::Timeout(d)),
            SemOp::Guard(GuardForm::Timeout(Duration::MAX)),
        ];
        for start in [0, 1, 2, VALUE_MAX - 1, VALUE_MAX] {
            for &op in &ops {
                let mut model = model(start).unwrap();
                if !model.enabled(op) {
                    continue;
                }
                let want = model.step(op);
                let sem = make(start);
                let (got, took) = apply(&sem, op);
                assert_eq!(got, want, "{op:?} from {start}");
                assert_eq!(sem.value(), model.value, "{op:?} from {start}");
                let timed_out = matches!(
                    got,
                    SemResult::Timed(Ok(false)) | SemResult::Guarded(Ok(None))
                );
                if let (SemOp::AcquireTimeout(t) | SemOp::Guard(GuardForm::Timeout(t)), true) =
                    (op, timed_out)
                {
                    assert!(took >= t, "{op:?} timed out early ({took:?})");
                }
            }
        }
    }

    #[test]
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn model_agrees_with_both_versions() {
        use twinsync::{process, thread};
        let (plain, bounded) = (SemaphoreModel::new, SemaphoreModel::bounded);
        model_agrees_with(plain, |v| thread::Semaphore::new(v).unwrap());
        model_agrees_with(plain, |v| process::Semaphore::new(v).unwrap());
        model_agrees_with(bounded, |v| thread::BoundedSemaphore::new(v).unwrap());
        model_agrees_with(bounded, |v| process::BoundedSemaphore::new(v).unwrap());
    }
}
