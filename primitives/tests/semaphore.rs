//! Semaphore and BoundedSemaphore: unit-level behaviour of both versions (the conformance suite covers the
//! clauses): sequential semantics, the maximum value, timeouts, `release(n)` with sleepers,
//! no lost wake-up over many rounds, never more holders than tokens, and real processes
//! (forked and spawned).
//!
//! Synchronization is by the primitives and by watching a waiter's kernel state, never by
//! sleeping: only the timeouts themselves are measured.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))] // uses the process version

mod support;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{until, until_asleep, Names, Workers, LONG};
use twinsync::algo::semaphore::VALUE_MAX;
use twinsync::process::{self, Shared};
use twinsync::worker::{Kind, StartMethod, Worker};
use twinsync::{thread, Error, SegmentError, SemaphoreApi};

// ---- sequential ---------------------------------------------------------------------------

/// `sem` starts with 2 tokens.
fn basics<S: SemaphoreApi>(sem: &S) {
    assert_eq!(sem.value(), 2);
    sem.acquire();
    assert!(sem.try_acquire());
    assert_eq!(sem.value(), 0);
    assert!(!sem.try_acquire());
    let t0 = Instant::now();
    assert!(!sem.acquire_timeout(Duration::from_millis(20)).unwrap());
    assert!(t0.elapsed() >= Duration::from_millis(20), "timed out early");
    assert!(!sem.acquire_timeout(Duration::ZERO).unwrap());
    assert!(matches!(
        sem.acquire_timeout(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
    assert!(matches!(
        sem.release(0),
        Err(Error::InvalidArgument { name: "n", .. })
    ));
    assert_eq!(sem.value(), 0);
    sem.release(2).unwrap();
    assert!(sem.acquire_timeout(Duration::ZERO).unwrap());
    assert!(sem.acquire_timeout(Duration::from_secs(1)).unwrap());
    assert_eq!(sem.value(), 0);
    assert!(sem.try_acquire_guard().is_none());
    assert!(sem
        .acquire_guard_timeout(Duration::from_millis(1))
        .unwrap()
        .is_none());
    assert_eq!(sem.value(), 0, "a failed guard attempt released a token");
    sem.release(1).unwrap();
    {
        let g = sem.acquire_guard();
        assert_eq!(g.semaphore().value(), 0);
    }
    assert_eq!(sem.value(), 1);
    {
        let _g = sem.try_acquire_guard().unwrap();
        let _h = sem.acquire_guard_timeout(Duration::ZERO).unwrap();
        assert!(_h.is_none());
    }
    assert_eq!(sem.value(), 1);
}

#[test]
fn thread_semaphore_basics() {
    basics(&thread::Semaphore::new(2).unwrap());
}

#[test]
fn process_semaphore_basics() {
    basics(&process::Semaphore::new(2).unwrap());
}

#[test]
fn thread_bounded_semaphore_basics() {
    basics(&thread::BoundedSemaphore::new(2).unwrap());
}

#[test]
fn process_bounded_semaphore_basics() {
    basics(&process::BoundedSemaphore::new(2).unwrap());
}

/// Takes every token of `sem`, so that a bounded semaphore starts at 0 with room to release.
fn drained<S: SemaphoreApi>(sem: S) -> S {
    while sem.try_acquire() {}
    sem
}

/// `sem` starts at `max - 1` and may hold at most `max`.
fn at_the_maximum<S: SemaphoreApi>(sem: &S, max: u32) {
    assert_eq!(sem.max_value(), max);
    assert!(matches!(
        sem.release(2),
        Err(Error::TooManyReleases { max: m }) if m == u64::from(max)
    ));
    assert_eq!(sem.value(), max - 1, "a refused release changed the value");
    assert!(matches!(
        sem.release(u32::MAX),
        Err(Error::TooManyReleases { .. })
    ));
    sem.release(1).unwrap();
    assert_eq!(sem.value(), max);
    assert!(matches!(sem.release(1), Err(Error::TooManyReleases { .. })));
    assert!(sem.try_acquire());
    assert_eq!(sem.value(), max - 1);
}

#[test]
fn semaphore_maximum_is_i32_max() {
    assert_eq!(VALUE_MAX, i32::MAX as u32);
    at_the_maximum(&thread::Semaphore::new(VALUE_MAX - 1).unwrap(), VALUE_MAX);
    at_the_maximum(&process::Semaphore::new(VALUE_MAX - 1).unwrap(), VALUE_MAX);
    assert!(matches!(
        thread::Semaphore::new(VALUE_MAX + 1),
        Err(Error::InvalidArgument { name: "value", .. })
    ));
    assert!(matches!(
        process::Semaphore::new(u32::MAX),
        Err(Error::InvalidArgument { name: "value", .. })
    ));
    assert_eq!(thread::Semaphore::new(0).unwrap().max_value(), VALUE_MAX);
}

/// A BoundedSemaphore's maximum is its initial value: a release past it is refused as a
/// whole, with the value unchanged.
#[test]
fn bounded_semaphore_maximum_is_the_initial_value() {
    let t = thread::BoundedSemaphore::new(5).unwrap();
    let p = process::BoundedSemaphore::new(5).unwrap();
    assert!(t.try_acquire() && p.try_acquire());
    at_the_maximum(&t, 5);
    at_the_maximum(&p, 5);
    // Two tokens out, a release of 3 would pass the bound: nothing of it is added.
    assert!(t.try_acquire());
    assert!(matches!(
        t.release(3),
        Err(Error::TooManyReleases { max: 5 })
    ));
    assert_eq!(t.value(), 3);
    t.release(2).unwrap();
    assert_eq!(t.value(), 5);
    for zero in [
        &thread::BoundedSemaphore::new(0).unwrap() as &dyn std::fmt::Debug,
        &process::BoundedSemaphore::new(0).unwrap(),
    ] {
        assert!(format!("{zero:?}").contains("max: 0"), "{zero:?}");
    }
    let z = process::BoundedSemaphore::new(0).unwrap();
    assert!(matches!(
        z.release(1),
        Err(Error::TooManyReleases { max: 0 })
    ));
    assert!(!z.try_acquire());
    assert_eq!(
        thread::BoundedSemaphore::new(VALUE_MAX)
            .unwrap()
            .max_value(),
        VALUE_MAX
    );
    assert!(matches!(
        thread::BoundedSemaphore::new(VALUE_MAX + 1),
        Err(Error::InvalidArgument { name: "value", .. })
    ));
    assert!(matches!(
        process::BoundedSemaphore::new(u32::MAX),
        Err(Error::InvalidArgument { name: "value", .. })
    ));
}

// ---- threads ------------------------------------------------------------------------------

/// `acquire` with a failure detector: a lost wake-up fails the test instead of hanging it.
fn take<S: SemaphoreApi>(sem: &S) {
    assert!(sem.acquire_timeout(LONG).unwrap(), "lost wake-up");
}

/// `sem` starts at 0. Three threads block in `acquire`; once all three sleep, `release(2)`
/// lets exactly two through, and the third goes on sleeping until `release(1)`.
///
/// The threads are detached (not scoped): if a check fails, the test fails at once instead
/// of joining a thread that a lost wake-up left asleep.
fn release_n_lets_n_proceed<S: SemaphoreApi + Send + Sync + 'static>(sem: S) {
    let sem = Arc::new(sem);
    let tids = Arc::new([(); 3].map(|()| AtomicU32::new(0)));
    let passed = Arc::new([(); 3].map(|()| AtomicU32::new(0)));
    let count = || passed.iter().filter(|x| x.load(Relaxed) != 0).count();
    let threads: Vec<_> = (0..3)
        .map(|i| {
            let (sem, tids, passed) = (sem.clone(), tids.clone(), passed.clone());
            std::thread::spawn(move || {
                tids[i].store(twinsync::sys::tid::current(), Relaxed);
                sem.acquire();
                passed[i].store(1, Relaxed);
            })
        })
        .collect();
    let tids = tids.each_ref().map(|t| {
        until("the waiters have started", || t.load(Relaxed) != 0);
        t.load(Relaxed)
    });
    tids.iter().for_each(|&t| until_asleep(t));
    sem.release(2).unwrap();
    until("two waiters proceed", || count() == 2);
    // The third found no token: it sleeps (again) and the value is 0.
    let third = (0..3).find(|&i| passed[i].load(Relaxed) == 0).unwrap();
    until_asleep(tids[third]);
    assert_eq!(sem.value(), 0);
    assert_eq!(count(), 2, "more waiters proceeded than tokens");
    sem.release(1).unwrap();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(count(), 3);
    assert_eq!(sem.value(), 0);
}

#[test]
fn thread_semaphore_release_n_lets_n_proceed() {
    release_n_lets_n_proceed(thread::Semaphore::new(0).unwrap());
}

#[test]
fn process_semaphore_release_n_lets_n_proceed() {
    release_n_lets_n_proceed(process::Semaphore::new(0).unwrap());
}

#[test]
fn thread_bounded_semaphore_release_n_lets_n_proceed() {
    release_n_lets_n_proceed(drained(thread::BoundedSemaphore::new(3).unwrap()));
}

#[test]
fn process_bounded_semaphore_release_n_lets_n_proceed() {
    release_n_lets_n_proceed(drained(process::BoundedSemaphore::new(3).unwrap()));
}

/// Two threads pass the turn back and forth through two semaphores: each round needs a
/// wake-up of a thread that is (often) asleep, so a lost wake-up hangs the test.
fn ping_pong<S: SemaphoreApi + Sync>(ping: &S, pong: &S, rounds: u32) {
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..rounds {
                take(ping);
                pong.release(1).unwrap();
            }
        });
        for _ in 0..rounds {
            ping.release(1).unwrap();
            take(pong);
        }
    });
    assert_eq!((ping.value(), pong.value()), (0, 0));
}

#[test]
fn thread_semaphore_ping_pong() {
    let s = || thread::Semaphore::new(0).unwrap();
    ping_pong(&s(), &s(), 20_000);
}

#[test]
fn process_semaphore_ping_pong() {
    let s = || process::Semaphore::new(0).unwrap();
    ping_pong(&s(), &s(), 20_000);
}

#[test]
fn bounded_semaphore_ping_pong() {
    let t = || drained(thread::BoundedSemaphore::new(1).unwrap());
    ping_pong(&t(), &t(), 20_000);
    let p = || drained(process::BoundedSemaphore::new(1).unwrap());
    ping_pong(&p(), &p(), 20_000);
}

/// Four consumers take `per` tokens each while two producers release them in batches of 1 to
/// 3; every consumer must finish (no lost wake-up) and no token may be left or invented.
fn producers_consumers<S: SemaphoreApi + Sync>(sem: &S, per: u32) {
    let taken = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for i in 0..per {
                    if i % 2 == 0 {
                        take(sem);
                    } else {
                        // Short timeouts: many waiters leave by timing out, racing releases.
                        while !sem.acquire_timeout(Duration::from_micros(50)).unwrap() {}
                    }
                    taken.fetch_add(1, Relaxed);
                }
            });
        }
        for _ in 0..2 {
            s.spawn(|| {
                let mut left = 2 * per;
                let mut k = 1;
                while left > 0 {
                    let n = k.min(left);
                    sem.release(n).unwrap();
                    left -= n;
                    k = k % 3 + 1;
                }
            });
        }
    });
    assert_eq!(taken.load(Relaxed), 4 * u64::from(per));
    assert_eq!(sem.value(), 0);
}

#[test]
fn thread_semaphore_producers_consumers() {
    producers_consumers(&thread::Semaphore::new(0).unwrap(), 20_000);
}

#[test]
fn process_semaphore_producers_consumers() {
    producers_consumers(&process::Semaphore::new(0).unwrap(), 20_000);
}

/// Four threads hold tokens of a semaphore of value 2 in many short rounds: never more than
/// two at once.
fn bounded_holders<S: SemaphoreApi + Sync>(sem: &S) {
    let inside = AtomicU32::new(0);
    let most = AtomicU32::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..20_000 {
                    let _g = sem
                        .acquire_guard_timeout(LONG)
                        .unwrap()
                        .expect("lost wake-up");
                    let now = inside.fetch_add(1, Relaxed) + 1;
                    most.fetch_max(now, Relaxed);
                    inside.fetch_sub(1, Relaxed);
                }
            });
        }
    });
    assert!(
        most.load(Relaxed) <= 2,
        "{} holders at once",
        most.load(Relaxed)
    );
    assert_eq!(sem.value(), 2);
}

#[test]
fn thread_semaphore_never_more_holders_than_tokens() {
    bounded_holders(&thread::Semaphore::new(2).unwrap());
}

#[test]
fn process_semaphore_never_more_holders_than_tokens() {
    bounded_holders(&process::Semaphore::new(2).unwrap());
}

#[test]
fn bounded_semaphore_never_more_holders_than_tokens() {
    bounded_holders(&thread::BoundedSemaphore::new(2).unwrap());
    bounded_holders(&process::BoundedSemaphore::new(2).unwrap());
}

// ---- processes ----------------------------------------------------------------------------

/// `sem` starts at 0 with room for 3. Three forked children block in `acquire` on it;
/// `release(2)` lets exactly two of them through, and the third sleeps on until `release(1)`.
fn forked_release_n_lets_n_proceed<S: SemaphoreApi>(sem: S) {
    let passed = Shared::new([(); 3].map(|()| AtomicU32::new(0))).unwrap();
    let count = || passed.iter().filter(|x| x.load(Relaxed) != 0).count();
    // SAFETY: the children only wait on the inherited semaphore (futex system calls and
    // atomics) and store to an inherited atomic: no allocation, no locks.
    let kids = unsafe {
        Workers::fork_each(3, |i| {
            sem.acquire();
            passed[i].store(1, Relaxed);
        })
    };
    let pids = kids.pids();
    pids.iter().for_each(|&p| until_asleep(p));
    sem.release(2).unwrap();
    until("two children proceed", || count() == 2);
    let third = (0..3).find(|&i| passed[i].load(Relaxed) == 0).unwrap();
    until_asleep(pids[third]);
    assert_eq!(sem.value(), 0);
    assert_eq!(count(), 2, "a third child passed without a token");
    sem.release(1).unwrap();
    kids.join_all();
    assert_eq!(count(), 3);
}

#[test]
#[serial_test::serial(shm)]
fn forked_children_release_n_lets_n_proceed() {
    forked_release_n_lets_n_proceed(process::Semaphore::new(0).unwrap());
}

#[test]
#[serial_test::serial(shm)]
fn forked_children_bounded_release_n_lets_n_proceed() {
    forked_release_n_lets_n_proceed(drained(process::BoundedSemaphore::new(3).unwrap()));
}

/// A forked child's over-release of an inherited BoundedSemaphore is refused and changes
/// nothing the parent sees; its release within the bound is seen.
#[test]
#[serial_test::serial(shm)]
fn forked_child_over_release_of_a_bounded_semaphore_is_refused() {
    let sem = process::BoundedSemaphore::new(2).unwrap();
    assert!(sem.try_acquire());
    let verdict = Shared::new(AtomicU32::new(0)).unwrap();
    // SAFETY: the child only makes atomic operations on inherited segments; the error it
    // matches on holds no allocation.
    let child = unsafe {
        Worker::fork(|| {
            let refused = matches!(sem.release(2), Err(Error::TooManyReleases { max: 2 }));
            let unchanged = sem.value() == 1;
            let ok = sem.release(1).is_ok();
            verdict.store(u32::from(refused && unchanged && ok), Relaxed);
        })
    }
    .unwrap();
    Workers(vec![child]).join_all();
    assert_eq!(verdict.load(Relaxed), 1);
    assert_eq!(sem.value(), 2);
}

/// `arg` = `<semaphore name>\n<ack semaphore name>\n<counter name>\n<rounds>`.
fn spawned_consumer(arg: &[u8]) {
    let text = std::str::from_utf8(arg).unwrap();
    let parts: Vec<&str> = text.split('\n').collect();
    let sem = process::Semaphore::open(parts[0]).unwrap();
    let ack = process::Semaphore::open(parts[1]).unwrap();
    let counter = Shared::<AtomicU64>::open(parts[2]).unwrap();
    let rounds: u64 = parts[3].parse().unwrap();
    for _ in 0..rounds {
        sem.acquire();
        counter.fetch_add(1, Relaxed);
        ack.release(1).unwrap();
    }
}
twinsync::entry_point!(static CONSUMER = spawned_consumer);

/// Two spawned workers take tokens that the parent releases two at a time, acknowledging
/// each token through a second named semaphore: both directions sleep and wake across
/// processes, many times.
#[test]
#[serial_test::serial(shm)]
fn spawned_workers_take_released_tokens() {
    const ROUNDS: u64 = 5_000;
    let names = Names::new(&["tw-sem-test"; 3]);
    let sem = process::Semaphore::create(&names[0], 0).unwrap();
    let ack = process::Semaphore::create(&names[1], 0).unwrap();
    let counter = Shared::create(&names[2], AtomicU64::new(0)).unwrap();
    let arg = format!("{}\n{}\n{}\n{ROUNDS}", names[0], names[1], names[2]);
    let workers = Workers(
        (0..2)
            .map(|_| {
                Worker::start(Kind::Process(StartMethod::Spawn), &CONSUMER, arg.as_bytes()).unwrap()
            })
            .collect(),
    );
    for _ in 0..ROUNDS {
        sem.release(2).unwrap();
        take(&ack);
        take(&ack);
    }
    workers.join_all();
    assert_eq!(counter.load(Relaxed), 2 * ROUNDS);
    assert_eq!((sem.value(), ack.value()), (0, 0));
}

#[test]
#[serial_test::serial(shm)]
fn named_semaphore_create_open_and_refusals() {
    let names = Names::new(&["tw-sem-test"; 2]);
    let (name, lock_name) = (&names[0], &names[1]);
    let a = process::Semaphore::create(name, 3).unwrap();
    let b = process::Semaphore::open(name).unwrap();
    assert_eq!(b.name(), Some(name.as_str()));
    assert_eq!(b.value(), 3);
    a.acquire();
    assert_eq!(b.value(), 2);
    assert!(matches!(
        process::Semaphore::create(name, 1),
        Err(Error::Segment {
            error: SegmentError::AlreadyExists,
            ..
        })
    ));
    let _lock = process::Lock::create(lock_name).unwrap();
    assert!(matches!(
        process::Semaphore::open(lock_name),
        Err(Error::Segment {
            error: SegmentError::WrongKind { .. },
            ..
        })
    ));
    process::unlink(name).unwrap();
    process::unlink(lock_name).unwrap();
    assert!(format!("{a:?}").contains("value: 2"));
}

#[test]
#[serial_test::serial(shm)]
fn named_bounded_semaphore_and_kind_refusals() {
    let names = Names::new(&["tw-bsem-test"; 2]);
    let (name, plain) = (&names[0], &names[1]);
    let a = process::BoundedSemaphore::create(name, 2).unwrap();
    let _s = process::Semaphore::create(plain, 2).unwrap();
    let b = process::BoundedSemaphore::open(name).unwrap();
    assert_eq!(b.name(), Some(name.as_str()));
    assert_eq!((b.value(), b.max_value()), (2, 2));
    a.acquire();
    assert!(matches!(
        b.release(2),
        Err(Error::TooManyReleases { max: 2 })
    ));
    assert_eq!(a.value(), 1);
    b.release(1).unwrap();
    assert_eq!(a.value(), 2);
    // Each kind refuses the other's segment.
    for r in [
        process::Semaphore::open(name).map(drop),
        process::BoundedSemaphore::open(plain).map(drop),
    ] {
        assert!(
            matches!(
                r,
                Err(Error::Segment {
                    error: SegmentError::WrongKind { .. },
                    ..
                })
            ),
            "{r:?}"
        );
    }
    process::unlink(name).unwrap();
    process::unlink(plain).unwrap();
}
