//! Lock benchmarks: twinsync's two Lock versions next to their peers, all in one run.
//!
//! Run `cargo xtask bench [--quick] [FILTER]`, which runs every bench target and prints the
//! ratio tables, or this one alone with
//! `cargo bench -p twinsync-stress --features bench --bench lock -- [FILTER]`.
//!
//! # What is measured
//!
//! | group | one iteration | implementations |
//! |---|---|---|
//! | `lock_uncontended` | one acquire + release on one thread, nobody else near the lock | all |
//! | `lock_contended_2threads` | two threads each do one acquire + release (empty critical section) on the same lock | all |
//! | `lock_contended_2processes` | the same with two forked processes | those whose state lives in shared memory |
//!
//! How the two-party groups are timed: see `common/mod.rs`. Criterion reports the time for
//! one operation of *each* racer, so a pair of operations.
//!
//! # The implementations (benchmark ids)
//!
//! | id | what | in shared memory |
//! |---|---|---|
//! | `reference` | `Mutex2`: Drepper's three-state futex mutex on a shared futex | yes |
//! | `twinsync-thread` | `twinsync::thread::Lock` (private futex) | no |
//! | `twinsync-process` | `twinsync::process::Lock::new()` (anonymous shared segment) | yes |
//! | `std` | `std::sync::Mutex<()>` | no |
//! | `parking_lot` | `parking_lot::Mutex<()>` | no |
//! | `pthread-pshared` | `pthread_mutex_t`, `PTHREAD_PROCESS_SHARED` | yes |
//! | `pthread-robust` | the same, also `PTHREAD_MUTEX_ROBUST` | yes |
//! | `sem_t` | POSIX semaphore, `pshared = 1`, initial value 1, wait/post as lock/unlock | yes |
//!
//! # Reading the numbers
//!
//! Absolute times move 5-20% between runs on a 2-core machine; ratios against the reference
//! measured in the same run move about 1-3% (DESIGN.md, section 6). So read ratios:
//! `cargo xtask bench` prints, per group, each implementation's time divided by the
//! reference's for the uncontended group (lower is better) and the reference's time divided
//! by the implementation's, i.e. relative throughput, for the contended groups (higher is
//! better), next to the DESIGN.md target where there is one.

mod common;

use common::posix::{MutexKind, PosixSem, PthreadMutex};
use common::reference::Mutex2;
use common::{cycle_suite, Cycle, Home, Suite, Visit};
use criterion::{criterion_group, criterion_main, Criterion};
use twinsync::LockApi;

/// Either twinsync Lock, as a [`Cycle`].
struct Twin<L>(L);

impl<L: LockApi + Sync> Cycle for Twin<L> {
    #[inline]
    fn cycle(&self) {
        self.0.acquire();
        self.0.release().expect("release of a held Lock");
    }
}

/// Every implementation, made once for the three groups.
struct Peers {
    reference: Mutex2,
    thread: Twin<twinsync::thread::Lock>,
    process: Twin<twinsync::process::Lock>,
    std: std::sync::Mutex<()>,
    parking_lot: parking_lot::Mutex<()>,
    pthread: PthreadMutex,
    robust: PthreadMutex,
    sem: PosixSem,
}

impl Peers {
    fn new() -> Peers {
        Peers {
            reference: Mutex2::new(),
            thread: Twin(twinsync::thread::Lock::new()),
            process: Twin(twinsync::process::Lock::new().expect("process::Lock::new")),
            std: std::sync::Mutex::new(()),
            parking_lot: parking_lot::Mutex::new(()),
            pthread: PthreadMutex::new(MutexKind::Plain),
            robust: PthreadMutex::new(MutexKind::Robust),
            sem: PosixSem::new(1),
        }
    }
}

impl Suite for Peers {
    fn each<V: Visit>(&self, v: &mut V) {
        v.visit("reference", &self.reference, Home::Shared);
        v.visit("twinsync-thread", &self.thread, Home::Private);
        v.visit("twinsync-process", &self.process, Home::Shared);
        v.visit("std", &self.std, Home::Private);
        v.visit("parking_lot", &self.parking_lot, Home::Private);
        v.visit("pthread-pshared", &self.pthread, Home::Shared);
        v.visit("pthread-robust", &self.robust, Home::Shared);
        v.visit("sem_t", &self.sem, Home::Shared);
    }
}

fn lock(c: &mut Criterion) {
    cycle_suite(c, "lock", &Peers::new());
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = lock
}
criterion_main!(benches);
