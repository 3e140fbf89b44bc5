//! The real-process driver: the scenario bodies in separate processes, lock and scratch in
//! named shared-memory segments.
//!
//! # Start method: spawn
//!
//! Workers are started with [`StartMethod::Spawn`]: the current executable is re-executed
//! and the registered entry [`WORKER`] runs before `main`. Spawn is safe from any parent,
//! and this driver's parents are multi-threaded: libtest runs tests on threads, and the
//! runner binary may hold leaked threads from the thread driver's hang detection. (`fork`
//! from such a parent can leave the child waiting forever on a lock another thread held,
//! malloc's for one.) State crosses `exec` only in *named* segments, so the parent creates
//! the subject ([`SharedTestable::create_named`]) and a [`Scratch`] segment, passes both
//! names in the worker's argument, and each worker opens them and counts itself in
//! [`Scratch::attached`]. The parent unlinks both names as soon as every worker has attached
//! (the mappings stay valid until the processes exit), so a run killed midway leaves no
//! names behind; if some worker never attaches, the parent unlinks them when the scenario ends.
//!
//! Each worker publishes its per-clause outcomes as bits in the scratch segment and, on a
//! failure, panics with the tagged message, which the parent receives as
//! [`Exit::Panicked`].
//!
//! # Hangs
//!
//! The parent polls every worker with [`Worker::join_timeout`]; a worker still running after
//! the watchdog bound is recorded as a failure of the scenario's progress clause, killed (`SIGKILL`) and reaped.

use std::time::{Duration, Instant};

use twinsync::process::{unique_name, unlink, Shared};
use twinsync::sync::atomic::Ordering::{Acquire, Release};
use twinsync::worker::{Exit, Kind, StartMethod, Worker};

use super::threads::{conclude, run_rounds, unknown_scenario, Budget, Outcome};
use super::{records, scenario_of, Config};
use crate::family::Scenario;
use crate::report::{Record, Status, HARNESS};
use crate::scenarios::{clause_bit, Checks, Params, RawOp, Scratch};
use crate::subject::{SharedTestable, Subject};

const DRIVER: &str = "processes";

/// The process-driver functions of one subject type.
#[derive(Clone, Copy)]
pub struct Fns {
    run: fn(&Config, &Subject, &str) -> Vec<Record>,
    child: fn(&ChildArg) -> Result<Checks, String>,
}

impl Fns {
    pub(crate) fn of<L: SharedTestable>() -> Fns {
        Fns {
            run: run_scenario::<L>,
            child: child::<L>,
        }
    }
}

/// What a worker process is told (its entry argument, as text lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildArg {
    /// Subject name (looked up among the built-in subjects).
    pub subject: String,
    /// Scenario name.
    pub scenario: String,
    /// Name of the subject's segment.
    pub lock: String,
    /// Name of the scratch segment.
    pub scratch: String,
    /// Worker index.
    pub me: usize,
    /// Sizes.
    pub params: Params,
}

impl ChildArg {
    fn encode(&self) -> Vec<u8> {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.subject,
            self.scenario,
            self.lock,
            self.scratch,
            self.me,
            self.params.encode()
        )
        .into_bytes()
    }

    fn decode(arg: &[u8]) -> Option<ChildArg> {
        let text = std::str::from_utf8(arg).ok()?;
        let f: Vec<&str> = text.split('\n').collect();
        let [subject, scenario, lock, scratch, me, params] = f[..] else {
            return None;
        };
        Some(ChildArg {
            subject: subject.to_owned(),
            scenario: scenario.to_owned(),
            lock: lock.to_owned(),
            scratch: scratch.to_owned(),
            me: me.parse().ok()?,
            params: Params::decode(params)?,
        })
    }
}

fn worker_main(arg: &[u8]) {
    let a = ChildArg::decode(arg).expect("[HARNESS] malformed worker argument");
    let subj = crate::subject::by_name(&a.subject)
        .unwrap_or_else(|| panic!("[HARNESS] no built-in subject named {:?}", a.subject));
    let fns = subj
        .entry
        .processes
        .unwrap_or_else(|| panic!("[HARNESS] {} cannot live in shared memory", a.subject));
    let checks = (fns.child)(&a).unwrap_or_else(|e| panic!("[HARNESS] {e}"));
    if let Some(f) = checks.first_failure() {
        // The message reaches the parent as `Exit::Panicked`; the default hook would only
        // repeat it (with a backtrace) on the shared stderr.
        std::panic::set_hook(Box::new(|_| {}));
        panic!("{f}");
    }
}

twinsync::entry_point!(
    /// The entry every worker process of this driver runs.
    pub static WORKER = worker_main
);

fn child<L: SharedTestable>(a: &ChildArg) -> Result<Checks, String> {
    let scn = scenario_of::<L>(&a.scenario)
        .ok_or_else(|| format!("no scenario {:?} for {}", a.scenario, L::NAME))?;
    let lock = L::open_named(&a.lock).map_err(|e| format!("cannot open the subject: {e}"))?;
    let s =
        Shared::<Scratch>::open(&a.scratch).map_err(|e| format!("cannot open the scratch: {e}"))?;
    s.attached.fetch_add(1, Release);
    let checks = scn.run_body(&lock, &s, a.me, &a.params);
    // What the scratch bits cannot carry goes back in a file: the recorded operations, and
    // the clauses the body found not checkable here, with the reason.
    let mut text: String = checks.history.iter().map(|o| encode_op(o) + "\n").collect();
    for (clause, status) in &checks.items {
        if let Status::NotCheckable(why) = status {
            text.push_str(&format!(
                "N\t{clause}\t{}\n",
                why.replace(['\n', '\t'], " ")
            ));
        }
    }
    if !text.is_empty() {
        std::fs::write(history_file(&a.scratch, a.me), text)
            .map_err(|e| format!("cannot write the worker's report: {e}"))?;
    }
    s.publish(&checks);
    Ok(checks)
}

/// Where worker `me` of the round whose scratch segment is `scratch` leaves its history.
fn history_file(scratch: &str, me: usize) -> std::path::PathBuf {
    let base = scratch.trim_start_matches('/');
    std::env::temp_dir().join(format!("{base}-history-{me}"))
}

fn encode_op(o: &RawOp) -> String {
    format!(
        "{} {} {} {} {} {}",
        o.client, o.call, o.ret, o.op, o.arg, o.res
    )
}

fn decode_op(line: &str) -> Option<RawOp> {
    let v: Vec<u64> = line
        .split(' ')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let [client, call, ret, op, arg, res] = v[..] else {
        return None;
    };
    Some(RawOp {
        client: u32::try_from(client).ok()?,
        call,
        ret,
        op: u32::try_from(op).ok()?,
        arg,
        res,
    })
}

/// Reads (and removes) what the workers of a round left: histories and not-checkable
/// clauses.
fn collect_histories(scratch: &str, workers: usize, checks: &mut Checks) {
    for me in 0..workers {
        let path = history_file(scratch, me);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let _ = std::fs::remove_file(&path);
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("N\t") {
                if let Some((clause, why)) = rest.split_once('\t') {
                    if let Some(c) = crate::spec::clause(clause) {
                        checks.not_checkable(c.id, why);
                    }
                }
                continue;
            }
            match decode_op(line) {
                Some(op) => checks.history.push(op),
                None => checks.check(HARNESS, false, || {
                    format!("worker {me} left an unreadable history line {line:?}")
                }),
            }
        }
    }
}

fn run_scenario<L: SharedTestable>(cfg: &Config, subj: &Subject, name: &str) -> Vec<Record> {
    let Some(scn) = scenario_of::<L>(name) else {
        let c = unknown_scenario(name);
        return records(&c, subj, DRIVER, name, Duration::ZERO, None);
    };
    run_rounds(cfg, DRIVER, subj, &scn.info, |b| round::<L>(subj, &scn, b))
}

fn round<L: SharedTestable>(subj: &Subject, scn: &Scenario<L>, b: &Budget) -> Checks {
    let mut checks = Checks::default();
    match (unique_name("tsc-lock"), unique_name("tsc-scratch")) {
        (Ok(ln), Ok(sn)) => {
            match (L::create_named(&ln), Shared::create(&sn, Scratch::new())) {
                (Ok(_lock), Ok(scratch)) => {
                    let unlink_all = || {
                        L::unlink_named(&ln);
                        let _ = unlink(&sn);
                    };
                    let out = run_workers(subj, scn, &ln, &sn, b, &scratch, &unlink_all);
                    checks = conclude(scn, &scratch, &b.params, out, b.watchdog);
                }
                (l, s) => checks.check(HARNESS, false, || {
                    format!("cannot create the segments: {:?} / {:?}", l.err(), s.err())
                }),
            }
            L::unlink_named(&ln);
            let _ = unlink(&sn);
        }
        (l, s) => checks.check(HARNESS, false, || {
            format!("unique_name: {:?} / {:?}", l.err(), s.err())
        }),
    }
    checks
}

fn run_workers<L>(
    subj: &Subject,
    scn: &Scenario<L>,
    lock: &str,
    scratch_name: &str,
    b: &Budget,
    scratch: &Scratch,
    unlink_all: &dyn Fn(),
) -> Outcome {
    let t0 = Instant::now();
    let mut checks = Checks::default();
    let mut workers: Vec<Option<Worker>> = Vec::new();
    let mut panics: Vec<String> = Vec::new();
    for me in 0..(scn.info.workers)(&b.params) {
        let arg = ChildArg {
            subject: subj.name.to_owned(),
            scenario: scn.info.name.to_owned(),
            lock: lock.to_owned(),
            scratch: scratch_name.to_owned(),
            me,
            params: b.params,
        };
        match Worker::start(Kind::Process(StartMethod::Spawn), &WORKER, &arg.encode()) {
            Ok(w) => workers.push(Some(w)),
            Err(e) => checks.check(HARNESS, false, || format!("cannot start worker {me}: {e}")),
        }
    }
    let mut violation_seen: Option<Instant> = None;
    let mut running = workers.len();
    let mut unlinked = false;
    while running > 0 {
        if !unlinked && scratch.attached.load(Acquire) as usize >= workers.len() {
            // Every worker has both segments mapped: the names are no longer needed.
            unlink_all();
            unlinked = true;
        }
        let limit = match violation_seen {
            Some(at) => (at + b.grace).min(t0 + b.watchdog),
            None => t0 + b.watchdog,
        };
        if Instant::now() >= limit {
            break;
        }
        for (me, slot) in workers.iter_mut().enumerate() {
            let Some(w) = slot else { continue };
            match w.join_timeout(Duration::from_millis(10)) {
                Ok(None) => continue,
                Ok(Some(Exit::Ok)) => {}
                Ok(Some(Exit::Panicked(m))) => panics.push(m),
                Ok(Some(other)) => checks.check(HARNESS, false, || format!("worker {me} {other}")),
                Err(e) => checks.check(HARNESS, false, || format!("joining worker {me}: {e}")),
            }
            *slot = None;
            running -= 1;
        }
        if violation_seen.is_none() && scratch.violations.load(Acquire) > 0 {
            violation_seen = Some(Instant::now());
        }
    }
    let mut hung = 0;
    let started = workers.len();
    for w in workers.into_iter().flatten() {
        hung += 1;
        let _ = w.kill();
        let _ = w.join();
    }
    collect_histories(scratch_name, started, &mut checks);
    // Per-clause outcomes: messages from the workers' panics, and the bits they published
    // (a bit without a panic message still counts).
    for m in &panics {
        let clause = crate::spec::clause_in(m).unwrap_or(HARNESS);
        checks.check(clause, false, || format!("worker panicked: {m}"));
    }
    let (passed, failed) = (scratch.passed.load(Acquire), scratch.failed.load(Acquire));
    let catalog = scn
        .info
        .clauses
        .first()
        .and_then(|c| crate::spec::catalog_of(c))
        .unwrap_or(&[]);
    for clause in catalog.iter().map(|c| c.id) {
        let Some(bit) = clause_bit(clause) else {
            continue;
        };
        if failed & bit != 0 {
            checks.check(clause, false, || {
                format!("a worker reported a {clause} failure")
            });
        } else if passed & bit != 0 {
            checks.check(clause, true, String::new);
        }
    }
    Outcome { checks, hung }
}

/// Runs the real-process driver on `subjects` (those that can live in shared memory).
pub fn run(cfg: &Config, subjects: &[Subject]) -> Vec<Record> {
    let shared: Vec<Subject> = subjects
        .iter()
        .filter(|s| s.entry.processes.is_some())
        .copied()
        .collect();
    super::run_scenarios(
        cfg,
        DRIVER,
        &shared,
        |_| None,
        |s, scn| {
            let fns = s.entry.processes.expect("filtered above");
            (fns.run)(cfg, s, scn.name)
        },
    )
}
