//! The facade under the checkers: the Lock algorithm passes, and the emulated futex really
//! blocks (a lock whose release forgets to wake is reported as a deadlock).
//!
//! Run with `RUSTFLAGS="--cfg twinsync_loom" cargo test --release -p twinsync --test checkers`
//! (or `twinsync_shuttle`). In a normal build this file is empty.
#![cfg(any(twinsync_loom, twinsync_shuttle))]

#[macro_use]
mod checker_support;

use twinsync::sync::atomic::{AtomicU32, Ordering::*};
use twinsync::sync::futex::{self, Scope};
use twinsync::{thread::Lock, LockApi};

use checker_support::{join_all, spawn_each, Arc};

/// A lock whose release forgets the wake: a sleeper is never woken.
struct Forgetful(AtomicU32);
impl Forgetful {
    fn acquire(&self) {
        while self.0.swap(1, Acquire) != 0 {
            futex::wait(&self.0, 1, None, Scope::Private);
        }
    }
    fn release(&self) {
        self.0.store(0, Release);
    }
}

fn counter_body<A, R>(n: usize, acquire: A, release: R) -> impl Fn() + Sync + Send + 'static
where
    A: Fn(&Arc<(Lock, Forgetful, AtomicU32)>) + Send + Sync + Copy + 'static,
    R: Fn(&Arc<(Lock, Forgetful, AtomicU32)>) + Send + Sync + Copy + 'static,
{
    move || {
        let s = Arc::new((Lock::new(), Forgetful(AtomicU32::new(0)), AtomicU32::new(0)));
        let hs = spawn_each(n, &s, move |s, _| {
            acquire(s);
            let v = s.2.load(Relaxed);
            s.2.store(v + 1, Relaxed);
            release(s);
        });
        join_all(hs);
        assert_eq!(s.2.load(Relaxed), n as u32);
    }
}

fn good() -> impl Fn() + Sync + Send + 'static {
    counter_body(2, |s| s.0.acquire(), |s| s.0.release().unwrap())
}

fn forgetful() -> impl Fn() + Sync + Send + 'static {
    counter_body(2, |s| s.1.acquire(), |s| s.1.release())
}

#[cfg(twinsync_loom)]
#[test]
fn loom_lock_passes() {
    // Two contending threads must give loom real choices to explore.
    checker_support::loom_passes("lock", 3, good());
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_lock_passes() {
    checker_support::shuttle_passes(2000, good);
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_rejects_forgetful_wake() {
    checker_support::shuttle_rejects("a lock that forgets to wake", forgetful(), &["deadlock"]);
}

// loom aborts the process on a deadlock, so the control runs in a child process: the first
// test re-runs the test binary, selecting the second, and expects it to fail.
#[cfg(twinsync_loom)]
loom_control!(
    loom_rejects_forgetful_wake,
    loom_forgetful_child,
    ["deadlock", "Deadlock"],
    checker_support::loom_check(3, forgetful())
);
