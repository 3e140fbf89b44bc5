//! Queue: clause catalog, sequential model, and the adapter that runs a model operation on a
//! real [`QueueApi`].
//!
//! Semantics follow Python's `queue.Queue` with `multiprocessing.JoinableQueue`'s task
//! accounting (see `PYTHON-SEMANTICS.md` section 3.7), strict where Python is loose; each
//! [`Clause`] says where it deviates.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use twinsync::{Error, QueueApi, TIMEOUT_MAX};

use super::{Clause, Python};

/// The Queue clauses, in report order.
pub const CLAUSES: &[Clause] = &[
    Clause {
        id: "QUEUE-01",
        text: "a queue has a fixed capacity of at least 1: capacity 0 is Error::InvalidArgument, \
               capacity() reports it, and len() never exceeds it",
        python: Python::Deviates(
            "Python's maxsize <= 0 means unbounded (SEM_VALUE_MAX for multiprocessing); \
             twinsync queues are always bounded",
        ),
    },
    Clause {
        id: "QUEUE-02",
        text: "FIFO: get returns items in the order their puts took effect; with several \
               producers, each consumer receives each producer's items in that producer's order",
        python: Python::Same,
    },
    Clause {
        id: "QUEUE-03",
        text: "try_put on a full queue is Error::Full at once, hands the item back and changes \
               nothing",
        python: Python::Deviates("a typed error carrying the item instead of queue.Full"),
    },
    Clause {
        id: "QUEUE-04",
        text: "try_get on an empty (open) queue is Error::Empty at once and changes nothing",
        python: Python::Deviates("a typed error instead of queue.Empty"),
    },
    Clause {
        id: "QUEUE-05",
        text: "put_timeout on a full queue is Error::Full (item handed back) and get_timeout on \
               an empty one Error::Empty, not before the timeout has elapsed",
        python: Python::Deviates(
            "timeouts are Durations (no negative timeout, so no ValueError); the failed put \
             hands its item back",
        ),
    },
    Clause {
        id: "QUEUE-06",
        text: "progress, no lost wake-up: a blocked put completes once a get makes room, a \
               blocked get once a put provides an item, a blocked join once the last task_done \
               comes (the run terminates)",
        python: Python::Same,
    },
    Clause {
        id: "QUEUE-07",
        text: "no loss, no duplication: with any number of producers and consumers, every item \
               whose put succeeded is returned by exactly one get",
        python: Python::Same,
    },
    Clause {
        id: "QUEUE-08",
        text: "after close(), put, try_put and put_timeout fail with Error::Closed and hand the \
               item back; closing again is harmless and is_closed() is true",
        python: Python::Deviates(
            "like queue.Queue.shutdown(immediate=False) (ShutDown); multiprocessing's close() \
             makes put raise ValueError; here a typed error carrying the item",
        ),
    },
    Clause {
        id: "QUEUE-09",
        text: "after close(), gets (all forms) return the remaining items in order, then \
               Error::Closed",
        python: Python::Deviates(
            "as queue.Queue.shutdown(immediate=False); multiprocessing's get on a closed \
             queue raises ValueError at once, losing what is left",
        ),
    },
    Clause {
        id: "QUEUE-10",
        text: "close() wakes every blocked putter (Error::Closed, item handed back) and every \
               blocked getter (Error::Closed once drained)",
        python: Python::Same,
    },
    Clause {
        id: "QUEUE-11",
        text: "task_done() marks one gotten item done; with no gotten item left to mark it is \
               Error::TooManyReleases and changes nothing",
        python: Python::Deviates(
            "Python checks task_done against items put (a task_done for an item still queued \
             passes); twinsync against items gotten, a typed error instead of ValueError",
        ),
    },
    Clause {
        id: "QUEUE-12",
        text: "join() returns once every item put has been marked done (unfinished_tasks() = \
               puts - task_dones is 0); join_timeout returns false, not before its timeout, \
               while some remain",
        python: Python::Deviates(
            "join and task_done exist on every queue (in multiprocessing only on \
             JoinableQueue); join_timeout is new",
        ),
    },
    Clause {
        id: "QUEUE-13",
        text: "process version: a message whose encoding exceeds the maximum message size is \
               Error::MessageTooLarge{size, max}, hands the item back, and leaves the queued \
               items and their order unchanged",
        python: Python::Beyond("multiprocessing queues have no message size limit"),
    },
    Clause {
        id: "QUEUE-14",
        text: "a timeout above twinsync::TIMEOUT_MAX (put_timeout, get_timeout, join_timeout) is \
               Error::TimeoutTooLarge and changes nothing (a put hands its item back)",
        python: Python::Deviates("threading raises OverflowError; multiprocessing accepts any"),
    },
    Clause {
        id: "QUEUE-15",
        text: "len(), is_empty() and is_full() describe the content exactly when no operation \
               is in progress",
        python: Python::Deviates(
            "exact like queue.Queue's qsize/empty/full; multiprocessing's are approximate",
        ),
    },
    Clause {
        id: "QUEUE-16",
        text: "put -> get is a happens-before edge: writes made before a put are visible after \
               the get that returns its item",
        python: Python::Beyond("Python's GIL and pickling hide it; in Rust it is a duty"),
    },
    Clause {
        id: "QUEUE-17",
        text: "process version: put returns only once the item is in shared memory, so a get \
               in any process that starts after the put returned can have it (no feeder \
               thread); a message that cannot be decoded is Error::Codec and is consumed",
        python: Python::Deviates(
            "multiprocessing.Queue.put hands the item to a feeder thread, so right after it \
             get(timeout) may raise Empty, and an unpicklable item is only logged",
        ),
    },
    Clause {
        id: "QUEUE-18",
        text: "linearizable: every concurrent history of puts and gets (all forms, Full and \
               Empty answers included) is equivalent to some sequential run of a FIFO queue of \
               its capacity that respects the real-time order of the operations",
        python: Python::Same,
    },
];

/// One operation of the sequential model. Items are `u32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueOp {
    /// `put(v)`: blocks while full.
    Put(u32),
    /// `try_put(v)`.
    TryPut(u32),
    /// `put_timeout(v, d)`.
    PutTimeout(u32, Duration),
    /// `get()`: blocks while empty and open.
    Get,
    /// `try_get()`.
    TryGet,
    /// `get_timeout(d)`.
    GetTimeout(Duration),
    /// `len()`.
    Len,
    /// `is_empty()`.
    IsEmpty,
    /// `is_full()`.
    IsFull,
    /// `capacity()`.
    Capacity,
    /// `close()`.
    Close,
    /// `is_closed()`.
    IsClosed,
    /// `task_done()`.
    TaskDone,
    /// `join()`: blocks while tasks remain.
    Join,
    /// `join_timeout(d)`.
    JoinTimeout(Duration),
    /// `unfinished_tasks()`.
    Unfinished,
}

/// Errors a Queue operation may report, as the model sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueErr {
    /// [`Error::Full`].
    Full,
    /// [`Error::Empty`].
    Empty,
    /// [`Error::Closed`].
    Closed,
    /// [`Error::TooManyReleases`].
    TooManyReleases,
    /// [`Error::TimeoutTooLarge`].
    TimeoutTooLarge,
    /// [`Error::MessageTooLarge`].
    MessageTooLarge,
    /// [`Error::Codec`].
    Codec,
    /// Any other error (never expected from a Queue operation).
    Other,
}

impl From<&Error> for QueueErr {
    fn from(e: &Error) -> Self {
        match e {
            Error::Full => QueueErr::Full,
            Error::Empty => QueueErr::Empty,
            Error::Closed => QueueErr::Closed,
            Error::TooManyReleases { .. } => QueueErr::TooManyReleases,
            Error::TimeoutTooLarge { .. } => QueueErr::TimeoutTooLarge,
            Error::MessageTooLarge { .. } => QueueErr::MessageTooLarge,
            Error::Codec { .. } => QueueErr::Codec,
            _ => QueueErr::Other,
        }
    }
}

/// The observable result of one [`QueueOp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueResult {
    /// A put form's answer; a failure carries the item handed back.
    Put(Result<(), (QueueErr, u32)>),
    /// A get form's answer.
    Got(Result<u32, QueueErr>),
    /// `len()` or `capacity()`.
    Size(usize),
    /// `is_empty()`, `is_full()`, `is_closed()`.
    Flag(bool),
    /// `close()` returned.
    Closed,
    /// `task_done()`'s answer.
    Done(Result<(), QueueErr>),
    /// `join()` returned, or `join_timeout`'s answer.
    Joined(Result<bool, QueueErr>),
    /// `unfinished_tasks()`.
    Unfinished(u64),
}

/// The sequential model of a Queue: its items, closed flag and task counts.
///
/// ```
/// use twinsync_conformance::spec::queue::{QueueErr, QueueModel, QueueOp, QueueResult};
///
/// let mut m = QueueModel::new(1);
/// assert_eq!(m.step(QueueOp::Put(7)), QueueResult::Put(Ok(())));
/// assert!(!m.enabled(QueueOp::Put(8)));                       // full: would block
/// assert_eq!(m.step(QueueOp::TryPut(8)), QueueResult::Put(Err((QueueErr::Full, 8))));
/// assert_eq!(m.step(QueueOp::Get), QueueResult::Got(Ok(7)));
/// assert!(!m.enabled(QueueOp::Join));                         // 7 not marked done yet
/// assert_eq!(m.step(QueueOp::TaskDone), QueueResult::Done(Ok(())));
/// assert!(m.enabled(QueueOp::Join));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueModel {
    /// The fixed capacity (at least 1).
    pub capacity: usize,
    /// Queued items, oldest first.
    pub items: VecDeque<u32>,
    /// Whether `close()` was called.
    pub closed: bool,
    /// Puts minus `task_done`s.
    pub unfinished: u64,
    /// Gets minus `task_done`s.
    pub gotten: u64,
}

/// Whether `d` is an acceptable timeout (QUEUE-14).
pub fn timeout_ok(d: Duration) -> bool {
    d <= TIMEOUT_MAX
}

impl QueueModel {
    /// An empty, open queue of `capacity` (at least 1) items.
    pub fn new(capacity: usize) -> Self {
        QueueModel {
            capacity: capacity.max(1),
            items: VecDeque::new(),
            closed: false,
            unfinished: 0,
            gotten: 0,
        }
    }

    fn full(&self) -> bool {
        self.items.len() >= self.capacity
    }

    /// Whether `op` can complete from this state: `Put` not while full and open, `Get` not
    /// while empty and open, `Join` not while tasks remain. Every other operation can.
    pub fn enabled(&self, op: QueueOp) -> bool {
        match op {
            QueueOp::Put(_) => self.closed || !self.full(),
            QueueOp::Get => self.closed || !self.items.is_empty(),
            QueueOp::Join => self.unfinished == 0,
            _ => true,
        }
    }

    fn put(&mut self, v: u32, room_or: QueueErr) -> QueueResult {
        QueueResult::Put(if self.closed {
            Err((QueueErr::Closed, v))
        } else if self.full() {
            Err((room_or, v))
        } else {
            self.items.push_back(v);
            self.unfinished += 1;
            Ok(())
        })
    }

    fn get(&mut self, empty_or: QueueErr) -> QueueResult {
        QueueResult::Got(match self.items.pop_front() {
            Some(v) => {
                self.gotten += 1;
                Ok(v)
            }
            None if self.closed => Err(QueueErr::Closed),
            None => Err(empty_or),
        })
    }

    /// Applies an enabled `op`, returning its result.
    ///
    /// # Panics
    ///
    /// If `op` is not [enabled](Self::enabled) (a bug in the caller).
    pub fn step(&mut self, op: QueueOp) -> QueueResult {
        assert!(self.enabled(op), "{op:?} is not enabled in {self:?}");
        match op {
            QueueOp::Put(v) => self.put(v, QueueErr::Other),
            QueueOp::TryPut(v) => self.put(v, QueueErr::Full),
            QueueOp::PutTimeout(v, d) if !timeout_ok(d) => {
                QueueResult::Put(Err((QueueErr::TimeoutTooLarge, v)))
            }
            QueueOp::PutTimeout(v, _) => self.put(v, QueueErr::Full),
            QueueOp::Get => self.get(QueueErr::Other),
            QueueOp::TryGet => self.get(QueueErr::Empty),
            QueueOp::GetTimeout(d) if !timeout_ok(d) => {
                QueueResult::Got(Err(QueueErr::TimeoutTooLarge))
            }
            QueueOp::GetTimeout(_) => self.get(QueueErr::Empty),
            QueueOp::Len => QueueResult::Size(self.items.len()),
            QueueOp::IsEmpty => QueueResult::Flag(self.items.is_empty()),
            QueueOp::IsFull => QueueResult::Flag(self.full()),
            QueueOp::Capacity => QueueResult::Size(self.capacity),
            QueueOp::Close => {
                self.closed = true;
                QueueResult::Closed
            }
            QueueOp::IsClosed => QueueResult::Flag(self.closed),
            QueueOp::TaskDone if self.gotten == 0 => {
                QueueResult::Done(Err(QueueErr::TooManyReleases))
            }
            QueueOp::TaskDone => {
                self.gotten -= 1;
                self.unfinished -= 1;
                QueueResult::Done(Ok(()))
            }
            QueueOp::Join => QueueResult::Joined(Ok(true)),
            QueueOp::JoinTimeout(d) if !timeout_ok(d) => {
                QueueResult::Joined(Err(QueueErr::TimeoutTooLarge))
            }
            QueueOp::JoinTimeout(_) => QueueResult::Joined(Ok(self.unfinished == 0)),
            QueueOp::Unfinished => QueueResult::Unfinished(self.unfinished),
        }
    }

    /// The clause that `op`, applied in this state, exercises.
    pub fn clause(&self, op: QueueOp) -> &'static str {
        let too_large = match op {
            QueueOp::PutTimeout(_, d) | QueueOp::GetTimeout(d) | QueueOp::JoinTimeout(d) => {
                !timeout_ok(d)
            }
            _ => false,
        };
        let empty = self.items.is_empty();
        match op {
            _ if too_large => "QUEUE-14",
            QueueOp::Put(_) | QueueOp::TryPut(_) | QueueOp::PutTimeout(..) if self.closed => {
                "QUEUE-08"
            }
            QueueOp::TryPut(_) if self.full() => "QUEUE-03",
            QueueOp::PutTimeout(..) if self.full() => "QUEUE-05",
            QueueOp::Get | QueueOp::TryGet | QueueOp::GetTimeout(_) if self.closed => "QUEUE-09",
            QueueOp::TryGet if empty => "QUEUE-04",
            QueueOp::GetTimeout(_) if empty => "QUEUE-05",
            QueueOp::Put(_) | QueueOp::TryPut(_) | QueueOp::PutTimeout(..) => "QUEUE-02",
            QueueOp::Get | QueueOp::TryGet | QueueOp::GetTimeout(_) => "QUEUE-02",
            QueueOp::Len | QueueOp::IsEmpty | QueueOp::IsFull => "QUEUE-15",
            QueueOp::Capacity => "QUEUE-01",
            QueueOp::Close | QueueOp::IsClosed => "QUEUE-08",
            QueueOp::TaskDone => "QUEUE-11",
            QueueOp::Join | QueueOp::JoinTimeout(_) | QueueOp::Unfinished => "QUEUE-12",
        }
    }
}

/// Runs `op` on a real queue and returns its result and how long it took.
pub fn apply<Q: QueueApi<u32> + ?Sized>(q: &Q, op: QueueOp) -> (QueueResult, Duration) {
    let put = |r: Result<(), twinsync::PutError<u32>>| {
        QueueResult::Put(r.map_err(|e| (QueueErr::from(&e.error), e.item)))
    };
    let got = |r: Result<u32, Error>| QueueResult::Got(r.map_err(|e| QueueErr::from(&e)));
    let t0 = Instant::now();
    let r = match op {
        QueueOp::Put(v) => put(q.put(v)),
        QueueOp::TryPut(v) => put(q.try_put(v)),
        QueueOp::PutTimeout(v, d) => put(q.put_timeout(v, d)),
        QueueOp::Get => got(q.get()),
        QueueOp::TryGet => got(q.try_get()),
        QueueOp::GetTimeout(d) => got(q.get_timeout(d)),
        QueueOp::Len => QueueResult::Size(q.len()),
        QueueOp::IsEmpty => QueueResult::Flag(q.is_empty()),
        QueueOp::IsFull => QueueResult::Flag(q.is_full()),
        QueueOp::Capacity => QueueResult::Size(q.capacity()),
        QueueOp::Close => {
            q.close();
            QueueResult::Closed
        }
        QueueOp::IsClosed => QueueResult::Flag(q.is_closed()),
        QueueOp::TaskDone => QueueResult::Done(q.task_done().map_err(|e| QueueErr::from(&e))),
        QueueOp::Join => {
            q.join();
            QueueResult::Joined(Ok(true))
        }
        QueueOp::JoinTimeout(d) => {
            QueueResult::Joined(q.join_timeout(d).map_err(|e| QueueErr::from(&e)))
        }
        QueueOp::Unfinished => QueueResult::Unfinished(q.unfinished_tasks()),
    };
    (r, t0.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A fixed walk through every operation and clause of the model.
    fn script() -> Vec<QueueOp> {
        use QueueOp::*;
        vec![
            Capacity,
            IsEmpty,
            TryGet,
            GetTimeout(MS),
            TaskDone,
            JoinTimeout(Duration::ZERO),
            Join,
            Put(1),
            TryPut(2),
            PutTimeout(3, MS),
            Len,
            IsFull,
            TryPut(4),
            PutTimeout(5, MS),
            PutTimeout(6, Duration::MAX),
            GetTimeout(Duration::MAX),
            JoinTimeout(Duration::MAX),
            Get,
            TaskDone,
            TaskDone,
            Unfinished,
            JoinTimeout(MS),
            TryGet,
            Close,
            IsClosed,
            Put(7),
            TryPut(8),
            PutTimeout(9, MS),
            Close,
            GetTimeout(MS),
            Get,
            TryGet,
            GetTimeout(MS),
            TaskDone,
            TaskDone,
            Unfinished,
            Join,
        ]
    }

    #[test]
    fn model_follows_the_clauses() {
        let mut m = QueueModel::new(3);
        let results: Vec<QueueResult> = script().into_iter().map(|op| m.step(op)).collect();
        use QueueErr::*;
        use QueueResult as R;
        assert_eq!(results[2], R::Got(Err(Empty)));
        assert_eq!(results[4], R::Done(Err(TooManyReleases)));
        assert_eq!(results[12], R::Put(Err((Full, 4))));
        assert_eq!(results[14], R::Put(Err((TimeoutTooLarge, 6))));
        assert_eq!(results[17], R::Got(Ok(1)));
        assert_eq!(results[19], R::Done(Err(TooManyReleases)));
        assert_eq!(results[20], R::Unfinished(2));
        assert_eq!(results[25], R::Put(Err((Closed, 7))));
        assert_eq!(results[29], R::Got(Ok(3)));
        assert_eq!(results[30], R::Got(Err(Closed)));
        assert_eq!(results[32], R::Got(Err(Closed)));
        assert_eq!(results[36], R::Joined(Ok(true)));
    }

    #[test]
    fn every_clause_is_reachable_and_exists() {
        let mut m = QueueModel::new(3);
        let mut seen = std::collections::BTreeSet::new();
        for op in script() {
            let c = m.clause(op);
            assert!(CLAUSES.iter().any(|k| k.id == c), "{c} is not in CLAUSES");
            seen.insert(c);
            m.step(op);
        }
        for id in [
            "QUEUE-01", "QUEUE-02", "QUEUE-03", "QUEUE-04", "QUEUE-05", "QUEUE-08", "QUEUE-09",
            "QUEUE-11", "QUEUE-12", "QUEUE-14", "QUEUE-15",
        ] {
            assert!(seen.contains(id), "{id} never exercised by the script");
        }
    }

    #[test]
    fn blocking_operations_are_enabled_only_when_they_can_complete() {
        let mut m = QueueModel::new(1);
        assert!(!m.enabled(QueueOp::Get));
        m.step(QueueOp::Put(1));
        assert!(!m.enabled(QueueOp::Put(2)) && !m.enabled(QueueOp::Join));
        m.step(QueueOp::Close);
        assert!(m.enabled(QueueOp::Put(2)), "a closed queue refuses at once");
        m.step(QueueOp::Get);
        assert!(
            m.enabled(QueueOp::Get),
            "closed and drained: Closed at once"
        );
    }

    /// The model and both real versions agree on the whole script, in order.
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))] // real primitives: normal builds only
    fn agrees<Q: QueueApi<u32>>(q: &Q) {
        let mut m = QueueModel::new(3);
        for op in script() {
            let want = m.step(op);
            let (got, took) = apply(q, op);
            assert_eq!(got, want, "{op:?} ({})", m.clause(op));
            if let (QueueResult::Got(Err(QueueErr::Empty)), QueueOp::GetTimeout(d)) = (got, op) {
                assert!(took >= d, "get_timeout gave up early");
            }
        }
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))] // real primitives: normal builds only
    #[test]
    fn thread_queue_agrees_with_the_model() {
        agrees(&twinsync::thread::Queue::new(3).unwrap());
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))] // real primitives: normal builds only
    #[test]
    fn process_queue_agrees_with_the_model() {
        agrees(&twinsync::process::Queue::<u32>::new(3, 8).unwrap());
    }
}
