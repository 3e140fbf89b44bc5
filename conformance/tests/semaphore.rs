//! The Semaphore and BoundedSemaphore families in the normal build: twinsync's four
//! semaphores pass the proptest and threads drivers, the controls are rejected for the right
//! clause.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))]

use twinsync_conformance::controls::{LaxBound, SemSplitAcquire, SplitRelease};
use twinsync_conformance::drivers::{self, Config, Effort};
use twinsync_conformance::families::{BoundedSemaphoreFamily, SemaphoreFamily};
use twinsync_conformance::report::{control_verdict, ControlVerdict, Record, Status};
use twinsync_conformance::spec::semaphore::SemOp;
use twinsync_conformance::subject::Subject;

fn quick(scenarios: &[&str]) -> Config {
    Config {
        effort: Effort::Quick,
        scenarios: scenarios.iter().map(|s| (*s).to_owned()).collect(),
        ..Config::default()
    }
}

fn semaphores() -> Vec<Subject> {
    vec![
        Subject::local::<twinsync::thread::Semaphore>(),
        Subject::local::<twinsync::process::Semaphore>(),
        Subject::local::<twinsync::thread::BoundedSemaphore>(),
        Subject::local::<twinsync::process::BoundedSemaphore>(),
    ]
}

fn passed(recs: &[Record], subject: &str, clause: &str) -> bool {
    recs.iter()
        .any(|r| r.subject == subject && r.clause == clause && r.status == Status::Pass)
}

#[test]
fn proptest_passes_the_semaphores_and_rejects_lax_bound() {
    let mut subjects = semaphores();
    subjects.push(Subject::local::<LaxBound>());
    let recs = drivers::proptest::run(&quick(&[]), &subjects);
    let fails: Vec<&Record> = recs
        .iter()
        .filter(|r| r.version != "control" && r.failed())
        .collect();
    assert!(fails.is_empty(), "{fails:#?}");
    assert!(passed(&recs, "process::BoundedSemaphore", "BSEM-06"));
    assert!(passed(&recs, "thread::Semaphore", "SEM-02"));
    assert!(passed(&recs, "thread::BoundedSemaphore", "BSEM-05"));
    let v = control_verdict(&recs, "control::LaxBound", "proptest");
    assert!(matches!(v, ControlVerdict::Rejected(_)), "{v:?}");
}

#[test]
fn lax_bound_disagrees_with_the_model_on_one_release_too_many() {
    let err = drivers::proptest::run_sequence::<LaxBound, BoundedSemaphoreFamily>(&[
        SemOp::TryAcquire,
        SemOp::Release(2),
    ])
    .unwrap_err();
    assert_eq!(err.0, "BSEM-03", "{err:?}");
    let ok = drivers::proptest::run_sequence::<twinsync::thread::Semaphore, SemaphoreFamily>(&[
        SemOp::Release(2),
        SemOp::Acquire,
        SemOp::Value,
    ]);
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn threads_driver_passes_the_semaphores_and_rejects_the_split_controls() {
    let mut subjects = semaphores();
    subjects.push(Subject::local::<SemSplitAcquire>());
    subjects.push(Subject::local::<SplitRelease>());
    let cfg = quick(&["sequential", "handoff", "release_race", "holders"]);
    let recs = drivers::threads::run(&cfg, &subjects);
    let fails: Vec<&Record> = recs
        .iter()
        .filter(|r| r.version != "control" && r.failed())
        .collect();
    assert!(fails.is_empty(), "{fails:#?}");
    for s in ["thread::Semaphore", "process::BoundedSemaphore"] {
        assert!(passed(&recs, s, "SEM-11"), "{s}");
        assert!(passed(&recs, s, "SEM-14"), "{s}");
    }
    assert!(passed(&recs, "thread::BoundedSemaphore", "BSEM-04"));
    for c in ["control::SemSplitAcquire", "control::SplitRelease"] {
        let v = control_verdict(&recs, c, "threads");
        assert!(matches!(v, ControlVerdict::Rejected(_)), "{c}: {v:?}");
    }
}
