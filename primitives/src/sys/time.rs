//! Absolute deadlines on `CLOCK_MONOTONIC`.
//!
//! Every timed operation turns its `Duration` into a [`Deadline`] once, on entry. Futex
//! waits are given the absolute time (`FUTEX_WAIT_BITSET`), so a wait restarted after
//! `EINTR` or a spurious wake-up ends at the same instant as the first one would have.
//! `CLOCK_MONOTONIC` is system-wide, so a deadline means the same instant in every process.

use std::time::Duration;

use crate::Error;

/// The longest timeout accepted by timed operations: about 292 years, the span of a signed
/// 64-bit count of nanoseconds (the kernel's `ktime_t`; Python's `threading.TIMEOUT_MAX`
/// has the same bound).
///
/// A longer timeout is an error ([`Error::TimeoutTooLarge`]), never a silent clamp.
///
/// ```
/// use std::time::Duration;
/// assert!(twinsync::TIMEOUT_MAX > Duration::from_secs(9_000_000_000));
/// ```
pub const TIMEOUT_MAX: Duration = Duration::from_secs(i64::MAX as u64 / 1_000_000_000);

/// An absolute point in time on `CLOCK_MONOTONIC`.
///
/// ```
/// use std::time::Duration;
/// use twinsync::sys::time::Deadline;
///
/// let d = Deadline::after(Duration::from_millis(5)).unwrap();
/// assert!(!d.has_passed() || d.remaining() == Duration::ZERO);
/// assert!(Deadline::after(Duration::MAX).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline {
    secs: i64,
    nanos: u32,
}

impl Deadline {
    /// The current time.
    pub fn now() -> Deadline {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux,
        // so the call cannot fail.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        debug_assert_eq!(rc, 0);
        Deadline {
            secs: ts.tv_sec,
            nanos: ts.tv_nsec as u32,
        }
    }

    /// The instant `timeout` from now.
    ///
    /// # Errors
    ///
    /// [`Error::TimeoutTooLarge`] when `timeout` exceeds [`TIMEOUT_MAX`].
    pub fn after(timeout: Duration) -> Result<Deadline, Error> {
        if timeout > TIMEOUT_MAX {
            return Err(Error::TimeoutTooLarge { timeout });
        }
        Ok(Deadline::now().plus(timeout))
    }

    /// Converts an optional timeout (`None` = wait forever) to an optional deadline.
    ///
    /// # Errors
    ///
    /// As [`Deadline::after`].
    pub fn from_timeout(timeout: Option<Duration>) -> Result<Option<Deadline>, Error> {
        timeout.map(Deadline::after).transpose()
    }

    fn plus(self, d: Duration) -> Deadline {
        // Cannot overflow: d <= TIMEOUT_MAX (< 2^63 / 1e9 s) and `now` is uptime-sized.
        let mut secs = self.secs.saturating_add(d.as_secs() as i64);
        let mut nanos = self.nanos + d.subsec_nanos();
        if nanos >= 1_000_000_000 {
            nanos -= 1_000_000_000;
            secs = secs.saturating_add(1);
        }
        Deadline { secs, nanos }
    }

    /// Whether the deadline is now or in the past.
    pub fn has_passed(&self) -> bool {
        Deadline::now() >= *self
    }

    /// Time left until the deadline, zero when it has passed.
    pub fn remaining(&self) -> Duration {
        let now = Deadline::now();
        if now >= *self {
            return Duration::ZERO;
        }
        let (mut s, mut n) = (self.secs - now.secs, self.nanos as i64 - now.nanos as i64);
        if n < 0 {
            n += 1_000_000_000;
            s -= 1;
        }
        Duration::new(s as u64, n as u32)
    }

    /// The deadline as a `timespec`, for the futex system call.
    pub(crate) fn as_timespec(&self) -> libc::timespec {
        libc::timespec {
            tv_sec: self.secs,
            tv_nsec: self.nanos as libc::c_long,
        }
    }
}
