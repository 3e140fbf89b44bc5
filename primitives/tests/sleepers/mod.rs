//! Test helper shared by the semaphore and event tests: wait, without sleeping, until a
//! thread (or a forked child's only thread) is asleep in the kernel, as a blocked waiter is;
//! and wait, with a bound, until a condition holds.
//!
//! The state comes from `/proc/<tid>/stat` (`S`, interruptible sleep). The bounds are failure
//! detectors only: reaching one means the code under test is broken.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

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

/// The scheduler state of thread `tid` (of any process): `R` running, `S` asleep, `T`
/// stopped, ...; `None` once it has gone.
pub fn state(tid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{tid}/stat")).ok()?;
    // "tid (comm) S ...": the state follows the last ')'.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Whether thread `tid` is asleep in the kernel right now.
pub fn is_asleep(tid: u32) -> bool {
    state(tid) == Some('S')
}

/// Spins until thread `tid` is asleep in the kernel; panics after [`LONG`].
pub fn until_asleep(tid: u32) {
    until(&format!("thread {tid} sleeps"), || is_asleep(tid));
}
