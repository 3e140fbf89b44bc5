//! Condition benchmarks: twinsync's two Condition versions (over their default RLock, as in
//! Python, and over a plain Lock) next to std's, parking_lot's and a process-shared pthread
//! condition variable, against the `mutex2` reference.
//!
//! Run `cargo xtask bench [--quick] [condition]`, or this target alone with
//! `cargo bench -p twinsync-stress --features bench --bench condition -- [FILTER]`.
//!
//! # Groups
//!
//! | group | one iteration |
//! |---|---|
//! | `condition_uncontended` | acquire the lock, notify(1) with nobody waiting, release |
//! | `condition_contended_2threads` | two threads each do that on the same condition |
//! | `condition_contended_2processes` | the same with two forked processes (shared-memory conditions only) |
//!
//! Wake-up round trips (notify, then wait for the answer) are in the `wake` bench.
//!
//! # The implementations (benchmark ids)
//!
//! | id | what |
//! |---|---|
//! | `reference` | `Mutex2`: Drepper's three-state futex mutex on a shared futex (lock + unlock) |
//! | `twinsync-thread` | `twinsync::thread::Condition::new()` (over an RLock) |
//! | `twinsync-process` | `twinsync::process::Condition::new()` (over a process RLock) |
//! | `twinsync-thread-lock` | `twinsync::thread::Condition::with_lock(Lock::new())` |
//! | `twinsync-process-lock` | `twinsync::process::Condition::with_lock(Lock::new()?)` |
//! | `std-condvar` | `std::sync::Mutex` + `Condvar`: lock, notify_one, unlock |
//! | `parking_lot-condvar` | the same with `parking_lot` |
//! | `pthread-cond` | process-shared `pthread_mutex_t` + `pthread_cond_t`: lock, signal, unlock |

mod common;

use common::posix::PthreadCond;
use common::reference::Mutex2;
use common::rust_peers::{ParkingLotCond, StdCond};
use common::twin::Cond;
use common::{cycle_suite, Home, Suite, Visit};
use criterion::{criterion_group, criterion_main, Criterion};
use twinsync::{process, thread};

/// Every implementation, made once for all groups.
struct Peers {
    reference: Mutex2,
    thread: Cond<thread::Condition>,
    process: Cond<process::Condition>,
    thread_lock: Cond<thread::Condition<thread::Lock>>,
    process_lock: Cond<process::Condition<process::Lock>>,
    std: StdCond,
    parking_lot: ParkingLotCond,
    pthread: PthreadCond,
}

impl Suite for Peers {
    fn each<V: Visit>(&self, v: &mut V) {
        v.visit("reference", &self.reference, Home::Shared);
        v.visit("twinsync-thread", &self.thread, Home::Private);
        v.visit("twinsync-process", &self.process, Home::Shared);
        v.visit("twinsync-thread-lock", &self.thread_lock, Home::Private);
        v.visit("twinsync-process-lock", &self.process_lock, Home::Shared);
        v.visit("std-condvar", &self.std, Home::Private);
        v.visit("parking_lot-condvar", &self.parking_lot, Home::Private);
        v.visit("pthread-cond", &self.pthread, Home::Shared);
    }
}

fn condition(c: &mut Criterion) {
    let made = "a condition in shared memory";
    let p = Peers {
        reference: Mutex2::new(),
        thread: Cond::new(thread::Condition::new()),
        process: Cond::new(process::Condition::new().expect(made)),
        thread_lock: Cond::new(thread::Condition::with_lock(thread::Lock::new())),
        process_lock: Cond::new(
            process::Condition::with_lock(process::Lock::new().expect(made)).expect(made),
        ),
        std: StdCond::default(),
        parking_lot: ParkingLotCond::default(),
        pthread: PthreadCond::new(),
    };
    cycle_suite(c, "condition", &p);
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = condition
}
criterion_main!(benches);
