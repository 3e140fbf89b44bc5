//! The normal build's drivers (proptest, threads, processes): twinsync's Locks pass, every
//! negative control the driver can reach is rejected, the others are reported n/a; the
//! report and the replay paths work.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))]

use twinsync_conformance::controls::LaxRelease;
use twinsync_conformance::drivers::{self, Config, Effort};
use twinsync_conformance::families::LockFamily;
use twinsync_conformance::report::{self, control_verdict, ControlVerdict, Record, Status};
use twinsync_conformance::spec::lock::{GuardForm, LockOp};
use twinsync_conformance::subject::{self, Testable};

fn quick() -> Config {
    Config {
        effort: Effort::Quick,
        ..Config::default()
    }
}

/// Real subjects: no failure, and at least `min_pass` clauses passed. Controls: each has the
/// verdict the test expects.
fn assert_verdicts(records: &[Record], driver: &str, min_pass: usize, expect: &[(&str, &str)]) {
    let real_fail: Vec<&Record> = records
        .iter()
        .filter(|r| r.version != "control" && r.failed())
        .collect();
    assert!(
        real_fail.is_empty(),
        "{driver}: real subjects failed: {real_fail:#?}"
    );
    for real in ["thread::Lock", "process::Lock"] {
        let passed = records
            .iter()
            .filter(|r| r.subject == real && r.status == Status::Pass)
            .count();
        if driver != "processes" || real == "process::Lock" {
            assert!(
                passed >= min_pass,
                "{driver}: only {passed} clauses passed on {real}"
            );
        }
    }
    for (control, want) in expect {
        let v = control_verdict(records, control, driver);
        let ok = matches!(
            (*want, &v),
            ("rejected", ControlVerdict::Rejected(_)) | ("n/a", ControlVerdict::NotApplicable(_))
        );
        assert!(ok, "{driver}: {control} should be {want}, is {v:?}");
    }
    let failures: Vec<&Record> = records
        .iter()
        .filter(|r| r.failed() && !r.subject.starts_with("control::"))
        .collect();
    assert!(
        report::all_passed(records),
        "{driver}: suite verdict is FAIL; failures on real subjects: {failures:#?}"
    );
}

#[test]
fn proptest_driver_passes_the_locks_and_rejects_lax_release() {
    let recs = drivers::proptest::run(&quick(), &subject::builtin());
    assert_verdicts(
        &recs,
        "proptest",
        7,
        &[
            ("control::LaxRelease", "rejected"),
            ("control::ForgetfulWake", "n/a"),
            ("control::SplitAcquire", "n/a"),
            ("control::RelaxedRelease", "n/a"),
        ],
    );
}

#[test]
fn proptest_failure_replays_with_its_seed() {
    let s = subject::Subject::local::<LaxRelease>();
    let cfg = Config {
        seed: Some(42),
        ..quick()
    };
    let first = drivers::proptest::run(&cfg, &[s]);
    let again = drivers::proptest::run(&cfg, &[s]);
    let fail = |rs: &[Record]| {
        rs.iter()
            .find(|r| r.failed())
            .cloned()
            .expect("LaxRelease must fail")
    };
    let (a, b) = (fail(&first), fail(&again));
    assert_eq!(a.clause, "LOCK-05");
    assert_eq!(a.status, b.status, "same seed, same (shrunk) failure");
    assert!(
        a.replay.as_deref().unwrap().contains("--seed 42"),
        "{:?}",
        a.replay
    );
}

#[test]
fn model_and_subject_disagree_on_lax_release() {
    let ops = [LockOp::TryAcquire, LockOp::Release, LockOp::Release];
    let err = drivers::proptest::run_sequence::<LaxRelease, LockFamily>(&ops).unwrap_err();
    assert_eq!(err.0, "LOCK-05", "{err:?}");
    let ok = drivers::proptest::run_sequence::<twinsync::thread::Lock, LockFamily>(&[
        LockOp::Acquire,
        LockOp::Guard(GuardForm::TryLock),
        LockOp::Locked,
        LockOp::Release,
        LockOp::Release,
    ]);
    assert!(ok.is_ok(), "{ok:?}");
    assert!(twinsync::thread::Lock::CONTROL.is_none() && LaxRelease::CONTROL.is_some());
}

#[test]
fn threads_driver_passes_the_locks_and_rejects_the_controls() {
    let recs = drivers::threads::run(&quick(), &subject::builtin());
    assert_verdicts(
        &recs,
        "threads",
        11,
        &[
            ("control::LaxRelease", "rejected"),
            ("control::ForgetfulWake", "rejected"),
            ("control::SplitAcquire", "rejected"),
            ("control::RelaxedRelease", "n/a"),
        ],
    );
}

#[test]
#[serial_test::serial(shm)]
fn processes_driver_passes_the_process_lock_and_rejects_the_controls() {
    let recs = drivers::processes::run(&quick(), &subject::builtin());
    assert!(
        recs.iter().all(|r| r.subject != "thread::Lock"),
        "a thread::Lock cannot be shared between processes"
    );
    assert_verdicts(
        &recs,
        "processes",
        11,
        &[
            ("control::LaxRelease", "rejected"),
            ("control::ForgetfulWake", "rejected"),
            ("control::SplitAcquire", "rejected"),
            ("control::RelaxedRelease", "n/a"),
        ],
    );
}

fn record(subject: &str, version: &str, clause: &str, status: Status) -> Record {
    Record {
        clause: clause.into(),
        subject: subject.into(),
        version: version.into(),
        driver: "threads".into(),
        check: "mutual_exclusion".into(),
        status,
        duration: Default::default(),
        replay: None,
    }
}

#[test]
fn report_fails_the_run_on_an_unrejected_control_or_a_wrong_reason() {
    let pass = record("thread::Lock", "thread", "LOCK-07", Status::Pass);
    let control_passed = record("control::SplitAcquire", "control", "LOCK-07", Status::Pass);
    assert!(!report::all_passed(&[pass.clone(), control_passed]));
    // Rejected, but only for a clause the control is not about: not a rejection.
    let wrong = record(
        "control::SplitAcquire",
        "control",
        "LOCK-05",
        Status::Fail("x".into()),
    );
    assert!(matches!(
        control_verdict(
            std::slice::from_ref(&wrong),
            "control::SplitAcquire",
            "threads"
        ),
        ControlVerdict::NotRejected(_)
    ));
    let right = record(
        "control::SplitAcquire",
        "control",
        "LOCK-07",
        Status::Fail("x".into()),
    );
    assert!(report::all_passed(&[pass.clone(), right.clone()]));
    let real_fail = record(
        "thread::Lock",
        "thread",
        "LOCK-07",
        Status::Fail("two holders".into()),
    );
    assert!(!report::all_passed(&[real_fail.clone(), right]));
    let table = report::render(&[pass, real_fail]);
    assert!(
        table.contains("FAIL") && table.contains("result: FAIL"),
        "{table}"
    );
}

#[test]
fn records_round_trip_through_the_child_format_and_json() {
    let r = Record {
        replay: Some("twinsync-conformance --seed 1".into()),
        ..record(
            "thread::Lock",
            "thread",
            "LOCK-03",
            Status::NotCheckable("no\tclock\n\\".into()),
        )
    };
    assert_eq!(Record::from_line(&r.to_line()), Some(r.clone()));
    let json = report::to_json(&[r]);
    assert!(
        json.contains(r#""status": "not-checkable""#) && json.contains(r#"no\tclock\n\\"#),
        "{json}"
    );
}

#[test]
fn cli_parses_the_common_contract() {
    use twinsync_conformance::cli::Args;
    let a = Args::parse(
        [
            "--full", "--driver", "threads", "--driver", "loom", "--json", "x.json", "--seed", "7",
        ]
        .map(String::from),
    )
    .unwrap();
    assert_eq!(a.effort, Effort::Full);
    assert_eq!(a.drivers, ["threads", "loom"]);
    assert_eq!(a.seed, Some(7));
    assert!(Args::parse(["--driver", "nope"].map(String::from)).is_err());
    assert!(Args::parse(["--seed"].map(String::from)).is_err());
}
