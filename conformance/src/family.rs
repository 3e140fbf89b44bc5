//! Families: what the suite knows about one primitive (Lock, Semaphore, ...), independent of
//! the driver that runs it.
//!
//! A family has a clause catalog ([`spec`](crate::spec)), a list of [`Scenario`]s (worker
//! bodies plus an end-of-run check, written once against the primitive's trait), and a
//! sequential check against its model (the proptest driver). Every driver is generic over the
//! family: it only starts workers, places the subject and the [`Scratch`] (heap or shared
//! memory), runs the bodies and folds their [`Checks`] into records.
//!
//! A subject type names its family through [`Testable::Family`](crate::subject::Testable):
//!
//! ```
//! use twinsync_conformance::family::Family;
//! use twinsync_conformance::families::LockFamily;
//!
//! let names: Vec<&str> = <LockFamily as Family<twinsync::thread::Lock>>::scenarios()
//!     .iter()
//!     .map(|s| s.info.name)
//!     .collect();
//! assert!(names.contains(&"mutual_exclusion"));
//! ```

use crate::scenarios::{Checks, Params, RawOp, Scratch};
use crate::spec::Clause;

/// What a driver needs to know about a scenario without knowing the subject's type.
#[derive(Clone, Copy, Debug)]
pub struct ScenarioInfo {
    /// Name in reports and on command lines (unique within its family).
    pub name: &'static str,
    /// The clauses it checks.
    pub clauses: &'static [&'static str],
    /// How many workers it runs with the given sizes.
    pub workers: fn(&Params) -> usize,
    /// The clause a hang (a worker that never finishes) violates, if termination is one of
    /// its requirements (a lost wake-up shows as a hang).
    pub progress: Option<&'static str>,
    /// Race-sensitive: the real-thread and real-process drivers repeat it with fresh state
    /// until their minimum time has passed (one round may miss a narrow race window).
    pub repeat: bool,
    /// Needs a clock (elapsed-time requirements only): loom and shuttle skip it and report
    /// [`clock_clauses`](Self::clock_clauses) as not checkable.
    pub needs_clock: bool,
    /// The clauses only a clock can check.
    pub clock_clauses: &'static [&'static str],
    /// Why loom cannot explore it (too many threads for its bound, ...), if it cannot.
    pub not_for_loom: Option<&'static str>,
}

/// A scenario for subjects of type `S`: its description and its bodies.
pub struct Scenario<S> {
    /// Name, clauses, sizes, flags.
    pub info: ScenarioInfo,
    /// Worker `me`'s part: `body(subject, scratch, me, params, checks)`.
    pub body: fn(&S, &Scratch, usize, &Params, &mut Checks),
    /// The end-of-run check, once every worker has finished (or been given up on).
    pub finish: fn(&Scratch, &Params, &mut Checks),
}

impl<S> Clone for Scenario<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for Scenario<S> {}

impl<S> std::fmt::Debug for Scenario<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl<S> Scenario<S> {
    /// Runs worker `me`'s body and counts it done in the scratch.
    pub fn run_body(&self, subject: &S, s: &Scratch, me: usize, p: &Params) -> Checks {
        let mut c = Checks::default();
        (self.body)(subject, s, me, p, &mut c);
        s.done
            .fetch_add(1, twinsync::sync::atomic::Ordering::Release);
        c
    }

    /// Runs the end-of-run check.
    pub fn run_finish(&self, s: &Scratch, p: &Params) -> Checks {
        let mut c = Checks::default();
        (self.finish)(s, p, &mut c);
        c
    }
}

/// An end-of-run check with nothing to check (the workers checked everything).
pub fn no_finish(_: &Scratch, _: &Params, _: &mut Checks) {}

/// One primitive's conformance: implemented by a marker type (e.g.
/// [`LockFamily`](crate::families::LockFamily)) for every subject type `S` that implements
/// the primitive's trait.
pub trait Family<S>: 'static {
    /// The primitive's name (`"Lock"`).
    const PRIMITIVE: &'static str;

    /// The clause catalog.
    fn clauses() -> &'static [Clause];

    /// The scenarios, in the order drivers run them.
    fn scenarios() -> Vec<Scenario<S>>;

    /// Checks the history that scenario `scenario`'s workers recorded ([`Checks::record`], all
    /// workers' operations merged) for linearizability against the model, adding the outcome
    /// to `c`. Drivers call it after every round whose workers all returned. The default
    /// checks nothing (a family whose scenarios record no history).
    fn check_history(scenario: &str, history: &[RawOp], c: &mut Checks) {
        let _ = (scenario, history, c);
    }

    /// The sequential check against the model (the proptest driver), for subjects that
    /// [`Testable::make`](crate::subject::Testable::make) builds.
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn proptest(
        cfg: &crate::drivers::Config,
        subj: &crate::subject::Subject,
    ) -> Vec<crate::report::Record>
    where
        S: crate::subject::Testable;
}

/// The [`ScenarioInfo`]s of family `F` for subjects of type `S`.
pub fn infos<S, F: Family<S>>() -> Vec<ScenarioInfo> {
    F::scenarios().into_iter().map(|s| s.info).collect()
}

/// The scenario named `name` of family `F`, if any.
pub fn find<S, F: Family<S>>(name: &str) -> Option<Scenario<S>> {
    F::scenarios().into_iter().find(|s| s.info.name == name)
}

/// A family's sequential model, as the proptest driver runs it: random operation sequences
/// applied to the model and to a fresh subject side by side, every result compared.
///
/// Implemented by the family marker (next to its [`Family`] impl). The model's initial
/// state must match what [`Testable::make`](crate::subject::Testable::make) builds.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub trait Sequential<S>: 'static {
    /// The model's state.
    type Model: Clone + std::fmt::Debug;
    /// One operation.
    type Op: Clone + std::fmt::Debug;
    /// An operation's observable result.
    type Res: PartialEq + std::fmt::Debug;

    /// The model state matching a freshly made subject.
    fn initial() -> Self::Model;
    /// Random operations.
    fn ops() -> proptest::strategy::BoxedStrategy<Self::Op>;
    /// Whether `op` completes in test time from `m` (enabled, and not a long wait that will
    /// time out); infeasible operations are skipped.
    fn feasible(m: &Self::Model, op: &Self::Op) -> bool;
    /// The clause `op`, applied in state `m`, exercises.
    fn clause(m: &Self::Model, op: &Self::Op) -> &'static str;
    /// Applies `op` to the model.
    fn step(m: &mut Self::Model, op: &Self::Op) -> Self::Res;
    /// Applies `op` to the subject; returns its result and how long it took.
    fn apply(s: &S, op: &Self::Op) -> (Self::Res, std::time::Duration);
    /// Checks what the result alone does not show: the elapsed time of an operation that
    /// timed out (`before` is the model state it started from), and the subject's observable
    /// state afterwards (`after`). `Err` describes a disagreement.
    fn observe(
        s: &S,
        before: &Self::Model,
        after: &Self::Model,
        op: &Self::Op,
        res: &Self::Res,
        took: std::time::Duration,
    ) -> Result<(), String>;
}
