//! The loom driver at the quick budget (build with `RUSTFLAGS="--cfg twinsync_loom"`,
//! `--release`): thread::Lock passes every clause loom can check, and every control is
//! rejected: ForgetfulWake as a deadlock, SplitAcquire and RelaxedRelease through the
//! critical-section checks, LaxRelease sequentially.
#![cfg(twinsync_loom)]

use twinsync_conformance::drivers::{self, Config, Effort};
use twinsync_conformance::report::{self, control_verdict, ControlVerdict, Status};
use twinsync_conformance::subject;

#[test]
fn loom_driver_passes_thread_lock_and_rejects_every_control() {
    let cfg = Config {
        effort: Effort::Quick,
        // Each check runs in a child: the runner binary of this build, not this test binary.
        child_exe: Some(env!("CARGO_BIN_EXE_twinsync-conformance").into()),
        ..Config::default()
    };
    let recs = drivers::loom::run(&cfg, &subject::builtin());
    let real: Vec<_> = recs
        .iter()
        .filter(|r| r.subject == "thread::Lock")
        .collect();
    assert!(real.iter().all(|r| !r.failed()), "{real:#?}");
    for c in ["LOCK-06", "LOCK-07", "LOCK-08", "LOCK-11"] {
        assert!(
            real.iter()
                .any(|r| r.clause == c && r.status == Status::Pass),
            "{c} not checked: {real:#?}"
        );
    }
    assert!(real
        .iter()
        .any(|r| r.clause == "LOCK-03" && matches!(r.status, Status::NotCheckable(_))));
    let expect = [
        ("control::ForgetfulWake", "LOCK-08"),
        ("control::SplitAcquire", ""),
        ("control::RelaxedRelease", "LOCK-11"),
        ("control::LaxRelease", "LOCK-05"),
    ];
    for (control, clause) in expect {
        match control_verdict(&recs, control, "loom") {
            ControlVerdict::Rejected(how) => assert!(how.starts_with(clause), "{control}: {how}"),
            v => panic!("{control}: {v:?}"),
        }
    }
    let fw = recs
        .iter()
        .find(|r| r.subject == "control::ForgetfulWake" && r.failed())
        .unwrap();
    assert!(
        matches!(&fw.status, Status::Fail(m) if m.contains("deadlock")),
        "{fw:?}"
    );
    assert!(fw.replay.as_deref().unwrap().contains("--loom-child"));
    assert!(report::all_passed(&recs));
}
