//! Helpers shared by the per-primitive checker tests (`checkers_<primitive>.rs`): running a
//! negative control and making sure the checker rejected it for the expected reason.
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
