//! `process::Condition`.

use std::fmt;
use std::sync::Arc;

use super::{Lock, RLock, Shared, ShmSafe, KIND_CONDITION};
use crate::algo::condition::ConditionState;
use crate::api::impl_condition_api;
use crate::sync::futex::Scope;
use crate::{ConditionLock, Error};

// SAFETY: ConditionState is `#[repr(C)]`, one AtomicU64 and five AtomicU32 (no pointers),
// valid at any address, no destructor, mutated only atomically.
unsafe impl ShmSafe for ConditionState {
    const KIND: u32 = KIND_CONDITION;
}

/// A lock whose state lives in shared memory, so that a [`process::Condition`](Condition)
/// over it works between processes: [`process::Lock`](Lock), [`process::RLock`](RLock), or a
/// reference or `Arc` to one. (A thread version's lock would be copied by `fork` and never
/// seen by another process; this bound turns that mistake into a compile error.)
///
/// ```compile_fail,E0277
/// // A thread Lock under a process Condition does not compile.
/// let c = twinsync::process::Condition::with_lock(twinsync::thread::Lock::new());
/// ```
pub trait ProcessLock: ConditionLock {}

impl ProcessLock for Lock {}
impl ProcessLock for RLock {}
impl<L: ProcessLock + ?Sized> ProcessLock for &L {}
impl<L: ProcessLock + ?Sized> ProcessLock for Arc<L> {}

/// A condition variable shared between processes, over a process lock `L`: a
/// [`process::RLock`](RLock) by default, or a [`process::Lock`](Lock). Methods:
/// [`ConditionApi`](crate::ConditionApi).
///
/// The condition's state and its lock are two segments. Between a parent and children
/// created with `fork`, make both before forking ([`Condition::new`] or
/// [`Condition::with_lock`]). Between unrelated processes, name both: one process creates
/// the lock and [`Condition::create`]s the condition over it, the others open the lock and
/// [`Condition::open`] the condition over that; every process must use the same lock.
///
/// ```
/// use twinsync::process::{self, Condition, RLock};
/// use twinsync::ConditionApi;
///
/// let (cname, lname) = (process::unique_name("doc-cond").unwrap(), process::unique_name("doc-cond-lock").unwrap());
/// let a = Condition::create(&cname, RLock::create(&lname).unwrap()).unwrap();
/// let b = Condition::open(&cname, RLock::open(&lname).unwrap()).unwrap(); // elsewhere, typically
/// let _g = a.guard();
/// assert!(!a.wait_timeout(std::time::Duration::from_millis(1)).unwrap()); // nobody notifies
/// b.notify_all().unwrap();                                            // same thread holds the lock
/// process::unlink(&cname).unwrap();
/// process::unlink(&lname).unwrap();
/// ```
pub struct Condition<L = RLock> {
    shared: Shared<ConditionState>,
    lock: L,
}

impl Condition<RLock> {
    /// A condition over a new anonymous [`RLock`], both in anonymous shared mappings
    /// (inherited by children created with `fork`).
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when a mapping cannot be made.
    pub fn new() -> Result<Self, Error> {
        Condition::with_lock(RLock::new()?)
    }
}

impl<L: ProcessLock> Condition<L> {
    /// A condition over `lock`, its state in an anonymous shared mapping (inherited by
    /// children created with `fork`).
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when the mapping cannot be made.
    pub fn with_lock(lock: L) -> Result<Self, Error> {
        Ok(Condition {
            shared: Shared::new(ConditionState::new())?,
            lock,
        })
    }

    /// A condition over `lock`, its state in a new named segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// As [`Shared::create`].
    pub fn create(name: &str, lock: L) -> Result<Self, Error> {
        Ok(Condition {
            shared: Shared::create(name, ConditionState::new())?,
            lock,
        })
    }

    /// Attaches to the condition in the named segment `name`, over `lock` (which must be the
    /// lock the creator used, opened in this process). See [`Shared::open`].
    ///
    /// # Errors
    ///
    /// As [`Shared::open`]; a segment holding another primitive is refused with
    /// [`SegmentError::WrongKind`](crate::SegmentError::WrongKind).
    pub fn open(name: &str, lock: L) -> Result<Self, Error> {
        Ok(Condition {
            shared: Shared::open(name)?,
            lock,
        })
    }

    /// The condition segment's name, `None` for an anonymous one (the lock has its own).
    pub fn name(&self) -> Option<&str> {
        self.shared.name()
    }

    fn condition_state(&self) -> &ConditionState {
        &self.shared
    }
}

impl_condition_api!(Condition<L: ProcessLock>, Scope::Shared);

impl<L: fmt::Debug> fmt::Debug for Condition<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("process::Condition")
            .field("name", &self.shared.name())
            .field("lock", &self.lock)
            .finish_non_exhaustive()
    }
}
