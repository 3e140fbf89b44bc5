//! Adapters that let twinsync's primitives play the benches' roles ([`Cycle`], [`Signal`])
//! in more than one bench target. Generic over each primitive's API trait, so one adapter
//! serves the thread and the process version.

use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering};

use twinsync::{ConditionApi, ConnectionApi, EventApi, QueueApi, SemaphoreApi};

use super::shm::Shm;
use super::{Cycle, PingPong, Signal, A_TURN, B_TURN};

/// A twinsync Semaphore or BoundedSemaphore. As a [`Cycle`]: acquire + release(1). As a
/// [`Signal`]: post = release(1), wait = acquire.
pub struct Sem<S>(pub S);

impl<S: SemaphoreApi + Sync> Cycle for Sem<S> {
    #[inline]
    fn cycle(&self) {
        self.0.acquire();
        self.0.release(1).expect("release of what was acquired");
    }
}

impl<S: SemaphoreApi + Sync> Signal for Sem<S> {
    #[inline]
    fn post(&self) {
        self.0.release(1).expect("release(1) below the maximum");
    }

    #[inline]
    fn wait(&self) {
        self.0.acquire();
    }
}

/// A twinsync Event. As a [`Cycle`]: set + clear. As a [`Signal`]: post = set, wait = wait
/// then clear. Only the waiter clears, so no set is lost in a ping-pong: the next set of
/// this event comes after the other party has seen this wait's answer.
pub struct Ev<E>(pub E);

impl<E: EventApi + Sync> Cycle for Ev<E> {
    #[inline]
    fn cycle(&self) {
        self.0.set();
        self.0.clear();
    }
}

impl<E: EventApi + Sync> Signal for Ev<E> {
    #[inline]
    fn post(&self) {
        self.0.set();
    }

    #[inline]
    fn wait(&self) {
        self.0.wait();
        self.0.clear();
    }
}

/// A twinsync Condition with a ping-pong turn word in shared memory, read and written only
/// under the condition's lock. As a [`Cycle`]: acquire + notify(1) with nobody waiting +
/// release. As a [`PingPong`]: the same turn protocol as the std, parking_lot and pthread
/// monitors (`notify(1)`, then `wait` while it is not one's turn).
pub struct Cond<C> {
    cond: C,
    turn: Shm<AtomicU32>,
}

impl<C> Cond<C> {
    /// Wraps `cond`; the turn starts with A.
    pub fn new(cond: C) -> Cond<C> {
        Cond {
            cond,
            // SAFETY: an all-zero atomic is valid and holds A_TURN.
            turn: unsafe { Shm::zeroed() },
        }
    }
}

impl<C: ConditionApi + Sync> Cond<C> {
    /// Waits (with the lock held) while `blocked(turn)`.
    #[inline]
    fn wait_while(&self, blocked: impl Fn(u32) -> bool) {
        while blocked(self.turn.load(Ordering::Relaxed)) {
            self.cond.wait().expect("wait with the lock held");
        }
    }

    /// Passes the turn and wakes the other party (with the lock held).
    #[inline]
    fn pass(&self, to: u32) {
        self.turn.store(to, Ordering::Relaxed);
        self.cond.notify(1).expect("notify with the lock held");
    }
}

impl<C: ConditionApi + Sync> Cycle for Cond<C> {
    #[inline]
    fn cycle(&self) {
        self.cond.acquire();
        self.cond.notify(1).expect("notify with the lock held");
        self.cond.release().expect("release of the held lock");
    }
}

impl<C: ConditionApi + Sync> PingPong for Cond<C> {
    #[inline]
    fn ping(&self) {
        self.cond.acquire();
        self.pass(B_TURN);
        self.wait_while(|t| t == B_TURN);
        self.cond.release().expect("release of the held lock");
    }

    #[inline]
    fn pong(&self) {
        self.cond.acquire();
        self.wait_while(|t| t != B_TURN);
        self.pass(A_TURN);
        self.cond.release().expect("release of the held lock");
    }
}

/// A twinsync Queue of `u64`: post = put, wait = get. Wrapped in [`Transfer`] it is a
/// [`Cycle`]; paired, a message ping-pong.
pub struct Q<T>(pub T);

impl<T: QueueApi<u64> + Sync> Signal for Q<T> {
    #[inline]
    fn post(&self) {
        if self.0.put(1).is_err() {
            panic!("put on an open queue");
        }
    }

    #[inline]
    fn wait(&self) {
        black_box(self.0.get().expect("get from an open queue"));
    }
}

/// The two ends of a duplex twinsync Pipe of `u64`. As a [`Cycle`]: A sends, B receives
/// (in the contended groups party 0 sends on A, party 1 receives on B). As a
/// [`PingPong`]: A sends and waits for B's answer; B receives and answers.
pub struct Duplex<C> {
    a: C,
    b: C,
}

impl<C> Duplex<C> {
    /// Takes the pair of ends a `Pipe::new(true)` made.
    pub fn new((a, b): (C, C)) -> Duplex<C> {
        Duplex { a, b }
    }
}

/// Sends on an open end.
#[inline]
fn send<C: ConnectionApi<u64>>(end: &C, msg: u64) {
    end.send(msg).expect("send on an open end");
}

/// Receives on an open end.
#[inline]
fn recv<C: ConnectionApi<u64>>(end: &C) -> u64 {
    end.recv().expect("recv on an open end")
}

impl<C: ConnectionApi<u64> + Sync> Cycle for Duplex<C> {
    #[inline]
    fn cycle(&self) {
        send(&self.a, 1);
        black_box(recv(&self.b));
    }

    #[inline]
    fn side(&self, me: usize) {
        if me == 0 {
            send(&self.a, 1);
        } else {
            black_box(recv(&self.b));
        }
    }
}

impl<C: ConnectionApi<u64> + Sync> PingPong for Duplex<C> {
    #[inline]
    fn ping(&self) {
        send(&self.a, 1);
        black_box(recv(&self.a));
    }

    #[inline]
    fn pong(&self) {
        let m = recv(&self.b);
        send(&self.b, m);
    }
}
