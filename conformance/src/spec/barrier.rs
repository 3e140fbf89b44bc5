//! Barrier: clause catalog, sequential model, and the adapter that runs a model operation on
//! a real [`BarrierApi`].
//!
//! Semantics follow Python's `threading.Barrier` (see `PYTHON-SEMANTICS.md` section 3.6),
//! made Rust-idiomatic; each [`Clause`] says where it deviates. Most clauses are about
//! several parties at once; the sequential model covers what one caller can see (a lone
//! party trips a one-party barrier, or times out and breaks a larger one), and the clause
//! texts say what the concurrent drivers must check.

use std::time::{Duration, Instant};

use twinsync::{BarrierApi, Error, TIMEOUT_MAX};

use super::{Clause, Python};

/// The Barrier clauses, in report order.
pub const CLAUSES: &[Clause] = &[
    Clause {
        id: "BARRIER-01",
        text: "a barrier needs at least 1 party: 0 (or more than 2^29 - 1) parties is \
               Error::InvalidArgument, and parties() returns the count given",
        python: Python::Deviates(
            "a typed error instead of ValueError; multiprocessing.Barrier(0) constructs; an \
             upper bound exists",
        ),
    },
    Clause {
        id: "BARRIER-02",
        text: "wait returns an arrival index in 0..parties, unique within a generation: the \
               first arrival gets 0, the last parties - 1",
        python: Python::Same,
    },
    Clause {
        id: "BARRIER-03",
        text: "no party of a generation is released before all parties of it have arrived; \
               the last arrival releases them all (none is left waiting)",
        python: Python::Same,
    },
    Clause {
        id: "BARRIER-04",
        text: "the action runs exactly once per generation, in the last party to arrive, \
               before any party of the generation is released",
        python: Python::Deviates(
            "the process version keeps the action in each handle (each process passes its \
             own; the last arrival's runs) instead of pickling one callable",
        ),
    },
    Clause {
        id: "BARRIER-05",
        text: "an action that returns Err or panics breaks the barrier: the party that ran \
               it gets Error::BarrierAction with the message, every other party of the \
               generation and every later caller Error::BrokenBarrier",
        python: Python::Deviates(
            "a typed error carrying the message instead of the action's exception",
        ),
    },
    Clause {
        id: "BARRIER-06",
        text: "a party whose wait times out returns Error::BrokenBarrier, not before its \
               timeout, and breaks the barrier: every party waiting and every later caller \
               gets Error::BrokenBarrier",
        python: Python::Same,
    },
    Clause {
        id: "BARRIER-07",
        text: "wait uses the handle's default timeout (with_timeout; none unless set) and \
               wait_timeout(d) overrides it",
        python: Python::Same,
    },
    Clause {
        id: "BARRIER-08",
        text: "abort breaks the barrier: the parties waiting and every later caller get \
               Error::BrokenBarrier until reset",
        python: Python::Same,
    },
    Clause {
        id: "BARRIER-09",
        text: "reset makes a broken or used barrier empty and usable again: parties waiting \
               at that moment get Error::BrokenBarrier, and arrivals during the reset wait \
               for them to leave, then count into a fresh generation",
        python: Python::Same,
    },
    Clause {
        id: "BARRIER-10",
        text: "broken() is true exactly while broken (false while a reset drains), \
               n_waiting() is the number of parties waiting in the current generation (0 \
               while broken or resetting), parties() never changes",
        python: Python::Same,
    },
    Clause {
        id: "BARRIER-11",
        text: "reusable without lapping: over many generations, a party released from \
               generation g that calls wait again counts into g + 1, never into g, and no \
               party of g misses its release or is released by the trip of g + 1",
        python: Python::Deviates(
            "no draining phase: an early party counts into the next generation at once \
             (Python blocks it until the generation has drained); the results are the same",
        ),
    },
    Clause {
        id: "BARRIER-12",
        text: "once a generation has tripped, each of its parties returns its index, even if \
               abort or reset runs before that party is scheduled",
        python: Python::Deviates(
            "threading raises BrokenBarrierError in a released party that has not run yet \
             when abort() comes first",
        ),
    },
    Clause {
        id: "BARRIER-13",
        text: "a timeout above twinsync::TIMEOUT_MAX is Error::TimeoutTooLarge and changes \
               nothing (wait_timeout, and with_timeout at construction)",
        python: Python::Deviates("a typed error instead of OverflowError"),
    },
    Clause {
        id: "BARRIER-14",
        text: "happens-before: every write a party made before wait is visible to every \
               party of the same generation after wait, and to the action",
        python: Python::Beyond("Python's GIL hides it; in Rust it is a memory-ordering duty"),
    },
    Clause {
        id: "BARRIER-15",
        text: "process version: open refuses a segment whose party count or arrival count is \
               out of range (Error::InvalidArgument), so no handle returns an index outside \
               0..parties",
        python: Python::Beyond("multiprocessing trusts its shared state"),
    },
];

/// One operation of the sequential model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarrierOp {
    /// `wait()` (no default timeout): blocks until the barrier trips or breaks.
    Wait,
    /// `wait_timeout(d)`.
    WaitTimeout(Duration),
    /// `reset()`.
    Reset,
    /// `abort()`.
    Abort,
    /// `parties()`.
    Parties,
    /// `n_waiting()`.
    NWaiting,
    /// `broken()`.
    Broken,
}

/// Errors a Barrier operation may report, as the model sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarrierErr {
    /// [`Error::BrokenBarrier`].
    BrokenBarrier,
    /// [`Error::BarrierAction`] (the message is not compared).
    BarrierAction,
    /// [`Error::TimeoutTooLarge`].
    TimeoutTooLarge,
    /// Any other error (never expected from a Barrier operation).
    Other,
}

impl From<&Error> for BarrierErr {
    fn from(e: &Error) -> Self {
        match e {
            Error::BrokenBarrier => BarrierErr::BrokenBarrier,
            Error::BarrierAction { .. } => BarrierErr::BarrierAction,
            Error::TimeoutTooLarge { .. } => BarrierErr::TimeoutTooLarge,
            _ => BarrierErr::Other,
        }
    }
}

/// The observable result of one [`BarrierOp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarrierResult {
    /// `wait` / `wait_timeout`'s answer.
    Waited(Result<u32, BarrierErr>),
    /// `reset` or `abort` returned.
    Done,
    /// `parties()`.
    Parties(u32),
    /// `n_waiting()`.
    NWaiting(u32),
    /// `broken()`.
    Broken(bool),
}

/// The action the barrier under test was built with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ActionKind {
    /// No action.
    #[default]
    None,
    /// An action that returns `Ok(())`.
    Succeeds,
    /// An action that returns `Err(..)`.
    Fails,
}

/// The sequential model of a Barrier with one caller: broken or not (between operations no
/// other party waits, so the count is 0).
///
/// ```
/// use std::time::Duration;
/// use twinsync_conformance::spec::barrier::*;
///
/// let mut m = BarrierModel::new(2, ActionKind::None);
/// assert!(!m.enabled(BarrierOp::Wait)); // a lone party of two would wait forever
/// let r = m.step(BarrierOp::WaitTimeout(Duration::from_millis(1)));
/// assert_eq!(r, BarrierResult::Waited(Err(BarrierErr::BrokenBarrier)));
/// assert_eq!(m.step(BarrierOp::Broken), BarrierResult::Broken(true));
/// assert!(m.enabled(BarrierOp::Wait)); // fails at once now
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierModel {
    /// The party count.
    pub parties: u32,
    /// Whether the barrier is broken.
    pub broken: bool,
    /// The action of the handle under test.
    pub action: ActionKind,
    /// How many times the action ran.
    pub actions_run: u32,
}

/// Whether `d` is an acceptable timeout (BARRIER-13).
pub fn timeout_ok(d: Duration) -> bool {
    d <= TIMEOUT_MAX
}

impl BarrierModel {
    /// A fresh barrier of `parties` (at least 1) with `action`.
    pub fn new(parties: u32, action: ActionKind) -> Self {
        BarrierModel {
            parties,
            broken: false,
            action,
            actions_run: 0,
        }
    }

    /// Whether `op` can complete from this state: `Wait` only when it fails at once (broken)
    /// or trips at once (one party); every other operation always completes.
    pub fn enabled(&self, op: BarrierOp) -> bool {
        op != BarrierOp::Wait || self.broken || self.parties == 1
    }

    /// A lone party arrives (the barrier is not broken).
    fn arrive(&mut self) -> Result<u32, BarrierErr> {
        if self.parties > 1 {
            // It waits alone until its timeout, which breaks the barrier (BARRIER-06).
            self.broken = true;
            return Err(BarrierErr::BrokenBarrier);
        }
        if self.action == ActionKind::None {
            return Ok(0);
        }
        self.actions_run += 1;
        if self.action == ActionKind::Fails {
            self.broken = true;
            return Err(BarrierErr::BarrierAction);
        }
        Ok(0)
    }

    /// Applies an enabled `op`, returning its result.
    ///
    /// # Panics
    ///
    /// If `op` is not [enabled](Self::enabled) (a bug in the caller).
    pub fn step(&mut self, op: BarrierOp) -> BarrierResult {
        assert!(self.enabled(op), "{op:?} is not enabled in {self:?}");
        match op {
            BarrierOp::WaitTimeout(d) if !timeout_ok(d) => {
                BarrierResult::Waited(Err(BarrierErr::TimeoutTooLarge))
            }
            BarrierOp::Wait | BarrierOp::WaitTimeout(_) if self.broken => {
                BarrierResult::Waited(Err(BarrierErr::BrokenBarrier))
            }
            BarrierOp::Wait | BarrierOp::WaitTimeout(_) => BarrierResult::Waited(self.arrive()),
            BarrierOp::Reset => {
                self.broken = false;
                BarrierResult::Done
            }
            BarrierOp::Abort => {
                self.broken = true;
                BarrierResult::Done
            }
            BarrierOp::Parties => BarrierResult::Parties(self.parties),
            BarrierOp::NWaiting => BarrierResult::NWaiting(0),
            BarrierOp::Broken => BarrierResult::Broken(self.broken),
        }
    }

    /// The clause that `op`, applied in this state, exercises.
    pub fn clause(&self, op: BarrierOp) -> &'static str {
        match op {
            BarrierOp::WaitTimeout(d) if !timeout_ok(d) => "BARRIER-13",
            BarrierOp::Wait | BarrierOp::WaitTimeout(_) if self.broken => "BARRIER-08",
            BarrierOp::Wait | BarrierOp::WaitTimeout(_) if self.parties > 1 => "BARRIER-06",
            BarrierOp::Wait | BarrierOp::WaitTimeout(_) => match self.action {
                ActionKind::None => "BARRIER-02",
                ActionKind::Succeeds => "BARRIER-04",
                ActionKind::Fails => "BARRIER-05",
            },
            BarrierOp::Reset => "BARRIER-09",
            BarrierOp::Abort => "BARRIER-08",
            BarrierOp::Parties => "BARRIER-01",
            BarrierOp::NWaiting | BarrierOp::Broken => "BARRIER-10",
        }
    }
}

/// Runs `op` on a real barrier and returns its result and how long it took.
pub fn apply<B: BarrierApi + ?Sized>(b: &B, op: BarrierOp) -> (BarrierResult, Duration) {
    let t0 = Instant::now();
    let waited = |r: Result<u32, Error>| BarrierResult::Waited(r.map_err(|e| (&e).into()));
    let r = match op {
        BarrierOp::Wait => waited(b.wait()),
        BarrierOp::WaitTimeout(d) => waited(b.wait_timeout(d)),
        BarrierOp::Reset => {
            b.reset();
            BarrierResult::Done
        }
        BarrierOp::Abort => {
            b.abort();
            BarrierResult::Done
        }
        BarrierOp::Parties => BarrierResult::Parties(b.parties()),
        BarrierOp::NWaiting => BarrierResult::NWaiting(b.n_waiting()),
        BarrierOp::Broken => BarrierResult::Broken(b.broken()),
    };
    (r, t0.elapsed())
}

// The real locks use the checker's atomics under a checker cfg: run these in normal builds.
#[cfg(all(test, not(any(twinsync_loom, twinsync_shuttle))))]
mod tests {
    use super::*;
    use twinsync::thread::Barrier;

    const SHORT: Duration = Duration::from_millis(2);

    fn build(parties: u32, action: ActionKind) -> Barrier {
        let b = Barrier::new(parties).unwrap();
        match action {
            ActionKind::None => b,
            ActionKind::Succeeds => b.with_action(|| Ok(())),
            ActionKind::Fails => b.with_action(|| Err("no".into())),
        }
    }

    /// Runs `ops` on the model and on a real barrier, comparing every result.
    fn agree(parties: u32, action: ActionKind, ops: &[BarrierOp]) -> BarrierModel {
        let mut m = BarrierModel::new(parties, action);
        let b = build(parties, action);
        for &op in ops {
            if !m.enabled(op) {
                continue;
            }
            let clause = m.clause(op);
            let want = m.step(op);
            let (got, _) = apply(&b, op);
            assert_eq!(got, want, "{op:?} ({clause}) in {m:?}");
        }
        m
    }

    #[test]
    fn model_matches_the_thread_barrier() {
        use BarrierOp::*;
        let ops = [
            Parties,
            Wait,
            WaitTimeout(SHORT),
            NWaiting,
            Broken,
            Wait,
            WaitTimeout(Duration::MAX),
            Reset,
            Broken,
            WaitTimeout(SHORT),
            Abort,
            Wait,
            Reset,
            Wait,
        ];
        for parties in [1, 2] {
            for action in [ActionKind::None, ActionKind::Succeeds, ActionKind::Fails] {
                agree(parties, action, &ops);
            }
        }
        let m = agree(1, ActionKind::Succeeds, &[Wait, Wait, WaitTimeout(SHORT)]);
        assert_eq!(m.actions_run, 3);
    }

    #[test]
    fn clauses_cover_the_model() {
        let m = BarrierModel::new(1, ActionKind::Fails);
        assert_eq!(m.clause(BarrierOp::Wait), "BARRIER-05");
        assert_eq!(
            m.clause(BarrierOp::WaitTimeout(Duration::MAX)),
            "BARRIER-13"
        );
        for op in [BarrierOp::Reset, BarrierOp::Abort, BarrierOp::Broken] {
            assert!(CLAUSES.iter().any(|c| c.id == m.clause(op)));
        }
        let ids: Vec<_> = CLAUSES.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), 15);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids in order");
    }
}
