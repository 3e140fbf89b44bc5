//! The built-in [`Family`](crate::family::Family) markers, one module per primitive. Each
//! module also makes twinsync's own types [`Testable`](crate::subject::Testable).

mod lock;
mod rwlock;

pub use lock::LockFamily;
pub use rwlock::RwLockFamily;
