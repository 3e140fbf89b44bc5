//! The `lock` scenario: every worker repeatedly takes one Lock and, inside, increments a
//! counter with a separate load and store (a lost update if two are ever inside at once),
//! while an `inside` count checks mutual exclusion directly.
//!
//! Each operation is chosen from the worker's seeded stream: mostly `acquire` (and the
//! guard form `lock()`), sometimes `try_acquire` and `acquire_timeout`, so the fast path,
//! the contended path, the futex sleep and the timeout path all run. Work inside and
//! outside the critical section is a seeded number of spin hints, which varies contention.
//!
//! Checked at the end: the counter equals the sum of the workers' counts (no lost or extra
//! update), nobody was ever inside together with another worker, no release of a held lock
//! failed, the lock is free, and every worker ended by the watchdog's deadline.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use twinsync::process::{Shared, ShmSafe};
use twinsync::sys::futex::Scope;
use twinsync::worker::Worker;
use twinsync::LockApi;

use crate::runner::{self, drive, scope, Control, Rng, BATCH};
use crate::{Config, Error, Report, Version};

/// The scenario's shared state.
///
/// # Layout
///
/// `#[repr(C)]`, atomics only (the [`Control`] block, then five counters), no pointers;
/// valid zeroed and in memory shared between processes.
#[repr(C)]
#[derive(Debug, Default)]
pub struct LockStress {
    control: Control,
    /// The protected counter: read and written with a separate load and store.
    counter: AtomicU64,
    /// Workers currently between acquire and release (must never exceed 1).
    inside: AtomicU64,
    /// Times a worker entered while another was inside.
    overlaps: AtomicU64,
    /// `try_acquire` / `acquire_timeout` calls that did not get the lock.
    misses: AtomicU64,
    /// Errors from `release` of a held lock or from `acquire_timeout`.
    errors: AtomicU64,
}

// SAFETY: `#[repr(C)]`, made only of atomics (Control is too), no pointers or handles, no
// destructor, alignment 8.
unsafe impl ShmSafe for LockStress {}

/// How long a timed acquire waits: short enough to time out often under contention.
const TIMED_WAIT: Duration = Duration::from_micros(200);

/// One worker's loop: hammers `lock` until the parent says stop.
fn hammer<L: LockApi + ?Sized>(lock: &L, st: &LockStress, me: usize, cfg: &Config, scope: Scope) {
    let limit = st.control.start(scope, runner::worker_limit(cfg));
    let seed = cfg.seed;
    let mut rng = Rng::new(seed, me);
    let mut done = 0u64;
    loop {
        for _ in 0..BATCH {
            let r = rng.next_u64();
            let inside_spins = (r >> 8) % 8;
            let outside_spins = (r >> 16) % 64;
            let got = match r % 16 {
                0 => lock.try_acquire(),
                1 => match lock.acquire_timeout(TIMED_WAIT) {
                    Ok(got) => got,
                    Err(_) => {
                        st.errors.fetch_add(1, Relaxed);
                        false
                    }
                },
                2 => {
                    let _guard = lock.lock();
                    critical(st, inside_spins);
                    done += 1;
                    spin(outside_spins);
                    continue;
                }
                _ => {
                    lock.acquire();
                    true
                }
            };
            if !got {
                st.misses.fetch_add(1, Relaxed);
                spin(outside_spins);
                continue;
            }
            critical(st, inside_spins);
            if lock.release().is_err() {
                st.errors.fetch_add(1, Relaxed);
            }
            done += 1;
            spin(outside_spins);
        }
        st.control.publish(me, done);
        if st.control.should_stop(limit.as_ref()) {
            return;
        }
    }
}

/// The critical section. Relaxed is enough throughout: the lock's acquire/release order the
/// counter's load and store, which is exactly what is being tested; `inside`'s read-modify-
/// writes see each other in one modification order whatever the ordering.
#[inline]
fn critical(st: &LockStress, spins: u64) {
    if st.inside.fetch_add(1, Relaxed) != 0 {
        st.overlaps.fetch_add(1, Relaxed);
    }
    let v = st.counter.load(Relaxed);
    spin(spins);
    st.counter.store(v + 1, Relaxed);
    st.inside.fetch_sub(1, Relaxed);
}

#[inline]
fn spin(n: u64) {
    for _ in 0..n {
        std::hint::spin_loop();
    }
}

/// The scenario's entry point (see [`crate::SCENARIOS`]).
pub fn run(cfg: &Config, version: Version) -> Result<Report, Error> {
    match version {
        Version::Thread => run_threads(cfg, twinsync::thread::Lock::new()),
        Version::Process => run_processes(cfg),
    }
}

/// Runs the scenario with worker threads on `lock`, which may be any [`LockApi`]
/// implementation (the stress test of your own lock, or a broken one as a control).
pub fn run_threads<L>(cfg: &Config, lock: L) -> Result<Report, Error>
where
    L: LockApi + Send + Sync + 'static,
{
    let lock = Arc::new(lock);
    let st = Arc::new(LockStress::default());
    let sc = scope(Version::Thread);
    let crew = runner::start_crew(cfg, Version::Thread, &st.control, |i| {
        let (lock, st, cfg) = (Arc::clone(&lock), Arc::clone(&st), cfg.clone());
        Worker::thread(move || hammer(&*lock, &st, i, &cfg, sc))
    })?;
    let run = drive(cfg, "lock/thread", sc, &st.control, crew);
    Ok(verdict(cfg, Version::Thread, &st, &*lock, run))
}

/// Runs the scenario with forked worker processes on a `process::Lock`.
fn run_processes(cfg: &Config) -> Result<Report, Error> {
    runner::check_fork_safe()?;
    let lock = twinsync::process::Lock::new()?;
    let st = Shared::new(LockStress::default())?;
    let sc = scope(Version::Process);
    let crew = runner::start_crew(cfg, Version::Process, &st.control, |i| {
        let (lock, st) = (&lock, &*st);
        // SAFETY: this binary's only thread is the one forking (thread runs are joined
        // first, and `check_fork_safe` refused if one left hung threads behind); the child
        // runs `hammer`, which uses atomics and futex calls only.
        unsafe { Worker::fork(move || hammer(lock, st, i, cfg, sc)) }
    })?;
    let run = drive(cfg, "lock/process", sc, &st.control, crew);
    Ok(verdict(cfg, Version::Process, &st, &lock, run))
}

/// Turns the shared counters and the run into a report.
fn verdict<L: LockApi + ?Sized>(
    cfg: &Config,
    version: Version,
    st: &LockStress,
    lock: &L,
    run: runner::Run,
) -> Report {
    let mut violations = run.failures;
    let mut notes = Vec::new();
    let sum: u64 = run.counts.iter().sum();
    let counter = st.counter.load(Relaxed);
    let workers_ended = violations.is_empty();
    if !workers_ended {
        notes.push("count check skipped: not every worker ended".into());
    } else if counter != sum {
        violations.push(format!(
            "lost or extra updates: the counter is {counter}, the workers counted {sum} \
             (difference {})",
            i128::from(counter) - i128::from(sum)
        ));
    }
    let overlaps = st.overlaps.load(Relaxed);
    if overlaps != 0 {
        violations.push(format!(
            "mutual exclusion broken: {overlaps} entries while another worker was inside"
        ));
    }
    let errors = st.errors.load(Relaxed);
    if errors != 0 {
        violations.push(format!(
            "{errors} release or timed acquire calls failed on a held lock"
        ));
    }
    if workers_ended && lock.locked() {
        violations.push("the lock is still held after every worker ended".into());
    }
    notes.push(format!(
        "try/timed acquires that missed: {} (expected under contention)",
        runner::group(st.misses.load(Relaxed))
    ));
    for (i, c) in run.counts.iter().enumerate() {
        if *c == 0 {
            notes.push(format!("worker {i} completed no operation (starved)"));
        }
    }
    Report {
        scenario: "lock",
        version,
        config: cfg.clone(),
        elapsed: run.elapsed,
        per_worker: run.counts,
        violations,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(workers: usize, ms: u64) -> Config {
        Config {
            workers,
            duration: Duration::from_millis(ms),
            seed: 1,
            progress: false,
            grace: runner::GRACE,
        }
    }

    fn run_with(counter: u64, counts: Vec<u64>, overlaps: u64, failures: Vec<String>) -> Report {
        let st = LockStress::default();
        st.counter.store(counter, Relaxed);
        st.overlaps.store(overlaps, Relaxed);
        let run = runner::Run {
            elapsed: Duration::from_secs(1),
            counts,
            failures,
        };
        verdict(
            &cfg(2, 1),
            Version::Thread,
            &st,
            &twinsync::thread::Lock::new(),
            run,
        )
    }

    #[test]
    fn verdict_accepts_a_clean_run() {
        assert!(run_with(30, vec![10, 20], 0, vec![]).passed());
    }

    #[test]
    fn verdict_rejects_lost_updates_overlaps_and_hangs() {
        let lost = run_with(29, vec![10, 20], 0, vec![]);
        assert!(
            lost.violations[0].contains("difference -1"),
            "{:?}",
            lost.violations
        );
        let overlap = run_with(30, vec![10, 20], 3, vec![]);
        assert!(overlap.violations[0].contains("3 entries"));
        let hung = run_with(5, vec![10, 20], 0, vec!["worker 1 hung".into()]);
        assert_eq!(hung.violations, ["worker 1 hung"]);
    }

    #[test]
    fn verdict_rejects_a_lock_left_held() {
        let st = LockStress::default();
        let lock = twinsync::thread::Lock::new();
        lock.acquire();
        let run = runner::Run {
            elapsed: Duration::from_secs(1),
            counts: vec![0],
            failures: vec![],
        };
        let r = verdict(&cfg(1, 1), Version::Thread, &st, &lock, run);
        assert!(r.violations[0].contains("still held"));
    }

    /// A "lock" that excludes nobody: the negative control of the whole scenario.
    struct NoLock;
    impl LockApi for NoLock {
        fn acquire(&self) {}
        fn try_acquire(&self) -> bool {
            true
        }
        fn acquire_timeout(&self, _: Duration) -> Result<bool, twinsync::Error> {
            Ok(true)
        }
        fn release(&self) -> Result<(), twinsync::Error> {
            Ok(())
        }
        fn locked(&self) -> bool {
            false
        }
    }

    #[test]
    fn thread_lock_passes() {
        let r = run_threads(&cfg(3, 300), twinsync::thread::Lock::new()).unwrap();
        assert!(r.passed(), "{}", r.summary());
        assert_eq!(r.per_worker.len(), 3);
        assert!(r.total() > 0);
    }

    /// Two workers with no exclusion overlap and lose updates within a few hundred
    /// milliseconds on any machine; the run is repeated (at most 10 times) so a scheduler
    /// that happens to serialise one short run cannot make the control pass.
    #[test]
    fn a_lock_without_exclusion_is_rejected() {
        for attempt in 1..=10 {
            let r = run_threads(&cfg(2, 200), NoLock).unwrap();
            if !r.passed() {
                assert!(
                    r.violations
                        .iter()
                        .any(|v| v.contains("mutual exclusion")
                            || v.contains("lost or extra updates"))
                );
                return;
            }
            eprintln!("attempt {attempt}: the broken lock was not caught yet");
        }
        panic!("a lock without mutual exclusion passed 10 stress runs");
    }
}
