//! Pipe: clause catalog, sequential model of the two ends, and the adapter that runs a model
//! operation on a pair of real [`ConnectionApi`] ends.
//!
//! Semantics follow Python's `multiprocessing.Pipe` / `Connection` (see
//! `PYTHON-SEMANTICS.md` section 3.8) for both versions, strict where Python's threads
//! version (`multiprocessing.dummy`) is loose; each [`Clause`] says where it deviates.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use twinsync::{ConnectionApi, Error, TIMEOUT_MAX};

use super::{Clause, Python};

/// The Pipe clauses, in report order.
pub const CLAUSES: &[Clause] = &[
    Clause {
        id: "PIPE-01",
        text: "message boundaries are kept: each receive returns exactly one sent message, byte \
               for byte; an empty message is a message",
        python: Python::Same,
    },
    Clause {
        id: "PIPE-02",
        text: "FIFO per direction: messages arrive in the order they were sent; the two \
               directions of a duplex pipe are independent",
        python: Python::Same,
    },
    Clause {
        id: "PIPE-03",
        text: "a duplex pipe's two ends both send and receive",
        python: Python::Same,
    },
    Clause {
        id: "PIPE-04",
        text: "a one-way pipe is (reader, writer): send on the reader, and recv or poll on the \
               writer, are Error::WrongDirection{op} and change nothing",
        python: Python::Deviates(
            "a typed error instead of OSError; enforced by the threads version too (Python's \
             multiprocessing.dummy ignores duplex)",
        ),
    },
    Clause {
        id: "PIPE-05",
        text: "poll(timeout) is true when a message is ready or the stream is at its end, never \
               consumes a message, does not wait when the timeout is zero, and returns false \
               not before its timeout",
        python: Python::Deviates("timeouts are Durations: no None (wait forever), no negative"),
    },
    Clause {
        id: "PIPE-06",
        text: "after the peer closed (or dropped) its end, the messages it sent are still \
               received in order, then every receive is Error::Eof",
        python: Python::Deviates(
            "as multiprocessing (EOFError); Python's threads version has no end of stream",
        ),
    },
    Clause {
        id: "PIPE-07",
        text: "a send after the peer closed its end is Error::Closed and sends nothing",
        python: Python::Deviates("a typed error instead of BrokenPipeError / OSError"),
    },
    Clause {
        id: "PIPE-08",
        text: "every operation on a closed end is Error::Closed; closing again is harmless and \
               is_closed() is true",
        python: Python::Deviates("a typed error instead of OSError \"handle is closed\""),
    },
    Clause {
        id: "PIPE-09",
        text: "the peer's close wakes a receive blocked on an empty direction (Error::Eof) and a \
               send blocked on a full one (Error::Closed)",
        python: Python::Same,
    },
    Clause {
        id: "PIPE-10",
        text: "each direction holds at most its capacity of messages: send waits while it is \
               full, send_timeout then is Error::Full not before its timeout; try_recv and \
               recv_timeout on an empty direction are Error::Empty (recv_timeout not before \
               its timeout)",
        python: Python::Beyond(
            "Python's capacity is the OS socket buffer and it has no send or recv timeout",
        ),
    },
    Clause {
        id: "PIPE-11",
        text: "process version: a message whose encoding exceeds the maximum message size is \
               Error::MessageTooLarge{size, max} at the sender and sends nothing",
        python: Python::Deviates(
            "Python has no sender-side limit; recv_bytes(maxlength) fails at the receiver and \
             leaves the connection unusable",
        ),
    },
    Clause {
        id: "PIPE-12",
        text: "a timeout above twinsync::TIMEOUT_MAX (send_timeout, recv_timeout, poll) is \
               Error::TimeoutTooLarge and changes nothing",
        python: Python::Deviates("Python's poll accepts any timeout"),
    },
    Clause {
        id: "PIPE-13",
        text: "progress, no loss, no duplication: with a sender and a receiver on each \
               direction running at once, every message sent is received exactly once, in \
               order, and the run terminates",
        python: Python::Same,
    },
    Clause {
        id: "PIPE-14",
        text: "send -> recv is a happens-before edge: writes made before a send are visible \
               after the receive that returns the message",
        python: Python::Beyond("Python's GIL and pickling hide it; in Rust it is a duty"),
    },
    Clause {
        id: "PIPE-15",
        text: "process version: Pipe::create(name, ..) returns end 0 (the reader of a one-way \
               pipe) and Pipe::open(name) end 1; an end is one shared object, so closing it in \
               any process closes it for all",
        python: Python::Deviates(
            "Python's Connection objects are per-process handles (closing a copy after fork \
             leaves the other process's end open) and Pipe has no names",
        ),
    },
    Clause {
        id: "PIPE-16",
        text: "process version: a message that cannot be decoded is Error::Codec at the \
               receiver and is consumed; the next message is intact",
        python: Python::Beyond("Python's unpickling error leaves the stream position unspecified"),
    },
];

/// A message of the model.
pub type Msg = Vec<u8>;

/// One operation of the sequential model; `end` is 0 or 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PipeOp {
    /// `send(msg)` on `end`: blocks while the direction is full.
    Send(usize, Msg),
    /// `send_timeout(msg, d)` on `end`.
    SendTimeout(usize, Msg, Duration),
    /// `recv()` on `end`: blocks while the direction is empty and open.
    Recv(usize),
    /// `try_recv()` on `end`.
    TryRecv(usize),
    /// `recv_timeout(d)` on `end`.
    RecvTimeout(usize, Duration),
    /// `poll(d)` on `end`.
    Poll(usize, Duration),
    /// `close()` on `end`.
    Close(usize),
    /// `is_closed()` of `end`.
    IsClosed(usize),
    /// `readable()` and `writable()` of `end`.
    Direction(usize),
}

/// Errors a Pipe operation may report, as the model sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipeErr {
    /// [`Error::Closed`].
    Closed,
    /// [`Error::Eof`].
    Eof,
    /// [`Error::WrongDirection`] with its operation.
    WrongDirection(&'static str),
    /// [`Error::Full`].
    Full,
    /// [`Error::Empty`].
    Empty,
    /// [`Error::TimeoutTooLarge`].
    TimeoutTooLarge,
    /// [`Error::MessageTooLarge`].
    MessageTooLarge,
    /// [`Error::Codec`].
    Codec,
    /// Any other error (never expected from a Pipe operation).
    Other,
}

impl From<&Error> for PipeErr {
    fn from(e: &Error) -> Self {
        match e {
            Error::Closed => PipeErr::Closed,
            Error::Eof => PipeErr::Eof,
            Error::WrongDirection { op } => PipeErr::WrongDirection(op),
            Error::Full => PipeErr::Full,
            Error::Empty => PipeErr::Empty,
            Error::TimeoutTooLarge { .. } => PipeErr::TimeoutTooLarge,
            Error::MessageTooLarge { .. } => PipeErr::MessageTooLarge,
            Error::Codec { .. } => PipeErr::Codec,
            _ => PipeErr::Other,
        }
    }
}

/// The observable result of one [`PipeOp`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PipeResult {
    /// A send form's answer.
    Sent(Result<(), PipeErr>),
    /// A receive form's answer.
    Received(Result<Msg, PipeErr>),
    /// `poll`'s answer.
    Polled(Result<bool, PipeErr>),
    /// `close()` returned.
    Closed,
    /// `is_closed()`.
    Flag(bool),
    /// `(readable(), writable())`.
    Direction(bool, bool),
}

/// The sequential model of a Pipe: a bounded FIFO per direction and a closed flag per end.
///
/// ```
/// use twinsync_conformance::spec::pipe::{PipeErr, PipeModel, PipeOp, PipeResult};
///
/// let mut m = PipeModel::new(false, 2);                     // (reader 0, writer 1)
/// assert_eq!(m.step(PipeOp::Send(1, vec![])), PipeResult::Sent(Ok(())));
/// assert_eq!(
///     m.step(PipeOp::Send(0, vec![1])),
///     PipeResult::Sent(Err(PipeErr::WrongDirection("send")))
/// );
/// m.step(PipeOp::Close(1));
/// assert_eq!(m.step(PipeOp::Recv(0)), PipeResult::Received(Ok(vec![])));
/// assert_eq!(m.step(PipeOp::Recv(0)), PipeResult::Received(Err(PipeErr::Eof)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipeModel {
    /// Whether both ends send and receive.
    pub duplex: bool,
    /// Messages a direction holds (at least 1).
    pub capacity: usize,
    /// The rings: duplex, ring `e` carries messages sent by end `e`; one-way, ring 0 carries
    /// the writer's (end 1) messages to the reader (end 0).
    pub rings: [VecDeque<Msg>; 2],
    /// Whether each end was closed.
    pub closed: [bool; 2],
}

/// Whether `d` is an acceptable timeout (PIPE-12).
pub fn timeout_ok(d: Duration) -> bool {
    d <= TIMEOUT_MAX
}

impl PipeModel {
    /// Both ends open, nothing sent.
    pub fn new(duplex: bool, capacity: usize) -> Self {
        PipeModel {
            duplex,
            capacity: capacity.max(1),
            rings: [VecDeque::new(), VecDeque::new()],
            closed: [false, false],
        }
    }

    /// Either end closed closes both directions.
    fn ended(&self) -> bool {
        self.closed[0] || self.closed[1]
    }

    fn send_ring(&self, end: usize) -> Result<usize, PipeErr> {
        match (self.closed[end & 1], self.duplex, end & 1) {
            (true, ..) => Err(PipeErr::Closed),
            (false, true, e) => Ok(e),
            (false, false, 1) => Ok(0),
            _ => Err(PipeErr::WrongDirection("send")),
        }
    }

    fn recv_ring(&self, end: usize, op: &'static str) -> Result<usize, PipeErr> {
        match (self.closed[end & 1], self.duplex, end & 1) {
            (true, ..) => Err(PipeErr::Closed),
            (false, true, e) => Ok(1 - e),
            (false, false, 0) => Ok(0),
            _ => Err(PipeErr::WrongDirection(op)),
        }
    }

    /// Whether `op` can complete from this state: a `Send` not while its direction is full
    /// and open, a `Recv` not while its direction is empty and open. Every other operation
    /// can.
    pub fn enabled(&self, op: &PipeOp) -> bool {
        match *op {
            PipeOp::Send(end, _) => match self.send_ring(end) {
                Ok(r) => self.ended() || self.rings[r].len() < self.capacity,
                Err(_) => true,
            },
            PipeOp::Recv(end) => match self.recv_ring(end, "recv") {
                Ok(r) => self.ended() || !self.rings[r].is_empty(),
                Err(_) => true,
            },
            _ => true,
        }
    }

    fn send(&mut self, end: usize, msg: &Msg) -> Result<(), PipeErr> {
        let r = self.send_ring(end)?;
        if self.ended() {
            return Err(PipeErr::Closed);
        }
        if self.rings[r].len() >= self.capacity {
            return Err(PipeErr::Full);
        }
        self.rings[r].push_back(msg.clone());
        Ok(())
    }

    fn recv(&mut self, end: usize) -> Result<Msg, PipeErr> {
        let r = self.recv_ring(end, "recv")?;
        match self.rings[r].pop_front() {
            Some(m) => Ok(m),
            None if self.ended() => Err(PipeErr::Eof),
            None => Err(PipeErr::Empty),
        }
    }

    /// Applies an enabled `op`, returning its result.
    ///
    /// # Panics
    ///
    /// If `op` is not [enabled](Self::enabled) (a bug in the caller).
    pub fn step(&mut self, op: PipeOp) -> PipeResult {
        assert!(self.enabled(&op), "{op:?} is not enabled in {self:?}");
        match op {
            PipeOp::Send(end, m) => PipeResult::Sent(self.send(end, &m)),
            PipeOp::SendTimeout(_, _, d) if !timeout_ok(d) => {
                PipeResult::Sent(Err(PipeErr::TimeoutTooLarge))
            }
            PipeOp::SendTimeout(end, m, _) => PipeResult::Sent(self.send(end, &m)),
            PipeOp::Recv(end) | PipeOp::TryRecv(end) => PipeResult::Received(self.recv(end)),
            PipeOp::RecvTimeout(_, d) if !timeout_ok(d) => {
                PipeResult::Received(Err(PipeErr::TimeoutTooLarge))
            }
            PipeOp::RecvTimeout(end, _) => PipeResult::Received(self.recv(end)),
            PipeOp::Poll(_, d) if !timeout_ok(d) => {
                PipeResult::Polled(Err(PipeErr::TimeoutTooLarge))
            }
            PipeOp::Poll(end, _) => PipeResult::Polled(
                self.recv_ring(end, "poll")
                    .map(|r| !self.rings[r].is_empty() || self.ended()),
            ),
            PipeOp::Close(end) => {
                self.closed[end & 1] = true;
                PipeResult::Closed
            }
            PipeOp::IsClosed(end) => PipeResult::Flag(self.closed[end & 1]),
            PipeOp::Direction(end) => {
                PipeResult::Direction(self.duplex || end & 1 == 0, self.duplex || end & 1 == 1)
            }
        }
    }

    /// The clause that `op`, applied in this state, exercises.
    pub fn clause(&self, op: &PipeOp) -> &'static str {
        let too_large = match *op {
            PipeOp::SendTimeout(_, _, d) | PipeOp::RecvTimeout(_, d) | PipeOp::Poll(_, d) => {
                !timeout_ok(d)
            }
            _ => false,
        };
        let (send, recv) = match *op {
            PipeOp::Send(e, _) | PipeOp::SendTimeout(e, ..) => (Some(self.send_ring(e)), None),
            PipeOp::Recv(e) | PipeOp::TryRecv(e) | PipeOp::RecvTimeout(e, _) => {
                (None, Some(self.recv_ring(e, "recv")))
            }
            PipeOp::Poll(e, _) => (None, Some(self.recv_ring(e, "poll"))),
            _ => (None, None),
        };
        match (op, send, recv) {
            _ if too_large => "PIPE-12",
            (_, Some(Err(PipeErr::Closed)), _) | (_, _, Some(Err(PipeErr::Closed))) => "PIPE-08",
            (_, Some(Err(_)), _) | (_, _, Some(Err(_))) => "PIPE-04",
            (_, Some(Ok(_)), _) if self.ended() => "PIPE-07",
            (PipeOp::SendTimeout(..), Some(Ok(r)), _) if self.rings[r].len() >= self.capacity => {
                "PIPE-10"
            }
            (PipeOp::Poll(..), ..) => "PIPE-05",
            (_, _, Some(Ok(r))) if self.rings[r].is_empty() && self.ended() => "PIPE-06",
            (PipeOp::TryRecv(_) | PipeOp::RecvTimeout(..), _, Some(Ok(r)))
                if self.rings[r].is_empty() =>
            {
                "PIPE-10"
            }
            (_, Some(Ok(_)), _) if self.duplex => "PIPE-03",
            (_, Some(Ok(_)), _) => "PIPE-02",
            (_, _, Some(Ok(_))) => "PIPE-01",
            (PipeOp::Close(_) | PipeOp::IsClosed(_), ..) => "PIPE-08",
            _ => {
                if self.duplex {
                    "PIPE-03"
                } else {
                    "PIPE-04"
                }
            }
        }
    }
}

/// Runs `op` on a pair of real ends (`ends[0]` is end 0) and returns its result and how long
/// it took.
pub fn apply<C: ConnectionApi<Msg> + ?Sized>(ends: [&C; 2], op: PipeOp) -> (PipeResult, Duration) {
    let err = |e: Error| PipeErr::from(&e);
    let t0 = Instant::now();
    let r = match op {
        PipeOp::Send(e, m) => PipeResult::Sent(ends[e & 1].send(m).map_err(err)),
        PipeOp::SendTimeout(e, m, d) => {
            PipeResult::Sent(ends[e & 1].send_timeout(m, d).map_err(err))
        }
        PipeOp::Recv(e) => PipeResult::Received(ends[e & 1].recv().map_err(err)),
        PipeOp::TryRecv(e) => PipeResult::Received(ends[e & 1].try_recv().map_err(err)),
        PipeOp::RecvTimeout(e, d) => PipeResult::Received(ends[e & 1].recv_timeout(d).map_err(err)),
        PipeOp::Poll(e, d) => PipeResult::Polled(ends[e & 1].poll(d).map_err(err)),
        PipeOp::Close(e) => {
            ends[e & 1].close();
            PipeResult::Closed
        }
        PipeOp::IsClosed(e) => PipeResult::Flag(ends[e & 1].is_closed()),
        PipeOp::Direction(e) => {
            PipeResult::Direction(ends[e & 1].readable(), ends[e & 1].writable())
        }
    };
    (r, t0.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn duplex_script() -> Vec<PipeOp> {
        use PipeOp::*;
        vec![
            Direction(0),
            Poll(1, Duration::ZERO),
            Poll(1, MS),
            TryRecv(1),
            RecvTimeout(0, MS),
            Send(0, b"a".to_vec()),
            Send(0, vec![]),
            SendTimeout(0, b"x".to_vec(), MS),
            Send(1, b"back".to_vec()),
            Poll(1, Duration::ZERO),
            Poll(1, Duration::ZERO),
            Recv(1),
            Recv(1),
            Recv(0),
            SendTimeout(0, vec![], Duration::MAX),
            RecvTimeout(1, Duration::MAX),
            Poll(1, Duration::MAX),
            Send(0, b"last".to_vec()),
            Send(1, b"lost".to_vec()),
            Close(0),
            Close(0),
            IsClosed(0),
            IsClosed(1),
            Send(0, vec![]),
            Recv(0),
            Poll(0, Duration::ZERO),
            Poll(1, Duration::ZERO),
            Recv(1),
            Poll(1, Duration::ZERO),
            Recv(1),
            TryRecv(1),
            Send(1, vec![]),
            Close(1),
            Recv(1),
        ]
    }

    fn one_way_script() -> Vec<PipeOp> {
        use PipeOp::*;
        vec![
            Direction(0),
            Direction(1),
            Send(0, vec![1]),
            Recv(1),
            Poll(1, Duration::ZERO),
            TryRecv(1),
            Send(1, vec![]),
            Send(1, vec![2]),
            Poll(0, MS),
            Recv(0),
            Close(1),
            Recv(0),
            Recv(0),
            Send(0, vec![3]),
        ]
    }

    fn run(duplex: bool, script: Vec<PipeOp>) -> (Vec<PipeResult>, Vec<&'static str>) {
        let mut m = PipeModel::new(duplex, 3);
        script
            .into_iter()
            .map(|op| {
                let c = m.clause(&op);
                (m.step(op), c)
            })
            .unzip()
    }

    #[test]
    fn model_follows_the_clauses() {
        use PipeErr::*;
        use PipeResult as R;
        let (r, _) = run(true, duplex_script());
        assert_eq!(r[1], R::Polled(Ok(false)));
        assert_eq!(r[3], R::Received(Err(Empty)));
        assert_eq!(r[9], R::Polled(Ok(true)));
        assert_eq!(r[11], R::Received(Ok(b"a".to_vec())));
        assert_eq!(r[12], R::Received(Ok(vec![])));
        assert_eq!(r[13], R::Received(Ok(b"back".to_vec())));
        assert_eq!(r[14], R::Sent(Err(TimeoutTooLarge)));
        assert_eq!(r[23], R::Sent(Err(Closed)));
        assert_eq!(r[25], R::Polled(Err(Closed)));
        assert_eq!(r[26], R::Polled(Ok(true)));
        assert_eq!(r[27], R::Received(Ok(b"x".to_vec())));
        assert_eq!(r[29], R::Received(Ok(b"last".to_vec())));
        assert_eq!(r[30], R::Received(Err(Eof)));
        assert_eq!(r[31], R::Sent(Err(Closed)));
        assert_eq!(r[33], R::Received(Err(Closed)));
        let (r, _) = run(false, one_way_script());
        assert_eq!(r[0], R::Direction(true, false));
        assert_eq!(r[2], R::Sent(Err(WrongDirection("send"))));
        assert_eq!(r[3], R::Received(Err(WrongDirection("recv"))));
        assert_eq!(r[4], R::Polled(Err(WrongDirection("poll"))));
        assert_eq!(r[9], R::Received(Ok(vec![])));
        assert_eq!(r[12], R::Received(Err(Eof)));
    }

    #[test]
    fn every_clause_is_reachable_and_exists() {
        let mut seen = std::collections::BTreeSet::new();
        for (duplex, script) in [(true, duplex_script()), (false, one_way_script())] {
            for c in run(duplex, script).1 {
                assert!(CLAUSES.iter().any(|k| k.id == c), "{c} is not in CLAUSES");
                seen.insert(c);
            }
        }
        for id in [
            "PIPE-01", "PIPE-02", "PIPE-03", "PIPE-04", "PIPE-05", "PIPE-06", "PIPE-07", "PIPE-08",
            "PIPE-10", "PIPE-12",
        ] {
            assert!(seen.contains(id), "{id} never exercised by the scripts");
        }
    }

    #[test]
    fn blocking_operations_are_enabled_only_when_they_can_complete() {
        let mut m = PipeModel::new(true, 1);
        assert!(!m.enabled(&PipeOp::Recv(1)));
        m.step(PipeOp::Send(0, vec![]));
        assert!(!m.enabled(&PipeOp::Send(0, vec![])));
        assert!(
            m.enabled(&PipeOp::Send(1, vec![])),
            "the other direction is free"
        );
        m.step(PipeOp::Close(1));
        assert!(
            m.enabled(&PipeOp::Send(0, vec![])),
            "a closed peer refuses at once"
        );
        assert!(
            m.enabled(&PipeOp::Recv(0)),
            "own end closed: Closed at once"
        );
    }

    /// The model and a real pair agree on a script, in order; timeouts are measured.
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))] // real primitives: normal builds only
    fn agrees<C: ConnectionApi<Msg>>(duplex: bool, ends: (C, C), script: Vec<PipeOp>) {
        let mut m = PipeModel::new(duplex, 3);
        for op in script {
            let want = m.step(op.clone());
            let (got, took) = apply([&ends.0, &ends.1], op.clone());
            assert_eq!(got, want, "{op:?}");
            let waited = match (&got, &op) {
                (PipeResult::Received(Err(PipeErr::Empty)), PipeOp::RecvTimeout(_, d)) => Some(*d),
                (PipeResult::Polled(Ok(false)), PipeOp::Poll(_, d)) => Some(*d),
                _ => None,
            };
            assert!(waited.is_none_or(|d| took >= d), "{op:?} gave up early");
        }
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))] // real primitives: normal builds only
    #[test]
    fn thread_pipe_agrees_with_the_model() {
        let p = |d| twinsync::thread::Pipe::<Msg>::with_capacity(d, 3).unwrap();
        agrees(true, p(true), duplex_script());
        agrees(false, p(false), one_way_script());
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))] // real primitives: normal builds only
    #[test]
    fn process_pipe_agrees_with_the_model() {
        let p = |d| {
            twinsync::process::Pipe::<Msg, twinsync::process::Raw>::with_capacity(d, 3, 16).unwrap()
        };
        agrees(true, p(true), duplex_script());
        agrees(false, p(false), one_way_script());
    }
}
