//! The Lock algorithm: a futex mutex whose word names its holder.
//!
//! # The word
//!
//! One `AtomicU32`, in the format the kernel's robust-futex and PI code uses, so that
//! owner-death recovery can be added without a second word or a second atomic operation:
//!
//! | bits | meaning |
//! |---|---|
//! | 0..=29 ([`TID_MASK`]) | holder's id (kernel TID: names its thread and, through it, its process); 0 = free |
//! | 30 ([`OWNER_DIED`]) | reserved for owner-death recovery; never set yet |
//! | 31 ([`WAITERS`]) | some thread may be asleep on the word: release must wake one |
//!
//! # Invariants
//!
//! 1. The word is 0 exactly when the lock is free.
//! 2. A thread sleeps on the word only after it has seen [`WAITERS`] set in it, with the
//!    value it passes to the futex; so while anyone sleeps, [`WAITERS`] is set or a woken
//!    thread is on its way to re-check (and will set it again before sleeping).
//!
//! Cost: acquire is one CAS when free; release is one swap, plus a wake only when
//! [`WAITERS`] was set.

use crate::sync::atomic::{AtomicU32, Ordering::*};
use crate::sync::futex::{self, Scope, Wait};
use crate::sync::hint::{spin_loop, SPIN_LIMIT};
use crate::sync::mutant;
use crate::sys::time::Deadline;
use crate::Error;

/// Bits of the word that hold the holder's id.
pub const TID_MASK: u32 = (1 << 30) - 1;
/// Reserved for owner-death recovery (the kernel's `FUTEX_OWNER_DIED`).
pub const OWNER_DIED: u32 = 1 << 30;
/// A thread may be sleeping: release must wake (the kernel's `FUTEX_WAITERS`).
pub const WAITERS: u32 = 1 << 31;

#[inline]
fn is_free(word: u32) -> bool {
    word & TID_MASK == 0
}

/// Shared state of a Lock.
///
/// # Layout
///
/// `#[repr(C)]`, 4 bytes, align 4: one futex word (see the module docs). Valid when zeroed
/// (free). A peer process may observe any of the word's states at any time.
#[repr(C)]
#[derive(Debug, Default)]
pub struct LockState {
    word: AtomicU32,
}

impl LockState {
    /// A free lock.
    pub fn new() -> Self {
        LockState {
            word: AtomicU32::new(0),
        }
    }

    /// Acquires if free, without waiting.
    #[inline]
    pub fn try_acquire(&self) -> bool {
        let me = crate::sync::current_id();
        if mutant::active("lock.split_acquire") {
            // MUTANT: a read-modify-write split into a load and a store.
            if self.word.load(Acquire) != 0 {
                return false;
            }
            self.word.store(me, Relaxed);
            return true;
        }
        let success = if mutant::active("lock.relaxed_acquire") {
            Relaxed // MUTANT: the acquiring CAS loses its Acquire ordering.
        } else {
            Acquire
        };
        self.word.compare_exchange(0, me, success, Relaxed).is_ok()
    }

    /// Acquires, waiting until `deadline` (`None` = forever). Returns false on timeout.
    #[inline]
    pub fn acquire(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        self.try_acquire() || self.acquire_contended(deadline, scope)
    }

    #[cold]
    fn acquire_contended(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        let me = crate::sync::current_id();
        // Spin briefly: a holder that releases soon is cheaper to wait for than to sleep on.
        for _ in 0..SPIN_LIMIT {
            let w = self.word.load(Relaxed);
            if is_free(w) && self.word.compare_exchange(w, me, Acquire, Relaxed).is_ok() {
                return true;
            }
            spin_loop();
        }
        // (MUTANT timeout_restart: remember the relative timeout, to restart it.)
        let timeout_again = if mutant::active("lock.timeout_restart") {
            deadline.map(Deadline::remaining)
        } else {
            None
        };
        let mut restarted: Option<Deadline> = None;
        let mut w = self.word.load(Relaxed);
        loop {
            if is_free(w) {
                // Take it with WAITERS set: we cannot know whether others sleep (invariant 2),
                // so our release must wake one to be safe.
                let take = if mutant::active("lock.take_without_waiters") {
                    me // MUTANT: drops other sleepers' announcement.
                } else {
                    me | WAITERS
                };
                match self.word.compare_exchange(w, take, Acquire, Relaxed) {
                    Ok(_) => return true,
                    Err(now) => {
                        w = now;
                        continue;
                    }
                }
            }
            if w & WAITERS == 0 && !mutant::active("lock.no_announce") {
                // Announce ourselves before sleeping (invariant 2). (MUTANT no_announce: sleep
                // without announcing.)
                if let Err(now) = self.word.compare_exchange(w, w | WAITERS, Relaxed, Relaxed) {
                    w = now;
                    continue;
                }
                w |= WAITERS;
            }
            if futex::wait(&self.word, w, restarted.as_ref().or(deadline), scope) == Wait::TimedOut
            {
                return false;
            }
            if let Some(d) = timeout_again {
                // MUTANT timeout_restart: the timeout starts again after every wake-up.
                restarted = Deadline::after(d).ok();
            }
            w = self.word.load(Relaxed);
        }
    }

    /// Releases. Any thread or process may release a held Lock (Python semantics).
    ///
    /// # Errors
    ///
    /// [`Error::NotHeld`] if the lock was free; the state is unchanged then.
    #[inline]
    pub fn release(&self, scope: Scope) -> Result<(), Error> {
        let ordering = if mutant::active("lock.relaxed_release") {
            Relaxed // MUTANT: the releasing store loses its Release ordering.
        } else {
            Release
        };
        let prev = self.word.swap(0, ordering);
        if is_free(prev) {
            if mutant::active("lock.release_free_ok") {
                return Ok(()); // MUTANT: releasing a free lock is accepted.
            }
            return Err(Error::NotHeld);
        }
        if prev & WAITERS != 0 && !mutant::active("lock.missing_wake") {
            // Waking one is enough: it takes the lock with WAITERS set, so its release wakes
            // the next sleeper in turn. (MUTANT missing_wake: no wake.)
            let scope = if mutant::active("lock.private_futex") {
                Scope::Private // MUTANT: a private wake cannot reach a shared waiter.
            } else {
                scope
            };
            futex::wake(&self.word, 1, scope);
        }
        Ok(())
    }

    /// Whether the lock is held by anyone (a snapshot).
    #[inline]
    pub fn locked(&self) -> bool {
        !is_free(self.word.load(Relaxed))
    }

    /// The holder's id (kernel TID in normal builds), or `None` when free (a snapshot).
    #[inline]
    pub fn holder(&self) -> Option<u32> {
        let t = self.word.load(Relaxed) & TID_MASK;
        (t != 0).then_some(t)
    }
}
