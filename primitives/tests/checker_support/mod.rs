//! Helpers shared by the checker tests (`checkers*.rs`): running a model under loom with a
//! preemption bound and counting what it explored, running a model under shuttle's random and
//! PCT schedulers, and running a negative control so that its rejection is observed (shuttle:
//! a caught panic; loom: a child process, since loom aborts the process on a deadlock) and
//! is for the expected reason.
#![allow(dead_code, unused_macros)] // each test binary uses a part

/// The checker's `Arc` and `thread`, for the models.
#[cfg(twinsync_loom)]
pub use loom::{sync::Arc, thread};
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
pub use shuttle::{sync::Arc, thread};

/// Starts `n` model threads; thread `i` runs `f(&shared, i)` on its own clone of `shared`.
pub fn spawn_each<S, R, F>(n: usize, shared: &Arc<S>, f: F) -> Vec<thread::JoinHandle<R>>
where
    S: Send + Sync + 'static,
    R: Send + 'static,
    F: Fn(&Arc<S>, usize) -> R + Send + Sync + Clone + 'static,
{
    (0..n)
        .map(|i| {
            let (s, f) = (Arc::clone(shared), f.clone());
            thread::spawn(move || f(&s, i))
        })
        .collect()
}

/// Joins every thread in order (a thread's panic fails the model); returns their results.
pub fn join_all<R>(hs: Vec<thread::JoinHandle<R>>) -> Vec<R> {
    hs.into_iter().map(|h| h.join().unwrap()).collect()
}

/// Set in the environment of a negative-control child process.
#[cfg(twinsync_loom)]
const CHILD_ENV: &str = "TWINSYNC_LOOM_CHILD";

/// How many executions a shuttle check of a negative control runs.
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
pub const SHUTTLE_CONTROL_RUNS: usize = 2000;

/// Whether this process was started by [`loom_rejects`] to run a control. A control test
/// returns at once otherwise (it is ignored, with its reason, but `--include-ignored` would
/// run it).
#[cfg(twinsync_loom)]
pub fn is_loom_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// Runs a loom model with at most `bound` preemptions (`None`: unbounded); returns how many
/// executions it explored.
#[cfg(twinsync_loom)]
pub fn loom_check(bound: impl Into<Option<usize>>, f: impl Fn() + Send + Sync + 'static) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let r = std::sync::Arc::clone(&runs);
    let mut b = loom::model::Builder::new();
    b.preemption_bound = bound.into();
    b.check(move || {
        r.fetch_add(1, Ordering::Relaxed);
        f()
    });
    runs.load(Ordering::Relaxed)
}

/// Runs a model that must pass, printing how many executions loom explored; fewer than 11
/// means the model gave loom no real choices.
#[cfg(twinsync_loom)]
pub fn loom_passes(
    name: &str,
    bound: impl Into<Option<usize>>,
    f: impl Fn() + Send + Sync + 'static,
) {
    let runs = loom_check(bound, f);
    println!("{name}: loom explored {runs} interleavings");
    assert!(runs > 10, "{name}: loom explored only {runs} interleavings");
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
            $crate::checker_support::loom_rejects(stringify!($child), &[$($expected),+]);
        }

        #[test]
        #[ignore = "negative control: run only as a child of its loom_rejects test"]
        fn $child() {
            if $crate::checker_support::is_loom_child() {
                $check;
            }
        }
    };
}

/// Checks a model that must pass with shuttle's random scheduler and with PCT (depth 3),
/// `runs` executions each; `make` builds the model (once per scheduler).
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
pub fn shuttle_passes<F: Fn() + Send + Sync + 'static>(runs: usize, make: impl Fn() -> F) {
    shuttle::check_random(make(), runs);
    shuttle::check_pct(make(), runs, 3);
}

/// Runs the negative control `body` ("`what`") under shuttle's random scheduler and asserts
/// that shuttle rejected it with a message containing one of `expected` (shuttle unwinds on
/// a failure, deadlocks included).
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
pub fn shuttle_rejects(what: &str, body: impl Fn() + Send + Sync + 'static, expected: &[&str]) {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        shuttle::check_random(body, SHUTTLE_CONTROL_RUNS)
    }));
    let payload = r.expect_err(&format!("shuttle accepted {what}"));
    let text = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        expected.iter().any(|e| text.contains(e)),
        "{what} failed, but not with any of {expected:?}: {text}"
    );
}
