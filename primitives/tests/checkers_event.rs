//! The Event algorithm under loom and shuttle: `set` wakes every waiter, a waiter woken by a
//! `set` returns although a `clear` follows at once, a timed waiter racing a `set` loses
//! nobody's wake-up, ping-pong through two events, and `set` publishes earlier writes to
//! the waiters it releases. Negative controls: an Event whose `set` wakes only one waiter, and one
//! whose waiters re-check only the flag (as `multiprocessing.Event` does), must both be
//! reported as deadlocks.
//!
//! Run with `RUSTFLAGS="--cfg twinsync_loom" cargo test --release -p twinsync --test
//! checkers_event` (or `twinsync_shuttle`). In a normal build this file is empty.
#![cfg(any(twinsync_loom, twinsync_shuttle))]

#[macro_use]
mod checker_support;

use std::time::Duration;

#[cfg(twinsync_loom)]
use checker_support::{loom_check, loom_passes};
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
use checker_support::{shuttle_passes, shuttle_rejects};

use twinsync::algo::event::{EventState, GEN_MASK, GEN_ONE, SET, WAITERS};
use twinsync::sync::atomic::{AtomicU32, Ordering::*};
use twinsync::sync::futex::{self, Scope};
use twinsync::{thread::Event, EventApi};

use checker_support::{join_all, spawn_each, thread, Arc};

/// What the set/clear models drive: the Event algorithm, or a broken variant, plus a probe
/// telling that a waiter has begun (announced itself, so its wait must end at the next set).
trait Subject: Send + Sync + 'static {
    fn wait(&self);
    fn set(&self);
    fn clear(&self);
    fn is_set(&self) -> bool;
    fn announced(&self) -> bool;
}

impl Subject for EventState {
    fn wait(&self) {
        assert!(EventState::wait(self, None, Scope::Private));
    }
    fn set(&self) {
        EventState::set(self, Scope::Private);
    }
    fn clear(&self) {
        EventState::clear(self);
    }
    fn is_set(&self) -> bool {
        EventState::is_set(self)
    }
    fn announced(&self) -> bool {
        self.has_waiters()
    }
}

/// A deliberately broken Event on the same word layout. With `ALL` false, `set` wakes one
/// sleeper; with `GEN` false, a woken waiter re-checks only the flag (as
/// `multiprocessing.Event` does) and sleeps again if a `clear` came first.
struct Broken<const ALL: bool, const GEN: bool>(AtomicU32);

impl<const ALL: bool, const GEN: bool> Broken<ALL, GEN> {
    fn new() -> Self {
        Broken(AtomicU32::new(0))
    }
}

impl<const ALL: bool, const GEN: bool> Subject for Broken<ALL, GEN> {
    fn wait(&self) {
        let gen = self.0.load(Acquire) & GEN_MASK;
        loop {
            let w = self.0.load(Acquire);
            if w & SET != 0 || (GEN && w & GEN_MASK != gen) {
                return;
            }
            if w & WAITERS == 0
                && self
                    .0
                    .compare_exchange(w, w | WAITERS, Acquire, Relaxed)
                    .is_err()
            {
                continue;
            }
            futex::wait(&self.0, w | WAITERS, None, Scope::Private);
        }
    }
    fn set(&self) {
        let w = self.0.load(Relaxed);
        let new = ((w & GEN_MASK).wrapping_add(GEN_ONE) & GEN_MASK) | SET;
        if w & SET == 0 && self.0.compare_exchange(w, new, Release, Relaxed).is_ok() {
            futex::wake(&self.0, if ALL { u32::MAX } else { 1 }, Scope::Private);
        }
    }
    fn clear(&self) {
        self.0.fetch_and(!SET, Relaxed);
    }
    fn is_set(&self) -> bool {
        self.0.load(Acquire) & SET != 0
    }
    fn announced(&self) -> bool {
        self.0.load(Relaxed) & WAITERS != 0
    }
}

/// Two threads wait; the main thread sets. Both waiters must return, whenever they begin.
fn set_wakes_all<E: Subject, F>(make: F) -> impl Fn() + Send + Sync + 'static
where
    F: Fn() -> E + Send + Sync + 'static,
{
    move || {
        let ev = Arc::new(make());
        let hs = spawn_each(2, &ev, |ev, _| ev.wait());
        ev.set();
        join_all(hs);
        assert!(ev.is_set());
    }
}

/// A thread waits; once it has begun (announced itself), the main thread sets and at once
/// clears. The waiter must return: a set happened while it waited.
fn set_then_clear<E: Subject, F>(make: F) -> impl Fn() + Send + Sync + 'static
where
    F: Fn() -> E + Send + Sync + 'static,
{
    move || {
        let ev = Arc::new(make());
        let e2 = ev.clone();
        let waiter = thread::spawn(move || e2.wait());
        while !ev.announced() {
            thread::yield_now();
        }
        ev.set();
        ev.clear();
        waiter.join().unwrap();
        assert!(!ev.is_set());
    }
}

/// A timed waiter (which the checkers time out at once when it would sleep) and a blocking
/// one race a `set`, through the public `thread::Event`: the blocking one always returns,
/// and the timed one returns true only once the event is set.
fn timed_waiter_races_set() {
    let ev = Arc::new(Event::new());
    let e1 = ev.clone();
    let timed = thread::spawn(move || {
        // Nobody clears here: a true answer means the flag is up for good.
        let r = e1.wait_timeout(Duration::from_secs(1)).unwrap();
        assert!(!r || e1.is_set());
    });
    let e2 = ev.clone();
    let blocking = thread::spawn(move || e2.wait());
    ev.set();
    blocking.join().unwrap();
    timed.join().unwrap();
    assert!(ev.is_set());
}

/// Two rounds of ping-pong through two events, each side clearing its own event before
/// setting the other's: every set must reach a waiter that may be anywhere between its look
/// at the word and its sleep.
fn ping_pong() {
    let s = Arc::new((Event::new(), Event::new()));
    let s2 = s.clone();
    let pong = thread::spawn(move || {
        for _ in 0..2 {
            s2.0.wait();
            s2.0.clear();
            s2.1.set();
        }
    });
    for _ in 0..2 {
        s.0.set();
        s.1.wait();
        s.1.clear();
    }
    pong.join().unwrap();
    assert!(!s.0.is_set() && !s.1.is_set());
}

/// `set` publishes: a waiter that a `set` lets through sees what the setter wrote before it
/// (a Relaxed store, so only the Event's own ordering can make it visible).
fn set_publishes() {
    let s = Arc::new((Event::new(), AtomicU32::new(0)));
    let s2 = s.clone();
    let reader = thread::spawn(move || {
        s2.0.wait();
        assert_eq!(
            s2.1.load(Relaxed),
            1,
            "set did not publish the write before it"
        );
    });
    s.1.store(1, Relaxed);
    s.0.set();
    reader.join().unwrap();
}

fn state() -> EventState {
    EventState::new()
}

#[cfg(twinsync_loom)]
#[test]
fn loom_event_passes() {
    loom_passes("set wakes 2 waiters", 3, set_wakes_all(state));
    loom_passes("set then clear", 3, set_then_clear(state));
    loom_passes("timed waiter races set", 3, timed_waiter_races_set);
    loom_passes("ping-pong", 3, ping_pong);
    loom_passes("set publishes", 3, set_publishes);
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_event_passes() {
    shuttle_passes(2000, || set_wakes_all(state));
    shuttle_passes(2000, || set_then_clear(state));
    shuttle_passes(2000, || timed_waiter_races_set);
    shuttle_passes(2000, || ping_pong);
    shuttle::check_random(set_publishes, 1000);
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_rejects_set_that_wakes_one() {
    shuttle_rejects(
        "a set that wakes one of two waiters",
        set_wakes_all(Broken::<false, true>::new),
        &["deadlock"],
    );
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_rejects_flag_only_waiters() {
    shuttle_rejects(
        "waiters that re-check only the flag after set+clear",
        set_then_clear(Broken::<true, false>::new),
        &["deadlock"],
    );
}

// loom aborts the process on a deadlock, so each control runs in a child process.
#[cfg(twinsync_loom)]
loom_control!(
    loom_rejects_set_that_wakes_one,
    loom_wakes_one_child,
    ["deadlock", "Deadlock"],
    loom_check(3, set_wakes_all(Broken::<false, true>::new))
);

#[cfg(twinsync_loom)]
loom_control!(
    loom_rejects_flag_only_waiters,
    loom_flag_only_child,
    ["deadlock", "Deadlock"],
    loom_check(3, set_then_clear(Broken::<true, false>::new))
);
