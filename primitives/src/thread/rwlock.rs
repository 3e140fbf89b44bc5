//! `thread::RwLock`.

use std::fmt;

use crate::algo::rwlock::RwLockState;
use crate::api::impl_rwlock_api;
use crate::sync::futex::Scope;

/// An RwLock for threads of one process. Methods: [`RwLockApi`](crate::RwLockApi).
///
/// ```
/// use std::sync::Arc;
/// use twinsync::{thread::RwLock, RwLockApi};
///
/// let lock = Arc::new(RwLock::new());
/// let l2 = Arc::clone(&lock);
/// let reader = lock.read();
/// let t = std::thread::spawn(move || l2.read().lock().readers()); // readers share
/// assert_eq!(t.join().unwrap(), 2);
/// drop(reader);
/// ```
#[derive(Default)]
pub struct RwLock {
    state: RwLockState,
}

impl RwLock {
    /// A free lock.
    pub fn new() -> Self {
        RwLock {
            state: RwLockState::new(),
        }
    }

    /// The id of the thread that took the write lock, or `None` when no writer holds it.
    pub fn writer(&self) -> Option<u32> {
        self.state.writer()
    }

    fn rwlock_state(&self) -> &RwLockState {
        &self.state
    }
}

impl_rwlock_api!(RwLock, Scope::Private);

impl fmt::Debug for RwLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("thread::RwLock")
            .field("readers", &self.state.readers())
            .field("write_locked", &self.state.write_locked())
            .finish()
    }
}
