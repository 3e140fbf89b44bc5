//! The Barrier family, the set of barriers its scenarios run on, and twinsync's Barriers as
//! subjects.
//!
//! # Why the subject is a set of barriers
//!
//! A barrier's party count and its action are fixed when it is made, but
//! [`Testable::make`] takes no sizes, and in the real-process driver every worker process
//! opens the subject by name and must attach its own action (the action lives in the handle,
//! not in shared memory). So the subject of the Barrier family is a [`Barriers`]: one barrier
//! for each party count `1..=MAX_WORKERS`, each with the suite's action, plus a two-party
//! barrier with a default timeout ([`DEFAULT_TIMEOUT`]), and one [`ActionLog`] per party count
//! in memory every handle shares (the heap, or a shared-memory segment). The action counts its
//! runs into that log and checks what it must see there, so a party of any process can check
//! "the action ran exactly once, before I was released" after its `wait`.
//!
//! A barrier type joins the suite by implementing [`Member`]; `Barriers<B>` is then
//! [`Testable`] under the name of `B`.
//!
//! ```
//! use twinsync::BarrierApi;
//! use twinsync_conformance::families::Barriers;
//! use twinsync_conformance::subject::Testable;
//!
//! let set = Barriers::<twinsync::thread::Barrier>::make().unwrap();
//! assert_eq!(set.barrier(1).wait().unwrap(), 0); // one party: trips at once
//! assert_eq!(set.log(1).runs(), 1); // and its action ran once
//! assert_eq!(set.barrier(3).parties(), 3);
//! ```

use std::sync::Arc;
use std::time::Duration;

use twinsync::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use twinsync::{BarrierApi, BarrierFn, Error};

use crate::controls::Place;
use crate::family::{Family, Scenario};
use crate::scenarios::{worker_id, MAX_WORKERS};
use crate::spec::Clause;
use crate::subject::Testable;

/// The default timeout of [`Barriers::timed`] (short: the proptest driver waits it out).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(2);

/// Text every planned action failure carries (the failing-action checks look for it).
pub const ACTION_FAILURE: &str = "planned failure of the conformance action";

/// [`ActionLog::fail`]: the action succeeds.
pub const FAIL_NONE: u32 = 0;
/// [`ActionLog::fail`]: the action returns `Err`.
pub const FAIL_ERR: u32 = 1;
/// [`ActionLog::fail`]: the action panics (through `resume_unwind`, so no panic hook prints).
pub const FAIL_PANIC: u32 = 2;

/// [`ActionLog::flaws`]: the action did not see every party's arrival of its generation
/// (it ran too early, or the parties' writes before `wait` were not visible to it).
pub const FLAW_ARRIVED: u32 = 1;
/// [`ActionLog::flaws`]: the action saw a party of its own generation already released.
pub const FLAW_RELEASED: u32 = 2;

/// What the suite's action of one barrier records, where every handle of it sees it.
///
/// The scenario that tracks generations sets [`track`](Self::track) and counts each party's
/// arrivals (before `wait`) and releases (after `wait`) here; the action then checks that it
/// sees exactly `parties * n` arrivals and `parties * (n - 1)` releases on its `n`-th run.
///
/// # Layout
///
/// `#[repr(C)]`, 48 bytes, align 8, all atomics, valid when zeroed (it lives in a shared
/// segment in the real-process driver).
#[repr(C)]
#[derive(Debug, Default)]
pub struct ActionLog {
    /// Times the action ran.
    pub runs: AtomicU64,
    /// Arrivals counted by the parties (when tracking).
    pub arrived: AtomicU64,
    /// Releases counted by the parties (when tracking).
    pub released: AtomicU64,
    /// [`worker_id`] of the thread that ran the action last.
    pub actor: AtomicU32,
    /// `FLAW_*` bits: what the action saw wrong.
    pub flaws: AtomicU32,
    /// Non-zero: the action checks `arrived` and `released`.
    pub track: AtomicU32,
    /// `FAIL_*`: how the action ends.
    pub fail: AtomicU32,
}

impl ActionLog {
    /// Times the action ran.
    pub fn runs(&self) -> u64 {
        self.runs.load(Relaxed)
    }

    /// The action of a barrier of `parties`: counts, checks, and ends as [`fail`](Self::fail)
    /// says. The loads are `Relaxed` on purpose: what they must see is ordered by the
    /// barrier alone (BARRIER-14).
    fn act(&self, parties: u32) -> Result<(), String> {
        let n = self.runs.fetch_add(1, Relaxed) + 1;
        self.actor.store(worker_id(), Relaxed);
        if self.track.load(Relaxed) != 0 {
            let p = u64::from(parties);
            if self.arrived.load(Relaxed) != p * n {
                self.flaws.fetch_or(FLAW_ARRIVED, Relaxed);
            }
            if self.released.load(Relaxed) != p * (n - 1) {
                self.flaws.fetch_or(FLAW_RELEASED, Relaxed);
            }
        }
        match self.fail.load(Relaxed) {
            FAIL_ERR => Err(format!("{ACTION_FAILURE} (run {n})")),
            FAIL_PANIC => {
                std::panic::resume_unwind(Box::new(format!("{ACTION_FAILURE} (run {n}, a panic)")))
            }
            _ => Ok(()),
        }
    }
}

/// One [`ActionLog`] per party count.
///
/// # Layout
///
/// `#[repr(C)]`, `MAX_WORKERS` logs, align 8, valid when zeroed.
#[repr(C)]
#[derive(Debug, Default)]
pub struct Logs {
    logs: [ActionLog; MAX_WORKERS],
}

// SAFETY: `#[repr(C)]`, only atomics (plain integers), no pointers, no destructor.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
unsafe impl twinsync::process::ShmSafe for Logs {}

/// A barrier type the suite can run: how to make one in private memory and give it the
/// suite's action and default timeout.
pub trait Member: BarrierApi + Send + Sync + Sized + 'static {
    /// Whether it has actions (`false`: the action clauses are declared deviations).
    const ACTION: bool = true;
    /// Whether a wait can be broken (timeouts, abort, reset). `false`: the scenarios that
    /// need it record a failure of their clauses without blocking (declared deviations).
    const BREAKABLE: bool = true;

    /// A fresh barrier of `parties` in private memory (heap, or an anonymous mapping).
    ///
    /// # Errors
    ///
    /// `InvalidArgument` for a bad count; whatever making it may fail with.
    fn build(parties: u32) -> Result<Self, Error>;
    /// The same barrier with `action`.
    fn action(self, action: BarrierFn) -> Self;
    /// The same barrier with a default timeout.
    ///
    /// # Errors
    ///
    /// `TimeoutTooLarge` above `TIMEOUT_MAX`.
    fn timeout(self, timeout: Duration) -> Result<Self, Error>;
    /// BARRIER-15: opens forged segments whose party count or arrival count is out of range
    /// and says what was wrong (`Err`), or `None` when the type has no segments.
    fn open_corrupt() -> Option<Result<(), String>> {
        None
    }
}

/// The Barrier family's subject: barriers of `1..=MAX_WORKERS` parties with the suite's
/// action, a two-party barrier with [`DEFAULT_TIMEOUT`] and no action, and their logs.
pub struct Barriers<B> {
    parts: Vec<B>,
    timed: B,
    logs: Arc<Place<Logs>>,
}

impl<B: Member> Barriers<B> {
    /// Builds the set: `get(Some(k))` makes the barrier of `k` parties, `get(None)` the timed
    /// one; the action and the default timeout are attached here.
    pub(crate) fn assemble(
        logs: Place<Logs>,
        mut get: impl FnMut(Option<u32>) -> Result<B, Error>,
    ) -> Result<Self, Error> {
        let logs = Arc::new(logs);
        let mut parts = Vec::with_capacity(MAX_WORKERS);
        for k in 1..=MAX_WORKERS as u32 {
            let l = Arc::clone(&logs);
            let act: BarrierFn = Box::new(move || l.state().0.logs[k as usize - 1].act(k));
            parts.push(get(Some(k))?.action(act));
        }
        let timed = get(None)?.timeout(DEFAULT_TIMEOUT)?;
        Ok(Barriers { parts, timed, logs })
    }

    /// The barrier of `parties` (`1..=MAX_WORKERS`).
    pub fn barrier(&self, parties: usize) -> &B {
        &self.parts[parties.clamp(1, MAX_WORKERS) - 1]
    }

    /// The log of the barrier of `parties`.
    pub fn log(&self, parties: usize) -> &ActionLog {
        &self.logs.state().0.logs[parties.clamp(1, MAX_WORKERS) - 1]
    }

    /// The two-party barrier with [`DEFAULT_TIMEOUT`] as its default timeout, without action.
    pub fn timed(&self) -> &B {
        &self.timed
    }
}

impl<B: Member> Barriers<B> {
    /// A fresh set in private memory.
    ///
    /// # Errors
    ///
    /// As [`Member::build`].
    pub fn private() -> Result<Self, Error> {
        Self::assemble(Place::Local(Logs::default()), |k| B::build(k.unwrap_or(2)))
    }
}

impl<B> std::fmt::Debug for Barriers<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Barriers")
            .field("parts", &self.parts.len())
            .finish_non_exhaustive()
    }
}

/// The Barrier family: [`spec::barrier`](crate::spec::barrier) and
/// [`scenarios::barrier`](crate::scenarios::barrier), for any [`Barriers`] set.
#[derive(Clone, Copy, Debug)]
pub struct BarrierFamily;

impl<B: Member> Family<Barriers<B>> for BarrierFamily {
    const PRIMITIVE: &'static str = "Barrier";

    fn clauses() -> &'static [Clause] {
        crate::spec::barrier::CLAUSES
    }

    fn scenarios() -> Vec<Scenario<Barriers<B>>> {
        crate::scenarios::barrier::scenarios()
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn proptest(
        cfg: &crate::drivers::Config,
        subj: &crate::subject::Subject,
    ) -> Vec<crate::report::Record>
    where
        Barriers<B>: Testable,
    {
        sequential::run::<B>(cfg, subj)
    }
}

impl Member for twinsync::thread::Barrier {
    fn build(parties: u32) -> Result<Self, Error> {
        twinsync::thread::Barrier::new(parties)
    }
    fn action(self, action: BarrierFn) -> Self {
        self.with_action(action)
    }
    fn timeout(self, timeout: Duration) -> Result<Self, Error> {
        self.with_timeout(timeout)
    }
}

impl Testable for Barriers<twinsync::thread::Barrier> {
    type Family = BarrierFamily;
    const NAME: &'static str = "thread::Barrier";
    const VERSION: &'static str = "thread";
    fn make() -> Result<Self, Error> {
        Self::private()
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod process_version {
    use std::time::Duration;

    use twinsync::process::{Barrier, Shared, ShmSafe, KIND_BARRIER};
    use twinsync::sync::atomic::{AtomicU32, AtomicU64};
    use twinsync::{BarrierFn, Error};

    use super::{BarrierFamily, Barriers, Member};
    use crate::subject::{SharedTestable, Testable};

    /// The layout of `BarrierState` (its `# Layout`: state word, `seq`, `parties`), to forge
    /// segments a peer could have corrupted.
    #[repr(C)]
    struct Forged {
        state: AtomicU64,
        seq: AtomicU32,
        parties: AtomicU32,
    }

    // SAFETY: `#[repr(C)]`, only atomics, no pointers, no destructor; it claims the Barrier
    // kind on purpose, to be opened as a (corrupt) Barrier.
    unsafe impl ShmSafe for Forged {
        const KIND: u32 = KIND_BARRIER;
    }

    impl Member for Barrier {
        fn build(parties: u32) -> Result<Self, Error> {
            Barrier::new(parties)
        }
        fn action(self, action: BarrierFn) -> Self {
            self.with_action(action)
        }
        fn timeout(self, timeout: Duration) -> Result<Self, Error> {
            self.with_timeout(timeout)
        }
        fn open_corrupt() -> Option<Result<(), String>> {
            Some(open_corrupt())
        }
    }

    fn open_corrupt() -> Result<(), String> {
        // (parties, arrival count): out-of-range party counts, then a count beyond parties.
        for (parties, count) in [(0, 0), (1 << 29, 0), (u32::MAX, 0), (2, 7)] {
            let name = twinsync::process::unique_name("tsc-forged").map_err(|e| e.to_string())?;
            let forged = Forged {
                state: AtomicU64::new(count),
                seq: AtomicU32::new(0),
                parties: AtomicU32::new(parties),
            };
            let seg = Shared::create(&name, forged).map_err(|e| e.to_string());
            let r = seg.and_then(|_seg| Barrier::open(&name).map_err(|e| e.to_string()));
            let _ = twinsync::process::unlink(&name);
            match r {
                Err(m) if m.contains("parties") || m.contains("state") => {}
                Err(m) => {
                    return Err(format!(
                        "parties {parties}, count {count}: open failed: {m}"
                    ))
                }
                Ok(b) => {
                    return Err(format!(
                        "parties {parties}, count {count}: open accepted it ({b:?})"
                    ))
                }
            }
        }
        Ok(())
    }

    impl Testable for Barriers<Barrier> {
        type Family = BarrierFamily;
        const NAME: &'static str = "process::Barrier";
        const VERSION: &'static str = "process";
        fn make() -> Result<Self, Error> {
            Self::private()
        }
    }

    impl SharedTestable for Barriers<Barrier> {
        fn create_named(name: &str) -> Result<Self, Error> {
            Self::create_set(name, Barrier::create)
        }
        fn open_named(name: &str) -> Result<Self, Error> {
            Self::open_set(name, Barrier::open)
        }
        fn unlink_named(name: &str) {
            Self::unlink_set(name);
        }
    }
}

/// Named sets, for the real-process driver: the logs in segment `name`, the barrier of `k`
/// parties in `name.k`, the timed one in `name.t`.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl<B: Member> Barriers<B> {
    fn part(name: &str, k: Option<u32>) -> String {
        match k {
            Some(k) => format!("{name}.{k}"),
            None => format!("{name}.t"),
        }
    }

    /// Creates every segment of a set, with `create(segment name, parties)`.
    pub(crate) fn create_set(
        name: &str,
        create: impl Fn(&str, u32) -> Result<B, Error>,
    ) -> Result<Self, Error> {
        let logs = Place::Shared(twinsync::process::Shared::create(name, Logs::default())?);
        Self::assemble(logs, |k| create(&Self::part(name, k), k.unwrap_or(2)))
    }

    /// Opens every segment of a set, with `open(segment name)`.
    pub(crate) fn open_set(
        name: &str,
        open: impl Fn(&str) -> Result<B, Error>,
    ) -> Result<Self, Error> {
        let logs = Place::Shared(twinsync::process::Shared::open(name)?);
        Self::assemble(logs, |k| open(&Self::part(name, k)))
    }

    /// Removes every name of a set (errors ignored: some may be gone already).
    pub(crate) fn unlink_set(name: &str) {
        let _ = twinsync::process::unlink(name);
        for k in (1..=MAX_WORKERS as u32).map(Some).chain([None]) {
            let _ = twinsync::process::unlink(&Self::part(name, k));
        }
    }
}

/// The proptest glue: one `BarrierModel` per barrier the operations use.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod sequential;
