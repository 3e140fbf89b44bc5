//! The plug-in API as an outside user sees it: the per-clause test macro on a reference
//! adapter (proptest + threads) and on a shared-memory type registered for the real-process
//! driver.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))]

use twinsync_conformance::adapters::StdLock;

twinsync_conformance::lock_conformance_tests!(std_lock, StdLock);

twinsync_conformance::register_subject!(REGISTER_PROCESS_LOCK, twinsync::process::Lock);
twinsync_conformance::lock_conformance_tests!(process_lock, twinsync::process::Lock, shared);

/// The per-family macros spell out their clause ids (generated from the catalogs): each
/// catalog's ids, in order, must be exactly one macro's list.
#[test]
fn every_family_macro_lists_its_catalog() {
    let src = include_str!("../src/plugin.rs");
    let lists: Vec<Vec<&str>> = src
        .split("$crate::__clause_tests!($module, $ty, [$($shared)?], [")
        .skip(1)
        .map(|rest| {
            let body = &rest[..rest.find(']').expect("list end")];
            body.split('"').skip(1).step_by(2).collect()
        })
        .collect();
    for cat in twinsync_conformance::spec::CATALOGS {
        let ids: Vec<&str> = cat.iter().map(|c| c.id).collect();
        assert!(
            lists.contains(&ids),
            "no per-family test macro lists exactly {ids:?}: update its list in \
             conformance/src/plugin.rs"
        );
    }
    assert_eq!(lists.len(), twinsync_conformance::spec::CATALOGS.len());
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
