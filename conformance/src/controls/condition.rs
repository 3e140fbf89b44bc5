//! Condition's negative controls: deliberately broken Conditions that the checkers must
//! reject.
//!
//! Both are the *single-counter* Condition (the scheme `primitives/src/algo/condition.rs`
//! explains it does not use): under the condition's lock (a plain Lock), `waiting` counts the
//! registered waiters not yet notified, `signals` the notifications not yet taken, and every
//! waiter sleeps on one futex sequence word that each notify bumps. Each carries one planted
//! bug.
//!
//! | control | bug | class | must fail |
//! |---|---|---|---|
//! | [`NotifyAllWakesOne`] | notify_all grants every waiter a notification but wakes one | lost wake-up | COND-06 |
//! | [`TimeoutAbsorbs`] | a timed-out waiter takes a pending notification and still returns false | lost wake-up | COND-08 / COND-09 |

use std::time::Duration;

use twinsync::sync::atomic::{AtomicU32, Ordering::Relaxed};
use twinsync::sync::futex::{self, Scope, Wait};
use twinsync::sys::time::Deadline;
use twinsync::{ConditionApi, ConditionLock, Error};

use super::Place;
use crate::families::ConditionFamily;
use crate::subject::{BugClass, Control, Testable};

/// Which bug a [`CounterState`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    NotifyAllWakesOne,
    TimeoutAbsorbs,
}

/// State of the single-counter Condition (the lock is separate).
///
/// # Layout
///
/// `#[repr(C)]`, 12 bytes, align 4: `seq` (the futex word), `waiting`, `signals`. Valid when
/// zeroed. Changed only under the condition's lock.
#[repr(C)]
#[derive(Debug, Default)]
pub struct CounterState {
    seq: AtomicU32,
    waiting: AtomicU32,
    signals: AtomicU32,
}

// SAFETY: three AtomicU32s, `#[repr(C)]`, no pointers, no destructor, mutated only atomically.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
unsafe impl twinsync::process::ShmSafe for CounterState {}

impl CounterState {
    fn wait<L: ConditionLock>(
        &self,
        bug: Bug,
        lock: &L,
        deadline: Option<&Deadline>,
        scope: Scope,
    ) -> Result<bool, Error> {
        if !lock.is_mine() {
            return Err(Error::NotOwner);
        }
        self.waiting.store(self.waiting.load(Relaxed) + 1, Relaxed);
        loop {
            let seen = self.seq.load(Relaxed);
            let saved = lock.release_saving()?;
            let woke = futex::wait(&self.seq, seen, deadline, scope);
            lock.acquire_restoring(saved);
            let timed_out = woke == Wait::TimedOut;
            let signals = self.signals.load(Relaxed);
            if signals > 0 {
                self.signals.store(signals - 1, Relaxed);
                // BUG (TimeoutAbsorbs): the notification is consumed, yet the waiter reports a
                // timeout; the waiter it was meant for sleeps on.
                return Ok(!(timed_out && bug == Bug::TimeoutAbsorbs));
            }
            if timed_out {
                self.waiting
                    .store(self.waiting.load(Relaxed).saturating_sub(1), Relaxed);
                return Ok(false);
            }
        }
    }

    fn notify<L: ConditionLock>(
        &self,
        bug: Bug,
        lock: &L,
        n: u32,
        all: bool,
        scope: Scope,
    ) -> Result<(), Error> {
        if !lock.is_mine() {
            return Err(Error::NotOwner);
        }
        let k = n.min(self.waiting.load(Relaxed));
        if k == 0 {
            return Ok(());
        }
        self.waiting.store(self.waiting.load(Relaxed) - k, Relaxed);
        self.signals.store(self.signals.load(Relaxed) + k, Relaxed);
        self.seq
            .store(self.seq.load(Relaxed).wrapping_add(1), Relaxed);
        // BUG (NotifyAllWakesOne): every waiter got a notification, only one is woken.
        let wake = if all && bug == Bug::NotifyAllWakesOne {
            1
        } else {
            k
        };
        futex::wake(&self.seq, wake, scope);
        Ok(())
    }
}

/// The controls' lock: a twinsync Lock of the version that fits where the state lives.
pub enum ControlLock {
    /// For the in-process drivers.
    Local(twinsync::thread::Lock),
    /// In a named segment, for the real-process driver.
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    Shared(twinsync::process::Lock),
}

/// Forwards a method call to whichever lock `self` holds.
macro_rules! on_lock {
    ($self:ident, $l:ident => $e:expr) => {
        match $self {
            ControlLock::Local($l) => $e,
            #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
            ControlLock::Shared($l) => $e,
        }
    };
}

impl ConditionLock for ControlLock {
    type Saved = ();
    fn acquire_lock(&self) {
        on_lock!(self, l => l.acquire_lock())
    }
    fn try_acquire_lock(&self) -> bool {
        on_lock!(self, l => l.try_acquire_lock())
    }
    fn acquire_lock_timeout(&self, timeout: Duration) -> Result<bool, Error> {
        on_lock!(self, l => l.acquire_lock_timeout(timeout))
    }
    fn release_lock(&self) -> Result<(), Error> {
        on_lock!(self, l => l.release_lock())
    }
    fn is_mine(&self) -> bool {
        on_lock!(self, l => l.is_mine())
    }
    fn release_saving(&self) -> Result<(), Error> {
        on_lock!(self, l => l.release_saving())
    }
    fn acquire_restoring(&self, (): ()) {
        on_lock!(self, l => l.acquire_restoring(()))
    }
}

macro_rules! control {
    ($(#[$doc:meta])* $name:ident, $bug:expr, $text:expr, $expected:expr) => {
        $(#[$doc])*
        pub struct $name {
            lock: ControlLock,
            place: Place<CounterState>,
        }

        impl $name {
            /// A condition with no waiters over a free lock, on the heap (thread scope).
            pub fn new() -> Self {
                $name {
                    lock: ControlLock::Local(twinsync::thread::Lock::new()),
                    place: Place::Local(CounterState::default()),
                }
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

        impl ConditionApi for $name {
            type Lock = ControlLock;
            fn lock(&self) -> &ControlLock {
                &self.lock
            }
            fn wait(&self) -> Result<(), Error> {
                let (s, scope) = self.place.state();
                s.wait($bug, &self.lock, None, scope).map(drop)
            }
            fn wait_timeout(&self, timeout: Duration) -> Result<bool, Error> {
                let deadline = Deadline::after(timeout)?;
                let (s, scope) = self.place.state();
                s.wait($bug, &self.lock, Some(&deadline), scope)
            }
            fn notify(&self, n: usize) -> Result<(), Error> {
                let (s, scope) = self.place.state();
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                s.notify($bug, &self.lock, n, false, scope)
            }
            fn notify_all(&self) -> Result<(), Error> {
                let (s, scope) = self.place.state();
                s.notify($bug, &self.lock, u32::MAX, true, scope)
            }
        }

        impl Testable for $name {
            type Family = ConditionFamily;
            const NAME: &'static str = concat!("control::", stringify!($name));
            const VERSION: &'static str = "control";
            const CONTROL: Option<Control> = Some(Control {
                bug: $text,
                class: if matches!($bug, Bug::TimeoutAbsorbs) {
                    BugClass::NarrowRace
                } else {
                    BugClass::LostWakeup
                },
                expected: $expected,
            });
            fn make() -> Result<Self, Error> {
                Ok(Self::new())
            }
        }

        #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
        impl crate::subject::SharedTestable for $name {
            fn create_named(name: &str) -> Result<Self, Error> {
                let lock_name = crate::families::condition_lock_name(name);
                let lock = twinsync::process::Lock::create(&lock_name)?;
                let shared = twinsync::process::Shared::create(name, CounterState::default())
                    .inspect_err(|_| {
                        let _ = twinsync::process::unlink(&lock_name);
                    })?;
                Ok($name { lock: ControlLock::Shared(lock), place: Place::Shared(shared) })
            }
            fn open_named(name: &str) -> Result<Self, Error> {
                let lock_name = crate::families::condition_lock_name(name);
                Ok($name {
                    lock: ControlLock::Shared(twinsync::process::Lock::open(&lock_name)?),
                    place: Place::Shared(twinsync::process::Shared::open(name)?),
                })
            }
            fn unlink_named(name: &str) {
                let _ = twinsync::process::unlink(name);
                let _ = twinsync::process::unlink(&crate::families::condition_lock_name(name));
            }
        }
    };
}

control!(
    /// The single-counter Condition whose `notify_all` wakes one sleeper only, although every
    /// waiter got a notification: the others sleep on for good. `notify(n)` is right.
    NotifyAllWakesOne,
    Bug::NotifyAllWakesOne,
    "notify_all gives every waiter a notification but wakes only one of them",
    &["COND-06"]
);

control!(
    /// The single-counter Condition in which a waiter whose wait timed out takes a pending
    /// notification yet returns false: the waiter the notification was meant for is never
    /// woken.
    TimeoutAbsorbs,
    Bug::TimeoutAbsorbs,
    "a timed-out waiter consumes a pending notification (single counter) and still reports \
     a timeout, so the waiter it was meant for sleeps on",
    &["COND-08", "COND-09"]
);
