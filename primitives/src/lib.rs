//! Synchronization primitives twice over, as Python has them: a **thread** version and a
//! **process** version (state in shared memory, futex-based) with one API.
//!
//! | primitive | thread version | process version | methods |
//! |---|---|---|---|
//! | Lock | [`thread::Lock`] | [`process::Lock`] | [`LockApi`] |
//! | RLock | [`thread::RLock`] | [`process::RLock`] | [`RLockApi`] |
//! | Barrier | [`thread::Barrier`] | [`process::Barrier`] | [`BarrierApi`] |
//! | Semaphore | [`thread::Semaphore`] | [`process::Semaphore`] | [`SemaphoreApi`] |
//! | BoundedSemaphore | [`thread::BoundedSemaphore`] | [`process::BoundedSemaphore`] | [`SemaphoreApi`] |
//! | RwLock | [`thread::RwLock`] | [`process::RwLock`] | [`RwLockApi`] |
//! | Event | [`thread::Event`] | [`process::Event`] | [`EventApi`] |
//! | Condition | [`thread::Condition`] | [`process::Condition`] | [`ConditionApi`] (its lock: [`ConditionLock`]) |
//! | Queue | [`thread::Queue`] | [`process::Queue`] | [`QueueApi`] |
//! | Pipe | [`thread::Pipe`] | [`process::Pipe`] | [`ConnectionApi`] |
//!
//! (More primitives arrive in later releases; each follows the same pattern.)
//!
//! # Layers
//!
//! 1. [`sys`]: the platform: futex with absolute deadlines and an explicit scope, shared
//!    memory, thread ids. The only place with system calls.
//! 2. [`algo`]: each primitive's algorithm, written once against the [`sync`] facade, on a
//!    `#[repr(C)]` pointer-free state that works on the heap or in a shared mapping.
//! 3. [`thread`], [`process`]: the public types. A version chooses only where the state lives
//!    and the futex scope. A trait per primitive ([`LockApi`]) fixes the common method set.
//!
//! Under `--cfg twinsync_loom` or `--cfg twinsync_shuttle` the facade switches to the
//! checker's atomics and a blocking emulated futex, and only the thread versions are built
//! (checkers run in one process).
//!
//! # Example: the same code with either version
//!
//! ```
//! use twinsync::LockApi;
//!
//! fn critical<L: LockApi>(lock: &L, counter: &mut u32) {
//!     let _guard = lock.lock();
//!     *counter += 1;
//! }
//!
//! let mut n = 0;
//! critical(&twinsync::thread::Lock::new(), &mut n);
//! critical(&twinsync::process::Lock::new().unwrap(), &mut n);
//! assert_eq!(n, 2);
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod algo;
mod api;
mod error;
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub mod process;
pub mod sync;
pub mod sys;
pub mod thread;
pub mod worker;

pub use api::EventApi;
pub use api::{BarrierApi, BarrierFn};
pub use api::{ConditionApi, ConditionGuard, ConditionLock};
pub use api::{ConnectionApi, PutError, QueueApi};
pub use api::{LockApi, LockGuard};
pub use api::{RLockApi, RLockGuard};
pub use api::{ReadGuard, RwLockApi, WriteGuard};
pub use api::{SemaphoreApi, SemaphoreGuard};
pub use error::{Error, SegmentError};
pub use sys::time::TIMEOUT_MAX;
