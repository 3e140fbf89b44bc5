//! `thread::Barrier`.

use std::fmt;

use crate::algo::barrier::BarrierState;
use crate::api::{impl_barrier_api, BarrierLocal};
use crate::sync::futex::Scope;
use crate::Error;

/// A Barrier for threads of one process. Methods: [`BarrierApi`](crate::BarrierApi); builders
/// [`with_action`](Barrier::with_action) and [`with_timeout`](Barrier::with_timeout).
///
/// ```
/// use std::sync::Arc;
/// use twinsync::{thread::Barrier, BarrierApi};
///
/// let barrier = Arc::new(Barrier::new(2).unwrap());
/// let b2 = Arc::clone(&barrier);
/// let t = std::thread::spawn(move || b2.wait().unwrap());
/// let mine = barrier.wait().unwrap();
/// assert_eq!(mine + t.join().unwrap(), 1); // indices 0 and 1
/// assert!(Barrier::new(0).is_err());
/// ```
pub struct Barrier {
    state: BarrierState,
    local: BarrierLocal,
}

impl Barrier {
    /// A barrier for `parties` threads, without action or default timeout.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `parties` is 0 or above
    /// [`MAX_PARTIES`](crate::algo::barrier::MAX_PARTIES).
    pub fn new(parties: u32) -> Result<Self, Error> {
        Ok(Barrier {
            state: BarrierState::new(parties)?,
            local: BarrierLocal::default(),
        })
    }

    fn barrier_state(&self) -> &BarrierState {
        &self.state
    }
}

impl_barrier_api!(Barrier, Scope::Private, "thread::Barrier");

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("thread::Barrier")
            .field("parties", &self.state.parties())
            .field("n_waiting", &self.state.n_waiting())
            .field("broken", &self.state.broken())
            .field("local", &self.local)
            .finish()
    }
}
