//! The RwLock algorithm under the checkers: a writer alone and readers never beside a
//! writer, every reader blocked behind a writer released by its unlock, writers handing the
//! lock on, and a writer's timeout letting held-back readers in; and a negative control the
//! checkers must reject: a sketch of an rwlock whose write unlock wakes one reader only.
//!
//! Run with `RUSTFLAGS="--cfg twinsync_loom" cargo test --release -p twinsync --test
//! checkers_rwlock` (or `twinsync_shuttle`). In a normal build this file is empty.
#![cfg(any(twinsync_loom, twinsync_shuttle))]

#[macro_use]
mod checker_support;

use std::time::Duration;

use twinsync::sync::atomic::{AtomicU32, Ordering::*};
use twinsync::sync::futex::{self, Scope};
use twinsync::{thread::RwLock, RwLockApi};

use checker_support::{join_all, spawn_each, thread, Arc};
#[cfg(twinsync_loom)]
use checker_support::{loom_check, loom_passes};
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
use checker_support::{shuttle_passes, shuttle_rejects};

/// Negative control: readers sleep on the word with a waiting flag, and the write unlock
/// wakes one of them only, so a second blocked reader is never woken.
struct WakeOneReader(AtomicU32);

const W: u32 = 1 << 30;
const RW: u32 = 1 << 31;

impl Rw for WakeOneReader {
    fn w_lock(&self) {
        while self.0.compare_exchange(0, W, Acquire, Relaxed).is_err() {
            thread::yield_now();
        }
    }
    fn w_unlock(&self) {
        if self.0.swap(0, Release) & RW != 0 {
            futex::wake(&self.0, 1, Scope::Private); // the bug: not wake_all
        }
    }
    fn r_lock(&self) {
        let mut s = self.0.load(Relaxed);
        loop {
            if s & W == 0 {
                match self.0.compare_exchange(s, s + 1, Acquire, Relaxed) {
                    Ok(_) => return,
                    Err(now) => s = now,
                }
                continue;
            }
            if s & RW == 0 {
                if let Err(now) = self.0.compare_exchange(s, s | RW, Relaxed, Relaxed) {
                    s = now;
                    continue;
                }
                s |= RW;
            }
            futex::wait(&self.0, s, None, Scope::Private);
            s = self.0.load(Relaxed);
        }
    }
    fn r_unlock(&self) {
        self.0.fetch_sub(1, Release);
    }
}

/// What the "readers behind a writer" scenario needs.
trait Rw: Send + Sync + 'static {
    fn w_lock(&self);
    fn w_unlock(&self);
    fn r_lock(&self);
    fn r_unlock(&self);
}

impl Rw for RwLock {
    fn w_lock(&self) {
        self.acquire_write();
    }
    fn w_unlock(&self) {
        self.release_write().unwrap();
    }
    fn r_lock(&self) {
        self.acquire_read();
    }
    fn r_unlock(&self) {
        self.release_read().unwrap();
    }
}

/// The main thread write-locks, two readers block behind it, the unlock must let both in.
fn readers_behind_writer<L: Rw>(make: fn() -> L) -> impl Fn() + Send + Sync + 'static {
    move || {
        let lock = Arc::new(make());
        lock.w_lock();
        let hs = spawn_each(2, &lock, |lock, _| {
            lock.r_lock();
            lock.r_unlock();
        });
        lock.w_unlock();
        join_all(hs);
    }
}

fn good_readers() -> impl Fn() + Send + Sync + 'static {
    readers_behind_writer(RwLock::new)
}

fn wake_one_reader() -> impl Fn() + Send + Sync + 'static {
    readers_behind_writer(|| WakeOneReader(AtomicU32::new(0)))
}

/// One writer (split increment, flag while inside) and two readers (check the flag and a
/// stable value): the writer is alone, readers never see it, no increment is lost.
fn exclusion() {
    let s = Arc::new((RwLock::new(), AtomicU32::new(0), AtomicU32::new(0)));
    let hs = spawn_each(3, &s, |s, i| {
        if i == 0 {
            let _w = s.0.write();
            s.1.store(1, Relaxed);
            let v = s.2.load(Relaxed);
            s.2.store(v + 1, Relaxed);
            s.1.store(0, Relaxed);
        } else {
            let _r = s.0.read();
            let v = s.2.load(Relaxed);
            assert_eq!(s.1.load(Relaxed), 0, "a reader saw the writer inside");
            assert_eq!(s.2.load(Relaxed), v, "the value moved under a reader");
        }
    });
    join_all(hs);
    assert_eq!(s.2.load(Relaxed), 1);
    assert_eq!((s.0.readers(), s.0.write_locked()), (0, false));
}

/// Two writers and a reader contend: the writers hand the lock on (each wakes the next),
/// and the count ends exact.
fn writers_hand_on() {
    let s = Arc::new((RwLock::new(), AtomicU32::new(0)));
    let hs = spawn_each(3, &s, |s, i| {
        if i < 2 {
            let _w = s.0.write();
            let v = s.1.load(Relaxed);
            s.1.store(v + 1, Relaxed);
        } else {
            let _r = s.0.read();
        }
    });
    join_all(hs);
    assert_eq!(s.1.load(Relaxed), 2);
}

/// A reader holds; a writer waits with a timeout (under a checker a deadline passes at once)
/// and gives up; a second reader, perhaps held back by the waiting writer, must get in.
fn writer_timeout_lets_readers_in() {
    let lock = Arc::new(RwLock::new());
    lock.acquire_read();
    let w = {
        let lock = Arc::clone(&lock);
        thread::spawn(move || lock.acquire_write_timeout(Duration::from_secs(1)).unwrap())
    };
    let r = {
        let lock = Arc::clone(&lock);
        thread::spawn(move || {
            lock.acquire_read();
            lock.release_read().unwrap();
        })
    };
    assert!(!w.join().unwrap(), "the writer got in past a reader");
    r.join().unwrap();
    lock.release_read().unwrap();
    assert!(lock.try_acquire_write());
}

#[cfg(twinsync_loom)]
#[test]
fn loom_readers_behind_writer() {
    loom_passes("readers behind a writer", 2, good_readers());
}

#[cfg(twinsync_loom)]
#[test]
fn loom_exclusion() {
    loom_passes("exclusion", 2, exclusion);
}

#[cfg(twinsync_loom)]
#[test]
fn loom_writers_hand_on() {
    loom_passes("writers hand on", 2, writers_hand_on);
}

#[cfg(twinsync_loom)]
#[test]
fn loom_writer_timeout() {
    loom_passes("writer timeout", 3, writer_timeout_lets_readers_in);
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_rwlock_passes() {
    shuttle_passes(2000, good_readers);
    shuttle_passes(2000, || exclusion);
    shuttle::check_random(writers_hand_on, 2000);
    shuttle::check_random(writer_timeout_lets_readers_in, 2000);
}

#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
#[test]
fn shuttle_rejects_wake_one_reader() {
    shuttle_rejects(
        "a write unlock that wakes one reader",
        wake_one_reader(),
        &["deadlock"],
    );
}

// loom aborts the process on a deadlock, so the control runs in a child process.

#[cfg(twinsync_loom)]
loom_control!(
    loom_rejects_wake_one_reader,
    loom_wake_one_reader_child,
    ["deadlock", "Deadlock"],
    loom_check(3, wake_one_reader())
);
