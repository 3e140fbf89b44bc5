//! The Queue family, and twinsync's Queues (of `u64` items, capacity
//! [`CAPACITY`](crate::scenarios::queue::CAPACITY)) as subjects.

use twinsync::Error;

use crate::family::{Family, Scenario};
use crate::scenarios::queue::{QueueSubject, CAPACITY};
use crate::scenarios::{Checks, RawOp, PENDING};
use crate::spec::Clause;
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
use crate::subject::SharedTestable;
use crate::subject::Testable;

/// The Queue family: [`spec::queue`](crate::spec::queue) and
/// [`scenarios::queue`](crate::scenarios::queue), for any [`QueueSubject`].
#[derive(Clone, Copy, Debug)]
pub struct QueueFamily;

/// The largest encoded item the process Queue subject accepts: every item the scenarios put
/// encodes (postcard varint) in at most 9 bytes, `u64::MAX` in 10 (QUEUE-13).
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub const MAX_MESSAGE: usize = 9;

impl<Q: QueueSubject + Send + Sync + 'static> Family<Q> for QueueFamily {
    const PRIMITIVE: &'static str = "Queue";

    fn clauses() -> &'static [Clause] {
        crate::spec::queue::CLAUSES
    }

    fn scenarios() -> Vec<Scenario<Q>> {
        crate::scenarios::queue::scenarios()
    }

    fn check_history(_scenario: &str, history: &[RawOp], c: &mut Checks) {
        use crate::linearizability::models::{QueueOp, QueueRes, QueueSpec};
        use crate::scenarios::queue::op;
        let mut h = Vec::with_capacity(history.len());
        for r in history {
            let done = r.ret != PENDING;
            let (o, res) = match r.op {
                op::PUT => (QueueOp::Put(r.arg), QueueRes::Put),
                op::TRY_PUT if r.res == 1 => (QueueOp::TryPut(r.arg), QueueRes::Put),
                op::TRY_PUT => (QueueOp::TryPut(r.arg), QueueRes::Full),
                op::GET => (QueueOp::Get, QueueRes::Got(r.res)),
                op::TRY_GET if r.arg == 1 => (QueueOp::TryGet, QueueRes::Got(r.res)),
                op::TRY_GET => (QueueOp::TryGet, QueueRes::Empty),
                other => {
                    c.check("HARNESS", false, || {
                        format!("unknown Queue op code {other}")
                    });
                    return;
                }
            };
            h.push(crate::linearizability::Entry {
                client: r.client,
                call: r.call,
                ret: done.then_some(r.ret),
                op: o,
                res: done.then_some(res),
            });
        }
        crate::linearizability::verdict::<QueueSpec<CAPACITY>>(&h, "QUEUE-18", c);
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn proptest(
        cfg: &crate::drivers::Config,
        subj: &crate::subject::Subject,
    ) -> Vec<crate::report::Record>
    where
        Q: crate::subject::Testable,
    {
        crate::drivers::proptest::run_subject::<Q, QueueFamily>(cfg, subj)
    }
}

impl QueueSubject for twinsync::thread::Queue<u64> {}

impl Testable for twinsync::thread::Queue<u64> {
    type Family = QueueFamily;
    const NAME: &'static str = "thread::Queue";
    const VERSION: &'static str = "thread";
    fn make() -> Result<Self, Error> {
        twinsync::thread::Queue::new(CAPACITY)
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl QueueSubject for twinsync::process::Queue<u64> {
    const MAX_MESSAGE: Option<usize> = Some(MAX_MESSAGE);
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl Testable for twinsync::process::Queue<u64> {
    type Family = QueueFamily;
    const NAME: &'static str = "process::Queue";
    const VERSION: &'static str = "process";
    fn make() -> Result<Self, Error> {
        twinsync::process::Queue::new(CAPACITY, MAX_MESSAGE)
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl SharedTestable for twinsync::process::Queue<u64> {
    fn create_named(name: &str) -> Result<Self, Error> {
        twinsync::process::Queue::create(name, CAPACITY, MAX_MESSAGE)
    }
    fn open_named(name: &str) -> Result<Self, Error> {
        twinsync::process::Queue::open(name)
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod queue_sequential {
    use std::time::Duration;

    use proptest::prelude::*;
    use proptest::strategy::BoxedStrategy;
    use twinsync::{Error, PutError, QueueApi};

    use super::QueueFamily;
    use crate::drivers::proptest::timeouts;
    use crate::family::Sequential;
    use crate::scenarios::queue::{QueueSubject, CAPACITY};
    use crate::spec::queue::{apply, timeout_ok, QueueModel, QueueOp, QueueResult};

    /// The model's `u32` items on a `u64` subject: puts widen, gets narrow (an item that
    /// does not fit, which the model never puts, shows as `u32::MAX`).
    struct Widen<'a, Q: ?Sized>(&'a Q);

    fn narrow(v: u64) -> u32 {
        u32::try_from(v).unwrap_or(u32::MAX)
    }

    fn back(e: PutError<u64>) -> PutError<u32> {
        PutError {
            error: e.error,
            item: narrow(e.item),
        }
    }

    impl<Q: QueueApi<u64> + ?Sized> QueueApi<u32> for Widen<'_, Q> {
        fn put(&self, item: u32) -> Result<(), PutError<u32>> {
            self.0.put(item.into()).map_err(back)
        }
        fn try_put(&self, item: u32) -> Result<(), PutError<u32>> {
            self.0.try_put(item.into()).map_err(back)
        }
        fn put_timeout(&self, item: u32, timeout: Duration) -> Result<(), PutError<u32>> {
            self.0.put_timeout(item.into(), timeout).map_err(back)
        }
        fn get(&self) -> Result<u32, Error> {
            self.0.get().map(narrow)
        }
        fn try_get(&self) -> Result<u32, Error> {
            self.0.try_get().map(narrow)
        }
        fn get_timeout(&self, timeout: Duration) -> Result<u32, Error> {
            self.0.get_timeout(timeout).map(narrow)
        }
        fn len(&self) -> usize {
            self.0.len()
        }
        fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        fn is_full(&self) -> bool {
            self.0.is_full()
        }
        fn capacity(&self) -> usize {
            self.0.capacity()
        }
        fn close(&self) {
            self.0.close();
        }
        fn is_closed(&self) -> bool {
            self.0.is_closed()
        }
        fn task_done(&self) -> Result<(), Error> {
            self.0.task_done()
        }
        fn join(&self) {
            self.0.join();
        }
        fn join_timeout(&self, timeout: Duration) -> Result<bool, Error> {
            self.0.join_timeout(timeout)
        }
        fn unfinished_tasks(&self) -> u64 {
            self.0.unfinished_tasks()
        }
    }

    impl<Q: QueueSubject + 'static> Sequential<Q> for QueueFamily {
        type Model = QueueModel;
        type Op = QueueOp;
        type Res = QueueResult;

        fn initial() -> QueueModel {
            QueueModel::new(CAPACITY)
        }

        fn ops() -> BoxedStrategy<QueueOp> {
            let v = || 0..1000u32;
            prop_oneof![
                4 => v().prop_map(QueueOp::Put),
                3 => v().prop_map(QueueOp::TryPut),
                2 => (v(), timeouts()).prop_map(|(v, d)| QueueOp::PutTimeout(v, d)),
                4 => Just(QueueOp::Get),
                3 => Just(QueueOp::TryGet),
                2 => timeouts().prop_map(QueueOp::GetTimeout),
                1 => Just(QueueOp::Len),
                1 => Just(QueueOp::IsEmpty),
                1 => Just(QueueOp::IsFull),
                1 => Just(QueueOp::Capacity),
                1 => Just(QueueOp::Close),
                1 => Just(QueueOp::IsClosed),
                3 => Just(QueueOp::TaskDone),
                1 => Just(QueueOp::Join),
                1 => timeouts().prop_map(QueueOp::JoinTimeout),
                1 => Just(QueueOp::Unfinished),
            ]
            .boxed()
        }

        /// Enabled, and not a timed wait that would wait long (valid yet enormous timeout).
        fn feasible(m: &QueueModel, op: &QueueOp) -> bool {
            let long = |d: Duration| timeout_ok(d) && d > Duration::from_millis(50);
            let full = m.items.len() >= m.capacity;
            m.enabled(*op)
                && !match *op {
                    QueueOp::PutTimeout(_, d) => !m.closed && full && long(d),
                    QueueOp::GetTimeout(d) => !m.closed && m.items.is_empty() && long(d),
                    QueueOp::JoinTimeout(d) => m.unfinished > 0 && long(d),
                    _ => false,
                }
        }

        fn clause(m: &QueueModel, op: &QueueOp) -> &'static str {
            m.clause(*op)
        }

        fn step(m: &mut QueueModel, op: &QueueOp) -> QueueResult {
            m.step(*op)
        }

        fn apply(s: &Q, op: &QueueOp) -> (QueueResult, Duration) {
            apply(&Widen(s), *op)
        }

        /// A timed wait that gave up took at least its timeout (QUEUE-05, QUEUE-12), and
        /// `len()` agrees with the model afterwards (QUEUE-15).
        fn observe(
            s: &Q,
            _before: &QueueModel,
            after: &QueueModel,
            op: &QueueOp,
            res: &QueueResult,
            took: Duration,
        ) -> Result<(), String> {
            use crate::spec::queue::QueueErr;
            let waited = match (op, res) {
                (QueueOp::PutTimeout(_, d), QueueResult::Put(Err((QueueErr::Full, _))))
                | (QueueOp::GetTimeout(d), QueueResult::Got(Err(QueueErr::Empty)))
                | (QueueOp::JoinTimeout(d), QueueResult::Joined(Ok(false))) => Some(*d),
                _ => None,
            };
            if let Some(d) = waited {
                if took < d {
                    return Err(format!("gave up after only {took:?} of {d:?}"));
                }
            }
            let len = s.len();
            if len != after.items.len() {
                return Err(format!(
                    "len() is {len} afterwards, the model holds {}",
                    after.items.len()
                ));
            }
            Ok(())
        }
    }
}
