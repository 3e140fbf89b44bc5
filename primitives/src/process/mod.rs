//! Process versions: state in shared memory, shared futexes.
//!
//! Each primitive lives in a [`Shared`] segment: anonymous (`new`, inherited by children
//! created with `fork`) or named (`create` / `open`, for unrelated processes, or for children
//! started with the spawn method). A named segment begins with a checked [header](Header).

mod lock;
mod shared;

pub use lock::Lock;
pub use shared::{Header, Shared, ShmSafe, ABI_VERSION, HEADER_SIZE, MAGIC};

/// Kind tag of a Lock segment (`b"LOCK"`).
pub const KIND_LOCK: u32 = u32::from_be_bytes(*b"LOCK");
/// Kind tag of a segment holding a user type (`b"USER"`).
pub const KIND_USER: u32 = u32::from_be_bytes(*b"USER");

pub use crate::error::kind_name;
pub use crate::sys::shm::{unique_name, unlink};
