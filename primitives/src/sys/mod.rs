//! Platform layer: the only module that makes system calls.
//!
//! * [`futex`]: wait with an absolute `CLOCK_MONOTONIC` deadline, wake `n`, wake all, each
//!   with an explicit [`Scope`](futex::Scope).
//! * [`time`]: absolute deadlines that EINTR and spurious wake-ups cannot stretch.
//! * [`tid`]: the kernel thread id of the caller, cached, and reset in a forked child.
//! * [`shm`]: shared-memory regions: anonymous `MAP_SHARED` (inherited by `fork`) and named
//!   (`shm_open`, checked on attach).
//!
//! Nothing above this layer calls `libc` for synchronization; algorithms reach the futex
//! only through [`crate::sync`].

pub mod futex;
pub mod shm;
pub mod tid;
pub mod time;
