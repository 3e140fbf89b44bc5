//! What every scenario shares: the control block its workers and the parent meet in, the
//! start/stop protocol, the watchdog, and the report.
//!
//! # Protocol
//!
//! 1. The scenario starts its workers (threads or forked processes). Each worker announces
//!    itself on [`Control`]'s `ready` word and sleeps on `go` (a futex, so waiting workers
//!    cost no CPU while the others are still being forked).
//! 2. The parent waits until all are ready, stores `go` and wakes them all, then sleeps for
//!    the run's duration (the duration *is* what is measured), printing progress each second
//!    from the per-worker counts the workers publish every [`BATCH`] operations.
//! 3. The parent stores `stop`. Each worker sees it at its next batch boundary, publishes its
//!    final count and returns.
//! 4. The parent joins the workers ([`twinsync::worker::Worker::join_timeout`]), all within
//!    [`GRACE`] of the stop: a worker still running then is blocked (a lost wake-up, a
//!    deadlock) and reported as hung; a hung process is killed.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64};
use std::time::{Duration, Instant};

use twinsync::sys::futex::{self, Scope, Wait};
use twinsync::sys::time::Deadline;
use twinsync::worker::Worker;

use crate::{Config, Version};

/// The most workers a run may have (the size of the per-worker count table).
pub const MAX_WORKERS: usize = 256;

/// Operations between two looks at the stop flag (and two publications of the count):
/// a few hundred keeps the check off the hot path and the stop latency far below a
/// millisecond.
pub const BATCH: u64 = 256;

/// How long after `stop` the workers may take to end before they count as hung (the
/// default of [`Config::grace`]). A worker needs at most one batch; anything near this
/// bound is a blocked worker.
pub const GRACE: Duration = Duration::from_secs(10);

/// A worker's own time limit for a run of `cfg`: past the parent's watchdog (duration +
/// grace), so it never hides a hang, and it bounds an orphaned worker's life.
pub fn worker_limit(cfg: &Config) -> Duration {
    cfg.duration + 2 * cfg.grace
}

/// How long starting the workers may take before the run is abandoned.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Set once a thread-version run leaves hung threads behind: forking is no longer safe.
static HUNG_THREADS: AtomicBool = AtomicBool::new(false);

/// Where the parent and the workers of a run meet. Lives inside each scenario's shared
/// state (on the heap for threads, in a shared mapping for processes).
///
/// # Layout
///
/// `#[repr(C)]`, atomics only, no pointers: valid in memory shared between processes and
/// when zeroed.
#[repr(C)]
#[derive(Debug)]
pub struct Control {
    ready: AtomicU32,
    go: AtomicU32,
    stop: AtomicU32,
    counts: [AtomicU64; MAX_WORKERS],
}

// SAFETY: `#[repr(C)]`, atomics only, no pointers or handles, no destructor, alignment 8.
unsafe impl twinsync::process::ShmSafe for Control {}

impl Default for Control {
    fn default() -> Self {
        Control::new()
    }
}

impl Control {
    /// A fresh control block: nobody ready, not started, counts zero.
    pub const fn new() -> Control {
        Control {
            ready: AtomicU32::new(0),
            go: AtomicU32::new(0),
            stop: AtomicU32::new(0),
            counts: [const { AtomicU64::new(0) }; MAX_WORKERS],
        }
    }

    /// Worker side: announces this worker and sleeps until the start signal. Returns the
    /// worker's own time limit, `limit` from the start: a worker stops by itself then even
    /// if the parent died without saying stop (forked children outlive their parent).
    pub fn start(&self, scope: Scope, limit: Duration) -> Option<Deadline> {
        self.ready.fetch_add(1, Release);
        futex::wake_all(&self.ready, scope);
        while self.go.load(Acquire) == 0 {
            futex::wait(&self.go, 0, None, scope);
        }
        Deadline::after(limit).ok()
    }

    /// Worker side: whether the parent asked the workers to stop, or the worker's own
    /// `limit` (from [`Control::start`]) has passed.
    #[inline]
    pub fn should_stop(&self, limit: Option<&Deadline>) -> bool {
        self.stop.load(Relaxed) != 0 || limit.is_some_and(Deadline::has_passed)
    }

    /// Worker side: publishes worker `i`'s operation count so far.
    #[inline]
    pub fn publish(&self, i: usize, count: u64) {
        self.counts[i].store(count, Relaxed);
    }

    /// The published counts of the first `n` workers.
    pub fn counts(&self, n: usize) -> Vec<u64> {
        self.counts[..n].iter().map(|c| c.load(Relaxed)).collect()
    }
}

/// Waits until `word >= n` or `deadline`; returns whether it got there.
fn wait_count(word: &AtomicU32, n: u32, deadline: &Deadline, scope: Scope) -> bool {
    loop {
        let v = word.load(Acquire);
        if v >= n {
            return true;
        }
        if futex::wait(word, v, Some(deadline), scope) == Wait::TimedOut {
            return word.load(Acquire) >= n;
        }
    }
}

/// The futex scope a version's control block needs.
pub fn scope(version: Version) -> Scope {
    match version {
        Version::Thread => Scope::Private,
        Version::Process => Scope::Shared,
    }
}

/// Refuses to fork while hung threads from an earlier run are still running.
pub fn check_fork_safe() -> Result<(), crate::Error> {
    if HUNG_THREADS.load(Relaxed) {
        return Err(crate::Error::Setup(
            "an earlier thread-version run left hung threads; forking now is unsafe".into(),
        ));
    }
    Ok(())
}

/// Starts `cfg.workers` workers, worker `i` made by `start(i)`. If one cannot be started,
/// those already running are released (start and stop signals at once) and joined, and the
/// error is returned.
pub fn start_crew(
    cfg: &Config,
    version: Version,
    control: &Control,
    mut start: impl FnMut(usize) -> Result<Worker, twinsync::Error>,
) -> Result<Crew, crate::Error> {
    // A forked child must not inherit (and print again) output still in the buffer.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let mut workers = Vec::with_capacity(cfg.workers);
    for i in 0..cfg.workers {
        match start(i) {
            Ok(w) => workers.push(w),
            Err(e) => {
                control.stop.store(1, Relaxed);
                control.go.store(1, Release);
                futex::wake_all(&control.go, scope(version));
                for w in workers {
                    let _ = w.join();
                }
                return Err(crate::Error::Setup(format!("starting worker {i}: {e}")));
            }
        }
    }
    Ok(Crew { workers, version })
}

/// The running workers of one run (threads or processes, through `twinsync::worker`).
pub struct Crew {
    /// The workers, in index order.
    pub workers: Vec<Worker>,
    /// Their version (a hung thread cannot be killed; a hung process can).
    pub version: Version,
}

impl Crew {
    /// Joins the workers: whoever failed, panicked, died or did not end by `deadline` is
    /// listed (a hung process is killed; a hung thread is left, and forking refused after).
    fn finish(self, grace: Duration, deadline: &Deadline) -> Vec<String> {
        let mut failures = Vec::new();
        for (i, mut w) in self.workers.into_iter().enumerate() {
            let who = match w.pid() {
                Some(pid) => format!("worker {i} (pid {pid})"),
                None => format!("worker {i}"),
            };
            match w.join_timeout(deadline.remaining()) {
                Ok(Some(exit)) if exit.success() => {}
                Ok(Some(exit)) => failures.push(format!("{who} failed: {exit:?}")),
                Ok(None) if self.version == Version::Thread => {
                    HUNG_THREADS.store(true, Relaxed);
                    failures.push(format!("{who} hung: still running {grace:?} after stop"));
                }
                Ok(None) => {
                    let how = match w.kill().and_then(|()| w.join()) {
                        Ok(exit) => format!("{exit:?}"),
                        Err(e) => e.to_string(),
                    };
                    failures.push(format!(
                        "{who} hung: still running {grace:?} after stop; killed ({how})"
                    ));
                }
                Err(e) => failures.push(format!("{who}: join: {e}")),
            }
        }
        failures
    }
}

/// What [`drive`] measured.
#[derive(Debug)]
pub struct Run {
    /// From the start signal until every worker was joined (or the watchdog fired).
    pub elapsed: Duration,
    /// Each worker's final published count.
    pub counts: Vec<u64>,
    /// Workers that did not start, failed, panicked or hung.
    pub failures: Vec<String>,
}

/// Runs the protocol (module docs) for already started workers: start signal, progress,
/// stop, watchdog.
pub fn drive(cfg: &Config, label: &str, scope: Scope, control: &Control, crew: Crew) -> Run {
    let n = crew.workers.len();
    let mut failures = Vec::new();
    let start_deadline = deadline_after(START_TIMEOUT);
    if !wait_count(&control.ready, n as u32, &start_deadline, scope) {
        failures.push(format!(
            "only {} of {n} workers started within {START_TIMEOUT:?}",
            control.ready.load(Acquire)
        ));
    }
    let t0 = Instant::now();
    control.go.store(1, Release);
    futex::wake_all(&control.go, scope);
    let end = t0 + cfg.duration;
    let mut last = (t0, 0u64);
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        // Sleeping here is the measurement itself: the workers run for `cfg.duration`.
        std::thread::sleep((end - now).min(Duration::from_secs(1)));
        if cfg.progress {
            let now = Instant::now();
            let ops: u64 = control.counts(n).iter().sum();
            let rate = (ops - last.1) as f64 / (now - last.0).as_secs_f64().max(1e-9);
            println!(
                "  [{label}] {:5.1} s  {:>15} ops  {}",
                (now - t0).as_secs_f64(),
                group(ops),
                per_sec(rate)
            );
            last = (now, ops);
        }
    }
    control.stop.store(1, Relaxed);
    let stop_deadline = deadline_after(cfg.grace);
    failures.extend(crew.finish(cfg.grace, &stop_deadline));
    let elapsed = t0.elapsed();
    Run {
        elapsed,
        counts: control.counts(n),
        failures,
    }
}

fn deadline_after(d: Duration) -> Deadline {
    Deadline::after(d).expect("a bound of seconds is below TIMEOUT_MAX")
}

/// A small, fast, seedable generator (SplitMix64) for the workers' random choices.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// The stream of worker `worker` for run seed `seed`.
    pub fn new(seed: u64, worker: usize) -> Rng {
        let mut r = Rng(seed ^ (worker as u64).wrapping_mul(0xA076_1D64_78BD_642F));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The outcome of one scenario run with one version.
#[derive(Debug)]
pub struct Report {
    /// The scenario's name.
    pub scenario: &'static str,
    /// The version run.
    pub version: Version,
    /// The parameters.
    pub config: Config,
    /// Wall time of the run (start signal to last worker joined).
    pub elapsed: Duration,
    /// Operations completed by each worker.
    pub per_worker: Vec<u64>,
    /// Broken guarantees; the run passed iff this is empty.
    pub violations: Vec<String>,
    /// Other figures worth printing (not failures).
    pub notes: Vec<String>,
}

impl Report {
    /// Whether no violation was found.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// All workers' operations.
    pub fn total(&self) -> u64 {
        self.per_worker.iter().sum()
    }

    /// Operations per second over the run.
    pub fn ops_per_sec(&self) -> f64 {
        self.total() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Fairness: the least busy worker's count over the busiest one's (1.0 = perfectly even).
    pub fn fairness(&self) -> f64 {
        let max = self.per_worker.iter().copied().max().unwrap_or(0);
        let min = self.per_worker.iter().copied().min().unwrap_or(0);
        if max == 0 {
            return 0.0;
        }
        min as f64 / max as f64
    }

    /// The command that repeats this run.
    pub fn rerun_command(&self) -> String {
        format!(
            "cargo xtask stress {} --version {} --workers {} --seconds {} --seed {:#x}",
            self.scenario,
            self.version,
            self.config.workers,
            self.config.duration.as_secs_f64(),
            self.config.seed
        )
    }

    /// The summary, several lines.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{}/{}: {} workers, {:.2} s: {} ops, {}\n",
            self.scenario,
            self.version,
            self.config.workers,
            self.elapsed.as_secs_f64(),
            group(self.total()),
            per_sec(self.ops_per_sec())
        );
        let counts: Vec<String> = self.per_worker.iter().map(|&c| group(c)).collect();
        s += &format!("  per worker: {}\n", counts.join(" "));
        s += &format!("  fairness (min/max): {:.3}\n", self.fairness());
        for n in &self.notes {
            s += &format!("  {n}\n");
        }
        if self.passed() {
            s += "  PASS\n";
        } else {
            for v in &self.violations {
                s += &format!("  VIOLATION: {v}\n");
            }
            s += &format!("  FAIL ({} violation(s))\n", self.violations.len());
        }
        s += &format!("  rerun: {}\n", self.rerun_command());
        s
    }
}

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate in ops/s, scaled (`4.12 Mops/s`).
pub fn per_sec(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2} Mops/s", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1} kops/s", r / 1e3)
    } else {
        format!("{r:.0} ops/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_scaled() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(per_sec(4_120_000.0), "4.12 Mops/s");
        assert_eq!(per_sec(2500.0), "2.5 kops/s");
    }

    #[test]
    fn rng_streams_are_seeded_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7, 0).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]), "same seed, same stream");
        assert_ne!(Rng::new(7, 0).next_u64(), Rng::new(7, 1).next_u64());
        assert_ne!(Rng::new(7, 0).next_u64(), Rng::new(8, 0).next_u64());
    }

    fn report(per_worker: Vec<u64>, violations: Vec<String>) -> Report {
        Report {
            scenario: "lock",
            version: Version::Thread,
            config: Config {
                workers: per_worker.len(),
                duration: Duration::from_millis(2500),
                seed: 42,
                progress: false,
                grace: GRACE,
            },
            elapsed: Duration::from_secs(2),
            per_worker,
            violations,
            notes: vec![],
        }
    }

    #[test]
    fn report_figures_and_verdict() {
        let r = report(vec![100, 300], vec![]);
        assert_eq!(r.total(), 400);
        assert_eq!(r.ops_per_sec(), 200.0);
        assert!((r.fairness() - 1.0 / 3.0).abs() < 1e-12);
        assert!(r.passed() && r.summary().contains("PASS"));
        assert_eq!(
            r.rerun_command(),
            "cargo xtask stress lock --version thread --workers 2 --seconds 2.5 --seed 0x2a"
        );
        let bad = report(vec![1, 0], vec!["lost update".into()]);
        assert!(!bad.passed());
        assert_eq!(bad.fairness(), 0.0);
        assert!(bad.summary().contains("VIOLATION: lost update"));
    }
}
