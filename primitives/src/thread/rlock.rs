//! `thread::RLock`.

use std::fmt;

use crate::algo::rlock::RLockState;
use crate::api::impl_rlock_api;
use crate::sync::futex::Scope;

/// A reentrant lock for threads of one process. Methods: [`RLockApi`](crate::RLockApi).
///
/// ```
/// use std::sync::Arc;
/// use twinsync::{thread::RLock, RLockApi};
///
/// let lock = Arc::new(RLock::new());
/// let l2 = Arc::clone(&lock);
/// let t = std::thread::spawn(move || {
///     let _outer = l2.lock();
///     let _inner = l2.lock();        // the owner may re-enter
///     assert_eq!(l2.count(), 2);
/// });
/// t.join().unwrap();
/// assert!(!lock.locked());
/// ```
#[derive(Default)]
pub struct RLock {
    state: RLockState,
}

impl RLock {
    /// A free RLock.
    pub fn new() -> Self {
        RLock {
            state: RLockState::new(),
        }
    }

    fn rlock_state(&self) -> &RLockState {
        &self.state
    }
}

impl_rlock_api!(RLock, Scope::Private);
crate::api::impl_condition_lock!(rlock: RLock, Scope::Private);

impl fmt::Debug for RLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("thread::RLock")
            .field("locked", &self.state.locked())
            .field("count", &self.state.count())
            .finish()
    }
}
