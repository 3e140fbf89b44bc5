//! Unit tests of the checker: known linearizable and non-linearizable histories, pending
//! operations, blocking operations, shrinking, and generated histories.

use super::models::{LockOp, LockSpec, QueueOp, QueueRes, QueueSpec, SemOp, SemSpec};
use super::*;

type L = Entry<LockOp, bool>;

fn lin<M: Model>(h: &[Entry<M::Op, M::Res>]) -> bool {
    match check::<M>(h) {
        Outcome::Linearizable => true,
        Outcome::Violation(_) => false,
        Outcome::Unknown { .. } => panic!("unbounded check gave up"),
    }
}

#[test]
fn overlapping_acquires_without_release_are_rejected() {
    let h: Vec<L> = vec![
        Entry::done(0, 0, 10, LockOp::Acquire, true),
        Entry::done(1, 5, 15, LockOp::Acquire, true),
    ];
    assert!(!lin::<LockSpec>(&h));
}

#[test]
fn a_blocking_acquire_is_linearized_after_the_release() {
    // Client 1's acquire was called while client 0 held the lock, and returned after the
    // release: it blocked, and is linearized when it could complete.
    let h: Vec<L> = vec![
        Entry::done(0, 0, 10, LockOp::Acquire, true),
        Entry::done(1, 20, 100, LockOp::Acquire, true),
        Entry::done(0, 50, 60, LockOp::Release, true),
    ];
    assert!(lin::<LockSpec>(&h));
    // The same acquire returning *before* the release is a violation.
    let h: Vec<L> = vec![
        Entry::done(0, 0, 10, LockOp::Acquire, true),
        Entry::done(1, 20, 40, LockOp::Acquire, true),
        Entry::done(0, 50, 60, LockOp::Release, true),
    ];
    assert!(!lin::<LockSpec>(&h));
}

#[test]
fn a_failed_try_needs_a_holder_at_some_instant() {
    let h: Vec<L> = vec![Entry::done(0, 0, 10, LockOp::TryAcquire, false)];
    assert!(
        !lin::<LockSpec>(&h),
        "a failed try on a lock nobody ever held"
    );
    let h: Vec<L> = vec![
        Entry::done(0, 0, 10, LockOp::Acquire, true),
        Entry::done(1, 5, 20, LockOp::TryAcquire, false),
        Entry::done(0, 12, 14, LockOp::Release, true),
    ];
    assert!(lin::<LockSpec>(&h));
}

#[test]
fn pending_operations_may_or_may_not_take_effect() {
    // A pending release explains a later successful acquire...
    let h: Vec<L> = vec![
        Entry::done(0, 0, 10, LockOp::Acquire, true),
        Entry::pending(0, 20, LockOp::Release),
        Entry::done(1, 30, 40, LockOp::Acquire, true),
    ];
    assert!(lin::<LockSpec>(&h));
    // ...and a pending acquire need not have happened.
    let h: Vec<L> = vec![
        Entry::pending(0, 0, LockOp::Acquire),
        Entry::done(1, 30, 40, LockOp::Acquire, true),
    ];
    assert!(lin::<LockSpec>(&h));
    // But it cannot have happened before its call.
    let h: Vec<L> = vec![
        Entry::done(0, 0, 10, LockOp::Acquire, true),
        Entry::done(1, 20, 30, LockOp::Acquire, true),
        Entry::pending(0, 40, LockOp::Release),
    ];
    assert!(!lin::<LockSpec>(&h));
}

#[test]
fn queue_order_and_bounds() {
    type Q = QueueSpec<2>;
    let ok = vec![
        Entry::done(0, 0, 10, QueueOp::Put(1), QueueRes::Put),
        Entry::done(1, 5, 15, QueueOp::Put(2), QueueRes::Put),
        Entry::done(2, 20, 30, QueueOp::Get, QueueRes::Got(2)),
        Entry::done(2, 31, 40, QueueOp::Get, QueueRes::Got(1)),
    ];
    assert!(lin::<Q>(&ok), "concurrent puts may be ordered either way");
    let bad = vec![
        Entry::done(0, 0, 10, QueueOp::Put(1), QueueRes::Put),
        Entry::done(0, 11, 15, QueueOp::Put(2), QueueRes::Put),
        Entry::done(2, 20, 30, QueueOp::Get, QueueRes::Got(2)),
    ];
    assert!(!lin::<Q>(&bad), "FIFO: 1 was put strictly before 2");
    let full = vec![
        Entry::done(0, 0, 1, QueueOp::Put(1), QueueRes::Put),
        Entry::done(0, 2, 3, QueueOp::Put(2), QueueRes::Put),
        Entry::done(0, 4, 5, QueueOp::TryPut(3), QueueRes::Full),
        Entry::done(0, 6, 7, QueueOp::TryPut(3), QueueRes::Put),
    ];
    assert!(
        !lin::<Q>(&full),
        "nothing was taken out between Full and Put"
    );
}

#[test]
fn semaphore_value_is_respected() {
    type S = SemSpec<1, { i32::MAX as u32 }>;
    let bad = vec![
        Entry::done(0, 0, 10, SemOp::Acquire, true),
        Entry::done(1, 0, 10, SemOp::Acquire, true),
    ];
    assert!(!lin::<S>(&bad), "two holders of a semaphore of value 1");
    type B = SemSpec<1, 1>;
    let over = vec![Entry::done(0, 0, 10, SemOp::Release(1), true)];
    assert!(
        !lin::<B>(&over),
        "a bounded semaphore at its maximum accepted a release"
    );
}

#[test]
fn violations_are_cut_to_the_shortest_failing_prefix() {
    // 200 well-behaved lock cycles with a double acquire planted in the middle.
    let mut h: Vec<L> = Vec::new();
    for i in 0..100u64 {
        let t = i * 100;
        h.push(Entry::done(0, t, t + 10, LockOp::Acquire, true));
        h.push(Entry::done(0, t + 20, t + 30, LockOp::Release, true));
    }
    h.push(Entry::done(1, 5_005, 5_012, LockOp::Acquire, true));
    let Outcome::Violation(v) = check::<LockSpec>(&h) else {
        panic!("the double acquire was not found");
    };
    // Cut at the planted acquire (called at 5,005, during cycle 50): cycles 51..99 are gone.
    assert!(v.history.len() <= 103, "not cut:\n{v}");
    assert!(v.history.iter().any(|e| e.client == 1), "{v}");
    assert_eq!(v.original_len, 201);
    let text = v.to_string();
    assert!(
        text.contains("not linearizable") && text.contains("client  1"),
        "{text}"
    );
    assert!(text.contains("earlier operations"), "{text}");
}

#[test]
fn generated_histories_are_linearizable() {
    let lock_ops = (0..2_000).map(|i| match i % 3 {
        0 => LockOp::TryAcquire,
        1 => LockOp::Release,
        _ => LockOp::AcquireTimeout,
    });
    let h = super::generated::<LockSpec>(lock_ops, 4, 7);
    assert!(lin::<LockSpec>(&h));
    let q_ops = (0..2_000u64).map(|i| match i % 4 {
        0 | 1 => QueueOp::TryPut(i),
        _ => QueueOp::TryGet,
    });
    let h = super::generated::<QueueSpec<4>>(q_ops, 4, 9);
    assert!(lin::<QueueSpec<4>>(&h));
}

#[test]
fn objects_are_checked_separately() {
    let h = vec![
        ("a", Entry::done(0, 0, 10, LockOp::Acquire, true)),
        ("b", Entry::done(1, 5, 15, LockOp::Acquire, true)),
    ];
    assert!(check_objects::<LockSpec, _>(&h, usize::MAX).is_ok());
    let h = vec![
        ("a", Entry::done(0, 0, 10, LockOp::Acquire, true)),
        ("a", Entry::done(1, 5, 15, LockOp::Acquire, true)),
    ];
    assert!(matches!(
        check_objects::<LockSpec, _>(&h, usize::MAX),
        Err(("a", Outcome::Violation(_)))
    ));
}

#[test]
fn rwlock_model_readers_share_and_writers_exclude() {
    use super::models::{RwOp, RwSpec};
    type E = Entry<RwOp, bool>;
    // Two overlapping readers: fine.
    let h: Vec<E> = vec![
        Entry::done(0, 0, 10, RwOp::AcquireRead, true),
        Entry::done(1, 5, 15, RwOp::TryRead, true),
    ];
    assert!(lin::<RwSpec>(&h));
    // A writer that got in while a reader held the lock (never released): a violation.
    let h: Vec<E> = vec![
        Entry::done(0, 0, 10, RwOp::AcquireRead, true),
        Entry::done(1, 20, 30, RwOp::TryWrite, true),
    ];
    assert!(!lin::<RwSpec>(&h));
    // A failed try_read needs a writer at some instant.
    let h: Vec<E> = vec![Entry::done(0, 0, 10, RwOp::TryRead, false)];
    assert!(!lin::<RwSpec>(&h));
    let h: Vec<E> = vec![
        Entry::done(0, 0, 10, RwOp::TryWrite, true),
        Entry::done(1, 5, 20, RwOp::TryRead, false),
        Entry::done(0, 12, 14, RwOp::ReleaseWrite, true),
        Entry::done(1, 30, 40, RwOp::ReleaseRead, false),
    ];
    assert!(lin::<RwSpec>(&h));
}
