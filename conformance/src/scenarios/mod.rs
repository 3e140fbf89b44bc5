//! Scenario bodies, written once and run by every driver.
//!
//! A scenario ([`family::Scenario`](crate::family::Scenario)) is a set of worker bodies
//! (`body(subject, scratch, worker_index, params, checks)`) plus an end-of-run check. The
//! drivers differ only in how they start the workers (loom or shuttle model threads, std
//! threads, real processes) and where the subject and the [`Scratch`] state live (heap or
//! shared memory). The bodies use `twinsync::sync` atomics, so the same code is explored by
//! loom and shuttle.

pub mod barrier;
pub mod condition;
pub mod event;
pub mod lock;
pub mod pipe;
pub mod queue;
pub mod rlock;
pub mod rwlock;
pub mod semaphore;

use std::time::Duration;

use twinsync::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};

use crate::report::Status;

/// Most workers a scenario may have (the size of [`Scratch::ids`]).
pub const MAX_WORKERS: usize = 8;
/// Number of [`Scratch::slots`].
pub const SLOTS: usize = 32;

/// Whether the build can measure time. Under loom and shuttle there is no clock in the model:
/// timed waits report a timeout at once, so elapsed-time requirements are not checkable.
pub const HAS_CLOCK: bool = !cfg!(any(twinsync_loom, twinsync_shuttle));

/// Why an elapsed-time requirement is not checkable under a checker.
pub const NO_CLOCK: &str = "no clock in the model (the result was checked, the waiting time \
                            cannot be)";

/// Per-clause outcomes gathered by a worker body or an end-of-run check.
///
/// ```
/// use twinsync_conformance::scenarios::Checks;
/// let mut c = Checks::default();
/// c.check("LOCK-01", true, || unreachable!());
/// c.check("LOCK-05", false, || "release of a free lock returned Ok".into());
/// assert_eq!(c.first_failure().unwrap(), "[LOCK-05] release of a free lock returned Ok");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Checks {
    /// (clause, outcome), in the order checked. A clause may appear several times.
    pub items: Vec<(&'static str, Status)>,
    /// Operations recorded for the linearizability check (see [`Checks::record`]).
    pub history: Vec<RawOp>,
}

/// One recorded operation, in a family-neutral encoding: the family's history check decodes
/// `op`, `arg` and `res` (see [`Family::check_history`](crate::family::Family::check_history)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawOp {
    /// The worker that called it.
    pub client: u32,
    /// Call time ([`now`]).
    pub call: u64,
    /// Return time ([`now`]), or [`PENDING`] if it never returned.
    pub ret: u64,
    /// Operation code (family-defined).
    pub op: u32,
    /// Operation argument (family-defined; e.g. a value put in a queue).
    pub arg: u64,
    /// Result (family-defined).
    pub res: u64,
}

/// [`RawOp::ret`] of an operation that never returned.
pub const PENDING: u64 = u64::MAX;

/// A timestamp for histories: `CLOCK_MONOTONIC` nanoseconds in a normal build (system-wide,
/// so histories of several processes merge); under loom and shuttle, which have no clock, a
/// global logical clock that ticks at every call, which respects the real-time order of the
/// model's operations.
pub fn now() -> u64 {
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec to the valid, exclusive pointer we pass;
        // CLOCK_MONOTONIC is always supported on Linux.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        (ts.tv_sec as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(ts.tv_nsec as u64)
    }
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    {
        // A plain std atomic, outside the model: the checkers run one model thread at a time,
        // so its order is the execution's order, and it must not add happens-before edges.
        static CLOCK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        CLOCK.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    }
}

impl Checks {
    /// Records whether `clause` held; `msg` describes the failure.
    pub fn check(&mut self, clause: &'static str, ok: bool, msg: impl FnOnce() -> String) {
        let status = if ok {
            Status::Pass
        } else {
            let m = msg();
            // Under a checker, stop the execution at the first failure so that the checker
            // reports this schedule (and not, say, a deadlock that the bug causes later).
            if cfg!(any(twinsync_loom, twinsync_shuttle)) {
                panic!("[{clause}] {m}");
            }
            Status::Fail(m)
        };
        self.items.push((clause, status));
    }

    /// Records an elapsed-time requirement: `ok` is the result part, `timely` the timing
    /// part. Without a clock only the result part is checked and the clause is not checkable.
    pub fn check_timed(
        &mut self,
        clause: &'static str,
        ok: bool,
        timely: bool,
        msg: impl FnOnce() -> String,
    ) {
        if HAS_CLOCK || !ok {
            self.check(clause, ok && timely, msg);
        } else {
            self.items
                .push((clause, Status::NotCheckable(NO_CLOCK.to_owned())));
        }
    }

    /// Records an outcome as is. Unlike [`check`](Self::check) it never panics: drivers use
    /// it for what they conclude outside a model execution.
    pub fn push(&mut self, clause: &'static str, status: Status) {
        self.items.push((clause, status));
    }

    /// Records that `clause` cannot be checked here, and why.
    pub fn not_checkable(&mut self, clause: &'static str, reason: &str) {
        self.items
            .push((clause, Status::NotCheckable(reason.to_owned())));
    }

    /// Appends another worker's outcomes.
    pub fn merge(&mut self, other: Checks) {
        self.items.extend(other.items);
        self.history.extend(other.history);
    }

    /// Records an operation for the linearizability check: `call` taken with [`now`] before
    /// calling, the return time taken here.
    pub fn record(&mut self, client: usize, call: u64, op: u32, arg: u64, res: u64) {
        let ret = now();
        self.history.push(RawOp {
            client: client as u32,
            call,
            ret,
            op,
            arg,
            res,
        });
    }

    /// The first failure, tagged with its clause: `"[LOCK-07] ..."`.
    pub fn first_failure(&self) -> Option<String> {
        self.items.iter().find_map(|(c, s)| match s {
            Status::Fail(m) => Some(format!("[{c}] {m}")),
            _ => None,
        })
    }

    /// Whether any outcome is a failure.
    pub fn failed(&self) -> bool {
        self.first_failure().is_some()
    }
}

/// Yields the processor: to the checker's scheduler under loom and shuttle, to the OS
/// otherwise. Every spin-wait in a scenario body calls it.
#[inline]
pub fn yield_now() {
    #[cfg(twinsync_loom)]
    loom::thread::yield_now();
    #[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
    shuttle::thread::yield_now();
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    std::thread::yield_now();
}

/// An id for the calling worker that [`wait_until_blocked`] understands: the kernel TID in a
/// normal build (valid system-wide, so across processes too), the facade's id under a checker.
pub fn worker_id() -> u32 {
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    return twinsync::sys::tid::current();
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    return twinsync::sync::current_id();
}

/// Waits (spinning with yields) until the thread `tid` is asleep in the kernel, as a blocked
/// acquirer is; gives up after `bound` and returns false.
///
/// This is how the real-thread and real-process drivers make sure a lost wake-up is *reached*
/// (the acquirer really sleeps before the release) without sleeping for synchronization: it
/// reads the thread's state (`S`, interruptible sleep) from `/proc/<tid>/stat`. The bound is a
/// failure detector only. Under a checker it returns true at once: the checker itself explores
/// the schedules in which the acquirer sleeps before the release.
pub fn wait_until_blocked(tid: u32, bound: std::time::Duration) -> bool {
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    {
        let t0 = std::time::Instant::now();
        let path = format!("/proc/{tid}/stat");
        loop {
            if let Ok(s) = std::fs::read_to_string(&path) {
                // "pid (comm) S ...": the state follows the last ')'.
                let state = s
                    .rsplit_once(')')
                    .and_then(|(_, r)| r.trim_start().chars().next());
                if state == Some('S') {
                    return true;
                }
            }
            if t0.elapsed() > bound {
                return false;
            }
            std::thread::yield_now();
        }
    }
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    {
        let _ = (tid, bound);
        true
    }
}

/// Spins (with [`yield_now`]) until `cond` holds.
#[inline]
pub fn spin_until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        yield_now();
    }
}

/// Sizes of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Workers of the contention scenarios (at most [`MAX_WORKERS`]).
    pub workers: usize,
    /// Iterations per worker in the contention scenarios.
    pub iters: u32,
    /// Sleepers in the wake-up scenarios (at most `MAX_WORKERS - 1`).
    pub waiters: usize,
    /// The timeout tried where a timeout must expire (e.g. LOCK-03).
    pub timeout: Duration,
    /// How long a worker waits for the others to be asleep in the kernel before going on
    /// anyway (a failure detector; real drivers only).
    pub block_bound: Duration,
}

impl Params {
    /// Encodes as text, for a child process's argument.
    pub fn encode(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.workers,
            self.iters,
            self.waiters,
            self.timeout.as_nanos(),
            self.block_bound.as_nanos()
        )
    }

    /// Decodes [`encode`](Self::encode)'s output.
    pub fn decode(s: &str) -> Option<Params> {
        let v: Vec<u64> = s
            .split(' ')
            .map(|x| x.parse().ok())
            .collect::<Option<_>>()?;
        let [w, i, k, t, b] = v[..] else { return None };
        let p = Params {
            workers: usize::try_from(w).ok()?,
            iters: u32::try_from(i).ok()?,
            waiters: usize::try_from(k).ok()?,
            timeout: Duration::from_nanos(t),
            block_bound: Duration::from_nanos(b),
        };
        (p.workers <= MAX_WORKERS && p.waiters < MAX_WORKERS).then_some(p)
    }
}

/// State shared by a scenario's workers, besides the subject: handshakes, counters, results.
/// The named fields serve every family; [`slots`](Self::slots) is free for a family's own
/// counters (each scenario documents its use).
///
/// # Layout
///
/// `#[repr(C)]`, all atomics, valid when zeroed; in the real-process driver it lives in a
/// named shared-memory segment that every worker process opens.
#[repr(C)]
#[derive(Debug)]
pub struct Scratch {
    /// Workers inside the critical section right now.
    pub inside: AtomicU32,
    /// Times a worker found someone else inside (LOCK-07).
    pub violations: AtomicU32,
    /// Incremented non-atomically (load, then store) inside the critical section.
    pub counter: AtomicU64,
    /// Handshake step between workers.
    pub step: AtomicU32,
    /// Workers that have published their id in [`ids`](Self::ids).
    pub ready: AtomicU32,
    /// Worker ids (see [`worker_id`]).
    pub ids: [AtomicU32; MAX_WORKERS],
    /// Workers that finished their body.
    pub done: AtomicU32,
    /// Bit `i` set: the `i`-th clause of the family's catalog passed somewhere (set by process
    /// workers; see [`clause_bit`]).
    pub passed: AtomicU64,
    /// Bit `i` set: the `i`-th clause of the family's catalog failed somewhere.
    pub failed: AtomicU64,
    /// General-purpose counters for a family's scenarios.
    pub slots: [AtomicU64; SLOTS],
    /// Process workers that have opened both named segments (the parent then unlinks the
    /// names at once, so a run killed midway leaves nothing in `/dev/shm`).
    pub attached: AtomicU32,
}

// SAFETY: `#[repr(C)]`, only atomics (plain integers), no pointers, no destructor.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
unsafe impl twinsync::process::ShmSafe for Scratch {}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

impl Scratch {
    /// All zero.
    pub fn new() -> Self {
        Scratch {
            inside: AtomicU32::new(0),
            violations: AtomicU32::new(0),
            counter: AtomicU64::new(0),
            step: AtomicU32::new(0),
            ready: AtomicU32::new(0),
            attached: AtomicU32::new(0),
            ids: std::array::from_fn(|_| AtomicU32::new(0)),
            done: AtomicU32::new(0),
            passed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            slots: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Publishes a worker's per-clause outcomes as bits (for process workers).
    pub fn publish(&self, checks: &Checks) {
        for (clause, status) in &checks.items {
            let Some(bit) = clause_bit(clause) else {
                continue;
            };
            match status {
                crate::report::Status::Pass => self.passed.fetch_or(bit, Relaxed),
                crate::report::Status::Fail(_) => self.failed.fetch_or(bit, Relaxed),
                // Bodies never produce a deviation: drivers derive it from a failure.
                crate::report::Status::NotCheckable(_) | crate::report::Status::Deviates(_) => 0,
            };
        }
    }
}

/// `1 << i` where `i` is `clause`'s position in its family's catalog (every catalog has at
/// most 64 clauses; a test checks it).
///
/// ```
/// use twinsync_conformance::scenarios::clause_bit;
/// assert_eq!(clause_bit("LOCK-01"), Some(1));
/// assert_eq!(clause_bit("LOCK-03"), Some(4));
/// assert_eq!(clause_bit("NOPE-01"), None);
/// ```
pub fn clause_bit(clause: &str) -> Option<u64> {
    crate::spec::CATALOGS.iter().find_map(|cat| {
        let i = cat.iter().position(|c| c.id == clause)?;
        (i < 64).then(|| 1u64 << i)
    })
}

/// The signal [`interrupt`] sends: `SIGURG`, whose default action is to ignore it, so that
/// a stray one harms nothing.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
const INTERRUPT: libc::c_int = libc::SIGURG;

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
extern "C" fn on_interrupt(_: libc::c_int) {}

/// Installs an empty handler for the signal [`interrupt`] sends, without `SA_RESTART`, so
/// that a thread asleep in a futex wait wakes with `EINTR`: a spurious wake-up on demand.
/// Process-wide and idempotent. Under a checker it does nothing.
pub fn catch_interrupts() {
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    // SAFETY: sigaction with a zeroed (then filled) struct: an empty `extern "C"` handler
    // that touches nothing, an empty mask, flags 0 (no SA_RESTART, no SA_SIGINFO); the old
    // action is not needed.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut sa.sa_mask);
        sa.sa_flags = 0;
        libc::sigaction(INTERRUPT, &sa, std::ptr::null_mut());
    }
}

/// Interrupts thread `tid` (a [`worker_id`], valid system-wide) with the signal that
/// [`catch_interrupts`] handles: a futex sleep in that thread returns early. Under a checker
/// it does nothing.
pub fn interrupt(tid: u32) {
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    // SAFETY: tkill sends a signal to one thread; no memory is passed. A thread that has
    // exited (or a recycled id of the same user) gets a signal whose handler does nothing, or
    // whose default action is to be ignored.
    unsafe {
        libc::syscall(
            libc::SYS_tkill,
            tid as libc::c_long,
            INTERRUPT as libc::c_long,
        );
    }
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    let _ = tid;
}
