//! The reference adapters (std, parking_lot) pass the suite: a suite that rejects them would
//! be wrong. Their declared deviations are reported as such, never as failures.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))]

use twinsync_conformance::adapters::{ParkingLotLock, StdLock};
use twinsync_conformance::drivers::{self, Config};
use twinsync_conformance::report::{all_passed, Status};
use twinsync_conformance::subject::Subject;

#[test]
fn std_and_parking_lot_locks_pass_proptest_and_threads() {
    let subjects = [
        Subject::local::<StdLock>(),
        Subject::local::<ParkingLotLock>(),
    ];
    let cfg = Config::default();
    let mut recs = drivers::proptest::run(&cfg, &subjects);
    recs.extend(drivers::threads::run(&cfg, &subjects));
    let failures: Vec<_> = recs.iter().filter(|r| r.failed()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(all_passed(&recs));
    // parking_lot refuses a release by another thread: LOCK-06 is its declared deviation,
    // and std (Mutex + Condvar) has none.
    let lock06 = |subject: &str| {
        recs.iter()
            .find(|r| r.subject == subject && r.clause == "LOCK-06")
            .map(|r| r.status.clone())
    };
    assert!(matches!(
        lock06("parking_lot::RawMutex"),
        Some(Status::Deviates(_))
    ));
    assert_eq!(lock06("std::Mutex+Condvar"), Some(Status::Pass));
}
