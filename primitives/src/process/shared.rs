//! A value of a [`ShmSafe`] type in a shared-memory segment, behind a checked header,
//! optionally followed by a trailing byte region whose size is fixed at creation (for states
//! whose size depends on a constructor argument, like a Queue's ring of slots).

use std::fmt;
use std::marker::PhantomData;
use std::mem::{align_of, size_of};
use std::ops::Deref;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU32, AtomicU64, AtomicUsize};

use crate::error::SegmentError;
use crate::sys::shm::Region;
use crate::Error;

/// First eight bytes of every segment: `b"TWNSYNC\x01"` read as a little-endian `u64`.
pub const MAGIC: u64 = u64::from_le_bytes(*b"TWNSYNC\x01");
/// Layout version of the header and of every state type; bumped on any change.
pub const ABI_VERSION: u32 = 1;
/// Size of [`Header`]; the state starts at this offset.
pub const HEADER_SIZE: usize = 64;
const READY: u32 = 0x5245_4459; // "REDY"

/// Types that may be placed in memory shared between processes.
///
/// # Safety
///
/// An implementor guarantees that a value of the type:
///
/// * is `#[repr(C)]` (or a primitive or array of such) and contains no pointers, references,
///   file descriptors or other handles meaningful only in one process or at one address;
/// * is mutated through `&self` only by atomic operations (several processes access it at
///   once, and the compiler cannot see the others);
/// * needs no destructor: it is never dropped (other processes may still use it);
/// * has an alignment of at most 64 bytes.
///
/// Values written by a peer process are trusted to be ones your code wrote.
pub unsafe trait ShmSafe: Sync {
    /// Kind tag stored in the segment header and checked on attach.
    const KIND: u32 = super::KIND_USER;
}

macro_rules! shm_safe_atomics {
    ($($t:ty),*) => { $(
        // SAFETY: a std atomic integer is a plain integer in memory, mutated only atomically.
        unsafe impl ShmSafe for $t {}
    )* };
}
shm_safe_atomics!(
    AtomicBool,
    AtomicI32,
    AtomicI64,
    AtomicU32,
    AtomicU64,
    AtomicUsize
);

// SAFETY: an array of ShmSafe elements is laid out contiguously with the same alignment.
unsafe impl<T: ShmSafe, const N: usize> ShmSafe for [T; N] {}

/// The header at offset 0 of every segment.
///
/// # Layout
///
/// `#[repr(C, align(64))]`, 64 bytes. Fields are atomics because a peer may read them while
/// the creator writes them; the creator stores `ready` last with `Release`, and an attacher
/// reads it with `Acquire` before trusting anything else.
///
/// | offset | field | value |
/// |---|---|---|
/// | 0 | magic | [`MAGIC`] |
/// | 8 | abi_version | [`ABI_VERSION`] |
/// | 12 | kind | [`ShmSafe::KIND`] |
/// | 16 | state_size | `size_of::<T>()` |
/// | 20 | state_align | `align_of::<T>()` |
/// | 24 | ready | `"REDY"` once initialised |
/// | 28 | creator_pid | informational |
/// | 32 | total_size | bytes in use: header, state, and trailing region if any; 0 (as in a segment written without it) means header and state only |
#[repr(C, align(64))]
#[derive(Debug)]
pub struct Header {
    magic: AtomicU64,
    abi_version: AtomicU32,
    kind: AtomicU32,
    state_size: AtomicU32,
    state_align: AtomicU32,
    ready: AtomicU32,
    creator_pid: AtomicU32,
    total_size: AtomicU64,
}

const _: () = assert!(size_of::<Header>() == HEADER_SIZE);

/// A `T` in shared memory. Dereferences to `&T`.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use twinsync::process::Shared;
///
/// let counter = Shared::new(AtomicU64::new(0)).unwrap(); // anonymous: inherited by fork
/// counter.fetch_add(1, Ordering::Relaxed);
/// assert_eq!(counter.load(Ordering::Relaxed), 1);
/// ```
pub struct Shared<T: ShmSafe> {
    region: Region,
    name: Option<String>,
    /// Length of the trailing region; `HEADER + T + trailing <= region.len()` (checked).
    trailing: usize,
    _t: PhantomData<T>,
}

// SAFETY: the segment holds a `T: ShmSafe` (so `T: Sync`) accessed only through `&T`; the
// mapping itself may be used from any thread.
unsafe impl<T: ShmSafe> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: ShmSafe> Sync for Shared<T> {}

impl<T: ShmSafe> Shared<T> {
    const SIZE: usize = {
        assert!(
            align_of::<T>() <= HEADER_SIZE,
            "ShmSafe types must be aligned to at most 64"
        );
        HEADER_SIZE + size_of::<T>()
    };

    /// Offset of the trailing region: after the state, rounded up to 64 bytes.
    pub const TRAILING_OFFSET: usize = Self::SIZE.next_multiple_of(HEADER_SIZE);

    /// Bytes in use for a trailing region of `trailing` bytes.
    fn total_size(trailing: usize) -> Result<usize, Error> {
        if trailing == 0 {
            return Ok(Self::SIZE);
        }
        Self::TRAILING_OFFSET
            .checked_add(trailing)
            .filter(|&t| t <= isize::MAX as usize / 2)
            .ok_or(Error::InvalidArgument {
                name: "trailing",
                reason: "must fit in the address space",
            })
    }

    /// Places `value` in a new anonymous shared mapping (inherited by `fork`).
    ///
    /// # Errors
    ///
    /// [`Error::Os`] if the mapping fails.
    pub fn new(value: T) -> Result<Self, Error> {
        Self::new_with_trailing(value, 0, |_| {})
    }

    /// Places `value` in a new anonymous shared mapping followed by `trailing` zeroed bytes.
    /// `init` runs before the segment is published, to fill the trailing region (see
    /// [`trailing_ptr`](Self::trailing_ptr)).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use twinsync::process::Shared;
    ///
    /// let s = Shared::new_with_trailing(AtomicU32::new(3), 3, |s| {
    ///     // SAFETY: the trailing region has 3 bytes and nobody else sees it yet.
    ///     unsafe { s.trailing_ptr().write_bytes(7, 3) };
    /// })
    /// .unwrap();
    /// assert_eq!(s.trailing_len(), 3);
    /// assert_eq!(s.load(Ordering::Relaxed), 3);
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Os`] if the mapping fails; [`Error::InvalidArgument`] for an impossible size.
    pub fn new_with_trailing(
        value: T,
        trailing: usize,
        init: impl FnOnce(&Self),
    ) -> Result<Self, Error> {
        let total = Self::total_size(trailing)?;
        let region = Region::anonymous(total)?;
        Ok(Self::init(region, None, value, trailing, init))
    }

    /// Creates the named segment `name` (see [`crate::sys::shm::Region::create_named`]) holding
    /// `value`. The name stays until someone calls [`unlink`](super::unlink).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`], [`Error::Segment`] ([`SegmentError::AlreadyExists`]),
    /// [`Error::Os`].
    pub fn create(name: &str, value: T) -> Result<Self, Error> {
        Self::create_with_trailing(name, value, 0, |_| {})
    }

    /// As [`create`](Self::create), with `trailing` zeroed bytes after the state, filled by
    /// `init` before the segment is published (an attacher sees it only once `init` is done).
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create); [`Error::InvalidArgument`] for an impossible size.
    pub fn create_with_trailing(
        name: &str,
        value: T,
        trailing: usize,
        init: impl FnOnce(&Self),
    ) -> Result<Self, Error> {
        let total = Self::total_size(trailing)?;
        let region = Region::create_named(name, total)?;
        Ok(Self::init(
            region,
            Some(name.to_owned()),
            value,
            trailing,
            init,
        ))
    }

    fn init(
        region: Region,
        name: Option<String>,
        value: T,
        trailing: usize,
        fill: impl FnOnce(&Self),
    ) -> Self {
        let base = region.as_ptr();
        // SAFETY: the region is at least SIZE bytes, page-aligned, zero-filled and not yet
        // visible to an attacher as ready; the header is all atomics, for which zero bytes
        // are a valid value; the state offset (64) satisfies T's alignment (asserted).
        unsafe { base.add(HEADER_SIZE).cast::<T>().write(value) };
        let s = Shared::<T> {
            region,
            name,
            trailing,
            _t: PhantomData,
        };
        fill(&s);
        let h = s.header();
        h.magic.store(MAGIC, Relaxed);
        h.abi_version.store(ABI_VERSION, Relaxed);
        h.kind.store(T::KIND, Relaxed);
        h.state_size.store(size_of::<T>() as u32, Relaxed);
        h.state_align.store(align_of::<T>() as u32, Relaxed);
        let total = Self::total_size(trailing).unwrap_or(Self::SIZE);
        h.total_size.store(total as u64, Relaxed);
        // SAFETY: getpid cannot fail.
        h.creator_pid
            .store(unsafe { libc::getpid() } as u32, Relaxed);
        // Publishes the header and the state (invariant: ready implies initialised).
        h.ready.store(READY, Release);
        s
    }

    /// Attaches to the named segment `name`, after checking the object (owner, permissions,
    /// size) and the header (magic, ABI version, kind, state layout, ready flag, total size:
    /// a trailing region must lie within the object).
    ///
    /// # Errors
    ///
    /// [`Error::Segment`] with the reason it was refused; [`Error::InvalidName`];
    /// [`Error::Os`].
    pub fn open(name: &str) -> Result<Self, Error> {
        let region = Region::open_named(name, Self::SIZE)?;
        let mut s = Shared::<T> {
            region,
            name: Some(name.to_owned()),
            trailing: 0,
            _t: PhantomData,
        };
        s.trailing = s.check().map_err(|error| Error::Segment {
            name: name.to_owned(),
            error,
        })?;
        Ok(s)
    }

    /// Checks the header; returns the length of the trailing region.
    fn check(&self) -> Result<usize, SegmentError> {
        let h = self.header();
        let ready = h.ready.load(Acquire);
        let magic = h.magic.load(Relaxed);
        if magic != MAGIC {
            if magic == 0 && ready == 0 {
                return Err(SegmentError::NotReady);
            }
            return Err(SegmentError::BadMagic {
                found: magic.to_le_bytes(),
            });
        }
        let version = h.abi_version.load(Relaxed);
        if version != ABI_VERSION {
            return Err(SegmentError::AbiVersion {
                found: version,
                expected: ABI_VERSION,
            });
        }
        let kind = h.kind.load(Relaxed);
        if kind != T::KIND {
            return Err(SegmentError::WrongKind {
                found: kind,
                expected: T::KIND,
            });
        }
        let found = (h.state_size.load(Relaxed), h.state_align.load(Relaxed));
        let expected = (size_of::<T>() as u32, align_of::<T>() as u32);
        if found != expected {
            return Err(SegmentError::WrongLayout { found, expected });
        }
        if ready != READY {
            return Err(SegmentError::NotReady);
        }
        // An untrusted value: bounded by the object's size (measured with fstat and mapped
        // whole), so no access through the trailing region can fault.
        let total = h.total_size.load(Relaxed);
        if total == 0 || total == Self::SIZE as u64 {
            return Ok(0);
        }
        let size = self.region.len();
        match usize::try_from(total) {
            Ok(t) if t > size => Err(SegmentError::Truncated { size, needed: t }),
            Ok(t) if t > Self::TRAILING_OFFSET => Ok(t - Self::TRAILING_OFFSET),
            _ => Err(SegmentError::Truncated {
                size: usize::try_from(total).unwrap_or(usize::MAX),
                needed: Self::TRAILING_OFFSET + 1,
            }),
        }
    }

    /// The segment's header.
    pub fn header(&self) -> &Header {
        // SAFETY: the region is at least HEADER_SIZE bytes, page-aligned, and Header is all
        // atomics (any bit pattern valid); the reference lives no longer than `self.region`.
        unsafe { &*self.region.as_ptr().cast::<Header>() }
    }

    /// The segment's name, `None` for an anonymous mapping.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Length in bytes of the trailing region (0 when the segment has none). For an attached
    /// segment it comes from the header, checked against the object's size.
    pub fn trailing_len(&self) -> usize {
        self.trailing
    }

    /// Start of the trailing region (64-byte aligned), valid for
    /// [`trailing_len`](Self::trailing_len) bytes while `self` lives.
    ///
    /// Obtaining the pointer is safe; using it is not: other processes may access the same
    /// bytes at any time, so access them only under a protocol the peers follow (atomics, or
    /// bytes handed out exclusively by an algorithm), and never through `&mut`.
    pub fn trailing_ptr(&self) -> *mut u8 {
        // Stays in the mapping: TRAILING_OFFSET + trailing <= region.len() (init sized it,
        // check() verified it); for no trailing region it may point one past the state.
        self.region.as_ptr().wrapping_add(Self::TRAILING_OFFSET)
    }
}

impl<T: ShmSafe> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `init` wrote a T at HEADER_SIZE, or `open` checked that the creator did
        // (ready, kind and layout match); the mapping outlives the reference; T is mutated
        // only through atomics (ShmSafe).
        unsafe { &*self.region.as_ptr().add(HEADER_SIZE).cast::<T>() }
    }
}

impl<T: ShmSafe> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("name", &self.name)
            .field("len", &self.region.len())
            .finish()
    }
}
