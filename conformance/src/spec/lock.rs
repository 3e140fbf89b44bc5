//! Lock: clause catalog, sequential model, and the adapter that runs a model operation on a
//! real [`LockApi`].
//!
//! Semantics follow Python's `threading.Lock` (see `PYTHON-SEMANTICS.md` section 3.1), made
//! Rust-idiomatic; each [`Clause`] says where it deviates.

use std::time::{Duration, Instant};

use twinsync::{Error, LockApi, TIMEOUT_MAX};

use super::{Clause, Python};

/// The Lock clauses, in report order.
pub const CLAUSES: &[Clause] = &[
    Clause {
        id: "LOCK-01",
        text: "acquiring a free lock succeeds (acquire, try_acquire, acquire_timeout) and \
               locked() becomes true",
        python: Python::Same,
    },
    Clause {
        id: "LOCK-02",
        text: "not reentrant: try_acquire on a held lock (by anyone, the holder included) fails \
               at once and changes nothing",
        python: Python::Same,
    },
    Clause {
        id: "LOCK-03",
        text: "acquire_timeout on a held lock returns false, not before the timeout has elapsed",
        python: Python::Deviates(
            "timeouts are Durations: there is no negative `-1 = forever` (use acquire()), and \
             no ValueError for a non-blocking call with a timeout (try_acquire takes none)",
        ),
    },
    Clause {
        id: "LOCK-04",
        text: "release of a held lock frees it",
        python: Python::Same,
    },
    Clause {
        id: "LOCK-05",
        text: "release of a free lock is Error::NotHeld and changes nothing",
        python: Python::Deviates(
            "a typed error instead of RuntimeError (threading) / ValueError (multiprocessing)",
        ),
    },
    Clause {
        id: "LOCK-06",
        text: "a held lock may be released by a thread or process other than the one that \
               acquired it",
        python: Python::Same,
    },
    Clause {
        id: "LOCK-07",
        text: "mutual exclusion: never two holders at once",
        python: Python::Same,
    },
    Clause {
        id: "LOCK-08",
        text: "progress, no lost wake-up: with several contending acquirers, every blocked \
               acquirer gets the lock once it is released (the run terminates)",
        python: Python::Same,
    },
    Clause {
        id: "LOCK-09",
        text: "a timeout above twinsync::TIMEOUT_MAX is Error::TimeoutTooLarge and changes \
               nothing",
        python: Python::Deviates(
            "a typed error instead of OverflowError (threading); multiprocessing accepts any \
             timeout",
        ),
    },
    Clause {
        id: "LOCK-10",
        text: "the guard (lock, try_lock, lock_timeout) releases on drop",
        python: Python::Deviates("a RAII guard instead of the `with` statement"),
    },
    Clause {
        id: "LOCK-11",
        text: "release -> acquire is a happens-before edge: writes made in one critical section \
               are visible in the next",
        python: Python::Beyond("Python's GIL hides it; in Rust it is a memory-ordering duty"),
    },
    Clause {
        id: "LOCK-12",
        text: "linearizable: the operations recorded by concurrent workers (every acquire \
               form, releases, releases by non-holders) have an order, each within its call \
               and return, that the sequential model explains",
        python: Python::Beyond("Python specifies no concurrent history semantics"),
    },
    Clause {
        id: "LOCK-13",
        text: "a timeout is a deadline: acquire_timeout on a lock that is released and \
               re-acquired by others again and again returns within its timeout (plus \
               scheduling slack), however often it is woken without getting the lock",
        python: Python::Same,
    },
];

/// How a guard is taken by [`LockOp::Guard`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardForm {
    /// `lock()` (blocking).
    Lock,
    /// `try_lock()`.
    TryLock,
    /// `lock_timeout(d)`.
    LockTimeout(Duration),
}

/// One operation of the sequential model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockOp {
    /// `acquire()`: blocks until acquired.
    Acquire,
    /// `try_acquire()`.
    TryAcquire,
    /// `acquire_timeout(d)`.
    AcquireTimeout(Duration),
    /// `release()`.
    Release,
    /// `locked()`.
    Locked,
    /// Take a guard in the given form, observe `locked()` while it lives, drop it.
    Guard(GuardForm),
}

/// Errors a Lock operation may report, as the model sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockErr {
    /// [`Error::NotHeld`].
    NotHeld,
    /// [`Error::TimeoutTooLarge`].
    TimeoutTooLarge,
    /// Any other error (never expected from a Lock operation).
    Other,
}

impl From<&Error> for LockErr {
    fn from(e: &Error) -> Self {
        match e {
            Error::NotHeld => LockErr::NotHeld,
            Error::TimeoutTooLarge { .. } => LockErr::TimeoutTooLarge,
            _ => LockErr::Other,
        }
    }
}

/// The observable result of one [`LockOp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockResult {
    /// `acquire()` returned.
    Acquired,
    /// `try_acquire()`'s answer.
    Tried(bool),
    /// `acquire_timeout`'s answer.
    Timed(Result<bool, LockErr>),
    /// `release`'s answer.
    Released(Result<(), LockErr>),
    /// `locked()`'s answer.
    Locked(bool),
    /// Guard operation: `Ok(None)` no guard, `Ok(Some(locked_while_guarded))`, or an error.
    Guarded(Result<Option<bool>, LockErr>),
}

/// The sequential model of a Lock: held or free.
///
/// ```
/// use twinsync_conformance::spec::lock::{LockModel, LockOp, LockResult};
///
/// let mut m = LockModel::default();
/// assert_eq!(m.step(LockOp::TryAcquire), LockResult::Tried(true));
/// assert!(!m.enabled(LockOp::Acquire)); // would block forever in a sequential run
/// assert_eq!(m.step(LockOp::TryAcquire), LockResult::Tried(false));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LockModel {
    /// Whether the lock is held.
    pub held: bool,
}

/// Whether `d` is an acceptable timeout (LOCK-09).
pub fn timeout_ok(d: Duration) -> bool {
    d <= TIMEOUT_MAX
}

impl LockModel {
    /// Whether `op` can complete from this state. Only blocking operations on a held lock
    /// cannot (`Acquire`, `Guard(Lock)`); a timed operation always completes.
    pub fn enabled(&self, op: LockOp) -> bool {
        !(self.held && matches!(op, LockOp::Acquire | LockOp::Guard(GuardForm::Lock)))
    }

    /// Applies an enabled `op`, returning its result.
    ///
    /// # Panics
    ///
    /// If `op` is not [enabled](Self::enabled) (a bug in the caller).
    pub fn step(&mut self, op: LockOp) -> LockResult {
        assert!(self.enabled(op), "{op:?} is not enabled in {self:?}");
        let free = !self.held;
        match op {
            LockOp::Acquire => {
                self.held = true;
                LockResult::Acquired
            }
            LockOp::TryAcquire => {
                self.held = true;
                LockResult::Tried(free)
            }
            LockOp::AcquireTimeout(d) if !timeout_ok(d) => {
                LockResult::Timed(Err(LockErr::TimeoutTooLarge))
            }
            LockOp::AcquireTimeout(_) => {
                self.held = true;
                LockResult::Timed(Ok(free))
            }
            LockOp::Release if free => LockResult::Released(Err(LockErr::NotHeld)),
            LockOp::Release => {
                self.held = false;
                LockResult::Released(Ok(()))
            }
            LockOp::Locked => LockResult::Locked(self.held),
            LockOp::Guard(GuardForm::LockTimeout(d)) if !timeout_ok(d) => {
                LockResult::Guarded(Err(LockErr::TimeoutTooLarge))
            }
            // A guard is taken only from a free lock, and dropping it frees the lock again.
            LockOp::Guard(_) => LockResult::Guarded(Ok(free.then_some(true))),
        }
    }

    /// The clause that `op`, applied in this state, exercises.
    pub fn clause(&self, op: LockOp) -> &'static str {
        let timeout_too_large = match op {
            LockOp::AcquireTimeout(d) | LockOp::Guard(GuardForm::LockTimeout(d)) => !timeout_ok(d),
            _ => false,
        };
        match op {
            _ if timeout_too_large => "LOCK-09",
            LockOp::Guard(_) => "LOCK-10",
            LockOp::Acquire => "LOCK-01",
            LockOp::TryAcquire if self.held => "LOCK-02",
            LockOp::AcquireTimeout(_) if self.held => "LOCK-03",
            LockOp::TryAcquire | LockOp::AcquireTimeout(_) => "LOCK-01",
            LockOp::Release if self.held => "LOCK-04",
            LockOp::Release => "LOCK-05",
            LockOp::Locked if self.held => "LOCK-01",
            LockOp::Locked => "LOCK-04",
        }
    }
}

/// Runs `op` on a real lock and returns its result and how long it took.
pub fn apply<L: LockApi + ?Sized>(lock: &L, op: LockOp) -> (LockResult, Duration) {
    let t0 = Instant::now();
    let r = match op {
        LockOp::Acquire => {
            lock.acquire();
            LockResult::Acquired
        }
        LockOp::TryAcquire => LockResult::Tried(lock.try_acquire()),
        LockOp::AcquireTimeout(d) => {
            LockResult::Timed(lock.acquire_timeout(d).map_err(|e| LockErr::from(&e)))
        }
        LockOp::Release => LockResult::Released(lock.release().map_err(|e| LockErr::from(&e))),
        LockOp::Locked => LockResult::Locked(lock.locked()),
        LockOp::Guard(form) => {
            let guard = match form {
                GuardForm::Lock => Ok(Some(lock.lock())),
                GuardForm::TryLock => Ok(lock.try_lock()),
                GuardForm::LockTimeout(d) => lock.lock_timeout(d).map_err(|e| LockErr::from(&e)),
            };
            LockResult::Guarded(guard.map(|g| g.map(|g| g.lock().locked())))
        }
    };
    (r, t0.elapsed())
}
