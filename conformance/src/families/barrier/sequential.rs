//! The Barrier family's sequential model for the proptest driver: random operations on three
//! barriers of the set (one party with the action, two parties with the action, two parties
//! with a default timeout), and switches of the action between succeeding, returning `Err`
//! and panicking. One caller can only see the single-party, validation and broken-state
//! clauses; the others are reported as not checkable here.

use std::time::Duration;

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::{BarrierFamily, Barriers, Member, DEFAULT_TIMEOUT, FAIL_ERR, FAIL_NONE, FAIL_PANIC};
use crate::drivers::proptest::timeouts;
use crate::family::Sequential;
use crate::report::{Record, Status};
use crate::spec::barrier::{apply, timeout_ok, ActionKind, BarrierModel, BarrierOp, BarrierResult};
use crate::subject::{Subject, Testable};

/// Which barrier of the set an operation uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// One party, with the action.
    One,
    /// Two parties, with the action (a lone caller can only time out or find it broken).
    Two,
    /// Two parties, no action, default timeout [`DEFAULT_TIMEOUT`]: `Wait` times out.
    Timed,
}

/// One operation of the set model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    /// A barrier operation on one barrier.
    On(Which, BarrierOp),
    /// Makes the one-party barrier's action end as `FAIL_*` says from now on.
    Fail(u32),
}

/// The model: one [`BarrierModel`] per barrier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetModel {
    /// [`Which::One`].
    pub one: BarrierModel,
    /// [`Which::Two`].
    pub two: BarrierModel,
    /// [`Which::Timed`].
    pub timed: BarrierModel,
}

impl SetModel {
    fn of(&self, w: Which) -> &BarrierModel {
        match w {
            Which::One => &self.one,
            Which::Two => &self.two,
            Which::Timed => &self.timed,
        }
    }

    fn of_mut(&mut self, w: Which) -> &mut BarrierModel {
        match w {
            Which::One => &mut self.one,
            Which::Two => &mut self.two,
            Which::Timed => &mut self.timed,
        }
    }

    /// The operation the barrier model sees: `Wait` on the timed barrier is a wait with the
    /// default timeout.
    fn model_op(w: Which, op: BarrierOp) -> BarrierOp {
        match (w, op) {
            (Which::Timed, BarrierOp::Wait) => BarrierOp::WaitTimeout(DEFAULT_TIMEOUT),
            _ => op,
        }
    }
}

fn barrier<B: Member>(s: &Barriers<B>, w: Which) -> &B {
    match w {
        Which::One => s.barrier(1),
        Which::Two => s.barrier(2),
        Which::Timed => s.timed(),
    }
}

impl<B: Member> Sequential<Barriers<B>> for BarrierFamily {
    type Model = SetModel;
    type Op = SetOp;
    type Res = BarrierResult;

    fn initial() -> SetModel {
        SetModel {
            one: BarrierModel::new(1, ActionKind::Succeeds),
            two: BarrierModel::new(2, ActionKind::Succeeds),
            timed: BarrierModel::new(2, ActionKind::None),
        }
    }

    fn ops() -> BoxedStrategy<SetOp> {
        let op = prop_oneof![
            4 => Just(BarrierOp::Wait),
            3 => timeouts().prop_map(BarrierOp::WaitTimeout),
            2 => Just(BarrierOp::Reset),
            1 => Just(BarrierOp::Abort),
            1 => Just(BarrierOp::Parties),
            1 => Just(BarrierOp::NWaiting),
            2 => Just(BarrierOp::Broken),
        ];
        let which = prop_oneof![
            3 => Just(Which::One),
            2 => Just(Which::Two),
            1 => Just(Which::Timed),
        ];
        prop_oneof![
            8 => (which, op).prop_map(|(w, o)| SetOp::On(w, o)),
            1 => prop_oneof![Just(FAIL_NONE), Just(FAIL_ERR), Just(FAIL_PANIC)].prop_map(SetOp::Fail),
        ]
        .boxed()
    }

    /// Enabled, and not a long (valid) timeout that a lone party of two would wait out.
    fn feasible(m: &SetModel, op: &SetOp) -> bool {
        let SetOp::On(w, op) = *op else { return true };
        let b = m.of(w);
        let op = SetModel::model_op(w, op);
        let long = matches!(op, BarrierOp::WaitTimeout(d) if timeout_ok(d) && d > Duration::from_millis(50));
        b.enabled(op) && !(long && b.parties > 1 && !b.broken)
    }

    fn clause(m: &SetModel, op: &SetOp) -> &'static str {
        match *op {
            SetOp::Fail(_) => "BARRIER-05",
            SetOp::On(Which::Timed, BarrierOp::Wait) if !m.timed.broken => "BARRIER-07",
            // A timed trip of the lone party: counted for its index (0, the first and last
            // arrival); the untimed trips count for the action (the model's label).
            SetOp::On(Which::One, BarrierOp::WaitTimeout(d))
                if timeout_ok(d) && !m.one.broken && m.one.action == ActionKind::Succeeds =>
            {
                "BARRIER-02"
            }
            SetOp::On(w, op) => m.of(w).clause(op),
        }
    }

    fn step(m: &mut SetModel, op: &SetOp) -> BarrierResult {
        match *op {
            SetOp::Fail(how) => {
                m.one.action = if how == FAIL_NONE {
                    ActionKind::Succeeds
                } else {
                    ActionKind::Fails
                };
                BarrierResult::Done
            }
            SetOp::On(w, op) => m.of_mut(w).step(SetModel::model_op(w, op)),
        }
    }

    fn apply(s: &Barriers<B>, op: &SetOp) -> (BarrierResult, Duration) {
        match *op {
            SetOp::Fail(how) => {
                s.log(1)
                    .fail
                    .store(how, twinsync::sync::atomic::Ordering::Relaxed);
                (BarrierResult::Done, Duration::ZERO)
            }
            SetOp::On(w, op) => apply(barrier(s, w), op),
        }
    }

    /// A lone party that timed out waited at least its timeout (BARRIER-06, the default one
    /// for BARRIER-07); `broken()` agrees with the model afterwards (BARRIER-10); the action
    /// ran exactly as often as the model says (BARRIER-04).
    fn observe(
        s: &Barriers<B>,
        before: &SetModel,
        after: &SetModel,
        op: &SetOp,
        _res: &BarrierResult,
        took: Duration,
    ) -> Result<(), String> {
        let SetOp::On(w, op) = *op else {
            return Ok(());
        };
        let b = before.of(w);
        if let BarrierOp::WaitTimeout(d) = SetModel::model_op(w, op) {
            if timeout_ok(d) && !b.broken && b.parties > 1 && took < d {
                return Err(format!("timed out after only {took:?} (timeout {d:?})"));
            }
        }
        let broken = barrier(s, w).broken();
        if broken != after.of(w).broken {
            return Err(format!(
                "broken() is {broken} afterwards, the model says {}",
                after.of(w).broken
            ));
        }
        let runs = s.log(1).runs();
        if runs != u64::from(after.one.actions_run) {
            return Err(format!(
                "the action ran {runs} times, the model says {}",
                after.one.actions_run
            ));
        }
        Ok(())
    }
}

/// Why the sequential driver cannot check a clause it did not exercise.
const ONE_CALLER: &str = "needs concurrent parties (or a shared segment); the sequential \
                          driver has one caller";

/// Why a clause was not reached when the sequences stopped at a disagreement.
const STOPPED: &str = "not reached: the sequences stopped at the first disagreement";

/// Runs the proptest driver on `Barriers<B>`, and reports every clause it cannot reach as not
/// checkable.
pub(super) fn run<B: Member>(cfg: &crate::drivers::Config, subj: &Subject) -> Vec<Record>
where
    Barriers<B>: Testable,
{
    let mut out = crate::drivers::proptest::run_subject::<Barriers<B>, BarrierFamily>(cfg, subj);
    // Same check, same duration (the report counts each check's time once).
    let took = out.first().map_or(Duration::ZERO, |r| r.duration);
    let stopped = out
        .iter()
        .any(|r| matches!(r.status, Status::Fail(_) | Status::Deviates(_)));
    let why = if stopped { STOPPED } else { ONE_CALLER };
    for c in crate::spec::barrier::CLAUSES {
        if !out.iter().any(|r| r.clause == c.id) {
            out.push(Record {
                clause: c.id.to_owned(),
                subject: subj.name.to_owned(),
                version: subj.version.to_owned(),
                driver: "proptest".to_owned(),
                check: "sequences".to_owned(),
                status: Status::NotCheckable(why.to_owned()),
                duration: took,
                replay: None,
            });
        }
    }
    out
}
