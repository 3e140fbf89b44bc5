//! The Semaphore algorithm under loom and shuttle: `release(n)` lets `n` sleepers through,
//! separate releases each wake their sleeper, a waiter that times out loses no wake-up, a
//! semaphore of value 1 excludes, and racing releases of a BoundedSemaphore each add all or
//! nothing. Negative controls: a semaphore whose release wakes
//! nobody, and one whose `release(n)` wakes only one sleeper, must both be reported as
//! deadlocks.
//!
//! Run with `RUSTFLAGS="--cfg twinsync_loom" cargo test --release -p twinsync --test
//! checkers_semaphore` (or `twinsync_shuttle`). In a normal build this file is empty.
#![cfg(any(twinsync_loom, twinsync_shuttle))]

#[macro_use]
mod checker_support;

use std::time::Duration;

#[cfg(twinsync_loom)]
use checker_support::{loom_check, loom_passes};
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
use checker_support::{shuttle_passes, shuttle_rejects};

use twinsync::sync::atomic::{AtomicU32, Ordering::*};
use twinsync::sync::futex::{self, Scope};
use twinsync::thread::{BoundedSemaphore, Semaphore};
use twinsync::{Error, SemaphoreApi};

use checker_support::{join_all, spawn_each, thread, Arc};

/// A deliberately broken semaphore: its `release(n)` wakes at most `WAKES` sleepers.
struct Broken<const WAKES: u32>(AtomicU32);

impl<const WAKES: u32> SemaphoreApi for Broken<WAKES> {
    fn acquire(&self) {
        while !self.try_acquire() {
            futex::wait(&self.0, 0, None, Scope::Private);
        }
    }
    fn try_acquire(&self) -> bool {
        let v = self.0.load(Relaxed);
        v > 0 && self.0.compare_exchange(v, v - 1, Acquire, Relaxed).is_ok()
    }
    fn acquire_timeout(&self, _: Duration) -> Result<bool, Error> {
        Ok(self.try_acquire())
    }
    fn release(&self, n: u32) -> Result<(), Error> {
        self.0.fetch_add(n, Release);
        futex::wake(&self.0, n.min(WAKES), Scope::Private);
        Ok(())
    }
    fn value(&self) -> u32 {
        self.0.load(Relaxed)
    }
    fn max_value(&self) -> u32 {
        u32::MAX
    }
}

fn semaphore() -> Semaphore {
    Semaphore::new(0).unwrap()
}

/// Two threads acquire a semaphore of value 0; the main thread releases 2 at once.
fn release_n<S, F>(make: F) -> impl Fn() + Send + Sync + 'static
where
    S: SemaphoreApi + Send + Sync + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    move || {
        let sem = Arc::new(make());
        let hs = spawn_each(2, &sem, |sem, _| sem.acquire());
        sem.release(2).unwrap();
        join_all(hs);
        assert_eq!(sem.value(), 0);
    }
}

/// Two acquirers, two releasers of 1 each (one of them the main thread).
fn two_releasers() {
    let sem = Arc::new(semaphore());
    let hs = spawn_each(2, &sem, |sem, _| sem.acquire());
    let s2 = sem.clone();
    let r = thread::spawn(move || s2.release(1).unwrap());
    sem.release(1).unwrap();
    r.join().unwrap();
    join_all(hs);
    assert_eq!(sem.value(), 0);
}

/// A timed acquirer (which the checkers time out at once when it would sleep) races a
/// blocking one for the one released token; if the timed one took it, a second token
/// follows. The blocking acquirer must always get through: a timed-out waiter may not take
/// a wake-up with it.
fn timeout_races_release() {
    let sem = Arc::new(semaphore());
    let s1 = sem.clone();
    let timed = thread::spawn(move || s1.acquire_timeout(Duration::from_secs(1)).unwrap());
    let s2 = sem.clone();
    let blocking = thread::spawn(move || s2.acquire());
    sem.release(1).unwrap();
    if timed.join().unwrap() {
        sem.release(1).unwrap();
    }
    blocking.join().unwrap();
    assert_eq!(sem.value(), 0);
}

/// Two threads hold a token of a semaphore of value 1 around a split increment: never two
/// holders at once.
fn excludes() {
    let s = Arc::new((Semaphore::new(1).unwrap(), AtomicU32::new(0)));
    let hs = spawn_each(2, &s, |s, _| {
        let _g = s.0.acquire_guard();
        let v = s.1.load(Relaxed);
        s.1.store(v + 1, Relaxed);
    });
    join_all(hs);
    assert_eq!(s.1.load(Relaxed), 2);
    assert_eq!(s.0.value(), 1);
}

/// A drained BoundedSemaphore of 2: two threads release 2 each while a third takes a
/// token. Whatever the order, a release adds all of its 2 or nothing, and the value never
/// passes 2.
fn bounded_releases_race() {
    let sem = Arc::new(BoundedSemaphore::new(2).unwrap());
    assert!(sem.try_acquire() && sem.try_acquire());
    let releasers = spawn_each(2, &sem, |sem, _| match sem.release(2) {
        Ok(()) => 1,
        Err(Error::TooManyReleases { max: 2 }) => 0,
        Err(e) => panic!("unexpected {e:?}"),
    });
    let s2 = sem.clone();
    let taker = thread::spawn(move || {
        s2.acquire();
        assert!(s2.value() <= 1);
    });
    let added: u32 = join_all(releasers).into_iter().sum();
    taker.join().unwrap();
    assert!(added >= 1);
    assert_eq!(sem.value(), 2 * added - 1);
}

#[cfg(twinsync_loom)]
#[test]
fn loom_semaphore_passes() {
    loom_passes("release(2) with 2 sleepers", 3, release_n(semaphore));
    loom_passes("two releasers", 2, two_releasers);
    loom_passes("timeout races release", 3, timeout_races_release);
    loom_passes("value 1 excludes", 3, excludes);
    loom_passes("bounded releases race", 3, bounded_releases_race);
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_semaphore_passes() {
    shuttle_passes(2000, || release_n(semaphore));
    shuttle_passes(2000, || two_releasers);
    shuttle_passes(2000, || timeout_races_release);
    shuttle::check_random(excludes, 1000);
    shuttle_passes(2000, || bounded_releases_race);
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_rejects_release_that_wakes_nobody() {
    shuttle_rejects(
        "a release that wakes nobody",
        release_n(|| Broken::<0>(AtomicU32::new(0))),
        &["deadlock"],
    );
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_rejects_release_n_that_wakes_one() {
    shuttle_rejects(
        "a release(2) that wakes one sleeper",
        release_n(|| Broken::<1>(AtomicU32::new(0))),
        &["deadlock"],
    );
}

// loom aborts the process on a deadlock, so each control runs in a child process.
#[cfg(twinsync_loom)]
loom_control!(
    loom_rejects_release_that_wakes_nobody,
    loom_wakes_nobody_child,
    ["deadlock", "Deadlock"],
    loom_check(3, release_n(|| Broken::<0>(AtomicU32::new(0))))
);

#[cfg(twinsync_loom)]
loom_control!(
    loom_rejects_release_n_that_wakes_one,
    loom_wakes_one_child,
    ["deadlock", "Deadlock"],
    loom_check(3, release_n(|| Broken::<1>(AtomicU32::new(0))))
);
