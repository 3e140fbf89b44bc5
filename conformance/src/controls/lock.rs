//! Lock's negative controls: deliberately broken Locks that the checkers must reject.
//!
//! Each control here is a
//! three-state futex lock (0 free, 1 held, 2 held and maybe waited on) that is correct except
//! for one planted bug. They are written on the `twinsync::sync` facade, like the real
//! algorithms, so loom and shuttle see their atomics and their (emulated, blocking) futex; and
//! their state is `#[repr(C)]` and [`ShmSafe`](twinsync::process::ShmSafe), so the real-process
//! driver places them in shared memory.
//!
//! | control | bug | class | must fail |
//! |---|---|---|---|
//! | [`ForgetfulWake`] | release never wakes a sleeper | lost wake-up | LOCK-08 |
//! | [`SplitAcquire`] | acquire is a load then a separate store | atomicity | LOCK-07 / LOCK-11 / LOCK-12 |
//! | [`LaxRelease`] | release of a free lock returns `Ok` | sequential | LOCK-05 / LOCK-12 |
//! | [`RelaxedRelease`] | acquire and release use `Relaxed` | ordering | LOCK-11 |

use std::time::Duration;

use twinsync::sync::atomic::{AtomicU32, Ordering, Ordering::*};
use twinsync::sync::futex::{self, Scope, Wait};
use twinsync::sys::time::Deadline;
use twinsync::{Error, LockApi};

use super::Place;
use crate::families::LockFamily;
use crate::subject::{BugClass, Control, Testable};

/// Which bug a [`ControlState`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    ForgetfulWake,
    SplitAcquire,
    LaxRelease,
    RelaxedRelease,
}

const FREE: u32 = 0;
const HELD: u32 = 1;
/// Held, and some thread may sleep on the word: release must wake one.
const CONTENDED: u32 = 2;

/// State of every control.
///
/// # Layout
///
/// `#[repr(C)]`, 4 bytes, align 4: one futex word holding 0 (free), 1 (held) or 2
/// (held, maybe waited on). Valid when zeroed.
#[repr(C)]
#[derive(Debug)]
pub struct ControlState {
    word: AtomicU32,
}

impl Default for ControlState {
    fn default() -> Self {
        ControlState {
            word: AtomicU32::new(FREE),
        }
    }
}

// SAFETY: one AtomicU32, `#[repr(C)]`, no pointers, no destructor, mutated only atomically.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
unsafe impl twinsync::process::ShmSafe for ControlState {}

impl ControlState {
    fn orderings(bug: Bug) -> (Ordering, Ordering) {
        if bug == Bug::RelaxedRelease {
            // BUG: no acquire/release pair, so no happens-before between critical sections.
            (Relaxed, Relaxed)
        } else {
            (Acquire, Release)
        }
    }

    /// Moves FREE -> `new`; whether it did.
    fn take(&self, bug: Bug, new: u32) -> bool {
        let (acq, _) = Self::orderings(bug);
        if bug == Bug::SplitAcquire {
            if self.word.load(acq) != FREE {
                return false;
            }
            // BUG: another thread may take the lock between the load above and this store.
            // In a real run the window is widened a little, so that the race shows within
            // the drivers' budgets even on a loaded two-core machine, where the two parties
            // rarely run at the same instant (the checkers explore the window anyway).
            #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
            for _ in 0..200 {
                std::hint::spin_loop();
            }
            self.word.store(new, Relaxed);
            return true;
        }
        self.word.compare_exchange(FREE, new, acq, Relaxed).is_ok()
    }

    fn acquire(&self, bug: Bug, deadline: Option<&Deadline>, scope: Scope) -> bool {
        if self.take(bug, HELD) {
            return true;
        }
        loop {
            // Take it as CONTENDED: others may sleep, so our release must wake one.
            if self.take(bug, CONTENDED) {
                return true;
            }
            let w = self.word.load(Relaxed);
            if w == HELD
                && self
                    .word
                    .compare_exchange(HELD, CONTENDED, Relaxed, Relaxed)
                    .is_err()
            {
                continue;
            }
            if w == FREE {
                continue;
            }
            if futex::wait(&self.word, CONTENDED, deadline, scope) == Wait::TimedOut {
                return false;
            }
        }
    }

    fn release(&self, bug: Bug, scope: Scope) -> Result<(), Error> {
        let (_, rel) = Self::orderings(bug);
        let prev = self.word.swap(FREE, rel);
        if prev == FREE {
            if bug == Bug::LaxRelease {
                // BUG: releasing a free lock must be Error::NotHeld.
                return Ok(());
            }
            return Err(Error::NotHeld);
        }
        // BUG (ForgetfulWake): a sleeper is left asleep although the lock is now free.
        if prev == CONTENDED && bug != Bug::ForgetfulWake {
            futex::wake(&self.word, 1, scope);
        }
        Ok(())
    }
}

macro_rules! control {
    ($(#[$doc:meta])* $name:ident, $bug:expr, $text:expr, $class:expr, $expected:expr) => {
        $(#[$doc])*
        pub struct $name {
            place: Place<ControlState>,
        }

        impl $name {
            /// A free lock on the heap (thread scope).
            pub fn new() -> Self {
                $name { place: Place::Local(ControlState::default()) }
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

        impl LockApi for $name {
            fn acquire(&self) {
                let (s, scope) = self.place.state();
                s.acquire($bug, None, scope);
            }
            fn try_acquire(&self) -> bool {
                self.place.state().0.take($bug, HELD)
            }
            fn acquire_timeout(&self, timeout: Duration) -> Result<bool, Error> {
                let deadline = Deadline::after(timeout)?;
                let (s, scope) = self.place.state();
                Ok(s.acquire($bug, Some(&deadline), scope))
            }
            fn release(&self) -> Result<(), Error> {
                let (s, scope) = self.place.state();
                s.release($bug, scope)
            }
            fn locked(&self) -> bool {
                self.place.state().0.word.load(Relaxed) != FREE
            }
        }

        impl Testable for $name {
            type Family = LockFamily;
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
                        ControlState::default(),
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
    /// Release never wakes a sleeping acquirer: a lost wake-up. Sequentially correct.
    ForgetfulWake,
    Bug::ForgetfulWake,
    "release never calls futex wake, so a sleeping acquirer is never woken",
    BugClass::LostWakeup,
    &["LOCK-08"]
);

control!(
    /// Acquire reads the word, then stores to it in a separate step: two threads can both see
    /// it free and both enter. Sequentially correct.
    SplitAcquire,
    Bug::SplitAcquire,
    "acquire is a load followed by a separate store (a non-atomic read-modify-write)",
    BugClass::Atomicity,
    // Two holders break exclusion (07), lose an update (11), or make a recorded history that
    // no order explains (12), whichever a run shows first.
    &["LOCK-07", "LOCK-11", "LOCK-12"]
);

control!(
    /// Release of a free lock returns `Ok(())` instead of `Error::NotHeld`.
    LaxRelease,
    Bug::LaxRelease,
    "release of a free lock returns Ok instead of Error::NotHeld",
    BugClass::Sequential,
    &["LOCK-05", "LOCK-12"]
);

control!(
    /// Acquire and release use `Relaxed` orderings: mutual exclusion holds, but a critical
    /// section need not see the previous one's writes.
    RelaxedRelease,
    Bug::RelaxedRelease,
    "acquire and release use Relaxed orderings: no happens-before between critical sections",
    BugClass::Ordering,
    &["LOCK-11"]
);
