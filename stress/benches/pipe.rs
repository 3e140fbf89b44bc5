//! Pipe benchmarks: twinsync's two Pipe versions (duplex) next to an `AF_UNIX` socket pair,
//! what Python's `multiprocessing.Pipe()` is made of, against the `mutex2` reference.
//!
//! Run `cargo xtask bench [--quick] [pipe]`, or this target alone with
//! `cargo bench -p twinsync-stress --features bench --bench pipe -- [FILTER]`.
//!
//! # Groups
//!
//! | group | one iteration |
//! |---|---|
//! | `pipe_uncontended` | send one `u64` on end A, receive it on end B, on one thread |
//! | `pipe_contended_2threads` | one thread sends on end A, another receives on end B: one transfer |
//! | `pipe_contended_2processes` | the same with two forked processes (shared-memory pipes only) |
//!
//! Message round trips (A sends, B answers) are in the `wake` bench.
//!
//! # The implementations (benchmark ids)
//!
//! | id | what |
//! |---|---|
//! | `reference` | `Mutex2`: Drepper's three-state futex mutex on a shared futex (lock + unlock) |
//! | `twinsync-thread` | `twinsync::thread::Pipe::<u64>::new(true)` (64 messages per direction) |
//! | `twinsync-process` | `twinsync::process::Pipe::<u64>::new(true)` (anonymous shared segment, postcard codec) |
//! | `socketpair` | `AF_UNIX` `SOCK_SEQPACKET` socket pair, 8-byte messages |

mod common;

use common::ipc::SocketPair;
use common::reference::Mutex2;
use common::twin::Duplex;
use common::{cycle_suite, Home, Suite, Visit};
use criterion::{criterion_group, criterion_main, Criterion};

/// Every implementation, made once for all groups.
struct Peers {
    reference: Mutex2,
    thread: Duplex<twinsync::thread::Connection<u64>>,
    process: Duplex<twinsync::process::Connection<u64>>,
    socketpair: SocketPair,
}

impl Suite for Peers {
    fn each<V: Visit>(&self, v: &mut V) {
        v.visit("reference", &self.reference, Home::Shared);
        v.visit("twinsync-thread", &self.thread, Home::Private);
        v.visit("twinsync-process", &self.process, Home::Shared);
        v.visit("socketpair", &self.socketpair, Home::Shared);
    }
}

fn pipe(c: &mut Criterion) {
    let p = Peers {
        reference: Mutex2::new(),
        thread: Duplex::new(twinsync::thread::Pipe::new(true)),
        process: Duplex::new(twinsync::process::Pipe::new(true).expect("process::Pipe::new")),
        socketpair: SocketPair::new(),
    };
    cycle_suite(c, "pipe", &p);
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = pipe
}
criterion_main!(benches);
