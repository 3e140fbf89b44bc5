//! Process versions: state in shared memory, shared futexes.
//!
//! Each primitive lives in a [`Shared`] segment: anonymous (`new`, inherited by children
//! created with `fork`) or named (`create` / `open`, for unrelated processes, or for children
//! started with the spawn method). A named segment begins with a checked [header](Header).

mod barrier;
mod condition;
mod event;
mod lock;
mod rlock;
mod rwlock;
mod semaphore;
mod shared;

pub use barrier::Barrier;
pub use condition::{Condition, ProcessLock};
pub use event::Event;
pub use lock::Lock;
pub use rlock::RLock;
pub use rwlock::RwLock;
pub use semaphore::{BoundedSemaphore, Semaphore};
mod codec;
mod pipe;
mod queue;
mod ring;

pub use codec::{Codec, Postcard, Raw};
pub use pipe::{Connection, Pipe};
pub use queue::Queue;
pub use ring::MAX_MESSAGE;
pub use shared::{Header, Shared, ShmSafe, ABI_VERSION, HEADER_SIZE, MAGIC};

/// Kind tag of a Lock segment (`b"LOCK"`).
pub const KIND_LOCK: u32 = u32::from_be_bytes(*b"LOCK");
/// Kind tag of an RLock segment (`b"RLCK"`).
pub const KIND_RLOCK: u32 = u32::from_be_bytes(*b"RLCK");
/// Kind tag of a Condition segment (`b"COND"`).
pub const KIND_CONDITION: u32 = u32::from_be_bytes(*b"COND");
/// Kind tag of a Semaphore segment (`b"SEMA"`).
pub const KIND_SEMAPHORE: u32 = u32::from_be_bytes(*b"SEMA");
/// Kind tag of a BoundedSemaphore segment (`b"BSEM"`).
pub const KIND_BOUNDED_SEMAPHORE: u32 = u32::from_be_bytes(*b"BSEM");
/// Kind tag of an Event segment (`b"EVNT"`).
pub const KIND_EVENT: u32 = u32::from_be_bytes(*b"EVNT");
/// Kind tag of a Barrier segment (`b"BARR"`).
pub const KIND_BARRIER: u32 = u32::from_be_bytes(*b"BARR");
/// Kind tag of an RwLock segment (`b"RWLK"`).
pub const KIND_RWLOCK: u32 = u32::from_be_bytes(*b"RWLK");
/// Kind tag of a Queue segment (`b"QUEU"`).
pub const KIND_QUEUE: u32 = u32::from_be_bytes(*b"QUEU");
/// Kind tag of a Pipe segment (`b"PIPE"`).
pub const KIND_PIPE: u32 = u32::from_be_bytes(*b"PIPE");
/// Kind tag of a segment holding a user type (`b"USER"`).
pub const KIND_USER: u32 = u32::from_be_bytes(*b"USER");

pub use crate::error::kind_name;
pub use crate::sys::shm::{unique_name, unlink};
