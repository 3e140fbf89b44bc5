//! The Barrier algorithm under the checkers: generations without lapping, unique indices, the
//! action before release, more threads than parties, a timeout that breaks it for all, a
//! reset while a party waits; and two negative controls the checkers must reject: a barrier
//! whose release wakes one sleeper instead of all, and a barrier without generations, where a
//! fast party laps a slow one.
//!
//! Run with `RUSTFLAGS="--cfg twinsync_loom" cargo test --release -p twinsync --test
//! checkers_barrier` (or `twinsync_shuttle`). In a normal build this file is empty.
#![cfg(any(twinsync_loom, twinsync_shuttle))]

#[macro_use]
mod checker_support;

use std::time::Duration;

use twinsync::sync::atomic::{AtomicU32, Ordering::*};
use twinsync::sync::futex::{self, Scope};
use twinsync::{thread::Barrier, BarrierApi, Error};

#[cfg(twinsync_loom)]
use checker_support::{loom_check, loom_passes};
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
use checker_support::{shuttle_passes, shuttle_rejects};
use checker_support::{thread, Arc};

/// What the scenarios need of a barrier.
trait Waits: Send + Sync + 'static {
    fn wait_index(&self) -> u32;
}

impl Waits for Barrier {
    fn wait_index(&self) -> u32 {
        self.wait().expect("wait")
    }
}

/// Negative control 1: a generation barrier (generation and count in one futex word) whose
/// release wakes one sleeper only. With three parties a sleeper is left behind.
struct WakeOne {
    word: AtomicU32,
    parties: u32,
}

impl Waits for WakeOne {
    fn wait_index(&self) -> u32 {
        let mut w = self.word.load(Relaxed);
        loop {
            match self.word.compare_exchange(w, w + 1, AcqRel, Relaxed) {
                Ok(_) => break,
                Err(now) => w = now,
            }
        }
        let (g, index) = (w >> 8, w & 0xff);
        if index + 1 == self.parties {
            self.word.store((g + 1) << 8, Release);
            futex::wake(&self.word, 1, Scope::Private); // the bug: not wake_all
            return index;
        }
        loop {
            let now = self.word.load(Acquire);
            if now >> 8 != g {
                return index;
            }
            futex::wait(&self.word, now, None, Scope::Private);
        }
    }
}

/// Negative control 2: a barrier without generations. Waiters wait for the count to drop
/// back to 0, so a fast party that re-enters first counts itself into the generation a slow
/// party is still waiting to leave.
struct Laps {
    count: AtomicU32,
    parties: u32,
}

impl Waits for Laps {
    fn wait_index(&self) -> u32 {
        let index = self.count.fetch_add(1, AcqRel);
        if index + 1 == self.parties {
            self.count.store(0, Release);
            futex::wake_all(&self.count, Scope::Private);
            return index;
        }
        loop {
            let now = self.count.load(Acquire);
            if now == 0 {
                return index;
            }
            futex::wait(&self.count, now, None, Scope::Private);
        }
    }
}

/// Per generation: arrivals and a bitmask of indices; then the action count.
struct Record {
    arrived: Vec<AtomicU32>,
    indices: Vec<AtomicU32>,
    actions: AtomicU32,
}

impl Record {
    fn new(gens: usize) -> Self {
        Record {
            arrived: (0..gens).map(|_| AtomicU32::new(0)).collect(),
            indices: (0..gens).map(|_| AtomicU32::new(0)).collect(),
            actions: AtomicU32::new(0),
        }
    }
}

/// `threads` parties each pass `gens` generations of the barrier made by `make(record)`,
/// checking after each that the whole generation arrived (no lapping), that the action of
/// the generation ran (when `with_action`), and that its index is new in the generation.
fn generations<W: Waits>(
    threads: u32,
    gens: usize,
    with_action: bool,
    make: impl Fn(Arc<Record>) -> W + Send + Sync + 'static,
) -> impl Fn() + Send + Sync + 'static {
    move || {
        let record = Arc::new(Record::new(gens));
        let b = Arc::new(make(Arc::clone(&record)));
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                let (b, r) = (Arc::clone(&b), Arc::clone(&record));
                thread::spawn(move || {
                    for g in 0..gens {
                        r.arrived[g].fetch_add(1, Relaxed);
                        let i = b.wait_index();
                        assert_eq!(r.arrived[g].load(Relaxed), threads, "lapped in gen {g}");
                        if with_action {
                            assert!(r.actions.load(Relaxed) > g as u32, "released before action");
                        }
                        let bit = 1 << i;
                        assert_eq!(r.indices[g].fetch_or(bit, Relaxed) & bit, 0, "index twice");
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        if with_action {
            assert_eq!(
                record.actions.load(Relaxed),
                gens as u32,
                "one action per gen"
            );
        }
    }
}

fn good(threads: u32, gens: usize) -> impl Fn() + Send + Sync + 'static {
    generations(threads, gens, true, move |r| {
        Barrier::new(threads).unwrap().with_action(move || {
            let g = r.actions.fetch_add(1, Relaxed) as usize;
            // Every party of the generation arrived, and none was released yet.
            assert_eq!(r.arrived[g].load(Relaxed), threads, "action too early");
            assert_eq!(r.indices[g].load(Relaxed), 0, "action after a release");
            Ok(())
        })
    })
}

fn wake_one() -> impl Fn() + Send + Sync + 'static {
    generations(3, 1, false, |_| WakeOne {
        word: AtomicU32::new(0),
        parties: 3,
    })
}

fn laps() -> impl Fn() + Send + Sync + 'static {
    generations(2, 2, false, |_| Laps {
        count: AtomicU32::new(0),
        parties: 2,
    })
}

/// Three threads share a two-party barrier with an action, for two generations (four
/// arrival tickets): a newcomer may arrive while the action runs and must count into the
/// next generation; each generation has indices 0 and 1 and one action.
fn more_threads_than_parties() {
    // Per index, the action count, the tickets.
    let c = Arc::new([
        AtomicU32::new(0),
        AtomicU32::new(0),
        AtomicU32::new(0),
        AtomicU32::new(0),
    ]);
    let c2 = Arc::clone(&c);
    let b = Arc::new(Barrier::new(2).unwrap().with_action(move || {
        c2[2].fetch_add(1, Relaxed);
        Ok(())
    }));
    let hs: Vec<_> = (0..3)
        .map(|_| {
            let (b, c) = (Arc::clone(&b), Arc::clone(&c));
            thread::spawn(move || {
                while c[3].fetch_add(1, Relaxed) < 4 {
                    let i = b.wait().unwrap();
                    c[i as usize].fetch_add(1, Relaxed);
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let n: Vec<u32> = c[..3].iter().map(|a| a.load(Relaxed)).collect();
    assert_eq!(
        n,
        [2, 2, 2],
        "indices 0 and 1, and the action, once per generation"
    );
}

/// Two parties, one with a timeout (under a checker a deadline passes at once): either both
/// pass, or both get `BrokenBarrier` and the barrier stays broken.
fn timeout_breaks_for_all() {
    let b = Arc::new(Barrier::new(2).unwrap());
    let b2 = Arc::clone(&b);
    let t = thread::spawn(move || b2.wait_timeout(Duration::from_secs(1)));
    let mine = b.wait();
    let theirs = t.join().unwrap();
    match (mine, theirs) {
        (Ok(a), Ok(c)) => assert_eq!(a + c, 1),
        (Err(Error::BrokenBarrier), Err(Error::BrokenBarrier)) => assert!(b.broken()),
        other => panic!("one passed, one broke: {other:?}"),
    }
}

/// A party waits, another thread resets (once it waits): the waiter gets `BrokenBarrier`,
/// and the last to leave completes the reset.
fn reset_while_waiting() {
    let b = Arc::new(Barrier::new(2).unwrap());
    let b2 = Arc::clone(&b);
    let t = thread::spawn(move || b2.wait());
    while b.n_waiting() == 0 {
        thread::yield_now();
    }
    b.reset();
    assert!(matches!(t.join().unwrap(), Err(Error::BrokenBarrier)));
    assert!(!b.broken());
    assert_eq!(b.n_waiting(), 0);
}

#[cfg(twinsync_loom)]
#[test]
fn loom_barrier_generations() {
    loom_passes("generations", 3, good(2, 2));
}

#[cfg(twinsync_loom)]
#[test]
fn loom_barrier_more_threads_than_parties() {
    loom_passes("more threads than parties", 1, more_threads_than_parties);
}

#[cfg(twinsync_loom)]
#[test]
fn loom_barrier_timeout_and_reset() {
    loom_passes("timeout", 3, timeout_breaks_for_all);
    let runs = loom_check(3, reset_while_waiting);
    println!("reset: loom explored {runs} interleavings");
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_barrier_passes() {
    shuttle_passes(2000, || good(3, 3));
    shuttle_passes(2000, || more_threads_than_parties);
    shuttle::check_random(timeout_breaks_for_all, 1000);
    shuttle::check_random(reset_while_waiting, 1000);
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_rejects_wake_one_release() {
    shuttle_rejects(
        "a barrier release that wakes one",
        wake_one(),
        &["deadlock"],
    );
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_rejects_lapping() {
    // Lapping shows as a deadlock (the slow party never sees 0) or a failed check.
    shuttle_rejects(
        "a barrier without generations",
        laps(),
        &["deadlock", "lapped"],
    );
}

// loom aborts the process on a deadlock, so each control runs in a child process.

#[cfg(twinsync_loom)]
loom_control!(
    loom_rejects_wake_one_release,
    loom_wake_one_child,
    ["deadlock", "Deadlock"],
    loom_check(3, wake_one())
);

#[cfg(twinsync_loom)]
loom_control!(
    loom_rejects_lapping,
    loom_laps_child,
    ["deadlock", "Deadlock", "lapped"],
    loom_check(3, laps())
);
