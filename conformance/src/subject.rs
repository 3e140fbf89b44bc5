//! Subjects: the implementations the suite runs against.
//!
//! Anything that implements a primitive's trait (e.g. [`twinsync::LockApi`]) can be a subject:
//! implement [`Testable`] (its family, and how to make a fresh instance) and, for the
//! real-process driver, [`SharedTestable`] (how to create one in a named shared-memory segment
//! and open it from another process). Then turn the type into a [`Subject`] descriptor, which
//! the drivers run:
//!
//! ```
//! use twinsync_conformance::subject::Subject;
//!
//! let s = Subject::local::<twinsync::thread::Lock>();
//! assert_eq!(s.name, "thread::Lock");
//! assert_eq!(s.version, "thread");
//! ```

use twinsync::Error;

use crate::drivers;
use crate::family::{Family, ScenarioInfo};

/// What kind of bug a negative control has, which decides which drivers can see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BugClass {
    /// Wrong results in a single-threaded run (seen by every driver).
    Sequential,
    /// A read-modify-write done non-atomically (needs concurrent acquirers).
    Atomicity,
    /// A wake-up that is never sent (needs an acquirer asleep in the futex).
    LostWakeup,
    /// A memory ordering too weak for the happens-before clause (needs a weak-memory model).
    Ordering,
    /// A wake-up lost only by a waiter that already sleeps when the wake comes, in a way a
    /// checker cannot set up through the public API (it cannot tell that a waiter sleeps):
    /// needs the real drivers' `wait_until_blocked`.
    SleepingWaiter,
    /// A race whose window real threads enter only by chance: it needs one thread descheduled
    /// at one particular instruction while another runs (e.g. a timed-out waiter between its
    /// futex timeout and re-taking the lock, exactly when notify runs). Only the checkers,
    /// which choose the schedule, reach it every time.
    NarrowRace,
}

/// Describes a deliberately broken subject (a negative control).
#[derive(Clone, Copy, Debug)]
pub struct Control {
    /// The bug, in one sentence.
    pub bug: &'static str,
    /// Its class.
    pub class: BugClass,
    /// The clauses whose failure counts as rejecting it. A control that fails only other
    /// clauses was rejected for the wrong reason and counts as not rejected.
    pub expected: &'static [&'static str],
}

/// A clause an implementation is known not to meet, with the reason (a documented semantic
/// difference, e.g. a guard bound to its thread). A failure of that clause is reported as an
/// expected deviation ([`Status::Deviates`](crate::report::Status::Deviates)), not a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deviation {
    /// The clause id.
    pub clause: &'static str,
    /// Why the implementation differs.
    pub reason: &'static str,
}

/// An implementation the in-process drivers (proptest, threads, loom, shuttle) can test.
///
/// Under `--cfg twinsync_loom` / `--cfg twinsync_shuttle`, [`make`](Self::make) is called
/// inside the model, once per explored execution, so the type must build its state from
/// `twinsync::sync` atomics for the checker to see it.
pub trait Testable: Send + Sync + Sized + 'static {
    /// The primitive it implements (e.g. [`LockFamily`](crate::families::LockFamily)), which
    /// decides the clauses and scenarios it is checked against.
    type Family: Family<Self>;
    /// Name shown in reports, e.g. `"thread::Lock"`. Unique among subjects.
    const NAME: &'static str;
    /// Column group in the report: `"thread"`, `"process"`, or `"control"` for negative
    /// controls (or your own label).
    const VERSION: &'static str;
    /// `Some` for a deliberately broken implementation.
    const CONTROL: Option<Control> = None;
    /// Clauses it is known not to meet (a reference implementation's documented
    /// differences). Empty for twinsync's own types.
    const DEVIATIONS: &'static [Deviation] = &[];
    /// A fresh instance in its initial state.
    ///
    /// # Errors
    ///
    /// Whatever making it may fail with (e.g. a failed mapping).
    fn make() -> Result<Self, Error>;
}

/// An implementation that can live in a named shared-memory segment, for the real-process
/// driver.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub trait SharedTestable: Testable {
    /// Creates a fresh instance in the new named segment `name`.
    ///
    /// # Errors
    ///
    /// As [`twinsync::process::Shared::create`].
    fn create_named(name: &str) -> Result<Self, Error>;
    /// Attaches to the instance in the named segment `name` (typically in another process).
    ///
    /// # Errors
    ///
    /// As [`twinsync::process::Shared::open`].
    fn open_named(name: &str) -> Result<Self, Error>;
    /// Removes the names [`create_named`](Self::create_named) made (by default `name` only;
    /// a type made of several segments removes them all). Errors are ignored: the driver
    /// calls it as soon as every worker has attached and again at the end.
    fn unlink_named(name: &str) {
        let _ = twinsync::process::unlink(name);
    }
}

/// A subject, type-erased: its labels and the monomorphised driver entry points.
#[derive(Clone, Copy)]
pub struct Subject {
    /// [`Testable::NAME`].
    pub name: &'static str,
    /// [`Testable::VERSION`].
    pub version: &'static str,
    /// [`Testable::CONTROL`].
    pub control: Option<Control>,
    /// [`Testable::DEVIATIONS`].
    pub deviations: &'static [Deviation],
    /// The family's [`PRIMITIVE`](Family::PRIMITIVE) name.
    pub primitive: &'static str,
    /// The family's scenarios, described.
    pub scenarios: fn() -> Vec<ScenarioInfo>,
    pub(crate) entry: drivers::Entries,
}

impl Subject {
    /// A subject for the in-process drivers only.
    pub fn local<L: Testable>() -> Subject {
        Subject {
            name: L::NAME,
            version: L::VERSION,
            control: L::CONTROL,
            deviations: L::DEVIATIONS,
            primitive: <L::Family as Family<L>>::PRIMITIVE,
            scenarios: crate::family::infos::<L, L::Family>,
            entry: drivers::Entries::local::<L>(),
        }
    }

    /// A subject for every driver, the real-process one included.
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    pub fn shared<L: SharedTestable>() -> Subject {
        Subject {
            entry: drivers::Entries::shared::<L>(),
            ..Subject::local::<L>()
        }
    }

    /// The description of its scenario `name`, if it has one.
    pub fn scenario(&self, name: &str) -> Option<ScenarioInfo> {
        (self.scenarios)().into_iter().find(|s| s.name == name)
    }

    /// Whether this is a negative control.
    pub fn is_control(&self) -> bool {
        self.control.is_some()
    }
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subject")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("control", &self.control)
            .field("primitive", &self.primitive)
            .finish_non_exhaustive()
    }
}

/// The built-in subjects: twinsync's own Locks (both versions in a normal build, the thread
/// version under a checker) and the negative controls.
pub fn builtin() -> Vec<Subject> {
    use crate::controls::{CountlessRelease, ForeignRelease, SilentLastRelease};
    use crate::controls::{ForgetfulWake, LaxRelease, RelaxedRelease, SplitAcquire};
    use crate::controls::{LaxBound, SemSplitAcquire, SplitRelease, WakeOne};
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    return vec![
        Subject::local::<twinsync::thread::Lock>(),
        Subject::shared::<twinsync::process::Lock>(),
        Subject::local::<twinsync::thread::RwLock>(),
        Subject::shared::<twinsync::process::RwLock>(),
        Subject::local::<crate::adapters::StdLock>(),
        Subject::local::<crate::adapters::ParkingLotLock>(),
        Subject::local::<crate::adapters::ParkingLotRwLock>(),
        Subject::shared::<ForgetfulWake>(),
        Subject::shared::<SplitAcquire>(),
        Subject::shared::<LaxRelease>(),
        Subject::shared::<RelaxedRelease>(),
        Subject::local::<crate::families::Barriers<twinsync::thread::Barrier>>(),
        Subject::shared::<crate::families::Barriers<twinsync::process::Barrier>>(),
        Subject::local::<crate::families::Barriers<crate::adapters::StdBarrier>>(),
        Subject::shared::<crate::families::Barriers<crate::controls::WakeOneTrip>>(),
        Subject::shared::<crate::families::Barriers<crate::controls::LateSeq>>(),
        Subject::shared::<crate::families::Barriers<crate::controls::NoGenerations>>(),
        Subject::shared::<crate::families::Barriers<crate::controls::EarlyTrip>>(),
        Subject::local::<twinsync::thread::RLock>(),
        Subject::shared::<twinsync::process::RLock>(),
        Subject::local::<crate::adapters::ParkingLotRLock>(),
        Subject::shared::<CountlessRelease>(),
        Subject::shared::<ForeignRelease>(),
        Subject::shared::<SilentLastRelease>(),
        Subject::local::<twinsync::thread::Semaphore>(),
        Subject::shared::<twinsync::process::Semaphore>(),
        Subject::local::<twinsync::thread::BoundedSemaphore>(),
        Subject::shared::<twinsync::process::BoundedSemaphore>(),
        Subject::shared::<WakeOne>(),
        Subject::shared::<SemSplitAcquire>(),
        Subject::shared::<LaxBound>(),
        Subject::shared::<SplitRelease>(),
        Subject::shared::<crate::controls::WakeOneReader>(),
        Subject::shared::<crate::controls::SplitReadAcquire>(),
        Subject::shared::<crate::controls::LaxReadRelease>(),
        Subject::local::<twinsync::thread::Queue<u64>>(),
        Subject::shared::<twinsync::process::Queue<u64>>(),
        Subject::shared::<crate::controls::SilentPut>(),
        Subject::shared::<crate::controls::DeafClose>(),
        Subject::shared::<crate::controls::SixWrap>(),
        Subject::local::<crate::families::Pipes<twinsync::thread::Connection<Vec<u8>>>>(),
        Subject::local::<crate::families::Pipes<twinsync::process::Connection<Vec<u8>>>>(),
        Subject::local::<crate::controls::DropEmpty>(),
        Subject::local::<crate::controls::ConsumingPoll>(),
        Subject::local::<twinsync::thread::Condition>(),
        Subject::shared::<twinsync::process::Condition>(),
        Subject::local::<twinsync::thread::Condition<twinsync::thread::Lock>>(),
        Subject::shared::<twinsync::process::Condition<twinsync::process::Lock>>(),
        Subject::shared::<crate::controls::NotifyAllWakesOne>(),
        Subject::shared::<crate::controls::TimeoutAbsorbs>(),
        Subject::local::<twinsync::thread::Event>(),
        Subject::shared::<twinsync::process::Event>(),
        Subject::shared::<crate::controls::SetWakesOne>(),
        Subject::shared::<crate::controls::FlagOnlyWaiters>(),
    ];
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    return vec![
        Subject::local::<twinsync::thread::Lock>(),
        Subject::local::<twinsync::thread::RwLock>(),
        Subject::local::<ForgetfulWake>(),
        Subject::local::<SplitAcquire>(),
        Subject::local::<LaxRelease>(),
        Subject::local::<RelaxedRelease>(),
        Subject::local::<crate::families::Barriers<twinsync::thread::Barrier>>(),
        // Two sleepers need three threads on the real barrier, too many for loom.
        #[cfg(not(twinsync_loom))]
        Subject::local::<crate::families::Barriers<crate::controls::WakeOneTrip>>(),
        Subject::local::<crate::families::Barriers<crate::controls::LateSeq>>(),
        Subject::local::<crate::families::Barriers<crate::controls::NoGenerations>>(),
        Subject::local::<crate::families::Barriers<crate::controls::EarlyTrip>>(),
        Subject::local::<twinsync::thread::RLock>(),
        Subject::local::<CountlessRelease>(),
        Subject::local::<ForeignRelease>(),
        Subject::local::<SilentLastRelease>(),
        Subject::local::<twinsync::thread::Semaphore>(),
        Subject::local::<twinsync::thread::BoundedSemaphore>(),
        Subject::local::<WakeOne>(),
        Subject::local::<SemSplitAcquire>(),
        Subject::local::<LaxBound>(),
        Subject::local::<SplitRelease>(),
        Subject::local::<crate::controls::WakeOneReader>(),
        Subject::local::<crate::controls::SplitReadAcquire>(),
        Subject::local::<crate::controls::LaxReadRelease>(),
        Subject::local::<twinsync::thread::Queue<u64>>(),
        Subject::local::<crate::controls::SilentPut>(),
        Subject::local::<crate::controls::DeafClose>(),
        Subject::local::<crate::controls::SixWrap>(),
        Subject::local::<crate::families::Pipes<twinsync::thread::Connection<Vec<u8>>>>(),
        Subject::local::<crate::controls::DropEmpty>(),
        Subject::local::<crate::controls::ConsumingPoll>(),
        Subject::local::<twinsync::thread::Condition>(),
        Subject::local::<twinsync::thread::Condition<twinsync::thread::Lock>>(),
        Subject::local::<crate::controls::NotifyAllWakesOne>(),
        Subject::local::<crate::controls::TimeoutAbsorbs>(),
        Subject::local::<twinsync::thread::Event>(),
        Subject::local::<crate::controls::SetWakesOne>(),
        Subject::local::<crate::controls::FlagOnlyWaiters>(),
    ];
}

static REGISTERED: std::sync::Mutex<Vec<Subject>> = std::sync::Mutex::new(Vec::new());

/// Adds a subject to the ones [`by_name`] finds (see
/// [`register_subject!`](crate::register_subject), which calls it before `main`). A second
/// registration of the same name is ignored.
pub fn register(subject: Subject) {
    let mut r = REGISTERED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !r.iter().any(|s| s.name == subject.name) {
        r.push(subject);
    }
}

/// Finds a subject by name: a built-in one, else one [registered](register) in this
/// executable.
pub fn by_name(name: &str) -> Option<Subject> {
    builtin().into_iter().find(|s| s.name == name).or_else(|| {
        REGISTERED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|s| s.name == name)
            .copied()
    })
}
