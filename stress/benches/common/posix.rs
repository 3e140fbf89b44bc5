//! The C peers, each in its own shared mapping so that they work between forked processes:
//! process-shared pthread mutexes (plain, robust, recursive), condition variables,
//! read-write locks and barriers, and POSIX semaphores with `pshared = 1`.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU32, Ordering};

use super::shm::Shm;
use super::{Cycle, PingPong, Signal, A_TURN, B_TURN};

/// Panics with the name of a pthread call that returned an error number.
fn check(ret: libc::c_int, what: &str) {
    assert!(
        ret == 0,
        "{what}: {}",
        std::io::Error::from_raw_os_error(ret)
    );
}

/// The flavour of a [`PthreadMutex`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutexKind {
    /// `PTHREAD_MUTEX_NORMAL` attributes (the default).
    Plain,
    /// `PTHREAD_MUTEX_ROBUST`: the next locker learns that a holder died.
    Robust,
    /// `PTHREAD_MUTEX_RECURSIVE`: the holder may lock again.
    Recursive,
}

/// A process-shared `pthread_mutex_t` in shared memory.
pub struct PthreadMutex {
    m: Shm<libc::pthread_mutex_t>,
}

impl PthreadMutex {
    /// An unlocked mutex of the given kind, `PTHREAD_PROCESS_SHARED`.
    pub fn new(kind: MutexKind) -> PthreadMutex {
        // SAFETY: pthread_mutex_t is plain bytes, so all zeroes is a value of the type; it
        // is initialised with pthread_mutex_init below before any use.
        let m = unsafe { Shm::<libc::pthread_mutex_t>::zeroed() };
        let mut attr = MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
        let a = attr.as_mut_ptr();
        // SAFETY:
        // - `attr` is initialised by pthread_mutexattr_init before the other attr calls and
        //   destroyed after pthread_mutex_init, which copies what it needs;
        // - `m` points to mapped, unused memory that nobody else sees yet.
        unsafe {
            check(libc::pthread_mutexattr_init(a), "pthread_mutexattr_init");
            check(
                libc::pthread_mutexattr_setpshared(a, libc::PTHREAD_PROCESS_SHARED),
                "pthread_mutexattr_setpshared",
            );
            match kind {
                MutexKind::Plain => {}
                MutexKind::Robust => check(
                    libc::pthread_mutexattr_setrobust(a, libc::PTHREAD_MUTEX_ROBUST),
                    "pthread_mutexattr_setrobust",
                ),
                MutexKind::Recursive => check(
                    libc::pthread_mutexattr_settype(a, libc::PTHREAD_MUTEX_RECURSIVE),
                    "pthread_mutexattr_settype",
                ),
            }
            check(
                libc::pthread_mutex_init(m.as_ptr(), attr.as_ptr()),
                "pthread_mutex_init",
            );
            libc::pthread_mutexattr_destroy(a);
        }
        PthreadMutex { m }
    }

    /// Locks; a robust mutex whose holder died is made consistent and taken.
    #[inline]
    pub fn lock(&self) {
        // SAFETY: the mutex was initialised in `new` and is destroyed only in `drop`.
        unsafe {
            let r = libc::pthread_mutex_lock(self.m.as_ptr());
            if r == libc::EOWNERDEAD {
                // A holder died (robust mutex): the state it guarded is empty, so adopt it.
                check(
                    libc::pthread_mutex_consistent(self.m.as_ptr()),
                    "pthread_mutex_consistent",
                );
            } else {
                check(r, "pthread_mutex_lock");
            }
        }
    }

    /// Unlocks a mutex the calling thread holds.
    #[inline]
    pub fn unlock(&self) {
        // SAFETY: initialised in `new`; every caller unlocks what it locked, on the same
        // thread.
        check(
            unsafe { libc::pthread_mutex_unlock(self.m.as_ptr()) },
            "pthread_mutex_unlock",
        );
    }
}

impl Cycle for PthreadMutex {
    #[inline]
    fn cycle(&self) {
        self.lock();
        self.unlock();
    }
}

impl Drop for PthreadMutex {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, unlocked (every user unlocks), and no longer used.
        unsafe { libc::pthread_mutex_destroy(self.m.as_ptr()) };
    }
}

/// A process-shared `pthread_cond_t` with its mutex and a turn word guarded by the mutex:
/// the monitor the C way.
pub struct PthreadCond {
    mutex: PthreadMutex,
    cond: Shm<libc::pthread_cond_t>,
    /// Whose turn it is in a ping-pong ([`A_TURN`] or [`B_TURN`]); read and written only
    /// under `mutex`, so `Relaxed` suffices.
    turn: Shm<AtomicU32>,
}

impl PthreadCond {
    /// A plain process-shared mutex and a process-shared condition variable.
    pub fn new() -> PthreadCond {
        // SAFETY: pthread_cond_t is plain bytes; pthread_cond_init initialises it below
        // before any use.
        let cond = unsafe { Shm::<libc::pthread_cond_t>::zeroed() };
        let mut attr = MaybeUninit::<libc::pthread_condattr_t>::uninit();
        let a = attr.as_mut_ptr();
        // SAFETY: as for the mutex in PthreadMutex::new: the attribute lives from its init
        // to its destroy, and `cond` is mapped memory nobody else sees yet.
        unsafe {
            check(libc::pthread_condattr_init(a), "pthread_condattr_init");
            check(
                libc::pthread_condattr_setpshared(a, libc::PTHREAD_PROCESS_SHARED),
                "pthread_condattr_setpshared",
            );
            check(
                libc::pthread_cond_init(cond.as_ptr(), attr.as_ptr()),
                "pthread_cond_init",
            );
            libc::pthread_condattr_destroy(a);
        }
        PthreadCond {
            mutex: PthreadMutex::new(MutexKind::Plain),
            cond,
            // SAFETY: an all-zero atomic is valid and holds A_TURN.
            turn: unsafe { Shm::zeroed() },
        }
    }

    /// Waits on the condition variable; the caller holds the mutex.
    fn wait(&self) {
        // SAFETY: both objects are initialised and the caller holds the mutex (a spurious
        // return is handled by the caller's predicate loop).
        check(
            unsafe { libc::pthread_cond_wait(self.cond.as_ptr(), self.mutex.m.as_ptr()) },
            "pthread_cond_wait",
        );
    }

    /// Wakes one waiter.
    fn signal(&self) {
        // SAFETY: initialised in `new`.
        check(
            unsafe { libc::pthread_cond_signal(self.cond.as_ptr()) },
            "pthread_cond_signal",
        );
    }
}

impl Cycle for PthreadCond {
    /// Lock, signal nobody, unlock: a notify's uncontended cost.
    #[inline]
    fn cycle(&self) {
        self.mutex.lock();
        self.signal();
        self.mutex.unlock();
    }
}

impl PingPong for PthreadCond {
    #[inline]
    fn ping(&self) {
        self.mutex.lock();
        self.turn.store(B_TURN, Ordering::Relaxed);
        self.signal();
        while self.turn.load(Ordering::Relaxed) == B_TURN {
            self.wait();
        }
        self.mutex.unlock();
    }

    #[inline]
    fn pong(&self) {
        self.mutex.lock();
        while self.turn.load(Ordering::Relaxed) != B_TURN {
            self.wait();
        }
        self.turn.store(A_TURN, Ordering::Relaxed);
        self.signal();
        self.mutex.unlock();
    }
}

impl Drop for PthreadCond {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`; nobody waits on it any more.
        unsafe { libc::pthread_cond_destroy(self.cond.as_ptr()) };
    }
}

/// A process-shared POSIX semaphore in shared memory.
pub struct PosixSem {
    s: Shm<libc::sem_t>,
}

impl PosixSem {
    /// A semaphore holding `value`, `pshared = 1`.
    pub fn new(value: u32) -> PosixSem {
        // SAFETY: sem_t is plain bytes, so all zeroes is a value of the type; sem_init
        // initialises it below before any use.
        let s = unsafe { Shm::<libc::sem_t>::zeroed() };
        // SAFETY: `s` points to mapped memory that nobody else uses yet.
        let r = unsafe { libc::sem_init(s.as_ptr(), 1, value) };
        assert!(r == 0, "sem_init: {}", std::io::Error::last_os_error());
        PosixSem { s }
    }
}

impl Signal for PosixSem {
    #[inline]
    fn post(&self) {
        // SAFETY: initialised in `new`, destroyed only in `drop`.
        let r = unsafe { libc::sem_post(self.s.as_ptr()) };
        assert!(r == 0, "sem_post: {}", std::io::Error::last_os_error());
    }

    #[inline]
    fn wait(&self) {
        // SAFETY: initialised in `new`, destroyed only in `drop`.
        while unsafe { libc::sem_wait(self.s.as_ptr()) } != 0 {
            let e = std::io::Error::last_os_error();
            assert!(e.raw_os_error() == Some(libc::EINTR), "sem_wait: {e}");
        }
    }
}

impl Cycle for PosixSem {
    /// `sem_wait` + `sem_post`: a semaphore at 1 used as a lock.
    #[inline]
    fn cycle(&self) {
        self.wait();
        self.post();
    }
}

impl Drop for PosixSem {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`; nobody waits on it any more.
        unsafe { libc::sem_destroy(self.s.as_ptr()) };
    }
}

/// A process-shared `pthread_barrier_t` in shared memory.
pub struct PthreadBarrier {
    b: Shm<libc::pthread_barrier_t>,
}

impl PthreadBarrier {
    /// A barrier for `parties` parties, `PTHREAD_PROCESS_SHARED`.
    pub fn new(parties: u32) -> PthreadBarrier {
        // SAFETY: pthread_barrier_t is plain bytes; pthread_barrier_init initialises it
        // below before any use.
        let b = unsafe { Shm::<libc::pthread_barrier_t>::zeroed() };
        let mut attr = MaybeUninit::<libc::pthread_barrierattr_t>::uninit();
        let a = attr.as_mut_ptr();
        // SAFETY: the attribute lives from its init to its destroy; `b` is mapped memory
        // nobody else sees yet.
        unsafe {
            check(
                libc::pthread_barrierattr_init(a),
                "pthread_barrierattr_init",
            );
            check(
                libc::pthread_barrierattr_setpshared(a, libc::PTHREAD_PROCESS_SHARED),
                "pthread_barrierattr_setpshared",
            );
            check(
                libc::pthread_barrier_init(b.as_ptr(), attr.as_ptr(), parties),
                "pthread_barrier_init",
            );
            libc::pthread_barrierattr_destroy(a);
        }
        PthreadBarrier { b }
    }
}

impl Cycle for PthreadBarrier {
    /// One `pthread_barrier_wait`.
    #[inline]
    fn cycle(&self) {
        // SAFETY: initialised in `new`, destroyed only in `drop`.
        let r = unsafe { libc::pthread_barrier_wait(self.b.as_ptr()) };
        assert!(
            r == 0 || r == libc::PTHREAD_BARRIER_SERIAL_THREAD,
            "pthread_barrier_wait: {}",
            std::io::Error::from_raw_os_error(r)
        );
    }
}

impl Drop for PthreadBarrier {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`; nobody waits on it any more.
        unsafe { libc::pthread_barrier_destroy(self.b.as_ptr()) };
    }
}

/// A process-shared `pthread_rwlock_t` in shared memory (glibc's default kind, which
/// prefers readers).
pub struct PthreadRwLock {
    rw: Shm<libc::pthread_rwlock_t>,
}

impl PthreadRwLock {
    /// An unlocked read-write lock, `PTHREAD_PROCESS_SHARED`.
    pub fn new() -> PthreadRwLock {
        // SAFETY: pthread_rwlock_t is plain bytes; pthread_rwlock_init initialises it below
        // before any use.
        let rw = unsafe { Shm::<libc::pthread_rwlock_t>::zeroed() };
        let mut attr = MaybeUninit::<libc::pthread_rwlockattr_t>::uninit();
        let a = attr.as_mut_ptr();
        // SAFETY: the attribute lives from its init to its destroy; `rw` is mapped memory
        // nobody else sees yet.
        unsafe {
            check(libc::pthread_rwlockattr_init(a), "pthread_rwlockattr_init");
            check(
                libc::pthread_rwlockattr_setpshared(a, libc::PTHREAD_PROCESS_SHARED),
                "pthread_rwlockattr_setpshared",
            );
            check(
                libc::pthread_rwlock_init(rw.as_ptr(), attr.as_ptr()),
                "pthread_rwlock_init",
            );
            libc::pthread_rwlockattr_destroy(a);
        }
        PthreadRwLock { rw }
    }

    /// Takes a read lock.
    #[inline]
    pub fn read(&self) {
        // SAFETY: initialised in `new`, destroyed only in `drop`.
        check(
            unsafe { libc::pthread_rwlock_rdlock(self.rw.as_ptr()) },
            "pthread_rwlock_rdlock",
        );
    }

    /// Takes the write lock.
    #[inline]
    pub fn write(&self) {
        // SAFETY: initialised in `new`, destroyed only in `drop`.
        check(
            unsafe { libc::pthread_rwlock_wrlock(self.rw.as_ptr()) },
            "pthread_rwlock_wrlock",
        );
    }

    /// Releases the read or write lock the calling thread holds.
    #[inline]
    pub fn unlock(&self) {
        // SAFETY: initialised in `new`; every caller unlocks what it locked.
        check(
            unsafe { libc::pthread_rwlock_unlock(self.rw.as_ptr()) },
            "pthread_rwlock_unlock",
        );
    }
}

impl Drop for PthreadRwLock {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, unlocked, and no longer used.
        unsafe { libc::pthread_rwlock_destroy(self.rw.as_ptr()) };
    }
}
