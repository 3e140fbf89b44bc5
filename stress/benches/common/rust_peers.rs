//! The Rust peers: std's and parking_lot's mutexes and condition variables, std's barrier
//! and its bounded channel (threads only: their state is process-private).

use std::hint::black_box;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Barrier, Condvar, Mutex, PoisonError};

use super::{Cycle, PingPong, Signal, A_TURN, B_TURN};

impl Cycle for Mutex<()> {
    #[inline]
    fn cycle(&self) {
        drop(black_box(
            self.lock().unwrap_or_else(PoisonError::into_inner),
        ));
    }
}

impl Cycle for parking_lot::Mutex<()> {
    #[inline]
    fn cycle(&self) {
        drop(black_box(self.lock()));
    }
}

/// `std::sync::Condvar` with its mutex, which guards the ping-pong's turn.
#[derive(Default)]
pub struct StdCond {
    turn: Mutex<u32>,
    cv: Condvar,
}

impl Cycle for StdCond {
    /// Lock, notify nobody, unlock: a notify's uncontended cost.
    #[inline]
    fn cycle(&self) {
        let g = self.turn.lock().unwrap_or_else(PoisonError::into_inner);
        self.cv.notify_one();
        drop(black_box(g));
    }
}

impl PingPong for StdCond {
    #[inline]
    fn ping(&self) {
        let mut t = self.turn.lock().unwrap_or_else(PoisonError::into_inner);
        *t = B_TURN;
        self.cv.notify_one();
        let t = self
            .cv
            .wait_while(t, |t| *t == B_TURN)
            .unwrap_or_else(PoisonError::into_inner);
        drop(t);
    }

    #[inline]
    fn pong(&self) {
        let t = self.turn.lock().unwrap_or_else(PoisonError::into_inner);
        let mut t = self
            .cv
            .wait_while(t, |t| *t != B_TURN)
            .unwrap_or_else(PoisonError::into_inner);
        *t = A_TURN;
        self.cv.notify_one();
    }
}

/// `parking_lot::Condvar` with its mutex, which guards the ping-pong's turn.
#[derive(Default)]
pub struct ParkingLotCond {
    turn: parking_lot::Mutex<u32>,
    cv: parking_lot::Condvar,
}

impl Cycle for ParkingLotCond {
    /// Lock, notify nobody, unlock: a notify's uncontended cost.
    #[inline]
    fn cycle(&self) {
        let g = self.turn.lock();
        self.cv.notify_one();
        drop(black_box(g));
    }
}

impl PingPong for ParkingLotCond {
    #[inline]
    fn ping(&self) {
        let mut t = self.turn.lock();
        *t = B_TURN;
        self.cv.notify_one();
        self.cv.wait_while(&mut t, |t| *t == B_TURN);
    }

    #[inline]
    fn pong(&self) {
        let mut t = self.turn.lock();
        self.cv.wait_while(&mut t, |t| *t != B_TURN);
        *t = A_TURN;
        self.cv.notify_one();
    }
}

impl Cycle for Barrier {
    /// One `wait`.
    #[inline]
    fn cycle(&self) {
        black_box(self.wait());
    }
}

/// A `std::sync::mpsc::sync_channel`: post sends a message (waiting while full), wait
/// receives one. The receiver is behind a mutex because it is not `Sync`; only one party
/// ever receives, so that mutex is never contended (a few ns beside a channel operation).
pub struct Channel {
    tx: SyncSender<u64>,
    rx: Mutex<Receiver<u64>>,
}

impl Channel {
    /// A channel holding up to `capacity` messages.
    pub fn new(capacity: usize) -> Channel {
        let (tx, rx) = sync_channel(capacity);
        Channel {
            tx,
            rx: Mutex::new(rx),
        }
    }
}

impl Signal for Channel {
    #[inline]
    fn post(&self) {
        self.tx
            .send(1)
            .expect("the receiver lives as long as the sender");
    }

    #[inline]
    fn wait(&self) {
        let rx = self.rx.lock().unwrap_or_else(PoisonError::into_inner);
        black_box(rx.recv().expect("the sender lives as long as the receiver"));
    }
}
