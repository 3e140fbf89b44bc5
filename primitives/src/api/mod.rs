//! One trait per primitive: the method set that `thread::X` and `process::X` share, that the
//! conformance suite drives, and that your own implementation can provide.
//!
//! Each file here holds one primitive's trait, its guards, and a crate-private
//! `impl_<primitive>_api!` macro that implements the trait for a type exposing the
//! primitive's algorithm state, so that the thread and process versions share every line of
//! it and differ only in the futex scope they pass.

mod barrier;
mod condition;
mod event;
mod lock;
mod pipe;
mod queue;
mod rlock;
mod rwlock;
mod semaphore;

pub(crate) use barrier::{impl_barrier_api, BarrierLocal};
pub use barrier::{BarrierApi, BarrierFn};
pub(crate) use condition::{impl_condition_api, impl_condition_lock};
pub use condition::{ConditionApi, ConditionGuard, ConditionLock};
pub(crate) use event::impl_event_api;
pub use event::EventApi;
pub(crate) use lock::impl_lock_api;
pub use lock::{LockApi, LockGuard};
pub(crate) use pipe::impl_connection_api;
pub use pipe::ConnectionApi;
pub(crate) use queue::{impl_queue_api, Ring};
pub use queue::{PutError, QueueApi};
pub(crate) use rlock::impl_rlock_api;
pub use rlock::{RLockApi, RLockGuard};
pub(crate) use rwlock::impl_rwlock_api;
pub use rwlock::{ReadGuard, RwLockApi, WriteGuard};
pub(crate) use semaphore::impl_semaphore_api;
pub use semaphore::{SemaphoreApi, SemaphoreGuard};
