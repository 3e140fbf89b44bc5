//! The RLock family, and twinsync's RLocks as subjects.
//!
//! The sequential model has two actors, the caller and a foreign thread
//! ([`ForeignOp`](crate::spec::rlock::ForeignOp)); the proptest driver runs the caller's
//! operations on its own thread and each foreign operation on a short-lived helper thread
//! ([`spec::rlock::apply`](crate::spec::rlock::apply)), so both actors are in the random
//! sequences. A foreign actor in another *process* is covered by the scenarios under the
//! process driver.

use twinsync::Error;
use twinsync::RLockApi;

use crate::family::{Family, Scenario};
use crate::spec::Clause;
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
use crate::subject::SharedTestable;
use crate::subject::Testable;

/// The RLock family: [`spec::rlock`](crate::spec::rlock) and
/// [`scenarios::rlock`](crate::scenarios::rlock), for any [`RLockApi`].
#[derive(Clone, Copy, Debug)]
pub struct RLockFamily;

impl<L: RLockApi + Send + Sync + 'static> Family<L> for RLockFamily {
    const PRIMITIVE: &'static str = "RLock";

    fn clauses() -> &'static [Clause] {
        crate::spec::rlock::CLAUSES
    }

    fn scenarios() -> Vec<Scenario<L>> {
        crate::scenarios::rlock::scenarios()
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn proptest(
        cfg: &crate::drivers::Config,
        subj: &crate::subject::Subject,
    ) -> Vec<crate::report::Record>
    where
        L: crate::subject::Testable,
    {
        crate::drivers::proptest::run_subject::<L, RLockFamily>(cfg, subj)
    }
}

impl Testable for twinsync::thread::RLock {
    type Family = RLockFamily;
    const NAME: &'static str = "thread::RLock";
    const VERSION: &'static str = "thread";
    fn make() -> Result<Self, Error> {
        Ok(twinsync::thread::RLock::new())
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl Testable for twinsync::process::RLock {
    type Family = RLockFamily;
    const NAME: &'static str = "process::RLock";
    const VERSION: &'static str = "process";
    fn make() -> Result<Self, Error> {
        twinsync::process::RLock::new()
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl SharedTestable for twinsync::process::RLock {
    fn create_named(name: &str) -> Result<Self, Error> {
        twinsync::process::RLock::create(name)
    }
    fn open_named(name: &str) -> Result<Self, Error> {
        twinsync::process::RLock::open(name)
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod rlock_sequential {
    use std::time::Duration;

    use proptest::prelude::*;
    use proptest::strategy::BoxedStrategy;
    use twinsync::RLockApi;

    use super::RLockFamily;
    use crate::drivers::proptest::timeouts;
    use crate::family::Sequential;
    use crate::spec::lock::{timeout_ok, GuardForm};
    use crate::spec::rlock::{apply, ForeignOp, RLockModel, RLockOp, RLockResult};

    impl<L: RLockApi + Sync + 'static> Sequential<L> for RLockFamily {
        type Model = RLockModel;
        type Op = RLockOp;
        type Res = RLockResult;

        fn initial() -> RLockModel {
            RLockModel::default()
        }

        fn ops() -> BoxedStrategy<RLockOp> {
            let foreign = prop_oneof![
                2 => Just(ForeignOp::TryAcquire),
                2 => timeouts().prop_map(ForeignOp::AcquireTimeout),
                2 => Just(ForeignOp::Release),
                1 => Just(ForeignOp::IsOwned),
                1 => Just(ForeignOp::Count),
            ];
            prop_oneof![
                3 => Just(RLockOp::Acquire),
                3 => Just(RLockOp::TryAcquire),
                2 => timeouts().prop_map(RLockOp::AcquireTimeout),
                6 => Just(RLockOp::Release),
                1 => Just(RLockOp::Locked),
                1 => Just(RLockOp::IsOwned),
                1 => Just(RLockOp::Count),
                1 => Just(RLockOp::Guard(GuardForm::Lock)),
                1 => Just(RLockOp::Guard(GuardForm::TryLock)),
                1 => timeouts().prop_map(|d| RLockOp::Guard(GuardForm::LockTimeout(d))),
                4 => foreign.prop_map(RLockOp::Foreign),
            ]
            .boxed()
        }

        /// Enabled, and not a foreign timed acquire on a held RLock with an enormous (yet
        /// valid) timeout. (The caller's own timed acquires never wait: it is the only owner
        /// in the model.)
        fn feasible(m: &RLockModel, op: &RLockOp) -> bool {
            let long = |d: Duration| timeout_ok(d) && d > Duration::from_millis(50);
            m.enabled(*op)
                && !(m.depth > 0
                    && matches!(op, RLockOp::Foreign(ForeignOp::AcquireTimeout(d)) if long(*d)))
        }

        fn clause(m: &RLockModel, op: &RLockOp) -> &'static str {
            m.clause(*op)
        }

        fn step(m: &mut RLockModel, op: &RLockOp) -> RLockResult {
            m.step(*op)
        }

        fn apply(s: &L, op: &RLockOp) -> (RLockResult, Duration) {
            apply(s, *op)
        }

        /// A foreign timeout on a held RLock took at least its duration (RLOCK-07), and the
        /// caller's `locked()`, `is_owned()` and `count()` agree with the model afterwards.
        fn observe(
            s: &L,
            before: &RLockModel,
            after: &RLockModel,
            op: &RLockOp,
            res: &RLockResult,
            took: Duration,
        ) -> Result<(), String> {
            if let (
                true,
                RLockOp::Foreign(ForeignOp::AcquireTimeout(d)),
                RLockResult::Timed(Ok(false)),
            ) = (before.depth > 0, op, res)
            {
                if took < *d {
                    return Err(format!("the foreign acquire timed out after only {took:?}"));
                }
            }
            let (locked, owned, count) = (s.locked(), s.is_owned(), s.count());
            let held = after.depth > 0;
            if (locked, owned, count) != (held, held, after.depth) {
                return Err(format!(
                    "afterwards locked() {locked}, is_owned() {owned}, count() {count}; the \
                     model's depth is {}",
                    after.depth
                ));
            }
            Ok(())
        }
    }
}
