//! `process::RLock`.

use std::fmt;

use super::{Shared, ShmSafe, KIND_RLOCK};
use crate::algo::rlock::RLockState;
use crate::api::impl_rlock_api;
use crate::sync::futex::Scope;
use crate::Error;

// SAFETY: RLockState is `#[repr(C)]`, two AtomicU32 (the Lock word and the count), valid at
// any address, no destructor, mutated only atomically.
unsafe impl ShmSafe for RLockState {
    const KIND: u32 = KIND_RLOCK;
}

/// A reentrant lock shared between processes. Methods: [`RLockApi`](crate::RLockApi).
///
/// The owner is a thread (its kernel TID names it system-wide): another thread of the owner's
/// process is not the owner, as with `multiprocessing.RLock`. Share it like a
/// [`process::Lock`](crate::process::Lock): [`RLock::new`] before `fork`, or
/// [`RLock::create`] / [`RLock::open`] by name.
///
/// ```
/// use twinsync::{process::RLock, Error, RLockApi};
///
/// let name = twinsync::process::unique_name("doc-rlock").unwrap();
/// let a = RLock::create(&name).unwrap();
/// let b = RLock::open(&name).unwrap();    // in another process, typically
/// a.acquire();
/// a.acquire();
/// assert!(b.locked());
/// assert_eq!(b.count(), 2);               // same thread: it owns the lock through `b` too
/// b.release().unwrap();
/// a.release().unwrap();
/// assert!(!a.locked());
/// assert!(matches!(a.release(), Err(Error::NotOwner)));
/// twinsync::process::unlink(&name).unwrap();
/// ```
pub struct RLock {
    shared: Shared<RLockState>,
}

impl RLock {
    /// A free RLock in an anonymous shared mapping, inherited by children created with
    /// `fork`.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when the mapping cannot be made.
    pub fn new() -> Result<Self, Error> {
        Ok(RLock {
            shared: Shared::new(RLockState::new())?,
        })
    }

    /// A free RLock in a new named segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// As [`Shared::create`].
    pub fn create(name: &str) -> Result<Self, Error> {
        Ok(RLock {
            shared: Shared::create(name, RLockState::new())?,
        })
    }

    /// Attaches to the RLock in the named segment `name`. See [`Shared::open`].
    ///
    /// # Errors
    ///
    /// As [`Shared::open`]; a segment holding another primitive is refused with
    /// [`SegmentError::WrongKind`](crate::SegmentError::WrongKind).
    pub fn open(name: &str) -> Result<Self, Error> {
        Ok(RLock {
            shared: Shared::open(name)?,
        })
    }

    /// The segment's name, `None` for an anonymous RLock.
    pub fn name(&self) -> Option<&str> {
        self.shared.name()
    }

    fn rlock_state(&self) -> &RLockState {
        &self.shared
    }
}

impl_rlock_api!(RLock, Scope::Shared);
crate::api::impl_condition_lock!(rlock: RLock, Scope::Shared);

impl fmt::Debug for RLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("process::RLock")
            .field("name", &self.shared.name())
            .field("locked", &self.shared.locked())
            .field("count", &self.shared.count())
            .finish()
    }
}
