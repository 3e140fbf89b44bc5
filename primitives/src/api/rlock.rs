//! [`RLockApi`], its guard, and the macro that implements it for both versions.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use crate::Error;

/// A reentrant lock with Python `threading.RLock` semantics.
///
/// * The thread that holds it (its *owner*) may acquire it again: each acquire adds a level
///   and returns at once; the lock is free when as many releases have followed.
/// * Only the owner may release it; a release by another thread, or of a free RLock, is
///   [`Error::NotOwner`] and changes nothing.
/// * Between different threads (and, for the process version, processes) it excludes like a
///   [Lock](crate::LockApi): never two owners at once.
/// * [`is_owned`](RLockApi::is_owned) and [`count`](RLockApi::count) tell the calling thread
///   whether it owns the lock and at what depth (Python's private `_is_owned()` and
///   `_recursion_count()`).
///
/// Both [`thread::RLock`](crate::thread::RLock) and [`process::RLock`](crate::process::RLock)
/// implement it.
///
/// ```
/// use std::time::Duration;
/// use twinsync::{thread::RLock, Error, RLockApi};
///
/// let lock = RLock::new();
/// lock.acquire();
/// assert!(lock.try_acquire());                        // reentrant
/// assert_eq!(lock.count(), 2);
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         assert!(!lock.is_owned());
///         assert!(!lock.acquire_timeout(Duration::from_millis(1)).unwrap());
///         assert!(matches!(lock.release(), Err(Error::NotOwner)));
///     });
/// });
/// lock.release().unwrap();
/// assert!(lock.locked());                             // one level left
/// lock.release().unwrap();
/// assert!(!lock.locked());
/// {
///     let _outer = lock.lock();
///     let _inner = lock.lock();                       // RAII form, one level each
///     assert_eq!(lock.count(), 2);
/// }
/// assert!(!lock.locked());
/// ```
pub trait RLockApi {
    /// Acquires the lock, waiting as long as another thread holds it. A recursive acquire by
    /// the owner returns at once.
    ///
    /// # Panics
    ///
    /// When the caller already holds `u32::MAX` levels (the count would overflow), as
    /// `std::sync::ReentrantLock` does; nothing changes then.
    fn acquire(&self);

    /// Acquires if the lock is free or owned by the caller; returns whether it did. Never
    /// waits.
    ///
    /// # Panics
    ///
    /// As [`RLockApi::acquire`].
    fn try_acquire(&self) -> bool;

    /// Acquires, waiting at most `timeout` while another thread holds the lock; returns
    /// whether it did. A zero timeout is a single try.
    ///
    /// # Errors
    ///
    /// [`Error::TimeoutTooLarge`] when `timeout` exceeds [`TIMEOUT_MAX`](crate::TIMEOUT_MAX).
    ///
    /// # Panics
    ///
    /// As [`RLockApi::acquire`].
    fn acquire_timeout(&self, timeout: Duration) -> Result<bool, Error>;

    /// Releases one level; the lock becomes free when the last level is released.
    ///
    /// # Errors
    ///
    /// [`Error::NotOwner`] when the caller does not own the lock (another thread holds it, or
    /// nobody does); nothing changes then.
    fn release(&self) -> Result<(), Error>;

    /// Whether the lock is held by anyone (a snapshot).
    fn locked(&self) -> bool;

    /// Whether the calling thread owns the lock.
    fn is_owned(&self) -> bool;

    /// The calling thread's recursion depth: 0 unless it owns the lock.
    fn count(&self) -> u32;

    /// Acquires and returns a guard that releases one level on drop.
    ///
    /// # Panics
    ///
    /// As [`RLockApi::acquire`].
    fn lock(&self) -> RLockGuard<'_, Self> {
        self.acquire();
        RLockGuard::new(self)
    }

    /// Acquires without waiting, returning a guard, or `None` if another thread holds the
    /// lock (which is then left as it was).
    ///
    /// # Panics
    ///
    /// As [`RLockApi::acquire`].
    fn try_lock(&self) -> Option<RLockGuard<'_, Self>> {
        self.try_acquire().then(|| RLockGuard::new(self))
    }

    /// Acquires within `timeout`, returning a guard, or `None` on timeout.
    ///
    /// # Errors
    ///
    /// As [`RLockApi::acquire_timeout`].
    fn lock_timeout(&self, timeout: Duration) -> Result<Option<RLockGuard<'_, Self>>, Error> {
        Ok(self
            .acquire_timeout(timeout)?
            .then(|| RLockGuard::new(self)))
    }
}

/// Releases one level of an RLock when dropped.
///
/// Not `Send`: only the owning thread may release, so the guard stays on that thread.
///
/// ```
/// use twinsync::{thread::RLock, RLockApi};
/// let lock = RLock::new();
/// let outer = lock.lock();
/// let inner = lock.lock();
/// drop(inner);
/// assert_eq!(lock.count(), 1);
/// drop(outer);
/// assert!(!lock.locked());
/// ```
#[must_use = "if unused the level is released at once"]
#[clippy::has_significant_drop]
pub struct RLockGuard<'a, L: RLockApi + ?Sized> {
    lock: &'a L,
    /// Keeps the guard on its thread (`!Send`): a release from elsewhere would be refused.
    _not_send: PhantomData<*const ()>,
}

impl<'a, L: RLockApi + ?Sized> RLockGuard<'a, L> {
    fn new(lock: &'a L) -> Self {
        RLockGuard {
            lock,
            _not_send: PhantomData,
        }
    }

    /// The lock this guard holds a level of.
    pub fn lock(&self) -> &L {
        self.lock
    }
}

impl<L: RLockApi + ?Sized> Drop for RLockGuard<'_, L> {
    fn drop(&mut self) {
        // Only fails if the level was already released through `release()` by hand; a
        // destructor must not panic.
        let _ = self.lock.release();
    }
}

impl<L: RLockApi + ?Sized> fmt::Debug for RLockGuard<'_, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLockGuard").finish_non_exhaustive()
    }
}

/// Implements [`RLockApi`] for a type with a `fn rlock_state(&self) -> &RLockState` and a
/// scope, so that both versions share every line of it.
macro_rules! impl_rlock_api {
    ($ty:ty, $scope:expr) => {
        impl $crate::RLockApi for $ty {
            #[inline]
            fn acquire(&self) {
                self.rlock_state().acquire(None, $scope);
            }
            #[inline]
            fn try_acquire(&self) -> bool {
                self.rlock_state().try_acquire()
            }
            fn acquire_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<bool, $crate::Error> {
                let deadline = $crate::sys::time::Deadline::after(timeout)?;
                Ok(self.rlock_state().acquire(Some(&deadline), $scope))
            }
            #[inline]
            fn release(&self) -> ::std::result::Result<(), $crate::Error> {
                self.rlock_state().release($scope)
            }
            #[inline]
            fn locked(&self) -> bool {
                self.rlock_state().locked()
            }
            #[inline]
            fn is_owned(&self) -> bool {
                self.rlock_state().is_owned()
            }
            #[inline]
            fn count(&self) -> u32 {
                self.rlock_state().count()
            }
        }
    };
}
pub(crate) use impl_rlock_api;
