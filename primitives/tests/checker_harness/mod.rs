//! Harness shared by the per-primitive checker tests (`checkers_semaphore.rs`,
//! `checkers_event.rs`): run a model under loom and count what it explored, and run a
//! negative control so that its rejection is observed (shuttle: a caught panic; loom: a child
//! process, since loom aborts the process on a deadlock).

/// The test that a loom control's child process runs; each checker file defines it, reading
/// the control's name from [`CHILD_ENV`].
#[cfg(twinsync_loom)]
pub const CHILD_TEST: &str = "loom_broken_child";

/// Names the control a child process runs.
#[cfg(twinsync_loom)]
pub const CHILD_ENV: &str = "TWINSYNC_LOOM_CHILD";

/// Checks `body` under loom with `bound` preemptions, printing how many interleavings it
/// explored; fewer than 11 means the model gave loom no real choices.
#[cfg(twinsync_loom)]
pub fn loom_check(name: &str, bound: usize, body: impl Fn() + Send + Sync + 'static) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(bound);
    b.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        body()
    });
    let runs = runs.load(Ordering::Relaxed);
    println!("{name}: loom explored {runs} interleavings");
    assert!(runs > 10, "{name}: loom explored only {runs} interleavings");
}

/// Re-runs this test binary on [`CHILD_TEST`] with `control` in [`CHILD_ENV`] and expects
/// the child to fail with a deadlock.
#[cfg(twinsync_loom)]
pub fn loom_rejects(control: &str) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", CHILD_TEST, "--include-ignored", "--nocapture"])
        .env(CHILD_ENV, control)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "loom accepted {control}:\n{text}");
    assert!(
        text.contains("deadlock") || text.contains("Deadlock"),
        "unexpected failure:\n{text}"
    );
}

/// Runs `body` under shuttle's random scheduler and expects it to be reported as a deadlock.
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
pub fn shuttle_rejects(body: impl Fn() + Send + Sync + 'static, what: &str) {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        shuttle::check_random(body, 2000)
    }));
    let msg = r.expect_err(&format!("shuttle accepted {what}"));
    let text = msg
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| msg.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(text.contains("deadlock"), "unexpected failure: {text}");
}
