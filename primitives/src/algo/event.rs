//! The Event algorithm: a flag, a generation counter and a waiters bit in one futex word.
//!
//! # The word
//!
//! | bits | meaning |
//! |---|---|
//! | 0 ([`SET`]) | the flag |
//! | 1 ([`WAITERS`]) | some thread may be asleep on the word: `set` must wake |
//! | 2..=31 ([`GEN_MASK`]) | the generation: how many times `set` has raised the flag (mod 2<sup>30</sup>) |
//!
//! # Invariants
//!
//! 1. Only `set` changes the generation, by one, in the same atomic step that raises
//!    [`SET`] from clear; a `set` on a set event changes nothing.
//! 2. A thread sleeps on the word only with [`SET`] clear and [`WAITERS`] set in the value it
//!    passes to the futex, so any `set` after that value was read cancels the sleep (the
//!    futex compares the whole word) or finds [`WAITERS`] and wakes it.
//! 3. `set` clears [`WAITERS`] in its atomic step and then wakes every sleeper: each of them
//!    sees the new generation and returns, none goes back to sleep on this `set`'s account.
//!    A later waiter announces itself again. (A waiter that times out leaves [`WAITERS`] set:
//!    the next `set` makes one needless system call.)
//! 4. A waiter returns true when it sees [`SET`] or a generation other than the one it
//!    started with: a `set` happened while it waited, even if `clear` has followed (Python
//!    `threading` semantics; `multiprocessing` re-reads the flag and may return false).
//!
//! The generation is 30 bits wide: a waiter misses a `set` only if exactly a multiple of
//! 2<sup>30</sup> set/clear pairs pass between two of its looks at the word, while each of
//! those sets tries to wake it; that takes minutes of nothing else, and is not guarded.
//!
//! Cost: `set` without waiters, `clear`, `is_set` and `wait` on a set event are one atomic
//! operation each and no system call.

use crate::sync::atomic::{AtomicU32, Ordering::*};
use crate::sync::futex::{self, Scope, Wait};
use crate::sync::mutant;
use crate::sys::time::Deadline;

/// The flag.
pub const SET: u32 = 1;
/// A thread may be sleeping on the word: `set` must wake.
pub const WAITERS: u32 = 1 << 1;
/// One step of the generation counter.
pub const GEN_ONE: u32 = 1 << 2;
/// Bits of the word that hold the generation.
pub const GEN_MASK: u32 = !(SET | WAITERS);

/// Whether a waiter that started at generation `gen` may return true on seeing `word`
/// (invariant 4).
#[inline]
fn fired(word: u32, gen: u32) -> bool {
    if mutant::active("event.flag_only") {
        // MUTANT: multiprocessing's behaviour: a set followed at once by clear is missed.
        return word & SET != 0;
    }
    word & SET != 0 || word & GEN_MASK != gen
}

/// Shared state of an Event.
///
/// # Layout
///
/// `#[repr(C)]`, 4 bytes, align 4: one futex word (see the module docs). Valid when zeroed
/// (clear, generation 0, no waiters). A peer process may observe any of the word's states at
/// any time; a garbage word only makes waiters return early or a `set` wake needlessly.
#[repr(C)]
#[derive(Debug, Default)]
pub struct EventState {
    word: AtomicU32,
}

impl EventState {
    /// A clear event.
    pub fn new() -> Self {
        EventState {
            word: AtomicU32::new(0),
        }
    }

    /// Whether the flag is set (a snapshot). Acquire: a true answer sees what was written
    /// before the `set` that raised the flag.
    #[inline]
    pub fn is_set(&self) -> bool {
        self.word.load(Acquire) & SET != 0
    }

    /// Whether [`WAITERS`] is set (a snapshot): some thread has announced that it waits and
    /// may be asleep. A waiter that has announced itself has read the generation, so any
    /// later `set` ends its wait (invariant 4); checkers use this to know a waiter has begun.
    #[inline]
    pub fn has_waiters(&self) -> bool {
        self.word.load(Relaxed) & WAITERS != 0
    }

    /// Raises the flag and wakes every waiter.
    #[inline]
    pub fn set(&self, scope: Scope) {
        let mut w = self.word.load(Relaxed);
        loop {
            if w & SET != 0 {
                // Already set: nothing changes (invariant 1), and nobody sleeps (invariant 2).
                return;
            }
            // New generation, flag up, WAITERS handed over to the wake below (invariant 3).
            let new = ((w & GEN_MASK).wrapping_add(GEN_ONE) & GEN_MASK) | SET;
            match self.word.compare_exchange_weak(w, new, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => w = now,
            }
        }
        if w & WAITERS != 0 {
            // All, not one: every sleeper waits for this very set (a wake(1) would leave the
            // others asleep while the event is set, the classic Event bug).
            if mutant::active("event.set_wake_one") {
                futex::wake(&self.word, 1, scope); // MUTANT: the classic Event bug.
            } else {
                futex::wake_all(&self.word, scope);
            }
        }
    }

    /// Lowers the flag. Relaxed: a clear publishes nothing, and no waiter returns because of
    /// it.
    #[inline]
    pub fn clear(&self) {
        self.word.fetch_and(!SET, Relaxed);
    }

    /// Waits until the flag is set or a `set` happens, or until `deadline` (`None` =
    /// forever). Returns true if the flag was set on entry or a `set` happened meanwhile
    /// (invariant 4), false on timeout.
    #[inline]
    pub fn wait(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        let w = self.word.load(Acquire);
        w & SET != 0 || self.wait_contended(w, deadline, scope)
    }

    #[cold]
    fn wait_contended(&self, mut w: u32, deadline: Option<&Deadline>, scope: Scope) -> bool {
        let gen = w & GEN_MASK;
        loop {
            // Here the flag is clear and the generation is still `gen`.
            if w & WAITERS == 0 {
                // Announce before sleeping (invariant 2). Acquire on failure: the value that
                // beat us may be the set we wait for.
                match self.word.compare_exchange(w, w | WAITERS, Acquire, Acquire) {
                    Ok(_) => w |= WAITERS,
                    Err(now) => {
                        w = now;
                        if fired(w, gen) {
                            return true;
                        }
                        continue;
                    }
                }
            }
            let timed_out = futex::wait(&self.word, w, deadline, scope) == Wait::TimedOut;
            w = self.word.load(Acquire);
            if fired(w, gen) {
                // Also at the deadline: a set that came with it counts.
                return true;
            }
            if timed_out {
                return false;
            }
        }
    }
}
