//! Semaphore and BoundedSemaphore negative controls: deliberately broken semaphores that the
//! checkers must reject.
//!
//! Each is a simple futex semaphore, correct except for one planted bug: one word holds the
//! value (bits 0..=30) and a WAITERS bit (bit 31) that an acquirer sets before it sleeps and
//! that is never cleared (so a release that sees it always wakes: more system calls than
//! twinsync's algorithm, but no lost wake-up of its own). Written on the `twinsync::sync`
//! facade so loom and shuttle see it, with a `#[repr(C)]` [`ShmSafe`](twinsync::process::ShmSafe)
//! state so the real-process driver places it in shared memory.
//!
//! | control | family | bug | class | must fail |
//! |---|---|---|---|---|
//! | [`WakeOne`] | Semaphore | `release(n)` wakes one sleeper | lost wake-up | SEM-09 |
//! | [`SemSplitAcquire`] | Semaphore | acquire is a load then a separate store | atomicity | SEM-11 / SEM-09 / SEM-17 |
//! | [`LaxBound`] | BoundedSemaphore | accepts one release past the maximum | sequential | BSEM-03 |
//! | [`SplitRelease`] | BoundedSemaphore | release is a load, a check, then a separate store | atomicity | BSEM-04 / SEM-11 / SEM-17 |

use std::time::Duration;

use twinsync::algo::semaphore::VALUE_MAX;
use twinsync::sync::atomic::{AtomicU32, Ordering::*};
use twinsync::sync::futex::{self, Scope, Wait};
use twinsync::sys::time::Deadline;
use twinsync::{Error, SemaphoreApi};

use super::Place;
use crate::families::{BoundedSemaphoreFamily, SemaphoreFamily};
use crate::scenarios::semaphore::INIT;
use crate::subject::{BugClass, Control, Testable};

/// Which bug a [`SemControlState`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    WakeOne,
    SplitAcquire,
    LaxBound,
    SplitRelease,
}

const MASK: u32 = VALUE_MAX;
/// Some acquirer may sleep on the word (never cleared once set).
const WAITERS: u32 = 1 << 31;

/// State of every semaphore control.
///
/// # Layout
///
/// `#[repr(C)]`, 8 bytes, align 4: the futex word (value in bits 0..=30, WAITERS in bit 31)
/// and the maximum (written once).
#[repr(C)]
#[derive(Debug)]
pub struct SemControlState {
    word: AtomicU32,
    max: u32,
}

// SAFETY: `#[repr(C)]`, an AtomicU32 and a u32 written only before sharing, no pointers, no
// destructor.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
unsafe impl twinsync::process::ShmSafe for SemControlState {}

impl SemControlState {
    fn new(max: u32) -> Self {
        SemControlState {
            word: AtomicU32::new(INIT),
            max,
        }
    }

    fn try_acquire(&self, bug: Bug) -> bool {
        let mut w = self.word.load(Acquire);
        loop {
            if w & MASK == 0 {
                return false;
            }
            if bug == Bug::SplitAcquire {
                // BUG: another thread may take the same token between the load and the store.
                self.word.store(w - 1, Relaxed);
                return true;
            }
            match self.word.compare_exchange_weak(w, w - 1, Acquire, Acquire) {
                Ok(_) => return true,
                Err(now) => w = now,
            }
        }
    }

    fn acquire(&self, bug: Bug, deadline: Option<&Deadline>, scope: Scope) -> bool {
        loop {
            if self.try_acquire(bug) {
                return true;
            }
            let w = self.word.load(Relaxed);
            if w & MASK != 0 {
                continue;
            }
            if w & WAITERS == 0
                && self
                    .word
                    .compare_exchange(w, WAITERS, Relaxed, Relaxed)
                    .is_err()
            {
                continue;
            }
            if futex::wait(&self.word, WAITERS, deadline, scope) == Wait::TimedOut {
                return false;
            }
        }
    }

    fn release(&self, bug: Bug, n: u32, scope: Scope) -> Result<(), Error> {
        if n == 0 {
            return Err(Error::InvalidArgument {
                name: "n",
                reason: "must be one or more",
            });
        }
        let max = self.max.min(VALUE_MAX);
        let mut w = self.word.load(Relaxed);
        loop {
            // BUG (LaxBound): one token of room more than the maximum allows.
            let room = max.saturating_sub(w & MASK) + u32::from(bug == Bug::LaxBound);
            if n > room {
                return Err(Error::TooManyReleases { max: max.into() });
            }
            if bug == Bug::SplitRelease {
                // BUG: a release or acquire between the load and this store is overwritten.
                self.word.store(w + n, Release);
                break;
            }
            match self.word.compare_exchange_weak(w, w + n, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => w = now,
            }
        }
        if w & WAITERS != 0 {
            // BUG (WakeOne): n tokens, one woken sleeper.
            let k = if bug == Bug::WakeOne { 1 } else { n };
            futex::wake(&self.word, k, scope);
        }
        Ok(())
    }
}

macro_rules! sem_control {
    ($(#[$doc:meta])* $name:ident, $family:ty, $max:expr, $bug:expr, $text:expr, $class:expr,
     $expected:expr) => {
        $(#[$doc])*
        pub struct $name {
            place: Place<SemControlState>,
        }

        impl $name {
            /// A semaphore with [`INIT`] tokens on the heap (thread scope).
            pub fn new() -> Self {
                $name { place: Place::Local(SemControlState::new($max)) }
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

        impl SemaphoreApi for $name {
            fn acquire(&self) {
                let (s, scope) = self.place.state();
                s.acquire($bug, None, scope);
            }
            fn try_acquire(&self) -> bool {
                self.place.state().0.try_acquire($bug)
            }
            fn acquire_timeout(&self, timeout: Duration) -> Result<bool, Error> {
                let deadline = Deadline::after(timeout)?;
                let (s, scope) = self.place.state();
                Ok(s.acquire($bug, Some(&deadline), scope))
            }
            fn release(&self, n: u32) -> Result<(), Error> {
                let (s, scope) = self.place.state();
                s.release($bug, n, scope)
            }
            fn value(&self) -> u32 {
                self.place.state().0.word.load(Relaxed) & MASK
            }
            fn max_value(&self) -> u32 {
                self.place.state().0.max
            }
        }

        impl Testable for $name {
            type Family = $family;
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
                        SemControlState::new($max),
                    )?),
                })
            }
            fn open_named(name: &str) -> Result<Self, Error> {
                Ok($name { place: Place::Shared(twinsync::process::Shared::open(name)?) })
            }
        }
    };
}

sem_control!(
    /// `release(n)` wakes a single sleeper: the other `n - 1` sleep on although tokens are
    /// free. Sequentially correct, and correct with one sleeper.
    WakeOne,
    SemaphoreFamily,
    VALUE_MAX,
    Bug::WakeOne,
    "Semaphore whose release(n) wakes one sleeper instead of n",
    BugClass::LostWakeup,
    &["SEM-09"]
);

sem_control!(
    /// Acquire reads the value, then stores the decrement in a separate step: two acquirers
    /// can take the same token. Sequentially correct.
    SemSplitAcquire,
    SemaphoreFamily,
    VALUE_MAX,
    Bug::SplitAcquire,
    "Semaphore whose acquire is a load then a separate store (a non-atomic decrement)",
    BugClass::Atomicity,
    &["SEM-11", "SEM-09", "SEM-17"]
);

sem_control!(
    /// A BoundedSemaphore that accepts one release past its maximum.
    LaxBound,
    BoundedSemaphoreFamily,
    INIT,
    Bug::LaxBound,
    "BoundedSemaphore that accepts one release past its maximum",
    BugClass::Sequential,
    &["BSEM-03"]
);

sem_control!(
    /// A BoundedSemaphore whose release checks the bound on a loaded value and then stores
    /// the sum in a separate step: a racing release or acquire in between is lost.
    /// Sequentially correct.
    SplitRelease,
    BoundedSemaphoreFamily,
    INIT,
    Bug::SplitRelease,
    "BoundedSemaphore whose release is a load, a bound check, then a separate store",
    BugClass::Atomicity,
    &["BSEM-04", "SEM-11", "SEM-17"]
);
