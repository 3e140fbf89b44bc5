//! Reference adapters: well-known implementations run through the suite, to show that it
//! accepts what the ecosystem considers correct (a suite that rejects `std` is wrong), and to
//! list where their semantics knowingly differ from twinsync's (Python's) as
//! [`Deviation`]s, which the report shows as `dev`, not as failures.
//!
//! | adapter | primitive | built on | deviations |
//! |---|---|---|---|
//! | [`StdLock`] | Lock | `std::sync::Mutex<bool>` + `std::sync::Condvar` | none |
//! | [`ParkingLotLock`] | Lock | `parking_lot::RawMutex` (`lock_api`) | LOCK-06 and LOCK-12: an unlock must happen on the locking thread |
//! | [`ParkingLotRLock`] | RLock | `lock_api::RawReentrantMutex<parking_lot::RawMutex, parking_lot::RawThreadId>` | none |
//! | [`ParkingLotRwLock`] | RwLock | `parking_lot::RawRwLock` (`lock_api`) | RWLOCK-06: an unlock must happen on a thread that holds the lock |
//! | [`StdBarrier`] | Barrier | `std::sync::Barrier` | BARRIER-01, 04..09, 12: no validation, action, timeout, abort or reset |
//!
//! They run under the proptest and real-thread drivers only: they are not written on the
//! `twinsync::sync` facade (so loom and shuttle cannot see inside them) and cannot live in
//! shared memory.
//!
//! ```
//! use twinsync::LockApi;
//! use twinsync_conformance::adapters::StdLock;
//!
//! let l = StdLock::default();
//! l.acquire();
//! assert!(l.locked());
//! l.release().unwrap();
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use parking_lot::lock_api::{RawMutex as _, RawMutexTimed as _};
use parking_lot::lock_api::{RawRwLock as _, RawRwLockTimed as _};
use twinsync::{Error, LockApi, RLockApi, RwLockApi, TIMEOUT_MAX};

use crate::families::{LockFamily, RLockFamily, RwLockFamily};
use crate::subject::{Deviation, Testable};

fn check_timeout(timeout: Duration) -> Result<(), Error> {
    if timeout > TIMEOUT_MAX {
        Err(Error::TimeoutTooLarge { timeout })
    } else {
        Ok(())
    }
}

/// A Python-semantics Lock built from `std::sync::Mutex<bool>` (the held flag) and a
/// `std::sync::Condvar` (the waiting acquirers): the textbook construction.
#[derive(Debug, Default)]
pub struct StdLock {
    held: Mutex<bool>,
    freed: Condvar,
}

impl StdLock {
    fn flag(&self) -> MutexGuard<'_, bool> {
        // A panic while the flag's mutex is held cannot leave the flag half-written.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl LockApi for StdLock {
    fn acquire(&self) {
        let mut held = self.flag();
        while *held {
            held = self
                .freed
                .wait(held)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *held = true;
    }

    fn try_acquire(&self) -> bool {
        let mut held = self.flag();
        !std::mem::replace(&mut *held, true)
    }

    fn acquire_timeout(&self, timeout: Duration) -> Result<bool, Error> {
        check_timeout(timeout)?;
        let deadline = Instant::now().checked_add(timeout);
        let mut held = self.flag();
        while *held {
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::MAX,
            };
            if left.is_zero() {
                return Ok(false);
            }
            held = self
                .freed
                .wait_timeout(held, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *held = true;
        Ok(true)
    }

    fn release(&self) -> Result<(), Error> {
        let mut held = self.flag();
        if !std::mem::replace(&mut *held, false) {
            return Err(Error::NotHeld);
        }
        drop(held);
        self.freed.notify_one();
        Ok(())
    }

    fn locked(&self) -> bool {
        *self.flag()
    }
}

impl Testable for StdLock {
    type Family = LockFamily;
    const NAME: &'static str = "std::Mutex+Condvar";
    const VERSION: &'static str = "std";
    fn make() -> Result<Self, Error> {
        Ok(StdLock::default())
    }
}

/// `parking_lot`'s raw mutex as a Lock. `lock_api` requires an unlock to happen in the
/// context (thread) that locked, so the adapter remembers the locking thread and refuses a
/// release from any other thread with [`Error::NotHeld`]: a declared deviation from LOCK-06.
pub struct ParkingLotLock {
    raw: parking_lot::RawMutex,
    /// Id of the locking thread (0: none). Written only by the holder.
    owner: AtomicU64,
}

impl Default for ParkingLotLock {
    fn default() -> Self {
        ParkingLotLock {
            raw: parking_lot::RawMutex::INIT,
            owner: AtomicU64::new(0),
        }
    }
}

impl std::fmt::Debug for ParkingLotLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParkingLotLock")
            .field("locked", &self.raw.is_locked())
            .finish()
    }
}

fn me() -> u64 {
    u64::from(twinsync::sys::tid::current())
}

impl ParkingLotLock {
    fn took(&self) -> bool {
        self.owner.store(me(), Ordering::Relaxed);
        true
    }
}

impl LockApi for ParkingLotLock {
    fn acquire(&self) {
        self.raw.lock();
        self.took();
    }

    fn try_acquire(&self) -> bool {
        self.raw.try_lock() && self.took()
    }

    fn acquire_timeout(&self, timeout: Duration) -> Result<bool, Error> {
        check_timeout(timeout)?;
        Ok(self.raw.try_lock_for(timeout) && self.took())
    }

    fn release(&self) -> Result<(), Error> {
        if !self.raw.is_locked() || self.owner.load(Ordering::Relaxed) != me() {
            return Err(Error::NotHeld);
        }
        self.owner.store(0, Ordering::Relaxed);
        // SAFETY: the mutex is locked, and by this thread: `owner` holds the id of the thread
        // that locked it (written after locking, cleared before unlocking, only by the holder).
        unsafe { self.raw.unlock() };
        Ok(())
    }

    fn locked(&self) -> bool {
        self.raw.is_locked()
    }
}

impl Testable for ParkingLotLock {
    type Family = LockFamily;
    const NAME: &'static str = "parking_lot::RawMutex";
    const VERSION: &'static str = "parking_lot";
    const DEVIATIONS: &'static [Deviation] = &[
        Deviation {
            clause: "LOCK-06",
            reason: "lock_api requires the unlocking thread to be the locking one \
                     (GuardNoSend), so the adapter refuses a release by another thread",
        },
        Deviation {
            clause: "LOCK-12",
            reason: "the recorded histories include releases by non-holders, which the adapter \
                     refuses (see LOCK-06), so they are not histories of a Python Lock",
        },
    ];
    fn make() -> Result<Self, Error> {
        Ok(ParkingLotLock::default())
    }
}

/// `std::sync::Barrier` as a Barrier. It has no timed wait, no abort or reset that releases
/// waiting parties, no action, and tells a party only whether it is the leader, so the
/// adapter adds what it can around it and declares the rest as deviations:
///
/// * the arrival index is the adapter's own count of arrivals modulo the parties (taken
///   before entering `std`'s wait, so it is unique per generation only if `std` does not
///   lap), and `n_waiting()` is derived from it;
/// * `abort` sets a flag that fails *later* waits with [`Error::BrokenBarrier`] (parties
///   already waiting stay blocked), `reset` clears it;
/// * a timed wait (and a wait with a default timeout) is [`Error::InvalidArgument`];
/// * `with_action` is ignored.
///
/// ```
/// use twinsync::BarrierApi;
/// use twinsync_conformance::adapters::StdBarrier;
/// use twinsync_conformance::families::Member;
///
/// let b = StdBarrier::build(1).unwrap();
/// assert_eq!(b.wait().unwrap(), 0);
/// b.abort();
/// assert!(b.wait().is_err());
/// ```
#[derive(Debug)]
pub struct StdBarrier {
    inner: std::sync::Barrier,
    parties: u32,
    arrivals: AtomicU64,
    aborted: std::sync::atomic::AtomicBool,
    timeout: Option<Duration>,
}

impl StdBarrier {
    fn modulus(&self) -> u64 {
        u64::from(self.parties.max(1))
    }
}

impl twinsync::BarrierApi for StdBarrier {
    fn wait(&self) -> Result<u32, Error> {
        match self.timeout {
            Some(d) => self.wait_timeout(d),
            None => {
                if self.aborted.load(Ordering::Acquire) {
                    return Err(Error::BrokenBarrier);
                }
                let n = self.arrivals.fetch_add(1, Ordering::Relaxed);
                self.inner.wait();
                Ok((n % self.modulus()) as u32)
            }
        }
    }

    fn wait_timeout(&self, timeout: Duration) -> Result<u32, Error> {
        check_timeout(timeout)?;
        Err(Error::InvalidArgument {
            name: "timeout",
            reason: "std::sync::Barrier has no timed wait",
        })
    }

    fn reset(&self) {
        self.aborted.store(false, Ordering::Release);
    }

    fn abort(&self) {
        self.aborted.store(true, Ordering::Release);
    }

    fn parties(&self) -> u32 {
        self.parties
    }

    fn n_waiting(&self) -> u32 {
        (self.arrivals.load(Ordering::Relaxed) % self.modulus()) as u32
    }

    fn broken(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }
}

impl crate::families::Member for StdBarrier {
    const ACTION: bool = false;
    const BREAKABLE: bool = false;

    /// Any count, as `std` accepts (0 behaves as 1).
    fn build(parties: u32) -> Result<Self, Error> {
        Ok(StdBarrier {
            inner: std::sync::Barrier::new(parties as usize),
            parties,
            arrivals: AtomicU64::new(0),
            aborted: std::sync::atomic::AtomicBool::new(false),
            timeout: None,
        })
    }

    fn action(self, _action: twinsync::BarrierFn) -> Self {
        self
    }

    fn timeout(mut self, timeout: Duration) -> Result<Self, Error> {
        check_timeout(timeout)?;
        self.timeout = Some(timeout);
        Ok(self)
    }
}

const STD_NO_BREAK: &str = "std::sync::Barrier has no timed wait and no abort or reset \
                            that releases waiting parties";
const STD_NO_ACTION: &str = "std::sync::Barrier has no action (only a leader flag after the \
                             release)";

impl Testable for crate::families::Barriers<StdBarrier> {
    type Family = crate::families::BarrierFamily;
    const NAME: &'static str = "std::sync::Barrier";
    const VERSION: &'static str = "std";
    const DEVIATIONS: &'static [Deviation] = &[
        Deviation {
            clause: "BARRIER-01",
            reason: "std::sync::Barrier::new accepts 0 (it behaves as 1) and any usize",
        },
        Deviation {
            clause: "BARRIER-04",
            reason: STD_NO_ACTION,
        },
        Deviation {
            clause: "BARRIER-05",
            reason: STD_NO_ACTION,
        },
        Deviation {
            clause: "BARRIER-06",
            reason: STD_NO_BREAK,
        },
        Deviation {
            clause: "BARRIER-07",
            reason: STD_NO_BREAK,
        },
        Deviation {
            clause: "BARRIER-08",
            reason: STD_NO_BREAK,
        },
        Deviation {
            clause: "BARRIER-09",
            reason: STD_NO_BREAK,
        },
        Deviation {
            clause: "BARRIER-12",
            reason: STD_NO_BREAK,
        },
    ];
    fn make() -> Result<Self, Error> {
        Self::private()
    }
}

/// `parking_lot`'s reentrant mutex (`lock_api::RawReentrantMutex` over `parking_lot::RawMutex`,
/// owners told apart by `parking_lot::RawThreadId`) as an RLock.
///
/// `lock_api` keeps its recursion count private, so the adapter keeps its own beside it,
/// written (like the raw mutex's) only by the owner, and refuses a release by a thread that
/// does not own the mutex with [`Error::NotOwner`] (`lock_api` makes that undefined behaviour
/// instead). Its count is a `u32` that panics on overflow, as RLOCK-13 asks (`lock_api`'s own
/// is a `usize`).
///
/// ```
/// use twinsync::{Error, RLockApi};
/// use twinsync_conformance::adapters::ParkingLotRLock;
///
/// let l = ParkingLotRLock::default();
/// l.acquire();
/// assert!(l.try_acquire());
/// assert_eq!(l.count(), 2);
/// std::thread::scope(|s| {
///     s.spawn(|| assert!(matches!(l.release(), Err(Error::NotOwner))));
/// });
/// l.release().unwrap();
/// l.release().unwrap();
/// assert!(!l.locked());
/// ```
pub struct ParkingLotRLock {
    raw: parking_lot::lock_api::RawReentrantMutex<parking_lot::RawMutex, parking_lot::RawThreadId>,
    /// The owner's depth (0: free). Read and written only by the owner, between its acquire
    /// and release of `raw`.
    depth: std::sync::atomic::AtomicU32,
}

impl Default for ParkingLotRLock {
    fn default() -> Self {
        ParkingLotRLock {
            raw: parking_lot::lock_api::RawReentrantMutex::INIT,
            depth: std::sync::atomic::AtomicU32::new(0),
        }
    }
}

impl std::fmt::Debug for ParkingLotRLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParkingLotRLock")
            .field("locked", &self.raw.is_locked())
            .finish()
    }
}

impl ParkingLotRLock {
    /// Counts a level just taken (`got`); whether it was taken.
    fn took(&self, got: bool) -> bool {
        if got {
            let d = self.depth.load(Ordering::Relaxed);
            if d == u32::MAX {
                // SAFETY: this thread has just taken the level it gives back.
                unsafe { self.raw.unlock() };
                panic!("RLock recursion count overflow");
            }
            self.depth.store(d + 1, Ordering::Relaxed);
        }
        got
    }
}

impl RLockApi for ParkingLotRLock {
    fn acquire(&self) {
        self.raw.lock();
        self.took(true);
    }

    fn try_acquire(&self) -> bool {
        self.took(self.raw.try_lock())
    }

    fn acquire_timeout(&self, timeout: Duration) -> Result<bool, Error> {
        check_timeout(timeout)?;
        Ok(self.took(self.raw.try_lock_for(timeout)))
    }

    fn release(&self) -> Result<(), Error> {
        if !self.raw.is_owned_by_current_thread() {
            return Err(Error::NotOwner);
        }
        let d = self.depth.load(Ordering::Relaxed);
        self.depth.store(d.saturating_sub(1), Ordering::Relaxed);
        // SAFETY: the mutex is held by the current thread (checked above).
        unsafe { self.raw.unlock() };
        Ok(())
    }

    fn locked(&self) -> bool {
        self.raw.is_locked()
    }

    fn is_owned(&self) -> bool {
        self.raw.is_owned_by_current_thread()
    }

    fn count(&self) -> u32 {
        if self.is_owned() {
            self.depth.load(Ordering::Relaxed)
        } else {
            0
        }
    }
}

impl Testable for ParkingLotRLock {
    type Family = RLockFamily;
    const NAME: &'static str = "parking_lot::ReentrantMutex";
    const VERSION: &'static str = "parking_lot";
    fn make() -> Result<Self, Error> {
        Ok(ParkingLotRLock::default())
    }
}

std::thread_local! {
    /// Read holds of the calling thread, per [`ParkingLotRwLock`] (by address).
    static READ_HOLDS: std::cell::RefCell<Vec<(usize, u32)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `parking_lot`'s raw readers-writer lock as an RwLock. `lock_api` requires an unlock to
/// happen in a context (thread) that holds the lock, so the adapter counts the read holds of
/// each thread and remembers the writing thread, and refuses a release by any other thread
/// with [`Error::NotHeld`]: a declared deviation from RWLOCK-06. `parking_lot` prefers
/// writers as twinsync does (a waiting writer holds new readers back). `readers()` is the
/// adapter's own count of holds (`lock_api` has no such query).
///
/// ```
/// use twinsync::RwLockApi;
/// use twinsync_conformance::adapters::ParkingLotRwLock;
///
/// let l = ParkingLotRwLock::default();
/// let r = l.read();
/// assert_eq!(l.readers(), 1);
/// assert!(l.try_write().is_none());
/// drop(r);
/// assert!(l.try_write().is_some());
/// ```
pub struct ParkingLotRwLock {
    raw: parking_lot::RawRwLock,
    /// Id of the writing thread (0: none). Written only by the holder.
    writer: AtomicU64,
    /// Read holds (updated after acquiring and before releasing).
    readers: std::sync::atomic::AtomicU32,
}

impl Default for ParkingLotRwLock {
    fn default() -> Self {
        ParkingLotRwLock {
            raw: parking_lot::RawRwLock::INIT,
            writer: AtomicU64::new(0),
            readers: std::sync::atomic::AtomicU32::new(0),
        }
    }
}

impl std::fmt::Debug for ParkingLotRwLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParkingLotRwLock")
            .field("readers", &self.readers())
            .field("write_locked", &self.write_locked())
            .finish()
    }
}

impl ParkingLotRwLock {
    fn key(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Records a read hold of the calling thread; returns true.
    fn took_read(&self) -> bool {
        let key = self.key();
        READ_HOLDS.with(|h| {
            let mut h = h.borrow_mut();
            match h.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1,
                None => h.push((key, 1)),
            }
        });
        self.readers.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Removes one read hold of the calling thread, if it has one.
    fn drop_read(&self) -> bool {
        let key = self.key();
        READ_HOLDS.with(|h| {
            let mut h = h.borrow_mut();
            let Some(i) = h.iter().position(|(k, _)| *k == key) else {
                return false;
            };
            h[i].1 -= 1;
            if h[i].1 == 0 {
                h.swap_remove(i);
            }
            true
        })
    }

    fn took_write(&self) -> bool {
        self.writer.store(me(), Ordering::Relaxed);
        true
    }
}

impl Drop for ParkingLotRwLock {
    /// Forgets the dropping thread's holds, so that a lock made later at the same address
    /// does not inherit them (other threads' entries die with their threads: the drivers'
    /// workers end before the subject is dropped).
    fn drop(&mut self) {
        let key = self.key();
        let _ = READ_HOLDS.try_with(|h| h.borrow_mut().retain(|(k, _)| *k != key));
    }
}

impl RwLockApi for ParkingLotRwLock {
    fn acquire_read(&self) {
        self.raw.lock_shared();
        self.took_read();
    }

    fn try_acquire_read(&self) -> bool {
        self.raw.try_lock_shared() && self.took_read()
    }

    fn acquire_read_timeout(&self, timeout: Duration) -> Result<bool, Error> {
        check_timeout(timeout)?;
        Ok(self.raw.try_lock_shared_for(timeout) && self.took_read())
    }

    fn release_read(&self) -> Result<(), Error> {
        if !self.drop_read() {
            return Err(Error::NotHeld);
        }
        self.readers.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: the calling thread holds a shared lock: it recorded one when it acquired
        // it (in its thread-local count) and has not released it since.
        unsafe { self.raw.unlock_shared() };
        Ok(())
    }

    fn acquire_write(&self) {
        self.raw.lock_exclusive();
        self.took_write();
    }

    fn try_acquire_write(&self) -> bool {
        self.raw.try_lock_exclusive() && self.took_write()
    }

    fn acquire_write_timeout(&self, timeout: Duration) -> Result<bool, Error> {
        check_timeout(timeout)?;
        Ok(self.raw.try_lock_exclusive_for(timeout) && self.took_write())
    }

    fn release_write(&self) -> Result<(), Error> {
        if self.writer.load(Ordering::Relaxed) != me() {
            return Err(Error::NotHeld);
        }
        self.writer.store(0, Ordering::Relaxed);
        // SAFETY: the exclusive lock is held, by this thread: `writer` holds the id of the
        // thread that took it (written after locking, cleared before unlocking, only by the
        // holder).
        unsafe { self.raw.unlock_exclusive() };
        Ok(())
    }

    fn readers(&self) -> u32 {
        self.readers.load(Ordering::Relaxed)
    }

    /// The adapter's own flag: `is_locked_exclusive` is also true while a writer waits.
    fn write_locked(&self) -> bool {
        self.writer.load(Ordering::Relaxed) != 0
    }
}

impl Testable for ParkingLotRwLock {
    type Family = RwLockFamily;
    const NAME: &'static str = "parking_lot::RawRwLock";
    const VERSION: &'static str = "parking_lot";
    const DEVIATIONS: &'static [Deviation] = &[Deviation {
        clause: "RWLOCK-06",
        reason: "lock_api requires the unlocking thread to hold the lock (GuardNoSend), so \
                 the adapter refuses a release by another thread",
    }];
    fn make() -> Result<Self, Error> {
        Ok(ParkingLotRwLock::default())
    }
}
