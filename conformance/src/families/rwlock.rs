//! The RwLock family, and twinsync's RwLocks as subjects.

use twinsync::{Error, RwLockApi};

use crate::family::{Family, Scenario};
use crate::scenarios::{Checks, RawOp, PENDING};
use crate::spec::Clause;
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
use crate::subject::SharedTestable;
use crate::subject::Testable;

/// The RwLock family: [`spec::rwlock`](crate::spec::rwlock) and
/// [`scenarios::rwlock`](crate::scenarios::rwlock), for any [`RwLockApi`].
#[derive(Clone, Copy, Debug)]
pub struct RwLockFamily;

impl<L: RwLockApi + Send + Sync + 'static> Family<L> for RwLockFamily {
    const PRIMITIVE: &'static str = "RwLock";

    fn clauses() -> &'static [Clause] {
        crate::spec::rwlock::CLAUSES
    }

    fn scenarios() -> Vec<Scenario<L>> {
        crate::scenarios::rwlock::scenarios()
    }

    /// The history of [`HISTORY`](crate::scenarios::rwlock::HISTORY) against
    /// [`RwSpec`](crate::linearizability::models::RwSpec); a violation counts against
    /// RWLOCK-02 (in these histories it means a holder met another holder it excludes, or a
    /// try that failed with nobody to exclude it).
    fn check_history(_scenario: &str, history: &[RawOp], c: &mut Checks) {
        use crate::linearizability::models::{RwOp, RwSpec};
        use crate::scenarios::rwlock::op;
        let mut h = Vec::with_capacity(history.len());
        for r in history {
            let o = match r.op {
                op::ACQUIRE_READ => RwOp::AcquireRead,
                op::TRY_READ | op::READ_TIMEOUT => RwOp::TryRead,
                op::RELEASE_READ => RwOp::ReleaseRead,
                op::TRY_WRITE => RwOp::TryWrite,
                op::RELEASE_WRITE => RwOp::ReleaseWrite,
                other => {
                    c.check("HARNESS", false, || {
                        format!("unknown RwLock op code {other}")
                    });
                    return;
                }
            };
            h.push(crate::linearizability::Entry {
                client: r.client,
                call: r.call,
                ret: (r.ret != PENDING).then_some(r.ret),
                op: o,
                res: (r.ret != PENDING).then_some(r.res == 1),
            });
        }
        crate::linearizability::verdict::<RwSpec>(&h, "RWLOCK-02", c);
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn proptest(
        cfg: &crate::drivers::Config,
        subj: &crate::subject::Subject,
    ) -> Vec<crate::report::Record>
    where
        L: crate::subject::Testable,
    {
        crate::drivers::proptest::run_subject::<L, RwLockFamily>(cfg, subj)
    }
}

impl Testable for twinsync::thread::RwLock {
    type Family = RwLockFamily;
    const NAME: &'static str = "thread::RwLock";
    const VERSION: &'static str = "thread";
    fn make() -> Result<Self, Error> {
        Ok(twinsync::thread::RwLock::new())
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl Testable for twinsync::process::RwLock {
    type Family = RwLockFamily;
    const NAME: &'static str = "process::RwLock";
    const VERSION: &'static str = "process";
    fn make() -> Result<Self, Error> {
        twinsync::process::RwLock::new()
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl SharedTestable for twinsync::process::RwLock {
    fn create_named(name: &str) -> Result<Self, Error> {
        twinsync::process::RwLock::create(name)
    }
    fn open_named(name: &str) -> Result<Self, Error> {
        twinsync::process::RwLock::open(name)
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod rwlock_sequential {
    use std::time::Duration;

    use proptest::prelude::*;
    use proptest::strategy::BoxedStrategy;
    use twinsync::RwLockApi;

    use super::RwLockFamily;
    use crate::drivers::proptest::timeouts;
    use crate::family::Sequential;
    use crate::spec::rwlock::{apply, timeout_ok, GuardForm, RwLockModel, RwLockOp, RwLockResult};

    fn form() -> impl Strategy<Value = GuardForm> {
        prop_oneof![
            Just(GuardForm::Block),
            Just(GuardForm::Try),
            timeouts().prop_map(GuardForm::Timeout),
        ]
    }

    impl<L: RwLockApi + 'static> Sequential<L> for RwLockFamily {
        type Model = RwLockModel;
        type Op = RwLockOp;
        type Res = RwLockResult;

        fn initial() -> RwLockModel {
            RwLockModel::default()
        }

        fn ops() -> BoxedStrategy<RwLockOp> {
            prop_oneof![
                3 => Just(RwLockOp::AcquireRead),
                3 => Just(RwLockOp::TryAcquireRead),
                2 => timeouts().prop_map(RwLockOp::AcquireReadTimeout),
                4 => Just(RwLockOp::ReleaseRead),
                2 => Just(RwLockOp::AcquireWrite),
                2 => Just(RwLockOp::TryAcquireWrite),
                2 => timeouts().prop_map(RwLockOp::AcquireWriteTimeout),
                3 => Just(RwLockOp::ReleaseWrite),
                1 => Just(RwLockOp::Readers),
                1 => Just(RwLockOp::WriteLocked),
                1 => form().prop_map(RwLockOp::ReadGuard),
                1 => form().prop_map(RwLockOp::WriteGuard),
            ]
            .boxed()
        }

        /// Enabled, and not a timed wait that must fail with an enormous (yet valid) timeout.
        fn feasible(m: &RwLockModel, op: &RwLockOp) -> bool {
            let long = |d: &Duration| timeout_ok(*d) && *d > Duration::from_millis(50);
            let (no_read, no_write) = (m.writer, m.writer || m.readers > 0);
            m.enabled(*op)
                && !match op {
                    RwLockOp::AcquireReadTimeout(d)
                    | RwLockOp::ReadGuard(GuardForm::Timeout(d)) => no_read && long(d),
                    RwLockOp::AcquireWriteTimeout(d)
                    | RwLockOp::WriteGuard(GuardForm::Timeout(d)) => no_write && long(d),
                    _ => false,
                }
        }

        fn clause(m: &RwLockModel, op: &RwLockOp) -> &'static str {
            m.clause(*op)
        }

        fn step(m: &mut RwLockModel, op: &RwLockOp) -> RwLockResult {
            m.step(*op)
        }

        fn apply(s: &L, op: &RwLockOp) -> (RwLockResult, Duration) {
            apply(s, *op)
        }

        /// A timed form that failed took at least its timeout (RWLOCK-04), and `readers()`
        /// and `write_locked()` agree with the model afterwards.
        fn observe(
            s: &L,
            _before: &RwLockModel,
            after: &RwLockModel,
            op: &RwLockOp,
            res: &RwLockResult,
            took: Duration,
        ) -> Result<(), String> {
            let timed_out = match (op, res) {
                (
                    RwLockOp::AcquireReadTimeout(d) | RwLockOp::AcquireWriteTimeout(d),
                    RwLockResult::Timed(Ok(false)),
                )
                | (
                    RwLockOp::ReadGuard(GuardForm::Timeout(d))
                    | RwLockOp::WriteGuard(GuardForm::Timeout(d)),
                    RwLockResult::Guarded(Ok(None)),
                ) => Some(*d),
                _ => None,
            };
            if let Some(d) = timed_out {
                if took < d {
                    return Err(format!("timed out after only {took:?}"));
                }
            }
            let (r, w) = (s.readers(), s.write_locked());
            if (r, w) != (after.readers, after.writer) {
                return Err(format!(
                    "readers() {r}, write_locked() {w} afterwards; the model says {}, {}",
                    after.readers, after.writer
                ));
            }
            Ok(())
        }
    }
}
