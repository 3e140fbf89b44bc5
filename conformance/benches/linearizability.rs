//! How long the linearizability checker takes on 10,000-operation histories of a Lock, a
//! Semaphore and a Queue (unique values): each must be checked in well under a second.
//!
//! `cargo bench -p twinsync-conformance --features bench --bench linearizability`
//!
//! The histories are linearizable by construction
//! ([`generated`](twinsync_conformance::linearizability::generated)): four clients,
//! overlapping neighbours, the operation mix below. A passing history is the checker's worst
//! case on the usual path (every operation is linearized; a failing one stops earlier).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use twinsync_conformance::linearizability::models::{
    LockOp, LockSpec, QueueOp, QueueSpec, SemOp, SemSpec,
};
use twinsync_conformance::linearizability::{check, generated, Model, Outcome};

const OPS: usize = 10_000;

fn bench_one<M: Model>(c: &mut Criterion, name: &str, ops: impl Iterator<Item = M::Op>) {
    let h = generated::<M>(ops.take(OPS), 4, 0x5eed);
    assert!(
        matches!(check::<M>(&h), Outcome::Linearizable),
        "the generated {name} history must be linearizable"
    );
    c.bench_function(&format!("linearizability/{name}_{}_ops", h.len()), |b| {
        b.iter(|| black_box(matches!(check::<M>(black_box(&h)), Outcome::Linearizable)))
    });
}

fn lincheck(c: &mut Criterion) {
    let lock = [
        LockOp::TryAcquire,
        LockOp::Release,
        LockOp::AcquireTimeout,
        LockOp::Release,
        LockOp::Release,
    ];
    bench_one::<LockSpec>(c, "lock", lock.into_iter().cycle());
    let sem = [
        SemOp::TryAcquire,
        SemOp::TryAcquire,
        SemOp::Release(1),
        SemOp::TryAcquire,
        SemOp::Release(2),
    ];
    bench_one::<SemSpec<2, { i32::MAX as u32 }>>(c, "semaphore", sem.into_iter().cycle());
    let queue = (0u64..).map(|i| match i % 5 {
        0 | 1 | 3 => QueueOp::TryPut(i),
        _ => QueueOp::TryGet,
    });
    bench_one::<QueueSpec<4>>(c, "queue", queue);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = lincheck
}
criterion_main!(benches);
