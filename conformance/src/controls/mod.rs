//! Negative controls: deliberately broken implementations that the checkers must reject, one
//! module per primitive.
//!
//! A checker that has never rejected anything is not trusted. Each control is a correct
//! algorithm with one planted bug, written on the `twinsync::sync` facade like the real
//! algorithms (so loom and shuttle see its atomics and its emulated, blocking futex), with a
//! `#[repr(C)]` [`ShmSafe`](twinsync::process::ShmSafe) state (so the real-process driver
//! places it in shared memory). Its [`Control`](crate::subject::Control) says which clauses
//! must fail for it to count as rejected.

pub mod barrier;
pub mod condition;
pub mod event;
pub mod lock;
pub mod pipe;
pub mod queue;
pub mod rlock;
pub mod rwlock;
pub mod semaphore;

pub use barrier::{EarlyTrip, LateSeq, NoGenerations, WakeOneTrip};
pub use condition::{NotifyAllWakesOne, TimeoutAbsorbs};
pub use event::{FlagOnlyWaiters, SetWakesOne};
pub use lock::{ForgetfulWake, LaxRelease, RelaxedRelease, SplitAcquire};
pub use pipe::{ConsumingPoll, DropEmpty};
pub use queue::{DeafClose, SilentPut, SixWrap};
pub use rlock::{CountlessRelease, ForeignRelease, SilentLastRelease};
pub use rwlock::{LaxReadRelease, SplitReadAcquire, WakeOneReader};
pub use semaphore::{LaxBound, SemSplitAcquire, SplitRelease, WakeOne};

use twinsync::sync::futex::Scope;

/// Where a control's state lives: on the heap (thread scope) or in a shared-memory segment
/// (process scope).
pub(crate) enum Place<T: ControlShm> {
    /// On the heap, for the in-process drivers.
    Local(T),
    /// In a named segment, for the real-process driver.
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    Shared(twinsync::process::Shared<T>),
}

/// A control state that can live in shared memory (in the normal build).
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub(crate) trait ControlShm: twinsync::process::ShmSafe {}
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl<T: twinsync::process::ShmSafe> ControlShm for T {}
/// A control state (no shared memory under a checker).
#[cfg(any(twinsync_loom, twinsync_shuttle))]
pub(crate) trait ControlShm {}
#[cfg(any(twinsync_loom, twinsync_shuttle))]
impl<T> ControlShm for T {}

impl<T: ControlShm> Place<T> {
    /// The state and the futex scope that fits where it lives.
    pub(crate) fn state(&self) -> (&T, Scope) {
        match self {
            Place::Local(s) => (s, Scope::Private),
            #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
            Place::Shared(s) => (s, Scope::Shared),
        }
    }
}
