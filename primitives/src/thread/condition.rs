//! `thread::Condition`.

use std::fmt;

use super::RLock;
use crate::algo::condition::ConditionState;
use crate::api::impl_condition_api;
use crate::sync::futex::Scope;
use crate::ConditionLock;

/// A condition variable for threads of one process, over a lock `L`: a
/// [`thread::RLock`](RLock) by default, a [`thread::Lock`](super::Lock), or a reference or
/// `Arc` to one (to share a lock between conditions). Methods:
/// [`ConditionApi`](crate::ConditionApi).
///
/// ```
/// use std::collections::VecDeque;
/// use std::sync::Mutex;
/// use twinsync::{thread::{Condition, Lock}, ConditionApi};
///
/// let cond = Condition::with_lock(Lock::new());
/// let queue = Mutex::new(VecDeque::new());
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         let _g = cond.guard();
///         queue.lock().unwrap().push_back(42);
///         cond.notify(1).unwrap();
///     });
///     let _g = cond.guard();
///     while queue.lock().unwrap().is_empty() {
///         cond.wait().unwrap();
///     }
/// });
/// assert_eq!(queue.lock().unwrap().pop_front(), Some(42));
/// ```
pub struct Condition<L = RLock> {
    state: ConditionState,
    lock: L,
}

impl Condition<RLock> {
    /// A condition over a new [`RLock`] (Python's default).
    pub fn new() -> Self {
        Condition::with_lock(RLock::new())
    }
}

impl Default for Condition<RLock> {
    fn default() -> Self {
        Condition::new()
    }
}

impl<L: ConditionLock> Condition<L> {
    /// A condition over `lock`.
    pub fn with_lock(lock: L) -> Self {
        Condition {
            state: ConditionState::new(),
            lock,
        }
    }

    fn condition_state(&self) -> &ConditionState {
        &self.state
    }
}

impl_condition_api!(Condition<L: ConditionLock>, Scope::Private);

impl<L: fmt::Debug> fmt::Debug for Condition<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("thread::Condition")
            .field("lock", &self.lock)
            .finish_non_exhaustive()
    }
}
