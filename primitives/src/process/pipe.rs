//! `process::Pipe` and `process::Connection`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use super::codec::{Codec, Postcard};
use super::ring::{Coded, RingLayout, RingPlace, ShmRing};
use super::{Shared, ShmSafe, KIND_PIPE};
use crate::algo::pipe::PipeState;
use crate::algo::queue::{Patience, QueueState};
use crate::api::impl_connection_api;
use crate::sys::time::Deadline;
use crate::{ConnectionApi, Error};

/// Messages a direction holds when made by [`Pipe::new`].
const DEFAULT_CAPACITY: usize = 64;
/// The largest message of a pipe made by [`Pipe::new`]: 64 KiB.
const DEFAULT_MAX_MESSAGE: usize = 64 * 1024;

/// Both ends of a new pipe.
type Ends<T, C> = (Connection<T, C>, Connection<T, C>);

/// The fixed part of a Pipe segment; the rings follow in the trailing region.
///
/// # Layout
///
/// `#[repr(C)]`, 136 bytes, align 8: two [`QueueState`]s (the second unused by a one-way
/// pipe), the [`PipeState`] (12 bytes, padded to 16), then `max_message` (`u64`, never
/// changed after creation). An attacher checks capacity, `max_message` and the ring count
/// against the segment's size before using them.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct PipeSegment {
    rings: [QueueState; 2],
    ends: PipeState,
    max_message: u64,
}

// SAFETY: PipeSegment is `#[repr(C)]`, made of atomics and integers that never change after
// creation, holds no pointer, is valid at any address, needs no destructor, align 8.
unsafe impl ShmSafe for PipeSegment {
    const KIND: u32 = KIND_PIPE;
}

/// Makes connected [`Connection`]s between processes; a namespace, never constructed.
///
/// * [`Pipe::new`] / [`Pipe::with_capacity`]: both ends in an anonymous mapping, for a parent
///   and the children it forks.
/// * [`Pipe::create`] / [`Pipe::open`]: a named pipe for unrelated processes (or children
///   started with the spawn method). `create` returns end 0 (the **reader** of a one-way
///   pipe), `open` returns end 1 (the **writer**); opening again gives another handle on
///   that end. Whoever created the name unlinks it ([`unlink`](super::unlink)), typically
///   once the peer has opened it; the ends keep working.
///
/// Ends are shared objects, not per-process handles as in Python: closing or dropping an end
/// closes it in every process that holds it. So with `fork`, let the child *borrow* its end
/// (an end moved into a fork closure is dropped, and closed, in the parent right after the
/// fork) and keep it alive in the parent until the child is done. A process killed while it
/// holds an end does not close it.
///
/// ```
/// use twinsync::{process::Pipe, ConnectionApi, Error};
///
/// let name = twinsync::process::unique_name("doc-pipe").unwrap();
/// let a = Pipe::<String>::create(&name, true, 16, 1024).unwrap();
/// let b = Pipe::<String>::open(&name).unwrap();    // in another process, typically
/// twinsync::process::unlink(&name).unwrap();
/// a.send("ping".into()).unwrap();
/// assert_eq!(b.recv().unwrap(), "ping");
/// b.send_bytes(b"").unwrap();                       // raw bytes, an empty message
/// assert_eq!(a.recv_bytes().unwrap(), b"");
/// b.close();
/// assert!(matches!(a.recv(), Err(Error::Eof)));
/// ```
pub struct Pipe<T, C = Postcard> {
    _t: PhantomData<fn(T) -> (T, C)>,
}

impl<T, C: Codec<T>> Pipe<T, C> {
    /// Two connected ends in an anonymous shared mapping (inherited by `fork`): both send and
    /// receive when `duplex`, else `(reader, writer)`. Each direction holds up to 64
    /// messages of at most 64 KiB.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when the mapping cannot be made.
    #[allow(clippy::new_ret_no_self)] // Python's name for what makes the two ends
    pub fn new(duplex: bool) -> Result<Ends<T, C>, Error> {
        Self::with_capacity(duplex, DEFAULT_CAPACITY, DEFAULT_MAX_MESSAGE)
    }

    /// As [`new`](Self::new), each direction holding up to `capacity` messages of at most
    /// `max_message` encoded bytes.
    ///
    /// # Errors
    ///
    /// As [`Queue::new`](super::Queue::new).
    pub fn with_capacity(
        duplex: bool,
        capacity: usize,
        max_message: usize,
    ) -> Result<Ends<T, C>, Error> {
        let (segment, layout) = Self::segment(duplex, capacity, max_message)?;
        let trailing = layout.size * segment.ends.rings();
        let shared = Shared::new_with_trailing(segment, trailing, |s| Self::init(s, layout))?;
        let a = Connection::attach(Arc::new(shared), layout, 0)?;
        let b = Connection::attach(Arc::clone(&a.shared), layout, 1)?;
        Ok((a, b))
    }

    /// A new named pipe; returns end 0 (the reader when one-way). See the type's docs.
    ///
    /// # Errors
    ///
    /// As [`Queue::create`](super::Queue::create).
    pub fn create(
        name: &str,
        duplex: bool,
        capacity: usize,
        max_message: usize,
    ) -> Result<Connection<T, C>, Error> {
        let (segment, layout) = Self::segment(duplex, capacity, max_message)?;
        let trailing = layout.size * segment.ends.rings();
        let shared =
            Shared::create_with_trailing(name, segment, trailing, |s| Self::init(s, layout))?;
        Connection::attach(Arc::new(shared), layout, 0)
    }

    /// Attaches to the named pipe `name`; returns end 1 (the writer when one-way).
    ///
    /// # Errors
    ///
    /// As [`Queue::open`](super::Queue::open), for a Pipe segment.
    pub fn open(name: &str) -> Result<Connection<T, C>, Error> {
        let shared = Shared::<PipeSegment>::open(name)?;
        let [r0, r1] = &shared.rings;
        let layout = RingLayout::recorded(name, &[r0, r1], shared.max_message)?;
        Connection::attach(Arc::new(shared), layout, 1)
    }

    fn segment(
        duplex: bool,
        capacity: usize,
        max_message: usize,
    ) -> Result<(PipeSegment, RingLayout), Error> {
        let layout = RingLayout::new(capacity, max_message)?;
        let rings = [QueueState::new(capacity)?, QueueState::new(capacity)?];
        let segment = PipeSegment {
            rings,
            ends: PipeState::new(duplex),
            max_message: max_message as u64,
        };
        Ok((segment, layout))
    }

    /// Sets the rings' stamps before the segment is published.
    fn init(s: &Shared<PipeSegment>, layout: RingLayout) {
        for n in 0..s.ends.rings() {
            if let Some(place) = RingPlace::locate(s.trailing_ptr(), s.trailing_len(), layout, n) {
                // SAFETY: `s` is mapped while this runs, and nobody else sees it yet.
                unsafe { place.ring(&s.rings[n]) }.init();
            }
        }
    }
}

/// One end of a [`Pipe`] between processes. Methods: [`ConnectionApi`], plus raw-bytes
/// forms ([`send_bytes`](Self::send_bytes), [`recv_bytes`](Self::recv_bytes)) that bypass
/// the codec. Dropping it closes it (see [`Pipe`] on sharing ends).
pub struct Connection<T, C = Postcard> {
    shared: Arc<Shared<PipeSegment>>,
    /// Ring `n` of the pipe is at `places[n]` (a one-way pipe's ring 0 fills both).
    places: [RingPlace; 2],
    end: usize,
    _t: PhantomData<fn(T) -> (T, C)>,
}

impl<T, C: Codec<T>> Connection<T, C> {
    fn attach(
        shared: Arc<Shared<PipeSegment>>,
        layout: RingLayout,
        end: usize,
    ) -> Result<Self, Error> {
        let rings = shared.ends.rings();
        let locate = |n| RingPlace::in_segment(&shared, layout, n, rings);
        let first = locate(0)?;
        let second = if shared.ends.rings() == 2 {
            locate(1)?
        } else {
            first
        };
        Ok(Connection {
            places: [first, second],
            shared,
            end,
            _t: PhantomData,
        })
    }

    fn pipe_state(&self) -> &PipeState {
        &self.shared.ends
    }

    fn bytes(&self, n: usize) -> ShmRing<'_> {
        // SAFETY: `self.shared` keeps the mapping the places were located in alive for as
        // long as the returned ring borrows `self`.
        unsafe { self.places[n & 1].ring(&self.shared.rings[n & 1]) }
    }

    fn ring(&self, n: usize) -> Coded<'_, T, C> {
        Coded::new(self.bytes(n))
    }

    /// The segment's name, `None` for an anonymous pipe.
    pub fn name(&self) -> Option<&str> {
        self.shared.name()
    }

    /// The largest message, in encoded bytes.
    pub fn max_message(&self) -> usize {
        self.shared.max_message as usize
    }

    fn send_bytes_within(&self, message: &[u8], patience: Patience<'_>) -> Result<(), Error> {
        let n = self.pipe_state().send_ring(self.end)?;
        self.bytes(n).put_bytes(message, patience)
    }

    fn recv_bytes_within(&self, patience: Patience<'_>) -> Result<Vec<u8>, Error> {
        let s = self.pipe_state();
        let n = s.recv_ring(self.end, "recv_bytes")?;
        let r = self.bytes(n).get_bytes(patience);
        r.map_err(|e| s.recv_error(self.end, e))
    }

    /// Sends `message` as it is (no codec); an empty slice is an empty message.
    ///
    /// # Errors
    ///
    /// As [`ConnectionApi::send`]; [`Error::MessageTooLarge`] above the maximum.
    pub fn send_bytes(&self, message: &[u8]) -> Result<(), Error> {
        self.send_bytes_within(message, Patience::Forever)
    }

    /// As [`send_bytes`](Self::send_bytes), waiting at most `timeout` for room.
    ///
    /// # Errors
    ///
    /// As [`ConnectionApi::send_timeout`].
    pub fn send_bytes_timeout(&self, message: &[u8], timeout: Duration) -> Result<(), Error> {
        let d = Deadline::after(timeout)?;
        self.send_bytes_within(message, Patience::Until(&d))
    }

    /// Receives the next message as it is (no codec).
    ///
    /// # Errors
    ///
    /// As [`ConnectionApi::recv`] (`WrongDirection { op: "recv_bytes" }`).
    pub fn recv_bytes(&self) -> Result<Vec<u8>, Error> {
        self.recv_bytes_within(Patience::Forever)
    }

    /// Receives the next message as it is, if one is ready now.
    ///
    /// # Errors
    ///
    /// As [`ConnectionApi::try_recv`].
    pub fn try_recv_bytes(&self) -> Result<Vec<u8>, Error> {
        self.recv_bytes_within(Patience::Never)
    }

    /// Receives the next message as it is, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// As [`ConnectionApi::recv_timeout`].
    pub fn recv_bytes_timeout(&self, timeout: Duration) -> Result<Vec<u8>, Error> {
        let d = Deadline::after(timeout)?;
        self.recv_bytes_within(Patience::Until(&d))
    }
}

impl_connection_api!(impl[T, C: Codec<T>] for Connection<T, C>, item T);

impl<T, C> Drop for Connection<T, C> {
    fn drop(&mut self) {
        let s = &self.shared.ends;
        if s.close(self.end) {
            for n in 0..s.rings() {
                self.shared.rings[n].close(crate::sync::futex::Scope::Shared);
            }
        }
    }
}

impl<T, C: Codec<T>> fmt::Debug for Connection<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("process::Connection")
            .field("name", &self.shared.name())
            .field("end", &self.end)
            .field("duplex", &self.shared.ends.is_duplex())
            .field("closed", &self.is_closed())
            .finish()
    }
}
