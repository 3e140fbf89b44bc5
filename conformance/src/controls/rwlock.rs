//! RwLock's negative controls: deliberately broken RwLocks that the checkers must reject.
//!
//! Each control is a small writer-preferring readers-writer lock, correct except for one
//! planted bug: a state word (reader count, writer bit), a count of waiting writers (readers
//! stay out while it is non-zero), and one futex word, `seq`, that every waiter sleeps on
//! (bumped before every wake-up, and read by a waiter before it re-checks the state, so no
//! wake-up is lost between the check and the sleep). Written on the `twinsync::sync` facade
//! with a `#[repr(C)]` [`ShmSafe`](twinsync::process::ShmSafe) state, like Lock's controls.
//!
//! | control | bug | class | must fail |
//! |---|---|---|---|
//! | [`WakeOneReader`] | a write unlock wakes one waiter, not all | lost wake-up | RWLOCK-08 |
//! | [`SplitReadAcquire`] | a read acquire is a load then a separate store | atomicity | RWLOCK-02 / 03 / 10 |
//! | [`LaxReadRelease`] | `release_read` of an unheld lock returns `Ok` | sequential | RWLOCK-05 |

use std::time::Duration;

use twinsync::sync::atomic::{AtomicU32, Ordering::*};
use twinsync::sync::futex::{self, Scope, Wait};
use twinsync::sys::time::Deadline;
use twinsync::{Error, RwLockApi};

use super::Place;
use crate::families::RwLockFamily;
use crate::subject::{BugClass, Control, Testable};

/// Which bug a [`RwControlState`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    WakeOneReader,
    SplitReadAcquire,
    LaxReadRelease,
}

/// The writer bit of the state word; the bits below count readers.
const WRITER: u32 = 1 << 31;

/// State of every RwLock control.
///
/// # Layout
///
/// `#[repr(C)]`, 12 bytes, align 4: `state` (bit 31: write-locked; bits 0..31: read
/// holders), `writers_waiting` (writers inside `acquire_write` that have not got in), `seq`
/// (the futex word waiters sleep on). Valid when zeroed (free).
#[repr(C)]
#[derive(Debug)]
pub struct RwControlState {
    state: AtomicU32,
    writers_waiting: AtomicU32,
    seq: AtomicU32,
}

impl Default for RwControlState {
    fn default() -> Self {
        RwControlState {
            state: AtomicU32::new(0),
            writers_waiting: AtomicU32::new(0),
            seq: AtomicU32::new(0),
        }
    }
}

// SAFETY: three AtomicU32, `#[repr(C)]`, no pointers, no destructor, mutated only atomically.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
unsafe impl twinsync::process::ShmSafe for RwControlState {}

impl RwControlState {
    fn try_read(&self, bug: Bug) -> bool {
        let mut s = self.state.load(Relaxed);
        loop {
            if s & WRITER != 0 || self.writers_waiting.load(Relaxed) != 0 {
                return false;
            }
            if bug == Bug::SplitReadAcquire {
                // BUG: another reader or a writer may change the word between the load above
                // and this store, which then overwrites it.
                self.state.store(s + 1, Relaxed);
                return true;
            }
            match self.state.compare_exchange_weak(s, s + 1, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
    }

    fn try_write(&self) -> bool {
        self.state
            .compare_exchange(0, WRITER, Acquire, Relaxed)
            .is_ok()
    }

    /// Waits until `take` succeeds or the deadline passes. `seq` is read before every
    /// attempt, so a release after a failed attempt changes it and the wait returns at once.
    fn wait_for(&self, take: impl Fn() -> bool, deadline: Option<&Deadline>, scope: Scope) -> bool {
        loop {
            let seq = self.seq.load(Acquire);
            if take() {
                return true;
            }
            if futex::wait(&self.seq, seq, deadline, scope) == Wait::TimedOut {
                return take();
            }
        }
    }

    /// Wakes every waiter, or one only when `one`.
    fn wake(&self, one: bool, scope: Scope) {
        self.seq.fetch_add(1, Release);
        if one {
            futex::wake(&self.seq, 1, scope);
        } else {
            futex::wake_all(&self.seq, scope);
        }
    }

    fn acquire_read(&self, bug: Bug, deadline: Option<&Deadline>, scope: Scope) -> bool {
        self.try_read(bug) || self.wait_for(|| self.try_read(bug), deadline, scope)
    }

    fn acquire_write(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        if self.try_write() {
            return true;
        }
        self.writers_waiting.fetch_add(1, Relaxed);
        let got = self.wait_for(|| self.try_write(), deadline, scope);
        self.writers_waiting.fetch_sub(1, Relaxed);
        if !got {
            // Readers we held back may enter now.
            self.wake(false, scope);
        }
        got
    }

    fn release_read(&self, bug: Bug, scope: Scope) -> Result<(), Error> {
        let mut s = self.state.load(Relaxed);
        loop {
            if s & WRITER != 0 || s == 0 {
                if bug == Bug::LaxReadRelease {
                    // BUG: releasing a read lock nobody holds must be Error::NotHeld.
                    return Ok(());
                }
                return Err(Error::NotHeld);
            }
            match self.state.compare_exchange_weak(s, s - 1, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        if s == 1 && self.writers_waiting.load(Relaxed) != 0 {
            // The last reader out lets the waiting writers (and the readers behind them)
            // re-check.
            self.wake(false, scope);
        }
        Ok(())
    }

    fn release_write(&self, bug: Bug, scope: Scope) -> Result<(), Error> {
        if self
            .state
            .compare_exchange(WRITER, 0, Release, Relaxed)
            .is_err()
        {
            return Err(Error::NotHeld);
        }
        // Every waiting reader may enter now: wake all (BUG in WakeOneReader: only one).
        self.wake(bug == Bug::WakeOneReader, scope);
        Ok(())
    }
}

macro_rules! rw_control {
    ($(#[$doc:meta])* $name:ident, $bug:expr, $text:expr, $class:expr, $expected:expr) => {
        $(#[$doc])*
        pub struct $name {
            place: Place<RwControlState>,
        }

        impl $name {
            /// A free lock on the heap (thread scope).
            pub fn new() -> Self {
                $name { place: Place::Local(RwControlState::default()) }
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

        impl RwLockApi for $name {
            fn acquire_read(&self) {
                let (s, scope) = self.place.state();
                s.acquire_read($bug, None, scope);
            }
            fn try_acquire_read(&self) -> bool {
                self.place.state().0.try_read($bug)
            }
            fn acquire_read_timeout(&self, timeout: Duration) -> Result<bool, Error> {
                let deadline = Deadline::after(timeout)?;
                let (s, scope) = self.place.state();
                Ok(s.acquire_read($bug, Some(&deadline), scope))
            }
            fn release_read(&self) -> Result<(), Error> {
                let (s, scope) = self.place.state();
                s.release_read($bug, scope)
            }
            fn acquire_write(&self) {
                let (s, scope) = self.place.state();
                s.acquire_write(None, scope);
            }
            fn try_acquire_write(&self) -> bool {
                self.place.state().0.try_write()
            }
            fn acquire_write_timeout(&self, timeout: Duration) -> Result<bool, Error> {
                let deadline = Deadline::after(timeout)?;
                let (s, scope) = self.place.state();
                Ok(s.acquire_write(Some(&deadline), scope))
            }
            fn release_write(&self) -> Result<(), Error> {
                let (s, scope) = self.place.state();
                s.release_write($bug, scope)
            }
            fn readers(&self) -> u32 {
                self.place.state().0.state.load(Relaxed) & !WRITER
            }
            fn write_locked(&self) -> bool {
                self.place.state().0.state.load(Relaxed) & WRITER != 0
            }
        }

        impl Testable for $name {
            type Family = RwLockFamily;
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
                        RwControlState::default(),
                    )?),
                })
            }
            fn open_named(name: &str) -> Result<Self, Error> {
                Ok($name { place: Place::Shared(twinsync::process::Shared::open(name)?) })
            }
        }
    };
}

rw_control!(
    /// A write unlock wakes one waiter instead of all: readers blocked behind the writer stay
    /// asleep although the lock is readable. Sequentially correct.
    WakeOneReader,
    Bug::WakeOneReader,
    "a write unlock wakes one waiting reader instead of all of them",
    BugClass::LostWakeup,
    &["RWLOCK-08"]
);

rw_control!(
    /// A read acquire reads the state word, then stores the incremented count in a separate
    /// step: it can overwrite a writer's entry (two holders that exclude each other: RWLOCK-02
    /// or 03), another reader's (a lost hold: a reader's release fails, RWLOCK-03), or a
    /// release (a ghost hold that never goes away: writers wait forever, RWLOCK-10).
    /// Sequentially correct.
    SplitReadAcquire,
    Bug::SplitReadAcquire,
    "a read acquire is a load followed by a separate store (a non-atomic read-modify-write)",
    BugClass::Atomicity,
    &["RWLOCK-02", "RWLOCK-03", "RWLOCK-10"]
);

rw_control!(
    /// `release_read` of a lock without read holders returns `Ok(())` instead of
    /// `Error::NotHeld`.
    LaxReadRelease,
    Bug::LaxReadRelease,
    "release_read without a read hold returns Ok instead of Error::NotHeld",
    BugClass::Sequential,
    &["RWLOCK-05"]
);
