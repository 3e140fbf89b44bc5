//! Helpers shared by the RLock and Condition tests: knowing that a thread sleeps in the kernel
//! without sleeping ourselves.
#![allow(dead_code)] // each test binary uses a part

use std::time::{Duration, Instant};

/// Runs each generic check `fn check(x: &X)` on a thread-version and a process-version value:
/// tests `thread_version::check` and `process_version::check`.
macro_rules! both_versions {
    (thread: $t:expr, process: $p:expr, checks: $($check:ident),* $(,)?) => {
        mod thread_version {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $check() {
                    super::$check(&$t);
                }
            )*
        }
        mod process_version {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $check() {
                    super::$check(&$p);
                }
            )*
        }
    };
}

/// Generous bound for "this happens now": reached only if something is broken.
pub const LONG: Duration = Duration::from_secs(30);

/// Whether the thread `tid` (a kernel TID, any process) is in interruptible sleep, as a thread
/// blocked in a futex wait is: the state letter after the last `)` of `/proc/<tid>/stat`.
fn sleeping(tid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{tid}/stat"))
        .ok()
        .and_then(|stat| {
            let (_, rest) = stat.rsplit_once(')')?;
            rest.trim_start().chars().next()
        })
        == Some('S')
}

/// Yields until the thread `tid` sleeps in the kernel; panics after [`LONG`] (a failure
/// detector, not a synchronization).
pub fn until_sleeping(tid: u32) {
    let t0 = Instant::now();
    while !sleeping(tid) {
        assert!(t0.elapsed() < LONG, "thread {tid} never went to sleep");
        std::thread::yield_now();
    }
}

/// Yields until `cond` holds; panics after [`LONG`] with `what`.
pub fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(t0.elapsed() < LONG, "timed out waiting until {what}");
        std::thread::yield_now();
    }
}

/// The calling thread's kernel TID.
pub fn tid() -> u32 {
    twinsync::sys::tid::current()
}
