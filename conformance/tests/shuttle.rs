//! The shuttle driver at the quick budget (build with `RUSTFLAGS="--cfg twinsync_shuttle"`):
//! thread::Lock passes, ForgetfulWake is reported as a deadlock, SplitAcquire as a
//! mutual-exclusion violation, LaxRelease sequentially, RelaxedRelease is n/a (shuttle runs
//! atomics as SeqCst); a failing schedule replays.
#![cfg(twinsync_shuttle)]

use twinsync_conformance::drivers::{self, Config, Effort};
use twinsync_conformance::report::{self, control_verdict, ControlVerdict, Status};
use twinsync_conformance::subject;

#[test]
fn shuttle_driver_passes_thread_lock_and_rejects_the_controls() {
    let cfg = Config {
        effort: Effort::Quick,
        ..Config::default()
    };
    let recs = drivers::shuttle::run(&cfg, &subject::builtin());
    let real: Vec<_> = recs
        .iter()
        .filter(|r| r.subject == "thread::Lock")
        .collect();
    assert!(real.iter().all(|r| !r.failed()), "{real:#?}");
    assert!(
        real.iter().filter(|r| r.status == Status::Pass).count() >= 10,
        "{real:#?}"
    );
    for (control, want) in [
        ("control::ForgetfulWake", Some("LOCK-08")),
        ("control::SplitAcquire", Some("LOCK-07")),
        ("control::LaxRelease", Some("LOCK-05")),
        ("control::RelaxedRelease", None),
    ] {
        match (control_verdict(&recs, control, "shuttle"), want) {
            (ControlVerdict::Rejected(how), Some(c)) => {
                assert!(how.starts_with(c), "{control}: {how}")
            }
            (ControlVerdict::NotApplicable(_), None) => {}
            (v, _) => panic!("{control}: {v:?}"),
        }
    }
    assert!(report::all_passed(&recs));

    // The persisted schedule of the lost wake-up replays to the same deadlock.
    let fw = recs
        .iter()
        .find(|r| r.subject == "control::ForgetfulWake" && r.failed())
        .unwrap();
    assert!(
        matches!(&fw.status, Status::Fail(m) if m.contains("deadlock")),
        "{fw:?}"
    );
    let cmd = fw.replay.as_deref().unwrap();
    let file = cmd
        .split(' ')
        .skip_while(|w| *w != "--shuttle-replay")
        .nth(1)
        .unwrap();
    let s = subject::by_name("control::ForgetfulWake").unwrap();
    let replayed = std::panic::catch_unwind(|| {
        drivers::shuttle::replay_subject(&s, "wake_on_release", file.as_ref())
    });
    let msg = replayed.expect_err("the replay must fail again");
    let msg = msg
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| msg.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(msg.contains("deadlock"), "{msg}");
}
