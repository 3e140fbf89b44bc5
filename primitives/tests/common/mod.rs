//! Helpers shared by the RLock and Condition tests: knowing that a thread sleeps in the kernel
//! without sleeping ourselves.
#![allow(dead_code)] // each test binary uses a part

use std::time::{Duration, Instant};

/// Runs each generic check `fn check(x: &X)` on one value per version (or per lock kind):
/// `for_each_version!(thread_version: make_a(), process_version: make_b(); [check1, check2])`
/// makes the tests `thread_version::check1`, `process_version::check1`, and so on.
macro_rules! for_each_version {
    ($($module:ident: $make:expr),+ ; $checks:tt) => {
        $( for_each_version!(@one $module, $make, $checks); )+
    };
    (@one $module:ident, $make:expr, [$($check:ident),* $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $check() {
                    super::$check(&$make);
                }
            )*
        }
    };
}

/// Generous bound for "this happens now": reached only if something is broken.
pub const LONG: Duration = Duration::from_secs(30);

/// Whether the thread `tid` (a kernel TID, any process) is in interruptible sleep, as a thread
/// blocked in a futex wait is: the state letter after the last `)` of `/proc/<tid>/stat`.
pub fn sleeping(tid: u32) -> bool {
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
