//! `process::Queue`.

use std::fmt;
use std::marker::PhantomData;

use super::codec::{Codec, Postcard};
use super::ring::{Coded, RingLayout, RingPlace};
use super::{Shared, ShmSafe, KIND_QUEUE};
use crate::algo::queue::QueueState;
use crate::api::{impl_queue_api, Ring};
use crate::Error;

/// The fixed part of a Queue segment; the ring follows in the trailing region.
///
/// # Layout
///
/// `#[repr(C)]`, 64 bytes, align 8: the [`QueueState`] (56 bytes), then `max_message`
/// (`u64`, never changed after creation). An attacher reads the capacity and `max_message`
/// as untrusted values and checks them against the segment's size before using them.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct QueueSegment {
    queue: QueueState,
    max_message: u64,
}

// SAFETY: QueueSegment is `#[repr(C)]`, made of atomics and integers that never change after
// creation, holds no pointer, is valid at any address, needs no destructor, align 8.
unsafe impl ShmSafe for QueueSegment {
    const KIND: u32 = KIND_QUEUE;
}

/// A bounded FIFO queue shared between processes. Methods: [`QueueApi`](crate::QueueApi).
///
/// Items travel as messages in a ring of slots inside the shared segment: a `put` returns
/// once its message is in shared memory (no feeder thread, unlike Python's
/// `multiprocessing.Queue`), and a `get` decodes it. The codec `C` is [`Postcard`] (any serde
/// type) unless you choose [`Raw`](super::Raw) for `Vec<u8>` items. Each message has at most
/// `max_message` bytes: a larger one is refused with [`Error::MessageTooLarge`] before
/// anything changes.
///
/// Make it with [`Queue::new`] before `fork` to share it with children, or [`Queue::create`]
/// it by name and [`Queue::open`] it elsewhere. The segment takes
/// about `capacity × (max_message + 8)` bytes.
///
/// A process killed in the middle of a put or get (after claiming its slot, during the copy
/// of at most `max_message` bytes) leaves that slot "in progress": no torn message is ever
/// seen, but operations that reach the slot wait for it forever, timed ones included (they
/// wait for a copy in progress whatever their timeout, see
/// [`Patience`](crate::algo::queue::Patience)). Recovering from that is future owner-death
/// work, as it is for a Lock.
///
/// ```
/// use twinsync::{process::Queue, QueueApi};
///
/// let name = twinsync::process::unique_name("doc-queue").unwrap();
/// let a: Queue<(u32, String)> = Queue::create(&name, 8, 256).unwrap();
/// let b: Queue<(u32, String)> = Queue::open(&name).unwrap();   // in another process, typically
/// a.put((1, "one".into())).unwrap();
/// assert_eq!(b.get().unwrap(), (1, "one".to_string()));
/// let e = a.put((2, "x".repeat(300))).unwrap_err();             // larger than 256 bytes
/// assert!(matches!(e.error, twinsync::Error::MessageTooLarge { .. }));
/// twinsync::process::unlink(&name).unwrap();
/// ```
pub struct Queue<T, C = Postcard> {
    shared: Shared<QueueSegment>,
    place: RingPlace,
    _t: PhantomData<fn(T) -> (T, C)>,
}

impl<T, C: Codec<T>> Queue<T, C> {
    fn segment(capacity: usize, max_message: usize) -> Result<(QueueSegment, RingLayout), Error> {
        let layout = RingLayout::new(capacity, max_message)?;
        let queue = QueueState::new(capacity)?;
        Ok((
            QueueSegment {
                queue,
                max_message: max_message as u64,
            },
            layout,
        ))
    }

    /// Sets the ring's stamps before the segment is published.
    fn init(s: &Shared<QueueSegment>, layout: RingLayout) {
        if let Ok(place) = RingPlace::in_segment(s, layout, 0, 1) {
            // SAFETY: `s` is mapped while this runs, and nobody else sees it yet.
            unsafe { place.ring(&s.queue) }.init();
        }
    }

    fn attach(shared: Shared<QueueSegment>, layout: RingLayout) -> Result<Self, Error> {
        let place = RingPlace::in_segment(&shared, layout, 0, 1)?;
        Ok(Queue {
            shared,
            place,
            _t: PhantomData,
        })
    }

    /// An empty queue of `capacity` messages of at most `max_message` bytes each, in an
    /// anonymous shared mapping inherited by children created with `fork`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `capacity` is 0 or above
    /// [`MAX_CAPACITY`](crate::algo::queue::MAX_CAPACITY), `max_message` is above
    /// [`MAX_MESSAGE`](super::MAX_MESSAGE), or the ring would not fit in memory;
    /// [`Error::Os`] when the mapping cannot be made.
    pub fn new(capacity: usize, max_message: usize) -> Result<Self, Error> {
        let (segment, layout) = Self::segment(capacity, max_message)?;
        let shared = Shared::new_with_trailing(segment, layout.size, |s| Self::init(s, layout))?;
        Self::attach(shared, layout)
    }

    /// An empty queue in a new named segment (see [`Shared::create`]).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new) and [`Shared::create`].
    pub fn create(name: &str, capacity: usize, max_message: usize) -> Result<Self, Error> {
        let (segment, layout) = Self::segment(capacity, max_message)?;
        let shared =
            Shared::create_with_trailing(name, segment, layout.size, |s| Self::init(s, layout))?;
        Self::attach(shared, layout)
    }

    /// Attaches to the queue in the named segment `name` (see [`Shared::open`]). Capacity and
    /// maximum message size come from the segment. The codec must be the creator's.
    ///
    /// # Errors
    ///
    /// As [`Shared::open`]; [`SegmentError::WrongKind`](crate::SegmentError::WrongKind) for another primitive's segment;
    /// [`SegmentError::WrongLayout`](crate::SegmentError::WrongLayout) with `found: (capacity, max_message)` when those are out
    /// of range or inconsistent; [`SegmentError::Truncated`](crate::SegmentError::Truncated) when the ring does not fit.
    pub fn open(name: &str) -> Result<Self, Error> {
        let shared = Shared::<QueueSegment>::open(name)?;
        let layout = RingLayout::recorded(name, &[&shared.queue], shared.max_message)?;
        Self::attach(shared, layout)
    }

    /// The segment's name, `None` for an anonymous queue.
    pub fn name(&self) -> Option<&str> {
        self.shared.name()
    }

    /// The largest message, in encoded bytes.
    pub fn max_message(&self) -> usize {
        self.shared.max_message as usize
    }

    fn ring(&self) -> Coded<'_, T, C> {
        // SAFETY: `self.shared` keeps the mapping `place` was located in alive for as long
        // as the returned ring borrows `self`.
        Coded::new(unsafe { self.place.ring(&self.shared.queue) })
    }
}

impl_queue_api!(impl[T, C: Codec<T>] for Queue<T, C>, item T);

impl<T, C: Codec<T>> fmt::Debug for Queue<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ring = self.ring();
        let s = ring.state();
        f.debug_struct("process::Queue")
            .field("name", &self.shared.name())
            .field("capacity", &s.capacity())
            .field("max_message", &self.max_message())
            .field("len", &s.len())
            .field("closed", &s.is_closed())
            .finish()
    }
}
