//! [`RwLockApi`], its guards, and the macro that implements it for both versions.

use std::fmt;
use std::time::Duration;

use crate::Error;

/// A readers-writer lock: many readers or one writer. Python has none; the method names
/// follow its Lock (`acquire_read`, `release_read`, ...), with guards beside them.
///
/// * **Writers are preferred**: once a writer waits, new readers wait too (and
///   `try_acquire_read` fails), so a stream of readers cannot starve a writer. A writer's
///   unlock lets every waiting reader in.
/// * Not reentrant: a thread that holds a read lock and asks for another may wait forever
///   behind a waiting writer; asking for the write lock while holding any lock deadlocks.
/// * Like Python's Lock, a held lock may be released by any thread (or process); releasing
///   what is not held is [`Error::NotHeld`].
/// * At most [`MAX_READERS`](crate::algo::rwlock::MAX_READERS) read holders at once; one
///   more reader waits for a release (the count cannot overflow).
///
/// Both [`thread::RwLock`](crate::thread::RwLock) and
/// [`process::RwLock`](crate::process::RwLock) implement it.
///
/// ```
/// use std::time::Duration;
/// use twinsync::{thread::RwLock, RwLockApi};
///
/// let lock = RwLock::new();
/// {
///     let _r1 = lock.read();
///     let _r2 = lock.read();                       // readers share
///     assert_eq!(lock.readers(), 2);
///     assert!(lock.try_write().is_none());         // but exclude a writer
/// }
/// let w = lock.write();
/// assert!(lock.try_read().is_none());              // a writer excludes readers
/// assert!(lock.read_timeout(Duration::from_millis(1)).unwrap().is_none());
/// drop(w);
/// assert!(!lock.write_locked());
/// ```
pub trait RwLockApi {
    /// Takes a read lock, waiting as long as it takes.
    fn acquire_read(&self);

    /// Takes a read lock if no writer holds or waits for the lock; returns whether it did.
    fn try_acquire_read(&self) -> bool;

    /// Takes a read lock, waiting at most `timeout`; returns whether it did.
    ///
    /// # Errors
    ///
    /// [`Error::TimeoutTooLarge`] when `timeout` exceeds [`TIMEOUT_MAX`](crate::TIMEOUT_MAX).
    fn acquire_read_timeout(&self, timeout: Duration) -> Result<bool, Error>;

    /// Releases a read lock.
    ///
    /// # Errors
    ///
    /// [`Error::NotHeld`] when no read lock is held; nothing changes then.
    fn release_read(&self) -> Result<(), Error>;

    /// Takes the write lock, waiting as long as it takes.
    fn acquire_write(&self);

    /// Takes the write lock if nobody holds the lock; returns whether it did.
    fn try_acquire_write(&self) -> bool;

    /// Takes the write lock, waiting at most `timeout`; returns whether it did.
    ///
    /// # Errors
    ///
    /// [`Error::TimeoutTooLarge`] when `timeout` exceeds [`TIMEOUT_MAX`](crate::TIMEOUT_MAX).
    fn acquire_write_timeout(&self, timeout: Duration) -> Result<bool, Error>;

    /// Releases the write lock.
    ///
    /// # Errors
    ///
    /// [`Error::NotHeld`] when the write lock is not held; nothing changes then.
    fn release_write(&self) -> Result<(), Error>;

    /// The number of read holders (a snapshot).
    fn readers(&self) -> u32;

    /// Whether a writer holds the lock (a snapshot).
    fn write_locked(&self) -> bool;

    /// Takes a read lock and returns a guard that releases it on drop.
    fn read(&self) -> ReadGuard<'_, Self> {
        self.acquire_read();
        ReadGuard { lock: self }
    }

    /// [`try_acquire_read`](Self::try_acquire_read), returning a guard.
    fn try_read(&self) -> Option<ReadGuard<'_, Self>> {
        self.try_acquire_read().then(|| ReadGuard { lock: self })
    }

    /// [`acquire_read_timeout`](Self::acquire_read_timeout), returning a guard, or `None` on
    /// timeout.
    ///
    /// # Errors
    ///
    /// As [`acquire_read_timeout`](Self::acquire_read_timeout).
    fn read_timeout(&self, timeout: Duration) -> Result<Option<ReadGuard<'_, Self>>, Error> {
        Ok(self
            .acquire_read_timeout(timeout)?
            .then(|| ReadGuard { lock: self }))
    }

    /// Takes the write lock and returns a guard that releases it on drop.
    fn write(&self) -> WriteGuard<'_, Self> {
        self.acquire_write();
        WriteGuard { lock: self }
    }

    /// [`try_acquire_write`](Self::try_acquire_write), returning a guard.
    fn try_write(&self) -> Option<WriteGuard<'_, Self>> {
        self.try_acquire_write().then(|| WriteGuard { lock: self })
    }

    /// [`acquire_write_timeout`](Self::acquire_write_timeout), returning a guard, or `None`
    /// on timeout.
    ///
    /// # Errors
    ///
    /// As [`acquire_write_timeout`](Self::acquire_write_timeout).
    fn write_timeout(&self, timeout: Duration) -> Result<Option<WriteGuard<'_, Self>>, Error> {
        Ok(self
            .acquire_write_timeout(timeout)?
            .then(|| WriteGuard { lock: self }))
    }
}

/// Releases a read lock when dropped (a release error, possible only if someone else
/// released it meanwhile, is ignored: a destructor must not panic).
///
/// ```
/// use twinsync::{thread::RwLock, RwLockApi};
/// let lock = RwLock::new();
/// let guard = lock.read();
/// assert_eq!(guard.lock().readers(), 1);
/// drop(guard);
/// assert_eq!(lock.readers(), 0);
/// ```
#[must_use = "if unused the read lock is released at once"]
#[clippy::has_significant_drop]
pub struct ReadGuard<'a, L: RwLockApi + ?Sized> {
    lock: &'a L,
}

/// Releases the write lock when dropped (a release error is ignored, as for [`ReadGuard`]).
///
/// ```
/// use twinsync::{thread::RwLock, RwLockApi};
/// let lock = RwLock::new();
/// let guard = lock.write();
/// assert!(guard.lock().write_locked());
/// drop(guard);
/// assert!(!lock.write_locked());
/// ```
#[must_use = "if unused the write lock is released at once"]
#[clippy::has_significant_drop]
pub struct WriteGuard<'a, L: RwLockApi + ?Sized> {
    lock: &'a L,
}

macro_rules! guard_impls {
    ($guard:ident, $release:ident) => {
        impl<L: RwLockApi + ?Sized> $guard<'_, L> {
            /// The lock this guard holds.
            pub fn lock(&self) -> &L {
                self.lock
            }
        }

        impl<L: RwLockApi + ?Sized> Drop for $guard<'_, L> {
            fn drop(&mut self) {
                let _ = self.lock.$release();
            }
        }

        impl<L: RwLockApi + ?Sized> fmt::Debug for $guard<'_, L> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($guard)).finish_non_exhaustive()
            }
        }
    };
}
guard_impls!(ReadGuard, release_read);
guard_impls!(WriteGuard, release_write);

/// Implements [`RwLockApi`] for a type with a `fn rwlock_state(&self) -> &RwLockState` and a
/// scope, so that both versions share every line of it.
macro_rules! impl_rwlock_api {
    ($ty:ty, $scope:expr) => {
        impl $crate::RwLockApi for $ty {
            #[inline]
            fn acquire_read(&self) {
                self.rwlock_state().acquire_read(None, $scope);
            }
            #[inline]
            fn try_acquire_read(&self) -> bool {
                self.rwlock_state().try_acquire_read()
            }
            fn acquire_read_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<bool, $crate::Error> {
                let deadline = $crate::sys::time::Deadline::after(timeout)?;
                Ok(self.rwlock_state().acquire_read(Some(&deadline), $scope))
            }
            #[inline]
            fn release_read(&self) -> ::std::result::Result<(), $crate::Error> {
                self.rwlock_state().release_read($scope)
            }
            #[inline]
            fn acquire_write(&self) {
                self.rwlock_state().acquire_write(None, $scope);
            }
            #[inline]
            fn try_acquire_write(&self) -> bool {
                self.rwlock_state().try_acquire_write()
            }
            fn acquire_write_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<bool, $crate::Error> {
                let deadline = $crate::sys::time::Deadline::after(timeout)?;
                Ok(self.rwlock_state().acquire_write(Some(&deadline), $scope))
            }
            #[inline]
            fn release_write(&self) -> ::std::result::Result<(), $crate::Error> {
                self.rwlock_state().release_write($scope)
            }
            #[inline]
            fn readers(&self) -> u32 {
                self.rwlock_state().readers()
            }
            #[inline]
            fn write_locked(&self) -> bool {
                self.rwlock_state().write_locked()
            }
        }
    };
}
pub(crate) use impl_rwlock_api;
