//! `process::Lock` keeps mutual exclusion between two processes: two spawned workers each do
//! 1,000,000 acquire/release pairs around a split (load, then store) increment of a counter
//! in a named segment, and count how often they found someone else inside the critical
//! section. The total must be exactly 2,000,000 and the overlap count 0.
//!
//! Negative control: the same workers without the lock (`UNLOCKED`) must lose updates or
//! see an overlap; otherwise this test could not tell a working lock from a missing one.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use twinsync::process::{self, Shared};
use twinsync::worker::{Exit, Kind, StartMethod, Worker};
use twinsync::LockApi;

const ROUNDS: u64 = 1_000_000;
const WORKERS: u64 = 2;

/// Counter slots in the shared segment.
const TOTAL: usize = 0;
const INSIDE: usize = 1;
const OVERLAPS: usize = 2;
/// Workers that have attached; each waits for all before starting, so they really overlap.
const READY: usize = 3;

type Counters = [AtomicU64; 4];

/// Named segments for one run, unlinked on drop (also when an assertion fails).
struct Names {
    counters: String,
    lock: String,
}

impl Drop for Names {
    fn drop(&mut self) {
        let _ = process::unlink(&self.counters);
        let _ = process::unlink(&self.lock);
    }
}

/// `arg` = `<counters name>\n<lock name>`.
fn open(arg: &[u8]) -> (Shared<Counters>, process::Lock) {
    let text = std::str::from_utf8(arg).expect("argument is UTF-8");
    let (counters, lock) = text.split_once('\n').expect("two names");
    (
        Shared::open(counters).expect("open counters"),
        process::Lock::open(lock).expect("open lock"),
    )
}

/// One critical section: note entry, split increment, note exit.
#[inline]
fn critical(c: &Counters) {
    if c[INSIDE].fetch_add(1, Relaxed) != 0 {
        c[OVERLAPS].fetch_add(1, Relaxed);
    }
    let v = c[TOTAL].load(Relaxed);
    c[TOTAL].store(v + 1, Relaxed);
    c[INSIDE].fetch_sub(1, Relaxed);
}

fn start_together(c: &Counters) {
    c[READY].fetch_add(1, Relaxed);
    // Failure detector only: a peer that never attaches has failed, and says so itself.
    let give_up = Instant::now() + Duration::from_secs(60);
    while c[READY].load(Relaxed) < WORKERS {
        assert!(Instant::now() < give_up, "the other worker never attached");
        std::thread::yield_now();
    }
}

fn locked_rounds(arg: &[u8]) {
    let (c, lock) = open(arg);
    start_together(&c);
    for _ in 0..ROUNDS {
        lock.acquire();
        critical(&c);
        lock.release().expect("held");
    }
}
twinsync::entry_point!(static LOCKED = locked_rounds);

fn unlocked_rounds(arg: &[u8]) {
    let (c, _lock) = open(arg);
    start_together(&c);
    for _ in 0..ROUNDS {
        critical(&c);
    }
}
twinsync::entry_point!(static UNLOCKED = unlocked_rounds);

/// Runs two spawned workers of `entry`; returns (total, overlaps, wall time).
fn run(entry: &'static twinsync::worker::Entry) -> (u64, u64, Duration) {
    let names = Names {
        counters: process::unique_name("tw-2proc-counters").unwrap(),
        lock: process::unique_name("tw-2proc-lock").unwrap(),
    };
    let counters = Shared::<Counters>::create(&names.counters, Default::default()).unwrap();
    let _lock = process::Lock::create(&names.lock).unwrap();
    let arg = format!("{}\n{}", names.counters, names.lock);
    let t0 = Instant::now();
    let workers: Vec<Worker> = (0..WORKERS)
        .map(|_| Worker::start(Kind::Process(StartMethod::Spawn), entry, arg.as_bytes()).unwrap())
        .collect();
    for w in workers {
        assert_eq!(w.join().unwrap(), Exit::Ok, "{}", entry.name());
    }
    let took = t0.elapsed();
    assert_eq!(counters[INSIDE].load(Relaxed), 0);
    (
        counters[TOTAL].load(Relaxed),
        counters[OVERLAPS].load(Relaxed),
        took,
    )
}

#[test]
#[serial_test::serial(shm)]
fn process_lock_excludes_between_two_processes() {
    let (total, overlaps, took) = run(&LOCKED);
    eprintln!("2 processes x {ROUNDS} locked increments: {took:?}");
    assert_eq!(
        overlaps, 0,
        "two processes were inside the critical section at once"
    );
    assert_eq!(total, WORKERS * ROUNDS, "lost updates");
}

#[test]
#[serial_test::serial(shm)]
fn negative_control_without_the_lock_is_caught() {
    let (total, overlaps, _) = run(&UNLOCKED);
    eprintln!("without the lock: total {total}, overlaps {overlaps}");
    assert!(
        total < WORKERS * ROUNDS || overlaps > 0,
        "the check cannot detect a missing lock"
    );
}
