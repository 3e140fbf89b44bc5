//! Drivers: each runs the scenarios (or, for proptest, the model) against subjects and turns
//! what it saw into [`Record`]s.
//!
//! | driver | build | runs | sees |
//! |---|---|---|---|
//! | [`proptest`] | normal | random operation sequences vs. the model, one thread | sequential bugs |
//! | [`threads`] | normal | scenario bodies on std threads | atomicity, lost wake-ups, timing |
//! | `processes` | normal | scenario bodies in spawned processes, state in named segments | the same, across processes |
//! | `loom` | `--cfg twinsync_loom` | every interleaving up to a preemption bound | + weak-memory orderings |
//! | `shuttle` | `--cfg twinsync_shuttle` | random and PCT schedules | atomicity, lost wake-ups |

use std::time::{Duration, Instant};

use crate::family::ScenarioInfo;
use crate::report::{Record, Status};
use crate::scenarios::Checks;
use crate::subject::{BugClass, Subject, Testable};

#[cfg(twinsync_loom)]
pub mod loom;
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub mod processes;
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub mod proptest;
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
pub mod shuttle;
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub mod threads;

/// How much effort to spend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Effort {
    /// CI budgets: the whole suite in a minute or two.
    #[default]
    Quick,
    /// Larger budgets: about 100x the quick exploration.
    Full,
}

impl Effort {
    /// The command-line flag selecting it.
    pub fn flag(self) -> &'static str {
        match self {
            Effort::Quick => "--quick",
            Effort::Full => "--full",
        }
    }
}

/// What a driver run is asked to do.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Budgets.
    pub effort: Effort,
    /// Seed for the randomised drivers (proptest, shuttle); a fixed default when `None`.
    pub seed: Option<u64>,
    /// Run only the scenarios with these names (all when empty).
    pub scenarios: Vec<String>,
    /// Print progress lines to stderr.
    pub progress: bool,
    /// The `twinsync-conformance` executable that the loom driver re-invokes for each check
    /// (default: the current executable, right for the runner binary; a test sets it to
    /// `env!("CARGO_BIN_EXE_twinsync-conformance")`).
    pub child_exe: Option<std::path::PathBuf>,
}

impl Config {
    /// Whether the scenario named `scenario` is selected.
    pub fn wants(&self, scenario: &str) -> bool {
        self.scenarios.is_empty() || self.scenarios.iter().any(|s| s == scenario)
    }

    /// The seed to use.
    pub fn seed(&self) -> u64 {
        self.seed.unwrap_or(DEFAULT_SEED)
    }
}

/// Seed used when none is given, so that runs are reproducible by default.
pub const DEFAULT_SEED: u64 = 0x7477_696e_7379_6e63; // "twinsync"

/// The driver functions of one subject, monomorphised for its type.
#[derive(Clone, Copy)]
pub(crate) struct Entries {
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    pub proptest: fn(&Config, &Subject) -> Vec<Record>,
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    pub threads: fn(&Config, &Subject, &str) -> Vec<Record>,
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    pub processes: Option<processes::Fns>,
    #[cfg(twinsync_loom)]
    pub loom_child: fn(&str, &loom::Budget),
    #[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
    pub shuttle: shuttle::Fns,
}

impl Entries {
    pub(crate) fn local<L: Testable>() -> Entries {
        Entries {
            #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
            proptest: <L::Family as crate::family::Family<L>>::proptest,
            #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
            threads: threads::run_scenario::<L>,
            #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
            processes: None,
            #[cfg(twinsync_loom)]
            loom_child: loom::child::<L>,
            #[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
            shuttle: shuttle::Fns::of::<L>(),
        }
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    pub(crate) fn shared<L: crate::subject::SharedTestable>() -> Entries {
        Entries {
            processes: Some(processes::Fns::of::<L>()),
            ..Entries::local::<L>()
        }
    }
}

/// The scenario `name` of `L`'s family.
pub(crate) fn scenario_of<L: Testable>(name: &str) -> Option<crate::family::Scenario<L>> {
    crate::family::find::<L, L::Family>(name)
}

/// Why `driver` cannot reach a bug of `class`, or `None` if it can.
pub fn unreachable_reason(driver: &str, class: BugClass) -> Option<&'static str> {
    match (driver, class) {
        (_, BugClass::Sequential) => None,
        ("proptest", _) => Some(
            "sequential driver: the bug needs concurrent threads, which a single-threaded \
             operation sequence never has",
        ),
        ("threads" | "processes", BugClass::Ordering) => Some(
            "weak-memory reorderings are not reliably observable on real hardware in a bounded \
             run (x86-64 is TSO and its locked instructions are full fences); loom models them",
        ),
        ("threads" | "processes", BugClass::NarrowRace) => Some(
            "the race needs a thread descheduled at one particular instruction while another \
             runs; real threads enter that window only by chance in a bounded run (loom and \
             shuttle choose the schedule and reach it every time)",
        ),
        ("loom" | "shuttle", BugClass::SleepingWaiter) => Some(
            "the bug needs a waiter known to sleep before the wake-up, which a checker cannot \
             tell through the public API (wait_until_blocked is a no-op there)",
        ),
        ("shuttle", BugClass::Ordering) => {
            Some("shuttle runs every atomic access as SeqCst, so ordering bugs cannot show")
        }
        _ => None,
    }
}

/// Runs every subject's checks for one in-process driver, with progress and the control
/// short-cut: a control already rejected by this driver is not run through further
/// scenarios (each would only cost time, a hang detector's bound for some).
///
/// `skip` says why the driver cannot run a scenario (`None`: it can); such a scenario is
/// reported by [`skipped_records`] instead.
pub(crate) fn run_scenarios(
    cfg: &Config,
    driver: &'static str,
    subjects: &[Subject],
    skip: impl Fn(&ScenarioInfo) -> Option<&'static str>,
    mut run: impl FnMut(&Subject, &ScenarioInfo) -> Vec<Record>,
) -> Vec<Record> {
    let mut out = Vec::new();
    for subj in subjects {
        if let Some(r) = not_applicable(driver, subj) {
            progress(cfg, driver, subj.name, "-", None, "n/a");
            out.push(r);
            continue;
        }
        for scn in (subj.scenarios)().iter().filter(|s| cfg.wants(s.name)) {
            if let Some(why) = skip(scn) {
                if !subj.is_control() {
                    out.extend(skipped_records(driver, subj, scn, why));
                }
                continue;
            }
            progress(cfg, driver, subj.name, scn.name, None, "start");
            let t0 = Instant::now();
            let recs = run(subj, scn);
            let verdict = if recs.iter().any(Record::failed) {
                "FAIL"
            } else {
                "ok"
            };
            progress(
                cfg,
                driver,
                subj.name,
                scn.name,
                Some(t0.elapsed()),
                verdict,
            );
            let rejected = rejects(subj, &recs);
            out.extend(recs);
            if rejected {
                break;
            }
        }
    }
    out
}

/// Whether `recs` fail one of the control `subj`'s expected clauses.
pub(crate) fn rejects(subj: &Subject, recs: &[Record]) -> bool {
    subj.control.is_some_and(|c| {
        recs.iter()
            .any(|r| r.failed() && c.expected.contains(&r.clause.as_str()))
    })
}

/// A "not applicable" record when `driver` cannot reach the control `subj`'s bug.
pub(crate) fn not_applicable(driver: &'static str, subj: &Subject) -> Option<Record> {
    let c = subj.control?;
    let why = unreachable_reason(driver, c.class)?;
    Some(Record {
        clause: c.expected[0].to_owned(),
        subject: subj.name.to_owned(),
        version: subj.version.to_owned(),
        driver: driver.to_owned(),
        check: "-".to_owned(),
        status: Status::NotCheckable(why.to_owned()),
        duration: Duration::ZERO,
        replay: None,
    })
}

/// One line of progress on stderr.
pub(crate) fn progress(
    cfg: &Config,
    driver: &str,
    subject: &str,
    check: &str,
    took: Option<Duration>,
    what: &str,
) {
    if cfg.progress {
        match took {
            Some(t) => eprintln!(
                "[{driver}] {subject} {check}: {what} ({:.2} s)",
                t.as_secs_f64()
            ),
            None => eprintln!("[{driver}] {subject} {check}: {what}"),
        }
    }
}

/// Folds a check's outcomes into one record per clause: a failure wins (first message), then
/// a pass, then not-checkable.
pub(crate) fn records(
    checks: &Checks,
    subj: &Subject,
    driver: &str,
    check: &str,
    duration: Duration,
    replay: Option<String>,
) -> Vec<Record> {
    let mut per: Vec<(&'static str, Status)> = Vec::new();
    for (clause, status) in &checks.items {
        match per.iter_mut().find(|(c, _)| c == clause) {
            None => per.push((clause, status.clone())),
            Some((_, cur)) => {
                let replace = matches!(
                    (&*cur, status),
                    (Status::Pass | Status::NotCheckable(_), Status::Fail(_))
                        | (Status::NotCheckable(_), Status::Pass)
                );
                if replace {
                    *cur = status.clone();
                }
            }
        }
    }
    per.into_iter()
        .map(|(clause, status)| (clause, deviate(subj, clause, status)))
        .map(|(clause, status)| Record {
            clause: clause.to_owned(),
            subject: subj.name.to_owned(),
            version: subj.version.to_owned(),
            driver: driver.to_owned(),
            check: check.to_owned(),
            replay: matches!(status, Status::Fail(_))
                .then(|| replay.clone())
                .flatten(),
            status,
            duration,
        })
        .collect()
}

/// A failure of a clause the subject declares as a [`Deviation`](crate::subject::Deviation)
/// becomes [`Status::Deviates`]; any other status is returned as is.
pub(crate) fn deviate(subj: &Subject, clause: &str, status: Status) -> Status {
    match (status, subj.deviations.iter().find(|d| d.clause == clause)) {
        (Status::Fail(msg), Some(d)) => Status::Deviates(format!("{} (observed: {msg})", d.reason)),
        (s, _) => s,
    }
}

/// The path of the `twinsync-conformance` executable to name in a replay command: the one
/// configured for children, else this process if it is the runner, else the bare name.
/// (loom names its child command itself.)
#[cfg(not(twinsync_loom))]
pub(crate) fn runner_exe(cfg: &Config) -> String {
    let this = || {
        std::env::current_exe()
            .ok()
            .filter(|p| p.file_name().is_some_and(|n| n == "twinsync-conformance"))
    };
    cfg.child_exe.clone().or_else(this).map_or_else(
        || "twinsync-conformance".to_owned(),
        |p| p.display().to_string(),
    )
}

/// The runner command line that reruns one scenario of `subj` under `driver` at `cfg`'s
/// effort. (Real threads and processes cannot replay a schedule; this reruns the same check.)
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub(crate) fn rerun_command(cfg: &Config, driver: &str, subj: &Subject, scn: &str) -> String {
    let full = if cfg.effort == Effort::Full {
        " --full"
    } else {
        ""
    };
    format!(
        "{} --driver {driver} --subject {} --scenario {}{full}",
        runner_exe(cfg),
        subj.name,
        scn
    )
}

/// Records for a scenario a driver cannot run: its clock clauses (or, when `why` is not about
/// the clock, all its clauses) are not checkable, with the reason.
pub(crate) fn skipped_records(
    driver: &str,
    subj: &Subject,
    scn: &ScenarioInfo,
    why: &str,
) -> Vec<Record> {
    let mut c = Checks::default();
    let clauses = if scn.needs_clock && why == crate::scenarios::NO_CLOCK {
        scn.clock_clauses
    } else {
        scn.clauses
    };
    for clause in clauses {
        c.not_checkable(clause, why);
    }
    records(&c, subj, driver, scn.name, Duration::ZERO, None)
}

/// The text of a panic payload.
#[cfg(not(twinsync_loom))]
pub(crate) fn panic_message(e: &(dyn std::any::Any + Send)) -> String {
    e.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-string panic payload)".to_owned())
}
