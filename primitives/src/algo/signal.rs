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
//!
//! [`Signal::block_on`] runs the waiter's side as a loop around an attempt that reports a
//! [`Step`], within a [`Patience`].

use crate::sync::atomic::{fence, AtomicU32, Ordering::*};
use crate::sync::futex::{self, Scope, Wait};
use crate::sync::hint::{spin_loop, SPIN_LIMIT};
use crate::sys::time::Deadline;

/// How long an operation may wait for its condition (room, an item, ...).
///
/// Whatever the patience, an operation that finds its slot in the middle of another thread's
/// copy (claimed, stamp not yet stored) waits for that copy to finish: answering Full or
/// Empty then would contradict a put or get that already returned.
#[derive(Clone, Copy, Debug)]
pub enum Patience<'a> {
    /// Not at all: the `try_` forms.
    Never,
    /// Until the deadline.
    Until(&'a Deadline),
    /// As long as it takes.
    Forever,
}

/// One attempt's outcome.
pub enum Step<R> {
    /// Finished, with this answer.
    Done(R),
    /// The condition (room, an item) is missing: wait as patience allows.
    Blocked,
    /// Another thread is between its claim and its stamp store: wait regardless.
    Busy,
}

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

    /// Retries `attempt` until it is done, sleeping on this wait point in between, within
    /// `patience` (a [`Step::Busy`] always waits). Returns `timed_out()` when patience runs
    /// out. The attempt that changes a condition others wait on must wake them itself.
    pub fn block_on<R>(
        &self,
        patience: Patience<'_>,
        scope: Scope,
        timed_out: impl FnOnce() -> R,
        mut attempt: impl FnMut() -> Step<R>,
    ) -> R {
        let mut expired = match patience {
            Patience::Never => true,
            Patience::Until(d) => d.has_passed(),
            Patience::Forever => false,
        };
        let mut spins = 0;
        loop {
            let busy = match attempt() {
                Step::Done(r) => return r,
                Step::Blocked if expired => return timed_out(),
                step => matches!(step, Step::Busy),
            };
            // Spin briefly: a copy in progress, or a peer about to put or get, is cheaper to
            // wait for than to sleep on.
            if spins < SPIN_LIMIT {
                spins += 1;
                spin_loop();
                continue;
            }
            let epoch = self.register();
            let busy = match attempt() {
                Step::Done(r) => {
                    self.unregister();
                    return r;
                }
                Step::Blocked if expired => {
                    self.unregister();
                    return timed_out();
                }
                step => busy || matches!(step, Step::Busy),
            };
            let deadline = match patience {
                Patience::Until(d) if !busy => Some(d),
                _ => None,
            };
            if self.sleep(epoch, deadline, scope) == Wait::TimedOut {
                expired = true;
            }
        }
    }
}
