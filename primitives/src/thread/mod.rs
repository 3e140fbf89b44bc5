//! Thread versions: state in ordinary memory, private futexes.
//!
//! Share them between threads with `Arc` or by reference (scoped threads). Each type has the
//! same methods as its process version, through the primitive's trait in the crate root.

mod lock;
mod pipe;
mod queue;
mod ring;

pub use lock::Lock;
pub use pipe::{Connection, Pipe};
pub use queue::Queue;
