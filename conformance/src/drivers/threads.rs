//! The real-thread driver: the scenario bodies on std threads, lock and scratch on the heap.
//!
//! # Hangs
//!
//! Workers report through a channel; the driver waits for them with a bound (the
//! *watchdog*, [`Budget::watchdog`]). The bound is a failure detector only: a correct run
//! finishes orders of magnitude sooner, and the workers synchronise through the lock and the
//! scratch atomics, never through time. When the bound passes, the scenario is recorded as a
//! LOCK-08 failure (the run did not terminate) and the driver returns: a thread asleep in a
//! futex cannot be joined or killed, so the stuck workers are **leaked** (detached; they keep
//! their `Arc`s to the lock and scratch, so nothing dangles) and die with the process. A run
//! that has leaked threads is multi-threaded from then on; the process driver uses the spawn
//! start method, which is safe there.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{panic_message, records, scenario_of, Config, Effort};
use crate::family::{Family, Scenario, ScenarioInfo};
use crate::report::{Record, HARNESS};
use crate::scenarios::{Checks, Params, Scratch};
use crate::subject::{Subject, Testable};

const DRIVER: &str = "threads";

/// Sizes and bounds for the real-thread and real-process drivers.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Scenario sizes.
    pub params: Params,
    /// How long a scenario may run before it counts as hung (its progress clause fails).
    pub watchdog: Duration,
    /// After a mutual-exclusion violation, how long to wait for the remaining workers.
    pub grace: Duration,
    /// A race-sensitive scenario ([`ScenarioInfo::repeat`]) is repeated with fresh state until
    /// this much time has passed (or a round fails).
    pub min_time: Duration,
}

impl Budget {
    /// The budget for an effort level.
    pub fn of(effort: Effort) -> Budget {
        let (iters, waiters, watchdog, min_time) = match effort {
            Effort::Quick => (
                20_000,
                2,
                Duration::from_secs(5),
                Duration::from_millis(300),
            ),
            Effort::Full => (200_000, 4, Duration::from_secs(30), Duration::from_secs(15)),
        };
        Budget {
            params: Params {
                workers: 4,
                iters,
                waiters,
                timeout: Duration::from_millis(20),
                block_bound: Duration::from_secs(2),
            },
            watchdog,
            grace: Duration::from_secs(1),
            min_time,
        }
    }
}

/// What became of a run's workers.
pub(crate) struct Outcome {
    pub checks: Checks,
    /// Workers that did not finish within the watchdog (leaked or killed).
    pub hung: usize,
}

/// Adds the verdicts every driver with real workers adds: the progress clause when some
/// worker hung, the end-of-run check, and, when every worker returned, the family's check of
/// the recorded history.
pub(crate) fn conclude<S: Testable>(
    scn: &Scenario<S>,
    s: &Scratch,
    p: &Params,
    mut out: Outcome,
    watchdog: Duration,
) -> Checks {
    if out.hung > 0 {
        let clause = scn.info.progress.unwrap_or(HARNESS);
        out.checks.check(clause, false, || {
            format!(
                "{} worker(s) of {} still blocked after the {watchdog:?} watchdog: the run did not \
                 terminate",
                out.hung, scn.info.name
            )
        });
    }
    out.checks.merge(scn.run_finish(s, p));
    if out.hung == 0 && !out.checks.history.is_empty() {
        let history = std::mem::take(&mut out.checks.history);
        <S::Family as Family<S>>::check_history(scn.info.name, &history, &mut out.checks);
    }
    out.checks
}

/// A harness failure for a scenario name the subject's family does not have.
pub(crate) fn unknown_scenario(name: &str) -> Checks {
    let mut c = Checks::default();
    c.check(HARNESS, false, || {
        format!("no scenario {name:?} in this family")
    });
    c
}

/// Runs one scenario on subject `L` with std threads.
pub fn run_scenario<L: Testable>(cfg: &Config, subj: &Subject, name: &str) -> Vec<Record> {
    let Some(scn) = scenario_of::<L>(name) else {
        return records(
            &unknown_scenario(name),
            subj,
            DRIVER,
            name,
            Duration::ZERO,
            None,
        );
    };
    run_rounds(cfg, DRIVER, subj, &scn.info, |b| round::<L>(&scn, b))
}

/// Runs `round` under `cfg`'s budget as [`repeat`] does, and turns the outcome into records
/// with a rerun command; shared by the threads and processes drivers.
pub(crate) fn run_rounds(
    cfg: &Config,
    driver: &str,
    subj: &Subject,
    scn: &ScenarioInfo,
    mut round: impl FnMut(&Budget) -> Checks,
) -> Vec<Record> {
    let b = Budget::of(cfg.effort);
    let t0 = Instant::now();
    let checks = repeat(scn, &b, || round(&b));
    let replay = super::rerun_command(cfg, driver, subj, scn.name);
    records(&checks, subj, driver, scn.name, t0.elapsed(), Some(replay))
}

/// Runs `round` once, or for a race-sensitive scenario ([`ScenarioInfo::repeat`]) again and
/// again until [`Budget::min_time`] has passed or a round fails: one round may not hit the
/// race (the bug's window can be a few instructions wide).
pub(crate) fn repeat(scn: &ScenarioInfo, b: &Budget, mut round: impl FnMut() -> Checks) -> Checks {
    let t0 = Instant::now();
    let mut all = Checks::default();
    loop {
        let c = round();
        let stop = c.failed() || !scn.repeat || t0.elapsed() >= b.min_time;
        all.merge(c);
        if stop {
            return all;
        }
    }
}

fn round<L: Testable>(scn: &Scenario<L>, b: &Budget) -> Checks {
    let p = b.params;
    let t0 = Instant::now();
    let lock = match L::make() {
        Ok(l) => Arc::new(l),
        Err(e) => {
            let mut c = Checks::default();
            c.check(HARNESS, false, || format!("cannot make the subject: {e}"));
            return c;
        }
    };
    let scratch = Arc::new(Scratch::new());
    let (tx, rx) = mpsc::channel::<Checks>();
    let n = (scn.info.workers)(&p);
    let mut handles = Vec::new();
    for me in 0..n {
        let (lock, scratch, tx) = (Arc::clone(&lock), Arc::clone(&scratch), tx.clone());
        let scn = *scn;
        handles.push(std::thread::spawn(move || {
            let c = catch_unwind(AssertUnwindSafe(|| scn.run_body(&*lock, &scratch, me, &p)))
                .unwrap_or_else(|e| {
                    let mut c = Checks::default();
                    let msg = panic_message(&*e);
                    let clause = crate::spec::clause_in(&msg).unwrap_or(HARNESS);
                    c.check(clause, false, || format!("worker {me} panicked: {msg}"));
                    c
                });
            let _ = tx.send(c);
        }));
    }
    drop(tx);
    let mut checks = Checks::default();
    let mut got = 0;
    let deadline = t0 + b.watchdog;
    let mut violation_seen: Option<Instant> = None;
    while got < n {
        let now = Instant::now();
        let limit = match violation_seen {
            Some(at) => (at + b.grace).min(deadline),
            None => deadline,
        };
        if now >= limit {
            break;
        }
        match rx.recv_timeout((limit - now).min(Duration::from_millis(50))) {
            Ok(c) => {
                checks.merge(c);
                got += 1;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if violation_seen.is_none()
            && scratch
                .violations
                .load(std::sync::atomic::Ordering::Relaxed)
                > 0
        {
            violation_seen = Some(Instant::now());
        }
    }
    let hung = n - got;
    if hung == 0 {
        for h in handles {
            let _ = h.join();
        }
    } // else: leak the stuck threads (see the module docs).
    conclude(scn, &scratch, &p, Outcome { checks, hung }, b.watchdog)
}

/// Runs the real-thread driver on `subjects`.
pub fn run(cfg: &Config, subjects: &[Subject]) -> Vec<Record> {
    super::run_scenarios(
        cfg,
        DRIVER,
        subjects,
        |_| None,
        |s, scn| (s.entry.threads)(cfg, s, scn.name),
    )
}
