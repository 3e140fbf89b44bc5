//! `thread::Semaphore` and `thread::BoundedSemaphore`: one algorithm state, two maxima.

use std::fmt;

use crate::algo::semaphore::{SemaphoreState, VALUE_MAX};
use crate::api::impl_semaphore_api;
use crate::sync::futex::Scope;
use crate::Error;

/// The state accessor, [`SemaphoreApi`](crate::SemaphoreApi) and `Debug`, for both types.
macro_rules! thread_semaphore {
    ($ty:ident) => {
        impl $ty {
            fn semaphore_state(&self) -> &SemaphoreState {
                &self.state
            }
        }

        impl_semaphore_api!($ty, Scope::Private);

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(concat!("thread::", stringify!($ty)))
                    .field("value", &self.state.value())
                    .field("max", &self.state.max_value())
                    .finish()
            }
        }
    };
}

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
}

thread_semaphore!(Semaphore);

/// A BoundedSemaphore for threads of one process: a Semaphore whose value may never exceed
/// its initial value (a release past it is [`Error::TooManyReleases`] and changes nothing).
/// Methods: [`SemaphoreApi`](crate::SemaphoreApi).
///
/// ```
/// use twinsync::{thread::BoundedSemaphore, Error, SemaphoreApi};
///
/// let pool = BoundedSemaphore::new(2).unwrap();    // two connections, say
/// let a = pool.acquire_guard();
/// let b = pool.acquire_guard();
/// assert!(pool.try_acquire_guard().is_none());
/// drop((a, b));
/// assert!(matches!(pool.release(1), Err(Error::TooManyReleases { max: 2 })));
/// assert_eq!(pool.value(), 2);
/// ```
pub struct BoundedSemaphore {
    state: SemaphoreState,
}

impl BoundedSemaphore {
    /// A bounded semaphore holding `value` tokens, and at most `value` (Python's
    /// `BoundedSemaphore(value)`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `value` exceeds [`VALUE_MAX`].
    pub fn new(value: u32) -> Result<Self, Error> {
        Ok(BoundedSemaphore {
            state: SemaphoreState::new(value, value)?,
        })
    }
}

thread_semaphore!(BoundedSemaphore);
