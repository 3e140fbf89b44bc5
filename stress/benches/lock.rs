//! Lock benchmarks: twinsync's two Lock versions next to their peers, all in one run.
//!
//! Run `cargo xtask bench [--quick] [FILTER]`, which runs this bench and prints the ratio
//! tables, or run it alone with
//! `cargo bench -p twinsync-stress --features bench --bench lock -- [FILTER]`.
//!
//! # What is measured
//!
//! | group | one iteration | implementations |
//! |---|---|---|
//! | `lock_uncontended` | one acquire + release on one thread, nobody else near the lock | all |
//! | `lock_contended_2threads` | two threads each do one acquire + release (empty critical section) on the same lock | all |
//! | `lock_contended_2processes` | the same with two forked processes | those whose state lives in shared memory |
//!
//! In the contended groups a sample is timed inside the racers: both wait at a start line,
//! each runs N cycles, and the sample's time is from the earliest start to the latest finish
//! (thread start-up and `fork` are outside it). Criterion reports that time divided by N:
//! the time for one operation of *each* racer, so a pair of operations.
//!
//! # The implementations (benchmark ids)
//!
//! | id | what | in shared memory |
//! |---|---|---|
//! | `reference` | [`Reference`]: Drepper's three-state futex mutex on a shared futex | yes |
//! | `twinsync-thread` | `twinsync::thread::Lock` (private futex) | no |
//! | `twinsync-process` | `twinsync::process::Lock::new()` (anonymous shared segment) | yes |
//! | `std` | `std::sync::Mutex<()>` | no |
//! | `parking_lot` | `parking_lot::Mutex<()>` | no |
//! | `pthread-pshared` | `pthread_mutex_t`, `PTHREAD_PROCESS_SHARED` | yes |
//! | `pthread-robust` | the same, also `PTHREAD_MUTEX_ROBUST` | yes |
//! | `sem_t` | POSIX semaphore, `pshared = 1`, initial value 1, wait/post as lock/unlock | yes |
//!
//! Every shared-memory lock sits alone at the start of its own anonymous `MAP_SHARED`
//! mapping, so no two locks share a cache line.
//!
//! # Reading the numbers
//!
//! Absolute times move 5-20% between runs on a 2-core machine; ratios against the reference
//! measured in the same run move about 1-3% (DESIGN.md, section 6). So read ratios:
//! `cargo xtask bench` prints, per group, each implementation's time divided by the
//! reference's for the uncontended group (lower is better) and the reference's time divided
//! by the implementation's, i.e. relative throughput, for the contended groups (higher is
//! better), next to the DESIGN.md target where there is one.

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::ops::Deref;
use std::panic::AssertUnwindSafe;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::PoisonError;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use twinsync::LockApi;

/// One acquire and one release with an empty critical section: what every group repeats.
trait Cycle: Sync {
    fn cycle(&self);
}

// ---------------------------------------------------------------------------------------
// Shared memory
// ---------------------------------------------------------------------------------------

/// A `T` alone in an anonymous `MAP_SHARED` mapping: children forked after it is made see
/// the same memory. Page-aligned, so aligned for every type used here.
struct Shm<T> {
    ptr: NonNull<T>,
}

// SAFETY: a `Shm<T>` only hands out `&T` (and a raw pointer for C objects that are
// synchronized by the C library), so it is as thread-safe as `T`.
unsafe impl<T: Sync> Sync for Shm<T> {}
// SAFETY: the mapping is not tied to the thread that made it.
unsafe impl<T: Send> Send for Shm<T> {}

impl<T> Shm<T> {
    /// A fresh mapping holding an all-zero `T`.
    ///
    /// # Safety
    ///
    /// All-zero bytes must be a valid value of `T`.
    unsafe fn zeroed() -> Shm<T> {
        assert!(std::mem::align_of::<T>() <= 4096);
        let len = std::mem::size_of::<T>().max(1);
        // SAFETY: a new anonymous mapping (zero-filled by the kernel); no existing memory is
        // touched.
        let p = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert!(
            p != libc::MAP_FAILED,
            "mmap: {}",
            std::io::Error::last_os_error()
        );
        Shm {
            ptr: NonNull::new(p.cast()).expect("mmap returned null"),
        }
    }

    /// The object's address, for the C functions that take a `*mut`.
    fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<T> Deref for Shm<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the mapping lives as long as `self`, holds a valid `T` (zeroed's contract)
        // and is only ever mutated through `T`'s own interior mutability or by C functions
        // that own the object's synchronization.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> Drop for Shm<T> {
    fn drop(&mut self) {
        let len = std::mem::size_of::<T>().max(1);
        // SAFETY: unmaps exactly the mapping made in `zeroed`; no reference outlives `self`.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), len) };
    }
}

// ---------------------------------------------------------------------------------------
// The reference
// ---------------------------------------------------------------------------------------

/// The reference: the minimal three-state futex mutex of Drepper's "Futexes Are Tricky"
/// ("mutex2"), on a **shared** futex (no `FUTEX_PRIVATE_FLAG`), so that it works across
/// processes and costs what a process-shared lock must cost at least.
///
/// The word is [`FREE`], [`LOCKED`] (no one waits) or [`CONTENDED`] (someone may sleep).
struct Reference {
    word: Shm<AtomicU32>,
}

/// Nobody holds the lock.
const FREE: u32 = 0;
/// Held, and nobody is asleep on the word: release needs no system call.
const LOCKED: u32 = 1;
/// Held, and a waiter may be asleep: release must wake one.
const CONTENDED: u32 = 2;

impl Reference {
    fn new() -> Reference {
        Reference {
            // SAFETY: an all-zero AtomicU32 is a valid atomic holding FREE.
            word: unsafe { Shm::zeroed() },
        }
    }

    #[inline]
    fn lock(&self) {
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
            futex(&self.word, libc::FUTEX_WAIT, CONTENDED);
        }
    }

    #[inline]
    fn unlock(&self) {
        if self.word.swap(FREE, Ordering::Release) == CONTENDED {
            // One wake is enough: the woken waiter re-marks the word CONTENDED, so the next
            // release wakes the next sleeper.
            futex(&self.word, libc::FUTEX_WAKE, 1);
        }
    }
}

/// `futex(word, op, val)` with no timeout, shared (not private) scope. Errors (`EAGAIN` when
/// the word changed, `EINTR`) only send the caller round its loop again.
fn futex(word: &AtomicU32, op: libc::c_int, val: u32) {
    // SAFETY: FUTEX_WAIT / FUTEX_WAKE on the address of a live, aligned u32; the timeout and
    // second address are null, which both operations accept.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            op,
            val,
            ptr::null::<libc::timespec>(),
            ptr::null::<u32>(),
            0u32,
        )
    };
}

impl Cycle for Reference {
    #[inline]
    fn cycle(&self) {
        self.lock();
        self.unlock();
    }
}

// ---------------------------------------------------------------------------------------
// The peers
// ---------------------------------------------------------------------------------------

impl Cycle for twinsync::thread::Lock {
    #[inline]
    fn cycle(&self) {
        self.acquire();
        self.release().expect("release of a held Lock");
    }
}

impl Cycle for twinsync::process::Lock {
    #[inline]
    fn cycle(&self) {
        self.acquire();
        self.release().expect("release of a held Lock");
    }
}

impl Cycle for std::sync::Mutex<()> {
    #[inline]
    fn cycle(&self) {
        drop(black_box(
            self.lock().unwrap_or_else(PoisonError::into_inner),
        ));
    }
}

impl Cycle for parking_lot::Mutex<()> {
    #[inline]
    fn cycle(&self) {
        drop(black_box(self.lock()));
    }
}

/// Panics with the name of a pthread call that returned an error number.
fn check(ret: libc::c_int, what: &str) {
    assert!(
        ret == 0,
        "{what}: {}",
        std::io::Error::from_raw_os_error(ret)
    );
}

/// A process-shared `pthread_mutex_t` in shared memory, optionally robust.
struct PthreadMutex {
    m: Shm<libc::pthread_mutex_t>,
}

impl PthreadMutex {
    fn new(robust: bool) -> PthreadMutex {
        // SAFETY: pthread_mutex_t is plain bytes, so all zeroes is a value of the type; it
        // is initialised with pthread_mutex_init below before any use.
        let m = unsafe { Shm::<libc::pthread_mutex_t>::zeroed() };
        let mut attr = MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
        // SAFETY:
        // - `attr` is initialised by pthread_mutexattr_init before the other attr calls and
        //   destroyed after pthread_mutex_init, which copies what it needs;
        // - `m` points to mapped, unused memory that nobody else sees yet.
        unsafe {
            check(
                libc::pthread_mutexattr_init(attr.as_mut_ptr()),
                "pthread_mutexattr_init",
            );
            check(
                libc::pthread_mutexattr_setpshared(attr.as_mut_ptr(), libc::PTHREAD_PROCESS_SHARED),
                "pthread_mutexattr_setpshared",
            );
            if robust {
                check(
                    libc::pthread_mutexattr_setrobust(
                        attr.as_mut_ptr(),
                        libc::PTHREAD_MUTEX_ROBUST,
                    ),
                    "pthread_mutexattr_setrobust",
                );
            }
            check(
                libc::pthread_mutex_init(m.as_ptr(), attr.as_ptr()),
                "pthread_mutex_init",
            );
            libc::pthread_mutexattr_destroy(attr.as_mut_ptr());
        }
        PthreadMutex { m }
    }
}

impl Cycle for PthreadMutex {
    #[inline]
    fn cycle(&self) {
        // SAFETY: the mutex was initialised in `new` and is destroyed only in `drop`; every
        // caller unlocks what it locked, on the same thread.
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
            check(
                libc::pthread_mutex_unlock(self.m.as_ptr()),
                "pthread_mutex_unlock",
            );
        }
    }
}

impl Drop for PthreadMutex {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, unlocked (every cycle unlocks), and no longer used.
        unsafe { libc::pthread_mutex_destroy(self.m.as_ptr()) };
    }
}

/// A process-shared POSIX semaphore in shared memory, starting at 1, used as a lock.
struct Semaphore {
    s: Shm<libc::sem_t>,
}

impl Semaphore {
    fn new() -> Semaphore {
        // SAFETY: sem_t is plain bytes, so all zeroes is a value of the type; sem_init
        // initialises it below before any use.
        let s = unsafe { Shm::<libc::sem_t>::zeroed() };
        // SAFETY: `s` points to mapped memory that nobody else uses yet.
        let r = unsafe { libc::sem_init(s.as_ptr(), 1, 1) };
        assert!(r == 0, "sem_init: {}", std::io::Error::last_os_error());
        Semaphore { s }
    }
}

impl Cycle for Semaphore {
    #[inline]
    fn cycle(&self) {
        // SAFETY: initialised in `new`, destroyed only in `drop`.
        unsafe {
            while libc::sem_wait(self.s.as_ptr()) != 0 {
                let e = std::io::Error::last_os_error();
                assert!(e.raw_os_error() == Some(libc::EINTR), "sem_wait: {e}");
            }
            let r = libc::sem_post(self.s.as_ptr());
            assert!(r == 0, "sem_post: {}", std::io::Error::last_os_error());
        }
    }
}

impl Drop for Semaphore {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`; nobody waits on it any more.
        unsafe { libc::sem_destroy(self.s.as_ptr()) };
    }
}

/// Every implementation, made once and reused by all groups.
struct Peers {
    reference: Reference,
    thread: twinsync::thread::Lock,
    process: twinsync::process::Lock,
    std: std::sync::Mutex<()>,
    parking_lot: parking_lot::Mutex<()>,
    pthread: PthreadMutex,
    robust: PthreadMutex,
    sem: Semaphore,
}

impl Peers {
    fn new() -> Peers {
        Peers {
            reference: Reference::new(),
            thread: twinsync::thread::Lock::new(),
            process: twinsync::process::Lock::new().expect("process::Lock::new"),
            std: std::sync::Mutex::new(()),
            parking_lot: parking_lot::Mutex::new(()),
            pthread: PthreadMutex::new(false),
            robust: PthreadMutex::new(true),
            sem: Semaphore::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The racers of the contended groups
// ---------------------------------------------------------------------------------------

/// Start line and stopwatch of one contended sample, in shared memory so that forked
/// racers use it too. Times are `CLOCK_MONOTONIC` nanoseconds, comparable across processes.
#[repr(C)]
struct Race {
    /// Racers at the start line.
    ready: AtomicU32,
    /// When each racer started its loop.
    start_ns: [AtomicU64; 2],
    /// When each racer finished it.
    end_ns: [AtomicU64; 2],
}

impl Race {
    fn new() -> Shm<Race> {
        // SAFETY: Race is atomics only; all zeroes is a valid value.
        unsafe { Shm::zeroed() }
    }

    fn reset(&self) {
        self.ready.store(0, Ordering::Relaxed);
    }

    /// Runs racer `me`: waits until both racers are at the start line, then `iters` cycles.
    /// Only atomics, `clock_gettime` and the lock: fit for a forked child.
    fn run<L: Cycle>(&self, lock: &L, me: usize, iters: u64) {
        self.ready.fetch_add(1, Ordering::AcqRel);
        while self.ready.load(Ordering::Acquire) < 2 {
            // The other racer may not have been scheduled yet; give it the CPU.
            std::thread::yield_now();
        }
        let t0 = now_ns();
        for _ in 0..iters {
            lock.cycle();
        }
        let t1 = now_ns();
        self.start_ns[me].store(t0, Ordering::Release);
        self.end_ns[me].store(t1, Ordering::Release);
    }

    /// From the earliest start to the latest finish, once both racers are done.
    fn elapsed(&self) -> Duration {
        let start = self
            .start_ns
            .iter()
            .map(|t| t.load(Ordering::Acquire))
            .min();
        let end = self.end_ns.iter().map(|t| t.load(Ordering::Acquire)).max();
        Duration::from_nanos(end.unwrap_or(0).saturating_sub(start.unwrap_or(0)))
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds (the vDSO makes it a function call, not a system call).
fn now_ns() -> u64 {
    let mut ts = MaybeUninit::<libc::timespec>::uninit();
    // SAFETY: CLOCK_MONOTONIC always exists; `ts` is a valid out-pointer.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, ts.as_mut_ptr()) };
    assert!(r == 0, "clock_gettime: {}", std::io::Error::last_os_error());
    // SAFETY: clock_gettime succeeded, so it wrote `ts`.
    let ts = unsafe { ts.assume_init() };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// One contended sample with two threads: this one and a scoped helper.
fn two_threads<L: Cycle>(lock: &L, race: &Race, iters: u64) -> Duration {
    race.reset();
    std::thread::scope(|s| {
        s.spawn(|| race.run(lock, 1, iters));
        race.run(lock, 0, iters);
    });
    race.elapsed()
}

/// One contended sample with two forked processes; this one only waits for them.
fn two_processes<L: Cycle>(lock: &L, race: &Race, iters: u64) -> Duration {
    race.reset();
    let pids = [0, 1].map(|me| fork_racer(lock, race, me, iters));
    for pid in pids {
        let mut status = 0;
        // SAFETY: waits for our own child; `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(r == pid, "waitpid: {}", std::io::Error::last_os_error());
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "racer process failed (wait status {status:#x})"
        );
    }
    race.elapsed()
}

/// Forks a child that runs racer `me` and leaves with `_exit`; returns its pid.
fn fork_racer<L: Cycle>(lock: &L, race: &Race, me: usize, iters: u64) -> libc::pid_t {
    // SAFETY: the bench's main thread is the only thread here (criterion runs every bench
    // on it, and `two_threads` joins its helper), so the child inherits no lock held by a
    // thread that does not exist in it. `lock` and `race` live in MAP_SHARED mappings.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => panic!("fork: {}", std::io::Error::last_os_error()),
        0 => {
            let ok = std::panic::catch_unwind(AssertUnwindSafe(|| race.run(lock, me, iters)));
            // SAFETY: leaves the child at once, without unwinding into criterion or running
            // the parent's exit handlers.
            unsafe { libc::_exit(if ok.is_ok() { 0 } else { 1 }) }
        }
        child => child,
    }
}

// ---------------------------------------------------------------------------------------
// The groups
// ---------------------------------------------------------------------------------------

type Group<'a> = BenchmarkGroup<'a, WallTime>;

fn uncontended_one<L: Cycle>(g: &mut Group<'_>, id: &str, lock: &L) {
    g.bench_function(id, |b| b.iter(|| black_box(lock).cycle()));
}

fn uncontended(c: &mut Criterion) {
    let p = Peers::new();
    let mut g = c.benchmark_group("lock_uncontended");
    uncontended_one(&mut g, "reference", &p.reference);
    uncontended_one(&mut g, "twinsync-thread", &p.thread);
    uncontended_one(&mut g, "twinsync-process", &p.process);
    uncontended_one(&mut g, "std", &p.std);
    uncontended_one(&mut g, "parking_lot", &p.parking_lot);
    uncontended_one(&mut g, "pthread-pshared", &p.pthread);
    uncontended_one(&mut g, "pthread-robust", &p.robust);
    uncontended_one(&mut g, "sem_t", &p.sem);
    g.finish();
}

fn threads_one<L: Cycle>(g: &mut Group<'_>, id: &str, lock: &L, race: &Race) {
    g.bench_function(id, |b| {
        b.iter_custom(|iters| two_threads(lock, race, iters))
    });
}

fn contended_threads(c: &mut Criterion) {
    let p = Peers::new();
    let race = Race::new();
    let mut g = c.benchmark_group("lock_contended_2threads");
    // One iteration is one operation by each of the two racers.
    g.throughput(Throughput::Elements(2));
    threads_one(&mut g, "reference", &p.reference, &race);
    threads_one(&mut g, "twinsync-thread", &p.thread, &race);
    threads_one(&mut g, "twinsync-process", &p.process, &race);
    threads_one(&mut g, "std", &p.std, &race);
    threads_one(&mut g, "parking_lot", &p.parking_lot, &race);
    threads_one(&mut g, "pthread-pshared", &p.pthread, &race);
    threads_one(&mut g, "pthread-robust", &p.robust, &race);
    threads_one(&mut g, "sem_t", &p.sem, &race);
    g.finish();
}

fn processes_one<L: Cycle>(g: &mut Group<'_>, id: &str, lock: &L, race: &Race) {
    g.bench_function(id, |b| {
        b.iter_custom(|iters| two_processes(lock, race, iters))
    });
}

fn contended_processes(c: &mut Criterion) {
    let p = Peers::new();
    let race = Race::new();
    let mut g = c.benchmark_group("lock_contended_2processes");
    g.throughput(Throughput::Elements(2));
    // Shared-memory implementations only: the others would give each child its own copy.
    processes_one(&mut g, "reference", &p.reference, &race);
    processes_one(&mut g, "twinsync-process", &p.process, &race);
    processes_one(&mut g, "pthread-pshared", &p.pthread, &race);
    processes_one(&mut g, "pthread-robust", &p.robust, &race);
    processes_one(&mut g, "sem_t", &p.sem, &race);
    g.finish();
}

/// Short enough that the three groups take a few minutes on two cores; `cargo xtask bench
/// --quick` shortens it further from the command line (which overrides this).
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
}

criterion_group! {
    name = lock;
    config = config();
    targets = uncontended, contended_threads, contended_processes
}
criterion_main!(lock);
