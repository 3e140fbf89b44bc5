//! Test helper shared by the semaphore and event tests: wait, without sleeping, until a
//! thread (or a forked child's only thread) is asleep in the kernel, as a blocked waiter is;
//! and wait, with a bound, until a condition holds.
//!
//! The state comes from `/proc/<tid>/stat` (`S`, interruptible sleep). The bounds are failure
//! detectors only: reaching one means the code under test is broken.

use std::time::{Duration, Instant};

/// Generous bound for "this happens now": only reached if something is broken.
pub const LONG: Duration = Duration::from_secs(60);

/// Spins (yielding) until `cond` holds; panics naming `what` after [`LONG`].
pub fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(t0.elapsed() < LONG, "gave up waiting until {what}");
        std::thread::yield_now();
    }
}

/// Whether thread `tid` (of any process) is asleep in the kernel right now.
pub fn is_asleep(tid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{tid}/stat")).is_ok_and(|s| {
        // "tid (comm) S ...": the state follows the last ')'.
        s.rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            == Some('S')
    })
}

/// Spins until thread `tid` is asleep in the kernel; panics after [`LONG`].
pub fn until_asleep(tid: u32) {
    until(&format!("thread {tid} sleeps"), || is_asleep(tid));
}
