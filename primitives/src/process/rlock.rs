//! `process::RLock`.

use super::{process_primitive, Shared, ShmSafe, KIND_RLOCK};
use crate::algo::rlock::RLockState;
use crate::api::impl_rlock_api;
use crate::sync::futex::Scope;
use crate::Error;

// SAFETY: RLockState is `#[repr(C)]`, two AtomicU32 (the Lock word and the count), valid at
// any address, no destructor, mutated only atomically.
unsafe impl ShmSafe for RLockState {
    const KIND: u32 = KIND_RLOCK;
}

process_primitive! {
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
    pub struct RLock(Shared<RLockState>);
    noun: "RLock",
    state: fn rlock_state() -> &RLockState;
    /// A free RLock in an anonymous shared mapping, inherited by children created with
    /// `fork`.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when the mapping cannot be made.
    new() = RLockState::new();
    /// A free RLock in a new named segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// As [`Shared::create`].
    create;
    debug: ["locked": locked, "count": count];
}

impl_rlock_api!(RLock, Scope::Shared);
crate::api::impl_condition_lock!(rlock: RLock, Scope::Shared);
