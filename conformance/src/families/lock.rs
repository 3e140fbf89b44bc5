//! The Lock family, and twinsync's Locks as subjects.

use twinsync::LockApi;

use twinsync::Error;

use crate::family::{Family, Scenario};
use crate::scenarios::{Checks, RawOp, PENDING};
use crate::spec::Clause;
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
use crate::subject::SharedTestable;
use crate::subject::Testable;

/// The Lock family: [`spec::lock`](crate::spec::lock) and
/// [`scenarios::lock`](crate::scenarios::lock), for any [`LockApi`].
#[derive(Clone, Copy, Debug)]
pub struct LockFamily;

impl<L: LockApi + Send + Sync + 'static> Family<L> for LockFamily {
    const PRIMITIVE: &'static str = "Lock";

    fn clauses() -> &'static [Clause] {
        crate::spec::lock::CLAUSES
    }

    fn scenarios() -> Vec<Scenario<L>> {
        crate::scenarios::lock::scenarios()
    }

    fn check_history(_scenario: &str, history: &[RawOp], c: &mut Checks) {
        use crate::linearizability::models::{LockOp, LockSpec};
        use crate::scenarios::lock::op;
        let mut h = Vec::with_capacity(history.len());
        for r in history {
            let o = match r.op {
                op::ACQUIRE => LockOp::Acquire,
                op::TRY_ACQUIRE => LockOp::TryAcquire,
                op::ACQUIRE_TIMEOUT => LockOp::AcquireTimeout,
                op::RELEASE => LockOp::Release,
                other => {
                    c.check("HARNESS", false, || format!("unknown Lock op code {other}"));
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
        crate::linearizability::verdict::<LockSpec>(&h, "LOCK-12", c);
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn proptest(
        cfg: &crate::drivers::Config,
        subj: &crate::subject::Subject,
    ) -> Vec<crate::report::Record>
    where
        L: crate::subject::Testable,
    {
        crate::drivers::proptest::run_subject::<L, LockFamily>(cfg, subj)
    }
}

impl Testable for twinsync::thread::Lock {
    type Family = LockFamily;
    const NAME: &'static str = "thread::Lock";
    const VERSION: &'static str = "thread";
    fn make() -> Result<Self, Error> {
        Ok(twinsync::thread::Lock::new())
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl Testable for twinsync::process::Lock {
    type Family = LockFamily;
    const NAME: &'static str = "process::Lock";
    const VERSION: &'static str = "process";
    fn make() -> Result<Self, Error> {
        twinsync::process::Lock::new()
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl SharedTestable for twinsync::process::Lock {
    fn create_named(name: &str) -> Result<Self, Error> {
        twinsync::process::Lock::create(name)
    }
    fn open_named(name: &str) -> Result<Self, Error> {
        twinsync::process::Lock::open(name)
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod lock_sequential {
    use std::time::Duration;

    use proptest::prelude::*;
    use proptest::strategy::BoxedStrategy;
    use twinsync::LockApi;

    use super::LockFamily;
    use crate::drivers::proptest::timeouts;
    use crate::family::Sequential;
    use crate::spec::lock::{apply, timeout_ok, GuardForm, LockModel, LockOp, LockResult};

    impl<L: LockApi + 'static> Sequential<L> for LockFamily {
        type Model = LockModel;
        type Op = LockOp;
        type Res = LockResult;

        fn initial() -> LockModel {
            LockModel::default()
        }

        fn ops() -> BoxedStrategy<LockOp> {
            prop_oneof![
                3 => Just(LockOp::Acquire),
                3 => Just(LockOp::TryAcquire),
                2 => timeouts().prop_map(LockOp::AcquireTimeout),
                4 => Just(LockOp::Release),
                2 => Just(LockOp::Locked),
                1 => Just(LockOp::Guard(GuardForm::Lock)),
                1 => Just(LockOp::Guard(GuardForm::TryLock)),
                1 => timeouts().prop_map(|d| LockOp::Guard(GuardForm::LockTimeout(d))),
            ]
            .boxed()
        }

        /// Enabled, and not a timed wait on a held lock with an enormous (yet valid) timeout.
        fn feasible(m: &LockModel, op: &LockOp) -> bool {
            let long = |d: Duration| timeout_ok(d) && d > Duration::from_millis(50);
            m.enabled(*op)
                && !(m.held
                    && matches!(op, LockOp::AcquireTimeout(d) | LockOp::Guard(GuardForm::LockTimeout(d)) if long(*d)))
        }

        fn clause(m: &LockModel, op: &LockOp) -> &'static str {
            m.clause(*op)
        }

        fn step(m: &mut LockModel, op: &LockOp) -> LockResult {
            m.step(*op)
        }

        fn apply(s: &L, op: &LockOp) -> (LockResult, Duration) {
            apply(s, *op)
        }

        /// A timeout on a held lock took at least its duration (LOCK-03), and `locked()`
        /// agrees with the model afterwards.
        fn observe(
            s: &L,
            before: &LockModel,
            after: &LockModel,
            op: &LockOp,
            res: &LockResult,
            took: Duration,
        ) -> Result<(), String> {
            if let (true, LockOp::AcquireTimeout(d), LockResult::Timed(Ok(false))) =
                (before.held, op, res)
            {
                if took < *d {
                    return Err(format!("timed out after only {took:?}"));
                }
            }
            let locked = s.locked();
            if locked != after.held {
                return Err(format!(
                    "locked() is {locked} afterwards, the model says {}",
                    after.held
                ));
            }
            Ok(())
        }
    }
}
