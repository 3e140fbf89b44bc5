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

// Per-family test macros: each lists its family's clause ids in catalog order (the test
// `every_family_macro_lists_its_catalog` checks them against `spec::CATALOGS`).

/// Expands into a module `$module` with one `#[test]` per Lock clause (LOCK-01..LOCK-13),
/// run against `$ty` (proptest and threads; add `shared` for the real-process driver too,
/// which also needs [`register_subject!`](crate::register_subject)).
#[macro_export]
macro_rules! lock_conformance_tests {
    ($module:ident, $ty:ty $(, $shared:ident)?) => {
        $crate::__clause_tests!($module, $ty, [$($shared)?], [lock_01 "LOCK-01", lock_02 "LOCK-02", lock_03 "LOCK-03", lock_04 "LOCK-04", lock_05 "LOCK-05", lock_06 "LOCK-06", lock_07 "LOCK-07", lock_08 "LOCK-08", lock_09 "LOCK-09", lock_10 "LOCK-10", lock_11 "LOCK-11", lock_12 "LOCK-12", lock_13 "LOCK-13"]);
    };
}

/// Expands into a module `$module` with one `#[test]` per RLock clause (RLOCK-01..RLOCK-13),
/// run against `$ty` (proptest and threads; add `shared` for the real-process driver too,
/// which also needs [`register_subject!`](crate::register_subject)).
#[macro_export]
macro_rules! rlock_conformance_tests {
    ($module:ident, $ty:ty $(, $shared:ident)?) => {
        $crate::__clause_tests!($module, $ty, [$($shared)?], [rlock_01 "RLOCK-01", rlock_02 "RLOCK-02", rlock_03 "RLOCK-03", rlock_04 "RLOCK-04", rlock_05 "RLOCK-05", rlock_06 "RLOCK-06", rlock_07 "RLOCK-07", rlock_08 "RLOCK-08", rlock_09 "RLOCK-09", rlock_10 "RLOCK-10", rlock_11 "RLOCK-11", rlock_12 "RLOCK-12", rlock_13 "RLOCK-13"]);
    };
}

/// Expands into a module `$module` with one `#[test]` per Condition clause (COND-01..COND-13),
/// run against `$ty` (proptest and threads; add `shared` for the real-process driver too,
/// which also needs [`register_subject!`](crate::register_subject)).
#[macro_export]
macro_rules! condition_conformance_tests {
    ($module:ident, $ty:ty $(, $shared:ident)?) => {
        $crate::__clause_tests!($module, $ty, [$($shared)?], [cond_01 "COND-01", cond_02 "COND-02", cond_03 "COND-03", cond_04 "COND-04", cond_05 "COND-05", cond_06 "COND-06", cond_07 "COND-07", cond_08 "COND-08", cond_09 "COND-09", cond_10 "COND-10", cond_11 "COND-11", cond_12 "COND-12", cond_13 "COND-13"]);
    };
}

/// Expands into a module `$module` with one `#[test]` per Semaphore clause (SEM-01..SEM-17),
/// run against `$ty` (proptest and threads; add `shared` for the real-process driver too,
/// which also needs [`register_subject!`](crate::register_subject)).
#[macro_export]
macro_rules! semaphore_conformance_tests {
    ($module:ident, $ty:ty $(, $shared:ident)?) => {
        $crate::__clause_tests!($module, $ty, [$($shared)?], [sem_01 "SEM-01", sem_02 "SEM-02", sem_03 "SEM-03", sem_04 "SEM-04", sem_05 "SEM-05", sem_06 "SEM-06", sem_07 "SEM-07", sem_08 "SEM-08", sem_09 "SEM-09", sem_10 "SEM-10", sem_11 "SEM-11", sem_12 "SEM-12", sem_13 "SEM-13", sem_14 "SEM-14", sem_15 "SEM-15", sem_16 "SEM-16", sem_17 "SEM-17"]);
    };
}

/// Expands into a module `$module` with one `#[test]` per BoundedSemaphore clause (BSEM-01..BSEM-06),
/// run against `$ty` (proptest and threads; add `shared` for the real-process driver too,
/// which also needs [`register_subject!`](crate::register_subject)).
#[macro_export]
macro_rules! bounded_semaphore_conformance_tests {
    ($module:ident, $ty:ty $(, $shared:ident)?) => {
        $crate::__clause_tests!($module, $ty, [$($shared)?], [bsem_01 "BSEM-01", bsem_02 "BSEM-02", bsem_03 "BSEM-03", bsem_04 "BSEM-04", bsem_05 "BSEM-05", bsem_06 "BSEM-06"]);
    };
}

/// Expands into a module `$module` with one `#[test]` per Event clause (EVENT-01..EVENT-11),
/// run against `$ty` (proptest and threads; add `shared` for the real-process driver too,
/// which also needs [`register_subject!`](crate::register_subject)).
#[macro_export]
macro_rules! event_conformance_tests {
    ($module:ident, $ty:ty $(, $shared:ident)?) => {
        $crate::__clause_tests!($module, $ty, [$($shared)?], [event_01 "EVENT-01", event_02 "EVENT-02", event_03 "EVENT-03", event_04 "EVENT-04", event_05 "EVENT-05", event_06 "EVENT-06", event_07 "EVENT-07", event_08 "EVENT-08", event_09 "EVENT-09", event_10 "EVENT-10", event_11 "EVENT-11"]);
    };
}

/// Expands into a module `$module` with one `#[test]` per Barrier clause (BARRIER-01..BARRIER-15),
/// run against `$ty` (proptest and threads; add `shared` for the real-process driver too,
/// which also needs [`register_subject!`](crate::register_subject)).
#[macro_export]
macro_rules! barrier_conformance_tests {
    ($module:ident, $ty:ty $(, $shared:ident)?) => {
        $crate::__clause_tests!($module, $ty, [$($shared)?], [barrier_01 "BARRIER-01", barrier_02 "BARRIER-02", barrier_03 "BARRIER-03", barrier_04 "BARRIER-04", barrier_05 "BARRIER-05", barrier_06 "BARRIER-06", barrier_07 "BARRIER-07", barrier_08 "BARRIER-08", barrier_09 "BARRIER-09", barrier_10 "BARRIER-10", barrier_11 "BARRIER-11", barrier_12 "BARRIER-12", barrier_13 "BARRIER-13", barrier_14 "BARRIER-14", barrier_15 "BARRIER-15"]);
    };
}

/// Expands into a module `$module` with one `#[test]` per RwLock clause (RWLOCK-01..RWLOCK-14),
/// run against `$ty` (proptest and threads; add `shared` for the real-process driver too,
/// which also needs [`register_subject!`](crate::register_subject)).
#[macro_export]
macro_rules! rwlock_conformance_tests {
    ($module:ident, $ty:ty $(, $shared:ident)?) => {
        $crate::__clause_tests!($module, $ty, [$($shared)?], [rwlock_01 "RWLOCK-01", rwlock_02 "RWLOCK-02", rwlock_03 "RWLOCK-03", rwlock_04 "RWLOCK-04", rwlock_05 "RWLOCK-05", rwlock_06 "RWLOCK-06", rwlock_07 "RWLOCK-07", rwlock_08 "RWLOCK-08", rwlock_09 "RWLOCK-09", rwlock_10 "RWLOCK-10", rwlock_11 "RWLOCK-11", rwlock_12 "RWLOCK-12", rwlock_13 "RWLOCK-13", rwlock_14 "RWLOCK-14"]);
    };
}

/// Expands into a module `$module` with one `#[test]` per Queue clause (QUEUE-01..QUEUE-18),
/// run against `$ty` (proptest and threads; add `shared` for the real-process driver too,
/// which also needs [`register_subject!`](crate::register_subject)).
#[macro_export]
macro_rules! queue_conformance_tests {
    ($module:ident, $ty:ty $(, $shared:ident)?) => {
        $crate::__clause_tests!($module, $ty, [$($shared)?], [queue_01 "QUEUE-01", queue_02 "QUEUE-02", queue_03 "QUEUE-03", queue_04 "QUEUE-04", queue_05 "QUEUE-05", queue_06 "QUEUE-06", queue_07 "QUEUE-07", queue_08 "QUEUE-08", queue_09 "QUEUE-09", queue_10 "QUEUE-10", queue_11 "QUEUE-11", queue_12 "QUEUE-12", queue_13 "QUEUE-13", queue_14 "QUEUE-14", queue_15 "QUEUE-15", queue_16 "QUEUE-16", queue_17 "QUEUE-17", queue_18 "QUEUE-18"]);
    };
}

/// Expands into a module `$module` with one `#[test]` per Pipe clause (PIPE-01..PIPE-16),
/// run against `$ty` (proptest and threads; add `shared` for the real-process driver too,
/// which also needs [`register_subject!`](crate::register_subject)).
#[macro_export]
macro_rules! pipe_conformance_tests {
    ($module:ident, $ty:ty $(, $shared:ident)?) => {
        $crate::__clause_tests!($module, $ty, [$($shared)?], [pipe_01 "PIPE-01", pipe_02 "PIPE-02", pipe_03 "PIPE-03", pipe_04 "PIPE-04", pipe_05 "PIPE-05", pipe_06 "PIPE-06", pipe_07 "PIPE-07", pipe_08 "PIPE-08", pipe_09 "PIPE-09", pipe_10 "PIPE-10", pipe_11 "PIPE-11", pipe_12 "PIPE-12", pipe_13 "PIPE-13", pipe_14 "PIPE-14", pipe_15 "PIPE-15", pipe_16 "PIPE-16"]);
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
