//! The Condition algorithm: waiters in two groups, each with its own futex word, so that a
//! notification goes only to waiters that were already waiting, and a waiter that times out
//! never takes one.
//!
//! # Why groups
//!
//! All bookkeeping happens while holding the user's lock (`wait` re-acquires it before it
//! looks at anything; `notify` requires it). A single pair of counters, "waiting" and
//! "notifications not yet taken", is not enough: a waiter that arrives *after* a notify and
//! times out (or wakes spuriously) would find a notification on the counter, take it and
//! return true, while the waiter it was meant for goes back to sleep for good. So waiters are
//! numbered by *group*: every waiter joins the newest group (the *tail*); a notify serves the
//! oldest group that still has unnotified members (the *head*) and turns the tail into the
//! head only once the head has no unnotified member left. A waiter knows its group's id, so
//! it can only take a notification meant for its own group.
//!
//! # State
//!
//! | field | meaning |
//! |---|---|
//! | `head` | id of the head group; the tail is `head + 1`; smaller ids are *done* groups |
//! | `words[i]` | futex word of the groups whose id has parity `i`; bumped by each notify that reaches the group |
//! | `head_waiting` | head members not yet notified |
//! | `head_notified` | head members notified that have not returned yet |
//! | `tail_waiting` | tail members (none of them notified) |
//!
//! # Invariants
//!
//! 1. Every field is read and written only by a thread that holds the user's lock (the
//!    kernel's read of a futex word aside). The lock's release/acquire orders all accesses,
//!    so they are `Relaxed`.
//! 2. Every member of a done group has been notified. (The tail becomes the head only when
//!    `head_waiting` is 0, that is when every member of the old head is notified.)
//! 3. Only the head and the tail can have members asleep in the futex (when a head becomes
//!    done all its members are notified, so by invariant 5 none of them sleeps, and none
//!    sleeps again: it finds itself notified first), and they sleep on different words
//!    (consecutive ids differ in parity); so `wake(k)` on the head's word wakes head members
//!    only.
//! 4. A member takes a snapshot of its word while holding the lock, just after it found
//!    itself not notified; every notification that reaches its group later bumps that word.
//!    So the futex wait after the lock's release cannot miss it (unless exactly 2^32
//!    notifications reach the group in that window, as with any 32-bit futex sequence).
//! 5. The head members not asleep in the futex are at least `head_notified` (each notify
//!    wakes as many as it notifies, or all of them; a head member goes back to sleep only
//!    when `head_notified` is 0; one that returns with a notification takes one off
//!    `head_notified`; when the tail becomes the head, `head_notified` restarts from 0). So every
//!    notification is taken by some member of the head: none is lost, none goes to anyone
//!    else.
//!
//! A member that times out takes a notification only if its group has one (it was waiting
//! when that notify ran, so it may return true); otherwise it leaves its group's count and
//! returns false, and a later notify no longer counts it.
//!
//! Garbage in the shared state (a corrupted segment) can only cause extra or missing
//! wake-ups: counters saturate, group ids wrap, nothing loops or indexes out of range.

use crate::api::ConditionLock;
use crate::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use crate::sync::futex::{self, Scope, Wait};
use crate::sync::mutant;
use crate::sys::time::Deadline;
use crate::Error;

/// Where a waiter's group stands.
enum Group {
    /// All its members are notified.
    Done,
    /// The head: being notified.
    Head,
    /// The tail: not reached by any notify yet.
    Tail,
}

/// Shared state of a Condition (the lock is separate: the user's Lock or RLock).
///
/// # Layout
///
/// `#[repr(C)]`, 32 bytes, align 8: `head` (u64, offset 0), `words` (2 x u32, offset 8),
/// `head_waiting` (16), `head_notified` (20), `tail_waiting` (24), 4 bytes of padding. All
/// zero when new. A peer process changes the fields only while holding the lock; it may
/// observe them at any time, but acts on them only under the lock.
#[repr(C)]
#[derive(Debug, Default)]
pub struct ConditionState {
    head: AtomicU64,
    words: [AtomicU32; 2],
    head_waiting: AtomicU32,
    head_notified: AtomicU32,
    tail_waiting: AtomicU32,
}

/// `x += d` (saturating), for a counter protected by the lock.
fn add(x: &AtomicU32, d: u32) {
    x.store(x.load(Relaxed).saturating_add(d), Relaxed);
}

/// `x -= d` (saturating), for a counter protected by the lock.
fn sub(x: &AtomicU32, d: u32) {
    x.store(x.load(Relaxed).saturating_sub(d), Relaxed);
}

impl ConditionState {
    /// A Condition with no waiters.
    pub fn new() -> Self {
        ConditionState {
            head: AtomicU64::new(0),
            words: [AtomicU32::new(0), AtomicU32::new(0)],
            head_waiting: AtomicU32::new(0),
            head_notified: AtomicU32::new(0),
            tail_waiting: AtomicU32::new(0),
        }
    }

    fn word(&self, group: u64) -> &AtomicU32 {
        &self.words[(group & 1) as usize]
    }

    fn group(&self, group: u64) -> Group {
        match group.wrapping_sub(self.head.load(Relaxed)) {
            0 => Group::Head,
            1 => Group::Tail,
            _ => Group::Done,
        }
    }

    /// Leaves `group` without a notification (timed out).
    fn leave(&self, group: u64) {
        match self.group(group) {
            Group::Head => sub(&self.head_waiting, 1),
            Group::Tail => sub(&self.tail_waiting, 1),
            Group::Done => {}
        }
    }

    /// Releases `lock` completely, sleeps until notified or until `deadline` (`None` =
    /// forever), re-acquires `lock` as it was, and returns whether it was notified.
    ///
    /// # Errors
    ///
    /// [`Error::NotOwner`] if the caller does not hold `lock` (for a plain Lock: is not the
    /// thread that acquired it); nothing changes then.
    pub fn wait<L: ConditionLock + ?Sized>(
        &self,
        lock: &L,
        deadline: Option<&Deadline>,
        scope: Scope,
    ) -> Result<bool, Error> {
        if !lock.is_mine() {
            return Err(Error::NotOwner);
        }
        // Join the tail (invariant 1: we hold the lock).
        let group = self.head.load(Relaxed).wrapping_add(1);
        add(&self.tail_waiting, 1);
        let word = self.word(group);
        loop {
            // Invariant 4: the snapshot is taken under the lock, after the check below.
            let seen = word.load(Relaxed);
            let saved = match lock.release_saving() {
                Ok(saved) => saved,
                Err(e) => {
                    // Only if someone released our lock behind our back (a plain Lock may be
                    // released by anyone): undo the registration and report it.
                    self.leave(group);
                    return Err(e);
                }
            };
            let woke = futex::wait(word, seen, deadline, scope);
            lock.acquire_restoring(saved);
            if woke == Wait::TimedOut
                && mutant::active("condition.absorb")
                && matches!(self.group(group), Group::Head)
                && self.head_notified.load(Relaxed) > 0
            {
                // MUTANT: a timed-out waiter takes a notification and still reports a timeout.
                sub(&self.head_notified, 1);
                return Ok(false);
            }
            match self.group(group) {
                Group::Done => return Ok(true),
                Group::Head if self.head_notified.load(Relaxed) > 0 => {
                    sub(&self.head_notified, 1);
                    return Ok(true);
                }
                _ if woke == Wait::TimedOut => {
                    self.leave(group);
                    return Ok(false);
                }
                // Woken for a notification another member took, spuriously, or the word
                // moved before we slept: sleep again (a passed deadline makes the next
                // futex wait return at once).
                _ => {}
            }
        }
    }

    /// Notifies up to `n` waiters: the head's unnotified members first, then (once none is
    /// left there) the tail's, which becomes the head.
    ///
    /// # Errors
    ///
    /// [`Error::NotOwner`] if the caller does not hold `lock`; nothing changes then.
    pub fn notify<L: ConditionLock + ?Sized>(
        &self,
        lock: &L,
        n: u32,
        scope: Scope,
    ) -> Result<(), Error> {
        if !lock.is_mine() {
            return Err(Error::NotOwner);
        }
        let head = self.head.load(Relaxed);
        let k = n.min(self.head_waiting.load(Relaxed));
        self.notify_head(head, k, scope);
        let rest = n - k;
        let tail = self.tail_waiting.load(Relaxed);
        if rest > 0 && tail > 0 {
            // The head has no unnotified member left (k took them all): it is done
            // (invariant 2), and the tail becomes the head.
            let head = head.wrapping_add(1);
            self.head.store(head, Relaxed);
            self.tail_waiting.store(0, Relaxed);
            self.head_waiting.store(tail, Relaxed);
            self.head_notified.store(0, Relaxed);
            self.notify_head(head, rest.min(tail), scope);
        }
        Ok(())
    }

    /// Notifies `k` unnotified members of the head group `head` and wakes as many.
    fn notify_head(&self, head: u64, k: u32, scope: Scope) {
        if k == 0 {
            return;
        }
        let all = k >= self.head_waiting.load(Relaxed);
        sub(&self.head_waiting, k);
        add(&self.head_notified, k);
        let word = self.word(head);
        // Invariant 4: a member between its snapshot and its sleep sees the change.
        word.store(word.load(Relaxed).wrapping_add(1), Relaxed);
        if mutant::active("condition.missing_wake") {
            return; // MUTANT: notified members are never woken.
        }
        if all && mutant::active("condition.wake_one") {
            futex::wake(word, 1, scope); // MUTANT: one where every member must wake.
        } else if all {
            // Every member is notified: wake whoever sleeps on the word (invariant 3: only
            // this group's members), which also tolerates a miscounted shared segment.
            futex::wake_all(word, scope);
        } else {
            // Waking k is enough (invariant 5): any member may take any of the group's
            // notifications, and the ones that find none sleep again.
            futex::wake(word, k, scope);
        }
    }
}
