//! A FIFO ticket lock with Python `Lock` semantics, on twinsync's `sync` facade, placeable in
//! shared memory, plus a variant with a planted bug.

use std::time::Duration;

use twinsync::process::{Shared, ShmSafe};
use twinsync::sync::atomic::{AtomicU32, Ordering::*};
use twinsync::sync::futex::{self, Scope};
use twinsync::sys::time::Deadline;
use twinsync::{Error, LockApi};

/// The lock's state: two counters.
///
/// # Layout
///
/// `#[repr(C)]`, 8 bytes: `next` (the next ticket to hand out), then `serving` (the ticket
/// that holds the lock; also the futex word sleepers wait on). Free exactly when they are
/// equal.
#[repr(C)]
#[derive(Debug, Default)]
pub struct TicketState {
    next: AtomicU32,
    serving: AtomicU32,
}

// SAFETY: `#[repr(C)]`, two atomics (no pointers), mutated only atomically, no destructor,
// alignment 4.
unsafe impl ShmSafe for TicketState {}

/// Whether a [`Ticket`] lock has the planted bug.
pub trait Variant: Send + Sync + 'static {
    /// Release forgets to wake the sleepers.
    const FORGETS_WAKE: bool;
}

/// The correct lock.
#[derive(Debug)]
pub struct Correct;
impl Variant for Correct {
    const FORGETS_WAKE: bool = false;
}

/// The buggy lock: `release` advances `serving` but never wakes anyone, so an acquirer that
/// went to sleep waiting for its turn sleeps for ever (a lost wake-up). Every sequential test
/// passes; only a sleeping acquirer shows it.
#[derive(Debug)]
pub struct ForgetsWake;
impl Variant for ForgetsWake {
    const FORGETS_WAKE: bool = true;
}

/// Where the state lives.
#[derive(Debug)]
enum Place {
    Heap(TicketState),
    Shared(Shared<TicketState>),
}

/// A ticket lock: acquirers take a ticket and wait for their turn, so the lock is handed over
/// in arrival order. Timed and non-blocking acquires never take a ticket (a ticket cannot be
/// given back): they take the lock only when it is free.
///
/// ```
/// use twinsync::LockApi;
/// use verify_your_own::TicketLock;
///
/// let l = TicketLock::new();
/// l.acquire();
/// assert!(!l.try_acquire());
/// l.release().unwrap();
/// assert!(!l.locked());
/// ```
#[derive(Debug)]
pub struct Ticket<V: Variant> {
    place: Place,
    _variant: std::marker::PhantomData<V>,
}

/// The correct ticket lock.
pub type TicketLock = Ticket<Correct>;
/// The ticket lock with the lost wake-up.
pub type BuggyTicketLock = Ticket<ForgetsWake>;

impl<V: Variant> Default for Ticket<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Variant> Ticket<V> {
    /// A free lock on the heap, for threads.
    pub fn new() -> Self {
        Ticket {
            place: Place::Heap(TicketState::default()),
            _variant: std::marker::PhantomData,
        }
    }

    /// A free lock in a new named shared-memory segment.
    ///
    /// # Errors
    ///
    /// As [`Shared::create`].
    pub fn create(name: &str) -> Result<Self, Error> {
        Ok(Ticket {
            place: Place::Shared(Shared::create(name, TicketState::default())?),
            _variant: std::marker::PhantomData,
        })
    }

    /// Attaches to the lock in the named segment `name`.
    ///
    /// # Errors
    ///
    /// As [`Shared::open`].
    pub fn open(name: &str) -> Result<Self, Error> {
        Ok(Ticket {
            place: Place::Shared(Shared::open(name)?),
            _variant: std::marker::PhantomData,
        })
    }

    fn state(&self) -> (&TicketState, Scope) {
        match &self.place {
            Place::Heap(s) => (s, Scope::Private),
            Place::Shared(s) => (s, Scope::Shared),
        }
    }

    /// Waits for `serving` to reach `ticket`, or to pass it.
    ///
    /// Passing it matters: a Lock may be released by any thread, so another thread may
    /// release the lock on our behalf after our turn came and before we looked. Waiting for
    /// `serving == ticket` only would then sleep for ever. (The conformance suite found this:
    /// the first version hung in the `history` scenario, whose stray releases do exactly
    /// that, LOCK-08 and LOCK-12.)
    fn wait_turn(&self, ticket: u32) {
        let (s, scope) = self.state();
        loop {
            let now = s.serving.load(Acquire);
            // `now` is at or past `ticket`, modulo 2^32 (tickets outstanding < 2^31).
            if (now.wrapping_sub(ticket) as i32) >= 0 {
                return;
            }
            futex::wait(&s.serving, now, None, scope);
        }
    }
}

impl<V: Variant> LockApi for Ticket<V> {
    fn acquire(&self) {
        let (s, _) = self.state();
        let ticket = s.next.fetch_add(1, Relaxed);
        self.wait_turn(ticket);
    }

    fn try_acquire(&self) -> bool {
        let (s, _) = self.state();
        let serving = s.serving.load(Acquire);
        s.next
            .compare_exchange(serving, serving.wrapping_add(1), Acquire, Relaxed)
            .is_ok()
    }

    fn acquire_timeout(&self, timeout: Duration) -> Result<bool, Error> {
        let deadline = Deadline::after(timeout)?;
        let (s, scope) = self.state();
        loop {
            if self.try_acquire() {
                return Ok(true);
            }
            if deadline.has_passed() {
                return Ok(false);
            }
            let now = s.serving.load(Relaxed);
            if s.next.load(Relaxed) != now {
                futex::wait(&s.serving, now, Some(&deadline), scope);
            }
        }
    }

    fn release(&self) -> Result<(), Error> {
        let (s, scope) = self.state();
        let mut serving = s.serving.load(Relaxed);
        loop {
            if s.next.load(Relaxed) == serving {
                return Err(Error::NotHeld);
            }
            match s
                .serving
                .compare_exchange(serving, serving.wrapping_add(1), Release, Relaxed)
            {
                Ok(_) => break,
                Err(now) => serving = now,
            }
        }
        if !V::FORGETS_WAKE {
            // All: the next ticket's owner is one of the sleepers, and only it proceeds.
            futex::wake_all(&s.serving, scope);
        }
        Ok(())
    }

    fn locked(&self) -> bool {
        let (s, _) = self.state();
        s.next.load(Relaxed) != s.serving.load(Relaxed)
    }
}
