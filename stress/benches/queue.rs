//! Queue benchmarks: twinsync's two Queue versions next to `std::sync::mpsc::sync_channel`
//! and a POSIX message queue, against the `mutex2` reference.
//!
//! Run `cargo xtask bench [--quick] [queue]`, or this target alone with
//! `cargo bench -p twinsync-stress --features bench --bench queue -- [FILTER]`.
//!
//! # Groups
//!
//! | group | one iteration |
//! |---|---|
//! | `queue_uncontended` | put + get of one `u64` on one thread |
//! | `queue_contended_2threads` | a producer thread puts one `u64`, a consumer thread gets one: one transfer |
//! | `queue_contended_2processes` | the same with two forked processes (shared-memory queues only) |
//!
//! Every queue holds up to [`CAPACITY`] messages. Message round trips (put, then get the
//! answer from a second queue) are in the `wake` bench.
//!
//! # The implementations (benchmark ids)
//!
//! | id | what |
//! |---|---|
//! | `reference` | `Mutex2`: Drepper's three-state futex mutex on a shared futex (lock + unlock) |
//! | `twinsync-thread` | `twinsync::thread::Queue<u64>` |
//! | `twinsync-process` | `twinsync::process::Queue<u64>` (anonymous shared segment, postcard codec) |
//! | `std-mpsc` | `std::sync::mpsc::sync_channel::<u64>` |
//! | `posix-mq` | POSIX message queue (`mq_open`), 8-byte messages |

mod common;

use common::ipc::MessageQueue;
use common::reference::Mutex2;
use common::rust_peers::Channel;
use common::twin::Q;
use common::{cycle_suite, Home, Suite, Transfer, Visit};
use criterion::{criterion_group, criterion_main, Criterion};

/// Messages every queue holds (POSIX message queues allow 10 by default).
const CAPACITY: usize = 8;
/// Room for one postcard-encoded `u64` (a varint of at most 10 bytes).
const MAX_MESSAGE: usize = 16;

/// Every implementation, made once for all groups.
struct Peers {
    reference: Mutex2,
    thread: Transfer<Q<twinsync::thread::Queue<u64>>>,
    process: Transfer<Q<twinsync::process::Queue<u64>>>,
    mpsc: Transfer<Channel>,
    mq: Transfer<MessageQueue>,
}

impl Suite for Peers {
    fn each<V: Visit>(&self, v: &mut V) {
        v.visit("reference", &self.reference, Home::Shared);
        v.visit("twinsync-thread", &self.thread, Home::Private);
        v.visit("twinsync-process", &self.process, Home::Shared);
        v.visit("std-mpsc", &self.mpsc, Home::Private);
        v.visit("posix-mq", &self.mq, Home::Shared);
    }
}

fn queue(c: &mut Criterion) {
    let made = "a queue of CAPACITY messages";
    let p = Peers {
        reference: Mutex2::new(),
        thread: Transfer(Q(twinsync::thread::Queue::new(CAPACITY).expect(made))),
        process: Transfer(Q(
            twinsync::process::Queue::new(CAPACITY, MAX_MESSAGE).expect(made)
        )),
        mpsc: Transfer(Channel::new(CAPACITY)),
        mq: Transfer(MessageQueue::new(CAPACITY as i64)),
    };
    cycle_suite(c, "queue", &p);
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = queue
}
criterion_main!(benches);
