//! RwLock: clause catalog, sequential model, and the adapter that runs a model operation on a
//! real [`RwLockApi`].
//!
//! Python has no readers-writer lock; the names follow its Lock (`acquire_read`,
//! `release_write`, ...), the errors and timeouts follow twinsync's Lock. Clauses about
//! several threads (writer preference, wake-ups) say what the concurrent drivers must check.

use std::time::{Duration, Instant};

use twinsync::algo::rwlock::MAX_READERS;
use twinsync::{Error, RwLockApi, TIMEOUT_MAX};

use super::{Clause, Python};

const NO_RWLOCK: &str = "Python has no readers-writer lock";

/// The RwLock clauses, in report order.
pub const CLAUSES: &[Clause] = &[
    Clause {
        id: "RWLOCK-01",
        text: "readers share: while only readers hold the lock and no writer waits, \
               acquire_read, try_acquire_read and acquire_read_timeout succeed at once, and \
               readers() counts the holders; several readers really hold it at the same time",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-02",
        text: "the writer is exclusive: while a writer holds the lock, no reader and no other \
               writer gets it (try forms fail, timed forms return false) and write_locked() \
               is true",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-03",
        text: "readers exclude writers: while any reader holds the lock, no writer gets it, \
               and a reader never observes a writer inside",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-04",
        text: "try forms never wait; a timed form that fails returns false, not before its \
               timeout has elapsed; a zero timeout is a single try",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-05",
        text: "release_read without a read hold, or release_write without the write lock, is \
               Error::NotHeld and changes nothing",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-06",
        text: "a held lock may be released by a thread or process other than the one that \
               acquired it (as Lock)",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-07",
        text: "no writer starvation: once a writer waits, new readers wait too \
               (try_acquire_read fails), and the writer gets the lock when the readers \
               already inside release, even under a continuous stream of readers",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-08",
        text: "a write unlock lets every waiting reader in: all readers blocked behind the \
               writer get the lock (none is left asleep while the lock is readable)",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-09",
        text: "a writer whose timed acquire fails withdraws: readers it held back get the \
               lock, and other waiting writers are not left asleep",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-10",
        text: "progress, no lost wake-up: with several contending readers and writers, every \
               blocked acquirer gets the lock once it is available (the run terminates)",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-11",
        text: "a timeout above twinsync::TIMEOUT_MAX is Error::TimeoutTooLarge and changes \
               nothing",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-12",
        text: "the guards (read, try_read, read_timeout, write, try_write, write_timeout) \
               release on drop; a failed attempt leaves the lock as it was",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-13",
        text: "happens-before: a write unlock happens before every later acquisition, and \
               every read unlock before the next write acquisition",
        python: Python::Beyond(NO_RWLOCK),
    },
    Clause {
        id: "RWLOCK-14",
        text: "the reader count cannot overflow: at MAX_READERS holders one more reader \
               waits (try_acquire_read fails) instead of corrupting the state",
        python: Python::Beyond(NO_RWLOCK),
    },
];

/// How a guard is taken by [`RwLockOp::ReadGuard`] and [`RwLockOp::WriteGuard`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardForm {
    /// `read()` / `write()` (blocking).
    Block,
    /// `try_read()` / `try_write()`.
    Try,
    /// `read_timeout(d)` / `write_timeout(d)`.
    Timeout(Duration),
}

/// One operation of the sequential model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RwLockOp {
    /// `acquire_read()`.
    AcquireRead,
    /// `try_acquire_read()`.
    TryAcquireRead,
    /// `acquire_read_timeout(d)`.
    AcquireReadTimeout(Duration),
    /// `release_read()`.
    ReleaseRead,
    /// `acquire_write()`.
    AcquireWrite,
    /// `try_acquire_write()`.
    TryAcquireWrite,
    /// `acquire_write_timeout(d)`.
    AcquireWriteTimeout(Duration),
    /// `release_write()`.
    ReleaseWrite,
    /// `readers()`.
    Readers,
    /// `write_locked()`.
    WriteLocked,
    /// Take a read guard in the given form, observe the lock while it lives, drop it.
    ReadGuard(GuardForm),
    /// Take a write guard in the given form, observe the lock while it lives, drop it.
    WriteGuard(GuardForm),
}

/// Errors an RwLock operation may report, as the model sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RwLockErr {
    /// [`Error::NotHeld`].
    NotHeld,
    /// [`Error::TimeoutTooLarge`].
    TimeoutTooLarge,
    /// Any other error (never expected from an RwLock operation).
    Other,
}

impl From<&Error> for RwLockErr {
    fn from(e: &Error) -> Self {
        match e {
            Error::NotHeld => RwLockErr::NotHeld,
            Error::TimeoutTooLarge { .. } => RwLockErr::TimeoutTooLarge,
            _ => RwLockErr::Other,
        }
    }
}

/// The observable result of one [`RwLockOp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RwLockResult {
    /// A blocking acquire returned.
    Acquired,
    /// A try form's answer.
    Tried(bool),
    /// A timed form's answer.
    Timed(Result<bool, RwLockErr>),
    /// A release's answer.
    Released(Result<(), RwLockErr>),
    /// `readers()`.
    Readers(u32),
    /// `write_locked()`.
    WriteLocked(bool),
    /// A guard operation: `Ok(None)` no guard, `Ok(Some((readers, write_locked)))` as seen
    /// while the guard lived, or an error.
    Guarded(Result<Option<(u32, bool)>, RwLockErr>),
}

/// The sequential model of an RwLock: how many read holds, and whether a writer holds it.
/// (With one caller no writer ever waits, so writer preference does not show here.)
///
/// ```
/// use twinsync_conformance::spec::rwlock::{RwLockModel, RwLockOp, RwLockResult};
///
/// let mut m = RwLockModel::default();
/// assert_eq!(m.step(RwLockOp::TryAcquireRead), RwLockResult::Tried(true));
/// assert_eq!(m.step(RwLockOp::TryAcquireRead), RwLockResult::Tried(true));
/// assert!(!m.enabled(RwLockOp::AcquireWrite)); // would wait forever
/// assert_eq!(m.step(RwLockOp::Readers), RwLockResult::Readers(2));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RwLockModel {
    /// Number of read holds.
    pub readers: u32,
    /// Whether a writer holds the lock.
    pub writer: bool,
}

/// Whether `d` is an acceptable timeout (RWLOCK-11).
pub fn timeout_ok(d: Duration) -> bool {
    d <= TIMEOUT_MAX
}

fn too_large(op: RwLockOp) -> bool {
    match op {
        RwLockOp::AcquireReadTimeout(d)
        | RwLockOp::AcquireWriteTimeout(d)
        | RwLockOp::ReadGuard(GuardForm::Timeout(d))
        | RwLockOp::WriteGuard(GuardForm::Timeout(d)) => !timeout_ok(d),
        _ => false,
    }
}

impl RwLockModel {
    fn can_read(&self) -> bool {
        !self.writer && self.readers < MAX_READERS
    }

    fn can_write(&self) -> bool {
        !self.writer && self.readers == 0
    }

    /// Whether `op` can complete from this state: a blocking form only when it would succeed.
    pub fn enabled(&self, op: RwLockOp) -> bool {
        match op {
            RwLockOp::AcquireRead | RwLockOp::ReadGuard(GuardForm::Block) => self.can_read(),
            RwLockOp::AcquireWrite | RwLockOp::WriteGuard(GuardForm::Block) => self.can_write(),
            _ => true,
        }
    }

    /// Applies an enabled `op`, returning its result.
    ///
    /// # Panics
    ///
    /// If `op` is not [enabled](Self::enabled) (a bug in the caller).
    pub fn step(&mut self, op: RwLockOp) -> RwLockResult {
        use RwLockOp::*;
        assert!(self.enabled(op), "{op:?} is not enabled in {self:?}");
        let (read_ok, write_ok) = (self.can_read(), self.can_write());
        if too_large(op) {
            let e = RwLockErr::TimeoutTooLarge;
            return match op {
                ReadGuard(_) | WriteGuard(_) => RwLockResult::Guarded(Err(e)),
                _ => RwLockResult::Timed(Err(e)),
            };
        }
        match op {
            AcquireRead | TryAcquireRead | AcquireReadTimeout(_) => {
                self.readers += u32::from(read_ok);
                match op {
                    AcquireRead => RwLockResult::Acquired,
                    TryAcquireRead => RwLockResult::Tried(read_ok),
                    _ => RwLockResult::Timed(Ok(read_ok)),
                }
            }
            AcquireWrite | TryAcquireWrite | AcquireWriteTimeout(_) => {
                self.writer |= write_ok;
                match op {
                    AcquireWrite => RwLockResult::Acquired,
                    TryAcquireWrite => RwLockResult::Tried(write_ok),
                    _ => RwLockResult::Timed(Ok(write_ok)),
                }
            }
            ReleaseRead if self.readers == 0 => RwLockResult::Released(Err(RwLockErr::NotHeld)),
            ReleaseRead => {
                self.readers -= 1;
                RwLockResult::Released(Ok(()))
            }
            ReleaseWrite if !self.writer => RwLockResult::Released(Err(RwLockErr::NotHeld)),
            ReleaseWrite => {
                self.writer = false;
                RwLockResult::Released(Ok(()))
            }
            Readers => RwLockResult::Readers(self.readers),
            WriteLocked => RwLockResult::WriteLocked(self.writer),
            // A guard is taken only when the lock allows it, and dropping it restores the
            // state, so the model's state does not change.
            ReadGuard(_) => RwLockResult::Guarded(Ok(read_ok.then_some((self.readers + 1, false)))),
            WriteGuard(_) => RwLockResult::Guarded(Ok(write_ok.then_some((0, true)))),
        }
    }

    /// The clause that `op`, applied in this state, exercises.
    pub fn clause(&self, op: RwLockOp) -> &'static str {
        use RwLockOp::*;
        match op {
            _ if too_large(op) => "RWLOCK-11",
            ReadGuard(_) | WriteGuard(_) => "RWLOCK-12",
            ReleaseRead if self.readers == 0 => "RWLOCK-05",
            ReleaseWrite if !self.writer => "RWLOCK-05",
            AcquireRead | TryAcquireRead | AcquireReadTimeout(_) if self.writer => "RWLOCK-02",
            AcquireRead | TryAcquireRead | AcquireReadTimeout(_) if !self.can_read() => "RWLOCK-14",
            AcquireReadTimeout(Duration::ZERO) | AcquireWriteTimeout(Duration::ZERO) => "RWLOCK-04",
            AcquireRead | TryAcquireRead | AcquireReadTimeout(_) | ReleaseRead | Readers => {
                "RWLOCK-01"
            }
            TryAcquireWrite | AcquireWriteTimeout(_) if self.readers > 0 => "RWLOCK-03",
            AcquireWrite
            | TryAcquireWrite
            | AcquireWriteTimeout(_)
            | ReleaseWrite
            | WriteLocked => "RWLOCK-02",
        }
    }
}

/// Runs `op` on a real lock and returns its result and how long it took.
pub fn apply<L: RwLockApi + ?Sized>(lock: &L, op: RwLockOp) -> (RwLockResult, Duration) {
    use RwLockOp::*;
    let t0 = Instant::now();
    let err = |e: Error| RwLockErr::from(&e);
    let seen = |l: &L| (l.readers(), l.write_locked());
    let r = match op {
        AcquireRead => {
            lock.acquire_read();
            RwLockResult::Acquired
        }
        TryAcquireRead => RwLockResult::Tried(lock.try_acquire_read()),
        AcquireReadTimeout(d) => RwLockResult::Timed(lock.acquire_read_timeout(d).map_err(err)),
        ReleaseRead => RwLockResult::Released(lock.release_read().map_err(err)),
        AcquireWrite => {
            lock.acquire_write();
            RwLockResult::Acquired
        }
        TryAcquireWrite => RwLockResult::Tried(lock.try_acquire_write()),
        AcquireWriteTimeout(d) => RwLockResult::Timed(lock.acquire_write_timeout(d).map_err(err)),
        ReleaseWrite => RwLockResult::Released(lock.release_write().map_err(err)),
        Readers => RwLockResult::Readers(lock.readers()),
        WriteLocked => RwLockResult::WriteLocked(lock.write_locked()),
        ReadGuard(form) => {
            let g = match form {
                GuardForm::Block => Ok(Some(lock.read())),
                GuardForm::Try => Ok(lock.try_read()),
                GuardForm::Timeout(d) => lock.read_timeout(d).map_err(err),
            };
            RwLockResult::Guarded(g.map(|g| g.map(|g| seen(g.lock()))))
        }
        WriteGuard(form) => {
            let g = match form {
                GuardForm::Block => Ok(Some(lock.write())),
                GuardForm::Try => Ok(lock.try_write()),
                GuardForm::Timeout(d) => lock.write_timeout(d).map_err(err),
            };
            RwLockResult::Guarded(g.map(|g| g.map(|g| seen(g.lock()))))
        }
    };
    (r, t0.elapsed())
}

// The real locks use the checker's atomics under a checker cfg: run these in normal builds.
#[cfg(all(test, not(any(twinsync_loom, twinsync_shuttle))))]
mod tests {
    use super::*;
    use twinsync::thread::RwLock;
    use RwLockOp::*;

    const SHORT: Duration = Duration::from_millis(2);

    #[test]
    fn model_matches_the_thread_rwlock() {
        let forms = [GuardForm::Block, GuardForm::Try, GuardForm::Timeout(SHORT)];
        let mut ops = vec![
            ReleaseRead,
            ReleaseWrite,
            AcquireRead,
            TryAcquireRead,
            AcquireReadTimeout(Duration::ZERO),
            Readers,
            TryAcquireWrite,
            AcquireWriteTimeout(SHORT),
            ReleaseWrite,
            AcquireWrite, // not enabled: skipped
            ReleaseRead,
            ReleaseRead,
            ReleaseRead,
            ReleaseRead,
            AcquireWrite,
            WriteLocked,
            TryAcquireRead,
            AcquireReadTimeout(SHORT),
            TryAcquireWrite,
            AcquireWriteTimeout(Duration::MAX),
            ReleaseRead,
            ReleaseWrite,
            AcquireWriteTimeout(Duration::ZERO),
        ];
        for f in forms {
            ops.extend([ReadGuard(f), WriteGuard(f)]);
        }
        ops.extend([ReleaseWrite, AcquireRead]);
        for f in forms {
            ops.extend([ReadGuard(f), WriteGuard(f)]);
        }
        ops.push(ReadGuard(GuardForm::Timeout(Duration::MAX)));
        let mut m = RwLockModel::default();
        let lock = RwLock::new();
        let mut clauses = std::collections::BTreeSet::new();
        for op in ops {
            if !m.enabled(op) {
                continue;
            }
            let clause = m.clause(op);
            clauses.insert(clause);
            let want = m.step(op);
            let (got, _) = apply(&lock, op);
            assert_eq!(got, want, "{op:?} ({clause}) in {m:?}");
        }
        for c in [
            "RWLOCK-01",
            "RWLOCK-02",
            "RWLOCK-03",
            "RWLOCK-04",
            "RWLOCK-05",
        ] {
            assert!(clauses.contains(c), "{c} not exercised");
        }
        assert!(clauses.contains("RWLOCK-11") && clauses.contains("RWLOCK-12"));
    }

    #[test]
    fn reader_limit_in_the_model() {
        let mut m = RwLockModel {
            readers: MAX_READERS,
            writer: false,
        };
        assert!(!m.enabled(AcquireRead));
        assert_eq!(m.clause(TryAcquireRead), "RWLOCK-14");
        assert_eq!(m.step(TryAcquireRead), RwLockResult::Tried(false));
        assert_eq!(m.readers, MAX_READERS);
    }

    #[test]
    fn catalog_is_ordered() {
        let ids: Vec<_> = CLAUSES.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), 14);
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
    }
}
