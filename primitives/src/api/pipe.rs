//! [`ConnectionApi`], the two ends of a Pipe, and the macro that implements it for both
//! versions.

use std::time::Duration;

use crate::Error;

/// One end of a Pipe, with Python `multiprocessing.Connection` semantics, made strict:
///
/// * Messages keep their boundaries and order per direction; an empty message is a message.
/// * A duplex pipe's ends both send and receive; a one-way pipe's ends are (reader, writer),
///   and the other direction is [`Error::WrongDirection`].
/// * [`recv`](ConnectionApi::recv) after the peer closed (or dropped) its end, once nothing
///   is left, is [`Error::Eof`]; a send after the peer closed is [`Error::Closed`].
/// * Any operation on an end that was closed is [`Error::Closed`]; dropping an end closes it.
/// * [`poll`](ConnectionApi::poll) says whether a message is ready **or** the stream is at
///   its end, never consuming anything.
/// * Each direction holds a bounded number of messages: `send` waits for room.
///
/// Both versions' `Connection`s implement it: [`thread::Connection`](crate::thread::Connection)
/// and [`process::Connection`](crate::process::Connection).
///
/// ```
/// use std::time::Duration;
/// use twinsync::{thread::Pipe, ConnectionApi, Error};
///
/// let (a, b) = Pipe::new(true);                       // duplex
/// a.send(vec![1, 2]).unwrap();
/// a.send(vec![]).unwrap();                             // an empty message is a message
/// assert!(b.poll(Duration::ZERO).unwrap());            // ready; nothing consumed
/// assert_eq!(b.recv().unwrap(), vec![1, 2]);
/// assert_eq!(b.recv().unwrap(), Vec::<u8>::new());
/// b.send(vec![3]).unwrap();
/// assert_eq!(a.recv().unwrap(), vec![3]);
/// drop(a);                                             // closes that end
/// assert!(b.poll(Duration::ZERO).unwrap());            // at end of stream
/// assert!(matches!(b.recv(), Err(Error::Eof)));
/// assert!(matches!(b.send(vec![4]), Err(Error::Closed)));
///
/// let (reader, writer) = Pipe::<u8>::new(false);       // one-way
/// assert!(matches!(reader.send(1), Err(Error::WrongDirection { op: "send" })));
/// assert!(matches!(writer.recv(), Err(Error::WrongDirection { op: "recv" })));
/// ```
pub trait ConnectionApi<T> {
    /// Sends `msg`, waiting as long as it takes for room in this direction.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] when this end or the peer is closed (also for a send that was
    /// waiting when it closed); [`Error::WrongDirection`] on the reader of a one-way pipe;
    /// the process version adds [`Error::MessageTooLarge`] and [`Error::Codec`] (nothing is
    /// sent then).
    fn send(&self, msg: T) -> Result<(), Error>;

    /// As [`send`](ConnectionApi::send), waiting at most `timeout` for room.
    ///
    /// # Errors
    ///
    /// [`Error::Full`] when no room came in time; [`Error::TimeoutTooLarge`] above
    /// [`TIMEOUT_MAX`](crate::TIMEOUT_MAX); otherwise as [`send`](ConnectionApi::send).
    fn send_timeout(&self, msg: T, timeout: Duration) -> Result<(), Error>;

    /// Receives the next message, waiting as long as it takes.
    ///
    /// # Errors
    ///
    /// [`Error::Eof`] when the peer closed and nothing is left; [`Error::Closed`] when this
    /// end is closed; [`Error::WrongDirection`] on the writer of a one-way pipe; the process
    /// version adds [`Error::Codec`] (the message is consumed).
    fn recv(&self) -> Result<T, Error>;

    /// Receives the next message if one is ready now.
    ///
    /// # Errors
    ///
    /// [`Error::Empty`] when none is; otherwise as [`recv`](ConnectionApi::recv).
    fn try_recv(&self) -> Result<T, Error>;

    /// Receives the next message, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`Error::Empty`] when none came in time; [`Error::TimeoutTooLarge`] above
    /// [`TIMEOUT_MAX`](crate::TIMEOUT_MAX); otherwise as [`recv`](ConnectionApi::recv).
    fn recv_timeout(&self, timeout: Duration) -> Result<T, Error>;

    /// Waits at most `timeout` (zero: not at all) until a message is ready or the stream is
    /// at its end (the peer closed and nothing is left); returns whether one of the two
    /// holds. Never consumes a message.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] when this end is closed; [`Error::WrongDirection`] `{ op: "poll" }`
    /// on the writer of a one-way pipe; [`Error::TimeoutTooLarge`].
    fn poll(&self, timeout: Duration) -> Result<bool, Error>;

    /// Closes this end: the peer drains what was sent, then reads [`Error::Eof`]; its sends
    /// fail with [`Error::Closed`]. Closing twice is harmless. Dropping an end closes it.
    fn close(&self);

    /// Whether this end was closed.
    fn is_closed(&self) -> bool;

    /// Whether this end may receive.
    fn readable(&self) -> bool;

    /// Whether this end may send.
    fn writable(&self) -> bool;
}

/// Implements [`ConnectionApi`] for a type with a field `end: usize`, a
/// `fn pipe_state(&self) -> &PipeState` and a `fn ring(&self, n: usize) -> R` where `R`
/// implements `Ring<T>`, so that both versions share every line of it.
macro_rules! impl_connection_api {
    (impl[$($gen:tt)*] for $ty:ty, item $t:ty) => {
        impl<$($gen)*> $crate::ConnectionApi<$t> for $ty {
            fn send(&self, msg: $t) -> ::std::result::Result<(), $crate::Error> {
                use $crate::api::Ring as _;
                let n = self.pipe_state().send_ring(self.end)?;
                let r = self.ring(n).put(msg, $crate::algo::queue::Patience::Forever);
                r.map_err(|e| e.error)
            }
            fn send_timeout(
                &self,
                msg: $t,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<(), $crate::Error> {
                use $crate::api::Ring as _;
                let d = $crate::sys::time::Deadline::after(timeout)?;
                let n = self.pipe_state().send_ring(self.end)?;
                let r = self.ring(n).put(msg, $crate::algo::queue::Patience::Until(&d));
                r.map_err(|e| e.error)
            }
            fn recv(&self) -> ::std::result::Result<$t, $crate::Error> {
                self.recv_within($crate::algo::queue::Patience::Forever)
            }
            fn try_recv(&self) -> ::std::result::Result<$t, $crate::Error> {
                self.recv_within($crate::algo::queue::Patience::Never)
            }
            fn recv_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<$t, $crate::Error> {
                let d = $crate::sys::time::Deadline::after(timeout)?;
                self.recv_within($crate::algo::queue::Patience::Until(&d))
            }
            fn poll(
                &self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<bool, $crate::Error> {
                use $crate::api::Ring as _;
                let d = $crate::sys::time::Deadline::after(timeout)?;
                let s = self.pipe_state();
                let n = s.recv_ring(self.end, "poll")?;
                let ready = self.ring(n).poll($crate::algo::queue::Patience::Until(&d));
                s.poll_result(self.end, ready)
            }
            fn close(&self) {
                use $crate::api::Ring as _;
                let s = self.pipe_state();
                if s.close(self.end) {
                    for n in 0..s.rings() {
                        self.ring(n).close();
                    }
                }
            }
            fn is_closed(&self) -> bool {
                self.pipe_state().is_closed(self.end)
            }
            fn readable(&self) -> bool {
                self.pipe_state().readable(self.end)
            }
            fn writable(&self) -> bool {
                self.pipe_state().writable(self.end)
            }
        }

        impl<$($gen)*> $ty {
            fn recv_within(
                &self,
                patience: $crate::algo::queue::Patience<'_>,
            ) -> ::std::result::Result<$t, $crate::Error> {
                use $crate::api::Ring as _;
                let s = self.pipe_state();
                let n = s.recv_ring(self.end, "recv")?;
                self.ring(n).get(patience).map_err(|e| s.recv_error(self.end, e))
            }
        }
    };
}
pub(crate) use impl_connection_api;
