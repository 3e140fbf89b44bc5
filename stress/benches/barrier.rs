//! Barrier benchmarks: twinsync's two Barrier versions next to `std::sync::Barrier` and a
//! process-shared `pthread_barrier_t`, against a minimal futex barrier.
//!
//! Run `cargo xtask bench [--quick] [barrier]`, or this target alone with
//! `cargo bench -p twinsync-stress --features bench --bench barrier -- [FILTER]`.
//!
//! # Groups
//!
//! | group | one iteration |
//! |---|---|
//! | `barrier_uncontended` | one `wait` on a barrier for 1 party (it passes at once) |
//! | `barrier_contended_2threads` | two threads each `wait` once on a barrier for 2 parties: one generation |
//! | `barrier_contended_2processes` | the same with two forked processes (shared-memory barriers only) |
//!
//! # The implementations (benchmark ids)
//!
//! | id | what |
//! |---|---|
//! | `reference` | `FutexBarrier`: arrival counter + generation word, shared futex, wake-all by the last arriver |
//! | `twinsync-thread` | `twinsync::thread::Barrier` |
//! | `twinsync-process` | `twinsync::process::Barrier::new(..)` (anonymous shared segment) |
//! | `std` | `std::sync::Barrier` |
//! | `pthread-pshared` | `pthread_barrier_t`, `PTHREAD_PROCESS_SHARED` |

mod common;

use common::posix::PthreadBarrier;
use common::reference::FutexBarrier;
use common::{contended_groups, uncontended_group, Cycle, Home, Suite, Visit};
use criterion::{criterion_group, criterion_main, Criterion};
use twinsync::BarrierApi;

/// Either twinsync Barrier, as a [`Cycle`].
struct Twin<B>(B);

impl<B: BarrierApi + Sync> Cycle for Twin<B> {
    #[inline]
    fn cycle(&self) {
        self.0.wait().expect("wait on an unbroken Barrier");
    }
}

/// Every implementation, for a given number of parties.
struct Peers {
    reference: FutexBarrier,
    thread: Twin<twinsync::thread::Barrier>,
    process: Twin<twinsync::process::Barrier>,
    std: std::sync::Barrier,
    pthread: PthreadBarrier,
}

impl Peers {
    fn new(parties: u32) -> Peers {
        Peers {
            reference: FutexBarrier::new(parties),
            thread: Twin(twinsync::thread::Barrier::new(parties).expect("thread::Barrier")),
            process: Twin(twinsync::process::Barrier::new(parties).expect("process::Barrier")),
            std: std::sync::Barrier::new(parties as usize),
            pthread: PthreadBarrier::new(parties),
        }
    }
}

impl Suite for Peers {
    fn each<V: Visit>(&self, v: &mut V) {
        v.visit("reference", &self.reference, Home::Shared);
        v.visit("twinsync-thread", &self.thread, Home::Private);
        v.visit("twinsync-process", &self.process, Home::Shared);
        v.visit("std", &self.std, Home::Private);
        v.visit("pthread-pshared", &self.pthread, Home::Shared);
    }
}

fn barrier(c: &mut Criterion) {
    uncontended_group(c, "barrier", &Peers::new(1));
    contended_groups(c, "barrier", &Peers::new(2));
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = barrier
}
criterion_main!(benches);
