//! The loom driver (built with `--cfg twinsync_loom`): every interleaving of a scenario, up
//! to a preemption bound, under loom's model of the C++11 memory orderings.
//!
//! # One child process per check
//!
//! Loom aborts the process on some failures (a deadlock is a panic inside its scheduler,
//! which cannot unwind through the model threads), so each (subject, scenario) check runs in
//! a child: the current executable re-invoked with `--loom-child --subject S --scenario X`.
//! Exit 0 means the whole bounded exploration passed; anything else is a failure, attributed
//! to the clause tag (`[LOCK-07]`) in the child's output, or to LOCK-08 when loom reports a
//! deadlock. The child reads its bounds from loom's environment variables, which the parent
//! sets, so the printed replay command is exactly what ran:
//! `LOOM_MAX_PREEMPTIONS=2 LOOM_MAX_BRANCHES=... <exe> --loom-child ...`. Loom explores in a
//! deterministic order, so re-running it reaches the same failing interleaving; add
//! `LOOM_LOG=trace LOOM_LOCATION=1` to see it. (Loom's checkpoint files need its
//! `checkpoint` feature, which needs `serde_json`; it is not enabled here.)
//!
//! # Blind spots
//!
//! No clock (timed waits time out at once: LOCK-03 is not checkable), at most 4 threads here
//! counting main (loom allows 5), SeqCst accesses modelled as AcqRel, and no cross-process
//! effects (the process version is not built).

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use super::{records, Config, Effort};
use crate::family::{Family, ScenarioInfo};
use crate::report::{Record, Status, HARNESS};
use crate::scenarios::{Checks, Params, Scratch};
use crate::subject::{Subject, Testable};

const DRIVER: &str = "loom";

/// Bounds of one loom exploration.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Scenario sizes (at most 3 workers: loom allows 5 threads, we keep one spare).
    pub params: Params,
    /// `LOOM_MAX_PREEMPTIONS`.
    pub preemptions: usize,
    /// `LOOM_MAX_BRANCHES`.
    pub max_branches: usize,
    /// Failure-detector bound on the child's run time.
    pub wall: Duration,
}

impl Budget {
    /// The budget for an effort level, with these environment overrides (inherited by the
    /// child processes): `TWINSYNC_LOOM_WORKERS` (mutual-exclusion workers, at most 3),
    /// `TWINSYNC_LOOM_ITERS` (their iterations), `TWINSYNC_LOOM_WAITERS` (sleepers in
    /// wake_on_release, at most 3). Loom's own `LOOM_MAX_PREEMPTIONS` and
    /// `LOOM_MAX_BRANCHES` override the bounds.
    ///
    /// Costs measured on a 2-core machine with thread::Lock: mutual_exclusion with 3 workers
    /// x 2 iterations at 3 preemptions explores 65,685 interleavings in about 7 s; 3 x 3 at 3
    /// preemptions, or 3 x 2 at 4, did not finish in 10 minutes; 2 x 8 at 4 explores 304,856
    /// in 30 s. wake_on_release with 2 waiters at 2 preemptions did not finish in 300 s. So
    /// `--full` adds a second, *deep* pass ([`DEEP`]) rather than more threads.
    pub fn of(effort: Effort) -> Budget {
        let (workers, iters, waiters, preemptions, wall) = match effort {
            Effort::Quick => (3, 2, 1, 3, Duration::from_secs(300)),
            Effort::Full => (3, 2, 1, 3, Duration::from_secs(3600)),
        };
        let env = |k: &str, d: usize, max: usize| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
                .min(max)
        };
        let env_u = |k: &str, d: usize| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
        };
        Budget {
            params: Params {
                workers: env("TWINSYNC_LOOM_WORKERS", workers, 3),
                iters: env("TWINSYNC_LOOM_ITERS", iters, 100) as u32,
                waiters: env("TWINSYNC_LOOM_WAITERS", waiters, 3),
                timeout: Duration::from_millis(1),
                block_bound: Duration::ZERO,
            },
            preemptions: env_u("LOOM_MAX_PREEMPTIONS", preemptions),
            max_branches: env_u("LOOM_MAX_BRANCHES", 100_000),
            wall,
        }
    }
}

/// Environment of the extra pass `--full` runs: fewer threads, more iterations, one more
/// preemption (a scenario that is not race-sensitive, i.e. not repeated by the real drivers,
/// gets two more: those are the small hand-shake scenarios).
pub const DEEP: [(&str, &str); 3] = [
    ("TWINSYNC_LOOM_WORKERS", "2"),
    ("TWINSYNC_LOOM_ITERS", "8"),
    ("LOOM_MAX_PREEMPTIONS", "4"),
];

static EXECUTIONS: AtomicUsize = AtomicUsize::new(0);
static SEEN: Mutex<Vec<(&'static str, Status)>> = Mutex::new(Vec::new());

/// Child side: explores `scn` on `L` and prints what it checked; panics (or aborts) on a
/// failure. Called by `twinsync-conformance --loom-child`.
pub fn child<L: Testable>(name: &str, b: &Budget) {
    let p = b.params;
    let scn = super::scenario_of::<L>(name)
        .unwrap_or_else(|| panic!("[HARNESS] no scenario {name:?} for {}", L::NAME));
    loom::model(move || {
        EXECUTIONS.fetch_add(1, Ordering::Relaxed);
        let lock = Arc::new(L::make().expect("[HARNESS] cannot make the subject"));
        let scratch = Arc::new(Scratch::new());
        let n = (scn.info.workers)(&p);
        let mut checks = Checks::default();
        if n == 1 {
            checks.merge(scn.run_body(&*lock, &scratch, 0, &p));
        } else {
            let handles: Vec<_> = (0..n)
                .map(|me| {
                    let (lock, scratch) = (Arc::clone(&lock), Arc::clone(&scratch));
                    loom::thread::spawn(move || scn.run_body(&*lock, &scratch, me, &p))
                })
                .collect();
            for h in handles {
                checks.merge(h.join().expect("a worker panicked"));
            }
        }
        checks.merge(scn.run_finish(&scratch, &p));
        let history = std::mem::take(&mut checks.history);
        <L::Family as Family<L>>::check_history(scn.info.name, &history, &mut checks);
        let mut seen = SEEN.lock().unwrap();
        for (c, s) in checks.items {
            if !seen.iter().any(|(c2, s2)| *c2 == c && *s2 == s) {
                seen.push((c, s));
            }
        }
    });
    println!("@@executions\t{}", EXECUTIONS.load(Ordering::Relaxed));
    for (c, s) in SEEN.lock().unwrap().iter() {
        let line = match s {
            Status::Pass => format!("@@clause\t{c}\tpass\t"),
            Status::NotCheckable(why) => format!("@@clause\t{c}\tnc\t{why}"),
            // Bodies never produce a deviation (the parent derives it from a failure).
            Status::Fail(m) | Status::Deviates(m) => format!("@@clause\t{c}\tfail\t{m}"),
        };
        println!("{line}");
    }
}

fn child_command(
    subj: &Subject,
    scn: &ScenarioInfo,
    cfg: &Config,
    b: &Budget,
    extra: &[(&str, &str)],
) -> (Command, String) {
    let exe = cfg
        .child_exe
        .clone()
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| "twinsync-conformance".into());
    let mut cmd = Command::new(&exe);
    let mut pre = b.preemptions.to_string();
    let br = b.max_branches.to_string();
    let mut extra_shown = String::new();
    for (k, v) in extra {
        if *k == "LOOM_MAX_PREEMPTIONS" {
            pre = (*v).to_owned();
        } else {
            cmd.env(k, v);
            extra_shown.push_str(&format!("{k}={v} "));
        }
    }
    cmd.env("LOOM_MAX_PREEMPTIONS", &pre)
        .env("LOOM_MAX_BRANCHES", &br)
        .args([
            "--loom-child",
            "--subject",
            subj.name,
            "--scenario",
            scn.name,
            cfg.effort.flag(),
        ]);
    let shown = format!(
        "{extra_shown}LOOM_MAX_PREEMPTIONS={pre} LOOM_MAX_BRANCHES={br} {} --loom-child --subject {} --scenario {} {}   \
         (add LOOM_LOG=trace LOOM_LOCATION=1 to trace the failing interleaving)",
        exe.display(),
        subj.name,
        scn.name,
        cfg.effort.flag()
    );
    (cmd, shown)
}

/// Parent side: runs one check in a child and interprets its exit.
fn run_check(
    cfg: &Config,
    subj: &Subject,
    scn: &ScenarioInfo,
    pass: &str,
    extra: &[(&str, &str)],
) -> Vec<Record> {
    let t0 = Instant::now();
    let b = Budget::of(cfg.effort);
    let (mut cmd, replay) = child_command(subj, scn, cfg, &b, extra);
    let mut checks = Checks::default();
    let mut note = String::new();
    match cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
        Err(e) => checks.push(
            HARNESS,
            Status::Fail(format!("cannot start the loom child: {e}")),
        ),
        Ok(mut child) => {
            let pid = child.id();
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let mut out = String::new();
                let mut err = String::new();
                if let Some(mut o) = child.stdout.take() {
                    let _ = o.read_to_string(&mut out);
                }
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                let status = child.wait();
                let _ = tx.send((status, out, err));
            });
            match rx.recv_timeout(b.wall) {
                Err(_) => {
                    // SAFETY: kill(2) on the pid of our own unreaped child; no memory involved.
                    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
                    checks.push(
                        HARNESS,
                        Status::Fail(format!(
                            "loom exploration still running after {:?}: budget too large",
                            b.wall
                        )),
                    );
                }
                Ok((status, out, err)) => {
                    note = interpret(
                        scn,
                        status.map(|s| s.success()).unwrap_or(false),
                        &out,
                        &err,
                        &mut checks,
                    );
                }
            }
        }
    }
    progress_note(cfg, subj, scn, &note);
    let check = format!("{}{pass}", scn.name);
    records(&checks, subj, DRIVER, &check, t0.elapsed(), Some(replay))
}

fn progress_note(cfg: &Config, subj: &Subject, scn: &ScenarioInfo, note: &str) {
    if cfg.progress && !note.is_empty() {
        eprintln!("[loom] {} {}: {note}", subj.name, scn.name);
    }
}

/// Turns a child's exit and output into per-clause outcomes; returns a short note.
fn interpret(scn: &ScenarioInfo, ok: bool, out: &str, err: &str, c: &mut Checks) -> String {
    if ok {
        let mut execs = String::new();
        for line in out.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f[..] {
                ["@@executions", n] => execs = n.to_owned(),
                ["@@clause", clause, kind, msg] => {
                    let Some(id) = crate::spec::clause(clause).map(|k| k.id) else {
                        continue;
                    };
                    match kind {
                        "pass" => c.push(id, Status::Pass),
                        "nc" => c.not_checkable(id, msg),
                        _ => c.push(id, Status::Fail(msg.to_owned())),
                    }
                }
                _ => {}
            }
        }
        return format!("{execs} interleavings explored");
    }
    let all = format!("{err}\n{out}");
    let line_with = |pat: &str| {
        all.lines()
            .find(|l| l.contains(pat))
            .map(|l| l.chars().take(300).collect::<String>())
    };
    let failed = if let Some(clause) = crate::spec::clause_in(&all) {
        let tag = format!("[{clause}]");
        c.push(
            clause,
            Status::Fail(format!("loom: {}", line_with(&tag).unwrap_or_default())),
        );
        clause
    } else if let (Some(l), Some(progress)) = (line_with("deadlock"), scn.progress) {
        c.push(
            progress,
            Status::Fail(format!("loom found a deadlock (a lost wake-up): {l}")),
        );
        progress
    } else {
        let tail: Vec<&str> = all.lines().rev().take(5).collect();
        c.push(
            HARNESS,
            Status::Fail(format!("loom child failed: {}", tail.join(" | "))),
        );
        HARNESS
    };
    for other in scn.clauses.iter().filter(|x| **x != failed) {
        c.not_checkable(other, "loom stopped at the first failing interleaving");
    }
    format!("rejected: {failed}")
}

/// Runs the loom driver on `subjects`.
pub fn run(cfg: &Config, subjects: &[Subject]) -> Vec<Record> {
    let skip = |scn: &ScenarioInfo| {
        if scn.needs_clock {
            Some(crate::scenarios::NO_CLOCK)
        } else {
            scn.not_for_loom
        }
    };
    super::run_scenarios(cfg, DRIVER, subjects, skip, |s, scn| {
        let mut recs = run_check(cfg, s, scn, "", &[]);
        let concurrent = (scn.workers)(&Budget::of(cfg.effort).params) > 1;
        let deep = cfg.effort == Effort::Full && concurrent;
        if deep && !super::rejects(s, &recs) {
            let mut env = DEEP.to_vec();
            if !scn.repeat {
                env[2].1 = "5";
            }
            recs.extend(run_check(cfg, s, scn, " (deep)", &env));
        }
        recs
    })
}
