//! Verify your own implementation: one call, or one macro that expands into a `#[test]` per
//! clause.
//!
//! 1. Implement the primitive's trait on your type (e.g. [`twinsync::LockApi`]).
//! 2. Implement [`Testable`] (its family, a name, how to make a fresh one). If your type can
//!    live in shared memory, also [`SharedTestable`] (create and open by name) and register
//!    it with [`register_subject!`](crate::register_subject) so that the real-process driver's
//!    worker processes (copies of your test executable) can find it.
//! 3. Run [`verify`] / [`verify_shared`] and look at the report, or put
//!    [`lock_conformance_tests!`](crate::lock_conformance_tests) (one macro per family) in a test file:
//!    one `#[test]` per clause, each failing with the drivers' messages and replay commands.
//!
//! Which drivers run: proptest (sequential model) and real threads for every type; real
//! processes for a [`SharedTestable`] type. loom and shuttle need a build with
//! `--cfg twinsync_loom` / `--cfg twinsync_shuttle` and a type written on the
//! [`twinsync::sync`] facade: see the crate docs.
//!
//! ```
//! use twinsync_conformance::plugin::verify;
//! use twinsync_conformance::report::all_passed;
//!
//! let records = verify::<twinsync_conformance::adapters::StdLock>(&Default::default());
//! assert!(all_passed(&records));
//! ```

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::drivers::{self, Config};
use crate::report::{self, Record, Status};
use crate::subject::{SharedTestable, Subject, Testable};

/// Runs the in-process drivers that apply to any type (proptest, threads) on `S`.
pub fn verify<S: Testable>(cfg: &Config) -> Vec<Record> {
    run(cfg, Subject::local::<S>())
}

/// Runs every normal-build driver on `S`, real processes included. `S` must be registered
/// with [`register_subject!`](crate::register_subject) in the executable that calls this, or
/// the worker processes cannot find it (they fail with a harness error naming it).
pub fn verify_shared<S: SharedTestable>(cfg: &Config) -> Vec<Record> {
    run(cfg, Subject::shared::<S>())
}

fn run(cfg: &Config, subj: Subject) -> Vec<Record> {
    let subjects = [subj];
    let mut recs = drivers::proptest::run(cfg, &subjects);
    recs.extend(drivers::threads::run(cfg, &subjects));
    if subj.entry.processes.is_some() {
        recs.extend(drivers::processes::run(cfg, &subjects));
    }
    recs
}

type Cache = Mutex<HashMap<TypeId, Arc<OnceLock<Vec<Record>>>>>;

fn cached<S: Testable>(
    shared: bool,
    compute: impl FnOnce() -> Vec<Record>,
) -> Arc<OnceLock<Vec<Record>>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cell = {
        let mut map = CACHE
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Local and shared runs of one type are cached apart.
        let key = if shared {
            TypeId::of::<(S, ())>()
        } else {
            TypeId::of::<S>()
        };
        Arc::clone(map.entry(key).or_default())
    };
    cell.get_or_init(compute);
    cell
}

/// Checks one clause of `S`'s family against the records of one suite run (run once per test
/// executable and type, by whichever clause test comes first): panics with every failure's
/// message and replay command, or when no driver could check the clause at all.
pub fn assert_clause<S: Testable>(clause: &str) {
    let cell = cached::<S>(false, || verify::<S>(&Config::default()));
    assert_in(clause, S::NAME, cell.get().map_or(&[][..], Vec::as_slice));
}

/// As [`assert_clause`], with the real-process driver too.
pub fn assert_clause_shared<S: SharedTestable>(clause: &str) {
    let cell = cached::<S>(true, || verify_shared::<S>(&Config::default()));
    assert_in(clause, S::NAME, cell.get().map_or(&[][..], Vec::as_slice));
}

fn assert_in(clause: &str, subject: &str, recs: &[Record]) {
    let mine: Vec<&Record> = recs.iter().filter(|r| r.clause == clause).collect();
    let failures: Vec<String> = mine
        .iter()
        .filter(|r| r.failed())
        .map(|r| {
            let msg = match &r.status {
                Status::Fail(m) => m.as_str(),
                _ => "",
            };
            let replay = r.replay.as_deref().unwrap_or("(no replay command)");
            format!(
                "  [{}] {} ({}): {msg}\n    replay: {replay}",
                r.driver, r.check, r.subject
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{subject} violates {clause}:\n{}",
        failures.join("\n")
    );
    let harness: Vec<&Record> = recs
        .iter()
        .filter(|r| r.clause == report::HARNESS && r.failed())
        .collect();
    assert!(
        harness.is_empty(),
        "the suite itself failed on {subject}: {harness:#?}"
    );
    let checked = mine
        .iter()
        .any(|r| matches!(r.status, Status::Pass | Status::Deviates(_)));
    assert!(
        checked,
        "no driver checked {clause} on {subject} (records: {mine:#?})"
    );
}

/// Registers a [`SharedTestable`] type so that the real-process driver's workers (this
/// executable, spawned again) can find it by name. Use once per type, at module level.
///
/// It places a constructor in `.init_array.65000`: after the C library and std have captured
/// the arguments (priority 99), before twinsync's worker entries (65534) run in a spawned
/// worker, so the type is known when the worker looks for it.
///
/// ```
/// twinsync_conformance::register_subject!(REGISTER_PROCESS_LOCK, twinsync::process::Lock);
/// ```
#[macro_export]
macro_rules! register_subject {
    ($name:ident, $ty:ty) => {
        #[used]
        #[unsafe(link_section = ".init_array.65000")]
        static $name: extern "C" fn() = {
            extern "C" fn __twinsync_conformance_register() {
                $crate::subject::register($crate::subject::Subject::shared::<$ty>());
            }
            __twinsync_conformance_register
        };
    };
}

/// Expands into a module `$module` with one `#[test]` per Lock clause, run against `$ty`
/// (proptest and threads; add `shared` for the real-process driver too, which also needs
/// [`register_subject!`](crate::register_subject)).
///
/// ```ignore
/// twinsync_conformance::lock_conformance_tests!(my_lock, my_crate::MyLock);
/// twinsync_conformance::register_subject!(REG, my_crate::MySharedLock);
/// twinsync_conformance::lock_conformance_tests!(my_shared_lock, my_crate::MySharedLock, shared);
/// ```
#[macro_export]
macro_rules! lock_conformance_tests {
    ($module:ident, $ty:ty $(, $shared:ident)?) => {
        $crate::__clause_tests!($module, $ty, [$($shared)?], [
            lock_01 "LOCK-01", lock_02 "LOCK-02", lock_03 "LOCK-03", lock_04 "LOCK-04",
            lock_05 "LOCK-05", lock_06 "LOCK-06", lock_07 "LOCK-07", lock_08 "LOCK-08",
            lock_09 "LOCK-09", lock_10 "LOCK-10", lock_11 "LOCK-11", lock_12 "LOCK-12",
            lock_13 "LOCK-13"
        ]);
    };
}

/// Implementation detail of the per-family test macros.
#[doc(hidden)]
#[macro_export]
macro_rules! __clause_tests {
    ($module:ident, $ty:ty, [], [$($f:ident $c:literal),* $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $f() {
                    $crate::plugin::assert_clause::<$ty>($c);
                }
            )*
        }
    };
    ($module:ident, $ty:ty, [shared], [$($f:ident $c:literal),* $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $f() {
                    $crate::plugin::assert_clause_shared::<$ty>($c);
                }
            )*
        }
    };
}
