//! The built-in [`Family`](crate::family::Family) markers, one module per primitive. Each
//! module also makes twinsync's own types [`Testable`](crate::subject::Testable).

mod condition;
mod event;
mod lock;

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub(crate) use condition::lock_name as condition_lock_name;
pub use condition::ConditionFamily;
pub use event::EventFamily;
pub use lock::LockFamily;
