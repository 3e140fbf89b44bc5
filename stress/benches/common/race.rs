//! The two-party harness of the contended and round-trip groups: two racers (threads or
//! forked processes), optionally pinned to CPUs, wait at a start line, each runs its side
//! `iters` times, and the sample's time runs from the earliest start to the latest finish.
//! Thread start-up, `fork` and pinning are outside it.

use std::mem::MaybeUninit;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use super::shm::Shm;

/// Where the two racers run: `pins[me]` is racer `me`'s CPU, `None` = wherever the
/// scheduler puts it.
pub type Pins = [Option<usize>; 2];

/// Both racers unpinned.
pub const UNPINNED: Pins = [None, None];
/// Both racers on CPU 0: every wake-up is a context switch on one core.
pub const SAME_CPU: Pins = [Some(0), Some(0)];
/// Racer 0 on CPU 0, racer 1 on CPU 1: every wake-up crosses cores.
pub const CROSS_CPU: Pins = [Some(0), Some(1)];

/// Pins the calling thread to `cpu`.
///
/// # Panics
///
/// If the CPU does not exist or is not allowed to this process (the round-trip groups
/// need CPUs 0 and 1).
pub fn pin_to(cpu: usize) {
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET bounds-checks `cpu` against the set's size (it ignores larger ones,
    // which then fail below as an empty set).
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: pid 0 is the calling thread; `set` is a valid cpu_set_t of the size passed.
    let r = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    assert!(
        r == 0,
        "sched_setaffinity(CPU {cpu}): {}",
        std::io::Error::last_os_error()
    );
}

/// `CLOCK_MONOTONIC` in nanoseconds (the vDSO makes it a function call, not a system call);
/// system-wide, so comparable across processes.
pub fn now_ns() -> u64 {
    let mut ts = MaybeUninit::<libc::timespec>::uninit();
    // SAFETY: CLOCK_MONOTONIC always exists; `ts` is a valid out-pointer.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, ts.as_mut_ptr()) };
    assert!(r == 0, "clock_gettime: {}", std::io::Error::last_os_error());
    // SAFETY: clock_gettime succeeded, so it wrote `ts`.
    let ts = unsafe { ts.assume_init() };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Start line and stopwatch of one sample, in shared memory so that forked racers use it
/// too.
#[repr(C)]
pub struct Race {
    /// Racers at the start line.
    ready: AtomicU32,
    /// When each racer started its loop.
    start_ns: [AtomicU64; 2],
    /// When each racer finished it.
    end_ns: [AtomicU64; 2],
}

impl Race {
    /// A start line in its own shared mapping.
    pub fn new() -> Shm<Race> {
        // SAFETY: Race is atomics only; all zeroes is a valid value.
        unsafe { Shm::zeroed() }
    }

    /// Runs racer `me`: pins it, waits until both racers are at the start line, then calls
    /// `side(me)` `iters` times. Only atomics, `clock_gettime`, `sched_setaffinity` and
    /// `side`: fit for a forked child when `side` is.
    fn run<F: Fn(usize)>(&self, me: usize, pin: Option<usize>, iters: u64, side: &F) {
        if let Some(cpu) = pin {
            pin_to(cpu);
        }
        self.ready.fetch_add(1, Ordering::AcqRel);
        while self.ready.load(Ordering::Acquire) < 2 {
            // The other racer may not have been scheduled yet (or shares our CPU).
            std::thread::yield_now();
        }
        let t0 = now_ns();
        for _ in 0..iters {
            side(me);
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

    /// One sample with two scoped threads (the caller only waits, so its own affinity is
    /// never changed): racer `me` calls `side(me)` `iters` times.
    pub fn two_threads<F: Fn(usize) + Sync>(&self, pins: Pins, iters: u64, side: &F) -> Duration {
        self.ready.store(0, Ordering::Relaxed);
        std::thread::scope(|s| {
            for (me, pin) in pins.into_iter().enumerate() {
                s.spawn(move || self.run(me, pin, iters, side));
            }
        });
        self.elapsed()
    }

    /// One sample with two forked processes; the caller only waits for them. Everything
    /// `side` touches across the two must live in shared memory.
    ///
    /// # Panics
    ///
    /// If `fork` fails or a racer process does not exit with status 0.
    pub fn two_processes<F: Fn(usize)>(&self, pins: Pins, iters: u64, side: &F) -> Duration {
        self.ready.store(0, Ordering::Relaxed);
        let pids = [0, 1].map(|me| self.fork_racer(me, pins[me], iters, side));
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
        self.elapsed()
    }

    /// Forks a child that runs racer `me` and leaves with `_exit`; returns its pid.
    fn fork_racer<F: Fn(usize)>(
        &self,
        me: usize,
        pin: Option<usize>,
        iters: u64,
        side: &F,
    ) -> libc::pid_t {
        // SAFETY: the bench's main thread is the only thread here (criterion runs every
        // bench on it, and `two_threads` joins its helpers), so the child inherits no lock
        // held by a thread that does not exist in it. The race lives in a MAP_SHARED
        // mapping.
        let pid = unsafe { libc::fork() };
        match pid {
            -1 => panic!("fork: {}", std::io::Error::last_os_error()),
            0 => {
                let ok =
                    std::panic::catch_unwind(AssertUnwindSafe(|| self.run(me, pin, iters, side)));
                // SAFETY: leaves the child at once, without unwinding into criterion or
                // running the parent's exit handlers.
                unsafe { libc::_exit(if ok.is_ok() { 0 } else { 1 }) }
            }
            child => child,
        }
    }
}
