//! The Condition family, and twinsync's Conditions (over an RLock, the default, and over a
//! plain Lock) as subjects.

use twinsync::{ConditionApi, Error};

use crate::family::{Family, Scenario};
use crate::spec::Clause;
use crate::subject::Testable;

/// The Condition family: [`spec::condition`](crate::spec::condition) and
/// [`scenarios::condition`](crate::scenarios::condition), for any [`ConditionApi`] (over a
/// reentrant lock or a plain one: see [`reentrant`](crate::scenarios::condition::reentrant)).
#[derive(Clone, Copy, Debug)]
pub struct ConditionFamily;

impl<S: ConditionApi + Send + Sync + 'static> Family<S> for ConditionFamily {
    const PRIMITIVE: &'static str = "Condition";

    fn clauses() -> &'static [Clause] {
        crate::spec::condition::CLAUSES
    }

    fn scenarios() -> Vec<Scenario<S>> {
        crate::scenarios::condition::scenarios()
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn proptest(
        cfg: &crate::drivers::Config,
        subj: &crate::subject::Subject,
    ) -> Vec<crate::report::Record>
    where
        S: crate::subject::Testable,
    {
        crate::drivers::proptest::run_subject::<S, ConditionFamily>(cfg, subj)
    }
}

impl Testable for twinsync::thread::Condition {
    type Family = ConditionFamily;
    const NAME: &'static str = "thread::Condition";
    const VERSION: &'static str = "thread";
    fn make() -> Result<Self, Error> {
        Ok(twinsync::thread::Condition::new())
    }
}

impl Testable for twinsync::thread::Condition<twinsync::thread::Lock> {
    type Family = ConditionFamily;
    const NAME: &'static str = "thread::Condition<Lock>";
    const VERSION: &'static str = "thread";
    fn make() -> Result<Self, Error> {
        Ok(twinsync::thread::Condition::with_lock(
            twinsync::thread::Lock::new(),
        ))
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod process_subjects {
    use twinsync::process::{Condition, Lock, RLock};
    use twinsync::Error;

    use super::{lock_name, ConditionFamily};
    use crate::subject::{SharedTestable, Testable};

    /// Creates the lock segment, then the condition's; removes the lock's if the second fails.
    fn create_both<L>(
        name: &str,
        create_lock: fn(&str) -> Result<L, Error>,
        create: fn(&str, L) -> Result<Condition<L>, Error>,
    ) -> Result<Condition<L>, Error> {
        let lock = create_lock(&lock_name(name))?;
        create(name, lock).inspect_err(|_| {
            let _ = twinsync::process::unlink(&lock_name(name));
        })
    }

    /// Removes both segments of a condition made by [`create_both`].
    fn unlink_both(name: &str) {
        let _ = twinsync::process::unlink(name);
        let _ = twinsync::process::unlink(&lock_name(name));
    }

    impl Testable for Condition {
        type Family = ConditionFamily;
        const NAME: &'static str = "process::Condition";
        const VERSION: &'static str = "process";
        fn make() -> Result<Self, Error> {
            Condition::new()
        }
    }

    impl SharedTestable for Condition {
        fn create_named(name: &str) -> Result<Self, Error> {
            create_both(name, RLock::create, Condition::create)
        }
        fn open_named(name: &str) -> Result<Self, Error> {
            Condition::open(name, RLock::open(&lock_name(name))?)
        }
        fn unlink_named(name: &str) {
            unlink_both(name);
        }
    }

    impl Testable for Condition<Lock> {
        type Family = ConditionFamily;
        const NAME: &'static str = "process::Condition<Lock>";
        const VERSION: &'static str = "process";
        fn make() -> Result<Self, Error> {
            Condition::with_lock(Lock::new()?)
        }
    }

    impl SharedTestable for Condition<Lock> {
        fn create_named(name: &str) -> Result<Self, Error> {
            create_both(name, Lock::create, Condition::create)
        }
        fn open_named(name: &str) -> Result<Self, Error> {
            Condition::open(name, Lock::open(&lock_name(name))?)
        }
        fn unlink_named(name: &str) {
            unlink_both(name);
        }
    }
}

/// The name of the lock's segment beside a process condition's segment `name` (a process
/// Condition is two segments: its state and its lock).
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub(crate) fn lock_name(name: &str) -> String {
    format!("{name}-lock")
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod condition_sequential {
    use std::time::Duration;

    use proptest::prelude::*;
    use proptest::strategy::BoxedStrategy;
    use twinsync::{ConditionApi, ConditionLock};

    use super::ConditionFamily;
    use crate::drivers::proptest::timeouts;
    use crate::family::Sequential;
    use crate::scenarios::condition::reentrant;
    use crate::spec::condition::{apply, CondModel, CondOp, CondResult};
    use crate::spec::lock::{timeout_ok, GuardForm};

    impl<S: ConditionApi + 'static> Sequential<S> for ConditionFamily {
        type Model = CondModel;
        type Op = CondOp;
        type Res = CondResult;

        fn initial() -> CondModel {
            if reentrant::<S>() {
                CondModel::over_rlock()
            } else {
                CondModel::over_lock()
            }
        }

        fn ops() -> BoxedStrategy<CondOp> {
            prop_oneof![
                4 => Just(CondOp::Acquire),
                2 => Just(CondOp::TryAcquire),
                2 => timeouts().prop_map(CondOp::AcquireTimeout),
                4 => Just(CondOp::Release),
                2 => Just(CondOp::IsMine),
                1 => Just(CondOp::Guard(GuardForm::Lock)),
                1 => Just(CondOp::Guard(GuardForm::TryLock)),
                1 => timeouts().prop_map(|d| CondOp::Guard(GuardForm::LockTimeout(d))),
                1 => Just(CondOp::Wait),
                3 => timeouts().prop_map(CondOp::WaitTimeout),
                3 => (0u32..4, proptest::option::of(timeouts()))
                    .prop_map(|(true_on_call, timeout)| CondOp::WaitFor { true_on_call, timeout }),
                2 => (0usize..3).prop_map(CondOp::Notify),
                1 => Just(CondOp::Notify(usize::MAX)),
                1 => Just(CondOp::NotifyAll),
            ]
            .boxed()
        }

        /// Enabled, and not a timed operation that would wait out an enormous (yet valid)
        /// timeout: a wait with the lock held (nobody notifies), a timed acquire of a held
        /// plain Lock.
        fn feasible(m: &CondModel, op: &CondOp) -> bool {
            let long = |d: Duration| timeout_ok(d) && d > Duration::from_millis(50);
            let held = m.depth > 0;
            let blocks = match *op {
                CondOp::WaitTimeout(d) => held && long(d),
                CondOp::WaitFor {
                    true_on_call,
                    timeout: Some(d),
                } => held && true_on_call != 1 && long(d),
                CondOp::AcquireTimeout(d) | CondOp::Guard(GuardForm::LockTimeout(d)) => {
                    held && !m.reentrant && long(d)
                }
                _ => false,
            };
            m.enabled(*op) && !blocks
        }

        fn clause(m: &CondModel, op: &CondOp) -> &'static str {
            m.clause(*op)
        }

        fn step(m: &mut CondModel, op: &CondOp) -> CondResult {
            m.step(*op)
        }

        fn apply(s: &S, op: &CondOp) -> (CondResult, Duration) {
            apply(s, *op)
        }

        /// A wait that timed out took at least its timeout (COND-03), and `is_mine()` agrees
        /// with the model afterwards.
        fn observe(
            s: &S,
            _before: &CondModel,
            after: &CondModel,
            op: &CondOp,
            res: &CondResult,
            took: Duration,
        ) -> Result<(), String> {
            if let (CondOp::WaitTimeout(d), CondResult::Waited(Ok(false), _)) = (op, res) {
                if took < *d {
                    return Err(format!("wait_timeout timed out after only {took:?}"));
                }
            }
            let mine = s.lock().is_mine();
            if mine != (after.depth > 0) {
                return Err(format!(
                    "is_mine() is {mine} afterwards, the model's depth is {}",
                    after.depth
                ));
            }
            Ok(())
        }
    }
}
