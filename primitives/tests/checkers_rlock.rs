//! The RLock algorithm under loom and shuttle: two threads each enter twice, check their
//! depth and ownership, try to release what they do not own, and update a counter split into
//! a load and a store. A negative control, an RLock that takes "the lock is held" for "I own
//! it", must be rejected (two owners at once).
//!
//! Run with `RUSTFLAGS="--cfg twinsync_loom" cargo test --release -p twinsync --test
//! checkers_rlock` (or `twinsync_shuttle`). In a normal build this file is empty.
#![cfg(any(twinsync_loom, twinsync_shuttle))]

#[macro_use]
mod checker_support;

use twinsync::algo::lock::LockState;
use twinsync::sync::atomic::{AtomicBool, AtomicU32, Ordering::*};
use twinsync::sync::futex::Scope;
use twinsync::{thread::RLock, Error, RLockApi};

use checker_support::{join_all, spawn_each, Arc};

/// What the model needs from an RLock: the real one, or the broken control.
trait Reentrant: Send + Sync + 'static {
    fn enter(&self);
    fn leave(&self);
    fn depth(&self) -> u32;
}

impl Reentrant for RLock {
    fn enter(&self) {
        // A release by a non-owner is refused (the other thread may hold it, or nobody).
        if !self.is_owned() {
            assert!(matches!(self.release(), Err(Error::NotOwner)));
        }
        self.acquire();
    }
    fn leave(&self) {
        self.release().unwrap();
    }
    fn depth(&self) -> u32 {
        self.count()
    }
}

/// Negative control: treats "held by anyone" as "held by me", so a second thread walks in.
struct Sloppy {
    lock: LockState,
    count: AtomicU32,
}

impl Reentrant for Sloppy {
    fn enter(&self) {
        if self.lock.locked() {
            self.count.fetch_add(1, Relaxed);
        } else {
            self.lock.acquire(None, Scope::Private);
            self.count.store(1, Relaxed);
        }
    }
    fn leave(&self) {
        if self.count.fetch_sub(1, Relaxed) == 1 {
            // With two "owners" the lock may already be free; the model's own checks report
            // the real fault.
            let _ = self.lock.release(Scope::Private);
        }
    }
    fn depth(&self) -> u32 {
        self.count.load(Relaxed)
    }
}

/// Two threads, each entering twice. `inside` catches a second owner at once; the split
/// counter catches it at the end.
fn body<R: Reentrant>(make: fn() -> R) -> impl Fn() + Send + Sync + 'static {
    move || {
        let s = Arc::new((make(), AtomicBool::new(false), AtomicU32::new(0)));
        let hs = spawn_each(2, &s, |s, _| {
            let (r, inside, counter) = &**s;
            r.enter();
            assert!(!inside.swap(true, Relaxed), "two owners at once");
            r.enter();
            assert_eq!(r.depth(), 2, "wrong depth (two owners?)");
            let v = counter.load(Relaxed);
            counter.store(v + 1, Relaxed);
            r.leave();
            assert_eq!(r.depth(), 1, "wrong depth (two owners?)");
            inside.store(false, Relaxed);
            r.leave();
        });
        join_all(hs);
        assert_eq!(s.2.load(Relaxed), 2, "lost update (two owners?)");
    }
}

fn good() -> impl Fn() + Send + Sync + 'static {
    body(RLock::new)
}

fn sloppy() -> impl Fn() + Send + Sync + 'static {
    body(|| Sloppy {
        lock: LockState::new(),
        count: AtomicU32::new(0),
    })
}

// loom explores these models without a preemption bound.
#[cfg(twinsync_loom)]
#[test]
fn loom_rlock_passes() {
    checker_support::loom_passes("rlock", None, good());
}

#[cfg(twinsync_loom)]
loom_control!(
    loom_rejects_two_owners,
    loom_sloppy_child,
    ["two owners"],
    checker_support::loom_check(None, sloppy())
);

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_rlock_passes() {
    checker_support::shuttle_passes(2000, good);
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_rejects_two_owners() {
    checker_support::shuttle_rejects("an rlock with two owners", sloppy(), &["two owners"]);
}
