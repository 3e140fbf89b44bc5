//! Algorithms, one file per primitive, each written once against [`crate::sync`].
//!
//! A state type here is `#[repr(C)]`, holds no pointers and works at any address, so the same
//! value serves the thread version (on the heap) and the process version (in a shared
//! mapping). The version passes only the futex [`Scope`](crate::sync::futex::Scope). No file
//! here contains an `unsafe` block or a system call.

pub mod barrier;
pub mod condition;
pub mod event;
pub mod lock;
pub mod pipe;
pub mod queue;
pub mod rlock;
pub mod rwlock;
pub mod semaphore;
pub mod signal;
