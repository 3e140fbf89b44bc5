//! RLock's negative controls: deliberately broken RLocks that the checkers must reject.
//!
//! Each control is a futex RLock whose word names the owner (its
//! [`current_id`](twinsync::sync::current_id), plus a bit for "maybe waited on"), with a
//! recursion count only the owner touches, correct except for one planted bug. Like Lock's
//! controls they are written on the `twinsync::sync` facade and their state is `#[repr(C)]`
//! and [`ShmSafe`](twinsync::process::ShmSafe).
//!
//! | control | bug | class | must fail |
//! |---|---|---|---|
//! | [`CountlessRelease`] | every release frees the lock, whatever the count | sequential | RLOCK-03 / 11 (a guard's drop is a release) |
//! | [`ForeignRelease`] | a release by a non-owner frees a held lock | sequential | RLOCK-05 / 09 |
//! | [`SilentLastRelease`] | the last release never wakes a sleeper | lost wake-up | RLOCK-08 |

use std::time::Duration;

use twinsync::sync::atomic::{AtomicU32, Ordering::*};
use twinsync::sync::current_id;
use twinsync::sync::futex::{self, Scope, Wait};
use twinsync::sys::time::Deadline;
use twinsync::{Error, RLockApi};

use super::Place;
use crate::families::RLockFamily;
use crate::subject::{BugClass, Control, Testable};

/// Which bug a [`RControlState`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    /// The count is ignored on release.
    Countless,
    /// A non-owner's release is accepted.
    Foreign,
    /// The last release does not wake.
    Silent,
}

/// Set in the word while the lock is held and some thread may sleep on it: the last release
/// must wake one. (Thread ids fit in 30 bits.)
const WAITERS: u32 = 1 << 31;

/// State of every RLock control.
///
/// # Layout
///
/// `#[repr(C)]`, 8 bytes, align 4: the futex word (0 free, else the owner's id, with
/// [`WAITERS`] when some thread may sleep on it), then the owner's recursion count. Valid
/// when zeroed.
#[repr(C)]
#[derive(Debug, Default)]
pub struct RControlState {
    word: AtomicU32,
    count: AtomicU32,
}

// SAFETY: two AtomicU32, `#[repr(C)]`, no pointers, no destructor, mutated only atomically.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
unsafe impl twinsync::process::ShmSafe for RControlState {}

impl RControlState {
    fn is_owned(&self) -> bool {
        self.word.load(Relaxed) & !WAITERS == current_id()
    }

    fn count(&self) -> u32 {
        if self.is_owned() {
            self.count.load(Relaxed)
        } else {
            0
        }
    }

    /// A level more if the caller owns the lock; whether it does.
    fn reenter(&self) -> bool {
        if !self.is_owned() {
            return false;
        }
        let c = self.count.load(Relaxed);
        assert!(c != u32::MAX, "RLock recursion count overflow");
        self.count.store(c + 1, Relaxed);
        true
    }

    /// Takes a free lock as `me | extra`; whether it did.
    fn take(&self, extra: u32) -> bool {
        let ok = self
            .word
            .compare_exchange(0, current_id() | extra, Acquire, Relaxed)
            .is_ok();
        if ok {
            self.count.store(1, Relaxed);
        }
        ok
    }

    fn try_acquire(&self) -> bool {
        self.reenter() || self.take(0)
    }

    fn acquire(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        if self.try_acquire() {
            return true;
        }
        loop {
            // Taken after a sleep: others may still sleep, so keep the bit.
            if self.take(WAITERS) {
                return true;
            }
            let w = self.word.load(Relaxed);
            if w == 0 {
                continue;
            }
            if w & WAITERS == 0
                && self
                    .word
                    .compare_exchange(w, w | WAITERS, Relaxed, Relaxed)
                    .is_err()
            {
                continue;
            }
            if futex::wait(&self.word, w | WAITERS, deadline, scope) == Wait::TimedOut {
                return false;
            }
        }
    }

    fn release(&self, bug: Bug, scope: Scope) -> Result<(), Error> {
        if !self.is_owned() {
            // BUG (ForeignRelease): a held lock is freed by whoever asks.
            if bug != Bug::Foreign || self.word.load(Relaxed) == 0 {
                return Err(Error::NotOwner);
            }
        } else {
            let c = self.count.load(Relaxed);
            // BUG (CountlessRelease): the count is ignored, the first release frees the lock.
            if c > 1 && bug != Bug::Countless {
                self.count.store(c - 1, Relaxed);
                return Ok(());
            }
        }
        self.count.store(0, Relaxed);
        let prev = self.word.swap(0, Release);
        // BUG (SilentLastRelease): a sleeper is left asleep although the lock is now free.
        // wake(1): the woken thread retakes the word with WAITERS, so it wakes the next.
        if prev & WAITERS != 0 && bug != Bug::Silent {
            futex::wake(&self.word, 1, scope);
        }
        Ok(())
    }
}

macro_rules! rcontrol {
    ($(#[$doc:meta])* $name:ident, $bug:expr, $text:expr, $class:expr, $expected:expr) => {
        $(#[$doc])*
        pub struct $name {
            place: Place<RControlState>,
        }

        impl $name {
            /// A free RLock on the heap (thread scope).
            pub fn new() -> Self {
                $name { place: Place::Local(RControlState::default()) }
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

        impl RLockApi for $name {
            fn acquire(&self) {
                let (s, scope) = self.place.state();
                s.acquire(None, scope);
            }
            fn try_acquire(&self) -> bool {
                self.place.state().0.try_acquire()
            }
            fn acquire_timeout(&self, timeout: Duration) -> Result<bool, Error> {
                let deadline = Deadline::after(timeout)?;
                let (s, scope) = self.place.state();
                Ok(s.acquire(Some(&deadline), scope))
            }
            fn release(&self) -> Result<(), Error> {
                let (s, scope) = self.place.state();
                s.release($bug, scope)
            }
            fn locked(&self) -> bool {
                self.place.state().0.word.load(Relaxed) != 0
            }
            fn is_owned(&self) -> bool {
                self.place.state().0.is_owned()
            }
            fn count(&self) -> u32 {
                self.place.state().0.count()
            }
        }

        impl Testable for $name {
            type Family = RLockFamily;
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
                        RControlState::default(),
                    )?),
                })
            }
            fn open_named(name: &str) -> Result<Self, Error> {
                Ok($name { place: Place::Shared(twinsync::process::Shared::open(name)?) })
            }
        }
    };
}

rcontrol!(
    /// Every release by the owner frees the lock, whatever its recursion count (a count bug).
    CountlessRelease,
    Bug::Countless,
    "every release frees the RLock, whatever the recursion count",
    BugClass::Sequential,
    &["RLOCK-03", "RLOCK-11"]
);

rcontrol!(
    /// A release by a thread that does not own a held RLock is accepted and frees it.
    ForeignRelease,
    Bug::Foreign,
    "a release by a non-owner of a held RLock returns Ok and frees it",
    BugClass::Sequential,
    &["RLOCK-05", "RLOCK-09"]
);

rcontrol!(
    /// The last release never wakes a sleeping acquirer: a lost wake-up. Sequentially correct.
    SilentLastRelease,
    Bug::Silent,
    "the last release never calls futex wake, so a sleeping acquirer is never woken",
    BugClass::LostWakeup,
    &["RLOCK-08"]
);
