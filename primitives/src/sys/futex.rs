//! The Linux futex, with an explicit scope and absolute deadlines.
//!
//! Three calls: [`wait`] sleeps while a 32-bit word holds an expected value, [`wake`] wakes up
//! to `n` sleepers, [`wake_all`] wakes every sleeper. The kernel checks the word and queues the
//! caller atomically with respect to `wake`, which is what makes "check, then sleep" free of
//! lost wake-ups.

use std::sync::atomic::AtomicU32;

use super::time::Deadline;

/// Who may share a futex word.
///
/// [`Scope::Private`] lets the kernel skip the shared-mapping lookup (faster) but is only
/// correct when every waiter and waker is in the same process. A word in shared memory that is
/// used from several processes **must** use [`Scope::Shared`]: a private wake never reaches a
/// sleeper in another process.
///
/// ```
/// use twinsync::sys::futex::Scope;
/// assert_ne!(Scope::Private, Scope::Shared);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Waiters and wakers are threads of one process (`FUTEX_PRIVATE_FLAG`).
    Private,
    /// Waiters and wakers may be in different processes mapping the same memory.
    Shared,
}

impl Scope {
    fn flag(self) -> libc::c_int {
        match self {
            Scope::Private => libc::FUTEX_PRIVATE_FLAG,
            Scope::Shared => 0,
        }
    }
}

/// Why [`wait`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Woken, or the word no longer held the expected value, or a signal or spurious wake-up
    /// interrupted the sleep. The caller re-checks its condition either way.
    Woken,
    /// The deadline passed.
    TimedOut,
}

/// Sleeps while `*word == expected`, until woken or until `deadline` (absolute,
/// `CLOCK_MONOTONIC`; `None` = no deadline).
///
/// Returns [`Wait::Woken`] at once when the word does not hold `expected`.
pub fn wait(word: &AtomicU32, expected: u32, deadline: Option<&Deadline>, scope: Scope) -> Wait {
    let ts = deadline.map(Deadline::as_timespec);
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `word` is a live, aligned 32-bit atomic for the duration of the call; `ts_ptr`
    // is null or points to `ts`, which outlives the call. FUTEX_WAIT_BITSET with a null
    // timeout waits forever; with a timeout it reads an absolute CLOCK_MONOTONIC time.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT_BITSET | scope.flag(),
            expected,
            ts_ptr,
            std::ptr::null::<u32>(),
            libc::FUTEX_BITSET_MATCH_ANY,
        )
    };
    if rc == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ETIMEDOUT) {
        Wait::TimedOut
    } else {
        // 0 (woken), EAGAIN (value changed), EINTR (signal): all mean "re-check".
        Wait::Woken
    }
}

/// Wakes up to `n` threads sleeping on `word`; returns how many were woken.
pub fn wake(word: &AtomicU32, n: u32, scope: Scope) -> u32 {
    let n = n.min(i32::MAX as u32) as libc::c_int;
    // SAFETY: `word` is a live, aligned 32-bit atomic; FUTEX_WAKE reads no other argument.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | scope.flag(),
            n,
        )
    };
    rc.max(0) as u32
}

/// Wakes every thread sleeping on `word`; returns how many were woken.
pub fn wake_all(word: &AtomicU32, scope: Scope) -> u32 {
    wake(word, i32::MAX as u32, scope)
}
