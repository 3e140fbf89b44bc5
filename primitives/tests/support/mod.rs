//! Helpers shared by the normal (non-checker) test files (`mod support;`): bounded waits for
//! something that happens at once in a correct implementation, knowing that a thread sleeps in
//! the kernel (from `/proc`) without sleeping ourselves, named segments that are unlinked
//! however the test ends, and two macros for tests generic over the versions.
//!
//! The bounds are failure detectors only: reaching one means the code under test is broken.
#![allow(dead_code, unused_macros)] // each test binary uses a part

use std::time::{Duration, Instant};

use twinsync::worker::{Exit, Worker};

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

/// Compile-time check that `$t` is not `Send` (with a `Send` type both impls apply and the
/// call is ambiguous), and that each of `$shared` is `Send + Sync`.
macro_rules! assert_send_sync {
    (not_send: $t:ty, shared: $($shared:ty),* $(,)?) => {
        const _: fn() = || {
            trait AmbiguousIfSend<A> {
                fn check() {}
            }
            impl<T: ?Sized> AmbiguousIfSend<()> for T {}
            impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}
            <$t as AmbiguousIfSend<_>>::check();
            fn send_sync<T: Send + Sync>() {}
            $( send_sync::<$shared>(); )*
        };
    };
}

/// Generous bound for "this happens now": reached only if something is broken.
pub const LONG: Duration = Duration::from_secs(60);

/// Yields until `cond` holds; panics naming `what` after [`LONG`], so that the test's guards
/// run as it unwinds ([`Names`] unlinks, [`Workers`] kills). A failure detector, not a way to
/// wait for time to pass.
pub fn until(what: &str, mut cond: impl FnMut() -> bool) {
    if !poll(&mut cond) {
        panic!("gave up after {LONG:?} waiting until {what}");
    }
}

/// As [`until`], but ends the whole test process (see [`give_up`]) instead of panicking: for
/// waits inside `std::thread::scope`, where a panic would wait forever for a stuck scoped
/// thread.
pub fn until_or_exit(what: &str, mut cond: impl FnMut() -> bool) {
    if !poll(&mut cond) {
        give_up(what);
    }
}

/// Yields until `cond` holds or [`LONG`] has passed; whether it held.
fn poll(cond: &mut impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while !cond() {
        if t0.elapsed() > LONG {
            return false;
        }
        std::thread::yield_now();
    }
    true
}

/// A failure detector fired: something that happens at once in a correct implementation did
/// not happen within [`LONG`]. Ends the whole test process, because a panic would not do: the
/// stuck thread is a scoped one, and the scope would wait for it forever.
pub fn give_up(what: &str) -> ! {
    use std::io::Write;
    // Straight to the stream: the harness captures eprintln! and would lose it at exit.
    let _ = writeln!(
        std::io::stderr(),
        "FAILED: gave up after {LONG:?} waiting until {what}"
    );
    std::process::exit(101)
}

/// The scheduler state of thread `tid` (a kernel TID, of any process): `R` running, `S`
/// asleep, `T` stopped, ...; `None` once it has gone. A forked child's only thread has the
/// child's pid as its tid.
pub fn state(tid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{tid}/stat")).ok()?;
    // "tid (comm) S ...": the state follows the last ')'.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Whether thread `tid` is in interruptible sleep right now, as a thread blocked in a futex
/// wait is.
pub fn is_asleep(tid: u32) -> bool {
    state(tid) == Some('S')
}

/// Yields until thread `tid` sleeps in the kernel; panics after [`LONG`] (see [`until`]).
pub fn until_asleep(tid: u32) {
    until(&format!("thread {tid} sleeps"), || is_asleep(tid));
}

/// The calling thread's kernel TID.
pub fn tid() -> u32 {
    twinsync::sys::tid::current()
}

/// Worker processes, joined by [`Workers::join_all`] and killed if the test panics first (a
/// child blocked on a lost wake-up would otherwise outlive the test run).
pub struct Workers(pub Vec<Worker>);

impl Drop for Workers {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.iter().for_each(|w| drop(w.kill()));
        }
    }
}

impl Workers {
    /// Forks `n` children; child `i` runs `f(i)`.
    ///
    /// # Safety
    ///
    /// As [`Worker::fork`], for `f`.
    pub unsafe fn fork_each(n: usize, f: impl Fn(usize)) -> Workers {
        Workers(
            (0..n)
                // SAFETY: forwarded: the caller vouches for `f` as `Worker::fork` requires.
                .map(|i| unsafe { Worker::fork(|| f(i)) }.unwrap())
                .collect(),
        )
    }

    /// The workers' process ids; a forked child's only thread has the child's pid as its tid.
    pub fn pids(&self) -> Vec<u32> {
        self.0.iter().map(|w| w.pid().unwrap()).collect()
    }

    /// Joins every worker, expecting each to return normally within [`LONG`].
    pub fn join_all(mut self) {
        for mut w in std::mem::take(&mut self.0) {
            assert_eq!(w.join_timeout(LONG).unwrap(), Some(Exit::Ok));
        }
    }
}

/// Named segments of one test, unlinked on drop (also when an assertion fails).
pub struct Names(pub Vec<String>);

impl Names {
    /// A fresh unique name for each of `prefixes`, in order.
    pub fn new(prefixes: &[&str]) -> Names {
        Names(
            prefixes
                .iter()
                .map(|p| twinsync::process::unique_name(p).unwrap())
                .collect(),
        )
    }
}

impl std::ops::Deref for Names {
    type Target = [String];

    fn deref(&self) -> &[String] {
        &self.0
    }
}

impl Drop for Names {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = twinsync::process::unlink(n);
        }
    }
}
