//! The built-in [`Family`](crate::family::Family) markers, one module per primitive. Each
//! module also makes twinsync's own types [`Testable`](crate::subject::Testable).

mod barrier;
mod condition;
mod event;
mod lock;
mod pipe;
mod queue;
mod rlock;
mod rwlock;
mod semaphore;

pub use barrier::{
    ActionLog, BarrierFamily, Barriers, Logs, Member, ACTION_FAILURE, DEFAULT_TIMEOUT, FAIL_ERR,
    FAIL_NONE, FAIL_PANIC, FLAW_ARRIVED, FLAW_RELEASED,
};
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub(crate) use condition::lock_name as condition_lock_name;
pub use condition::ConditionFamily;
pub use event::EventFamily;
pub use lock::LockFamily;
pub use pipe::{PipeFamily, Pipes};
pub use queue::QueueFamily;
pub use rlock::RLockFamily;
pub use rwlock::RwLockFamily;
pub use semaphore::{BoundedSemaphoreFamily, SemFamily, SemaphoreFamily};
