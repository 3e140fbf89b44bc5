//! `thread::Semaphore`.

use std::fmt;

use crate::algo::semaphore::{SemaphoreState, VALUE_MAX};
use crate::api::impl_semaphore_api;
use crate::sync::futex::Scope;
use crate::Error;

/// A Semaphore for threads of one process. Methods: [`SemaphoreApi`](crate::SemaphoreApi).
///
/// Its value may grow up to [`VALUE_MAX`] (`i32::MAX`); a release past it is
/// [`Error::TooManyReleases`].
///
/// ```
/// use std::sync::Arc;
/// use twinsync::{thread::Semaphore, SemaphoreApi};
///
/// let sem = Arc::new(Semaphore::new(0).unwrap());
/// let s2 = Arc::clone(&sem);
/// let t = std::thread::spawn(move || s2.acquire()); // waits for the release below
/// sem.release(1).unwrap();
/// t.join().unwrap();
/// assert_eq!(sem.value(), 0);
/// ```
pub struct Semaphore {
    state: SemaphoreState,
}

impl Semaphore {
    /// A semaphore holding `value` tokens (Python's `Semaphore(value)`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `value` exceeds [`VALUE_MAX`].
    pub fn new(value: u32) -> Result<Self, Error> {
        Ok(Semaphore {
            state: SemaphoreState::new(value, VALUE_MAX)?,
        })
    }

    fn semaphore_state(&self) -> &SemaphoreState {
        &self.state
    }
}

impl_semaphore_api!(Semaphore, Scope::Private);

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("thread::Semaphore")
            .field("value", &self.state.value())
            .finish()
    }
}
