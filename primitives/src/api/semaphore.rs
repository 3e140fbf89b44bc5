//! [`SemaphoreApi`], its guard, and the macro that implements it for both versions of
//! Semaphore and BoundedSemaphore.

use std::fmt;
use std::time::Duration;

use crate::Error;

/// A counting semaphore with Python `threading.Semaphore` / `BoundedSemaphore` semantics.
///
/// * The value is never negative: [`acquire`](Self::acquire) takes a token, waiting while
///   there is none; [`release`](Self::release)`(n)` adds `n` tokens and lets up to `n` waiting
///   acquirers proceed.
/// * The value never exceeds [`max_value`](Self::max_value): for a Semaphore the global
///   [`VALUE_MAX`](crate::algo::semaphore::VALUE_MAX) (`i32::MAX`, Linux's `SEM_VALUE_MAX`),
///   for a BoundedSemaphore its initial value. A release that would go past it is
///   [`Error::TooManyReleases`] and changes nothing.
/// * Anyone may release, not only a thread (or process) that acquired.
///
/// Implemented by [`thread::Semaphore`](crate::thread::Semaphore),
/// [`thread::BoundedSemaphore`](crate::thread::BoundedSemaphore),
/// [`process::Semaphore`](crate::process::Semaphore) and
/// [`process::BoundedSemaphore`](crate::process::BoundedSemaphore); so can your own type, to
/// run it through `twinsync-conformance`.
///
/// ```
/// use std::time::Duration;
/// use twinsync::{thread::Semaphore, Error, SemaphoreApi};
///
/// let sem = Semaphore::new(2).unwrap();
/// sem.acquire();
/// assert!(sem.try_acquire());
/// assert_eq!(sem.value(), 0);
/// assert!(!sem.acquire_timeout(Duration::from_millis(1)).unwrap());
/// sem.release(3).unwrap();                                 // wakes up to 3 waiters
/// assert!(matches!(sem.release(0), Err(Error::InvalidArgument { .. })));
/// assert_eq!(sem.value(), 3);
/// {
///     let _guard = sem.acquire_guard();                    // releases 1 on drop
///     assert_eq!(sem.value(), 2);
/// }
/// assert_eq!(sem.value(), 3);
/// ```
pub trait SemaphoreApi {
    /// Takes a token, waiting as long as it takes.
    fn acquire(&self);

    /// Takes a token if one is free; returns whether it did. Never waits.
    fn try_acquire(&self) -> bool;

    /// Takes a token, waiting at most `timeout`; returns whether it did. A zero timeout is a
    /// single try.
    ///
    /// # Errors
    ///
    /// [`Error::TimeoutTooLarge`] when `timeout` exceeds [`TIMEOUT_MAX`](crate::TIMEOUT_MAX).
    fn acquire_timeout(&self, timeout: Duration) -> Result<bool, Error>;

    /// Adds `n` tokens and wakes up to `n` waiting acquirers (Python's `release(n)`).
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`] when `n` is 0;
    /// * [`Error::TooManyReleases`] when the value would exceed
    ///   [`max_value`](Self::max_value). The whole release is checked at once: nothing changes
    ///   then, not even part of `n`.
    fn release(&self, n: u32) -> Result<(), Error>;

    /// The number of free tokens (a snapshot).
    fn value(&self) -> u32;

    /// The largest value the semaphore may hold.
    fn max_value(&self) -> u32;

    /// Takes a token and returns a guard that releases it on drop.
    fn acquire_guard(&self) -> SemaphoreGuard<'_, Self> {
        self.acquire();
        SemaphoreGuard { sem: self }
    }

    /// Takes a token if one is free, returning a guard. A failed attempt changes nothing.
    fn try_acquire_guard(&self) -> Option<SemaphoreGuard<'_, Self>> {
        self.try_acquire().then(|| SemaphoreGuard { sem: self })
    }

    /// Takes a token within `timeout`, returning a guard, or `None` on timeout.
    ///
    /// # Errors
    ///
    /// As [`SemaphoreApi::acquire_timeout`].
    fn acquire_guard_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Option<SemaphoreGuard<'_, Self>>, Error> {
        Ok(self
            .acquire_timeout(timeout)?
            .then(|| SemaphoreGuard { sem: self }))
    }
}

/// Releases one token when dropped.
///
/// If someone else released the semaphore up to its maximum meanwhile, the guard's release
/// fails with [`Error::TooManyReleases`]; that error is ignored (a destructor must not panic),
/// and the value stays at the maximum.
///
/// ```
/// use twinsync::{thread::Semaphore, SemaphoreApi};
/// let sem = Semaphore::new(1).unwrap();
/// let guard = sem.acquire_guard();
/// assert_eq!(guard.semaphore().value(), 0);
/// drop(guard);
/// assert_eq!(sem.value(), 1);
/// ```
#[must_use = "if unused the token is released at once"]
#[clippy::has_significant_drop]
pub struct SemaphoreGuard<'a, S: SemaphoreApi + ?Sized> {
    sem: &'a S,
}

impl<S: SemaphoreApi + ?Sized> SemaphoreGuard<'_, S> {
    /// The semaphore this guard holds a token of.
    pub fn semaphore(&self) -> &S {
        self.sem
    }
}

impl<S: SemaphoreApi + ?Sized> Drop for SemaphoreGuard<'_, S> {
    fn drop(&mut self) {
        let _ = self.sem.release(1);
    }
}

impl<S: SemaphoreApi + ?Sized> fmt::Debug for SemaphoreGuard<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard").finish_non_exhaustive()
    }
}

/// Implements [`SemaphoreApi`] for a type with a
/// `fn semaphore_state(&self) -> &SemaphoreState` and a scope, so that every version shares
/// every line of it.
macro_rules! impl_semaphore_api {
    ($ty:ty, $scope:expr) => {
        impl $crate::SemaphoreApi for $ty {
            #[inline]
            fn acquire(&self) {
                self.semaphore_state().acquire(None, $scope);
            }
            #[inline]
            fn try_acquire(&self) -> bool {
                self.semaphore_state().try_acquire()
            }
            fn acquire_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<bool, $crate::Error> {
                let deadline = $crate::sys::time::Deadline::after(timeout)?;
                Ok(self.semaphore_state().acquire(Some(&deadline), $scope))
            }
            #[inline]
            fn release(&self, n: u32) -> ::std::result::Result<(), $crate::Error> {
                self.semaphore_state().release(n, $scope)
            }
            #[inline]
            fn value(&self) -> u32 {
                self.semaphore_state().value()
            }
            #[inline]
            fn max_value(&self) -> u32 {
                self.semaphore_state().max_value()
            }
        }
    };
}
pub(crate) use impl_semaphore_api;
