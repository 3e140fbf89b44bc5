//! `process::Lock`.

use super::{process_primitive, Shared, ShmSafe, KIND_LOCK};
use crate::algo::lock::LockState;
use crate::api::impl_lock_api;
use crate::sync::futex::Scope;
use crate::Error;

// SAFETY: LockState is `#[repr(C)]`, one AtomicU32, valid at any address, no destructor.
unsafe impl ShmSafe for LockState {
    const KIND: u32 = KIND_LOCK;
}

process_primitive! {
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
    pub struct Lock(Shared<LockState>);
    noun: "lock",
    state: fn lock_state() -> &LockState;
    /// A free lock in an anonymous shared mapping, inherited by children created with `fork`.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when the mapping cannot be made.
    new() = LockState::new();
    /// A free lock in a new named segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// As [`Shared::create`].
    create;
    debug: ["locked": locked];
}

impl Lock {
    /// The id (kernel TID) of the thread that acquired the lock, or `None` if it is free.
    pub fn holder(&self) -> Option<u32> {
        self.shared.holder()
    }
}

impl_lock_api!(Lock, Scope::Shared);
crate::api::impl_condition_lock!(lock: Lock, Scope::Shared);
