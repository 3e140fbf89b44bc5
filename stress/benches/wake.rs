//! Wake-up round trips: two parties wake each other in turn (A wakes B, B wakes A), pinned
//! to one CPU or to two, with threads and with forked processes; the time is per round trip.
//!
//! Run `cargo xtask bench [--quick] [wake]`, or this target alone with
//! `cargo bench -p twinsync-stress --features bench --bench wake -- [FILTER]`.
//!
//! # Groups
//!
//! | group | parties | pinned |
//! |---|---|---|
//! | `wake_same_cpu_threads` | two threads | both on CPU 0: each wake-up is a context switch |
//! | `wake_cross_cpu_threads` | two threads | CPU 0 and CPU 1: each wake-up crosses cores |
//! | `wake_same_cpu_processes` | two forked processes | both on CPU 0 |
//! | `wake_cross_cpu_processes` | two forked processes | CPU 0 and CPU 1 |
//!
//! The process groups hold only implementations whose state lives in shared memory.
//!
//! # The implementations (benchmark ids)
//!
//! | id | one round trip |
//! |---|---|
//! | `reference` | `FutexPingPong`: two futex words, wake + wait each way; private futex in the thread groups, shared in the process groups (the scope of the twinsync version measured beside it) |
//! | `twinsync-lock` | two twinsync Locks used as binary semaphores (both start held; A releases B's, acquires its own), thread version in the thread groups, process version in the process groups |
//! | `std-condvar` | `std::sync::{Mutex, Condvar}`: a turn word under the mutex, notify_one + wait_while |
//! | `parking_lot-condvar` | the same with `parking_lot::{Mutex, Condvar}` |
//! | `pthread-cond` | the same with a process-shared `pthread_mutex_t` + `pthread_cond_t` |
//! | `sem_t` | two POSIX semaphores (`pshared = 1`) at 0: post the other's, wait on one's own |

mod common;

use common::posix::{PosixSem, PthreadCond};
use common::race::{Pins, Race, CROSS_CPU, SAME_CPU};
use common::reference::{FutexPingPong, Scope};
use common::rust_peers::{ParkingLotCond, StdCond};
use common::{round_trip, Pair, Parties, Signal};
use criterion::{criterion_group, criterion_main, Criterion};
use twinsync::LockApi;

/// A twinsync Lock as a binary semaphore: post = release, wait = acquire. A Lock may be
/// released by any thread or process (Python semantics), which is what makes this work.
struct LockSignal<L>(L);

impl<L: LockApi + Sync> LockSignal<L> {
    /// Takes the lock, so that the first wait blocks until a post.
    fn held(lock: L) -> Self {
        lock.acquire();
        LockSignal(lock)
    }
}

impl<L: LockApi + Sync> Signal for LockSignal<L> {
    #[inline]
    fn post(&self) {
        self.0.release().expect("release of a held Lock");
    }

    #[inline]
    fn wait(&self) {
        self.0.acquire();
    }
}

/// Two POSIX semaphores at 0.
fn sem_pair() -> Pair<PosixSem> {
    Pair {
        to_b: PosixSem::new(0),
        to_a: PosixSem::new(0),
    }
}

/// Runs the round trips that every group has, then the thread-only peers for threads.
fn group(c: &mut Criterion, name: &str, parties: Parties, pins: Pins) {
    let race = Race::new();
    let mut g = c.benchmark_group(name);
    let scope = match parties {
        Parties::Threads => Scope::Private,
        Parties::Processes => Scope::Shared,
    };
    let reference = FutexPingPong::new(scope);
    round_trip(&mut g, "reference", &reference, &race, parties, pins);
    match parties {
        Parties::Threads => {
            let locks = Pair {
                to_b: LockSignal::held(twinsync::thread::Lock::new()),
                to_a: LockSignal::held(twinsync::thread::Lock::new()),
            };
            round_trip(&mut g, "twinsync-lock", &locks, &race, parties, pins);
        }
        Parties::Processes => {
            let new = || twinsync::process::Lock::new().expect("process::Lock::new");
            let locks = Pair {
                to_b: LockSignal::held(new()),
                to_a: LockSignal::held(new()),
            };
            round_trip(&mut g, "twinsync-lock", &locks, &race, parties, pins);
        }
    }
    if parties == Parties::Threads {
        round_trip(
            &mut g,
            "std-condvar",
            &StdCond::default(),
            &race,
            parties,
            pins,
        );
        let pl = ParkingLotCond::default();
        round_trip(&mut g, "parking_lot-condvar", &pl, &race, parties, pins);
    }
    round_trip(
        &mut g,
        "pthread-cond",
        &PthreadCond::new(),
        &race,
        parties,
        pins,
    );
    round_trip(&mut g, "sem_t", &sem_pair(), &race, parties, pins);
    g.finish();
}

fn wake_threads(c: &mut Criterion) {
    group(c, "wake_same_cpu_threads", Parties::Threads, SAME_CPU);
    group(c, "wake_cross_cpu_threads", Parties::Threads, CROSS_CPU);
}

fn wake_processes(c: &mut Criterion) {
    group(c, "wake_same_cpu_processes", Parties::Processes, SAME_CPU);
    group(c, "wake_cross_cpu_processes", Parties::Processes, CROSS_CPU);
}

criterion_group! {
    name = wake;
    config = common::config();
    targets = wake_threads, wake_processes
}
criterion_main!(wake);
