//! `thread::Pipe` and `thread::Connection`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use super::ring::HeapRing;
use crate::algo::pipe::PipeState;
use crate::api::impl_connection_api;
use crate::{ConnectionApi, Error};

/// Messages a direction holds when made by [`Pipe::new`].
const DEFAULT_CAPACITY: usize = 64;

/// What both ends share: the end flags and one ring per direction.
struct Ends<T> {
    state: PipeState,
    rings: Box<[HeapRing<T>]>,
}

/// Makes a pair of connected [`Connection`]s for threads; a namespace, never constructed.
///
/// ```
/// use twinsync::{thread::Pipe, ConnectionApi};
///
/// let (reader, writer) = Pipe::new(false);
/// let t = std::thread::spawn(move || {
///     for word in ["a", "b", "cd"] {
///         writer.send(word.to_string()).unwrap();
///     }
/// });                                                  // writer dropped: end of stream
/// let mut got = Vec::new();
/// while let Ok(w) = reader.recv() {                    // Eof once drained
///     got.push(w);
/// }
/// t.join().unwrap();
/// assert_eq!(got, ["a", "b", "cd"]);
/// ```
pub struct Pipe<T> {
    _t: PhantomData<T>,
}

impl<T> Pipe<T> {
    /// Two connected ends: both send and receive when `duplex`, else `(reader, writer)`.
    /// Each direction holds up to 64 messages (a send waits for room).
    #[allow(clippy::new_ret_no_self)] // Python's name for what makes the two ends
    pub fn new(duplex: bool) -> (Connection<T>, Connection<T>) {
        match Self::with_capacity(duplex, DEFAULT_CAPACITY) {
            Ok(ends) => ends,
            Err(_) => unreachable!("the default capacity is valid"),
        }
    }

    /// As [`new`](Self::new), each direction holding up to `capacity` messages.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `capacity` is 0 or above
    /// [`MAX_CAPACITY`](crate::algo::queue::MAX_CAPACITY).
    pub fn with_capacity(
        duplex: bool,
        capacity: usize,
    ) -> Result<(Connection<T>, Connection<T>), Error> {
        Self::make(duplex, capacity, |_| {})
    }

    /// A pipe whose rings have a deliberate bug, for the checkers' negative controls (checker
    /// builds only).
    ///
    /// # Errors
    ///
    /// As [`with_capacity`](Self::with_capacity).
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    pub fn with_fault(
        duplex: bool,
        capacity: usize,
        fault: crate::algo::queue::Fault,
    ) -> Result<(Connection<T>, Connection<T>), Error> {
        Self::make(duplex, capacity, |r| r.state_mut().set_fault(fault))
    }

    fn make(
        duplex: bool,
        capacity: usize,
        mut adjust: impl FnMut(&mut HeapRing<T>),
    ) -> Result<(Connection<T>, Connection<T>), Error> {
        let state = PipeState::new(duplex);
        let mut rings: Box<[HeapRing<T>]> = (0..state.rings())
            .map(|_| HeapRing::new(capacity))
            .collect::<Result<_, _>>()?;
        rings.iter_mut().for_each(&mut adjust);
        let ends = Arc::new(Ends { state, rings });
        Ok((
            Connection {
                ends: Arc::clone(&ends),
                end: 0,
            },
            Connection { ends, end: 1 },
        ))
    }
}

/// One end of a [`Pipe`] between threads. Methods: [`ConnectionApi`]. Dropping it closes it.
///
/// Messages are moved (no copy, no encoding); `Connection<T>` is `Send` and `Sync` when
/// `T: Send`.
pub struct Connection<T> {
    ends: Arc<Ends<T>>,
    end: usize,
}

impl<T> Connection<T> {
    fn pipe_state(&self) -> &PipeState {
        &self.ends.state
    }

    fn ring(&self, n: usize) -> &HeapRing<T> {
        &self.ends.rings[n % self.ends.rings.len()]
    }
}

impl_connection_api!(impl[T] for Connection<T>, item T);

impl<T> Drop for Connection<T> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<T> fmt::Debug for Connection<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("thread::Connection")
            .field("end", &self.end)
            .field("duplex", &self.ends.state.is_duplex())
            .field("closed", &self.is_closed())
            .finish()
    }
}
