//! Typed errors.
//!
//! Every misuse that Python reports with an exception is an [`Error`] here, with a message
//! that says what was wrong. No public operation panics on bad input.

use std::fmt;
use std::time::Duration;

/// What went wrong.
///
/// ```
/// use twinsync::{thread::Lock, Error, LockApi};
///
/// let lock = Lock::new();
/// assert!(matches!(lock.release(), Err(Error::NotHeld)));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// `release` on a primitive that is not held (Python: "release unlocked lock").
    NotHeld,
    /// An ownership-based operation by a thread that does not own the primitive: releasing an
    /// RLock held by another thread (or by nobody), or waiting on / notifying a Condition
    /// without holding its lock (Python: `RuntimeError` "cannot release un-acquired lock",
    /// "cannot wait on un-acquired lock").
    NotOwner,
    /// An argument outside the operation's domain: a Barrier of 0 parties, a Queue of
    /// capacity 0, `release(0)` (Python: `ValueError`).
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// What it must be.
        reason: &'static str,
    },
    /// A release that would raise a counter past its maximum: a BoundedSemaphore released
    /// beyond its initial value, a Semaphore past its representable maximum, `task_done`
    /// called more often than items were put. Nothing changed (Python: `ValueError`
    /// "Semaphore released too many times", "task_done() called too many times").
    TooManyReleases {
        /// The largest value the counter may hold.
        max: u64,
    },
    /// The Barrier is broken (a timeout, `abort`, a failed action, or a `reset` while this
    /// party waited); Python's `BrokenBarrierError`.
    BrokenBarrier,
    /// The Barrier's action failed; the barrier is broken for every other party. Returned to
    /// the party that ran the action.
    BarrierAction {
        /// The action's error (or panic) message.
        message: String,
    },
    /// A Queue had no room within the time allowed (Python: `queue.Full`).
    Full,
    /// A Queue had no item within the time allowed (Python: `queue.Empty`).
    Empty,
    /// The Queue or connection was closed: no more puts or sends, and (once drained) no more
    /// gets (Python: `ShutDown`, "Queue is closed", "handle is closed").
    Closed,
    /// The peer end of a Pipe was closed and nothing is left to receive (Python: `EOFError`).
    Eof,
    /// A message larger than the Queue's or Pipe's maximum message size; nothing was sent and
    /// nothing already queued changed.
    MessageTooLarge {
        /// The message's encoded size in bytes.
        size: usize,
        /// The maximum.
        max: usize,
    },
    /// An operation in the direction a one-way Pipe end does not have (Python: `OSError`
    /// "connection is read-only" / "connection is write-only").
    WrongDirection {
        /// The operation attempted.
        op: &'static str,
    },
    /// A message could not be encoded or decoded.
    Codec {
        /// What the codec said.
        message: String,
    },
    /// A timeout longer than [`TIMEOUT_MAX`](crate::TIMEOUT_MAX) (Python: `OverflowError`).
    TimeoutTooLarge {
        /// The timeout that was given.
        timeout: Duration,
    },
    /// A shared-memory name that POSIX `shm_open` would not accept.
    InvalidName {
        /// The name that was given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A shared-memory segment that cannot be used; see [`SegmentError`].
    Segment {
        /// The segment's name (empty for an anonymous mapping).
        name: String,
        /// What is wrong with it.
        error: SegmentError,
    },
    /// The operation does not apply to this kind of object (for example `kill` on a
    /// thread worker: a thread cannot be killed).
    Unsupported {
        /// The operation.
        op: &'static str,
        /// Why it does not apply.
        reason: &'static str,
    },
    /// A process started with the spawn method did not find its entry point: the executable
    /// has no [`entry_point!`](crate::entry_point) constructor with this name (or its
    /// constructors did not run). See [`worker`](crate::worker).
    EntryNotRegistered {
        /// The entry's name.
        name: String,
    },
    /// A worker process failed before it ran its entry (for example it was started without
    /// the launch descriptors, or it died before its constructor ran).
    WorkerLaunch {
        /// What happened.
        reason: String,
    },
    /// A system call failed.
    Os {
        /// The call that failed.
        op: &'static str,
        /// The error it returned.
        source: std::io::Error,
    },
}

/// Why a shared-memory segment was refused.
///
/// Attaching checks the object (owner, permissions, size) before mapping it and the header
/// (magic, ABI version, primitive kind, layout) after, so a stray, stale or hostile segment is
/// reported here rather than misread.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SegmentError {
    /// Creating: the name already exists.
    AlreadyExists,
    /// Attaching: no object has this name.
    NotFound,
    /// The object belongs to another user.
    WrongOwner {
        /// Owner's uid.
        owner: u32,
        /// The caller's effective uid.
        expected: u32,
    },
    /// The object grants access to group or others (someone else may have pre-created it).
    LoosePermissions {
        /// Its permission bits.
        mode: u32,
    },
    /// The object is smaller than its header and state need.
    Truncated {
        /// Its size in bytes.
        size: usize,
        /// The size needed.
        needed: usize,
    },
    /// The header does not start with twinsync's magic number: not a twinsync segment.
    BadMagic {
        /// The first eight bytes found.
        found: [u8; 8],
    },
    /// Made by an incompatible version of twinsync.
    AbiVersion {
        /// Version in the segment.
        found: u32,
        /// Version this build understands.
        expected: u32,
    },
    /// The segment holds another kind of primitive.
    WrongKind {
        /// Kind tag in the segment.
        found: u32,
        /// Kind tag expected.
        expected: u32,
    },
    /// The state's size or alignment differs from this build's.
    WrongLayout {
        /// (size, align) in the segment.
        found: (u32, u32),
        /// (size, align) expected.
        expected: (u32, u32),
    },
    /// The creator has not finished initialising the segment (or died doing so).
    NotReady,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotHeld => f.write_str("release of a primitive that is not held"),
            Error::NotOwner => f.write_str(
                "the calling thread does not own the lock (release of an RLock it does not \
                 hold, or Condition wait/notify without holding its lock)",
            ),
            Error::InvalidArgument { name, reason } => {
                write!(f, "invalid argument `{name}`: it {reason}")
            }
            Error::TooManyReleases { max } => {
                write!(f, "released too many times: the value may not exceed {max}")
            }
            Error::BrokenBarrier => f.write_str("the barrier is broken"),
            Error::BarrierAction { message } => {
                write!(
                    f,
                    "the barrier action failed (the barrier is now broken): {message}"
                )
            }
            Error::Full => f.write_str("the queue is full"),
            Error::Empty => f.write_str("the queue is empty"),
            Error::Closed => f.write_str("closed"),
            Error::Eof => f.write_str("end of stream: the peer closed its end"),
            Error::MessageTooLarge { size, max } => write!(
                f,
                "message of {size} bytes exceeds the maximum message size of {max} bytes"
            ),
            Error::WrongDirection { op } => {
                write!(f, "{op} is not possible on this end of a one-way pipe")
            }
            Error::Codec { message } => write!(f, "message encoding failed: {message}"),
            Error::TimeoutTooLarge { timeout } => write!(
                f,
                "timeout {timeout:?} is larger than TIMEOUT_MAX ({:?})",
                crate::TIMEOUT_MAX
            ),
            Error::InvalidName { name, reason } => {
                write!(f, "invalid shared-memory name {name:?}: it {reason}")
            }
            Error::Segment { name, error } => write!(f, "shared-memory segment {name:?}: {error}"),
            Error::Unsupported { op, reason } => write!(f, "{op} is not supported: {reason}"),
            Error::EntryNotRegistered { name } => write!(
                f,
                "worker entry {name:?} is not registered in this executable (no \
                 entry_point! constructor with this name ran in the spawned process)"
            ),
            Error::WorkerLaunch { reason } => write!(f, "worker launch failed: {reason}"),
            Error::Os { op, source } => write!(f, "{op} failed: {source}"),
        }
    }
}

impl fmt::Display for SegmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentError::AlreadyExists => f.write_str("a segment with this name already exists"),
            SegmentError::NotFound => f.write_str("no segment with this name exists"),
            SegmentError::WrongOwner { owner, expected } => {
                write!(
                    f,
                    "owned by uid {owner}, not by this process's uid {expected}"
                )
            }
            SegmentError::LoosePermissions { mode } => write!(
                f,
                "mode {mode:03o} grants access to group or others (expected 0600); refusing a \
                 segment someone else may have created"
            ),
            SegmentError::Truncated { size, needed } => {
                write!(f, "truncated: {size} bytes, at least {needed} needed")
            }
            SegmentError::BadMagic { found } => {
                write!(f, "not a twinsync segment (magic {found:02x?})")
            }
            SegmentError::AbiVersion { found, expected } => {
                write!(f, "ABI version {found}, this build understands {expected}")
            }
            SegmentError::WrongKind { found, expected } => write!(
                f,
                "holds a primitive of kind {}, expected {}",
                kind_name(*found),
                kind_name(*expected)
            ),
            SegmentError::WrongLayout { found, expected } => write!(
                f,
                "state layout (size, align) {found:?} differs from this build's {expected:?}"
            ),
            SegmentError::NotReady => f.write_str("its creator has not finished initialising it"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Os { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl std::error::Error for SegmentError {}

/// Renders a segment kind tag as its four ASCII letters when it is one, in hex otherwise.
///
/// ```
/// assert_eq!(twinsync::process::kind_name(twinsync::process::KIND_LOCK), "LOCK");
/// ```
pub fn kind_name(kind: u32) -> String {
    let b = kind.to_be_bytes();
    if b.iter().all(|c| c.is_ascii_uppercase()) {
        b.iter().map(|&c| c as char).collect()
    } else {
        format!("{kind:#010x}")
    }
}
