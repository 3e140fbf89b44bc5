//! The Barrier algorithm: a generation-numbered arrival count and an event-count futex word.
//!
//! # The state word
//!
//! One `AtomicU64`, changed only by compare-and-swap, so that "which generation, how many
//! arrived, which phase" move together:
//!
//! | bits | meaning |
//! |---|---|
//! | 0..=28 ([`COUNT_MASK`]) | filling: parties that arrived in this generation; broken or resetting: parties of this generation still inside `wait` |
//! | 29 ([`SLEEPERS`]) | someone sleeps (or is about to) on the `seq` futex word |
//! | 30 ([`BROKEN`]) | broken phase |
//! | 31 ([`RESETTING`]) | resetting phase: a reset waits for the parties still inside to leave |
//! | 32..=63 | generation number; +1 when a generation trips and when a reset completes |
//!
//! Phases: *filling* (neither phase bit), *broken*, *resetting*. While filling with a count
//! equal to `parties`, the last arrival is running the action: newcomers wait.
//!
//! Sleepers wait on a separate 32-bit word, `seq`, as on an event count: read `seq`, check
//! the state, sleep while `seq` is unchanged. Whoever moves the generation or the phase and
//! finds [`SLEEPERS`] set bumps `seq` and wakes every sleeper.
//!
//! # Invariants
//!
//! 1. While any party that arrived in generation `g` is inside `wait`, the generation number
//!    changes only by generation `g` tripping (a reset completes only at a count of 0, and a
//!    party inside is counted). So a party of `g` that sees another generation number was
//!    released by a trip, whatever happened after: no party is ever mistaken for one of
//!    another generation (no lapping), and a fast party that re-enters counts into `g + 1`.
//! 2. While filling, the count only grows (nobody leaves a filling generation without breaking
//!    it), so arrival indices `0..parties` are unique within a generation; the party that
//!    makes the count equal to `parties` is the last, runs the action and trips.
//! 3. Only the last arrival trips the generation, after its action returned: nobody of the
//!    generation is released before the action has run.
//! 4. A broken or resetting generation keeps its number until every party inside has left
//!    (each decrements the count): each learns it was broken. The last to leave a resetting
//!    generation completes the reset (new generation, filling, count 0).
//! 5. A party sleeps on `seq` only after it has seen [`SLEEPERS`] set in a state that still
//!    blocked it, having read `seq` before that state; every change of generation or phase
//!    clears [`SLEEPERS`] and, if it was set, bumps `seq` and wakes all. So no wake-up is lost.
//! 6. The count never exceeds `min(parties, COUNT_MASK)`: an arrival increments only below
//!    `parties`, and `parties` is at most [`MAX_PARTIES`].

use crate::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use crate::sync::futex::{self, Scope, Wait};
use crate::sync::hint::{spin_loop, SPIN_LIMIT};
use crate::sync::mutant;
use crate::sys::time::Deadline;
use crate::Error;

/// Bits of the state word that hold the count.
pub const COUNT_MASK: u64 = (1 << 29) - 1;
/// Someone may sleep on `seq`: a change of generation or phase must bump it and wake all.
pub const SLEEPERS: u64 = 1 << 29;
/// Broken: every party inside returns [`Error::BrokenBarrier`], and so does every new arrival
/// until a reset.
pub const BROKEN: u64 = 1 << 30;
/// Resetting: the parties inside return [`Error::BrokenBarrier`]; new arrivals wait until the
/// last of them has left, which starts a fresh generation.
pub const RESETTING: u64 = 1 << 31;
/// The phase bits.
const PHASE: u64 = BROKEN | RESETTING;
/// One generation, in the state word.
const GEN_ONE: u64 = 1 << 32;
/// The largest number of parties.
pub const MAX_PARTIES: u32 = COUNT_MASK as u32;

#[inline]
fn generation(state: u64) -> u32 {
    (state >> 32) as u32
}

#[inline]
fn count(state: u64) -> u32 {
    (state & COUNT_MASK) as u32
}

/// Whether a new arrival can count itself into the current generation.
#[inline]
fn is_enterable(state: u64, parties: u32) -> bool {
    state & PHASE == 0 && count(state) < parties
}

/// The fresh, filling state that follows generation `g`.
#[inline]
fn fresh_after(g: u32) -> u64 {
    u64::from(g.wrapping_add(1)) * GEN_ONE
}

/// Checks a party count.
///
/// # Errors
///
/// [`Error::InvalidArgument`] unless `1 <= parties <= MAX_PARTIES`.
pub fn check_parties(parties: u32) -> Result<(), Error> {
    if (1..=MAX_PARTIES).contains(&parties) {
        Ok(())
    } else {
        Err(Error::InvalidArgument {
            name: "parties",
            reason: "must be at least 1 and at most 2^29 - 1",
        })
    }
}

/// Shared state of a Barrier.
///
/// # Layout
///
/// `#[repr(C)]`, 16 bytes, align 8: the state word (see the module docs), the `seq` futex
/// word, and `parties` (written once by `new`). Valid when built by [`BarrierState::new`]. A
/// peer process may observe any state the module docs list, at any time; a peer that wrote
/// garbage can make a party wait forever but never yields an index out of `0..parties`.
#[repr(C)]
#[derive(Debug)]
pub struct BarrierState {
    state: AtomicU64,
    seq: AtomicU32,
    parties: AtomicU32,
}

impl BarrierState {
    /// A filling barrier for `parties` parties.
    ///
    /// # Errors
    ///
    /// As [`check_parties`].
    pub fn new(parties: u32) -> Result<Self, Error> {
        check_parties(parties)?;
        Ok(BarrierState {
            state: AtomicU64::new(0),
            seq: AtomicU32::new(0),
            parties: AtomicU32::new(parties),
        })
    }

    /// Checks a state found in shared memory: a valid party count and a count within it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming what is out of range.
    pub fn check(&self) -> Result<(), Error> {
        let parties = self.parties.load(Relaxed);
        check_parties(parties)?;
        let st = self.state.load(Relaxed);
        if count(st) > parties || st & PHASE == PHASE {
            return Err(Error::InvalidArgument {
                name: "state",
                reason: "must hold a count within parties and one phase",
            });
        }
        Ok(())
    }

    /// The number of parties (clamped to `1..=MAX_PARTIES` should a peer have overwritten it).
    #[inline]
    pub fn parties(&self) -> u32 {
        self.parties.load(Relaxed).clamp(1, MAX_PARTIES)
    }

    /// Parties waiting in the current generation; 0 while broken or resetting (a snapshot).
    #[inline]
    pub fn n_waiting(&self) -> u32 {
        let st = self.state.load(Relaxed);
        if st & PHASE == 0 {
            count(st).min(self.parties())
        } else {
            0
        }
    }

    /// Whether the barrier is broken (a snapshot; false while resetting, as in Python).
    #[inline]
    pub fn broken(&self) -> bool {
        self.state.load(Relaxed) & BROKEN != 0
    }

    /// Waits until `parties` parties have called `wait`; returns this party's arrival index.
    /// The last arrival runs `action` before anyone is released.
    ///
    /// # Errors
    ///
    /// [`Error::BrokenBarrier`] if the barrier is or becomes broken or reset while waiting, or
    /// `deadline` passes (which breaks it); [`Error::BarrierAction`] to the last arrival when
    /// `action` fails (which breaks it).
    pub fn wait(
        &self,
        action: impl FnOnce() -> Result<(), String>,
        deadline: Option<&Deadline>,
        scope: Scope,
    ) -> Result<u32, Error> {
        let parties = self.parties();
        let mut st = self.state.load(Relaxed);
        loop {
            if st & BROKEN != 0 {
                return Err(Error::BrokenBarrier);
            }
            if !is_enterable(st, parties) {
                st = self.wait_to_enter(parties, deadline, scope)?;
                continue;
            }
            // AcqRel: the arrivals form a release sequence that the last one acquires, so
            // the action sees every party's writes before `wait` (invariant 2).
            match self.state.compare_exchange(st, st + 1, AcqRel, Relaxed) {
                Ok(_) => break,
                Err(now) => st = now,
            }
        }
        let (g, index) = (generation(st), count(st));
        // (MUTANT parties_off_by_one: the next-to-last arrival trips the barrier.)
        let last = if mutant::active("barrier.parties_off_by_one") {
            index + 2 >= parties
        } else {
            index + 1 == parties
        };
        if last {
            self.trip(g, index, action(), scope)
        } else {
            self.await_release(g, index, deadline, scope)
        }
    }

    /// A newcomer waits while the action runs or a reset drains. On timeout it breaks the
    /// barrier, whatever its phase by then (Python: a timed-out party breaks it; an abort
    /// of a reset in progress, as [`abort`](Self::abort)). Returns the state that let it go
    /// on.
    #[cold]
    fn wait_to_enter(
        &self,
        parties: u32,
        deadline: Option<&Deadline>,
        scope: Scope,
    ) -> Result<u64, Error> {
        let blocked = |st: u64| st & BROKEN == 0 && !is_enterable(st, parties);
        match self.block_while(blocked, deadline, scope) {
            Some(st) => Ok(st),
            None => {
                self.abort(scope);
                Err(Error::BrokenBarrier)
            }
        }
    }

    /// The last arrival of generation `g`: trips it if `outcome` (the action's) is `Ok` and
    /// nobody broke or reset it meanwhile, else breaks it.
    fn trip(
        &self,
        g: u32,
        index: u32,
        outcome: Result<(), String>,
        scope: Scope,
    ) -> Result<u32, Error> {
        let mut st = self.state.load(Relaxed);
        loop {
            if st & PHASE != 0 || generation(st) != g {
                // Broken or reset while the action ran (invariant 4): leave as broken.
                self.leave_broken(g, scope);
                return Err(match outcome {
                    Ok(()) => Error::BrokenBarrier,
                    Err(message) => Error::BarrierAction { message },
                });
            }
            let new = match outcome {
                Ok(()) => fresh_after(g),
                Err(_) => ((st & !SLEEPERS) - 1) | BROKEN,
            };
            // Release: the parties released by the new generation see the action's writes.
            match self.state.compare_exchange(st, new, AcqRel, Relaxed) {
                Ok(_) => {
                    self.publish(st, scope);
                    return match outcome {
                        Ok(()) => Ok(index),
                        Err(message) => Err(Error::BarrierAction { message }),
                    };
                }
                Err(now) => st = now,
            }
        }
    }

    /// A counted party of generation `g` waits for the trip (released: `Ok(index)`) or a
    /// break or reset (it leaves: `BrokenBarrier`).
    fn await_release(
        &self,
        g: u32,
        index: u32,
        deadline: Option<&Deadline>,
        scope: Scope,
    ) -> Result<u32, Error> {
        let waiting = |st: u64| {
            if mutant::active("barrier.count_not_generation") {
                // MUTANT: wait for the count to drop instead of the generation to move, so a
                // fast party of the next generation holds a slow one back (it is lapped).
                return count(st) != 0 && st & PHASE == 0;
            }
            generation(st) == g && st & PHASE == 0
        };
        let st = match self.block_while(waiting, deadline, scope) {
            Some(st) => st,
            // Timed out: break generation `g` unless it tripped or broke in the meantime.
            None => match self.break_if(waiting, scope) {
                Some(_) => {
                    self.leave_broken(g, scope);
                    return Err(Error::BrokenBarrier);
                }
                None => self.state.load(Acquire),
            },
        };
        if generation(st) != g {
            // Invariant 1: only the trip of `g` changes the generation while we are inside.
            return Ok(index);
        }
        self.leave_broken(g, scope);
        Err(Error::BrokenBarrier)
    }

    /// Spins, then sleeps on `seq`, while `blocked(state)`. Returns the state that ended the
    /// wait (read with Acquire), or `None` when `deadline` passed first.
    fn block_while(
        &self,
        blocked: impl Fn(u64) -> bool,
        deadline: Option<&Deadline>,
        scope: Scope,
    ) -> Option<u64> {
        // A barrier's peers often arrive within microseconds: catch them without a syscall.
        for _ in 0..SPIN_LIMIT {
            let st = self.state.load(Acquire);
            if !blocked(st) {
                return Some(st);
            }
            spin_loop();
        }
        loop {
            // Read `seq` before the state (invariant 5): a change after this read bumps it.
            let seq = self.seq.load(Acquire);
            let st = self.state.load(Acquire);
            if !blocked(st) {
                return Some(st);
            }
            if st & SLEEPERS == 0
                && self
                    .state
                    .compare_exchange(st, st | SLEEPERS, Relaxed, Relaxed)
                    .is_err()
            {
                continue;
            }
            if futex::wait(&self.seq, seq, deadline, scope) == Wait::TimedOut {
                return None;
            }
        }
    }

    /// Breaks the barrier if `cond(state)` holds; returns the state it broke, if it did.
    /// The count is kept: the parties inside still leave one by one (invariant 4).
    fn break_if(&self, cond: impl Fn(u64) -> bool, scope: Scope) -> Option<u64> {
        let mut st = self.state.load(Relaxed);
        while cond(st) {
            let new = (st & !(PHASE | SLEEPERS)) | BROKEN;
            match self.state.compare_exchange(st, new, AcqRel, Acquire) {
                Ok(_) => {
                    self.publish(st, scope);
                    return Some(st);
                }
                Err(now) => st = now,
            }
        }
        None
    }

    /// A party of broken or resetting generation `g` leaves: the count drops by one, and the
    /// last to leave a resetting generation starts the next one (invariant 4).
    fn leave_broken(&self, g: u32, scope: Scope) {
        let mut st = self.state.load(Relaxed);
        // Guard against a peer's garbage: never underflow the count into the flags.
        while generation(st) == g && st & PHASE != 0 && count(st) > 0 {
            let new = if st & RESETTING != 0 && count(st) == 1 {
                fresh_after(g)
            } else {
                st - 1
            };
            match self.state.compare_exchange(st, new, AcqRel, Relaxed) {
                Ok(_) => {
                    if new & PHASE == 0 {
                        self.publish(st, scope);
                    }
                    return;
                }
                Err(now) => st = now,
            }
        }
    }

    /// Breaks the barrier: the parties inside and every later arrival get
    /// [`Error::BrokenBarrier`] until [`reset`](Self::reset). Aborting a reset in progress
    /// leaves the barrier broken.
    pub fn abort(&self, scope: Scope) {
        self.break_if(|st| st & BROKEN == 0, scope);
    }

    /// Makes the barrier usable again. With nobody inside it starts a fresh generation at
    /// once; otherwise the parties inside get [`Error::BrokenBarrier`], and the last of them
    /// to leave starts it (new arrivals wait for that). Resetting twice is resetting once.
    pub fn reset(&self, scope: Scope) {
        let mut st = self.state.load(Relaxed);
        while st & RESETTING == 0 {
            let new = if count(st) == 0 {
                fresh_after(generation(st))
            } else {
                (st & !(PHASE | SLEEPERS)) | RESETTING
            };
            match self.state.compare_exchange(st, new, AcqRel, Relaxed) {
                Ok(_) => {
                    self.publish(st, scope);
                    return;
                }
                Err(now) => st = now,
            }
        }
    }

    /// After a change of generation or phase away from `old`: wake every sleeper if `old`
    /// said there may be some (invariant 5). All, not one: every party of a tripped or broken
    /// generation must return, and every waiting newcomer must re-check.
    #[inline]
    fn publish(&self, old: u64, scope: Scope) {
        if old & SLEEPERS != 0 {
            self.seq.fetch_add(1, Release);
            if mutant::active("barrier.wake_one") {
                futex::wake(&self.seq, 1, scope); // MUTANT: one where all must wake.
            } else {
                futex::wake_all(&self.seq, scope);
            }
        }
    }
}
