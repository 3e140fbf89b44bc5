//! One trait per primitive: the method set that `thread::X` and `process::X` share, that the
//! conformance suite drives, and that your own implementation can provide.
//!
//! Each file here holds one primitive's trait, its guards, and a crate-private
//! `impl_<primitive>_api!` macro that implements the trait for a type exposing the
//! primitive's algorithm state, so that the thread and process versions share every line of
//! it and differ only in the futex scope they pass.

mod lock;
mod pipe;
mod queue;

pub(crate) use lock::impl_lock_api;
pub use lock::{LockApi, LockGuard};
pub(crate) use pipe::impl_connection_api;
pub use pipe::ConnectionApi;
pub(crate) use queue::{impl_queue_api, Ring};
pub use queue::{PutError, QueueApi};
