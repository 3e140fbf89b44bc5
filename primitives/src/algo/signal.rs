//! A wait point for "some condition may have changed": an epoch futex word and a count of
//! registered sleepers (an *eventcount*). The Queue and the Pipe use one per condition (not
//! empty, not full, all tasks done).
//!
//! # Protocol
//!
//! A waiter: [`register`](Signal::register) (reads the epoch, counts itself, `SeqCst`
//! fence), re-checks its condition, then [`sleep`](Signal::sleep)s on the epoch it read, or
//! [`unregister`](Signal::unregister)s if the condition now holds. A thread that makes a
//! condition true: changes the state, issues a `SeqCst` fence, and if
//! [`has_sleepers`](Signal::has_sleepers), [`wake`](Signal::wake)s (bumps the epoch, then
//! wakes).
//!
//! # Invariants
//!
//! 1. No lost wake-up: the waiter's fence and the changer's fence are both `SeqCst`, so either
//!    the waiter's re-check sees the change, or the changer sees the waiter counted and bumps
//!    the epoch; the bump makes the waiter's futex wait return at once if it has not slept
//!    yet, and the wake reaches it if it has.
//! 2. `sleepers` counts threads between `register` and the end of `sleep` / `unregister`;
//!    it may over-count briefly (a thread that was woken has not yet decremented it), which
//!    only costs a spare wake, never a lost one.
//!
//! The fast path of a changer with nobody asleep is a fence and one load: no system call.

use crate::sync::atomic::{fence, AtomicU32, Ordering::*};
use crate::sync::futex::{self, Scope, Wait};
use crate::sys::time::Deadline;

/// A wait point: an epoch word sleepers wait on and a count of registered sleepers.
///
/// # Layout
///
/// `#[repr(C)]`, 8 bytes, align 4: `epoch` (a futex word, only ever incremented, wrapping)
/// then `sleepers`. Valid when zeroed. A peer may observe any values; garbage can cause spare
/// wake-ups or a sleeper that is never woken, never memory unsafety.
#[repr(C)]
#[derive(Debug, Default)]
pub struct Signal {
    /// Bumped by every [`wake`](Signal::wake); sleepers wait while it holds the value they
    /// read when registering.
    epoch: AtomicU32,
    /// Threads registered to sleep (invariant 2).
    sleepers: AtomicU32,
}

impl Signal {
    /// A wait point with nobody registered.
    pub fn new() -> Self {
        Signal::default()
    }

    /// Counts the caller as a sleeper and returns the epoch to pass to [`sleep`](Self::sleep).
    /// The caller must then re-check its condition, and call `sleep` or
    /// [`unregister`](Self::unregister) exactly once.
    #[inline]
    pub fn register(&self) -> u32 {
        let epoch = self.epoch.load(Acquire);
        self.sleepers.fetch_add(1, SeqCst);
        // Pairs with the changer's fence (invariant 1).
        fence(SeqCst);
        epoch
    }

    /// Withdraws a registration whose re-check found the condition true.
    #[inline]
    pub fn unregister(&self) {
        self.sleepers.fetch_sub(1, Relaxed);
    }

    /// Sleeps while the epoch is still `epoch`, until woken or `deadline`, then withdraws the
    /// registration. May return early; the caller re-checks its condition.
    pub fn sleep(&self, epoch: u32, deadline: Option<&Deadline>, scope: Scope) -> Wait {
        let r = futex::wait(&self.epoch, epoch, deadline, scope);
        self.sleepers.fetch_sub(1, Relaxed);
        r
    }

    /// Whether anyone is registered. Call after a `SeqCst` fence that follows the state
    /// change (invariant 1).
    #[inline]
    pub fn has_sleepers(&self) -> bool {
        self.sleepers.load(Relaxed) != 0
    }

    /// Bumps the epoch (so a registered thread that has not slept yet will not) and wakes up
    /// to `n` sleepers.
    #[cold]
    pub fn wake(&self, n: u32, scope: Scope) {
        self.epoch.fetch_add(1, Release);
        futex::wake(&self.epoch, n, scope);
    }

    /// A `SeqCst` fence, then [`wake`](Self::wake) of `n` if anyone is registered.
    #[inline]
    pub fn notify(&self, n: u32, scope: Scope) {
        fence(SeqCst);
        if self.has_sleepers() {
            self.wake(n, scope);
        }
    }
}
