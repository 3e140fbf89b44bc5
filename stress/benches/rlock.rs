//! RLock benchmarks: twinsync's two RLock versions next to parking_lot's `ReentrantMutex`
//! and a recursive process-shared pthread mutex, against the `mutex2` reference.
//!
//! Run `cargo xtask bench [--quick] [rlock]`, or this target alone with
//! `cargo bench -p twinsync-stress --features bench --bench rlock -- [FILTER]`.
//!
//! # Groups
//!
//! | group | one iteration |
//! |---|---|
//! | `rlock_uncontended` | acquire + release of a free RLock (depth 0 -> 1 -> 0) |
//! | `rlock_nested` | acquire + release while the bench thread already holds it (depth 1 -> 2 -> 1): the re-entry cost; the reference is still one plain lock + unlock |
//! | `rlock_contended_2threads` | two threads each acquire + release the same RLock |
//! | `rlock_contended_2processes` | the same with two forked processes (shared-memory RLocks only) |
//!
//! # The implementations (benchmark ids)
//!
//! | id | what |
//! |---|---|
//! | `reference` | `Mutex2`: Drepper's three-state futex mutex on a shared futex |
//! | `twinsync-thread` | `twinsync::thread::RLock` |
//! | `twinsync-process` | `twinsync::process::RLock::new()` (anonymous shared segment) |
//! | `parking_lot` | `parking_lot::ReentrantMutex<()>` |
//! | `pthread-recursive` | `pthread_mutex_t`, `PTHREAD_MUTEX_RECURSIVE` + `PTHREAD_PROCESS_SHARED` |

mod common;

use common::posix::{MutexKind, PthreadMutex};
use common::reference::Mutex2;
use common::{cycle_suite, uncontended, Cycle, Home, Suite, Visit};
use criterion::{criterion_group, criterion_main, Criterion};
use twinsync::RLockApi;

/// Either twinsync RLock, as a [`Cycle`].
struct Twin<L>(L);

impl<L: RLockApi + Sync> Cycle for Twin<L> {
    #[inline]
    fn cycle(&self) {
        self.0.acquire();
        self.0.release().expect("release of an owned RLock");
    }
}

impl Cycle for parking_lot::ReentrantMutex<()> {
    #[inline]
    fn cycle(&self) {
        drop(std::hint::black_box(self.lock()));
    }
}

/// Every implementation, made once for all groups.
struct Peers {
    reference: Mutex2,
    thread: Twin<twinsync::thread::RLock>,
    process: Twin<twinsync::process::RLock>,
    parking_lot: parking_lot::ReentrantMutex<()>,
    pthread: PthreadMutex,
}

impl Peers {
    fn new() -> Peers {
        Peers {
            reference: Mutex2::new(),
            thread: Twin(twinsync::thread::RLock::new()),
            process: Twin(twinsync::process::RLock::new().expect("process::RLock::new")),
            parking_lot: parking_lot::ReentrantMutex::new(()),
            pthread: PthreadMutex::new(MutexKind::Recursive),
        }
    }
}

impl Suite for Peers {
    fn each<V: Visit>(&self, v: &mut V) {
        v.visit("reference", &self.reference, Home::Shared);
        v.visit("twinsync-thread", &self.thread, Home::Private);
        v.visit("twinsync-process", &self.process, Home::Shared);
        v.visit("parking_lot", &self.parking_lot, Home::Private);
        v.visit("pthread-recursive", &self.pthread, Home::Shared);
    }
}

fn rlock(c: &mut Criterion) {
    let p = Peers::new();
    cycle_suite(c, "rlock", &p);

    // Re-entry: each RLock is held once by this thread while its benchmark runs.
    let mut g = c.benchmark_group("rlock_nested");
    uncontended(&mut g, "reference", &p.reference);
    {
        let _outer = p.thread.0.lock();
        uncontended(&mut g, "twinsync-thread", &p.thread);
    }
    {
        let _outer = p.process.0.lock();
        uncontended(&mut g, "twinsync-process", &p.process);
    }
    {
        let _outer = p.parking_lot.lock();
        uncontended(&mut g, "parking_lot", &p.parking_lot);
    }
    p.pthread.lock();
    uncontended(&mut g, "pthread-recursive", &p.pthread);
    p.pthread.unlock();
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = rlock
}
criterion_main!(benches);
