//! RwLock benchmarks: twinsync's two RwLock versions next to std's, parking_lot's and a
//! process-shared pthread read-write lock, reads and writes, against the `mutex2` reference.
//!
//! Run `cargo xtask bench [--quick] [rwlock]`, or this target alone with
//! `cargo bench -p twinsync-stress --features bench --bench rwlock -- [FILTER]`.
//!
//! # Groups
//!
//! | group | one iteration |
//! |---|---|
//! | `rwlock_read_uncontended` | acquire_read + release_read of a free lock |
//! | `rwlock_read_contended_2threads` | two threads each read-lock + unlock the same lock (readers share it, so this measures the cost of two readers touching one word) |
//! | `rwlock_read_contended_2processes` | the same with two forked processes (shared-memory locks only) |
//! | `rwlock_write_uncontended` | acquire_write + release_write of a free lock |
//! | `rwlock_write_contended_2threads` | two threads each write-lock + unlock the same lock (empty critical section) |
//! | `rwlock_write_contended_2processes` | the same with two forked processes |
//!
//! The reference is the same exclusive `mutex2` lock + unlock in all six groups.
//!
//! # The implementations (benchmark ids)
//!
//! | id | what |
//! |---|---|
//! | `reference` | `Mutex2`: Drepper's three-state futex mutex on a shared futex |
//! | `twinsync-thread` | `twinsync::thread::RwLock` |
//! | `twinsync-process` | `twinsync::process::RwLock::new()` (anonymous shared segment) |
//! | `std` | `std::sync::RwLock<()>` |
//! | `parking_lot` | `parking_lot::RwLock<()>` |
//! | `pthread-pshared` | `pthread_rwlock_t`, `PTHREAD_PROCESS_SHARED` |

mod common;

use std::hint::black_box;
use std::sync::PoisonError;

use common::posix::PthreadRwLock;
use common::reference::Mutex2;
use common::{cycle_suite, Cycle, Home, Suite, Visit};
use criterion::{criterion_group, criterion_main, Criterion};
use twinsync::RwLockApi;

/// A read-write lock's two cycles.
trait Rw: Sync {
    /// Read-lock, unlock.
    fn read_cycle(&self);
    /// Write-lock, unlock.
    fn write_cycle(&self);
}

/// Either twinsync RwLock.
struct Twin<L>(L);

impl<L: RwLockApi + Sync> Rw for Twin<L> {
    #[inline]
    fn read_cycle(&self) {
        self.0.acquire_read();
        self.0.release_read().expect("release of a held read lock");
    }

    #[inline]
    fn write_cycle(&self) {
        self.0.acquire_write();
        self.0
            .release_write()
            .expect("release of a held write lock");
    }
}

impl Rw for std::sync::RwLock<()> {
    #[inline]
    fn read_cycle(&self) {
        drop(black_box(
            self.read().unwrap_or_else(PoisonError::into_inner),
        ));
    }

    #[inline]
    fn write_cycle(&self) {
        drop(black_box(
            self.write().unwrap_or_else(PoisonError::into_inner),
        ));
    }
}

impl Rw for parking_lot::RwLock<()> {
    #[inline]
    fn read_cycle(&self) {
        drop(black_box(self.read()));
    }

    #[inline]
    fn write_cycle(&self) {
        drop(black_box(self.write()));
    }
}

impl Rw for PthreadRwLock {
    #[inline]
    fn read_cycle(&self) {
        self.read();
        self.unlock();
    }

    #[inline]
    fn write_cycle(&self) {
        self.write();
        self.unlock();
    }
}

/// A read-write lock seen through its read cycle (`WRITE = false`) or its write cycle.
struct Mode<'a, T, const WRITE: bool>(&'a T);

impl<T: Rw, const WRITE: bool> Cycle for Mode<'_, T, WRITE> {
    #[inline]
    fn cycle(&self) {
        if WRITE {
            self.0.write_cycle();
        } else {
            self.0.read_cycle();
        }
    }
}

/// Every implementation, made once for all groups.
struct Peers {
    reference: Mutex2,
    thread: Twin<twinsync::thread::RwLock>,
    process: Twin<twinsync::process::RwLock>,
    std: std::sync::RwLock<()>,
    parking_lot: parking_lot::RwLock<()>,
    pthread: PthreadRwLock,
}

/// The peers in one mode.
struct InMode<'a, const WRITE: bool>(&'a Peers);

impl<const WRITE: bool> Suite for InMode<'_, WRITE> {
    fn each<V: Visit>(&self, v: &mut V) {
        let p = self.0;
        v.visit("reference", &p.reference, Home::Shared);
        let thread = Mode::<_, WRITE>(&p.thread);
        v.visit("twinsync-thread", &thread, Home::Private);
        let process = Mode::<_, WRITE>(&p.process);
        v.visit("twinsync-process", &process, Home::Shared);
        v.visit("std", &Mode::<_, WRITE>(&p.std), Home::Private);
        let parking_lot = Mode::<_, WRITE>(&p.parking_lot);
        v.visit("parking_lot", &parking_lot, Home::Private);
        let pthread = Mode::<_, WRITE>(&p.pthread);
        v.visit("pthread-pshared", &pthread, Home::Shared);
    }
}

fn rwlock(c: &mut Criterion) {
    let p = Peers {
        reference: Mutex2::new(),
        thread: Twin(twinsync::thread::RwLock::new()),
        process: Twin(twinsync::process::RwLock::new().expect("process::RwLock::new")),
        std: std::sync::RwLock::new(()),
        parking_lot: parking_lot::RwLock::new(()),
        pthread: PthreadRwLock::new(),
    };
    cycle_suite(c, "rwlock_read", &InMode::<false>(&p));
    cycle_suite(c, "rwlock_write", &InMode::<true>(&p));
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = rwlock
}
criterion_main!(benches);
