//! [`LockApi`], its guard, and the macro that implements it for both versions.

use std::fmt;
use std::time::Duration;

use crate::Error;

/// A mutual-exclusion lock with Python `threading.Lock` semantics.
///
/// * Not reentrant: a second acquire by the holder blocks (and `try_acquire` fails).
/// * A held lock may be released by any thread (or, for the process version, any process),
///   not only by the one that acquired it.
/// * Releasing a lock that is not held is an error ([`Error::NotHeld`]).
///
/// Both [`thread::Lock`](crate::thread::Lock) and [`process::Lock`](crate::process::Lock)
/// implement it; so can your own type, to run it through `twinsync-conformance`.
///
/// ```
/// use std::time::Duration;
/// use twinsync::{thread::Lock, LockApi};
///
/// let lock = Lock::new();
/// lock.acquire();
/// assert!(lock.locked());
/// assert!(!lock.try_acquire());                                  // not reentrant
/// assert!(!lock.acquire_timeout(Duration::from_millis(1)).unwrap());
/// lock.release().unwrap();
/// {
///     let _guard = lock.lock();                                  // RAII form
///     assert!(lock.locked());
/// }
/// assert!(!lock.locked());
/// ```
pub trait LockApi {
    /// Acquires the lock, waiting as long as it takes.
    fn acquire(&self);

    /// Acquires the lock if it is free; returns whether it did. Never waits.
    fn try_acquire(&self) -> bool;

    /// Acquires the lock, waiting at most `timeout`; returns whether it did.
    /// A zero timeout is a single try.
    ///
    /// # Errors
    ///
    /// [`Error::TimeoutTooLarge`] when `timeout` exceeds [`TIMEOUT_MAX`](crate::TIMEOUT_MAX).
    fn acquire_timeout(&self, timeout: Duration) -> Result<bool, Error>;

    /// Releases the lock.
    ///
    /// # Errors
    ///
    /// [`Error::NotHeld`] when the lock is not held; nothing changes then.
    fn release(&self) -> Result<(), Error>;

    /// Whether the lock is currently held by anyone (a snapshot).
    fn locked(&self) -> bool;

    /// Acquires and returns a guard that releases on drop.
    fn lock(&self) -> LockGuard<'_, Self> {
        self.acquire();
        LockGuard { lock: self }
    }

    /// Acquires if free, returning a guard. A failed attempt leaves the lock as it was.
    fn try_lock(&self) -> Option<LockGuard<'_, Self>> {
        self.try_acquire().then(|| LockGuard { lock: self })
    }

    /// Acquires within `timeout`, returning a guard, or `None` on timeout.
    ///
    /// # Errors
    ///
    /// As [`LockApi::acquire_timeout`].
    fn lock_timeout(&self, timeout: Duration) -> Result<Option<LockGuard<'_, Self>>, Error> {
        Ok(self
            .acquire_timeout(timeout)?
            .then(|| LockGuard { lock: self }))
    }
}

/// Releases the lock when dropped.
///
/// Because a Lock may be released by anyone, a guard whose lock was already released by
/// someone else finds it free on drop; that release error is ignored (a destructor must not
/// panic).
///
/// ```
/// use twinsync::{thread::Lock, LockApi};
/// let lock = Lock::new();
/// let guard = lock.lock();
/// drop(guard);
/// assert!(!lock.locked());
/// ```
#[must_use = "if unused the lock is released at once"]
#[clippy::has_significant_drop]
pub struct LockGuard<'a, L: LockApi + ?Sized> {
    lock: &'a L,
}

impl<L: LockApi + ?Sized> LockGuard<'_, L> {
    /// The lock this guard holds.
    pub fn lock(&self) -> &L {
        self.lock
    }
}

impl<L: LockApi + ?Sized> Drop for LockGuard<'_, L> {
    fn drop(&mut self) {
        let _ = self.lock.release();
    }
}

impl<L: LockApi + ?Sized> fmt::Debug for LockGuard<'_, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").finish_non_exhaustive()
    }
}

/// Implements [`LockApi`] for a type with a `fn lock_state(&self) -> &LockState` and a scope,
/// so that both versions share every line of it.
macro_rules! impl_lock_api {
    ($ty:ty, $scope:expr) => {
        impl $crate::LockApi for $ty {
            #[inline]
            fn acquire(&self) {
                self.lock_state().acquire(None, $scope);
            }
            #[inline]
            fn try_acquire(&self) -> bool {
                self.lock_state().try_acquire()
            }
            fn acquire_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<bool, $crate::Error> {
                let deadline = $crate::sys::time::Deadline::after(timeout)?;
                Ok(self.lock_state().acquire(Some(&deadline), $scope))
            }
            #[inline]
            fn release(&self) -> ::std::result::Result<(), $crate::Error> {
                self.lock_state().release($scope)
            }
            #[inline]
            fn locked(&self) -> bool {
                self.lock_state().locked()
            }
        }
    };
}
pub(crate) use impl_lock_api;
