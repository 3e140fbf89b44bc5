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

/// A failure detector fired: something that happens at once in a correct implementation did
/// not happen within [`LONG`]. Ends the whole test process, because a panic would not do: the
/// stuck thread is usually a scoped one, and the scope would wait for it forever.
pub fn give_up(what: &str) -> ! {
    use std::io::Write;
    // Straight to the stream: the harness captures eprintln! and would lose it at exit.
    let _ = writeln!(
        std::io::stderr(),
        "FAILED: gave up after {LONG:?} waiting until {what}"
    );
    std::process::exit(101)
}

/// Yields until the thread `tid` sleeps in the kernel (see [`give_up`]).
pub fn until_sleeping(tid: u32) {
    until(&format!("thread {tid} sleeps"), || sleeping(tid));
}

/// Yields until `cond` holds (see [`give_up`]).
pub fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        if t0.elapsed() > LONG {
            give_up(what);
        }
        std::thread::yield_now();
    }
}

/// The calling thread's kernel TID.
pub fn tid() -> u32 {
    twinsync::sys::tid::current()
}
