//! Helpers shared by the thread and process test files (`mod support;`).

use std::time::{Duration, Instant};

/// Generous bound for "this happens now": reached only if something is broken.
pub const LONG: Duration = Duration::from_secs(60);

/// Polls `cond` (yielding) until it holds; panics after [`LONG`]. A failure detector, not a
/// way to wait for time to pass.
pub fn until(what: &str, cond: impl Fn() -> bool) {
    let give_up = Instant::now() + LONG;
    while !cond() {
        assert!(Instant::now() < give_up, "never happened: {what}");
        std::thread::yield_now();
    }
}

/// Named segments of one test, unlinked on drop (also when an assertion fails).
pub struct Names(pub Vec<String>);

impl Names {
    /// `n` fresh unique names starting with `prefix`.
    pub fn new(prefix: &str, n: usize) -> Names {
        Names(
            (0..n)
                .map(|_| twinsync::process::unique_name(prefix).unwrap())
                .collect(),
        )
    }
}

impl Drop for Names {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = twinsync::process::unlink(n);
        }
    }
}
