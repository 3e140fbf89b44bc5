//! Sequential models for the linearizability checker: Lock, Semaphore, bounded Queue, RwLock.
//!
//! Blocking operations are refused where they would block; timed and non-blocking ones
//! report failure there, so a history in which a `try_acquire` failed is explained only by
//! an instant at which the lock was held.

use std::collections::VecDeque;

use super::Model;

/// Lock operations. Every result is a `bool`: acquired / released without error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockOp {
    /// Blocking acquire (always `true` when it returns).
    Acquire,
    /// Non-blocking acquire.
    TryAcquire,
    /// Timed acquire: `false` only if the lock was held at its linearization point.
    AcquireTimeout,
    /// Release: `true` if the lock was held (any holder may release), `false` (NotHeld) if
    /// it was free.
    Release,
}

/// The Lock model: held or free.
#[derive(Clone, Copy, Debug)]
pub struct LockSpec;

impl Model for LockSpec {
    type State = bool;
    type Op = LockOp;
    type Res = bool;

    fn init() -> bool {
        false
    }

    fn step(held: &bool, op: &LockOp) -> Option<(bool, bool)> {
        match (op, *held) {
            (LockOp::Acquire, true) => None,
            (LockOp::Acquire | LockOp::TryAcquire | LockOp::AcquireTimeout, false) => {
                Some((true, true))
            }
            (LockOp::TryAcquire | LockOp::AcquireTimeout, true) => Some((false, true)),
            (LockOp::Release, h) => Some((h, false)),
        }
    }
}

/// Semaphore operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SemOp {
    /// Blocking acquire (`true`).
    Acquire,
    /// Non-blocking or timed acquire: `false` only if the value was 0.
    TryAcquire,
    /// `release(n)`: `true`, or `false` (TooManyReleases, nothing changed) if the value would
    /// pass the maximum.
    Release(u32),
}

/// A Semaphore model with initial value `INIT` and maximum `MAX` (a BoundedSemaphore when
/// `MAX == INIT`).
#[derive(Clone, Copy, Debug)]
pub struct SemSpec<const INIT: u32, const MAX: u32>;

impl<const INIT: u32, const MAX: u32> Model for SemSpec<INIT, MAX> {
    type State = u32;
    type Op = SemOp;
    type Res = bool;

    fn init() -> u32 {
        INIT
    }

    fn step(v: &u32, op: &SemOp) -> Option<(bool, u32)> {
        match *op {
            SemOp::Acquire if *v == 0 => None,
            SemOp::Acquire | SemOp::TryAcquire if *v > 0 => Some((true, v - 1)),
            SemOp::Acquire | SemOp::TryAcquire => Some((false, 0)),
            SemOp::Release(n) => match v.checked_add(n).filter(|x| *x <= MAX) {
                Some(x) => Some((true, x)),
                None => Some((false, *v)),
            },
        }
    }
}

/// Queue operations, on unique values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueOp {
    /// Blocking put.
    Put(u64),
    /// Non-blocking or timed put (`Full` possible).
    TryPut(u64),
    /// Blocking get.
    Get,
    /// Non-blocking or timed get (`Empty` possible).
    TryGet,
}

/// Queue results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueRes {
    /// The put succeeded.
    Put,
    /// The queue was full.
    Full,
    /// The get returned this value.
    Got(u64),
    /// The queue was empty.
    Empty,
}

/// A FIFO queue of capacity `CAP`.
#[derive(Clone, Copy, Debug)]
pub struct QueueSpec<const CAP: usize>;

impl<const CAP: usize> Model for QueueSpec<CAP> {
    type State = VecDeque<u64>;
    type Op = QueueOp;
    type Res = QueueRes;

    fn init() -> VecDeque<u64> {
        VecDeque::new()
    }

    fn step(q: &VecDeque<u64>, op: &QueueOp) -> Option<(QueueRes, VecDeque<u64>)> {
        let full = q.len() >= CAP;
        match *op {
            QueueOp::Put(_) if full => None,
            QueueOp::TryPut(_) if full => Some((QueueRes::Full, q.clone())),
            QueueOp::Put(v) | QueueOp::TryPut(v) => {
                let mut q2 = q.clone();
                q2.push_back(v);
                Some((QueueRes::Put, q2))
            }
            QueueOp::Get if q.is_empty() => None,
            QueueOp::TryGet if q.is_empty() => Some((QueueRes::Empty, q.clone())),
            QueueOp::Get | QueueOp::TryGet => {
                let mut q2 = q.clone();
                let v = q2.pop_front()?;
                Some((QueueRes::Got(v), q2))
            }
        }
    }
}

/// RwLock operations. Every result is a `bool`: acquired / released without error.
///
/// The model has no notion of a *waiting* writer, so it is meant for histories whose writers
/// only use `try_acquire_write` (a writer that never waits never holds readers back): then a
/// reader's try or timed form fails only while a writer holds the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RwOp {
    /// Blocking read acquire (`true` when it returns).
    AcquireRead,
    /// Non-blocking or timed read acquire: `false` only while a writer holds the lock.
    TryRead,
    /// `release_read`: `true` if some read hold existed, `false` (NotHeld) otherwise.
    ReleaseRead,
    /// Non-blocking write acquire: `false` while anybody holds the lock.
    TryWrite,
    /// `release_write`: `true` if write-locked, `false` (NotHeld) otherwise.
    ReleaseWrite,
}

/// The RwLock model: (read holds, write-locked).
#[derive(Clone, Copy, Debug)]
pub struct RwSpec;

impl Model for RwSpec {
    type State = (u32, bool);
    type Op = RwOp;
    type Res = bool;

    fn init() -> (u32, bool) {
        (0, false)
    }

    fn step(&(readers, writer): &(u32, bool), op: &RwOp) -> Option<(bool, (u32, bool))> {
        match op {
            RwOp::AcquireRead if writer => None,
            RwOp::TryRead if writer => Some((false, (readers, writer))),
            RwOp::AcquireRead | RwOp::TryRead => Some((true, (readers + 1, false))),
            RwOp::ReleaseRead if readers > 0 => Some((true, (readers - 1, writer))),
            RwOp::ReleaseRead => Some((false, (readers, writer))),
            RwOp::TryWrite if readers == 0 && !writer => Some((true, (0, true))),
            RwOp::TryWrite => Some((false, (readers, writer))),
            RwOp::ReleaseWrite => Some((writer, (readers, false))),
        }
    }
}
