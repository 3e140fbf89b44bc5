//! Lock: unit-level behaviour of both versions (the conformance suite covers the clauses).
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))] // uses the process version

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

use support::Names;
use twinsync::{process, thread, Error, LockApi, SegmentError};

fn basics<L: LockApi>(lock: &L) {
    assert!(!lock.locked());
    assert!(matches!(lock.release(), Err(Error::NotHeld)));
    lock.acquire();
    assert!(lock.locked());
    assert!(!lock.try_acquire());
    let t0 = Instant::now();
    assert!(!lock.acquire_timeout(Duration::from_millis(20)).unwrap());
    assert!(t0.elapsed() >= Duration::from_millis(20));
    assert!(matches!(
        lock.acquire_timeout(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
    assert!(lock.locked());
    lock.release().unwrap();
    assert!(lock.acquire_timeout(Duration::ZERO).unwrap());
    lock.release().unwrap();
    {
        let _g = lock.lock();
        assert!(lock.try_lock().is_none());
        // A failed try_lock / lock_timeout must not release the lock held by `_g`.
        assert!(lock.locked());
        assert!(lock
            .lock_timeout(Duration::from_millis(1))
            .unwrap()
            .is_none());
        assert!(lock.locked());
    }
    assert!(!lock.locked());
}

#[test]
fn thread_lock_basics() {
    basics(&thread::Lock::new());
}

#[test]
fn process_lock_basics() {
    basics(&process::Lock::new().unwrap());
}

#[test]
fn thread_lock_contended_counter() {
    let lock = Arc::new(thread::Lock::new());
    let count = Arc::new(AtomicU64::new(0));
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let (lock, count) = (lock.clone(), count.clone());
            std::thread::spawn(move || {
                for _ in 0..50_000 {
                    let _g = lock.lock();
                    // Split read-modify-write: only exact under mutual exclusion.
                    count.store(count.load(Relaxed) + 1, Relaxed);
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(count.load(Relaxed), 200_000);
}

#[test]
fn release_from_another_thread() {
    let lock = Arc::new(thread::Lock::new());
    lock.acquire();
    let l2 = lock.clone();
    std::thread::spawn(move || l2.release().unwrap())
        .join()
        .unwrap();
    assert!(!lock.locked());
}

#[test]
#[serial_test::serial(shm)]
fn named_lock_create_open_and_refusals() {
    let names = Names::new(&["tw-test"; 2]);
    let (name, other) = (&names[0], &names[1]);
    let a = process::Lock::create(name).unwrap();
    let b = process::Lock::open(name).unwrap();
    a.acquire();
    assert!(b.locked());
    assert_eq!(b.holder(), a.holder());
    b.release().unwrap();
    match process::Lock::create(name) {
        Err(Error::Segment {
            error: SegmentError::AlreadyExists,
            ..
        }) => {}
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    // A segment holding a different type is refused by kind.
    let _c = process::Shared::create(other, AtomicU64::new(7)).unwrap();
    match process::Lock::open(other) {
        Err(Error::Segment {
            error: SegmentError::WrongKind { .. },
            ..
        }) => {}
        r => panic!("expected WrongKind, got {r:?}"),
    }
    process::unlink(name).unwrap();
    process::unlink(other).unwrap();
    assert!(matches!(
        process::Lock::open(name),
        Err(Error::Segment {
            error: SegmentError::NotFound,
            ..
        })
    ));
    assert!(matches!(
        process::Lock::open("no-slash"),
        Err(Error::InvalidName { .. })
    ));
}

/// A forked child's thread has a TID of its own; the cached id must not leak across fork, or
/// the lock word would name the parent as holder.
#[test]
#[serial_test::serial(shm)]
fn forked_child_records_its_own_tid() {
    let lock = process::Lock::new().unwrap();
    let seen = process::Shared::new(AtomicU64::new(0)).unwrap();
    lock.acquire();
    let parent_holder = lock.holder().unwrap();
    lock.release().unwrap();
    // SAFETY: the child only does atomic operations, a cached-TID lookup (a thread-local read
    // and the gettid system call) and `_exit`: no allocation and no locks, so it is safe even
    // though the test harness is multi-threaded.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = lock.try_acquire();
        let holder = lock.holder().unwrap_or(0);
        // SAFETY: getpid/gettid cannot fail.
        let (my_pid, my_tid) = unsafe { (libc::getpid() as u32, libc::gettid() as u32) };
        let code = if ok && holder == my_tid && my_tid == my_pid {
            0
        } else {
            1
        };
        seen.store(u64::from(holder), Relaxed);
        // SAFETY: leaves the child at once, without running the parent's atexit handlers or
        // unwinding into the test harness.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for the child we just created.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child saw a stale TID"
    );
    assert_eq!(seen.load(Relaxed), pid as u64);
    assert_ne!(seen.load(Relaxed), u64::from(parent_holder));
    assert_eq!(lock.holder(), Some(pid as u32));
    lock.release().unwrap(); // the parent may release what the child acquired
}
