//! The shuttle driver (built with `--cfg twinsync_shuttle`): many randomly scheduled runs of
//! each scenario, with shuttle's random scheduler and its PCT (probabilistic concurrency
//! testing) scheduler, both seeded ([`Config::seed`], fixed by default).
//!
//! Shuttle reports a deadlock (every task blocked, as a lost wake-up leaves them) by
//! panicking, and that unwinds cleanly, so checks run in-process under `catch_unwind`. The
//! failing schedule is persisted to a file in [`schedule_dir`]; the printed replay command
//! (`twinsync-conformance --shuttle-replay FILE --subject S --scenario X`) runs exactly that
//! schedule again through `shuttle::replay_from_file`.
//!
//! # Blind spots
//!
//! Every atomic access is SeqCst (ordering bugs cannot show), no clock (LOCK-03 is not
//! checkable), and one process only (the process version is not built).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shuttle::scheduler::{PctScheduler, RandomScheduler, Scheduler};
use shuttle::{FailurePersistence, Runner};

use super::{panic_message, records, scenario_of, Config, Effort};
use crate::family::{Family, Scenario, ScenarioInfo};
use crate::report::{Record, Status, HARNESS};
use crate::scenarios::{Checks, Params, Scratch};
use crate::subject::{Subject, Testable};

const DRIVER: &str = "shuttle";

/// Budgets of the shuttle driver.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Scenario sizes.
    pub params: Params,
    /// Executions with the random scheduler, per check.
    pub random: usize,
    /// Executions with the PCT scheduler, per check.
    pub pct: usize,
    /// PCT's bug depth.
    pub pct_depth: usize,
}

impl Budget {
    /// The budget for an effort level (full is 100x quick).
    pub fn of(effort: Effort) -> Budget {
        let n = match effort {
            Effort::Quick => 1_000,
            Effort::Full => 100_000,
        };
        Budget {
            params: Params {
                workers: 4,
                iters: 3,
                waiters: 3,
                timeout: Duration::from_millis(1),
                block_bound: Duration::ZERO,
            },
            random: n,
            pct: n,
            pct_depth: 3,
        }
    }
}

/// Where failing schedules are written (one directory per runner process; shuttle installs
/// its panic hook once, with the first configuration it sees).
pub fn schedule_dir() -> PathBuf {
    std::env::temp_dir().join(format!("twinsync-shuttle-{}", std::process::id()))
}

/// The shuttle-driver functions of one subject type.
#[derive(Clone, Copy)]
pub struct Fns {
    check: fn(&Config, &Subject, &str) -> Vec<Record>,
    replay: fn(&str, &Path),
}

impl Fns {
    pub(crate) fn of<L: Testable>() -> Fns {
        Fns {
            check: check::<L>,
            replay: replay::<L>,
        }
    }
}

/// The model body: workers on shuttle threads, then the end-of-run check.
fn model<L: Testable>(scn: Scenario<L>, p: Params) -> impl Fn() + Send + Sync + 'static {
    move || {
        let lock = Arc::new(L::make().expect("[HARNESS] cannot make the subject"));
        let scratch = Arc::new(Scratch::new());
        let handles: Vec<_> = (0..(scn.info.workers)(&p))
            .map(|me| {
                let (lock, scratch) = (Arc::clone(&lock), Arc::clone(&scratch));
                // Checks panic at the first failure under a checker; what returns passed.
                shuttle::thread::spawn(move || scn.run_body(&*lock, &scratch, me, &p))
            })
            .collect();
        let mut all = Checks::default();
        for h in handles {
            all.merge(h.join().expect("a worker panicked"));
        }
        all.merge(scn.run_finish(&scratch, &p));
        let history = std::mem::take(&mut all.history);
        <L::Family as Family<L>>::check_history(scn.info.name, &history, &mut all);
        // What the bodies concluded (checks that fail panic, so these are passes and
        // not-checkables), once per kind, for the records.
        let mut seen = SEEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (clause, status) in all.items {
            let kind = |x: &Status| std::mem::discriminant(x);
            if !seen
                .iter()
                .any(|(c, s)| *c == clause && kind(s) == kind(&status))
            {
                seen.push((clause, status));
            }
        }
    }
}

/// Clause outcomes the bodies reported in the current check's executions.
static SEEN: std::sync::Mutex<Vec<(&'static str, Status)>> = std::sync::Mutex::new(Vec::new());

fn schedules() -> Vec<PathBuf> {
    std::fs::read_dir(schedule_dir())
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

/// One exploration, boxed so that both schedulers fit in one list.
type Explore = dyn Fn() -> Result<(), String>;

fn explore<S: Scheduler + 'static>(
    scheduler: S,
    f: impl Fn() + Send + Sync + 'static,
) -> Result<(), String> {
    let mut config = shuttle::Config::new();
    config.failure_persistence = FailurePersistence::File(Some(schedule_dir()));
    let runner = Runner::new(scheduler, config);
    catch_unwind(AssertUnwindSafe(|| {
        runner.run(f);
    }))
    .map_err(|e| panic_message(&*e))
}

fn check<L: Testable>(cfg: &Config, subj: &Subject, name: &str) -> Vec<Record> {
    let t0 = Instant::now();
    let Some(scn) = scenario_of::<L>(name) else {
        let mut c = Checks::default();
        c.push(
            HARNESS,
            Status::Fail(format!("no scenario {name:?} for {}", L::NAME)),
        );
        return records(&c, subj, DRIVER, name, Duration::ZERO, None);
    };
    let b = Budget::of(cfg.effort);
    let _ = std::fs::create_dir_all(schedule_dir());
    SEEN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clear();
    let mut c = Checks::default();
    let mut replay = None;
    let seed = cfg.seed();
    // One worker has no schedule to vary: a few random runs, and no PCT (which refuses a
    // body without concurrency).
    let (random, pct) = if (scn.info.workers)(&b.params) == 1 {
        (10, 0)
    } else {
        (b.random, b.pct)
    };
    let runs: [(&str, Box<Explore>); 2] = [
        (
            "random",
            Box::new(move || {
                explore(
                    RandomScheduler::new_from_seed(seed, random),
                    model::<L>(scn, b.params),
                )
            }),
        ),
        (
            "pct",
            Box::new(move || {
                explore(
                    PctScheduler::new_from_seed(seed, b.pct_depth, pct),
                    model::<L>(scn, b.params),
                )
            }),
        ),
    ];
    for (name, run) in runs.into_iter().filter(|(n, _)| *n == "random" || pct > 0) {
        let before = schedules();
        let Err(msg) = run() else { continue };
        let file = schedules().into_iter().find(|p| !before.contains(p));
        let deadlock = msg.contains("deadlock");
        let failed = match (crate::spec::clause_in(&msg), scn.info.progress) {
            (Some(clause), _) => clause,
            (None, Some(progress)) if deadlock => progress,
            _ => HARNESS,
        };
        let what = if deadlock && Some(failed) == scn.info.progress {
            format!("shuttle ({name} scheduler) found a deadlock (a lost wake-up): {msg}")
        } else {
            format!("shuttle ({name} scheduler): {msg}")
        };
        c.push(failed, Status::Fail(what));
        replay = Some(match &file {
            Some(f) => format!(
                "{} --shuttle-replay {} --subject {} --scenario {}",
                super::runner_exe(cfg),
                f.display(),
                subj.name,
                scn.info.name
            ),
            None => format!(
                "{} --driver shuttle --subject {} --scenario {} --seed {seed} (no schedule file was written)",
                super::runner_exe(cfg),
                subj.name,
                scn.info.name
            ),
        });
        for other in scn.info.clauses.iter().filter(|x| **x != failed) {
            c.not_checkable(other, "shuttle stopped at the first failing schedule");
        }
        break;
    }
    if replay.is_none() {
        // No schedule failed. A clause only a clock can check is n/c; one the bodies passed
        // passes; one they found not checkable here (and never passed) is n/c with their
        // reason; a listed clause they did not report passes (the scenario ran to its end in
        // every schedule).
        let seen = SEEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let passed = |cl: &str| seen.iter().any(|(c, s)| *c == cl && *s == Status::Pass);
        for (clause, status) in &seen {
            if let Status::NotCheckable(why) = status {
                if !passed(clause) && !scn.info.clauses.contains(clause) {
                    c.not_checkable(clause, why);
                }
            }
        }
        for clause in scn.info.clauses {
            let nc = seen.iter().find_map(|(c, s)| match s {
                Status::NotCheckable(why) if c == clause => Some(why.clone()),
                _ => None,
            });
            if scn.info.clock_clauses.contains(clause) {
                c.not_checkable(clause, crate::scenarios::NO_CLOCK);
            } else if passed(clause) {
                c.push(clause, Status::Pass);
            } else if let Some(why) = nc {
                c.not_checkable(clause, &why);
            } else {
                c.push(clause, Status::Pass);
            }
        }
    }
    records(&c, subj, DRIVER, scn.info.name, t0.elapsed(), replay)
}

fn replay<L: Testable>(name: &str, file: &Path) {
    let b = Budget::of(Effort::Quick);
    let scn = scenario_of::<L>(name)
        .unwrap_or_else(|| panic!("[HARNESS] no scenario {name:?} for {}", L::NAME));
    shuttle::replay_from_file(model::<L>(scn, b.params), file);
}

/// Replays a persisted failing schedule (`--shuttle-replay`); panics as the failure did.
pub fn replay_subject(subj: &Subject, scenario: &str, file: &Path) {
    (subj.entry.shuttle.replay)(scenario, file)
}

/// Runs the shuttle driver on `subjects`.
pub fn run(cfg: &Config, subjects: &[Subject]) -> Vec<Record> {
    let skip = |scn: &ScenarioInfo| scn.needs_clock.then_some(crate::scenarios::NO_CLOCK);
    super::run_scenarios(cfg, DRIVER, subjects, skip, |s, scn| {
        (s.entry.shuttle.check)(cfg, s, scn.name)
    })
}
