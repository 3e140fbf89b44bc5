//! [`ConditionApi`], the [`ConditionLock`] trait of the locks a Condition works with, the
//! guard, and the macros that implement them for both versions.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crate::sys::time::Deadline;
use crate::Error;

/// A lock that a Condition can wait with: a [Lock](crate::LockApi) or an
/// [RLock](crate::RLockApi) of either version, or a reference or `Arc` to one (so that several
/// Conditions can share a lock).
///
/// The method names differ from [`LockApi`](crate::LockApi)'s and
/// [`RLockApi`](crate::RLockApi)'s so that importing this trait beside them never makes a call
/// ambiguous.
///
/// "Mine" means *held by the calling thread*: for an RLock, owned; for a plain Lock, acquired
/// by the calling thread (its word names the caller). That is stricter than `threading`,
/// which for a plain Lock only checks that *someone* holds it, and the same as
/// `multiprocessing`'s `_is_mine()`.
///
/// ```
/// use std::sync::Arc;
/// use twinsync::thread::{Condition, Lock};
/// use twinsync::{ConditionApi, ConditionLock};
///
/// let lock = Arc::new(Lock::new());
/// let a = Condition::with_lock(Arc::clone(&lock));
/// let b = Condition::with_lock(Arc::clone(&lock)); // two conditions, one lock
/// a.acquire();
/// assert!(lock.is_mine());
/// b.notify_all().unwrap();                       // b's lock is held too: it is the same
/// a.release().unwrap();
/// assert!(!lock.is_mine());
/// ```
pub trait ConditionLock {
    /// What [`release_saving`](ConditionLock::release_saving) returns and
    /// [`acquire_restoring`](ConditionLock::acquire_restoring) takes back: nothing for a Lock,
    /// the recursion depth for an RLock.
    type Saved;

    /// Acquires the lock (for an RLock, one more level), waiting as long as it takes.
    fn acquire_lock(&self);

    /// Acquires the lock if that needs no waiting; returns whether it did.
    fn try_acquire_lock(&self) -> bool;

    /// Acquires the lock, waiting at most `timeout`; returns whether it did.
    ///
    /// # Errors
    ///
    /// [`Error::TimeoutTooLarge`] when `timeout` exceeds [`TIMEOUT_MAX`](crate::TIMEOUT_MAX).
    fn acquire_lock_timeout(&self, timeout: Duration) -> Result<bool, Error>;

    /// Releases the lock (for an RLock, one level).
    ///
    /// # Errors
    ///
    /// As the lock's own `release`: [`Error::NotHeld`] for a free Lock, [`Error::NotOwner`]
    /// for an RLock the caller does not own.
    fn release_lock(&self) -> Result<(), Error>;

    /// Whether the calling thread holds the lock.
    fn is_mine(&self) -> bool;

    /// Releases the lock completely (every level of an RLock) and returns what
    /// [`acquire_restoring`](ConditionLock::acquire_restoring) needs to take it back as it
    /// was.
    ///
    /// # Errors
    ///
    /// [`Error::NotOwner`] when the lock is not [mine](ConditionLock::is_mine); nothing
    /// changes then.
    fn release_saving(&self) -> Result<Self::Saved, Error>;

    /// Acquires the lock (waiting as long as it takes) in the state `saved` describes.
    fn acquire_restoring(&self, saved: Self::Saved);
}

/// Forwards every [`ConditionLock`] method of a pointer type to its target.
macro_rules! forward_condition_lock {
    ($($ptr:ty),*) => { $(
        impl<L: ConditionLock + ?Sized> ConditionLock for $ptr {
            type Saved = L::Saved;
            fn acquire_lock(&self) {
                (**self).acquire_lock()
            }
            fn try_acquire_lock(&self) -> bool {
                (**self).try_acquire_lock()
            }
            fn acquire_lock_timeout(&self, timeout: Duration) -> Result<bool, Error> {
                (**self).acquire_lock_timeout(timeout)
            }
            fn release_lock(&self) -> Result<(), Error> {
                (**self).release_lock()
            }
            fn is_mine(&self) -> bool {
                (**self).is_mine()
            }
            fn release_saving(&self) -> Result<L::Saved, Error> {
                (**self).release_saving()
            }
            fn acquire_restoring(&self, saved: L::Saved) {
                (**self).acquire_restoring(saved)
            }
        }
    )* };
}
forward_condition_lock!(&L, Arc<L>);

/// A condition variable with Python `threading.Condition` semantics, over a lock `L` (an
/// [RLock](crate::RLockApi) by default, or a [Lock](crate::LockApi)).
///
/// * `acquire`, `release` and the guard delegate to the lock.
/// * [`wait`](ConditionApi::wait) releases the lock completely (every level of an RLock),
///   sleeps until notified, and re-acquires it as it was before returning, also on timeout.
/// * [`notify(n)`](ConditionApi::notify) wakes at most `n` of the threads waiting at that
///   moment, oldest waiters first (by arrival in groups, not strictly FIFO);
///   [`notify_all`](ConditionApi::notify_all) wakes them all. A thread that starts waiting
///   after a notify is not woken by it.
/// * A waiter that times out never takes a notification meant for another waiter: if it
///   returns `false`, the notification went to someone who was waiting.
/// * Waiting or notifying without holding the lock is [`Error::NotOwner`].
/// * No spurious wake-ups: `wait` returns only when notified (or on timeout).
///
/// Both [`thread::Condition`](crate::thread::Condition) and
/// [`process::Condition`](crate::process::Condition) implement it.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
/// use std::time::Duration;
/// use twinsync::{thread::Condition, ConditionApi};
///
/// let cond = Condition::new();                    // over a new RLock
/// let ready = AtomicBool::new(false);
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         let _g = cond.guard();
///         ready.store(true, Relaxed);
///         cond.notify_all().unwrap();
///     });
///     let _g = cond.guard();
///     let seen = cond.wait_for(|| ready.load(Relaxed), Some(Duration::from_secs(30)));
///     assert!(seen.unwrap());
/// });
/// ```
pub trait ConditionApi {
    /// The lock type.
    type Lock: ConditionLock;

    /// The lock the condition works with.
    fn lock(&self) -> &Self::Lock;

    /// Waits until notified, with the lock held (released while waiting).
    ///
    /// # Errors
    ///
    /// [`Error::NotOwner`] when the calling thread does not hold the lock.
    fn wait(&self) -> Result<(), Error>;

    /// Waits until notified or until `timeout` has passed; returns whether it was notified.
    /// The lock is re-acquired before it returns either way (that may take longer than
    /// `timeout`). A zero timeout is a non-blocking check.
    ///
    /// # Errors
    ///
    /// [`Error::NotOwner`] when the calling thread does not hold the lock;
    /// [`Error::TimeoutTooLarge`] when `timeout` exceeds [`TIMEOUT_MAX`](crate::TIMEOUT_MAX).
    fn wait_timeout(&self, timeout: Duration) -> Result<bool, Error>;

    /// Wakes at most `n` of the threads waiting now (none if `n` is 0).
    ///
    /// # Errors
    ///
    /// [`Error::NotOwner`] when the calling thread does not hold the lock.
    fn notify(&self, n: usize) -> Result<(), Error>;

    /// Wakes every thread waiting now.
    ///
    /// # Errors
    ///
    /// [`Error::NotOwner`] when the calling thread does not hold the lock.
    fn notify_all(&self) -> Result<(), Error>;

    /// Waits until `predicate` returns true, or until `timeout` (`None` = no limit) has
    /// passed; returns the predicate's last value. The predicate is called with the lock
    /// held: first at once (no wait at all if it is already true), then after each wake-up.
    /// One deadline covers the whole call, however many wake-ups there are.
    ///
    /// # Errors
    ///
    /// [`Error::NotOwner`] when the calling thread does not hold the lock (checked first,
    /// even if the predicate is already true); [`Error::TimeoutTooLarge`] as
    /// [`wait_timeout`](ConditionApi::wait_timeout).
    fn wait_for<P: FnMut() -> bool>(
        &self,
        mut predicate: P,
        timeout: Option<Duration>,
    ) -> Result<bool, Error> {
        let deadline = Deadline::from_timeout(timeout)?;
        if !self.lock().is_mine() {
            return Err(Error::NotOwner);
        }
        let mut result = predicate();
        let mut first = true;
        while !result {
            match &deadline {
                None => self.wait()?,
                // The first wait gets the whole timeout (even a zero one: one non-blocking
                // check, as Python does); later ones what is left, if anything.
                Some(d) if first || !d.has_passed() => {
                    self.wait_timeout(d.remaining())?;
                }
                Some(_) => break,
            }
            first = false;
            result = predicate();
        }
        Ok(result)
    }

    /// Acquires the lock (see [`ConditionLock::acquire_lock`]).
    fn acquire(&self) {
        self.lock().acquire_lock()
    }

    /// Acquires the lock if no waiting is needed; returns whether it did.
    fn try_acquire(&self) -> bool {
        self.lock().try_acquire_lock()
    }

    /// Acquires the lock within `timeout`; returns whether it did.
    ///
    /// # Errors
    ///
    /// [`Error::TimeoutTooLarge`] when `timeout` exceeds [`TIMEOUT_MAX`](crate::TIMEOUT_MAX).
    fn acquire_timeout(&self, timeout: Duration) -> Result<bool, Error> {
        self.lock().acquire_lock_timeout(timeout)
    }

    /// Releases the lock (one level of an RLock).
    ///
    /// # Errors
    ///
    /// As [`ConditionLock::release_lock`].
    fn release(&self) -> Result<(), Error> {
        self.lock().release_lock()
    }

    /// Acquires the lock and returns a guard that releases it on drop.
    fn guard(&self) -> ConditionGuard<'_, Self> {
        self.acquire();
        ConditionGuard::new(self)
    }

    /// Acquires the lock if no waiting is needed, returning a guard.
    fn try_guard(&self) -> Option<ConditionGuard<'_, Self>> {
        self.try_acquire().then(|| ConditionGuard::new(self))
    }

    /// Acquires the lock within `timeout`, returning a guard, or `None` on timeout.
    ///
    /// # Errors
    ///
    /// As [`ConditionApi::acquire_timeout`].
    fn guard_timeout(&self, timeout: Duration) -> Result<Option<ConditionGuard<'_, Self>>, Error> {
        Ok(self
            .acquire_timeout(timeout)?
            .then(|| ConditionGuard::new(self)))
    }
}

/// Holds a Condition's lock (one level of an RLock) and releases it when dropped. Not
/// `Send`: the lock belongs to the thread that took it.
///
/// ```
/// use twinsync::{thread::Condition, ConditionApi, ConditionLock};
/// let cond = Condition::new();
/// let g = cond.guard();
/// assert!(cond.lock().is_mine());
/// drop(g);
/// assert!(!cond.lock().is_mine());
/// ```
#[must_use = "if unused the lock is released at once"]
#[clippy::has_significant_drop]
pub struct ConditionGuard<'a, C: ConditionApi + ?Sized> {
    cond: &'a C,
    /// Keeps the guard on its thread (`!Send`).
    _not_send: PhantomData<*const ()>,
}

impl<'a, C: ConditionApi + ?Sized> ConditionGuard<'a, C> {
    fn new(cond: &'a C) -> Self {
        ConditionGuard {
            cond,
            _not_send: PhantomData,
        }
    }

    /// The condition whose lock this guard holds.
    pub fn condition(&self) -> &C {
        self.cond
    }
}

impl<C: ConditionApi + ?Sized> Drop for ConditionGuard<'_, C> {
    fn drop(&mut self) {
        // Fails only if the lock was already released by hand; a destructor must not panic.
        let _ = self.cond.release();
    }
}

impl<C: ConditionApi + ?Sized> fmt::Debug for ConditionGuard<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionGuard").finish_non_exhaustive()
    }
}

/// Implements [`ConditionLock`] for a Lock type (`lock: Type, scope`, with
/// `fn lock_state(&self) -> &LockState`) or an RLock type (`rlock: Type, scope`, with
/// `fn rlock_state(&self) -> &RLockState`).
macro_rules! impl_condition_lock {
    (lock: $ty:ty, $scope:expr) => {
        impl $crate::ConditionLock for $ty {
            type Saved = ();
            $crate::api::impl_condition_lock!(@delegate $crate::LockApi);
            fn is_mine(&self) -> bool {
                self.lock_state().holder() == Some($crate::sync::current_id())
            }
            fn release_saving(&self) -> ::std::result::Result<(), $crate::Error> {
                if !$crate::ConditionLock::is_mine(self) {
                    return Err($crate::Error::NotOwner);
                }
                self.lock_state().release($scope)
            }
            fn acquire_restoring(&self, (): ()) {
                self.lock_state().acquire(None, $scope);
            }
        }
    };
    (rlock: $ty:ty, $scope:expr) => {
        impl $crate::ConditionLock for $ty {
            type Saved = u32;
            $crate::api::impl_condition_lock!(@delegate $crate::RLockApi);
            fn is_mine(&self) -> bool {
                self.rlock_state().is_owned()
            }
            fn release_saving(&self) -> ::std::result::Result<u32, $crate::Error> {
                self.rlock_state().release_all($scope)
            }
            fn acquire_restoring(&self, depth: u32) {
                self.rlock_state().acquire_at_depth(depth, None, $scope);
            }
        }
    };
    (@delegate $api:path) => {
        fn acquire_lock(&self) {
            <Self as $api>::acquire(self)
        }
        fn try_acquire_lock(&self) -> bool {
            <Self as $api>::try_acquire(self)
        }
        fn acquire_lock_timeout(
            &self,
            timeout: ::std::time::Duration,
        ) -> ::std::result::Result<bool, $crate::Error> {
            <Self as $api>::acquire_timeout(self, timeout)
        }
        fn release_lock(&self) -> ::std::result::Result<(), $crate::Error> {
            <Self as $api>::release(self)
        }
    };
}
pub(crate) use impl_condition_lock;

/// Implements [`ConditionApi`] for `Type<L: Bound>` with a
/// `fn condition_state(&self) -> &ConditionState` and a field `lock: L`, so that both
/// versions share every line of it.
macro_rules! impl_condition_api {
    ($ty:ident<$l:ident: $bound:path>, $scope:expr) => {
        impl<$l: $bound> $crate::ConditionApi for $ty<$l> {
            type Lock = $l;
            #[inline]
            fn lock(&self) -> &$l {
                &self.lock
            }
            fn wait(&self) -> ::std::result::Result<(), $crate::Error> {
                self.condition_state().wait(&self.lock, None, $scope)?;
                Ok(())
            }
            fn wait_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<bool, $crate::Error> {
                let deadline = $crate::sys::time::Deadline::after(timeout)?;
                self.condition_state()
                    .wait(&self.lock, Some(&deadline), $scope)
            }
            fn notify(&self, n: usize) -> ::std::result::Result<(), $crate::Error> {
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                self.condition_state().notify(&self.lock, n, $scope)
            }
            fn notify_all(&self) -> ::std::result::Result<(), $crate::Error> {
                self.condition_state().notify(&self.lock, u32::MAX, $scope)
            }
        }
    };
}
pub(crate) use impl_condition_api;
