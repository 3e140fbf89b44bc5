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
//! | `twinsync-condition` | a twinsync Condition over its default RLock: a turn word under its lock, notify(1) + wait while it is not one's turn (as the condvar peers below) |
//! | `twinsync-condition-lock` | the same over a plain twinsync Lock |
//! | `twinsync-event` | two twinsync Events: set the other's, wait on one's own and clear it |
//! | `twinsync-semaphore` | two twinsync Semaphores at 0: release(1) the other's, acquire one's own (version as the group) |
//! | `twinsync-queue` | two twinsync Queues of capacity 1: put a `u64` on the other's, get from one's own |
//! | `twinsync-pipe` | a duplex twinsync Pipe: A sends a `u64` and receives the answer, B receives and answers |
//! | `std-condvar` | `std::sync::{Mutex, Condvar}`: a turn word under the mutex, notify_one + wait_while |
//! | `parking_lot-condvar` | the same with `parking_lot::{Mutex, Condvar}` |
//! | `pthread-cond` | the same with a process-shared `pthread_mutex_t` + `pthread_cond_t` |
//! | `sem_t` | two POSIX semaphores (`pshared = 1`) at 0: post the other's, wait on one's own |
//! | `std-mpsc` | two `std::sync::mpsc::sync_channel(1)`: a one-word message each way (threads only) |
//! | `posix-mq` | two POSIX message queues (`mq_open`, capacity 1): a one-word message each way |
//! | `socketpair` | an `AF_UNIX` `SOCK_SEQPACKET` socket pair (what Python's `multiprocessing.Pipe()` uses): a one-word message each way |

mod common;

use common::ipc::{MessageQueue, SocketPair};
use common::posix::{PosixSem, PthreadCond};
use common::race::{Pins, Race, CROSS_CPU, SAME_CPU};
use common::reference::{FutexPingPong, Scope};
use common::rust_peers::{Channel, ParkingLotCond, StdCond};
use common::shm::Shm;
use common::twin::{Cond, Duplex, Ev, Sem, Q};
use common::{round_trip, Group, Pair, Parties, PingPong, Signal};
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

/// One round-trip group being filled: who the parties are and where they run.
struct Runner<'g, 'c> {
    g: &'g mut Group<'c>,
    race: Shm<Race>,
    parties: Parties,
    pins: Pins,
}

impl Runner<'_, '_> {
    /// Benchmarks one round trip of `obj` under `id`.
    fn run<P: PingPong>(&mut self, id: &str, obj: &P) {
        round_trip(self.g, id, obj, &self.race, self.parties, self.pins);
    }

    /// Benchmarks `id` only when the parties are threads (`obj` lives in private memory).
    fn threads_only<P: PingPong>(&mut self, id: &str, obj: impl FnOnce() -> P) {
        if self.parties == Parties::Threads {
            self.run(id, &obj());
        }
    }
}

/// Fills one round-trip group: the reference first, then twinsync's version for these
/// parties, then the peers.
fn group(c: &mut Criterion, name: &str, parties: Parties, pins: Pins) {
    let mut g = c.benchmark_group(name);
    let mut r = Runner {
        g: &mut g,
        race: Race::new(),
        parties,
        pins,
    };
    let scope = match parties {
        Parties::Threads => Scope::Private,
        Parties::Processes => Scope::Shared,
    };
    r.run("reference", &FutexPingPong::new(scope));
    match parties {
        Parties::Threads => twinsync_thread(&mut r),
        Parties::Processes => twinsync_process(&mut r),
    }
    r.threads_only("std-condvar", StdCond::default);
    r.threads_only("parking_lot-condvar", ParkingLotCond::default);
    r.run("pthread-cond", &PthreadCond::new());
    r.run("sem_t", &Pair::new(|| PosixSem::new(0)));
    r.threads_only("std-mpsc", || Pair::new(|| Channel::new(1)));
    r.run("posix-mq", &Pair::new(|| MessageQueue::new(1)));
    r.run("socketpair", &SocketPair::new());
    g.finish();
}

/// The thread versions' round trips.
fn twinsync_thread(r: &mut Runner<'_, '_>) {
    use twinsync::thread::{Condition, Event, Lock, Pipe, Queue, Semaphore};
    r.run(
        "twinsync-lock",
        &Pair::new(|| LockSignal::held(Lock::new())),
    );
    r.run("twinsync-condition", &Cond::new(Condition::new()));
    let cond = Cond::new(Condition::with_lock(Lock::new()));
    r.run("twinsync-condition-lock", &cond);
    let sem = || Sem(Semaphore::new(0).expect("thread::Semaphore::new(0)"));
    r.run("twinsync-semaphore", &Pair::new(sem));
    r.run("twinsync-event", &Pair::new(|| Ev(Event::new())));
    let queue = || Q(Queue::new(1).expect("thread::Queue::new(1)"));
    r.run("twinsync-queue", &Pair::new(queue));
    r.run("twinsync-pipe", &Duplex::new(Pipe::new(true)));
}

/// The process versions' round trips.
fn twinsync_process(r: &mut Runner<'_, '_>) {
    use twinsync::process::{Condition, Event, Lock, Pipe, Queue, Semaphore};
    let made = "a primitive in shared memory";
    let lock = || Lock::new().expect(made);
    r.run("twinsync-lock", &Pair::new(|| LockSignal::held(lock())));
    r.run(
        "twinsync-condition",
        &Cond::new(Condition::new().expect(made)),
    );
    let cond = Cond::new(Condition::with_lock(lock()).expect(made));
    r.run("twinsync-condition-lock", &cond);
    let sem = || Sem(Semaphore::new(0).expect(made));
    r.run("twinsync-semaphore", &Pair::new(sem));
    r.run(
        "twinsync-event",
        &Pair::new(|| Ev(Event::new().expect(made))),
    );
    // Room for one postcard-encoded u64 (a varint of at most 10 bytes) per message.
    let queue = || Q(<Queue<u64>>::new(1, 16).expect(made));
    r.run("twinsync-queue", &Pair::new(queue));
    r.run(
        "twinsync-pipe",
        &Duplex::new(<Pipe<u64>>::new(true).expect(made)),
    );
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
