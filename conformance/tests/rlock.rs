//! The RLock family under the normal build's drivers: twinsync's RLocks and the
//! parking_lot reference pass every clause those drivers can check, and each RLock control
//! is rejected by every driver that can reach its bug (for one of its expected clauses).
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))]

use twinsync_conformance::adapters::ParkingLotRLock;
use twinsync_conformance::controls::{CountlessRelease, ForeignRelease, SilentLastRelease};
use twinsync_conformance::drivers::{self, Config};
use twinsync_conformance::families::RLockFamily;
use twinsync_conformance::report::{all_passed, control_verdict, ControlVerdict, Record, Status};
use twinsync_conformance::spec::rlock::{ForeignOp, RLockOp};
use twinsync_conformance::subject::Subject;

fn subjects() -> Vec<Subject> {
    vec![
        Subject::local::<twinsync::thread::RLock>(),
        Subject::shared::<twinsync::process::RLock>(),
        Subject::local::<ParkingLotRLock>(),
        Subject::shared::<CountlessRelease>(),
        Subject::shared::<ForeignRelease>(),
        Subject::shared::<SilentLastRelease>(),
    ]
}

/// No real subject fails; `real` passed every clause in `clauses`; the controls have the
/// verdicts in `expect`.
fn assert_verdicts(
    recs: &[Record],
    driver: &str,
    real: &[&str],
    clauses: &[&str],
    expect: &[(&str, &str)],
) {
    let fails: Vec<_> = recs
        .iter()
        .filter(|r| r.version != "control" && r.failed())
        .collect();
    assert!(fails.is_empty(), "{driver}: {fails:#?}");
    for s in real {
        for c in clauses {
            assert!(
                recs.iter()
                    .any(|r| r.subject == *s && r.clause == *c && r.status == Status::Pass),
                "{driver}: {c} did not pass on {s}"
            );
        }
    }
    for (control, want) in expect {
        let v = control_verdict(recs, control, driver);
        let ok = matches!(
            (*want, &v),
            ("rejected", ControlVerdict::Rejected(_)) | ("n/a", ControlVerdict::NotApplicable(_))
        );
        assert!(ok, "{driver}: {control} should be {want}, is {v:?}");
    }
    assert!(all_passed(recs), "{driver}: suite verdict is FAIL");
}

#[test]
fn proptest_runs_both_actors_and_rejects_the_sequential_controls() {
    let recs = drivers::proptest::run(&Config::default(), &subjects());
    assert_verdicts(
        &recs,
        "proptest",
        &[
            "thread::RLock",
            "process::RLock",
            "parking_lot::ReentrantMutex",
        ],
        &[
            "RLOCK-01", "RLOCK-02", "RLOCK-03", "RLOCK-04", "RLOCK-05", "RLOCK-06", "RLOCK-07",
            "RLOCK-10", "RLOCK-11",
        ],
        &[
            ("control::CountlessRelease", "rejected"),
            ("control::ForeignRelease", "rejected"),
            ("control::SilentLastRelease", "n/a"),
        ],
    );
}

#[test]
fn a_foreign_release_is_refused_by_the_model_and_accepted_by_the_control() {
    let ops = [RLockOp::Acquire, RLockOp::Foreign(ForeignOp::Release)];
    let err = drivers::proptest::run_sequence::<ForeignRelease, RLockFamily>(&ops).unwrap_err();
    assert_eq!(err.0, "RLOCK-05", "{err:?}");
    let ok = drivers::proptest::run_sequence::<twinsync::thread::RLock, RLockFamily>(&ops);
    assert!(ok.is_ok(), "{ok:?}");
    let ops = [RLockOp::Acquire, RLockOp::Acquire, RLockOp::Release];
    let err = drivers::proptest::run_sequence::<CountlessRelease, RLockFamily>(&ops).unwrap_err();
    assert_eq!(err.0, "RLOCK-03", "{err:?}");
}

#[test]
fn threads_driver_passes_the_rlocks_and_rejects_the_controls() {
    let recs = drivers::threads::run(&Config::default(), &subjects());
    assert_verdicts(
        &recs,
        "threads",
        &[
            "thread::RLock",
            "process::RLock",
            "parking_lot::ReentrantMutex",
        ],
        &[
            "RLOCK-01", "RLOCK-02", "RLOCK-03", "RLOCK-04", "RLOCK-05", "RLOCK-06", "RLOCK-07",
            "RLOCK-08", "RLOCK-09", "RLOCK-10", "RLOCK-11", "RLOCK-12",
        ],
        &[
            ("control::CountlessRelease", "rejected"),
            ("control::ForeignRelease", "rejected"),
            ("control::SilentLastRelease", "rejected"),
        ],
    );
}

#[test]
#[serial_test::serial(shm)]
fn processes_driver_passes_the_process_rlock_and_rejects_the_controls() {
    let recs = drivers::processes::run(&Config::default(), &subjects());
    assert_verdicts(
        &recs,
        "processes",
        &["process::RLock"],
        &[
            "RLOCK-01", "RLOCK-02", "RLOCK-03", "RLOCK-04", "RLOCK-05", "RLOCK-06", "RLOCK-07",
            "RLOCK-08", "RLOCK-09", "RLOCK-10", "RLOCK-11", "RLOCK-12",
        ],
        &[
            ("control::CountlessRelease", "rejected"),
            ("control::ForeignRelease", "rejected"),
            ("control::SilentLastRelease", "rejected"),
        ],
    );
}
