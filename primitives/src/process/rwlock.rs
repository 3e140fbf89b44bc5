//! `process::RwLock`.

use super::{process_primitive, Shared, ShmSafe, KIND_RWLOCK};
use crate::algo::rwlock::RwLockState;
use crate::api::impl_rwlock_api;
use crate::sync::futex::Scope;
use crate::Error;

// SAFETY: RwLockState is `#[repr(C)]`, three AtomicU32, valid at any address (zeroed = free),
// no pointers, no destructor; mutated only atomically.
unsafe impl ShmSafe for RwLockState {
    const KIND: u32 = KIND_RWLOCK;
}

process_primitive! {
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
    pub struct RwLock(Shared<RwLockState>);
    noun: "lock",
    state: fn rwlock_state() -> &RwLockState;
    /// A free lock in an anonymous shared mapping, inherited by children created with `fork`.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when the mapping cannot be made.
    new() = RwLockState::new();
    /// A free lock in a new named segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// As [`Shared::create`].
    create;
    debug: ["readers": readers, "write_locked": write_locked];
}

impl RwLock {
    /// The id (kernel TID) of the thread that took the write lock, or `None` when no writer
    /// holds it.
    pub fn writer(&self) -> Option<u32> {
        self.shared.writer()
    }
}

impl_rwlock_api!(RwLock, Scope::Shared);
