//! The process versions' slot storage: rings of byte slots in a segment's trailing region.
//! The Queue has one ring, a Pipe one per direction.
//!
//! # Layout of one ring
//!
//! | offset | what |
//! |---|---|
//! | 0 | `capacity` stamps (`AtomicU32`), padded to a multiple of 64 bytes |
//! | `stamps_bytes` | `capacity` slots of `slot_size` bytes: a `u32` length (native endian), then the message |
//!
//! `slot_size` is `4 + max_message` rounded up to 8. Rings follow each other. A message is
//! copied into its slot between the algorithm's claim and its stamp store, so a reader sees
//! it only complete (algo::queue invariant 2). The length read back is untrusted: above
//! `max_message` it is reported as [`Error::Codec`], never used to read out of the slot.
//!
//! The only `unsafe` of the process Queue and Pipe (besides `Shared`) is here.

use std::marker::PhantomData;
use std::ptr;

use super::codec::Codec;
use super::{Shared, ShmSafe};
use crate::algo::queue::{Patience, QueueState, MAX_CAPACITY};
use crate::api::{PutError, Ring};
use crate::error::SegmentError;
use crate::sync::atomic::AtomicU32;
use crate::sync::futex::Scope;
use crate::Error;

/// The largest maximum message size: 1 GiB.
pub const MAX_MESSAGE: usize = 1 << 30;

/// The largest ring, in bytes (1 TiB): a sanity bound, far above any mapping that succeeds.
const MAX_RING: usize = 1 << 40;

/// Bytes of the length prefix in each slot.
const LEN: usize = 4;

/// Sizes of one ring, computed with checked arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RingLayout {
    /// Slots (and stamps).
    pub(crate) capacity: usize,
    /// The largest message in bytes.
    pub(crate) max_message: usize,
    slot_size: usize,
    stamps_bytes: usize,
    /// Bytes of the whole ring.
    pub(crate) size: usize,
}

impl RingLayout {
    /// The layout of a ring of `capacity` messages of at most `max_message` bytes.
    pub(crate) fn new(capacity: usize, max_message: usize) -> Result<Self, Error> {
        if capacity == 0 || capacity > MAX_CAPACITY as usize {
            return Err(Error::InvalidArgument {
                name: "capacity",
                reason: "must be at least 1 and at most 2^28",
            });
        }
        if max_message > MAX_MESSAGE {
            return Err(Error::InvalidArgument {
                name: "max_message",
                reason: "must be at most 2^30 bytes",
            });
        }
        let slot_size = (LEN + max_message).next_multiple_of(8);
        let stamps_bytes = (capacity * 4).next_multiple_of(64);
        let size = capacity
            .checked_mul(slot_size)
            .and_then(|s| s.checked_add(stamps_bytes))
            .filter(|&s| s <= MAX_RING)
            .ok_or(Error::InvalidArgument {
                name: "capacity",
                reason: "times max_message must stay within 1 TiB",
            })?;
        Ok(RingLayout {
            capacity,
            max_message,
            slot_size,
            stamps_bytes,
            size,
        })
    }

    /// The layout an attached segment records: the capacity of `states[0]` and `max_message`,
    /// read from shared memory and so untrusted, checked for range and against every state.
    ///
    /// # Errors
    ///
    /// [`SegmentError::WrongLayout`](crate::SegmentError::WrongLayout) with `found: (capacity, max_message)` (saturated to
    /// `u32`) and the maxima as `expected`.
    pub(crate) fn recorded(
        name: &str,
        states: &[&QueueState],
        max_message: u64,
    ) -> Result<Self, Error> {
        let capacity = states[0].capacity();
        usize::try_from(max_message)
            .ok()
            .and_then(|m| RingLayout::new(capacity, m).ok())
            .filter(|l| states.iter().all(|s| s.is_consistent(l.capacity)))
            .ok_or_else(|| Error::Segment {
                name: name.to_owned(),
                error: SegmentError::WrongLayout {
                    found: (
                        capacity.min(u32::MAX as usize) as u32,
                        max_message.min(u64::from(u32::MAX)) as u32,
                    ),
                    expected: (MAX_CAPACITY, MAX_MESSAGE as u32),
                },
            })
    }
}

/// Where ring `n` lies in a mapped trailing region; checked once, used for every operation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RingPlace {
    stamps: *const AtomicU32,
    slots: *mut u8,
    layout: RingLayout,
}

// SAFETY: a RingPlace is two addresses in a shared mapping and is dereferenced only through
// `ring`, whose caller keeps the mapping alive; the memory is accessed only atomically or
// through slots the algorithm hands out exclusively, from any thread.
unsafe impl Send for RingPlace {}
// SAFETY: as above.
unsafe impl Sync for RingPlace {}

impl RingPlace {
    /// Ring `n` of rings laid out by `layout` one after another in the `len` bytes at
    /// `base`; `None` if it does not fit or `base` is not 64-byte aligned. Dereferences
    /// nothing.
    pub(crate) fn locate(base: *mut u8, len: usize, layout: RingLayout, n: usize) -> Option<Self> {
        let start = n.checked_mul(layout.size)?;
        let end = start.checked_add(layout.size)?;
        (end <= len && base as usize % 64 == 0).then(|| RingPlace {
            stamps: base.wrapping_add(start).cast(),
            slots: base.wrapping_add(start + layout.stamps_bytes),
            layout,
        })
    }

    /// Ring `n` of `rings` rings laid out by `layout` in `shared`'s trailing region.
    ///
    /// # Errors
    ///
    /// [`SegmentError::Truncated`](crate::SegmentError::Truncated) when they do not fit.
    pub(crate) fn in_segment<S: ShmSafe>(
        shared: &Shared<S>,
        layout: RingLayout,
        n: usize,
        rings: usize,
    ) -> Result<Self, Error> {
        let offset = Shared::<S>::TRAILING_OFFSET;
        Self::locate(shared.trailing_ptr(), shared.trailing_len(), layout, n).ok_or_else(|| {
            Error::Segment {
                name: shared.name().unwrap_or_default().to_owned(),
                error: SegmentError::Truncated {
                    size: offset + shared.trailing_len(),
                    needed: offset.saturating_add(layout.size.saturating_mul(rings)),
                },
            }
        })
    }

    /// The ring, with `state` as its algorithm state.
    ///
    /// # Safety
    ///
    /// The mapping passed to [`locate`](Self::locate) must stay mapped for `'a`, and its ring
    /// bytes must be accessed by others only through this module (or peers running it).
    pub(crate) unsafe fn ring<'a>(&self, state: &'a QueueState) -> ShmRing<'a> {
        // SAFETY: `locate` checked that `capacity` stamps lie in the mapping at a 64-byte
        // aligned address; the caller keeps it mapped for 'a; an AtomicU32 is valid for any
        // bytes and is only accessed atomically.
        let stamps = unsafe { std::slice::from_raw_parts(self.stamps, self.layout.capacity) };
        ShmRing {
            state,
            stamps,
            slots: self.slots,
            layout: self.layout,
        }
    }
}

/// One ring of byte messages in shared memory, borrowed for `'a`.
pub(crate) struct ShmRing<'a> {
    pub(crate) state: &'a QueueState,
    stamps: &'a [AtomicU32],
    /// `capacity * slot_size` bytes, valid for 'a (RingPlace::ring).
    slots: *mut u8,
    layout: RingLayout,
}

impl ShmRing<'_> {
    /// Sets the stamps of a new ring (before the segment is published).
    pub(crate) fn init(&self) {
        self.state.init_stamps(self.stamps);
    }

    /// Slot `i`'s first byte; `i < capacity` (the algorithm clamps slots to the stamp array).
    fn slot(&self, i: usize) -> *mut u8 {
        self.slots.wrapping_add(i * self.layout.slot_size)
    }

    /// Queues one message.
    ///
    /// # Errors
    ///
    /// [`Error::MessageTooLarge`] (checked before anything changes), otherwise as
    /// [`QueueState::put`].
    pub(crate) fn put_bytes(&self, message: &[u8], patience: Patience<'_>) -> Result<(), Error> {
        if message.len() > self.layout.max_message {
            return Err(Error::MessageTooLarge {
                size: message.len(),
                max: self.layout.max_message,
            });
        }
        let write = |i: usize| {
            let slot = self.slot(i);
            // SAFETY: the algorithm hands slot `i` to this call alone until it returns
            // (algo::queue invariant 2); the slot's `slot_size >= 4 + max_message >= 4 + len`
            // bytes lie in the mapping (RingPlace::locate), and no Rust reference to them
            // exists. The length may be unaligned for the compiler's purposes: write it so.
            unsafe {
                slot.cast::<u32>().write_unaligned(message.len() as u32);
                ptr::copy_nonoverlapping(message.as_ptr(), slot.add(LEN), message.len());
            }
        };
        self.state.put(self.stamps, write, patience, Scope::Shared)
    }

    /// Removes and returns the oldest message.
    ///
    /// # Errors
    ///
    /// [`Error::Codec`] for a slot whose length exceeds the maximum (only a misbehaving peer
    /// writes one; the slot is consumed); otherwise as [`QueueState::get`].
    pub(crate) fn get_bytes(&self, patience: Patience<'_>) -> Result<Vec<u8>, Error> {
        let read = |i: usize| {
            let slot = self.slot(i);
            // SAFETY: slot `i` is this call's alone (invariant 2) and lies in the mapping;
            // its length prefix was written by the put that published it.
            let len = unsafe { slot.cast::<u32>().read_unaligned() } as usize;
            if len > self.layout.max_message {
                return Err(Error::Codec {
                    message: format!(
                        "corrupt message length {len} (maximum {})",
                        self.layout.max_message
                    ),
                });
            }
            let mut message = Vec::with_capacity(len);
            // SAFETY: `len <= max_message`, so its bytes lie in the slot; `message` has room
            // for `len` bytes, all initialised by the copy before `set_len`.
            unsafe {
                ptr::copy_nonoverlapping(slot.add(LEN), message.as_mut_ptr(), len);
                message.set_len(len);
            }
            Ok(message)
        };
        self.state.get(self.stamps, read, patience, Scope::Shared)?
    }
}

/// A byte ring seen as a ring of `T`, through codec `C`.
pub(crate) struct Coded<'a, T, C> {
    pub(crate) bytes: ShmRing<'a>,
    _t: PhantomData<fn(T) -> (T, C)>,
}

impl<'a, T, C> Coded<'a, T, C> {
    pub(crate) fn new(bytes: ShmRing<'a>) -> Self {
        Coded {
            bytes,
            _t: PhantomData,
        }
    }
}

impl<T, C: Codec<T>> Ring<T> for Coded<'_, T, C> {
    fn state(&self) -> &QueueState {
        self.bytes.state
    }

    fn put(&self, item: T, patience: Patience<'_>) -> Result<(), PutError<T>> {
        let mut scratch = Vec::new();
        let r = C::encode(&item, &mut scratch).and_then(|m| self.bytes.put_bytes(m, patience));
        r.map_err(|error| PutError { error, item })
    }

    fn get(&self, patience: Patience<'_>) -> Result<T, Error> {
        C::decode(self.bytes.get_bytes(patience)?)
    }

    fn poll(&self, patience: Patience<'_>) -> bool {
        self.bytes
            .state
            .poll(self.bytes.stamps, patience, Scope::Shared)
    }

    fn close(&self) {
        self.bytes.state.close(Scope::Shared);
    }

    fn task_done(&self) -> Result<(), Error> {
        self.bytes.state.task_done(Scope::Shared)
    }

    fn join(&self, patience: Patience<'_>) -> bool {
        self.bytes.state.join(patience, Scope::Shared)
    }
}
