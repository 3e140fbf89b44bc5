//! RLock: reentrancy, ownership and exclusion of both versions, between threads and between
//! processes (forked and spawned).
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))] // uses the process version

#[macro_use]
mod support;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use support::{is_asleep, tid, until_or_exit, Names, Workers, LONG};
use twinsync::process::{self, Shared};
use twinsync::worker::{Exit, Kind, StartMethod, Worker};
use twinsync::{thread, Error, RLockApi, SegmentError};

const SPAWN: Kind = Kind::Process(StartMethod::Spawn);

/// Sequential semantics, from the owner's side.
fn basics<L: RLockApi>(lock: &L) {
    assert!(!lock.locked() && !lock.is_owned());
    assert_eq!(lock.count(), 0);
    assert!(matches!(lock.release(), Err(Error::NotOwner)));
    assert!(!lock.locked());

    lock.acquire();
    assert!(lock.locked() && lock.is_owned());
    assert_eq!(lock.count(), 1);
    assert!(lock.try_acquire());
    assert_eq!(lock.count(), 2);
    // A recursive timed acquire succeeds at once, whatever the timeout.
    let t0 = Instant::now();
    assert!(lock.acquire_timeout(Duration::from_secs(20)).unwrap());
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert_eq!(lock.count(), 3);
    assert!(matches!(
        lock.acquire_timeout(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
    assert_eq!(lock.count(), 3);
    for left in [2, 1, 0] {
        lock.release().unwrap();
        assert_eq!(lock.count(), left);
        assert_eq!(lock.locked(), left > 0);
        assert_eq!(lock.is_owned(), left > 0);
    }
    assert!(matches!(lock.release(), Err(Error::NotOwner)));

    assert!(lock.acquire_timeout(Duration::ZERO).unwrap());
    lock.release().unwrap();
    {
        let _a = lock.lock();
        let _b = lock.try_lock().expect("the owner re-enters");
        let _c = lock
            .lock_timeout(Duration::from_millis(1))
            .unwrap()
            .unwrap();
        assert_eq!(lock.count(), 3);
    }
    assert!(!lock.locked());
    assert_eq!(lock.count(), 0);
}

/// The owner holds two levels; another thread is not the owner, cannot take or release it,
/// and the owner's depth is untouched by its attempts.
fn non_owner_thread<L: RLockApi + Sync>(lock: &L) {
    lock.acquire();
    lock.acquire();
    std::thread::scope(|s| {
        s.spawn(|| {
            assert!(lock.locked());
            assert!(!lock.is_owned());
            assert_eq!(lock.count(), 0);
            assert!(!lock.try_acquire());
            assert!(lock.try_lock().is_none());
            let t0 = Instant::now();
            assert!(!lock.acquire_timeout(Duration::from_millis(20)).unwrap());
            assert!(t0.elapsed() >= Duration::from_millis(20));
            assert!(lock.lock_timeout(Duration::ZERO).unwrap().is_none());
            assert!(matches!(lock.release(), Err(Error::NotOwner)));
        });
    });
    assert!(lock.is_owned());
    assert_eq!(lock.count(), 2);
    lock.release().unwrap();
    lock.release().unwrap();
    assert!(!lock.locked());
}

/// A blocked acquirer gets the lock only when the owner has released every level.
fn waits_for_full_release<L: RLockApi + Sync>(lock: &L) {
    let (waiter_tid, acquired) = (AtomicU32::new(0), AtomicU32::new(0));
    lock.acquire();
    lock.acquire();
    std::thread::scope(|s| {
        s.spawn(|| {
            waiter_tid.store(tid(), Relaxed);
            lock.acquire();
            acquired.store(1, Relaxed);
            assert_eq!(lock.count(), 1);
            lock.release().unwrap();
        });
        until_or_exit("the waiter started", || waiter_tid.load(Relaxed) != 0);
        let t = waiter_tid.load(Relaxed);
        until_or_exit("the waiter sleeps", || is_asleep(t));
        lock.release().unwrap();
        // Still held at depth 1: the waiter cannot have it.
        assert_eq!(acquired.load(Relaxed), 0);
        assert!(lock.is_owned());
        lock.release().unwrap();
    });
    assert_eq!(acquired.load(Relaxed), 1);
    assert!(!lock.locked());
}

/// Four threads, each entering twice around a split increment: exact only under exclusion.
fn nested_counter<L: RLockApi + Sync>(lock: &L) {
    let count = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..20_000 {
                    let _outer = lock.lock();
                    let _inner = lock.lock();
                    count.store(count.load(Relaxed) + 1, Relaxed);
                }
            });
        }
    });
    assert_eq!(count.load(Relaxed), 80_000);
    assert!(!lock.locked());
}

for_each_version!(
    thread_version: thread::RLock::new(),
    process_version: process::RLock::new().unwrap();
    [basics, non_owner_thread, waits_for_full_release, nested_counter]
);

// The guard stays on the owner's thread; the locks themselves are shared.
assert_send_sync!(
    not_send: twinsync::RLockGuard<'static, thread::RLock>,
    shared: thread::RLock, process::RLock,
);

// ---- processes ----------------------------------------------------------------------------

/// `arg` = `<rlock name>\n<counters name>`.
fn open(arg: &[u8]) -> (process::RLock, Shared<[AtomicU64; 2]>) {
    let text = std::str::from_utf8(arg).unwrap();
    let (lock, counters) = text.split_once('\n').unwrap();
    (
        process::RLock::open(lock).unwrap(),
        Shared::open(counters).unwrap(),
    )
}

/// In another process, the RLock held by the test is not ours: no acquire, no release.
fn refused_elsewhere(arg: &[u8]) {
    let (lock, _) = open(arg);
    assert!(lock.locked());
    assert!(!lock.is_owned());
    assert_eq!(lock.count(), 0);
    assert!(!lock.try_acquire());
    assert!(!lock.acquire_timeout(Duration::from_millis(5)).unwrap());
    assert!(matches!(lock.release(), Err(Error::NotOwner)));
}
twinsync::entry_point!(static REFUSED = refused_elsewhere);

/// 10,000 nested entries around a split increment; counter 1 counts overlaps.
fn nested_rounds(arg: &[u8]) {
    let (lock, c) = open(arg);
    for _ in 0..10_000 {
        let _outer = lock.lock();
        let _inner = lock.lock();
        assert_eq!(lock.count(), 2);
        let v = c[0].load(Relaxed);
        c[0].store(v + 1, Relaxed);
    }
}
twinsync::entry_point!(static NESTED = nested_rounds);

#[test]
#[serial_test::serial(shm)]
fn spawned_process_is_not_the_owner() {
    let names = Names::new(&["tw-rlock"; 2]);
    let lock = process::RLock::create(&names[0]).unwrap();
    let _c = Shared::<[AtomicU64; 2]>::create(&names[1], Default::default()).unwrap();
    lock.acquire();
    lock.acquire();
    let arg = format!("{}\n{}", names[0], names[1]);
    let mut w = Worker::start(SPAWN, &REFUSED, arg.as_bytes()).unwrap();
    assert_eq!(w.join_timeout(LONG).unwrap(), Some(Exit::Ok));
    assert_eq!(lock.count(), 2);
    lock.release().unwrap();
    lock.release().unwrap();
    assert!(!lock.locked());
}

#[test]
#[serial_test::serial(shm)]
fn spawned_processes_exclude_with_nested_acquires() {
    let names = Names::new(&["tw-rlock"; 2]);
    let lock = process::RLock::create(&names[0]).unwrap();
    let c = Shared::<[AtomicU64; 2]>::create(&names[1], Default::default()).unwrap();
    let arg = format!("{}\n{}", names[0], names[1]);
    Workers(
        (0..2)
            .map(|_| Worker::start(SPAWN, &NESTED, arg.as_bytes()).unwrap())
            .collect(),
    )
    .join_all();
    assert_eq!(c[0].load(Relaxed), 20_000, "lost updates");
    assert!(!lock.locked());
}

/// A forked child blocks until the parent has released both levels.
#[test]
#[serial_test::serial(shm)]
fn forked_child_waits_for_full_release() {
    let lock = process::RLock::new().unwrap();
    let acquired = Shared::new(AtomicU32::new(0)).unwrap();
    lock.acquire();
    lock.acquire();
    // SAFETY: the child only uses the inherited anonymous segments (atomics and a futex) and
    // takes no lock another thread could hold at the fork.
    let child = unsafe {
        Worker::fork(|| {
            assert!(!lock.is_owned());
            lock.acquire();
            acquired.store(1, Relaxed);
            lock.release().unwrap();
        })
    }
    .unwrap();
    let pid = child.pid().unwrap();
    until_or_exit("the child sleeps", || is_asleep(pid));
    lock.release().unwrap();
    assert_eq!(acquired.load(Relaxed), 0, "the child entered a held RLock");
    lock.release().unwrap();
    assert_eq!(child.join().unwrap(), Exit::Ok);
    assert_eq!(acquired.load(Relaxed), 1);
    assert!(!lock.locked());
}

#[test]
#[serial_test::serial(shm)]
fn named_rlock_create_open_and_refusals() {
    let names = Names::new(&["tw-rlock"; 2]);
    let a = process::RLock::create(&names[0]).unwrap();
    assert_eq!(a.name(), Some(names[0].as_str()));
    assert!(matches!(
        process::RLock::create(&names[0]),
        Err(Error::Segment {
            error: SegmentError::AlreadyExists,
            ..
        })
    ));
    let _lock = process::Lock::create(&names[1]).unwrap();
    assert!(matches!(
        process::RLock::open(&names[1]),
        Err(Error::Segment {
            error: SegmentError::WrongKind { .. },
            ..
        })
    ));
    assert!(format!("{a:?}").contains("process::RLock"));
    assert_eq!(process::RLock::new().unwrap().name(), None);
}
