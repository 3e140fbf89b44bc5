//! The plug-in API as an outside user sees it: the per-clause test macro on a reference
//! adapter (proptest + threads) and on a shared-memory type registered for the real-process
//! driver.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))]

use twinsync_conformance::adapters::StdLock;

twinsync_conformance::lock_conformance_tests!(std_lock, StdLock);

twinsync_conformance::register_subject!(REGISTER_PROCESS_LOCK, twinsync::process::Lock);
twinsync_conformance::lock_conformance_tests!(process_lock, twinsync::process::Lock, shared);

/// The macro spells out the Lock clause ids; a new clause must be added there too.
#[test]
fn the_lock_macro_lists_every_lock_clause() {
    assert_eq!(
        twinsync_conformance::spec::lock::CLAUSES.len(),
        13,
        "update lock_conformance_tests! in conformance/src/plugin.rs"
    );
}

/// A registered subject is found by name (as a spawned worker process finds it).
#[test]
fn registered_subjects_are_found_by_name() {
    let s = twinsync_conformance::subject::by_name("process::Lock").expect("built in");
    assert_eq!(s.version, "process");
}

/// The per-clause assertion rejects a broken type, naming the clause and a replay command.
#[test]
fn a_broken_type_fails_its_clause_test() {
    use twinsync_conformance::controls::LaxRelease;
    let err = std::panic::catch_unwind(|| {
        twinsync_conformance::plugin::assert_clause::<LaxRelease>("LOCK-05")
    })
    .expect_err("LaxRelease passed LOCK-05");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("violates LOCK-05") && msg.contains("replay:"),
        "{msg}"
    );
}
