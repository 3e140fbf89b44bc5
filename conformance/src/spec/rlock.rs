//! RLock: clause catalog, sequential model, and the adapter that runs a model operation on a
//! real [`RLockApi`].
//!
//! Semantics follow Python's `threading.RLock` (see `PYTHON-SEMANTICS.md` section 3.2), made
//! Rust-idiomatic; each [`Clause`] says where it deviates.
//!
//! The model has two actors: *the caller* (the thread running the sequence, the only one
//! that may own the lock in the model) and *a foreign thread* ([`RLockOp::Foreign`]), which
//! runs one non-blocking or timed operation and leaves nothing held behind. That is enough
//! to state ownership sequentially: a foreign release is refused, a foreign acquire fails
//! while the caller owns the lock.

use std::time::{Duration, Instant};

use twinsync::{Error, RLockApi};

use super::lock::{timeout_ok, GuardForm};
use super::{Clause, Python};

/// The RLock clauses, in report order.
pub const CLAUSES: &[Clause] = &[
    Clause {
        id: "RLOCK-01",
        text: "acquiring a free RLock (acquire, try_acquire, acquire_timeout) makes the caller \
               its owner at depth 1: locked() and is_owned() are true, count() is 1",
        python: Python::Same,
    },
    Clause {
        id: "RLOCK-02",
        text: "reentrancy: an acquire, try_acquire or acquire_timeout by the owner succeeds at \
               once, whatever the timeout, and adds one level to count()",
        python: Python::Same,
    },
    Clause {
        id: "RLOCK-03",
        text: "release by the owner removes one level; the RLock stays held while levels are \
               left and is free (locked() and is_owned() false, count() 0) when the last one \
               is released",
        python: Python::Same,
    },
    Clause {
        id: "RLOCK-04",
        text: "release of a free RLock is Error::NotOwner and changes nothing",
        python: Python::Deviates(
            "a typed error instead of RuntimeError (threading) / AssertionError \
             (multiprocessing)",
        ),
    },
    Clause {
        id: "RLOCK-05",
        text: "release by a thread or process that does not own a held RLock is \
               Error::NotOwner and changes nothing: the owner keeps the lock at its depth",
        python: Python::Deviates(
            "a typed error instead of RuntimeError (threading) / AssertionError \
             (multiprocessing)",
        ),
    },
    Clause {
        id: "RLOCK-06",
        text: "introspection: is_owned() is true only for the owning thread, and count() is the \
               owner's depth for the owner and 0 for every other thread",
        python: Python::Beyond(
            "Python has them as private helpers (_is_owned, _recursion_count); here they are \
             public API",
        ),
    },
    Clause {
        id: "RLOCK-07",
        text: "mutual exclusion between owners: while one thread owns the RLock, another's \
               try_acquire fails at once, its acquire_timeout returns false not before the \
               timeout, and there are never two owners at once",
        python: Python::Same,
    },
    Clause {
        id: "RLOCK-08",
        text: "progress, no lost wake-up: a blocked acquirer gets the RLock once the owner has \
               released every level, not before; with several contending acquirers the run \
               terminates",
        python: Python::Same,
    },
    Clause {
        id: "RLOCK-09",
        text: "ownership is per thread: in the process version another thread of the owner's \
               process is not the owner either (it cannot release, and its acquire waits)",
        python: Python::Same,
    },
    Clause {
        id: "RLOCK-10",
        text: "a timeout above twinsync::TIMEOUT_MAX is Error::TimeoutTooLarge and changes \
               nothing, for a recursive acquire as well",
        python: Python::Deviates(
            "a typed error instead of OverflowError (threading); multiprocessing accepts any \
             timeout",
        ),
    },
    Clause {
        id: "RLOCK-11",
        text: "the guard (lock, try_lock, lock_timeout) holds one level and releases that one \
               level on drop",
        python: Python::Deviates("a RAII guard instead of the `with` statement"),
    },
    Clause {
        id: "RLOCK-12",
        text: "the last release -> the next owner's acquire is a happens-before edge: writes \
               made under one owner are visible to the next",
        python: Python::Beyond("Python's GIL hides it; in Rust it is a memory-ordering duty"),
    },
    Clause {
        id: "RLOCK-13",
        text: "recursion-count overflow: an acquire by an owner already at u32::MAX levels \
               panics and changes nothing (as std's ReentrantLock)",
        python: Python::Deviates("Python's count is unbounded"),
    },
];

/// An operation run by a foreign thread (not the caller), which leaves nothing held: a
/// successful acquire is released by that thread at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForeignOp {
    /// `try_acquire()`, then `release()` if it succeeded.
    TryAcquire,
    /// `acquire_timeout(d)`, then `release()` if it succeeded.
    AcquireTimeout(Duration),
    /// `release()`.
    Release,
    /// `is_owned()`.
    IsOwned,
    /// `count()`.
    Count,
}

/// One operation of the sequential model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RLockOp {
    /// `acquire()`: never blocks in the model (only the caller may own the lock).
    Acquire,
    /// `try_acquire()`.
    TryAcquire,
    /// `acquire_timeout(d)`.
    AcquireTimeout(Duration),
    /// `release()`.
    Release,
    /// `locked()`.
    Locked,
    /// `is_owned()`.
    IsOwned,
    /// `count()`.
    Count,
    /// Take a guard in the given form, observe `count()` while it lives, drop it.
    Guard(GuardForm),
    /// An operation by a foreign thread.
    Foreign(ForeignOp),
}

/// Errors an RLock operation may report, as the model sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RLockErr {
    /// [`Error::NotOwner`].
    NotOwner,
    /// [`Error::TimeoutTooLarge`].
    TimeoutTooLarge,
    /// Any other error (never expected from an RLock operation).
    Other,
}

impl From<&Error> for RLockErr {
    fn from(e: &Error) -> Self {
        match e {
            Error::NotOwner => RLockErr::NotOwner,
            Error::TimeoutTooLarge { .. } => RLockErr::TimeoutTooLarge,
            _ => RLockErr::Other,
        }
    }
}

fn err<T>(r: Result<T, Error>) -> Result<T, RLockErr> {
    r.map_err(|e| RLockErr::from(&e))
}

/// The observable result of one [`RLockOp`] (a foreign operation gives the variant of its
/// own kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RLockResult {
    /// `acquire()` returned.
    Acquired,
    /// `try_acquire()`'s answer.
    Tried(bool),
    /// `acquire_timeout`'s answer.
    Timed(Result<bool, RLockErr>),
    /// `release`'s answer.
    Released(Result<(), RLockErr>),
    /// `locked()`'s answer.
    Locked(bool),
    /// `is_owned()`'s answer.
    IsOwned(bool),
    /// `count()`'s answer.
    Count(u32),
    /// Guard operation: `Ok(None)` no guard, `Ok(Some(count_while_guarded))`, or an error.
    Guarded(Result<Option<u32>, RLockErr>),
}

/// The sequential model of an RLock: the caller's depth (0 = free; only the caller owns).
///
/// ```
/// use twinsync_conformance::spec::rlock::{ForeignOp, RLockErr, RLockModel, RLockOp, RLockResult};
///
/// let mut m = RLockModel::default();
/// assert_eq!(m.step(RLockOp::Acquire), RLockResult::Acquired);
/// assert_eq!(m.step(RLockOp::TryAcquire), RLockResult::Tried(true)); // reentrant
/// assert_eq!(m.step(RLockOp::Count), RLockResult::Count(2));
/// assert_eq!(
///     m.step(RLockOp::Foreign(ForeignOp::Release)),
///     RLockResult::Released(Err(RLockErr::NotOwner))
/// );
/// assert_eq!(m.step(RLockOp::Foreign(ForeignOp::Count)), RLockResult::Count(0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RLockModel {
    /// The caller's recursion depth; 0 when the lock is free.
    pub depth: u32,
}

impl RLockModel {
    /// Whether `op` can complete from this state. In the model only the caller may own the
    /// lock, so nothing blocks; an acquire at depth `u32::MAX` panics (RLOCK-13) and is not
    /// enabled.
    pub fn enabled(&self, op: RLockOp) -> bool {
        let acquires = match op {
            RLockOp::Acquire | RLockOp::TryAcquire | RLockOp::Guard(_) => true,
            RLockOp::AcquireTimeout(d) => timeout_ok(d),
            _ => false,
        };
        !(acquires && self.depth == u32::MAX)
    }

    /// Applies an enabled `op`, returning its result.
    ///
    /// # Panics
    ///
    /// If `op` is not [enabled](Self::enabled) (a bug in the caller).
    pub fn step(&mut self, op: RLockOp) -> RLockResult {
        assert!(self.enabled(op), "{op:?} is not enabled in {self:?}");
        let held = self.depth > 0;
        match op {
            RLockOp::Acquire => {
                self.depth += 1;
                RLockResult::Acquired
            }
            RLockOp::TryAcquire => {
                self.depth += 1;
                RLockResult::Tried(true)
            }
            RLockOp::AcquireTimeout(d) if !timeout_ok(d) => {
                RLockResult::Timed(Err(RLockErr::TimeoutTooLarge))
            }
            RLockOp::AcquireTimeout(_) => {
                self.depth += 1;
                RLockResult::Timed(Ok(true))
            }
            RLockOp::Release if !held => RLockResult::Released(Err(RLockErr::NotOwner)),
            RLockOp::Release => {
                self.depth -= 1;
                RLockResult::Released(Ok(()))
            }
            RLockOp::Locked => RLockResult::Locked(held),
            RLockOp::IsOwned => RLockResult::IsOwned(held),
            RLockOp::Count => RLockResult::Count(self.depth),
            RLockOp::Guard(GuardForm::LockTimeout(d)) if !timeout_ok(d) => {
                RLockResult::Guarded(Err(RLockErr::TimeoutTooLarge))
            }
            // The caller always gets its guard; dropping it gives the level back.
            RLockOp::Guard(_) => RLockResult::Guarded(Ok(Some(self.depth + 1))),
            RLockOp::Foreign(f) => match f {
                ForeignOp::TryAcquire => RLockResult::Tried(!held),
                ForeignOp::AcquireTimeout(d) if !timeout_ok(d) => {
                    RLockResult::Timed(Err(RLockErr::TimeoutTooLarge))
                }
                ForeignOp::AcquireTimeout(_) => RLockResult::Timed(Ok(!held)),
                ForeignOp::Release => RLockResult::Released(Err(RLockErr::NotOwner)),
                ForeignOp::IsOwned => RLockResult::IsOwned(false),
                ForeignOp::Count => RLockResult::Count(0),
            },
        }
    }

    /// The clause that `op`, applied in this state, exercises.
    pub fn clause(&self, op: RLockOp) -> &'static str {
        let held = self.depth > 0;
        let timeout_too_large = match op {
            RLockOp::AcquireTimeout(d)
            | RLockOp::Guard(GuardForm::LockTimeout(d))
            | RLockOp::Foreign(ForeignOp::AcquireTimeout(d)) => !timeout_ok(d),
            _ => false,
        };
        match op {
            _ if timeout_too_large => "RLOCK-10",
            RLockOp::Guard(_) => "RLOCK-11",
            RLockOp::Acquire | RLockOp::TryAcquire | RLockOp::AcquireTimeout(_) if held => {
                "RLOCK-02"
            }
            RLockOp::Acquire | RLockOp::TryAcquire | RLockOp::AcquireTimeout(_) => "RLOCK-01",
            RLockOp::Release if held => "RLOCK-03",
            RLockOp::Release => "RLOCK-04",
            RLockOp::Locked if held => "RLOCK-01",
            RLockOp::Locked => "RLOCK-03",
            RLockOp::IsOwned | RLockOp::Count => "RLOCK-06",
            RLockOp::Foreign(ForeignOp::Release) if held => "RLOCK-05",
            RLockOp::Foreign(ForeignOp::Release) => "RLOCK-04",
            RLockOp::Foreign(ForeignOp::IsOwned | ForeignOp::Count) => "RLOCK-06",
            RLockOp::Foreign(ForeignOp::TryAcquire | ForeignOp::AcquireTimeout(_)) if held => {
                "RLOCK-07"
            }
            RLockOp::Foreign(_) => "RLOCK-01",
        }
    }
}

/// Runs `op` on a real RLock and returns its result and how long it took. A
/// [`RLockOp::Foreign`] operation runs in a scoped OS thread of its own (so not inside a loom
/// or shuttle model, whose threads must be the checker's).
pub fn apply<S: RLockApi + Sync + ?Sized>(s: &S, op: RLockOp) -> (RLockResult, Duration) {
    let t0 = Instant::now();
    let r = match op {
        RLockOp::Acquire => {
            s.acquire();
            RLockResult::Acquired
        }
        RLockOp::TryAcquire => RLockResult::Tried(s.try_acquire()),
        RLockOp::AcquireTimeout(d) => RLockResult::Timed(err(s.acquire_timeout(d))),
        RLockOp::Release => RLockResult::Released(err(s.release())),
        RLockOp::Locked => RLockResult::Locked(s.locked()),
        RLockOp::IsOwned => RLockResult::IsOwned(s.is_owned()),
        RLockOp::Count => RLockResult::Count(s.count()),
        RLockOp::Guard(form) => {
            let guard = match form {
                GuardForm::Lock => Ok(Some(s.lock())),
                GuardForm::TryLock => Ok(s.try_lock()),
                GuardForm::LockTimeout(d) => err(s.lock_timeout(d)),
            };
            RLockResult::Guarded(guard.map(|g| g.map(|g| g.lock().count())))
        }
        RLockOp::Foreign(f) => std::thread::scope(|scope| {
            scope
                .spawn(|| foreign(s, f))
                .join()
                .expect("foreign operation panicked")
        }),
    };
    (r, t0.elapsed())
}

/// Runs a [`ForeignOp`] on the calling thread, releasing whatever it acquired.
fn foreign<S: RLockApi + ?Sized>(s: &S, op: ForeignOp) -> RLockResult {
    let give_back = |got: bool| {
        if got {
            s.release()
                .expect("a foreign thread releases what it acquired");
        }
        got
    };
    match op {
        ForeignOp::TryAcquire => RLockResult::Tried(give_back(s.try_acquire())),
        ForeignOp::AcquireTimeout(d) => {
            RLockResult::Timed(err(s.acquire_timeout(d)).map(give_back))
        }
        ForeignOp::Release => RLockResult::Released(err(s.release())),
        ForeignOp::IsOwned => RLockResult::IsOwned(s.is_owned()),
        ForeignOp::Count => RLockResult::Count(s.count()),
    }
}

#[cfg(all(test, not(any(twinsync_loom, twinsync_shuttle))))]
mod tests {
    use super::*;
    use twinsync::TIMEOUT_MAX;

    const SHORT: Duration = Duration::from_millis(1);

    /// Every operation, with timeouts that are short, zero and too large.
    fn ops() -> Vec<RLockOp> {
        let mut v = vec![
            RLockOp::Acquire,
            RLockOp::TryAcquire,
            RLockOp::Release,
            RLockOp::Locked,
            RLockOp::IsOwned,
            RLockOp::Count,
            RLockOp::Guard(GuardForm::Lock),
            RLockOp::Guard(GuardForm::TryLock),
            RLockOp::Foreign(ForeignOp::TryAcquire),
            RLockOp::Foreign(ForeignOp::Release),
            RLockOp::Foreign(ForeignOp::IsOwned),
            RLockOp::Foreign(ForeignOp::Count),
        ];
        for d in [Duration::ZERO, SHORT, TIMEOUT_MAX + SHORT] {
            v.push(RLockOp::AcquireTimeout(d));
            v.push(RLockOp::Guard(GuardForm::LockTimeout(d)));
            v.push(RLockOp::Foreign(ForeignOp::AcquireTimeout(d)));
        }
        v
    }

    #[test]
    fn depth_counts_levels() {
        let mut m = RLockModel::default();
        for _ in 0..3 {
            m.step(RLockOp::Acquire);
        }
        assert_eq!(m.step(RLockOp::Count), RLockResult::Count(3));
        assert_eq!(
            m.step(RLockOp::Guard(GuardForm::TryLock)),
            RLockResult::Guarded(Ok(Some(4)))
        );
        for _ in 0..3 {
            assert_eq!(m.step(RLockOp::Release), RLockResult::Released(Ok(())));
        }
        assert_eq!(m.step(RLockOp::Locked), RLockResult::Locked(false));
        assert_eq!(
            m.step(RLockOp::Release),
            RLockResult::Released(Err(RLockErr::NotOwner))
        );
    }

    #[test]
    fn foreign_thread_is_refused_while_held() {
        let mut m = RLockModel::default();
        let f = RLockOp::Foreign(ForeignOp::TryAcquire);
        assert_eq!(m.step(f), RLockResult::Tried(true)); // free: it gets (and returns) it
        m.step(RLockOp::Acquire);
        assert_eq!(m.step(f), RLockResult::Tried(false));
        assert_eq!(m.clause(f), "RLOCK-07");
        assert_eq!(m.depth, 1);
    }

    #[test]
    fn timeout_too_large_changes_nothing() {
        let mut m = RLockModel { depth: 2 };
        let op = RLockOp::AcquireTimeout(TIMEOUT_MAX + SHORT);
        assert_eq!(m.clause(op), "RLOCK-10");
        assert_eq!(
            m.step(op),
            RLockResult::Timed(Err(RLockErr::TimeoutTooLarge))
        );
        assert_eq!(m.depth, 2);
    }

    #[test]
    fn overflow_is_not_enabled() {
        let m = RLockModel { depth: u32::MAX };
        assert!(!m.enabled(RLockOp::Acquire));
        assert!(m.enabled(RLockOp::Release));
        assert!(m.enabled(RLockOp::AcquireTimeout(TIMEOUT_MAX + SHORT)));
    }

    /// The model and both versions agree on a walk through every operation at depths 0..=2.
    #[test]
    fn model_matches_both_versions() {
        fn walk<S: RLockApi + Sync>(s: &S) {
            let mut m = RLockModel::default();
            for depth in 0..3 {
                for op in ops() {
                    let before = m;
                    let want = m.step(op);
                    let (got, _) = apply(s, op);
                    assert_eq!(got, want, "{op:?} at depth {depth}, model {before:?}");
                    assert!(m.clause(op).starts_with("RLOCK-"));
                    // Undo what the op added, to stay at `depth`.
                    while m.depth > depth {
                        m.step(RLockOp::Release);
                        s.release().unwrap();
                    }
                    while m.depth < depth {
                        m.step(RLockOp::Acquire);
                        s.acquire();
                    }
                }
                m.step(RLockOp::Acquire);
                s.acquire();
            }
            while m.depth > 0 {
                m.step(RLockOp::Release);
                s.release().unwrap();
            }
            assert!(!s.locked());
        }
        walk(&twinsync::thread::RLock::new());
        walk(&twinsync::process::RLock::new().unwrap());
    }
}
