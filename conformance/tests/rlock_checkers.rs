//! The RLock family under the checkers (build with `RUSTFLAGS="--cfg twinsync_loom"`,
//! `--release`, or `--cfg twinsync_shuttle`): thread::RLock passes every clause the checker can
//! check (RLOCK-07's waiting time and RLOCK-13 are not checkable), and each RLock control is
//! rejected for one of its expected clauses: the lost wake-up as a deadlock.
#![cfg(any(twinsync_loom, twinsync_shuttle))]

use twinsync_conformance::controls::{CountlessRelease, ForeignRelease, SilentLastRelease};
use twinsync_conformance::drivers::{self, Config, Effort};
use twinsync_conformance::report::{all_passed, control_verdict, ControlVerdict, Record, Status};
use twinsync_conformance::subject::Subject;

#[cfg(twinsync_loom)]
const DRIVER: &str = "loom";
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
const DRIVER: &str = "shuttle";

fn run(subjects: &[Subject]) -> Vec<Record> {
    let cfg = Config {
        effort: Effort::Quick,
        // loom runs each check in a child: the runner binary of this build.
        #[cfg(twinsync_loom)]
        child_exe: Some(env!("CARGO_BIN_EXE_twinsync-conformance").into()),
        ..Config::default()
    };
    #[cfg(twinsync_loom)]
    return drivers::loom::run(&cfg, subjects);
    #[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
    return drivers::shuttle::run(&cfg, subjects);
}

#[test]
fn checker_passes_thread_rlock_and_rejects_the_rlock_controls() {
    let recs = run(&[
        Subject::local::<twinsync::thread::RLock>(),
        Subject::local::<CountlessRelease>(),
        Subject::local::<ForeignRelease>(),
        Subject::local::<SilentLastRelease>(),
    ]);
    let real: Vec<_> = recs
        .iter()
        .filter(|r| r.subject == "thread::RLock")
        .collect();
    assert!(real.iter().all(|r| !r.failed()), "{real:#?}");
    for c in [
        "RLOCK-01", "RLOCK-02", "RLOCK-03", "RLOCK-04", "RLOCK-05", "RLOCK-06", "RLOCK-08",
        "RLOCK-09", "RLOCK-10", "RLOCK-11", "RLOCK-12",
    ] {
        assert!(
            real.iter()
                .any(|r| r.clause == c && r.status == Status::Pass),
            "{c} not checked by {DRIVER}: {real:#?}"
        );
    }
    for (control, clause) in [
        ("control::CountlessRelease", "RLOCK-03"),
        ("control::ForeignRelease", "RLOCK-05"),
        ("control::SilentLastRelease", "RLOCK-08"),
    ] {
        match control_verdict(&recs, control, DRIVER) {
            ControlVerdict::Rejected(how) => assert!(how.starts_with(clause), "{control}: {how}"),
            v => panic!("{control}: {v:?}"),
        }
    }
    let lost = recs
        .iter()
        .find(|r| r.subject == "control::SilentLastRelease" && r.failed())
        .unwrap();
    assert!(
        matches!(&lost.status, Status::Fail(m) if m.contains("deadlock")),
        "{lost:?}"
    );
    assert!(all_passed(&recs));
}
