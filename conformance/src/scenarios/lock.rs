//! Lock scenarios: the worker bodies and end-of-run checks every driver runs.
//!
//! | scenario | workers | clauses |
//! |---|---|---|
//! | [`Scenario::Sequential`] | 1 | LOCK-01..05, 09, 10 |
//! | [`Scenario::CrossRelease`] | 2 | LOCK-06 |
//! | [`Scenario::WakeOnRelease`] | 1 holder + `waiters` | LOCK-08, LOCK-07 |
//! | [`Scenario::MutualExclusion`] | `workers` | LOCK-07, LOCK-11, LOCK-08 |
//! | [`Scenario::TimeoutOnHeld`] | 2 | LOCK-03, LOCK-02 |

use std::time::{Duration, Instant};

use twinsync::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use twinsync::{Error, LockApi, TIMEOUT_MAX};

use super::{spin_until, wait_until_blocked, worker_id, yield_now, Checks, HAS_CLOCK};

/// Most workers a scenario may have (the size of [`Scratch::ids`]).
pub const MAX_WORKERS: usize = 8;

/// The scenarios, in the order drivers run them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// One worker walks through every operation on a free and a held lock.
    Sequential,
    /// Worker 0 acquires, worker 1 releases.
    CrossRelease,
    /// Worker 0 holds the lock until every other worker sleeps in `acquire`, then releases;
    /// every sleeper must get the lock in turn.
    WakeOnRelease,
    /// Every worker loops: acquire (rotating through the acquire forms), check it is alone,
    /// increment a shared counter non-atomically, release.
    MutualExclusion,
    /// Worker 0 holds the lock while worker 1 times out on it.
    TimeoutOnHeld,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 5] = [
        Scenario::Sequential,
        Scenario::CrossRelease,
        Scenario::WakeOnRelease,
        Scenario::MutualExclusion,
        Scenario::TimeoutOnHeld,
    ];

    /// Its name in reports and on command lines.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Sequential => "sequential",
            Scenario::CrossRelease => "cross_release",
            Scenario::WakeOnRelease => "wake_on_release",
            Scenario::MutualExclusion => "mutual_exclusion",
            Scenario::TimeoutOnHeld => "timeout_on_held",
        }
    }

    /// Looks a scenario up by [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The clauses it checks.
    pub fn clauses(self) -> &'static [&'static str] {
        match self {
            Scenario::Sequential => &[
                "LOCK-01", "LOCK-02", "LOCK-03", "LOCK-04", "LOCK-05", "LOCK-09", "LOCK-10",
            ],
            Scenario::CrossRelease => &["LOCK-06"],
            Scenario::WakeOnRelease => &["LOCK-08", "LOCK-07"],
            Scenario::MutualExclusion => &["LOCK-07", "LOCK-11", "LOCK-08"],
            Scenario::TimeoutOnHeld => &["LOCK-03", "LOCK-02"],
        }
    }

    /// How many workers it runs with `p`.
    pub fn workers(self, p: &Params) -> usize {
        match self {
            Scenario::Sequential => 1,
            Scenario::CrossRelease | Scenario::TimeoutOnHeld => 2,
            Scenario::WakeOnRelease => 1 + p.waiters,
            Scenario::MutualExclusion => p.workers,
        }
    }

    /// Whether termination (LOCK-08) is one of its clauses: a driver that sees it hang
    /// records a LOCK-08 failure.
    pub fn checks_progress(self) -> bool {
        self.clauses().contains(&"LOCK-08")
    }
}

/// Sizes of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Workers in [`Scenario::MutualExclusion`] (at most [`MAX_WORKERS`]).
    pub workers: usize,
    /// Iterations per worker in [`Scenario::MutualExclusion`].
    pub iters: u32,
    /// Sleeping acquirers in [`Scenario::WakeOnRelease`] (at most `MAX_WORKERS - 1`).
    pub waiters: usize,
    /// The timeout tried on a held lock (LOCK-03).
    pub timeout: Duration,
    /// How long the holder in [`Scenario::WakeOnRelease`] waits for the others to be asleep
    /// before releasing anyway (a failure detector; real drivers only).
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

/// State shared by a scenario's workers, besides the lock.
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
    /// Bit `n` set: clause `LOCK-n` passed somewhere (set by process workers).
    pub passed: AtomicU32,
    /// Bit `n` set: clause `LOCK-n` failed somewhere (set by process workers).
    pub failed: AtomicU32,
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
            passed: AtomicU32::new(0),
            failed: AtomicU32::new(0),
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
                crate::report::Status::NotCheckable(_) => 0,
            };
        }
    }
}

/// `1 << n` for clause `LOCK-n`.
pub fn clause_bit(clause: &str) -> Option<u32> {
    let n: u32 = clause.strip_prefix("LOCK-")?.parse().ok()?;
    (n < 32).then_some(1 << n)
}

/// Runs worker `me`'s part of `scenario`.
pub fn body<L: LockApi + ?Sized>(
    scenario: Scenario,
    lock: &L,
    s: &Scratch,
    me: usize,
    p: &Params,
) -> Checks {
    let mut c = Checks::default();
    match scenario {
        Scenario::Sequential => sequential(lock, p, &mut c),
        Scenario::CrossRelease => cross_release(lock, s, me, &mut c),
        Scenario::WakeOnRelease => wake_on_release(lock, s, me, p, &mut c),
        Scenario::MutualExclusion => mutual_exclusion(lock, s, me, p, &mut c),
        Scenario::TimeoutOnHeld => timeout_on_held(lock, s, me, p, &mut c),
    }
    s.done.fetch_add(1, Release);
    c
}

/// The end-of-run check, once every worker has finished (or been given up on).
pub fn finish(scenario: Scenario, s: &Scratch, p: &Params) -> Checks {
    let mut c = Checks::default();
    if scenario == Scenario::MutualExclusion {
        let v = s.violations.load(Acquire);
        c.check("LOCK-07", v == 0, || {
            format!("{v} critical sections found another holder")
        });
        let (got, want) = (
            s.counter.load(Acquire),
            p.workers as u64 * u64::from(p.iters),
        );
        c.check("LOCK-11", got == want, || {
            format!("counter is {got}, expected {want}: a critical section missed a write")
        });
    }
    c
}

fn released(c: &mut Checks, clause: &'static str, r: Result<(), Error>, what: &str) {
    c.check(clause, r.is_ok(), || {
        format!("{what}: release returned {r:?}")
    });
}

fn sequential<L: LockApi + ?Sized>(l: &L, p: &Params, c: &mut Checks) {
    let too_large = TIMEOUT_MAX + Duration::from_nanos(1);
    c.check("LOCK-01", !l.locked(), || "a new lock is locked()".into());
    c.check("LOCK-01", l.try_acquire(), || {
        "try_acquire on a free lock failed".into()
    });
    c.check("LOCK-01", l.locked(), || {
        "locked() is false after try_acquire".into()
    });
    c.check("LOCK-02", !l.try_acquire(), || {
        "the holder's try_acquire succeeded (reentrant)".into()
    });
    c.check("LOCK-02", l.locked(), || {
        "a failed try_acquire freed the lock".into()
    });
    let zero = l.acquire_timeout(Duration::ZERO);
    c.check_timed("LOCK-03", matches!(zero, Ok(false)), true, || {
        format!("acquire_timeout(0) on a held lock: {zero:?}")
    });
    let t0 = Instant::now();
    let r = l.acquire_timeout(p.timeout);
    let el = t0.elapsed();
    c.check_timed("LOCK-03", matches!(r, Ok(false)), el >= p.timeout, || {
        format!(
            "acquire_timeout({:?}) on a held lock: {r:?} after {el:?}",
            p.timeout
        )
    });
    let r = l.acquire_timeout(too_large);
    c.check(
        "LOCK-09",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("acquire_timeout(TIMEOUT_MAX + 1ns) on a held lock: {r:?}"),
    );
    c.check("LOCK-09", l.locked(), || {
        "a rejected timeout freed the lock".into()
    });
    released(c, "LOCK-04", l.release(), "holder");
    c.check("LOCK-04", !l.locked(), || {
        "locked() is true after release".into()
    });
    let r = l.release();
    c.check("LOCK-05", matches!(r, Err(Error::NotHeld)), || {
        format!("release of a free lock: {r:?}")
    });
    c.check("LOCK-05", !l.locked(), || {
        "release of a free lock made it locked".into()
    });
    let r = l.acquire_timeout(too_large);
    c.check(
        "LOCK-09",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("acquire_timeout(TIMEOUT_MAX + 1ns) on a free lock: {r:?}"),
    );
    c.check("LOCK-09", !l.locked(), || {
        "a rejected timeout acquired the lock".into()
    });
    l.acquire();
    c.check("LOCK-01", l.locked(), || {
        "locked() is false after acquire".into()
    });
    released(c, "LOCK-04", l.release(), "after acquire");
    let r = l.acquire_timeout(p.timeout);
    c.check("LOCK-01", matches!(r, Ok(true)) && l.locked(), || {
        format!("acquire_timeout on a free lock: {r:?}")
    });
    released(c, "LOCK-04", l.release(), "after acquire_timeout");
    let r = l.acquire_timeout(TIMEOUT_MAX);
    c.check("LOCK-09", matches!(r, Ok(true)), || {
        format!("acquire_timeout(TIMEOUT_MAX) on a free lock: {r:?}")
    });
    released(
        c,
        "LOCK-04",
        l.release(),
        "after acquire_timeout(TIMEOUT_MAX)",
    );
    // LOCK-10: each guard form releases on drop.
    {
        let g = l.lock();
        c.check("LOCK-10", g.lock().locked(), || {
            "lock() guard: lock not held".into()
        });
        c.check("LOCK-10", l.try_lock().is_none(), || {
            "try_lock on a guarded lock succeeded".into()
        });
        c.check("LOCK-10", l.locked(), || {
            "a failed try_lock released the lock held by another guard".into()
        });
        let r = l.lock_timeout(Duration::ZERO).map(|g| g.is_some());
        c.check("LOCK-10", matches!(r, Ok(false)) && l.locked(), || {
            format!(
                "lock_timeout(0) on a guarded lock: {r:?}, locked() {} afterwards",
                l.locked()
            )
        });
    }
    c.check("LOCK-10", !l.locked(), || {
        "lock() guard did not release on drop".into()
    });
    match l.try_lock() {
        Some(g) => drop(g),
        None => c.check("LOCK-10", false, || "try_lock on a free lock failed".into()),
    }
    c.check("LOCK-10", !l.locked(), || {
        "try_lock() guard did not release on drop".into()
    });
    match l.lock_timeout(p.timeout) {
        Ok(Some(g)) => drop(g),
        r => c.check("LOCK-10", false, || {
            format!("lock_timeout on a free lock: {:?}", r.map(|g| g.is_some()))
        }),
    }
    c.check("LOCK-10", !l.locked(), || {
        "lock_timeout() guard did not release on drop".into()
    });
    let r = l.lock_timeout(too_large).map(|g| g.is_some());
    c.check(
        "LOCK-09",
        matches!(r, Err(Error::TimeoutTooLarge { .. })) && !l.locked(),
        || format!("lock_timeout(TIMEOUT_MAX + 1ns): {r:?}"),
    );
}

fn cross_release<L: LockApi + ?Sized>(l: &L, s: &Scratch, me: usize, c: &mut Checks) {
    if me == 0 {
        l.acquire();
        s.step.store(1, Release);
        spin_until(|| s.step.load(Acquire) == 2);
        c.check("LOCK-06", !l.locked(), || {
            "still locked after another worker released it".into()
        });
        c.check("LOCK-06", l.try_acquire(), || {
            "cannot re-acquire after another worker released it".into()
        });
        released(c, "LOCK-04", l.release(), "after the cross release");
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
        c.check("LOCK-06", l.locked(), || {
            "not locked while another worker holds it".into()
        });
        let r = l.release();
        c.check("LOCK-06", r.is_ok(), || {
            format!("release by a non-holder: {r:?}")
        });
        s.step.store(2, Release);
    }
}

fn critical_section(s: &Scratch, c: &mut Checks, clause: &'static str) {
    let others = s.inside.fetch_add(1, Relaxed);
    if others != 0 {
        s.violations.fetch_add(1, Relaxed);
        c.check(clause, false, || {
            format!("entered while {others} other holder(s) were inside")
        });
    }
    let v = s.counter.load(Relaxed);
    s.counter.store(v + 1, Relaxed);
    s.inside.fetch_sub(1, Relaxed);
}

fn wake_on_release<L: LockApi + ?Sized>(l: &L, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    if me == 0 {
        l.acquire();
        s.step.store(1, Release);
        let waiters = p.waiters as u32;
        spin_until(|| s.ready.load(Acquire) == waiters);
        for id in &s.ids[1..=p.waiters] {
            // Best effort: if a waiter is not seen asleep in time, release anyway (a correct
            // lock still passes; a lost wake-up may then go unseen in this run).
            wait_until_blocked(id.load(Acquire), p.block_bound);
        }
        released(c, "LOCK-08", l.release(), "holder");
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
        s.ids[me].store(worker_id(), Relaxed);
        s.ready.fetch_add(1, Release);
        l.acquire();
        critical_section(s, c, "LOCK-07");
        released(c, "LOCK-08", l.release(), "woken waiter");
        c.check("LOCK-08", true, String::new);
    }
}

fn mutual_exclusion<L: LockApi + ?Sized>(
    l: &L,
    s: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if HAS_CLOCK {
        // Real threads and processes: start together, or the first worker may finish before
        // the last one starts and nothing contends. (A checker explores every start order.)
        s.ready.fetch_add(1, Release);
        spin_until(|| s.ready.load(Acquire) == p.workers as u32);
    }
    for i in 0..p.iters as usize {
        // Rotate through the acquire forms, so that each meets the others under contention.
        match (me + i) % 4 {
            0 => l.acquire(),
            1 => {
                let _g = l.lock();
                critical_section(s, c, "LOCK-07");
                continue;
            }
            2 => spin_until(|| l.try_acquire()),
            _ => loop {
                // Under a checker a timed acquire on a held lock fails at once: retry.
                match l.acquire_timeout(Duration::from_secs(60)) {
                    Ok(true) => break,
                    Ok(false) => yield_now(),
                    Err(e) => {
                        c.check("LOCK-01", false, || format!("acquire_timeout(60 s): {e}"));
                        return;
                    }
                }
            },
        }
        critical_section(s, c, "LOCK-07");
        if let Err(e) = l.release() {
            c.check("LOCK-07", false, || {
                format!("the holder's release failed ({e}): another holder released it")
            });
        }
    }
    c.check("LOCK-08", true, String::new);
}

fn timeout_on_held<L: LockApi + ?Sized>(l: &L, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    if me == 0 {
        l.acquire();
        s.step.store(1, Release);
        spin_until(|| s.step.load(Acquire) == 2);
        released(c, "LOCK-04", l.release(), "holder");
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
        c.check("LOCK-02", !l.try_acquire(), || {
            "try_acquire on a lock held by another worker succeeded".into()
        });
        let t0 = Instant::now();
        let r = l.acquire_timeout(p.timeout);
        let el = t0.elapsed();
        c.check_timed("LOCK-03", matches!(r, Ok(false)), el >= p.timeout, || {
            format!(
                "acquire_timeout({:?}) on a lock held by another worker: {r:?} after {el:?}",
                p.timeout
            )
        });
        s.step.store(2, Release);
    }
}
