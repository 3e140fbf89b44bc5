//! The references every ratio is computed against: the smallest futex code that does the
//! job, measured in the same run as everything else.
//!
//! * [`Mutex2`]: Drepper's three-state futex mutex ("Futexes Are Tricky", "mutex2"), on a
//!   **shared** futex: what a process-shared lock must cost at least. The unit of every
//!   uncontended and 2-party contended group.
//! * [`FutexPingPong`]: two futex words, each party waits on one and wakes the other: what a
//!   wake-up round trip must cost at least. The unit of every round-trip group.
//! * [`FutexBarrier`]: an arrival counter and a generation word on a shared futex: what a
//!   barrier must cost at least. The unit of the Barrier groups.

use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};

use super::shm::Shm;
use super::{Cycle, PingPong};

/// Whether a futex call may use `FUTEX_PRIVATE_FLAG` (all parties in one process) or must
/// not (the word is shared between processes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Threads of one process only.
    Private,
    /// Any process that maps the word.
    Shared,
}

impl Scope {
    fn flag(self) -> libc::c_int {
        match self {
            Scope::Private => libc::FUTEX_PRIVATE_FLAG,
            Scope::Shared => 0,
        }
    }
}

/// `futex(word, op | scope, val)` with no timeout. Errors (`EAGAIN` when the word changed,
/// `EINTR`) only send the caller round its loop again.
fn futex(word: &AtomicU32, op: libc::c_int, val: u32, scope: Scope) {
    // SAFETY: FUTEX_WAIT / FUTEX_WAKE on the address of a live, aligned u32; the timeout and
    // second address are null, which both operations accept.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            op | scope.flag(),
            val,
            ptr::null::<libc::timespec>(),
            ptr::null::<u32>(),
            0u32,
        )
    };
}

/// Sleeps while `word` holds `expected` (or until a spurious wake-up).
pub fn wait(word: &AtomicU32, expected: u32, scope: Scope) {
    futex(word, libc::FUTEX_WAIT, expected, scope);
}

/// Wakes up to `n` sleepers on `word`.
pub fn wake(word: &AtomicU32, n: u32, scope: Scope) {
    futex(word, libc::FUTEX_WAKE, n, scope);
}

/// The lock reference: Drepper's "mutex2" on a shared futex in its own mapping.
///
/// The word is [`FREE`], [`LOCKED`] (no one waits) or [`CONTENDED`] (someone may sleep).
pub struct Mutex2 {
    word: Shm<AtomicU32>,
}

/// Nobody holds the lock.
const FREE: u32 = 0;
/// Held, and nobody is asleep on the word: release needs no system call.
const LOCKED: u32 = 1;
/// Held, and a waiter may be asleep: release must wake one.
const CONTENDED: u32 = 2;

impl Mutex2 {
    /// A free lock.
    pub fn new() -> Mutex2 {
        Mutex2 {
            // SAFETY: an all-zero AtomicU32 is a valid atomic holding FREE.
            word: unsafe { Shm::zeroed() },
        }
    }

    /// Takes the lock.
    #[inline]
    pub fn lock(&self) {
        if self
            .word
            .compare_exchange(FREE, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
    }

    #[cold]
    fn lock_contended(&self) {
        // Announce a waiter before sleeping. Whoever's swap finds FREE owns the lock, in
        // the CONTENDED state; that costs at most one needless wake-up later.
        while self.word.swap(CONTENDED, Ordering::Acquire) != FREE {
            wait(&self.word, CONTENDED, Scope::Shared);
        }
    }

    /// Releases the lock.
    #[inline]
    pub fn unlock(&self) {
        if self.word.swap(FREE, Ordering::Release) == CONTENDED {
            // One wake is enough: the woken waiter re-marks the word CONTENDED, so the next
            // release wakes the next sleeper.
            wake(&self.word, 1, Scope::Shared);
        }
    }
}

impl Cycle for Mutex2 {
    #[inline]
    fn cycle(&self) {
        self.lock();
        self.unlock();
    }
}

/// The round-trip reference: `words[0]` counts A's pings, `words[1]` B's pongs. A bumps its
/// word and wakes B, then sleeps until B's word catches up; B sleeps until A's word moves,
/// then bumps its own and wakes A. No waiter flag, no spinning: one `FUTEX_WAKE` per party
/// per round trip and a `FUTEX_WAIT` whenever the other has not answered yet, the least a
/// futex round trip does.
pub struct FutexPingPong {
    words: Shm<[AtomicU32; 2]>,
    scope: Scope,
}

impl FutexPingPong {
    /// A pair of words at 0 in their own mapping; `scope` as the version measured beside it.
    pub fn new(scope: Scope) -> FutexPingPong {
        FutexPingPong {
            // SAFETY: all-zero atomics are valid, both counting 0.
            words: unsafe { Shm::zeroed() },
            scope,
        }
    }

    /// Sleeps until `words[theirs]` reaches `count`.
    #[inline]
    fn wait_for(&self, theirs: usize, count: u32) {
        loop {
            let seen = self.words[theirs].load(Ordering::Acquire);
            if seen == count {
                return;
            }
            wait(&self.words[theirs], seen, self.scope);
        }
    }

    /// Sets `words[mine]` to `count` and wakes its sleeper (one at most: the other party).
    #[inline]
    fn publish(&self, mine: usize, count: u32) {
        self.words[mine].store(count, Ordering::Release);
        wake(&self.words[mine], 1, self.scope);
    }

    /// The count a party's next round sets its word to. Both parties run the same number of
    /// rounds per sample, so the two words are equal between samples.
    #[inline]
    fn next(&self, mine: usize) -> u32 {
        self.words[mine].load(Ordering::Relaxed).wrapping_add(1)
    }
}

impl PingPong for FutexPingPong {
    #[inline]
    fn ping(&self) {
        let next = self.next(0);
        self.publish(0, next);
        self.wait_for(1, next);
    }

    #[inline]
    fn pong(&self) {
        let next = self.next(1);
        self.wait_for(0, next);
        self.publish(1, next);
    }
}

/// The barrier reference: `arrived` counts this generation's arrivals, `generation` is the
/// futex word the early arrivers sleep on. The last arriver resets the count, bumps the
/// generation and wakes everyone (when there is anyone: with one party there is not). No
/// breaking, no timeout, no action, no arrival index.
pub struct FutexBarrier {
    /// `[arrived, generation]`.
    words: Shm<[AtomicU32; 2]>,
    parties: u32,
}

impl FutexBarrier {
    /// A barrier for `parties` parties (at least 1) in its own shared mapping.
    pub fn new(parties: u32) -> FutexBarrier {
        assert!(parties >= 1, "a barrier needs a party");
        FutexBarrier {
            // SAFETY: all-zero atomics are valid: nobody arrived, generation 0.
            words: unsafe { Shm::zeroed() },
            parties,
        }
    }

    /// Waits until `parties` parties have called `wait` in this generation.
    #[inline]
    pub fn wait(&self) {
        let [arrived, generation] = &*self.words;
        // Read the generation before arriving: it cannot move until we have arrived.
        let gen = generation.load(Ordering::Acquire);
        if arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.parties {
            // Reset before publishing the new generation: whoever sees it may arrive again.
            arrived.store(0, Ordering::Relaxed);
            generation.store(gen.wrapping_add(1), Ordering::Release);
            if self.parties > 1 {
                // Every early arriver sleeps on the word: all must go.
                wake(generation, u32::MAX, Scope::Shared);
            }
        } else {
            while generation.load(Ordering::Acquire) == gen {
                wait(generation, gen, Scope::Shared);
            }
        }
    }
}

impl Cycle for FutexBarrier {
    #[inline]
    fn cycle(&self) {
        self.wait();
    }
}
