//! The RwLock algorithm: a reader count and three flags in one futex word that readers sleep
//! on, and a second futex word, `writer_seq`, that writers sleep on; writers are preferred.
//!
//! # The state word
//!
//! | bits | meaning |
//! |---|---|
//! | 0..=28 ([`READERS_MASK`]) | number of read holders (0 while write-locked) |
//! | 29 ([`WRITE_LOCKED`]) | a writer holds the lock |
//! | 30 ([`READERS_WAITING`]) | a reader may sleep on the state word |
//! | 31 ([`WRITERS_WAITING`]) | a writer may sleep on `writer_seq`; new readers wait |
//!
//! # Policy
//!
//! *Writer preference*: a reader enters only when no writer holds the lock **and none is
//! waiting**, so a stream of readers cannot starve a writer: once a writer waits, the read
//! holders drain and the last of them wakes it. *Phase change on write unlock*: a writer's
//! unlock clears both waiting flags and wakes **all** sleeping readers (they all may enter)
//! and one writer (which enters or, finding readers, raises [`WRITERS_WAITING`] again).
//!
//! # Invariants
//!
//! 1. [`WRITE_LOCKED`] set implies a reader count of 0; a reader count of at most
//!    [`MAX_READERS`] (a reader that would pass it waits: overflow is impossible).
//! 2. A reader sleeps on the state word only with [`READERS_WAITING`] set in the value it
//!    passes. Whoever makes the lock readable while that flag is set (a write unlock, a
//!    writer giving up, a reader release from [`MAX_READERS`]) wakes all readers.
//! 3. A writer sleeps only after it has set [`WRITERS_WAITING`] and then read `writer_seq`
//!    and seen the lock still unavailable. Whoever clears [`WRITERS_WAITING`] or makes the
//!    lock writable while it is set bumps `writer_seq` and wakes one writer.
//! 4. While a writer sleeps, [`WRITERS_WAITING`] is set, or a woken writer is on its way to
//!    re-check; that writer takes the lock with the flag set (it cannot know whether others
//!    sleep), or sets it again before sleeping, or, giving up on a timeout, clears it, wakes
//!    the readers and passes the wake-up on to another writer.
//! 5. Releases are `Release` and acquisitions `Acquire` read-modify-writes of the state word,
//!    so a write unlock happens-before the next holder's entry, and every read unlock
//!    happens-before the next writer's entry (they form one release sequence).

use crate::sync::atomic::{AtomicU32, Ordering::*};
use crate::sync::futex::{self, Scope, Wait};
use crate::sync::hint::{spin_loop, SPIN_LIMIT};
use crate::sync::mutant;
use crate::sys::time::Deadline;
use crate::Error;

/// Bits of the state word that count read holders.
pub const READERS_MASK: u32 = (1 << 29) - 1;
/// The most read holders at once; one more reader waits for a release.
pub const MAX_READERS: u32 = READERS_MASK;
/// A writer holds the lock.
pub const WRITE_LOCKED: u32 = 1 << 29;
/// A reader may be asleep on the state word: making the lock readable must wake all readers.
pub const READERS_WAITING: u32 = 1 << 30;
/// A writer may be asleep on `writer_seq`: new readers wait, and the lock's next release to
/// a writable state wakes one writer.
pub const WRITERS_WAITING: u32 = 1 << 31;

#[inline]
fn readers(state: u32) -> u32 {
    state & READERS_MASK
}

/// A reader may enter: nobody writes, no writer waits, and the count has room.
#[inline]
fn is_read_lockable(state: u32) -> bool {
    state & (WRITE_LOCKED | WRITERS_WAITING) == 0 && readers(state) < MAX_READERS
}

/// A writer may enter: no holder at all (waiting flags do not matter).
#[inline]
fn is_write_lockable(state: u32) -> bool {
    state & (WRITE_LOCKED | READERS_MASK) == 0
}

/// Shared state of an RwLock.
///
/// # Layout
///
/// `#[repr(C)]`, 12 bytes, align 4: the state word (see the module docs), `writer_seq` (a
/// counter writers sleep on), and `writer` (the id of the write holder, 0 when none; written
/// after acquiring and cleared before releasing, so informational only). Valid when zeroed
/// (free). A peer process may observe any state the module docs list, at any time.
#[repr(C)]
#[derive(Debug, Default)]
pub struct RwLockState {
    state: AtomicU32,
    writer_seq: AtomicU32,
    writer: AtomicU32,
}

impl RwLockState {
    /// A free lock.
    pub fn new() -> Self {
        RwLockState::default()
    }

    /// Number of read holders (a snapshot).
    #[inline]
    pub fn readers(&self) -> u32 {
        readers(self.state.load(Relaxed))
    }

    /// Whether a writer holds the lock (a snapshot).
    #[inline]
    pub fn write_locked(&self) -> bool {
        self.state.load(Relaxed) & WRITE_LOCKED != 0
    }

    /// The id (kernel TID in normal builds) of the thread that took the write lock, if any
    /// (a snapshot; briefly `None` right after it took the lock).
    #[inline]
    pub fn writer(&self) -> Option<u32> {
        let w = self.writer.load(Relaxed);
        (w != 0).then_some(w)
    }

    /// Takes a read lock if it can without waiting (a waiting writer makes it fail).
    #[inline]
    pub fn try_acquire_read(&self) -> bool {
        let mut s = self.state.load(Relaxed);
        if mutant::active("rwlock.split_read") && is_read_lockable(s) {
            // MUTANT: the reader count's increment split into a load and a store.
            self.state.store(s + 1, Release);
            return true;
        }
        while is_read_lockable(s) {
            match self.state.compare_exchange_weak(s, s + 1, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
        false
    }

    /// Takes a read lock, waiting until `deadline` (`None` = forever); false on timeout.
    #[inline]
    pub fn acquire_read(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        self.try_acquire_read() || self.acquire_read_contended(deadline, scope)
    }

    #[cold]
    fn acquire_read_contended(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        let mut s = self.spin();
        loop {
            if is_read_lockable(s) {
                match self.state.compare_exchange_weak(s, s + 1, Acquire, Relaxed) {
                    Ok(_) => return true,
                    Err(now) => s = now,
                }
                continue;
            }
            if s & READERS_WAITING == 0 {
                // Announce ourselves before sleeping (invariant 2).
                if let Err(now) =
                    self.state
                        .compare_exchange(s, s | READERS_WAITING, Relaxed, Relaxed)
                {
                    s = now;
                    continue;
                }
                s |= READERS_WAITING;
            }
            if futex::wait(&self.state, s, deadline, scope) == Wait::TimedOut {
                // READERS_WAITING may stay set: it only costs the next unlock a wake call.
                return false;
            }
            s = self.state.load(Relaxed);
        }
    }

    /// Releases a read lock.
    ///
    /// # Errors
    ///
    /// [`Error::NotHeld`] when nobody holds a read lock (free, or write-locked); nothing
    /// changes then.
    #[inline]
    pub fn release_read(&self, scope: Scope) -> Result<(), Error> {
        let mut s = self.state.load(Relaxed);
        loop {
            if s & WRITE_LOCKED != 0 || readers(s) == 0 {
                return Err(Error::NotHeld);
            }
            match self.state.compare_exchange_weak(s, s - 1, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        if readers(s) == 1 && s & WRITERS_WAITING != 0 {
            // The last reader out lets a waiting writer in (invariant 3). The flag stays set:
            // the woken writer takes the lock with it (invariant 4), so new readers still
            // wait, and one wake-up is enough as only one writer can enter.
            self.wake_writer(scope);
        }
        if readers(s) == MAX_READERS && s & READERS_WAITING != 0 {
            // A reader waits for room (invariant 1); all may re-check, as after a write.
            futex::wake_all(&self.state, scope);
        }
        Ok(())
    }

    /// Takes the write lock if it is free, without waiting.
    #[inline]
    pub fn try_acquire_write(&self) -> bool {
        let mut s = self.state.load(Relaxed);
        while is_write_lockable(s) {
            match self
                .state
                .compare_exchange_weak(s, s | WRITE_LOCKED, Acquire, Relaxed)
            {
                Ok(_) => {
                    self.writer.store(crate::sync::current_id(), Relaxed);
                    return true;
                }
                Err(now) => s = now,
            }
        }
        false
    }

    /// Takes the write lock, waiting until `deadline` (`None` = forever); false on timeout.
    #[inline]
    pub fn acquire_write(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        self.try_acquire_write() || self.acquire_write_contended(deadline, scope)
    }

    #[cold]
    fn acquire_write_contended(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        // Once we have raised WRITERS_WAITING we take the lock with it set (invariant 4).
        let mut keep = 0;
        let mut s = self.spin();
        loop {
            if is_write_lockable(s) {
                match self
                    .state
                    .compare_exchange_weak(s, s | WRITE_LOCKED | keep, Acquire, Relaxed)
                {
                    Ok(_) => {
                        self.writer.store(crate::sync::current_id(), Relaxed);
                        return true;
                    }
                    Err(now) => s = now,
                }
                continue;
            }
            if s & WRITERS_WAITING == 0 {
                if let Err(now) =
                    self.state
                        .compare_exchange(s, s | WRITERS_WAITING, Relaxed, Relaxed)
                {
                    s = now;
                    continue;
                }
            }
            keep = WRITERS_WAITING;
            // Read the sequence, then re-check (invariant 3): a release after this read
            // bumps it, so the wait below returns at once.
            let seq = self.writer_seq.load(Acquire);
            s = self.state.load(Relaxed);
            if is_write_lockable(s) || s & WRITERS_WAITING == 0 {
                continue;
            }
            if futex::wait(&self.writer_seq, seq, deadline, scope) == Wait::TimedOut {
                self.writer_gives_up(scope);
                return false;
            }
            s = self.state.load(Relaxed);
        }
    }

    /// A writer that timed out: it may have been the one woken writer, or the reason
    /// readers wait. Clear WRITERS_WAITING (and, if nobody writes, READERS_WAITING), wake the
    /// readers it held back, and pass a wake-up on to another writer (invariant 4).
    #[cold]
    fn writer_gives_up(&self, scope: Scope) {
        let mut s = self.state.load(Relaxed);
        while s & WRITERS_WAITING != 0 {
            let mut new = s & !WRITERS_WAITING;
            if s & WRITE_LOCKED == 0 {
                new &= !READERS_WAITING;
            }
            match self.state.compare_exchange(s, new, Relaxed, Relaxed) {
                Ok(_) => {
                    if (s ^ new) & READERS_WAITING != 0 {
                        futex::wake_all(&self.state, scope);
                    }
                    break;
                }
                Err(now) => s = now,
            }
        }
        // Even with the flag already clear, the unlock that cleared it may have chosen us.
        self.wake_writer(scope);
    }

    /// Releases the write lock.
    ///
    /// # Errors
    ///
    /// [`Error::NotHeld`] when no writer holds the lock; nothing changes then.
    #[inline]
    pub fn release_write(&self, scope: Scope) -> Result<(), Error> {
        let mut s = self.state.load(Relaxed);
        loop {
            if s & WRITE_LOCKED == 0 {
                return Err(Error::NotHeld);
            }
            self.writer.store(0, Relaxed);
            // Free, with both waiting flags cleared: we wake whoever they announce.
            match self.state.compare_exchange_weak(s, 0, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        if s & READERS_WAITING != 0 {
            // All, not one: every waiting reader may enter now (invariant 2).
            if mutant::active("rwlock.wake_one_reader") {
                futex::wake(&self.state, 1, scope); // MUTANT: one where all must wake.
            } else {
                futex::wake_all(&self.state, scope);
            }
        }
        if s & WRITERS_WAITING != 0 {
            // One writer: only one can enter; it raises the flag again if readers beat it.
            self.wake_writer(scope);
        }
        Ok(())
    }

    #[inline]
    fn wake_writer(&self, scope: Scope) {
        self.writer_seq.fetch_add(1, Release);
        if mutant::active("rwlock.missing_writer_wake") {
            return; // MUTANT: a waiting writer is never woken.
        }
        futex::wake(&self.writer_seq, 1, scope);
    }

    /// Spins briefly while a writer holds the lock and nobody sleeps yet: a short critical
    /// section ends sooner than a futex round trip. Returns the last state seen.
    fn spin(&self) -> u32 {
        let mut s = self.state.load(Relaxed);
        for _ in 0..SPIN_LIMIT {
            if s & WRITE_LOCKED == 0 || s & (READERS_WAITING | WRITERS_WAITING) != 0 {
                break;
            }
            spin_loop();
            s = self.state.load(Relaxed);
        }
        s
    }
}
