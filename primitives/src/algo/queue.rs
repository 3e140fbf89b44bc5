//! The bounded Queue algorithm: a ring of slots with a stamp per slot (after Dmitry Vyukov's
//! bounded MPMC queue), a closed mark in the tail word, task accounting for `join`, and three
//! wait points ([`Signal`]).
//!
//! The algorithm owns positions, stamps, counts, blocking and closing; it does not know what a
//! slot holds or where the slots live. A put hands the caller's `write(slot)` closure a slot
//! index that the caller then owns exclusively until the closure returns (invariant 2); a get
//! does the same with `read(slot)`. The thread version keeps values in a heap array, the
//! process version keeps encoded messages in a shared-memory byte region.
//!
//! # Positions and stamps
//!
//! `head` (next position to get) and `tail` (next position to put) are `u32` positions:
//!
//! | bits | meaning |
//! |---|---|
//! | below `mark` | slot index, `0..capacity` |
//! | `mark` = `(capacity + 1).next_power_of_two()` | tail only: the queue is closed |
//! | from `one_lap` = `2 * mark` up | lap number, wrapping modulo 2^32 |
//!
//! Advancing past the last index goes to index 0 of the next lap, so any capacity works and
//! laps wrap around `u32` without a jump (all comparisons are equalities of wrapping values).
//! The stamp of the slot for position `p` says who may use it next:
//!
//! | stamp | the slot |
//! |---|---|
//! | `p` | is free for the producer of position `p` |
//! | `p + 1` | holds the item put at `p`, ready for its consumer |
//! | `p + 1 - one_lap` | still holds the item of the previous lap |
//!
//! # Invariants
//!
//! 1. Positions in `[head, tail)` (at most `capacity` of them) are claimed by producers; a
//!    claim is a CAS on `tail` (producers) or `head` (consumers) from the position whose stamp
//!    says the slot is ready for that role.
//! 2. Between its claim and its next stamp store, the claimant alone accesses the slot; the
//!    stamp store is `Release` and the next claimant's stamp load `Acquire`, so a message is
//!    visible only once completely written (a producer stopped mid-write leaves no torn
//!    message: the slot stays "being written").
//! 3. The closed mark is set once ([`QueueState::close`]) and never cleared. Producers claim
//!    by a CAS on the whole tail word, so no put succeeds after the close that it did not
//!    precede.
//! 4. `unfinished` (puts − `task_done`s) ≥ `gotten` (gets − `task_done`s) ≥ 0: a put counts
//!    its item before publishing it, a get after reading it, `task_done` refuses when
//!    `gotten` is 0.
//! 5. Wake-ups (see [`Signal`]): a put wakes one getter (one item); a get wakes one putter
//!    (one free slot); whoever finishes with the condition still true and sleepers left wakes
//!    one more (a cascade: a wake may have gone to a thread that did not need it); close wakes
//!    all getters and putters; the last `task_done` wakes all joiners.

pub use super::signal::Patience;
use super::signal::{Signal, Step};
use crate::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering::*};
use crate::sync::futex::Scope;
use crate::sync::mutant;
use crate::Error;

/// The largest capacity: keeps at least four laps in a position word.
pub const MAX_CAPACITY: u32 = 1 << 28;

/// Deliberate bugs for the checkers' negative controls. Only `QueueState::set_fault`, which
/// exists only in checker builds, can select one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Fault {
    /// The real algorithm.
    #[default]
    None,
    /// A put does not wake a sleeping getter.
    PutForgetsWake,
    /// Close does not wake sleeping getters.
    CloseForgetsWake,
}

/// Shared state of a bounded Queue, without its slots.
///
/// # Layout
///
/// `#[repr(C)]`, 56 bytes, align 8 (checker builds add a fault tag). `capacity` and `mark`
/// never change after [`QueueState::new`]; everything else is atomic. Stamps live beside the
/// slots, in a `[AtomicU32]` of `capacity` elements that every call receives. A peer process
/// may observe any intermediate state; values it corrupted may make operations fail or block,
/// never index out of range (indices are clamped to the stamp array).
#[repr(C)]
#[derive(Debug)]
pub struct QueueState {
    /// Next position to get (invariant 1).
    head: AtomicU32,
    /// Next position to put, with the closed mark (invariants 1, 3).
    tail: AtomicU32,
    capacity: u32,
    mark: u32,
    /// Puts minus `task_done`s (invariant 4).
    unfinished: AtomicU64,
    /// Gets minus `task_done`s (invariant 4).
    gotten: AtomicU64,
    not_empty: Signal,
    not_full: Signal,
    all_done: Signal,
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    fault: Fault,
}

impl QueueState {
    /// An empty, open queue of `capacity` slots. Initialise its stamps with
    /// [`init_stamps`](Self::init_stamps).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless `1 <= capacity <= MAX_CAPACITY`.
    pub fn new(capacity: usize) -> Result<Self, Error> {
        Self::new_at_lap(capacity, 0)
    }

    /// As [`new`](Self::new), with positions starting at lap `lap`: tests use it to cross the
    /// `u32` wrap-around after a few operations.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn new_at_lap(capacity: usize, lap: u32) -> Result<Self, Error> {
        if capacity == 0 || capacity > MAX_CAPACITY as usize {
            return Err(Error::InvalidArgument {
                name: "capacity",
                reason: "must be at least 1 and at most 2^28",
            });
        }
        let capacity = capacity as u32;
        let mark = (capacity + 1).next_power_of_two();
        let start = lap.wrapping_mul(mark << 1);
        Ok(QueueState {
            head: AtomicU32::new(start),
            tail: AtomicU32::new(start),
            capacity,
            mark,
            unfinished: AtomicU64::new(0),
            gotten: AtomicU64::new(0),
            not_empty: Signal::new(),
            not_full: Signal::new(),
            all_done: Signal::new(),
            #[cfg(any(twinsync_loom, twinsync_shuttle))]
            fault: Fault::None,
        })
    }

    /// Selects a deliberate bug (checker builds only).
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    pub fn set_fault(&mut self, fault: Fault) {
        self.fault = fault;
    }

    /// Whether the deliberate bug `fault` is on: selected by [`set_fault`](Self::set_fault)
    /// (checker builds), or as a mutant of `cargo xtask mutants` (feature `mutants`).
    #[inline(always)]
    fn faulty(&self, fault: Fault) -> bool {
        // MUTANTS: the same two bugs, switched on by name for the whole process.
        let mutated = match fault {
            Fault::PutForgetsWake => mutant::active("queue.missing_wake"),
            Fault::CloseForgetsWake => mutant::active("queue.close_no_wake"),
            Fault::None => false,
        };
        #[cfg(any(twinsync_loom, twinsync_shuttle))]
        return mutated || self.fault == fault;
        #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
        mutated
    }

    /// Sets every stamp to "free for this lap". `stamps` must have `capacity` elements.
    pub fn init_stamps(&self, stamps: &[AtomicU32]) {
        let start = self.head.load(Relaxed);
        for (i, s) in stamps.iter().enumerate() {
            s.store(start.wrapping_add(i as u32), Relaxed);
        }
    }

    /// Whether the fixed fields are consistent and `stamps_len` matches: for a state read
    /// from shared memory written by someone else.
    pub fn is_consistent(&self, stamps_len: usize) -> bool {
        (1..=MAX_CAPACITY).contains(&self.capacity)
            && self.mark == (self.capacity + 1).next_power_of_two()
            && stamps_len == self.capacity as usize
    }

    #[inline]
    fn one_lap(&self) -> u32 {
        self.mark << 1
    }

    /// The slot of position `pos`, clamped to the stamp array (invariant: in range).
    #[inline]
    fn index(&self, pos: u32, stamps: &[AtomicU32]) -> usize {
        ((pos & (self.mark - 1)) as usize).min(stamps.len() - 1)
    }

    /// The position after `pos` (which has no closed mark).
    #[inline]
    fn next(&self, pos: u32) -> u32 {
        if (pos & (self.mark - 1)) + 1 < self.capacity {
            pos + 1
        } else {
            (pos & !(self.one_lap() - 1)).wrapping_add(self.one_lap())
        }
    }

    /// Claims the tail slot for a put (invariant 1): `(slot, position)`.
    fn claim_tail(&self, stamps: &[AtomicU32]) -> Step<Result<(usize, u32), Error>> {
        let mut tail = self.tail.load(Relaxed);
        loop {
            if tail & self.mark != 0 {
                return Step::Done(Err(Error::Closed));
            }
            let i = self.index(tail, stamps);
            let stamp = stamps[i].load(Acquire);
            if stamp == tail {
                match self
                    .tail
                    .compare_exchange_weak(tail, self.next(tail), SeqCst, Relaxed)
                {
                    Ok(_) => return Step::Done(Ok((i, tail))),
                    Err(now) => tail = now,
                }
            } else if stamp.wrapping_add(self.one_lap()) == tail.wrapping_add(1) {
                // Last lap's item is still here: full, unless its consumer is reading it.
                fence(SeqCst);
                let head = self.head.load(Relaxed);
                return if head.wrapping_add(self.one_lap()) == tail {
                    Step::Blocked
                } else {
                    Step::Busy
                };
            } else {
                // Another producer took this position; a tail that did not move means a
                // corrupted stamp: wait (bounded by the caller's loop), never spin here.
                let now = self.tail.load(Relaxed);
                if now == tail {
                    return Step::Busy;
                }
                tail = now;
            }
        }
    }

    /// Claims the head slot for a get (invariant 1): `(slot, position)`.
    fn claim_head(&self, stamps: &[AtomicU32]) -> Step<Result<(usize, u32), Error>> {
        let mut head = self.head.load(Relaxed);
        loop {
            let i = self.index(head, stamps);
            let stamp = stamps[i].load(Acquire);
            if stamp == head.wrapping_add(1) {
                match self
                    .head
                    .compare_exchange_weak(head, self.next(head), SeqCst, Relaxed)
                {
                    Ok(_) => return Step::Done(Ok((i, head))),
                    Err(now) => head = now,
                }
            } else {
                // Not ready for us. Empty (or closed and drained) if no producer has claimed
                // `head`, whatever the stamp says: the previous lap's consumer may still be
                // reading this slot. Otherwise a producer is writing it, or `head` is stale.
                fence(SeqCst);
                let tail = self.tail.load(Relaxed);
                if tail & !self.mark == head {
                    return if tail & self.mark != 0 {
                        Step::Done(Err(Error::Closed))
                    } else {
                        Step::Blocked
                    };
                }
                let now = self.head.load(Relaxed);
                if now == head {
                    return Step::Busy;
                }
                head = now;
            }
        }
    }

    /// Puts one item: claims a slot, calls `write(slot)` (which must not panic), publishes.
    /// `write` is called exactly once on success and never on failure.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] after [`close`](Self::close); [`Error::Full`] when patience ran out.
    pub fn put(
        &self,
        stamps: &[AtomicU32],
        write: impl FnOnce(usize),
        patience: Patience<'_>,
        scope: Scope,
    ) -> Result<(), Error> {
        let mut write = Some(write);
        let attempt = || match self.claim_tail(stamps) {
            Step::Done(Ok((i, pos))) => {
                self.unfinished.fetch_add(1, Relaxed); // before publishing (invariant 4)
                let w = write.take().expect("block_on stops at the first Done");
                w(i);
                stamps[i].store(pos.wrapping_add(1), Release);
                fence(SeqCst);
                if self.not_empty.has_sleepers() && !self.faulty(Fault::PutForgetsWake) {
                    // One item: one getter (invariant 5).
                    self.not_empty.wake(1, scope);
                }
                if self.not_full.has_sleepers() && !self.is_full() {
                    self.not_full.wake(1, scope); // cascade (invariant 5)
                }
                Step::Done(Ok(()))
            }
            Step::Done(Err(e)) => Step::Done(Err(e)),
            Step::Blocked => Step::Blocked,
            Step::Busy => Step::Busy,
        };
        self.not_full
            .block_on(patience, scope, || Err(Error::Full), attempt)
    }

    /// Gets one item: claims the oldest, calls `read(slot)`, frees the slot.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] when closed and drained; [`Error::Empty`] when patience ran out.
    pub fn get<R>(
        &self,
        stamps: &[AtomicU32],
        read: impl FnOnce(usize) -> R,
        patience: Patience<'_>,
        scope: Scope,
    ) -> Result<R, Error> {
        let mut read = Some(read);
        let attempt = || match self.claim_head(stamps) {
            Step::Done(Ok((i, pos))) => {
                let r = read.take().expect("block_on stops at the first Done");
                let value = r(i);
                stamps[i].store(pos.wrapping_add(self.one_lap()), Release);
                self.gotten.fetch_add(1, Relaxed);
                fence(SeqCst);
                if self.not_full.has_sleepers() {
                    // One free slot: one putter (invariant 5).
                    self.not_full.wake(1, scope);
                }
                self.cascade_not_empty(scope);
                Step::Done(Ok(value))
            }
            Step::Done(Err(e)) => Step::Done(Err(e)),
            Step::Blocked => Step::Blocked,
            Step::Busy => Step::Busy,
        };
        self.not_empty
            .block_on(patience, scope, || Err(Error::Empty), attempt)
    }

    /// After a `SeqCst` fence: wakes one more getter if items remain and someone sleeps.
    #[inline]
    fn cascade_not_empty(&self, scope: Scope) {
        if self.not_empty.has_sleepers() && !self.is_empty() {
            self.not_empty.wake(1, scope);
        }
    }

    /// Waits until an item is ready or the queue is closed and drained, without consuming;
    /// returns whether one of the two holds (false when patience ran out).
    pub fn poll(&self, stamps: &[AtomicU32], patience: Patience<'_>, scope: Scope) -> bool {
        let attempt = || {
            let head = self.head.load(Acquire);
            let stamp = stamps[self.index(head, stamps)].load(Acquire);
            if stamp == head.wrapping_add(1) {
                // A poller may have taken a getter's wake: pass it on (invariant 5).
                fence(SeqCst);
                self.cascade_not_empty(scope);
                return Step::Done(true);
            }
            fence(SeqCst);
            let tail = self.tail.load(Relaxed);
            match (tail & !self.mark == head, tail & self.mark != 0) {
                (true, true) => Step::Done(true),
                (true, false) => Step::Blocked,
                (false, _) => Step::Busy,
            }
        };
        self.not_empty.block_on(patience, scope, || false, attempt)
    }

    /// Closes: later puts fail with [`Error::Closed`]; gets drain what is left, then fail
    /// with it. Wakes every blocked putter and getter. Returns whether this call closed it.
    pub fn close(&self, scope: Scope) -> bool {
        let prev = self.tail.fetch_or(self.mark, SeqCst);
        // Everyone must re-check: getters may now be at the end, putters are refused.
        if !self.faulty(Fault::CloseForgetsWake) {
            self.not_empty.notify(u32::MAX, scope);
        }
        self.not_full.notify(u32::MAX, scope);
        prev & self.mark == 0
    }

    /// Whether [`close`](Self::close) was called.
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.tail.load(Acquire) & self.mark != 0
    }

    /// Marks one gotten item done; the last one wakes every joiner.
    ///
    /// # Errors
    ///
    /// [`Error::TooManyReleases`] (`max: 0`: no gotten item awaits its `task_done`) when
    /// there were no more gets than `task_done`s; nothing changes then.
    pub fn task_done(&self, scope: Scope) -> Result<(), Error> {
        let mut g = self.gotten.load(Relaxed);
        loop {
            if g == 0 {
                return Err(Error::TooManyReleases { max: 0 });
            }
            match self
                .gotten
                .compare_exchange_weak(g, g - 1, Relaxed, Relaxed)
            {
                Ok(_) => break,
                Err(now) => g = now,
            }
        }
        if self.unfinished.fetch_sub(1, AcqRel) == 1 {
            // Every joiner must return (invariant 5).
            self.all_done.notify(u32::MAX, scope);
        }
        Ok(())
    }

    /// Waits until every item put has been marked done; returns false if patience ran out.
    pub fn join(&self, patience: Patience<'_>, scope: Scope) -> bool {
        let attempt = || match self.unfinished.load(Acquire) {
            0 => Step::Done(true),
            _ => Step::Blocked,
        };
        self.all_done.block_on(patience, scope, || false, attempt)
    }

    /// Items put and not yet marked done (a snapshot).
    pub fn unfinished_tasks(&self) -> u64 {
        self.unfinished.load(Relaxed)
    }

    /// Items in the queue (a snapshot; counts puts in progress).
    pub fn len(&self) -> usize {
        loop {
            let tail = self.tail.load(SeqCst);
            let head = self.head.load(SeqCst);
            if self.tail.load(SeqCst) != tail {
                continue;
            }
            let (h, t) = (head & (self.mark - 1), tail & (self.mark - 1));
            let n = if h < t {
                t - h
            } else if h > t {
                (self.capacity.wrapping_sub(h)).wrapping_add(t)
            } else if tail & !self.mark == head {
                0
            } else {
                self.capacity
            };
            return n.min(self.capacity) as usize;
        }
    }

    /// Whether the queue holds no item (a snapshot).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the queue has no free slot (a snapshot).
    pub fn is_full(&self) -> bool {
        self.len() == self.capacity as usize
    }

    /// The number of slots.
    pub fn capacity(&self) -> usize {
        self.capacity as usize
    }
}
