//! The facade under the checkers: the Lock algorithm passes, and the emulated futex really
//! blocks (a lock whose release forgets to wake is reported as a deadlock).
//!
//! Run with `RUSTFLAGS="--cfg twinsync_loom" cargo test --release -p twinsync --test checkers`
//! (or `twinsync_shuttle`). In a normal build this file is empty.
#![cfg(any(twinsync_loom, twinsync_shuttle))]

use twinsync::sync::atomic::{AtomicU32, Ordering::*};
use twinsync::sync::futex::{self, Scope};
use twinsync::{thread::Lock, LockApi};

#[cfg(twinsync_loom)]
use loom::{sync::Arc, thread};
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
use shuttle::{sync::Arc, thread};

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
        let hs: Vec<_> = (0..n)
            .map(|_| {
                let s = s.clone();
                thread::spawn(move || {
                    acquire(&s);
                    let v = s.2.load(Relaxed);
                    s.2.store(v + 1, Relaxed);
                    release(&s);
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
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
    use std::sync::atomic::{AtomicUsize, Ordering};
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(3);
    let body = good();
    b.check(move || {
        RUNS.fetch_add(1, Ordering::Relaxed);
        body()
    });
    let runs = RUNS.load(Ordering::Relaxed);
    println!("loom explored {runs} interleavings");
    // Two contending threads must give loom real choices to explore.
    assert!(runs > 10, "loom explored only {runs} interleavings");
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_lock_passes() {
    shuttle::check_random(good(), 2000);
    shuttle::check_pct(good(), 2000, 3);
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_rejects_forgetful_wake() {
    let r = std::panic::catch_unwind(|| shuttle::check_random(forgetful(), 2000));
    let msg = r.expect_err("shuttle accepted a lock that forgets to wake");
    let text = msg
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| msg.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(text.contains("deadlock"), "unexpected failure: {text}");
}

/// loom aborts the process on a deadlock, so the control runs in a child process: this test
/// re-runs the test binary, selecting `loom_forgetful_child`, and expects it to fail.
#[cfg(twinsync_loom)]
#[test]
fn loom_rejects_forgetful_wake() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "loom_forgetful_child",
            "--include-ignored",
            "--nocapture",
        ])
        .env("TWINSYNC_LOOM_CHILD", "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "loom accepted a lock that forgets to wake:\n{text}"
    );
    assert!(
        text.contains("deadlock") || text.contains("Deadlock"),
        "unexpected failure:\n{text}"
    );
}

#[cfg(twinsync_loom)]
#[test]
#[ignore = "negative control: run only as a child of loom_rejects_forgetful_wake"]
fn loom_forgetful_child() {
    if std::env::var_os("TWINSYNC_LOOM_CHILD").is_none() {
        return;
    }
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(3);
    b.check(forgetful());
}
