//! Harness shared by the checker tests of the Queue and the Pipe: a loom run that reports
//! how many executions it explored, and the two ways a negative control is run (loom aborts
//! the process on a deadlock, so its control runs in a child process; shuttle unwinds, so its
//! control runs under `catch_unwind`).

/// Explores `body` with loom at preemption bound `bound`, printing the number of executions
/// and the time; fails if loom found too few executions to mean anything.
#[cfg(twinsync_loom)]
pub fn loom_check(name: &str, bound: usize, body: impl Fn() + Sync + Send + 'static) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(bound);
    let t0 = std::time::Instant::now();
    b.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        body()
    });
    let runs = runs.load(Ordering::Relaxed);
    println!("loom {name}: {runs} interleavings in {:?}", t0.elapsed());
    assert!(runs > 10, "loom explored only {runs} interleavings");
}

/// Whether this process is the child that a [`loom_rejects`] started.
#[cfg(twinsync_loom)]
pub fn is_loom_child() -> bool {
    std::env::var_os("TWINSYNC_LOOM_CHILD").is_some()
}

/// Re-runs this test binary selecting the ignored test `child`, which runs a broken model
/// under loom, and expects loom to report a deadlock (`what` names the bug).
#[cfg(twinsync_loom)]
pub fn loom_rejects(child: &str, what: &str) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", child, "--include-ignored", "--nocapture"])
        .env("TWINSYNC_LOOM_CHILD", "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "loom accepted {what}:\n{text}");
    assert!(
        text.contains("deadlock") || text.contains("Deadlock"),
        "unexpected failure:\n{text}"
    );
}

/// Runs `check` (a shuttle check of a broken model) and expects shuttle to report a
/// deadlock (`what` names the bug).
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
pub fn shuttle_rejects(what: &str, check: impl FnOnce() + std::panic::UnwindSafe) {
    let r = std::panic::catch_unwind(check);
    let Err(msg) = r else {
        panic!("shuttle accepted {what}");
    };
    let text = msg
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| msg.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(text.contains("deadlock"), "unexpected failure: {text}");
}
