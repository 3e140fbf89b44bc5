//! The user's side: the ticket locks through the conformance suite's public API. Unit tests
//! of this crate (so the trait impls may name its types), run by `cargo test`.

use crate::{BuggyTicketLock, TicketLock};
use twinsync::Error;
use twinsync_conformance::drivers::Config;
use twinsync_conformance::families::LockFamily;
use twinsync_conformance::report::Status;
use twinsync_conformance::subject::{SharedTestable, Testable};

impl Testable for TicketLock {
    type Family = LockFamily;
    const NAME: &'static str = "TicketLock";
    const VERSION: &'static str = "mine";
    fn make() -> Result<Self, Error> {
        Ok(TicketLock::new())
    }
}

impl SharedTestable for TicketLock {
    fn create_named(name: &str) -> Result<Self, Error> {
        TicketLock::create(name)
    }
    fn open_named(name: &str) -> Result<Self, Error> {
        TicketLock::open(name)
    }
}

impl Testable for BuggyTicketLock {
    type Family = LockFamily;
    const NAME: &'static str = "BuggyTicketLock";
    const VERSION: &'static str = "mine";
    fn make() -> Result<Self, Error> {
        Ok(BuggyTicketLock::new())
    }
}

twinsync_conformance::register_subject!(REGISTER_TICKET_LOCK, TicketLock);
twinsync_conformance::lock_conformance_tests!(ticket_lock, TicketLock, shared);

#[test]
fn the_buggy_ticket_lock_is_rejected_for_its_lost_wake_up() {
    let records = twinsync_conformance::plugin::verify::<BuggyTicketLock>(&Config::default());
    let failed: Vec<&str> = records
        .iter()
        .filter(|r| r.failed())
        .map(|r| r.clause.as_str())
        .collect();
    assert!(
        failed.contains(&"LOCK-08"),
        "not rejected for LOCK-08: {failed:?}"
    );
    // Every sequential clause passes: only a sleeping acquirer shows the bug.
    let sequential_ok = records
        .iter()
        .filter(|r| r.driver == "proptest")
        .all(|r| r.status == Status::Pass);
    assert!(sequential_ok, "{records:#?}");
}

/// Prints what the clause test for LOCK-08 reports on the buggy lock (the text quoted in the
/// crate docs): `cargo test -p verify-your-own show_rejection -- --ignored --nocapture`.
#[test]
#[ignore = "prints a rejection for the docs; the assertion lives in the test above"]
fn show_rejection() {
    let err = std::panic::catch_unwind(|| {
        twinsync_conformance::plugin::assert_clause::<BuggyTicketLock>("LOCK-08")
    })
    .expect_err("the buggy lock passed LOCK-08");
    println!(
        "{}",
        err.downcast_ref::<String>().cloned().unwrap_or_default()
    );
}
