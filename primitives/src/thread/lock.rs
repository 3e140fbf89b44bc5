//! `thread::Lock`.

use std::fmt;

use crate::algo::lock::LockState;
use crate::api::impl_lock_api;
use crate::sync::futex::Scope;

/// A Lock for threads of one process. Methods: [`LockApi`](crate::LockApi).
///
/// ```
/// use std::sync::Arc;
/// use twinsync::{thread::Lock, LockApi};
///
/// let lock = Arc::new(Lock::new());
/// let l2 = Arc::clone(&lock);
/// let t = std::thread::spawn(move || {
///     let _g = l2.lock();
/// });
/// t.join().unwrap();
/// assert!(!lock.locked());
/// ```
#[derive(Default)]
pub struct Lock {
    state: LockState,
}

impl Lock {
    /// A free lock.
    pub fn new() -> Self {
        Lock {
            state: LockState::new(),
        }
    }

    fn lock_state(&self) -> &LockState {
        &self.state
    }
}

impl_lock_api!(Lock, Scope::Private);
crate::api::impl_condition_lock!(lock: Lock, Scope::Private);

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("thread::Lock")
            .field("locked", &self.state.locked())
            .finish()
    }
}
