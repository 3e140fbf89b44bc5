//! `process::Lock`.

use std::fmt;

use super::{Shared, ShmSafe, KIND_LOCK};
use crate::algo::lock::LockState;
use crate::api::impl_lock_api;
use crate::sync::futex::Scope;
use crate::Error;

// SAFETY: LockState is `#[repr(C)]`, one AtomicU32, valid at any address, no destructor.
unsafe impl ShmSafe for LockState {
    const KIND: u32 = KIND_LOCK;
}

/// A Lock shared between processes. Methods: [`LockApi`](crate::LockApi).
///
/// Between a parent and children created with `fork`, make it with [`Lock::new`] before
/// forking. Between unrelated processes (or children started by the spawn method), one
/// process calls [`Lock::create`] with a name and the others [`Lock::open`] it.
///
/// ```
/// use twinsync::{process::Lock, LockApi};
///
/// let name = twinsync::process::unique_name("doc-lock").unwrap();
/// let a = Lock::create(&name).unwrap();
/// let b = Lock::open(&name).unwrap();    // in another process, typically
/// a.acquire();
/// assert!(b.locked());
/// b.release().unwrap();                  // any process may release a held Lock
/// twinsync::process::unlink(&name).unwrap();
/// ```
pub struct Lock {
    shared: Shared<LockState>,
}

impl Lock {
    /// A free lock in an anonymous shared mapping, inherited by children created with `fork`.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when the mapping cannot be made.
    pub fn new() -> Result<Self, Error> {
        Ok(Lock {
            shared: Shared::new(LockState::new())?,
        })
    }

    /// A free lock in a new named segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// As [`Shared::create`].
    pub fn create(name: &str) -> Result<Self, Error> {
        Ok(Lock {
            shared: Shared::create(name, LockState::new())?,
        })
    }

    /// Attaches to the lock in the named segment `name`. See [`Shared::open`].
    ///
    /// # Errors
    ///
    /// As [`Shared::open`]; a segment holding another primitive is refused with
    /// [`SegmentError::WrongKind`](crate::SegmentError::WrongKind).
    pub fn open(name: &str) -> Result<Self, Error> {
        Ok(Lock {
            shared: Shared::open(name)?,
        })
    }

    /// The segment's name, `None` for an anonymous lock.
    pub fn name(&self) -> Option<&str> {
        self.shared.name()
    }

    /// The id (kernel TID) of the thread that acquired the lock, or `None` if it is free.
    pub fn holder(&self) -> Option<u32> {
        self.shared.holder()
    }

    fn lock_state(&self) -> &LockState {
        &self.shared
    }
}

impl_lock_api!(Lock, Scope::Shared);
crate::api::impl_condition_lock!(lock: Lock, Scope::Shared);

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("process::Lock")
            .field("name", &self.shared.name())
            .field("locked", &self.shared.locked())
            .finish()
    }
}
