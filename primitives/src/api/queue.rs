//! [`QueueApi`], [`PutError`], and the macro that implements the trait for both versions.

use std::fmt;
use std::time::Duration;

use crate::algo::queue::{Patience, QueueState};
use crate::Error;

/// A bounded FIFO queue with Python `queue.Queue` / `multiprocessing.JoinableQueue`
/// semantics, made strict:
///
/// * Capacity is fixed and at least 1; `put` waits for room, `get` for an item; the `try_`
///   forms never wait for room or items ([`Error::Full`], [`Error::Empty`]), the `_timeout`
///   forms wait at most their timeout.
/// * FIFO: items come out in the order their puts took effect; each producer's items keep
///   its order. Nothing is lost or duplicated.
/// * [`close`](QueueApi::close): later puts fail with [`Error::Closed`]; gets drain what is
///   left, then fail with [`Error::Closed`]; blocked putters and getters wake up.
/// * [`task_done`](QueueApi::task_done) marks a gotten item done; [`join`](QueueApi::join)
///   returns once every item put has been marked done. More `task_done`s than gets is
///   [`Error::TooManyReleases`].
/// * A failed put hands the item back in its [`PutError`].
///
/// Both [`thread::Queue`](crate::thread::Queue) and [`process::Queue`](crate::process::Queue)
/// implement it; so can your own type, to run it through `twinsync-conformance`.
///
/// ```
/// use std::time::Duration;
/// use twinsync::{thread::Queue, Error, QueueApi};
///
/// let q = Queue::new(2).unwrap();
/// q.put("a").unwrap();
/// q.try_put("b").unwrap();
/// let full = q.try_put("c").unwrap_err();
/// assert!(matches!(full.error, Error::Full));
/// assert_eq!(full.item, "c");                                  // the item comes back
/// assert_eq!(q.get().unwrap(), "a");
/// assert_eq!(q.get_timeout(Duration::from_millis(1)).unwrap(), "b");
/// assert!(matches!(q.try_get(), Err(Error::Empty)));
/// q.task_done().unwrap();
/// q.task_done().unwrap();
/// assert!(q.join_timeout(Duration::ZERO).unwrap());              // all done
/// q.close();
/// assert!(matches!(q.get(), Err(Error::Closed)));
/// ```
pub trait QueueApi<T> {
    /// Puts `item`, waiting as long as it takes for room.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] once the queue is closed (also for a put that was waiting when it
    /// closed); the process version adds [`Error::MessageTooLarge`] and [`Error::Codec`].
    /// Nothing is queued then, and the item comes back in the error.
    fn put(&self, item: T) -> Result<(), PutError<T>>;

    /// Puts `item` if there is room now.
    ///
    /// # Errors
    ///
    /// [`Error::Full`] when there is no room; otherwise as [`put`](QueueApi::put).
    fn try_put(&self, item: T) -> Result<(), PutError<T>>;

    /// Puts `item`, waiting at most `timeout` for room.
    ///
    /// # Errors
    ///
    /// [`Error::Full`] when no room came in time; [`Error::TimeoutTooLarge`] above
    /// [`TIMEOUT_MAX`](crate::TIMEOUT_MAX); otherwise as [`put`](QueueApi::put).
    fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>>;

    /// Removes and returns the oldest item, waiting as long as it takes for one.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] once the queue is closed and drained; the process version adds
    /// [`Error::Codec`] (the undecodable message is consumed).
    fn get(&self) -> Result<T, Error>;

    /// Removes and returns the oldest item if there is one now.
    ///
    /// # Errors
    ///
    /// [`Error::Empty`] when there is none; otherwise as [`get`](QueueApi::get).
    fn try_get(&self) -> Result<T, Error>;

    /// Removes and returns the oldest item, waiting at most `timeout` for one.
    ///
    /// # Errors
    ///
    /// [`Error::Empty`] when none came in time; [`Error::TimeoutTooLarge`] above
    /// [`TIMEOUT_MAX`](crate::TIMEOUT_MAX); otherwise as [`get`](QueueApi::get).
    fn get_timeout(&self, timeout: Duration) -> Result<T, Error>;

    /// The number of items queued (a snapshot; Python's `qsize`).
    fn len(&self) -> usize;

    /// Whether no item is queued (a snapshot).
    fn is_empty(&self) -> bool;

    /// Whether the queue is at capacity (a snapshot).
    fn is_full(&self) -> bool;

    /// The fixed capacity.
    fn capacity(&self) -> usize;

    /// Closes the queue (see the trait docs). Closing twice is harmless.
    fn close(&self);

    /// Whether the queue was closed.
    fn is_closed(&self) -> bool;

    /// Marks one gotten item done.
    ///
    /// # Errors
    ///
    /// [`Error::TooManyReleases`] when every gotten item was already marked done; nothing
    /// changes then.
    fn task_done(&self) -> Result<(), Error>;

    /// Waits until every item put has been marked done.
    fn join(&self);

    /// As [`join`](QueueApi::join), waiting at most `timeout`; returns whether all were done.
    ///
    /// # Errors
    ///
    /// [`Error::TimeoutTooLarge`] above [`TIMEOUT_MAX`](crate::TIMEOUT_MAX).
    fn join_timeout(&self, timeout: Duration) -> Result<bool, Error>;

    /// Items put and not yet marked done (a snapshot; Python's `unfinished_tasks`).
    fn unfinished_tasks(&self) -> u64;
}

/// A put that failed: why, and the item it did not queue.
///
/// Converts into [`Error`] with `?` (dropping the item).
///
/// ```
/// use twinsync::{thread::Queue, Error, QueueApi};
///
/// let q = Queue::new(1).unwrap();
/// q.close();
/// let e = q.put(vec![1, 2]).unwrap_err();
/// assert!(matches!(e.error, Error::Closed));
/// assert_eq!(e.into_inner(), vec![1, 2]);
/// ```
pub struct PutError<T> {
    /// Why the put failed.
    pub error: Error,
    /// The item, not queued.
    pub item: T,
}

impl<T> PutError<T> {
    /// The item that was not queued.
    pub fn into_inner(self) -> T {
        self.item
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "put failed: {}", self.error)
    }
}

impl<T> std::error::Error for PutError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<T> From<PutError<T>> for Error {
    fn from(e: PutError<T>) -> Error {
        e.error
    }
}

/// Where a queue's slots live: the thread version's heap ring or the process version's
/// shared-memory ring. [`impl_queue_api!`] builds [`QueueApi`] on it.
pub(crate) trait Ring<T> {
    /// The algorithm state.
    fn state(&self) -> &QueueState;
    /// Puts `item` within `patience`.
    fn put(&self, item: T, patience: Patience<'_>) -> Result<(), PutError<T>>;
    /// Gets an item within `patience`.
    fn get(&self, patience: Patience<'_>) -> Result<T, Error>;
    /// Waits within `patience` until an item is ready or the ring is closed and drained.
    fn poll(&self, patience: Patience<'_>) -> bool;
    /// Closes the ring.
    fn close(&self);
    /// Marks a gotten item done.
    fn task_done(&self) -> Result<(), Error>;
    /// Waits within `patience` until every item is done.
    fn join(&self, patience: Patience<'_>) -> bool;
}

/// Implements [`QueueApi`] for a type with a `fn ring(&self) -> R` where `R` (or what it
/// dereferences to) implements [`Ring`], so that both versions share every line of it.
///
/// `impl_queue_api!(impl[T: Send] for Queue<T>, item T);`
macro_rules! impl_queue_api {
    (impl[$($gen:tt)*] for $ty:ty, item $t:ty) => {
        impl<$($gen)*> $crate::QueueApi<$t> for $ty {
            fn put(&self, item: $t) -> ::std::result::Result<(), $crate::PutError<$t>> {
                use $crate::api::Ring as _;
                self.ring().put(item, $crate::algo::queue::Patience::Forever)
            }
            fn try_put(&self, item: $t) -> ::std::result::Result<(), $crate::PutError<$t>> {
                use $crate::api::Ring as _;
                self.ring().put(item, $crate::algo::queue::Patience::Never)
            }
            fn put_timeout(
                &self,
                item: $t,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<(), $crate::PutError<$t>> {
                use $crate::api::Ring as _;
                match $crate::sys::time::Deadline::after(timeout) {
                    Ok(d) => self
                        .ring()
                        .put(item, $crate::algo::queue::Patience::Until(&d)),
                    Err(error) => Err($crate::PutError { error, item }),
                }
            }
            fn get(&self) -> ::std::result::Result<$t, $crate::Error> {
                use $crate::api::Ring as _;
                self.ring().get($crate::algo::queue::Patience::Forever)
            }
            fn try_get(&self) -> ::std::result::Result<$t, $crate::Error> {
                use $crate::api::Ring as _;
                self.ring().get($crate::algo::queue::Patience::Never)
            }
            fn get_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<$t, $crate::Error> {
                use $crate::api::Ring as _;
                let d = $crate::sys::time::Deadline::after(timeout)?;
                self.ring().get($crate::algo::queue::Patience::Until(&d))
            }
            fn len(&self) -> usize {
                use $crate::api::Ring as _;
                self.ring().state().len()
            }
            fn is_empty(&self) -> bool {
                use $crate::api::Ring as _;
                self.ring().state().is_empty()
            }
            fn is_full(&self) -> bool {
                use $crate::api::Ring as _;
                self.ring().state().is_full()
            }
            fn capacity(&self) -> usize {
                use $crate::api::Ring as _;
                self.ring().state().capacity()
            }
            fn close(&self) {
                use $crate::api::Ring as _;
                self.ring().close();
            }
            fn is_closed(&self) -> bool {
                use $crate::api::Ring as _;
                self.ring().state().is_closed()
            }
            fn task_done(&self) -> ::std::result::Result<(), $crate::Error> {
                use $crate::api::Ring as _;
                self.ring().task_done()
            }
            fn join(&self) {
                use $crate::api::Ring as _;
                self.ring().join($crate::algo::queue::Patience::Forever);
            }
            fn join_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<bool, $crate::Error> {
                use $crate::api::Ring as _;
                let d = $crate::sys::time::Deadline::after(timeout)?;
                Ok(self.ring().join($crate::algo::queue::Patience::Until(&d)))
            }
            fn unfinished_tasks(&self) -> u64 {
                use $crate::api::Ring as _;
                self.ring().state().unfinished_tasks()
            }
        }
    };
}
pub(crate) use impl_queue_api;
