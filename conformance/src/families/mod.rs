//! The built-in [`Family`](crate::family::Family) markers, one module per primitive. Each
//! module also makes twinsync's own types [`Testable`](crate::subject::Testable).

mod barrier;
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
pub use lock::LockFamily;
pub use pipe::{PipeFamily, Pipes};
pub use queue::QueueFamily;
pub use rlock::RLockFamily;
pub use rwlock::RwLockFamily;
pub use semaphore::{BoundedSemaphoreFamily, SemFamily, SemaphoreFamily};
