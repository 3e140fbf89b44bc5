//! The Semaphore algorithm, which is also the BoundedSemaphore's: a counter of tokens in a
//! futex word, with a maximum that is either [`VALUE_MAX`] (Semaphore) or the initial value
//! (BoundedSemaphore).
//!
//! # The word
//!
//! | bits | meaning |
//! |---|---|
//! | 0..=30 ([`VALUE_MASK`]) | the value: how many tokens are free |
//! | 31 ([`WAITERS`]) | some thread may be asleep on the word: a release must wake |
//!
//! Beside the word, `sleepers` counts the threads *registered* in the slow path of an
//! acquire: a thread registers before it first announces itself with [`WAITERS`] and leaves
//! after its last sleep. The count is only used to decide who may clear [`WAITERS`].
//!
//! # Invariants
//!
//! 1. `value <= max <= VALUE_MAX`: a release adds only after checking the sum against `max`,
//!    and the only other change is an acquire's decrement of a positive value.
//! 2. A thread sleeps on the word only with the word it passes to the futex being
//!    `0 | WAITERS` (no token, waiters announced); the futex compares the whole word, so any
//!    release or clearing of [`WAITERS`] after that check but before the sleep cancels it.
//! 3. While a thread sleeps, [`WAITERS`] is set, or a wake is on its way to it. [`WAITERS`]
//!    is cleared in one place only: by a registered thread leaving the slow path when it
//!    believes it is the last one registered. If the count then shows it was not, it sets
//!    [`WAITERS`] again and wakes as many sleepers as there are tokens, covering every release
//!    that slipped in while the bit was clear.
//! 4. A `release(n)` that sees [`WAITERS`] wakes `n` sleepers after adding its `n` tokens: each
//!    token has one woken thread on its way to it, so `n` sleepers proceed (or a thread that
//!    never slept takes a token first and proceeds instead; the woken one sleeps again).
//!
//! Cost: an uncontended acquire or release is one CAS and no system call; a release makes a
//! `FUTEX_WAKE` only while [`WAITERS`] is set.

use crate::sync::atomic::{AtomicU32, Ordering::*};
use crate::sync::futex::{self, Scope, Wait};
use crate::sync::hint::{spin_loop, SPIN_LIMIT};
use crate::sync::mutant;
use crate::sys::time::Deadline;
use crate::Error;

/// Bits of the word that hold the value.
pub const VALUE_MASK: u32 = (1 << 31) - 1;
/// A thread may be sleeping: a release must wake.
pub const WAITERS: u32 = 1 << 31;
/// The largest value a Semaphore may hold: 2<sup>31</sup> − 1, `i32::MAX`, the same as
/// Linux's `SEM_VALUE_MAX` (so Python's `multiprocessing.Semaphore` has this maximum too).
pub const VALUE_MAX: u32 = VALUE_MASK;

#[inline]
fn value_of(word: u32) -> u32 {
    word & VALUE_MASK
}

/// Shared state of a Semaphore or BoundedSemaphore.
///
/// # Layout
///
/// `#[repr(C)]`, 12 bytes, align 4: the futex word (see the module docs), the registered
/// sleeper count (`u32`) and the maximum value (`u32`, written once by [`new`](Self::new)).
/// A peer process may observe any value of the word and of the count at any time; the maximum
/// never changes. Read from shared memory, the maximum is untrusted: it is clamped to
/// [`VALUE_MAX`] and a count of garbage only costs extra wake-ups.
#[repr(C)]
#[derive(Debug)]
pub struct SemaphoreState {
    word: AtomicU32,
    sleepers: AtomicU32,
    max: u32,
}

impl SemaphoreState {
    /// A semaphore holding `value` tokens that may hold at most `max`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `max` exceeds [`VALUE_MAX`] or `value` exceeds `max`.
    pub fn new(value: u32, max: u32) -> Result<Self, Error> {
        if max > VALUE_MAX {
            return Err(Error::InvalidArgument {
                name: "value",
                reason: "exceeds the maximum value of a semaphore, 2147483647 (i32::MAX)",
            });
        }
        if value > max {
            return Err(Error::InvalidArgument {
                name: "value",
                reason: "exceeds the semaphore's maximum value",
            });
        }
        // (MUTANT initial_off_by_one: one token too many.)
        let value = if mutant::active("sem.initial_off_by_one") {
            value + 1
        } else {
            value
        };
        Ok(SemaphoreState {
            word: AtomicU32::new(value),
            sleepers: AtomicU32::new(0),
            max,
        })
    }

    /// The maximum value (clamped to [`VALUE_MAX`]: the field may come from a peer).
    #[inline]
    pub fn max_value(&self) -> u32 {
        self.max.min(VALUE_MAX)
    }

    /// The value (a snapshot).
    #[inline]
    pub fn value(&self) -> u32 {
        value_of(self.word.load(Relaxed))
    }

    /// Takes a token if one is free, without waiting.
    #[inline]
    pub fn try_acquire(&self) -> bool {
        let mut w = self.word.load(Relaxed);
        if mutant::active("sem.split_acquire") && value_of(w) > 0 {
            // MUTANT: the decrement split into a load and a store.
            self.word.store(w - 1, Release);
            return true;
        }
        while value_of(w) > 0 {
            // Decrementing a positive value never borrows from WAITERS, which stays as it is.
            match self.word.compare_exchange_weak(w, w - 1, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => w = now,
            }
        }
        false
    }

    /// Takes a token, waiting until `deadline` (`None` = forever). Returns false on timeout.
    #[inline]
    pub fn acquire(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        self.try_acquire() || self.acquire_contended(deadline, scope)
    }

    #[cold]
    fn acquire_contended(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        // Spin briefly: a release that comes soon is cheaper to wait for than to sleep on.
        for _ in 0..SPIN_LIMIT {
            spin_loop();
            if self.try_acquire() {
                return true;
            }
        }
        self.sleepers.fetch_add(1, AcqRel);
        let got = self.acquire_registered(deadline, scope);
        self.leave(scope);
        got
    }

    /// The slow path of a registered thread: take a token, or announce and sleep.
    fn acquire_registered(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        let mut w = self.word.load(Relaxed);
        loop {
            // Check for a token before the deadline: a thread woken for a token takes it even
            // when its deadline has just passed (its wake was meant for it, invariant 4).
            if value_of(w) > 0 {
                match self.word.compare_exchange_weak(w, w - 1, Acquire, Relaxed) {
                    Ok(_) => return true,
                    Err(now) => {
                        w = now;
                        continue;
                    }
                }
            }
            if w & WAITERS == 0 {
                // Announce before sleeping (invariant 2). Release ordering pairs with
                // `leave`'s clearing, so that a leaver that clears after this sees our
                // registration (and repairs, invariant 3).
                if let Err(now) = self.word.compare_exchange(w, WAITERS, AcqRel, Relaxed) {
                    w = now;
                    continue;
                }
            }
            if futex::wait(&self.word, WAITERS, deadline, scope) == Wait::TimedOut {
                // The kernel reports a timeout only to a sleeper that no wake picked, so no
                // release's wake is lost with us.
                return false;
            }
            w = self.word.load(Relaxed);
        }
    }

    /// Unregisters a thread leaving the slow path, clearing [`WAITERS`] if it was the last
    /// one (invariant 3).
    fn leave(&self, scope: Scope) {
        let guess = self.sleepers.load(Relaxed);
        if guess == 1 {
            // Probably the last registered thread: stop further releases from making a
            // system call. A thread registering now will see the bit clear and set it again.
            self.word.fetch_and(!WAITERS, AcqRel);
        }
        // Release: a thread that registers after this sees the bit as we left it.
        let before = self.sleepers.fetch_sub(1, AcqRel);
        if guess == 1 && before != 1 && !mutant::active("sem.no_repair") {
            self.repair(before.wrapping_sub(1), scope);
        }
    }

    /// We cleared [`WAITERS`] while `others` threads were registered, some of which may be
    /// asleep and may have missed a release that saw the bit clear: set the bit again and
    /// wake one sleeper per free token.
    #[cold]
    fn repair(&self, others: u32, scope: Scope) {
        let w = self.word.fetch_or(WAITERS, AcqRel);
        // Waking more than there are tokens would only send the extra threads back to sleep;
        // waking fewer could leave a token free while its sleeper sleeps on.
        let n = value_of(w).min(others);
        if n > 0 {
            futex::wake(&self.word, n, scope);
        }
    }

    /// Adds `n` tokens, waking up to `n` sleepers.
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`] when `n` is 0;
    /// * [`Error::TooManyReleases`] when the value would exceed the maximum; the value is
    ///   unchanged then (the whole `n` is checked in one atomic step, never part of it).
    #[inline]
    pub fn release(&self, n: u32, scope: Scope) -> Result<(), Error> {
        if n == 0 {
            return Err(Error::InvalidArgument {
                name: "n",
                reason: "must be one or more",
            });
        }
        let max = self.max_value();
        let mut w = self.word.load(Relaxed);
        loop {
            // value <= max (invariant 1) unless a peer wrote garbage; saturate to be safe.
            let room = if mutant::active("sem.bound_off_by_one") {
                max.saturating_sub(value_of(w)).saturating_add(1) // MUTANT: one past the max.
            } else {
                max.saturating_sub(value_of(w))
            };
            if n > room {
                return Err(Error::TooManyReleases { max: max.into() });
            }
            // value + n <= max <= VALUE_MAX: no carry into WAITERS, which stays as it is.
            match self.word.compare_exchange_weak(w, w + n, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => w = now,
            }
        }
        if w & WAITERS != 0 && !mutant::active("sem.missing_wake") {
            // n, not 1 and not all: one sleeper per new token (invariant 4). More would only
            // go back to sleep; fewer would leave tokens free while their sleepers sleep on.
            let n = if mutant::active("sem.wake_one") { 1 } else { n };
            futex::wake(&self.word, n, scope);
        }
        Ok(())
    }
}
