//! Helpers shared by the per-primitive checker tests (`checkers_<primitive>.rs`): running a
//! loom model with a preemption bound, running a negative control in a child process (loom
//! aborts the process on a deadlock) or under shuttle, and making sure the checker rejected
//! it for the expected reason.
#![allow(dead_code)] // each test binary uses a part

/// Set in the environment of a negative-control child process.
#[cfg(twinsync_loom)]
const CHILD_ENV: &str = "TWINSYNC_LOOM_CHILD";

/// Whether this process was started by [`loom_rejects`] to run a control. A control test
/// returns at once otherwise (it is `#[ignore]`d, but `--include-ignored` would run it).
#[cfg(twinsync_loom)]
pub fn is_loom_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// Runs the ignored test `child` of this test binary in a child process (loom aborts the
/// process on a deadlock, so a control cannot run in the test's own process) and asserts
/// that it failed with output containing one of `expected`.
#[cfg(twinsync_loom)]
pub fn loom_rejects(child: &str, expected: &[&str]) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", child, "--include-ignored", "--nocapture"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "loom accepted the negative control {child}:\n{text}"
    );
    assert!(
        expected.iter().any(|e| text.contains(e)),
        "{child} failed, but not with any of {expected:?}:\n{text}"
    );
}

/// Declares a loom negative control as two tests: `$parent` runs the ignored test `$child`
/// in a child process (see [`loom_rejects`]) and expects it to fail with output containing
/// one of `$expected`; `$child` runs `$check` when started that way.
#[cfg(twinsync_loom)]
macro_rules! loom_control {
    ($parent:ident, $child:ident, [$($expected:expr),+ $(,)?], $check:expr) => {
        #[test]
        fn $parent() {
            checker_support::loom_rejects(stringify!($child), &[$($expected),+]);
        }

        #[test]
        #[ignore = "negative control: run only as a child of its loom_rejects test"]
        fn $child() {
            if checker_support::is_loom_child() {
                $check;
            }
        }
    };
}

/// Runs a shuttle check of a negative control and asserts that it panicked with a message
/// containing one of `expected` (shuttle unwinds on a failure, deadlocks included).
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
pub fn shuttle_rejects(check: impl FnOnce() + std::panic::UnwindSafe, expected: &[&str]) {
    let payload = std::panic::catch_unwind(check).expect_err("shuttle accepted the control");
    let text = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        expected.iter().any(|e| text.contains(e)),
        "the control failed, but not with any of {expected:?}: {text}"
    );
}

/// Runs a loom model with `bound` preemptions; returns how many executions it explored.
#[cfg(twinsync_loom)]
pub fn loom_check(bound: usize, f: impl Fn() + Send + Sync + 'static) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let r = std::sync::Arc::clone(&runs);
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(bound);
    b.check(move || {
        r.fetch_add(1, Ordering::Relaxed);
        f()
    });
    runs.load(Ordering::Relaxed)
}

/// Runs a model that must pass, and checks that loom had real choices to explore.
#[cfg(twinsync_loom)]
pub fn loom_passes(name: &str, bound: usize, f: impl Fn() + Send + Sync + 'static) {
    let runs = loom_check(bound, f);
    println!("{name}: loom explored {runs} interleavings");
    assert!(runs > 10, "{name}: loom explored only {runs} interleavings");
}

/// Re-runs this test binary selecting the ignored test `child` (a negative control) and
/// expects it to fail with one of `expect` in its output.
#[cfg(twinsync_loom)]
pub fn loom_rejects_in_child(child: &str, expect: &[&str]) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", child, "--include-ignored", "--nocapture"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "loom accepted {child}:\n{text}");
    assert!(
        expect.iter().any(|e| text.contains(e)),
        "unexpected failure of {child}:\n{text}"
    );
}

/// Runs a negative control under shuttle's random scheduler; returns the failure message.
///
/// # Panics
///
/// If shuttle accepts it.
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
pub fn shuttle_rejects_random(what: &str, body: impl Fn() + Send + Sync + 'static) -> String {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        shuttle::check_random(body, 2000)
    }));
    let msg = r.expect_err(&format!("shuttle accepted {what}"));
    msg.downcast_ref::<String>()
        .cloned()
        .or_else(|| msg.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}
