//! The Barrier family end to end with the real-thread and sequential drivers: the
//! `std::sync::Barrier` reference passes where it applies and deviates only where it declares,
//! and every Barrier control is rejected for one of its expected clauses.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))]

use twinsync_conformance::adapters::StdBarrier;
use twinsync_conformance::controls::{EarlyTrip, LateSeq, NoGenerations, WakeOneTrip};
use twinsync_conformance::drivers::{self, Config};
use twinsync_conformance::families::Barriers;
use twinsync_conformance::report::{all_passed, control_verdict, ControlVerdict, Status};
use twinsync_conformance::subject::Subject;

#[test]
fn std_barrier_deviates_only_where_it_declares() {
    let subjects = [Subject::local::<Barriers<StdBarrier>>()];
    let cfg = Config::default();
    let mut recs = drivers::proptest::run(&cfg, &subjects);
    recs.extend(drivers::threads::run(&cfg, &subjects));
    let failures: Vec<_> = recs.iter().filter(|r| r.failed()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(all_passed(&recs));
    let status = |clause: &str| {
        recs.iter()
            .filter(|r| r.clause == clause && r.driver == "threads")
            .map(|r| r.status.clone())
            .collect::<Vec<_>>()
    };
    // No lapping and unique indices: std meets them.
    for clause in ["BARRIER-02", "BARRIER-03", "BARRIER-11", "BARRIER-14"] {
        assert!(
            status(clause).iter().all(|s| *s == Status::Pass),
            "{clause}"
        );
    }
    // No abort: a declared deviation.
    assert!(status("BARRIER-08")
        .iter()
        .all(|s| matches!(s, Status::Deviates(_))));
}

#[test]
fn barrier_controls_are_rejected_by_the_threads_driver() {
    let subjects = [
        Subject::local::<Barriers<WakeOneTrip>>(),
        Subject::local::<Barriers<LateSeq>>(),
        Subject::local::<Barriers<NoGenerations>>(),
        Subject::local::<Barriers<EarlyTrip>>(),
    ];
    let recs = drivers::threads::run(&Config::default(), &subjects);
    for s in &subjects {
        let v = control_verdict(&recs, s.name, "threads");
        assert!(
            matches!(v, ControlVerdict::Rejected(_)),
            "{}: {v:?}",
            s.name
        );
    }
}
