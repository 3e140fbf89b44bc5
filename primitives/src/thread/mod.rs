//! Thread versions: state in ordinary memory, private futexes.
//!
//! Share them between threads with `Arc` or by reference (scoped threads). Each type has the
//! same methods as its process version, through the primitive's trait in the crate root.

mod barrier;
mod condition;
mod event;
mod lock;
mod pipe;
mod queue;
mod ring;
mod rlock;
mod semaphore;

pub use barrier::Barrier;
pub use condition::Condition;
pub use event::Event;
pub use lock::Lock;
pub use rlock::RLock;
pub use semaphore::{BoundedSemaphore, Semaphore};
mod rwlock;

pub use pipe::{Connection, Pipe};
pub use queue::Queue;
pub use rwlock::RwLock;
