//! The proptest driver: random operation sequences, run against the model and the subject
//! side by side in one thread; every result and every observation (e.g. `locked()`) must
//! agree. Generic over the family's [`Sequential`] model.
//!
//! Blocking operations are generated only when the model says they can complete (`acquire`
//! on a free lock); timed operations that must expire use short timeouts (0 to 2 ms) and their
//! elapsed time is checked too (e.g. LOCK-03). The runner is seeded ([`Config::seed`], fixed by
//! default), so a failure replays with `twinsync-conformance --driver proptest --subject S
//! --seed N`, and proptest shrinks it to a minimal sequence first.
//!
//! Cannot see: anything that needs two threads (LOCK-06, 07, 08, 11).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestError, TestRng, TestRunner};
use twinsync::TIMEOUT_MAX;

use super::{progress, Config, Effort};
use crate::family::Sequential;
use crate::report::{Record, Status};
use crate::subject::{Subject, Testable};

const DRIVER: &str = "proptest";

/// (cases, longest sequence) for an effort level.
pub fn budget(effort: Effort) -> (u32, usize) {
    match effort {
        Effort::Quick => (256, 24),
        Effort::Full => (20_000, 64),
    }
}

/// Timeouts worth trying: zero, short ones that expire quickly, the largest valid one, and
/// invalid ones just past and far past [`TIMEOUT_MAX`].
pub fn timeouts() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::from_millis(1)),
        Just(Duration::from_millis(2)),
        Just(TIMEOUT_MAX),
        Just(TIMEOUT_MAX + Duration::from_nanos(1)),
        Just(Duration::MAX),
        (TIMEOUT_MAX.as_secs() + 1..u64::MAX).prop_map(Duration::from_secs),
    ]
}

/// Runs `ops` (skipping the infeasible ones) on a fresh `S` and on `Q`'s model. Returns the
/// clauses exercised, or the first disagreement as `(clause, message)`.
pub fn run_sequence<S: Testable, Q: Sequential<S>>(
    ops: &[Q::Op],
) -> Result<BTreeSet<&'static str>, (&'static str, String)> {
    let subject = S::make().map_err(|e| ("HARNESS", format!("cannot make the subject: {e}")))?;
    let mut model = Q::initial();
    let mut seen = BTreeSet::new();
    for (i, op) in ops.iter().enumerate() {
        if !Q::feasible(&model, op) {
            continue;
        }
        let clause = Q::clause(&model, op);
        let before = model.clone();
        let want = Q::step(&mut model, op);
        let (got, took) = Q::apply(&subject, op);
        seen.insert(clause);
        if got != want {
            return Err((
                clause,
                format!("op #{i} {op:?}: expected {want:?}, got {got:?}"),
            ));
        }
        Q::observe(&subject, &before, &model, op, &got, took)
            .map_err(|m| (clause, format!("op #{i} {op:?}: {m}")))?;
    }
    Ok(seen)
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, chunk) in b.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&seed.wrapping_add(i as u64).to_le_bytes());
    }
    b
}

/// Runs the proptest driver on subject `L`.
pub fn run_subject<S: Testable, Q: Sequential<S>>(cfg: &Config, subj: &Subject) -> Vec<Record> {
    let (cases, len) = budget(cfg.effort);
    let seed = cfg.seed();
    let t0 = Instant::now();
    progress(cfg, DRIVER, subj.name, "sequences", None, "start");
    let pt = PtConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..PtConfig::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(seed));
    let mut runner = TestRunner::new_with_rng(pt, rng);
    let seen = RefCell::new(BTreeSet::new());
    let result = runner.run(&vec(Q::ops(), 1..=len), |ops| {
        match run_sequence::<S, Q>(&ops) {
            Ok(s) => {
                seen.borrow_mut().extend(s);
                Ok(())
            }
            Err((clause, msg)) => Err(TestCaseError::fail(format!("[{clause}] {msg}"))),
        }
    });
    let took = t0.elapsed();
    let replay = format!(
        "{} --driver proptest --subject {} --seed {seed}",
        super::runner_exe(cfg),
        subj.name
    );
    let mut failed: Option<(String, String)> = None;
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, ops)) => {
            let reason = reason.to_string();
            let clause = crate::spec::clause_in(&reason).unwrap_or(crate::report::HARNESS);
            failed = Some((
                clause.to_owned(),
                format!("{reason}; minimal sequence: {ops:?}"),
            ));
        }
        Err(TestError::Abort(why)) => {
            failed = Some((
                crate::report::HARNESS.to_owned(),
                format!("proptest aborted: {why}"),
            ));
        }
    }
    let mut out: Vec<Record> = seen
        .into_inner()
        .into_iter()
        .filter(|c| failed.as_ref().is_none_or(|(f, _)| f != c))
        .map(|c| record(subj, c, Status::Pass, took, None))
        .collect();
    if let Some((clause, msg)) = failed {
        out.push(record(subj, &clause, Status::Fail(msg), took, Some(replay)));
    }
    let verdict = if out.iter().any(Record::failed) {
        "FAIL"
    } else {
        "ok"
    };
    progress(cfg, DRIVER, subj.name, "sequences", Some(took), verdict);
    out
}

fn record(
    subj: &Subject,
    clause: &str,
    status: Status,
    d: Duration,
    replay: Option<String>,
) -> Record {
    Record {
        clause: clause.to_owned(),
        subject: subj.name.to_owned(),
        version: subj.version.to_owned(),
        driver: DRIVER.to_owned(),
        check: "sequences".to_owned(),
        status: super::deviate(subj, clause, status),
        duration: d,
        replay,
    }
}

/// Runs the proptest driver on `subjects`.
pub fn run(cfg: &Config, subjects: &[Subject]) -> Vec<Record> {
    let mut out = Vec::new();
    for s in subjects {
        match super::not_applicable(DRIVER, s) {
            Some(r) => {
                progress(cfg, DRIVER, s.name, "-", None, "n/a");
                out.push(r);
            }
            None => out.extend((s.entry.proptest)(cfg, s)),
        }
    }
    out
}
