//! Event's negative controls: deliberately broken Events that the checkers must reject.
//!
//! Each is the Event algorithm of `primitives/src/algo/event.rs` (flag, waiters bit and
//! generation in one futex word) with one planted bug.
//!
//! | control | bug | class | must fail |
//! |---|---|---|---|
//! | [`SetWakesOne`] | set wakes one sleeper instead of all | lost wake-up | EVENT-06 |
//! | [`FlagOnlyWaiters`] | a woken waiter re-checks the flag only, not the generation | lost wake-up of a sleeping waiter (real drivers only) | EVENT-07 |

use std::time::Duration;

use twinsync::sync::atomic::{AtomicU32, Ordering::*};
use twinsync::sync::futex::{self, Scope, Wait};
use twinsync::sys::time::Deadline;
use twinsync::{Error, EventApi};

use super::Place;
use crate::families::EventFamily;
use crate::subject::{BugClass, Control, Testable};

/// Which bug an [`EventWord`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    SetWakesOne,
    FlagOnlyWaiters,
}

const SET: u32 = 1;
const WAITERS: u32 = 2;
const GEN_ONE: u32 = 4;
const GEN_MASK: u32 = !(SET | WAITERS);

/// State of both controls.
///
/// # Layout
///
/// `#[repr(C)]`, 4 bytes, align 4: bit 0 the flag, bit 1 "a waiter may sleep", bits 2..32
/// the generation (bumped by each set). Valid when zeroed.
#[repr(C)]
#[derive(Debug, Default)]
pub struct EventWord {
    word: AtomicU32,
}

// SAFETY: one AtomicU32, `#[repr(C)]`, no pointers, no destructor, mutated only atomically.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
unsafe impl twinsync::process::ShmSafe for EventWord {}

impl EventWord {
    fn set(&self, bug: Bug, scope: Scope) {
        let mut w = self.word.load(Relaxed);
        loop {
            if w & SET != 0 {
                return;
            }
            let new = ((w & GEN_MASK).wrapping_add(GEN_ONE) & GEN_MASK) | SET;
            match self.word.compare_exchange_weak(w, new, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => w = now,
            }
        }
        if w & WAITERS != 0 {
            if bug == Bug::SetWakesOne {
                // BUG: the other sleepers stay asleep although the event is set.
                futex::wake(&self.word, 1, scope);
            } else {
                futex::wake_all(&self.word, scope);
            }
        }
    }

    fn fired(bug: Bug, w: u32, gen: u32) -> bool {
        // BUG (FlagOnlyWaiters): a set followed by a clear before the waiter looks is missed.
        w & SET != 0 || (bug != Bug::FlagOnlyWaiters && w & GEN_MASK != gen)
    }

    fn wait(&self, bug: Bug, deadline: Option<&Deadline>, scope: Scope) -> bool {
        let mut w = self.word.load(Acquire);
        if w & SET != 0 {
            return true;
        }
        let gen = w & GEN_MASK;
        loop {
            if w & WAITERS == 0 {
                match self.word.compare_exchange(w, w | WAITERS, Acquire, Acquire) {
                    Ok(_) => w |= WAITERS,
                    Err(now) => {
                        w = now;
                        if Self::fired(bug, w, gen) {
                            return true;
                        }
                        continue;
                    }
                }
            }
            let timed_out = futex::wait(&self.word, w, deadline, scope) == Wait::TimedOut;
            w = self.word.load(Acquire);
            if Self::fired(bug, w, gen) {
                return true;
            }
            if timed_out {
                return false;
            }
        }
    }
}

macro_rules! control {
    ($(#[$doc:meta])* $name:ident, $bug:expr, $text:expr, $class:expr, $expected:expr) => {
        $(#[$doc])*
        pub struct $name {
            place: Place<EventWord>,
        }

        impl $name {
            /// A clear event on the heap (thread scope).
            pub fn new() -> Self {
                $name { place: Place::Local(EventWord::default()) }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }

        impl EventApi for $name {
            fn is_set(&self) -> bool {
                self.place.state().0.word.load(Acquire) & SET != 0
            }
            fn set(&self) {
                let (s, scope) = self.place.state();
                s.set($bug, scope);
            }
            fn clear(&self) {
                self.place.state().0.word.fetch_and(!SET, Relaxed);
            }
            fn wait(&self) {
                let (s, scope) = self.place.state();
                s.wait($bug, None, scope);
            }
            fn wait_timeout(&self, timeout: Duration) -> Result<bool, Error> {
                let deadline = Deadline::after(timeout)?;
                let (s, scope) = self.place.state();
                Ok(s.wait($bug, Some(&deadline), scope))
            }
        }

        impl Testable for $name {
            type Family = EventFamily;
            const NAME: &'static str = concat!("control::", stringify!($name));
            const VERSION: &'static str = "control";
            const CONTROL: Option<Control> = Some(Control {
                bug: $text,
                class: $class,
                expected: $expected,
            });
            fn make() -> Result<Self, Error> {
                Ok(Self::new())
            }
        }

        #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
        impl crate::subject::SharedTestable for $name {
            fn create_named(name: &str) -> Result<Self, Error> {
                Ok($name {
                    place: Place::Shared(twinsync::process::Shared::create(
                        name,
                        EventWord::default(),
                    )?),
                })
            }
            fn open_named(name: &str) -> Result<Self, Error> {
                Ok($name { place: Place::Shared(twinsync::process::Shared::open(name)?) })
            }
        }
    };
}

control!(
    /// `set` wakes a single sleeper: with two or more waiters asleep, the others sleep on
    /// although the event is set.
    SetWakesOne,
    Bug::SetWakesOne,
    "set wakes one sleeping waiter (futex wake 1) instead of all of them",
    BugClass::LostWakeup,
    &["EVENT-06"]
);

control!(
    /// A woken waiter returns only if it sees the flag up: after `set(); clear()` it goes back
    /// to sleep (the `multiprocessing` behaviour that EVENT-07 rules out).
    FlagOnlyWaiters,
    Bug::FlagOnlyWaiters,
    "waiters re-check only the flag, so set() followed at once by clear() leaves them asleep",
    BugClass::SleepingWaiter,
    &["EVENT-07"]
);
