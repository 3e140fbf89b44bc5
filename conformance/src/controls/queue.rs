//! Queue's negative controls: deliberately broken Queues of `u64` items that the checkers
//! must reject.
//!
//! Each control is a small lock-based ring of [`CAPACITY`] slots (a three-state futex mutex
//! guards the positions and counts; getters, putters and joiners sleep on three futex
//! words that every state change they wait for bumps) that is correct except for one
//! planted bug. Written on the `twinsync::sync` facade so loom and shuttle see it, with a
//! `#[repr(C)]` state that the real-process driver places in shared memory.
//!
//! | control | bug | class | must fail |
//! |---|---|---|---|
//! | [`SilentPut`] | put never wakes a sleeping getter | lost wake-up | QUEUE-06 |
//! | [`DeafClose`] | close never wakes sleeping getters | lost wake-up | QUEUE-10 |
//! | [`SixWrap`] | positions wrap at 6, not a multiple of the capacity 4 | sequential | QUEUE-02 / QUEUE-07 |

use std::time::Duration;

use twinsync::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use twinsync::sync::futex::{self, Scope, Wait};
use twinsync::sys::time::Deadline;
use twinsync::{Error, PutError, QueueApi};

use super::Place;
use crate::families::QueueFamily;
use crate::scenarios::queue::{QueueSubject, CAPACITY};
use crate::subject::{BugClass, Control, Testable};

/// Which bug a [`QueueControlState`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    SilentPut,
    DeafClose,
    SixWrap,
}

/// How long an operation may wait.
#[derive(Clone, Copy)]
enum Patience<'a> {
    Now,
    Until(&'a Deadline),
    Forever,
}

/// State of every Queue control.
///
/// # Layout
///
/// `#[repr(C)]`, 72 bytes, align 8, all atomics, valid when zeroed (an empty, open queue).
/// Invariants, under `lock`: `len <= CAPACITY`; the items are at positions `head ..
/// head + len` (mod the position space), position `p` in slot `p % CAPACITY`;
/// `gotten <= unfinished`.
#[repr(C)]
#[derive(Debug, Default)]
pub struct QueueControlState {
    /// 0 free, 1 held, 2 held and maybe waited on.
    lock: AtomicU32,
    /// Position of the oldest item.
    head: AtomicU32,
    /// Items queued.
    len: AtomicU32,
    /// 1 once closed.
    closed: AtomicU32,
    /// Bumped by every put and by close: getters sleep on it.
    items: AtomicU32,
    /// Bumped by every get and by close: putters sleep on it.
    room: AtomicU32,
    /// Bumped when the last unfinished task is marked done: joiners sleep on it.
    done: AtomicU32,
    /// Puts minus task_dones.
    unfinished: AtomicU64,
    /// Gets minus task_dones.
    gotten: AtomicU64,
    /// The ring.
    slots: [AtomicU64; CAPACITY],
}

// SAFETY: `#[repr(C)]`, only atomics (plain integers), no pointers, no destructor.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
unsafe impl twinsync::process::ShmSafe for QueueControlState {}

/// Bumps a futex word (under the lock) so that sleepers that read it before see a change.
fn bump(w: &AtomicU32) {
    w.fetch_add(1, Relaxed);
}

impl QueueControlState {
    fn lock(&self, scope: Scope) {
        if self.lock.compare_exchange(0, 1, Acquire, Relaxed).is_ok() {
            return;
        }
        while self.lock.swap(2, Acquire) != 0 {
            futex::wait(&self.lock, 2, None, scope);
        }
    }

    fn unlock(&self, scope: Scope) {
        if self.lock.swap(0, Release) == 2 {
            futex::wake(&self.lock, 1, scope);
        }
    }

    /// The position space: a multiple of the capacity, except with the wrap bug.
    fn wrap(bug: Bug) -> u32 {
        if bug == Bug::SixWrap {
            // BUG: 6 is not a multiple of 4, so positions 4, 5, 0, 1 use slots 0, 1, 0, 1.
            6
        } else {
            2 * CAPACITY as u32
        }
    }

    /// Sleeps on `w` (which read `seen` under the lock, now released); whether it may go
    /// on waiting (false once the patience ran out).
    fn sleep(w: &AtomicU32, seen: u32, patience: Patience<'_>, scope: Scope) -> bool {
        match patience {
            Patience::Now => false,
            Patience::Forever => {
                futex::wait(w, seen, None, scope);
                true
            }
            Patience::Until(d) => futex::wait(w, seen, Some(d), scope) != Wait::TimedOut,
        }
    }

    fn put(
        &self,
        bug: Bug,
        v: u64,
        mut patience: Patience<'_>,
        scope: Scope,
    ) -> Result<(), PutError<u64>> {
        loop {
            self.lock(scope);
            if self.closed.load(Relaxed) != 0 {
                self.unlock(scope);
                return Err(PutError {
                    error: Error::Closed,
                    item: v,
                });
            }
            let len = self.len.load(Relaxed);
            if (len as usize) < CAPACITY {
                let wrap = Self::wrap(bug);
                let pos = (self.head.load(Relaxed) + len) % wrap;
                self.slots[pos as usize % CAPACITY].store(v, Relaxed);
                self.len.store(len + 1, Relaxed);
                self.unfinished.fetch_add(1, Relaxed);
                bump(&self.items);
                self.unlock(scope);
                // Every sleeping getter re-checks (simple, and correct whatever the count).
                // BUG (SilentPut): they are never woken.
                if bug != Bug::SilentPut {
                    futex::wake_all(&self.items, scope);
                }
                return Ok(());
            }
            let seen = self.room.load(Relaxed);
            self.unlock(scope);
            if !Self::sleep(&self.room, seen, patience, scope) {
                if matches!(patience, Patience::Now) {
                    return Err(PutError {
                        error: Error::Full,
                        item: v,
                    });
                }
                patience = Patience::Now; // one last look
            }
        }
    }

    fn get(&self, bug: Bug, mut patience: Patience<'_>, scope: Scope) -> Result<u64, Error> {
        loop {
            self.lock(scope);
            let len = self.len.load(Relaxed);
            if len > 0 {
                let head = self.head.load(Relaxed);
                let v = self.slots[head as usize % CAPACITY].load(Relaxed);
                self.head.store((head + 1) % Self::wrap(bug), Relaxed);
                self.len.store(len - 1, Relaxed);
                self.gotten.fetch_add(1, Relaxed);
                bump(&self.room);
                self.unlock(scope);
                futex::wake_all(&self.room, scope);
                return Ok(v);
            }
            if self.closed.load(Relaxed) != 0 {
                self.unlock(scope);
                return Err(Error::Closed);
            }
            let seen = self.items.load(Relaxed);
            self.unlock(scope);
            if !Self::sleep(&self.items, seen, patience, scope) {
                if matches!(patience, Patience::Now) {
                    return Err(Error::Empty);
                }
                patience = Patience::Now;
            }
        }
    }

    fn close(&self, bug: Bug, scope: Scope) {
        self.lock(scope);
        self.closed.store(1, Relaxed);
        bump(&self.room);
        if bug != Bug::DeafClose {
            bump(&self.items);
        }
        self.unlock(scope);
        futex::wake_all(&self.room, scope);
        // BUG (DeafClose): getters asleep on `items` are left asleep.
        if bug != Bug::DeafClose {
            futex::wake_all(&self.items, scope);
        }
    }

    fn task_done(&self, scope: Scope) -> Result<(), Error> {
        self.lock(scope);
        let gotten = self.gotten.load(Relaxed);
        if gotten == 0 {
            self.unlock(scope);
            return Err(Error::TooManyReleases { max: 0 });
        }
        self.gotten.store(gotten - 1, Relaxed);
        let last = self.unfinished.fetch_sub(1, Relaxed) == 1;
        if last {
            bump(&self.done);
        }
        self.unlock(scope);
        if last {
            futex::wake_all(&self.done, scope);
        }
        Ok(())
    }

    fn join(&self, mut patience: Patience<'_>, scope: Scope) -> bool {
        loop {
            self.lock(scope);
            if self.unfinished.load(Relaxed) == 0 {
                self.unlock(scope);
                return true;
            }
            let seen = self.done.load(Relaxed);
            self.unlock(scope);
            if !Self::sleep(&self.done, seen, patience, scope) {
                if matches!(patience, Patience::Now) {
                    return false;
                }
                patience = Patience::Now;
            }
        }
    }
}

macro_rules! control {
    ($(#[$doc:meta])* $name:ident, $bug:expr, $text:expr, $class:expr, $expected:expr) => {
        $(#[$doc])*
        pub struct $name {
            place: Place<QueueControlState>,
        }

        impl $name {
            /// An empty queue on the heap (thread scope).
            pub fn new() -> Self {
                $name { place: Place::Local(QueueControlState::default()) }
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

        impl QueueApi<u64> for $name {
            fn put(&self, item: u64) -> Result<(), PutError<u64>> {
                let (s, scope) = self.place.state();
                s.put($bug, item, Patience::Forever, scope)
            }
            fn try_put(&self, item: u64) -> Result<(), PutError<u64>> {
                let (s, scope) = self.place.state();
                s.put($bug, item, Patience::Now, scope)
            }
            fn put_timeout(&self, item: u64, timeout: Duration) -> Result<(), PutError<u64>> {
                let d = match Deadline::after(timeout) {
                    Ok(d) => d,
                    Err(error) => return Err(PutError { error, item }),
                };
                let (s, scope) = self.place.state();
                s.put($bug, item, Patience::Until(&d), scope)
            }
            fn get(&self) -> Result<u64, Error> {
                let (s, scope) = self.place.state();
                s.get($bug, Patience::Forever, scope)
            }
            fn try_get(&self) -> Result<u64, Error> {
                let (s, scope) = self.place.state();
                s.get($bug, Patience::Now, scope)
            }
            fn get_timeout(&self, timeout: Duration) -> Result<u64, Error> {
                let d = Deadline::after(timeout)?;
                let (s, scope) = self.place.state();
                s.get($bug, Patience::Until(&d), scope)
            }
            fn len(&self) -> usize {
                self.place.state().0.len.load(Relaxed) as usize
            }
            fn is_empty(&self) -> bool {
                self.len() == 0
            }
            fn is_full(&self) -> bool {
                self.len() >= CAPACITY
            }
            fn capacity(&self) -> usize {
                CAPACITY
            }
            fn close(&self) {
                let (s, scope) = self.place.state();
                s.close($bug, scope);
            }
            fn is_closed(&self) -> bool {
                self.place.state().0.closed.load(Relaxed) != 0
            }
            fn task_done(&self) -> Result<(), Error> {
                let (s, scope) = self.place.state();
                s.task_done(scope)
            }
            fn join(&self) {
                let (s, scope) = self.place.state();
                s.join(Patience::Forever, scope);
            }
            fn join_timeout(&self, timeout: Duration) -> Result<bool, Error> {
                let d = Deadline::after(timeout)?;
                let (s, scope) = self.place.state();
                Ok(s.join(Patience::Until(&d), scope))
            }
            fn unfinished_tasks(&self) -> u64 {
                self.place.state().0.unfinished.load(Relaxed)
            }
        }

        impl QueueSubject for $name {}

        impl Testable for $name {
            type Family = QueueFamily;
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
                        QueueControlState::default(),
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
    /// A put never wakes a getter asleep on an empty queue: a lost wake-up. Sequentially
    /// correct.
    SilentPut,
    Bug::SilentPut,
    "put never calls futex wake, so a getter asleep on an empty queue is never woken",
    BugClass::LostWakeup,
    &["QUEUE-06"]
);

control!(
    /// Close wakes sleeping putters but not sleeping getters. Sequentially correct.
    DeafClose,
    Bug::DeafClose,
    "close neither bumps nor wakes the getters' futex word, so a getter asleep on an empty \
     queue never learns it was closed",
    BugClass::LostWakeup,
    &["QUEUE-10"]
);

control!(
    /// Positions wrap at 6, which is not a multiple of the capacity 4: after the first wrap
    /// two queued items can share a slot, and the later overwrites the earlier.
    SixWrap,
    Bug::SixWrap,
    "ring positions wrap at 6, not a multiple of the capacity 4, so a full queue after a \
     wrap maps two items to one slot",
    BugClass::Sequential,
    &["QUEUE-02", "QUEUE-07"]
);
