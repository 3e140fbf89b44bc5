//! Barrier's negative controls: deliberately broken Barriers that the checkers must reject.
//!
//! Each control is a small futex barrier (a 32-bit state word: generation, broken bit,
//! arrival count; parties sleep on a second word, an event count) that is correct for everything the scenarios
//! reach before its bug, except for one planted bug. Like the real algorithm it keeps the
//! action and the default timeout in the handle and its state in a `#[repr(C)]` word that can
//! live in shared memory. (Its reset does not drain: the controls are rejected before any
//! scenario resets a barrier under waiting parties.)
//!
//! [`WakeOneTrip`] needs two sleepers, hence three threads, which loom cannot afford on the
//! real barrier (see `scenarios::barrier`): it is not built under loom, where [`LateSeq`] (a
//! lost wake-up two parties reach) stands for the class.
//!
//! | control | bug | class | must fail |
//! |---|---|---|---|
//! | [`WakeOneTrip`] | the trip wakes one sleeper, not all | lost wake-up | BARRIER-03 / 11 |
//! | [`LateSeq`] | a sleeper reads the futex word after checking the state | lost wake-up | BARRIER-03 / 11 |
//! | [`NoGenerations`] | parties wait for the count to drop to 0, not for a new generation | atomicity (lapping) | BARRIER-11 / 03 |
//! | [`EarlyTrip`] | the last arrival is recognised one arrival early | sequential | BARRIER-03 / 06 / 07 |

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use twinsync::sync::atomic::{AtomicU32, Ordering::*};
use twinsync::sync::futex::{self, Scope, Wait};
use twinsync::sys::time::Deadline;
use twinsync::{BarrierApi, BarrierFn, Error, TIMEOUT_MAX};

use super::Place;
use crate::families::{BarrierFamily, Barriers, Member};
use crate::subject::{BugClass, Control, Testable};

/// Which bug a [`MiniState`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    WakeOneTrip,
    LateSeq,
    NoGenerations,
    EarlyTrip,
}

/// Bits of the word that hold the arrival count.
const COUNT: u32 = 0xff;
/// Broken: every waiting party and every arrival gets `BrokenBarrier` until a reset.
const BROKEN: u32 = 1 << 8;
/// One generation (bits 9..32).
const GEN_ONE: u32 = 1 << 9;

/// State of every Barrier control.
///
/// # Layout
///
/// `#[repr(C)]`, 12 bytes, align 4: the state word (bits 0..8 arrivals in this generation,
/// bit 8 broken, bits 9..32 generation), the party count, and `seq`, the futex word sleepers
/// wait on as on an event count (read `seq`, check the state, sleep while `seq` is unchanged;
/// every release or break bumps it and wakes). While the last arrival runs the action the
/// count equals the parties, and newcomers wait.
#[repr(C)]
#[derive(Debug)]
pub struct MiniState {
    word: AtomicU32,
    parties: AtomicU32,
    seq: AtomicU32,
}

// SAFETY: three AtomicU32, `#[repr(C)]`, no pointers, no destructor, mutated only atomically.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
unsafe impl twinsync::process::ShmSafe for MiniState {}

fn generation(w: u32) -> u32 {
    w & !(COUNT | BROKEN)
}

impl MiniState {
    fn new(parties: u32) -> Result<Self, Error> {
        if !(1..=COUNT).contains(&parties) {
            return Err(Error::InvalidArgument {
                name: "parties",
                reason: "a control barrier has 1 to 255 parties",
            });
        }
        Ok(MiniState {
            word: AtomicU32::new(0),
            parties: AtomicU32::new(parties),
            seq: AtomicU32::new(0),
        })
    }

    fn parties(&self) -> u32 {
        self.parties.load(Relaxed).clamp(1, COUNT)
    }

    /// Whether a party of the generation `g` (word `w` when it arrived) is released by `now`.
    fn released(bug: Bug, arrived: u32, now: u32) -> bool {
        if bug == Bug::NoGenerations {
            // BUG: no generation number: "the count went back to 0" is taken as the trip,
            // but a fast party of the next generation may have counted itself in already.
            now & (COUNT | BROKEN) == 0
        } else {
            generation(now) != generation(arrived)
        }
    }

    /// Breaks the generation of `arrived` unless it was released; whether it was released.
    fn break_unless_released(&self, bug: Bug, arrived: u32, scope: Scope) -> bool {
        let mut w = self.word.load(Acquire);
        loop {
            if Self::released(bug, arrived, w) {
                return true;
            }
            if w & BROKEN != 0 {
                return false;
            }
            match self.word.compare_exchange(w, w | BROKEN, AcqRel, Acquire) {
                Ok(_) => {
                    self.publish(false, scope);
                    return false;
                }
                Err(now) => w = now,
            }
        }
    }

    fn wait(
        &self,
        bug: Bug,
        action: Option<&BarrierFn>,
        deadline: Option<&Deadline>,
        scope: Scope,
    ) -> Result<u32, Error> {
        let parties = self.parties();
        let mut w = self.word.load(Relaxed);
        loop {
            if w & BROKEN != 0 {
                return Err(Error::BrokenBarrier);
            }
            if w & COUNT >= parties {
                // The action of this generation runs: wait for its end.
                let full = |now: u32| now & BROKEN == 0 && now & COUNT >= parties;
                match self.block(bug, full, deadline, scope) {
                    Some(now) => w = now,
                    None => {
                        self.abort(scope);
                        return Err(Error::BrokenBarrier);
                    }
                }
                continue;
            }
            match self.word.compare_exchange(w, w + 1, AcqRel, Relaxed) {
                Ok(_) => break,
                Err(now) => w = now,
            }
        }
        let index = w & COUNT;
        let last = if bug == Bug::EarlyTrip {
            // BUG: off by one: trips when one party is still missing.
            index + 2 >= parties
        } else {
            index + 1 == parties
        };
        if last {
            return self.trip(bug, w, index, action, scope);
        }
        let waiting = |now: u32| !Self::released(bug, w, now) && now & BROKEN == 0;
        match self.block(bug, waiting, deadline, scope) {
            Some(now) if Self::released(bug, w, now) => Ok(index),
            Some(_) => Err(Error::BrokenBarrier),
            None if self.break_unless_released(bug, w, scope) => Ok(index),
            None => Err(Error::BrokenBarrier),
        }
    }

    /// Sleeps on `seq` while `blocked(state)`; the state that ended it, or `None` on timeout.
    fn block(
        &self,
        bug: Bug,
        blocked: impl Fn(u32) -> bool,
        deadline: Option<&Deadline>,
        scope: Scope,
    ) -> Option<u32> {
        loop {
            let early = self.seq.load(Acquire);
            let now = self.word.load(Acquire);
            if !blocked(now) {
                return Some(now);
            }
            let seq = if bug == Bug::LateSeq {
                // BUG: `seq` read after the state was checked (and a few pauses spent
                // preparing to sleep): a release in between bumps `seq` before it is read,
                // and the party sleeps on the new value, never to be woken.
                for _ in 0..64 {
                    twinsync::sync::hint::spin_loop();
                }
                self.seq.load(Acquire)
            } else {
                early
            };
            if futex::wait(&self.seq, seq, deadline, scope) == Wait::TimedOut {
                return None;
            }
        }
    }

    /// After a release or a break: bump `seq` and wake the sleepers (one only when
    /// `one`).
    fn publish(&self, one: bool, scope: Scope) {
        self.seq.fetch_add(1, Release);
        if one {
            futex::wake(&self.seq, 1, scope);
        } else {
            futex::wake_all(&self.seq, scope);
        }
    }

    /// The last arrival (word `w` before it counted itself): runs the action and trips.
    fn trip(
        &self,
        bug: Bug,
        w: u32,
        index: u32,
        action: Option<&BarrierFn>,
        scope: Scope,
    ) -> Result<u32, Error> {
        let outcome = match action {
            None => Ok(()),
            Some(a) => catch_unwind(AssertUnwindSafe(a)).unwrap_or_else(|p| {
                let text = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()));
                Err(format!("the action panicked: {}", text.unwrap_or_default()))
            }),
        };
        let mut cur = self.word.load(Relaxed);
        loop {
            if generation(cur) != generation(w) || cur & BROKEN != 0 {
                // Aborted or reset while the action ran.
                return Err(match outcome {
                    Ok(()) => Error::BrokenBarrier,
                    Err(message) => Error::BarrierAction { message },
                });
            }
            let new = match (&outcome, bug) {
                (Err(_), _) => cur | BROKEN,
                // BUG (NoGenerations): the generation number never moves.
                (Ok(()), Bug::NoGenerations) => generation(cur),
                (Ok(()), _) => generation(cur).wrapping_add(GEN_ONE),
            };
            match self.word.compare_exchange(cur, new, AcqRel, Relaxed) {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        // BUG (WakeOneTrip): every party of the generation sleeps on `seq`; one wake-up is
        // not enough.
        self.publish(bug == Bug::WakeOneTrip && outcome.is_ok(), scope);
        outcome
            .map(|()| index)
            .map_err(|message| Error::BarrierAction { message })
    }

    fn abort(&self, scope: Scope) {
        let w = self.word.fetch_or(BROKEN, AcqRel);
        if w & BROKEN == 0 {
            self.publish(false, scope);
        }
    }

    /// A fresh generation at once (no draining, see the module docs).
    fn reset(&self, scope: Scope) {
        let mut w = self.word.load(Relaxed);
        loop {
            let new = generation(w).wrapping_add(GEN_ONE);
            match self.word.compare_exchange(w, new, AcqRel, Relaxed) {
                Ok(_) => break,
                Err(now) => w = now,
            }
        }
        self.publish(false, scope);
    }

    fn n_waiting(&self) -> u32 {
        let w = self.word.load(Relaxed);
        if w & BROKEN != 0 {
            0
        } else {
            (w & COUNT).min(self.parties())
        }
    }
}

macro_rules! control {
    ($(#[$doc:meta])* $name:ident, $bug:expr, $text:expr, $class:expr, $expected:expr) => {
        $(#[$doc])*
        pub struct $name {
            place: Place<MiniState>,
            action: Option<BarrierFn>,
            timeout: Option<Duration>,
        }

        impl $name {
            fn with(place: Place<MiniState>) -> Self {
                $name { place, action: None, timeout: None }
            }

            fn wait_with(&self, timeout: Option<Duration>) -> Result<u32, Error> {
                let deadline = Deadline::from_timeout(timeout.or(self.timeout))?;
                let (s, scope) = self.place.state();
                s.wait($bug, self.action.as_ref(), deadline.as_ref(), scope)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }

        impl BarrierApi for $name {
            fn wait(&self) -> Result<u32, Error> {
                self.wait_with(None)
            }
            fn wait_timeout(&self, timeout: Duration) -> Result<u32, Error> {
                self.wait_with(Some(timeout))
            }
            fn reset(&self) {
                let (s, scope) = self.place.state();
                s.reset(scope);
            }
            fn abort(&self) {
                let (s, scope) = self.place.state();
                s.abort(scope);
            }
            fn parties(&self) -> u32 {
                self.place.state().0.parties()
            }
            fn n_waiting(&self) -> u32 {
                self.place.state().0.n_waiting()
            }
            fn broken(&self) -> bool {
                self.place.state().0.word.load(Relaxed) & BROKEN != 0
            }
        }

        impl Member for $name {
            fn build(parties: u32) -> Result<Self, Error> {
                Ok(Self::with(Place::Local(MiniState::new(parties)?)))
            }
            fn action(mut self, action: BarrierFn) -> Self {
                self.action = Some(action);
                self
            }
            fn timeout(mut self, timeout: Duration) -> Result<Self, Error> {
                if timeout > TIMEOUT_MAX {
                    return Err(Error::TimeoutTooLarge { timeout });
                }
                self.timeout = Some(timeout);
                Ok(self)
            }
        }

        impl Testable for Barriers<$name> {
            type Family = BarrierFamily;
            const NAME: &'static str = concat!("control::", stringify!($name));
            const VERSION: &'static str = "control";
            const CONTROL: Option<Control> = Some(Control {
                bug: $text,
                class: $class,
                expected: $expected,
            });
            fn make() -> Result<Self, Error> {
                Self::private()
            }
        }

        #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
        impl crate::subject::SharedTestable for Barriers<$name> {
            fn create_named(name: &str) -> Result<Self, Error> {
                Self::create_set(name, |seg, parties| {
                    let state = MiniState::new(parties)?;
                    Ok($name::with(Place::Shared(twinsync::process::Shared::create(seg, state)?)))
                })
            }
            fn open_named(name: &str) -> Result<Self, Error> {
                Self::open_set(name, |seg| {
                    Ok($name::with(Place::Shared(twinsync::process::Shared::open(seg)?)))
                })
            }
            fn unlink_named(name: &str) {
                Self::unlink_set(name);
            }
        }
    };
}

control!(
    /// The trip wakes one sleeping party instead of all: with two or more asleep, the others
    /// are never released. Sequentially correct.
    WakeOneTrip,
    Bug::WakeOneTrip,
    "the last arrival wakes one sleeping party (futex wake 1) instead of all of them",
    BugClass::LostWakeup,
    &["BARRIER-03", "BARRIER-11"]
);

control!(
    /// A sleeper reads the event count `seq` after checking the state instead of before: a
    /// release between the two is lost, even with two parties. Sequentially correct.
    LateSeq,
    Bug::LateSeq,
    "a sleeper reads the futex word (event count) after checking the state, so a release in \
     between is missed and it sleeps forever",
    BugClass::LostWakeup,
    &["BARRIER-03", "BARRIER-11"]
);

control!(
    /// No generation number: a party is released when the count drops back to 0, so a fast
    /// party that re-enters first hides the trip from a slow one. Sequentially correct.
    NoGenerations,
    Bug::NoGenerations,
    "no generation number: parties wait for the count to return to 0, which a fast party of \
     the next generation can hide (a party laps another)",
    BugClass::Atomicity,
    &["BARRIER-11", "BARRIER-03"]
);

control!(
    /// The last arrival is recognised one arrival early (`index + 2 >= parties`): a barrier
    /// of two releases every party alone.
    EarlyTrip,
    Bug::EarlyTrip,
    "off by one: the barrier trips when one party is still missing, so a lone party of two is \
     released instead of timing out (with its own or the default timeout)",
    BugClass::Sequential,
    &["BARRIER-03", "BARRIER-06", "BARRIER-07"]
);
