//! Subjects: the implementations the suite runs against.
//!
//! Anything that implements [`LockApi`] can be a subject: implement [`LockSubject`] (how to
//! make a fresh, free lock) and, for the real-process driver, [`SharedLockSubject`] (how to
//! create one in a named shared-memory segment and open it from another process). Then turn
//! the type into a [`Subject`] descriptor, which the drivers run:
//!
//! ```
//! use twinsync_conformance::subject::{LockSubject, Subject};
//!
//! let s = Subject::local::<twinsync::thread::Lock>();
//! assert_eq!(s.name, "thread::Lock");
//! assert_eq!(s.version, "thread");
//! ```

use twinsync::{Error, LockApi};

use crate::drivers;

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

/// A Lock implementation the in-process drivers (proptest, threads, loom, shuttle) can test.
///
/// Under `--cfg twinsync_loom` / `--cfg twinsync_shuttle`, [`make`](Self::make) is called
/// inside the model, once per explored execution, so the type must build its state from
/// `twinsync::sync` atomics for the checker to see it.
pub trait LockSubject: LockApi + Send + Sync + Sized + 'static {
    /// Name shown in reports, e.g. `"thread::Lock"`. Unique among subjects.
    const NAME: &'static str;
    /// Column group in the report: `"thread"`, `"process"`, or `"control"` for negative
    /// controls (or your own label).
    const VERSION: &'static str;
    /// `Some` for a deliberately broken implementation.
    const CONTROL: Option<Control> = None;
    /// A fresh, free lock.
    ///
    /// # Errors
    ///
    /// Whatever making the lock may fail with (e.g. a failed mapping).
    fn make() -> Result<Self, Error>;
}

/// A Lock that can live in a named shared-memory segment, for the real-process driver.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub trait SharedLockSubject: LockSubject {
    /// Creates a free lock in the new named segment `name`.
    ///
    /// # Errors
    ///
    /// As [`twinsync::process::Shared::create`].
    fn create_named(name: &str) -> Result<Self, Error>;
    /// Attaches to the lock in the named segment `name` (typically in another process).
    ///
    /// # Errors
    ///
    /// As [`twinsync::process::Shared::open`].
    fn open_named(name: &str) -> Result<Self, Error>;
}

impl LockSubject for twinsync::thread::Lock {
    const NAME: &'static str = "thread::Lock";
    const VERSION: &'static str = "thread";
    fn make() -> Result<Self, Error> {
        Ok(twinsync::thread::Lock::new())
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl LockSubject for twinsync::process::Lock {
    const NAME: &'static str = "process::Lock";
    const VERSION: &'static str = "process";
    fn make() -> Result<Self, Error> {
        twinsync::process::Lock::new()
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl SharedLockSubject for twinsync::process::Lock {
    fn create_named(name: &str) -> Result<Self, Error> {
        twinsync::process::Lock::create(name)
    }
    fn open_named(name: &str) -> Result<Self, Error> {
        twinsync::process::Lock::open(name)
    }
}

/// A subject, type-erased: its labels and the monomorphised driver entry points.
#[derive(Clone, Copy)]
pub struct Subject {
    /// [`LockSubject::NAME`].
    pub name: &'static str,
    /// [`LockSubject::VERSION`].
    pub version: &'static str,
    /// [`LockSubject::CONTROL`].
    pub control: Option<Control>,
    pub(crate) entry: drivers::Entries,
}

impl Subject {
    /// A subject for the in-process drivers only.
    pub fn local<L: LockSubject>() -> Subject {
        Subject {
            name: L::NAME,
            version: L::VERSION,
            control: L::CONTROL,
            entry: drivers::Entries::local::<L>(),
        }
    }

    /// A subject for every driver, the real-process one included.
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    pub fn shared<L: SharedLockSubject>() -> Subject {
        Subject {
            entry: drivers::Entries::shared::<L>(),
            ..Subject::local::<L>()
        }
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
            .finish_non_exhaustive()
    }
}

/// The built-in subjects: twinsync's own Locks (both versions in a normal build, the thread
/// version under a checker) and the negative controls.
pub fn builtin() -> Vec<Subject> {
    use crate::controls::{ForgetfulWake, LaxRelease, RelaxedRelease, SplitAcquire};
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    return vec![
        Subject::local::<twinsync::thread::Lock>(),
        Subject::shared::<twinsync::process::Lock>(),
        Subject::shared::<ForgetfulWake>(),
        Subject::shared::<SplitAcquire>(),
        Subject::shared::<LaxRelease>(),
        Subject::shared::<RelaxedRelease>(),
    ];
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    return vec![
        Subject::local::<twinsync::thread::Lock>(),
        Subject::local::<ForgetfulWake>(),
        Subject::local::<SplitAcquire>(),
        Subject::local::<LaxRelease>(),
        Subject::local::<RelaxedRelease>(),
    ];
}

/// Finds a built-in subject by name.
pub fn by_name(name: &str) -> Option<Subject> {
    builtin().into_iter().find(|s| s.name == name)
}
