//! `thread::Queue`.

use std::fmt;

use super::ring::HeapRing;
use crate::api::{impl_queue_api, Ring};
use crate::Error;

/// A bounded FIFO queue for threads of one process. Methods: [`QueueApi`](crate::QueueApi).
///
/// Items are moved in and out (no copy, no encoding); items still queued are dropped with
/// the queue. `Queue<T>` is `Send` and `Sync` when `T: Send`.
///
/// ```
/// use std::sync::Arc;
/// use twinsync::{thread::Queue, QueueApi};
///
/// let q = Arc::new(Queue::new(4).unwrap());
/// let producer = {
///     let q = Arc::clone(&q);
///     std::thread::spawn(move || {
///         for i in 0..100 {
///             q.put(i).unwrap();                // waits while the queue is full
///         }
///         q.close();
///     })
/// };
/// let mut got = Vec::new();
/// while let Ok(i) = q.get() {                   // Closed once drained
///     got.push(i);
/// }
/// producer.join().unwrap();
/// assert_eq!(got, (0..100).collect::<Vec<_>>());
/// ```
pub struct Queue<T> {
    ring: HeapRing<T>,
}

impl<T> Queue<T> {
    /// An empty queue with room for `capacity` items.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `capacity` is 0 or above
    /// [`MAX_CAPACITY`](crate::algo::queue::MAX_CAPACITY).
    pub fn new(capacity: usize) -> Result<Self, Error> {
        Ok(Queue {
            ring: HeapRing::new(capacity)?,
        })
    }

    /// A queue with a deliberate bug, for the checkers' negative controls (checker builds
    /// only).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    pub fn with_fault(capacity: usize, fault: crate::algo::queue::Fault) -> Result<Self, Error> {
        let mut ring = HeapRing::new(capacity)?;
        ring.state_mut().set_fault(fault);
        Ok(Queue { ring })
    }

    fn ring(&self) -> &HeapRing<T> {
        &self.ring
    }
}

impl_queue_api!(impl[T] for Queue<T>, item T);

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.ring.state();
        f.debug_struct("thread::Queue")
            .field("capacity", &s.capacity())
            .field("len", &s.len())
            .field("closed", &s.is_closed())
            .finish()
    }
}
