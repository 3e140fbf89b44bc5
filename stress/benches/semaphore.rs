//! Semaphore benchmarks: twinsync's Semaphore and BoundedSemaphore, both versions, next to a
//! process-shared POSIX semaphore, against the `mutex2` reference.
//!
//! Run `cargo xtask bench [--quick] [semaphore]`, or this target alone with
//! `cargo bench -p twinsync-stress --features bench --bench semaphore -- [FILTER]`.
//!
//! # Groups
//!
//! | group | one iteration |
//! |---|---|
//! | `semaphore_uncontended` | acquire + release(1) of a semaphore at 1 |
//! | `semaphore_contended_2threads` | two threads each acquire + release(1) the same semaphore at 1 (so one of them may have to wait, as for a lock) |
//! | `semaphore_contended_2processes` | the same with two forked processes (shared-memory semaphores only) |
//!
//! Wake-up round trips through two semaphores at 0 are in the `wake` bench.
//!
//! # The implementations (benchmark ids)
//!
//! | id | what |
//! |---|---|
//! | `reference` | `Mutex2`: Drepper's three-state futex mutex on a shared futex (lock + unlock) |
//! | `twinsync-thread` | `twinsync::thread::Semaphore::new(1)` |
//! | `twinsync-process` | `twinsync::process::Semaphore::new(1)` (anonymous shared segment) |
//! | `twinsync-bounded-thread` | `twinsync::thread::BoundedSemaphore::new(1)` |
//! | `twinsync-bounded-process` | `twinsync::process::BoundedSemaphore::new(1)` |
//! | `sem_t` | POSIX semaphore, `pshared = 1`, value 1: `sem_wait` + `sem_post` |

mod common;

use common::posix::PosixSem;
use common::reference::Mutex2;
use common::twin::Sem;
use common::{cycle_suite, Home, Suite, Visit};
use criterion::{criterion_group, criterion_main, Criterion};

/// Every implementation, each at 1.
struct Peers {
    reference: Mutex2,
    thread: Sem<twinsync::thread::Semaphore>,
    process: Sem<twinsync::process::Semaphore>,
    bounded_thread: Sem<twinsync::thread::BoundedSemaphore>,
    bounded_process: Sem<twinsync::process::BoundedSemaphore>,
    sem: PosixSem,
}

impl Peers {
    fn new() -> Peers {
        let made = "a semaphore at 1";
        Peers {
            reference: Mutex2::new(),
            thread: Sem(twinsync::thread::Semaphore::new(1).expect(made)),
            process: Sem(twinsync::process::Semaphore::new(1).expect(made)),
            bounded_thread: Sem(twinsync::thread::BoundedSemaphore::new(1).expect(made)),
            bounded_process: Sem(twinsync::process::BoundedSemaphore::new(1).expect(made)),
            sem: PosixSem::new(1),
        }
    }
}

impl Suite for Peers {
    fn each<V: Visit>(&self, v: &mut V) {
        v.visit("reference", &self.reference, Home::Shared);
        v.visit("twinsync-thread", &self.thread, Home::Private);
        v.visit("twinsync-process", &self.process, Home::Shared);
        v.visit(
            "twinsync-bounded-thread",
            &self.bounded_thread,
            Home::Private,
        );
        v.visit(
            "twinsync-bounded-process",
            &self.bounded_process,
            Home::Shared,
        );
        v.visit("sem_t", &self.sem, Home::Shared);
    }
}

fn semaphore(c: &mut Criterion) {
    cycle_suite(c, "semaphore", &Peers::new());
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = semaphore
}
criterion_main!(benches);
