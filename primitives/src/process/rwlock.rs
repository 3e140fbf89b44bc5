//! `process::RwLock`.

use std::fmt;

use super::{Shared, ShmSafe, KIND_RWLOCK};
use crate::algo::rwlock::RwLockState;
use crate::api::impl_rwlock_api;
use crate::sync::futex::Scope;
use crate::Error;

// SAFETY: RwLockState is `#[repr(C)]`, three AtomicU32, valid at any address (zeroed = free),
// no pointers, no destructor; mutated only atomically.
unsafe impl ShmSafe for RwLockState {
    const KIND: u32 = KIND_RWLOCK;
}

/// An RwLock shared between processes. Methods: [`RwLockApi`](crate::RwLockApi).
///
/// Between a parent and children created with `fork`, make it with [`RwLock::new`] before
/// forking; between unrelated processes (or spawned children), one calls
/// [`RwLock::create`] and the others [`RwLock::open`].
///
/// ```
/// use twinsync::{process::RwLock, RwLockApi};
///
/// let name = twinsync::process::unique_name("doc-rwlock").unwrap();
/// let a = RwLock::create(&name).unwrap();
/// let b = RwLock::open(&name).unwrap();    // in another process, typically
/// let _r = a.read();
/// assert_eq!(b.readers(), 1);
/// assert!(!b.try_acquire_write());
/// twinsync::process::unlink(&name).unwrap();
/// ```
pub struct RwLock {
    shared: Shared<RwLockState>,
}

impl RwLock {
    /// A free lock in an anonymous shared mapping, inherited by children created with `fork`.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when the mapping cannot be made.
    pub fn new() -> Result<Self, Error> {
        Ok(RwLock {
            shared: Shared::new(RwLockState::new())?,
        })
    }

    /// A free lock in a new named segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// As [`Shared::create`].
    pub fn create(name: &str) -> Result<Self, Error> {
        Ok(RwLock {
            shared: Shared::create(name, RwLockState::new())?,
        })
    }

    /// Attaches to the lock in the named segment `name`. See [`Shared::open`].
    ///
    /// # Errors
    ///
    /// As [`Shared::open`]; a segment holding another primitive is refused with
    /// [`SegmentError::WrongKind`](crate::SegmentError::WrongKind).
    pub fn open(name: &str) -> Result<Self, Error> {
        Ok(RwLock {
            shared: Shared::open(name)?,
        })
    }

    /// The segment's name, `None` for an anonymous lock.
    pub fn name(&self) -> Option<&str> {
        self.shared.name()
    }

    /// The id (kernel TID) of the thread that took the write lock, or `None` when no writer
    /// holds it.
    pub fn writer(&self) -> Option<u32> {
        self.shared.writer()
    }

    fn rwlock_state(&self) -> &RwLockState {
        &self.shared
    }
}

impl_rwlock_api!(RwLock, Scope::Shared);

impl fmt::Debug for RwLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("process::RwLock")
            .field("name", &self.shared.name())
            .field("readers", &self.shared.readers())
            .field("write_locked", &self.shared.write_locked())
            .finish()
    }
}
