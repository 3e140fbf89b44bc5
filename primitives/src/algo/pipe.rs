//! The Pipe's end bookkeeping, on top of the Queue algorithm: each direction is a ring
//! ([`QueueState`](super::queue::QueueState) plus its slots, kept by the version), and this
//! state says which ring each end sends and receives on, and which ends are closed.
//!
//! # Ends and rings
//!
//! | pipe | end 0 | end 1 | rings |
//! |---|---|---|---|
//! | duplex | sends on ring 0, receives on ring 1 | sends on ring 1, receives on ring 0 | 2 |
//! | one-way | the reader: receives on ring 0 | the writer: sends on ring 0 | 1 |
//!
//! # Closing
//!
//! Closing an end sets its flag, then closes **every** ring: the peer drains what this end
//! sent and then reads end-of-stream, and the peer's sends fail; both wake if blocked.
//!
//! # Invariants
//!
//! 1. An end's flag, once set, stays set; it is set before the rings are closed, so a thread
//!    that finds a ring closed and then reads the flag (after a fence) sees it if its own end
//!    was the one that closed.
//! 2. A receive that finds its ring closed and drained reports end-of-stream ([`Error::Eof`])
//!    when its own end is open, and [`Error::Closed`] when it is closed.

use crate::sync::atomic::{fence, AtomicU32, Ordering::*};
use crate::Error;

/// Shared state of a Pipe's two ends (its rings live beside it).
///
/// # Layout
///
/// `#[repr(C)]`, 12 bytes, align 4: two closed flags (0 open, 1 closed), then `duplex` (1 or
/// 0, never changed after creation). End numbers are taken modulo 2, so a bad end number can
/// never index out of range.
#[repr(C)]
#[derive(Debug)]
pub struct PipeState {
    /// Closed flag of each end (invariant 1).
    closed: [AtomicU32; 2],
    duplex: u32,
}

impl PipeState {
    /// Both ends open.
    pub fn new(duplex: bool) -> Self {
        PipeState {
            closed: [AtomicU32::new(0), AtomicU32::new(0)],
            duplex: u32::from(duplex),
        }
    }

    /// Whether both ends send and receive.
    #[inline]
    pub fn is_duplex(&self) -> bool {
        self.duplex != 0
    }

    /// How many rings the pipe has: 2 when duplex, else 1.
    #[inline]
    pub fn rings(&self) -> usize {
        if self.is_duplex() {
            2
        } else {
            1
        }
    }

    /// Whether `end` may receive.
    #[inline]
    pub fn readable(&self, end: usize) -> bool {
        self.is_duplex() || end & 1 == 0
    }

    /// Whether `end` may send.
    #[inline]
    pub fn writable(&self, end: usize) -> bool {
        self.is_duplex() || end & 1 == 1
    }

    /// Whether `end` was closed.
    #[inline]
    pub fn is_closed(&self, end: usize) -> bool {
        self.closed[end & 1].load(Acquire) != 0
    }

    fn open(&self, end: usize) -> Result<(), Error> {
        if self.is_closed(end) {
            return Err(Error::Closed);
        }
        Ok(())
    }

    /// The ring `end` sends on.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] when `end` is closed; [`Error::WrongDirection`] `{ op: "send" }` for
    /// the reader of a one-way pipe.
    pub fn send_ring(&self, end: usize) -> Result<usize, Error> {
        self.open(end)?;
        match (self.is_duplex(), end & 1) {
            (true, e) => Ok(e),
            (false, 1) => Ok(0),
            (false, _) => Err(Error::WrongDirection { op: "send" }),
        }
    }

    /// The ring `end` receives on, for operation `op` (named in the error).
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] when `end` is closed; [`Error::WrongDirection`] `{ op }` for the
    /// writer of a one-way pipe.
    pub fn recv_ring(&self, end: usize, op: &'static str) -> Result<usize, Error> {
        self.open(end)?;
        match (self.is_duplex(), end & 1) {
            (true, e) => Ok(1 - e),
            (false, 0) => Ok(0),
            (false, _) => Err(Error::WrongDirection { op }),
        }
    }

    /// Marks `end` closed; returns whether this call did (the caller then closes every ring,
    /// invariant 1).
    pub fn close(&self, end: usize) -> bool {
        self.closed[end & 1].swap(1, SeqCst) == 0
    }

    /// What a receive at `end` that got `e` from its ring reports (invariant 2).
    pub fn recv_error(&self, end: usize, e: Error) -> Error {
        match e {
            Error::Closed => {
                // Orders this flag read after the ring's closed mark we saw (invariant 1).
                fence(SeqCst);
                if self.is_closed(end) {
                    Error::Closed
                } else {
                    Error::Eof
                }
            }
            other => other,
        }
    }

    /// The answer of a poll at `end` whose ring reported `ready`: a poll that returns because
    /// its own end was closed meanwhile reports [`Error::Closed`].
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] as said.
    pub fn poll_result(&self, end: usize, ready: bool) -> Result<bool, Error> {
        fence(SeqCst);
        self.open(end)?;
        Ok(ready)
    }
}
