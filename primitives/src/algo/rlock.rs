//! The RLock algorithm: a [Lock](super::lock) word that names the owner, plus a recursion
//! count that only the owner touches.
//!
//! # Ownership
//!
//! The owner is the thread whose [`current_id`] is in the Lock word (the kernel TID in normal
//! builds, unique system-wide, so it names a thread of one process; the checker's thread id
//! under loom or shuttle). "Do I own it?" is a relaxed load of the word compared with
//! [`current_id`], and the answer is exact for the caller (invariant 2).
//!
//! # Invariants
//!
//! 1. The Lock word names a thread exactly when the RLock is held; `count` is then the
//!    owner's recursion depth, at least 1 (0 while free).
//! 2. Only the owner writes its own id into the word (acquiring), and only the owner clears
//!    it (releasing: [`RLockState::release`] checks ownership before it touches the word;
//!    waiters may add the `WAITERS` bit, but only to a word that still names the owner). So
//!    if a thread loads the word and finds its own id, its own last write to the word was an
//!    acquire that it has not released (coherence: a load never sees a value older than the
//!    loading thread's own last write), and it owns the lock. A non-owner never sees its own
//!    id there.
//! 3. `count` is read and written only by the owner, and is handed from one owner to the next
//!    through the Lock word's release (Release) and acquire (Acquire). So every access to it
//!    is ordered by program order or by that happens-before edge, and `Relaxed` is enough.
//!
//! # Recursion-count overflow
//!
//! The count is a `u32`. An owner that acquires `u32::MAX` times without releasing gets a
//! panic on the next recursive acquire (as `std::sync::ReentrantLock` does on overflow); the
//! state is unchanged then (the lock stays held at depth `u32::MAX`). It cannot be reached by
//! a program that releases what it acquires: it takes four billion nested acquires.
//!
//! # Thread-id reuse
//!
//! A thread that exits while it holds an RLock leaves the lock held by its id forever; if the
//! kernel later gives that id to a new thread, the new thread owns the lock. Python's
//! `threading.RLock` (keyed by a reusable thread id) has the same hole. Owner-death recovery,
//! when added to the Lock word, covers it.

use crate::algo::lock::LockState;
use crate::sync::atomic::{AtomicU32, Ordering::Relaxed};
use crate::sync::current_id;
use crate::sync::futex::Scope;
use crate::sync::mutant;
use crate::sys::time::Deadline;
use crate::Error;

/// Shared state of an RLock.
///
/// # Layout
///
/// `#[repr(C)]`, 8 bytes, align 4: the Lock word (offset 0, see [`LockState`]), then the
/// recursion count (offset 4). A peer process may observe any Lock word state; the count is
/// meaningful only to the owner (a peer sees a stale or changing value, and never acts on it:
/// [`RLockState::count`] reports 0 to non-owners).
#[repr(C)]
#[derive(Debug, Default)]
pub struct RLockState {
    lock: LockState,
    count: AtomicU32,
}

impl RLockState {
    /// A free RLock.
    pub fn new() -> Self {
        RLockState {
            lock: LockState::new(),
            count: AtomicU32::new(0),
        }
    }

    /// Whether the calling thread owns the lock (exact for the caller: invariant 2).
    #[inline]
    pub fn is_owned(&self) -> bool {
        self.lock.holder() == Some(current_id())
    }

    /// The caller's recursion depth: 0 unless the caller owns the lock.
    #[inline]
    pub fn count(&self) -> u32 {
        if self.is_owned() {
            // Invariant 3: we are the owner, the only writer.
            self.count.load(Relaxed)
        } else {
            0
        }
    }

    /// Whether anyone holds the lock (a snapshot).
    #[inline]
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// One more level for the owner.
    ///
    /// # Panics
    ///
    /// When the depth is already `u32::MAX` (see the module docs); nothing changes then.
    #[inline]
    fn reenter(&self) {
        let c = self.count.load(Relaxed);
        assert!(c != u32::MAX, "RLock recursion count overflow");
        self.count.store(c + 1, Relaxed);
    }

    /// Acquires without waiting: a level more if the caller owns the lock, the lock at depth 1
    /// if it is free. Returns false (changing nothing) if another thread holds it.
    ///
    /// # Panics
    ///
    /// On recursion-count overflow (see the module docs).
    #[inline]
    pub fn try_acquire(&self) -> bool {
        if self.is_owned() {
            self.reenter();
            return true;
        }
        if self.lock.try_acquire() {
            // Invariant 3: the Lock's Acquire orders this after the previous owner's accesses.
            self.count.store(1, Relaxed);
            return true;
        }
        false
    }

    /// Acquires, waiting until `deadline` (`None` = forever) if another thread holds the lock.
    /// A recursive acquire by the owner returns at once. Returns false on timeout.
    ///
    /// # Panics
    ///
    /// On recursion-count overflow (see the module docs).
    #[inline]
    pub fn acquire(&self, deadline: Option<&Deadline>, scope: Scope) -> bool {
        self.acquire_at_depth(1, deadline, scope)
    }

    /// Acquires as [`acquire`](Self::acquire) does, but a fresh acquire takes the lock at
    /// `depth` levels at once (1 if `depth` is 0); used to restore what
    /// [`release_all`](Self::release_all) returned. A recursive acquire adds one level.
    ///
    /// # Panics
    ///
    /// On recursion-count overflow (see the module docs).
    pub fn acquire_at_depth(&self, depth: u32, deadline: Option<&Deadline>, scope: Scope) -> bool {
        if self.is_owned() {
            self.reenter();
            return true;
        }
        if !self.lock.acquire(deadline, scope) {
            return false;
        }
        self.count.store(depth.max(1), Relaxed);
        true
    }

    /// Releases one level; the lock is free when the count reaches 0.
    ///
    /// # Errors
    ///
    /// [`Error::NotOwner`] if the caller does not own the lock (another thread holds it, or
    /// nobody does); nothing changes then.
    #[inline]
    pub fn release(&self, scope: Scope) -> Result<(), Error> {
        // (MUTANT foreign_release: a non-owner's release of a held RLock is accepted.)
        let foreign_ok = mutant::active("rlock.foreign_release") && self.locked();
        if !(self.is_owned() || foreign_ok) {
            return Err(Error::NotOwner);
        }
        let c = self.count.load(Relaxed);
        if c > 1 && !mutant::active("rlock.count_bug") {
            // (MUTANT count_bug: the first release frees the lock at any depth.)
            self.count.store(c - 1, Relaxed);
            return Ok(());
        }
        // The last level (a count of 0 here can only come from a corrupted shared segment;
        // it is treated as 1). Clear the count before the Lock's Release publishes it.
        self.count.store(0, Relaxed);
        self.lock.release(scope)
    }

    /// Releases every level at once and returns how many there were (for a Condition's wait).
    ///
    /// # Errors
    ///
    /// [`Error::NotOwner`] if the caller does not own the lock; nothing changes then.
    pub fn release_all(&self, scope: Scope) -> Result<u32, Error> {
        if !self.is_owned() {
            return Err(Error::NotOwner);
        }
        let c = self.count.swap(0, Relaxed).max(1);
        self.lock.release(scope)?;
        Ok(c)
    }
}

#[cfg(all(test, not(any(twinsync_loom, twinsync_shuttle))))]
mod tests {
    use super::*;

    /// The overflow panic leaves the state as it was: still owned, at the maximum depth.
    #[test]
    fn recursion_overflow_panics_and_changes_nothing() {
        let s = RLockState::new();
        assert!(s.try_acquire());
        s.count.store(u32::MAX, Relaxed);
        let r = std::panic::catch_unwind(|| s.try_acquire());
        assert!(r.is_err());
        assert!(s.is_owned());
        assert_eq!(s.count(), u32::MAX);
        let r = std::panic::catch_unwind(|| s.acquire(None, Scope::Private));
        assert!(r.is_err());
        assert_eq!(s.count(), u32::MAX);
        s.release(Scope::Private).unwrap();
        assert_eq!(s.count(), u32::MAX - 1);
    }

    /// `release_all` returns the depth and frees the lock; `acquire_at_depth` restores it.
    #[test]
    fn release_all_and_restore() {
        let s = RLockState::new();
        for _ in 0..3 {
            assert!(s.try_acquire());
        }
        assert_eq!(s.release_all(Scope::Private).unwrap(), 3);
        assert!(!s.locked());
        assert!(matches!(
            s.release_all(Scope::Private),
            Err(Error::NotOwner)
        ));
        assert!(s.acquire_at_depth(3, None, Scope::Private));
        assert_eq!(s.count(), 3);
    }
}
