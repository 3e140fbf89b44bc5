//! The built-in [`Family`] markers, one per primitive.

use twinsync::LockApi;

use crate::family::{Family, Scenario};
use crate::spec::Clause;

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

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn proptest(
        cfg: &crate::drivers::Config,
        subj: &crate::subject::Subject,
    ) -> Vec<crate::report::Record>
    where
        L: crate::subject::Testable,
    {
        crate::drivers::proptest::run_subject::<L>(cfg, subj)
    }
}
