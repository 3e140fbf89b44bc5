//! The Pipe family, and twinsync's Pipes (both ends of a duplex pipe of byte-vector
//! messages, [`PIPE_CAPACITY`] per direction) as subjects.

use twinsync::Error;

use crate::family::{Family, Scenario};
use crate::scenarios::pipe::{PipeSubject, PIPE_CAPACITY};
use crate::spec::pipe::Msg;
use crate::spec::Clause;
use crate::subject::Testable;

/// The Pipe family: [`spec::pipe`](crate::spec::pipe) and
/// [`scenarios::pipe`](crate::scenarios::pipe), for any [`PipeSubject`].
#[derive(Clone, Copy, Debug)]
pub struct PipeFamily;

/// The largest encoded message of the process Pipe subject (PIPE-11 sends one byte more).
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub const PIPE_MAX_MESSAGE: usize = 64;

/// Both ends of one duplex pipe: a Pipe subject.
///
/// ```
/// use twinsync::ConnectionApi;
/// use twinsync_conformance::families::Pipes;
/// use twinsync_conformance::scenarios::pipe::PipeSubject;
/// use twinsync_conformance::subject::Testable;
///
/// let p = Pipes::<twinsync::thread::Connection<Vec<u8>>>::make().unwrap();
/// p.end(0).send(vec![]).unwrap();
/// assert_eq!(p.end(1).recv().unwrap(), Vec::<u8>::new());
/// ```
#[derive(Debug)]
pub struct Pipes<E> {
    ends: [E; 2],
}

impl<E> Pipes<E> {
    /// The pair `[end 0, end 1]`.
    pub fn new(ends: [E; 2]) -> Self {
        Pipes { ends }
    }

    /// End `i` (0 or 1).
    pub fn end_ref(&self, i: usize) -> &E {
        &self.ends[i & 1]
    }
}

impl<P: PipeSubject + Send + Sync + 'static> Family<P> for PipeFamily {
    const PRIMITIVE: &'static str = "Pipe";

    fn clauses() -> &'static [Clause] {
        crate::spec::pipe::CLAUSES
    }

    fn scenarios() -> Vec<Scenario<P>> {
        crate::scenarios::pipe::scenarios()
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn proptest(
        cfg: &crate::drivers::Config,
        subj: &crate::subject::Subject,
    ) -> Vec<crate::report::Record>
    where
        P: crate::subject::Testable,
    {
        crate::drivers::proptest::run_subject::<P, PipeFamily>(cfg, subj)
    }
}

type ThreadEnd = twinsync::thread::Connection<Msg>;

impl PipeSubject for Pipes<ThreadEnd> {
    type End = ThreadEnd;
    fn end(&self, i: usize) -> &ThreadEnd {
        &self.ends[i & 1]
    }
    fn one_way() -> Result<[ThreadEnd; 2], Error> {
        let (r, w) = twinsync::thread::Pipe::with_capacity(false, PIPE_CAPACITY)?;
        Ok([r, w])
    }
}

impl Testable for Pipes<ThreadEnd> {
    type Family = PipeFamily;
    const NAME: &'static str = "thread::Pipe";
    const VERSION: &'static str = "thread";
    fn make() -> Result<Self, Error> {
        let (a, b) = twinsync::thread::Pipe::with_capacity(true, PIPE_CAPACITY)?;
        Ok(Pipes::new([a, b]))
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
type ProcessEnd = twinsync::process::Connection<Msg>;

/// A named process pipe: end 0 from `create`, end 1 from `open` (the name is removed at
/// once; the ends keep the mapping).
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
fn named_pair(duplex: bool) -> Result<[ProcessEnd; 2], Error> {
    let name = twinsync::process::unique_name("conf-pipe")?;
    let a = twinsync::process::Pipe::create(&name, duplex, PIPE_CAPACITY, PIPE_MAX_MESSAGE);
    let b = match &a {
        Ok(_) => twinsync::process::Pipe::open(&name),
        Err(_) => Err(Error::Closed),
    };
    let _ = twinsync::process::unlink(&name);
    Ok([a?, b?])
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl PipeSubject for Pipes<ProcessEnd> {
    type End = ProcessEnd;
    const MAX_MESSAGE: Option<usize> = Some(PIPE_MAX_MESSAGE);
    fn end(&self, i: usize) -> &ProcessEnd {
        &self.ends[i & 1]
    }
    fn one_way() -> Result<[ProcessEnd; 2], Error> {
        named_pair(false)
    }
}

/// The process version runs under the in-process drivers only: `Pipe::open` returns end 1,
/// so a worker process has no way to attach to end 0.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl Testable for Pipes<ProcessEnd> {
    type Family = PipeFamily;
    const NAME: &'static str = "process::Pipe";
    const VERSION: &'static str = "process";
    fn make() -> Result<Self, Error> {
        Ok(Pipes::new(named_pair(true)?))
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod pipe_sequential {
    use std::time::Duration;

    use proptest::prelude::*;
    use proptest::strategy::BoxedStrategy;

    use super::PipeFamily;
    use crate::drivers::proptest::timeouts;
    use crate::family::Sequential;
    use crate::scenarios::pipe::{PipeSubject, PIPE_CAPACITY};
    use crate::spec::pipe::{apply, timeout_ok, PipeErr, PipeModel, PipeOp, PipeResult};
    use twinsync::ConnectionApi;

    impl<P: PipeSubject + 'static> Sequential<P> for PipeFamily {
        type Model = PipeModel;
        type Op = PipeOp;
        type Res = PipeResult;

        fn initial() -> PipeModel {
            PipeModel::new(true, PIPE_CAPACITY)
        }

        fn ops() -> BoxedStrategy<PipeOp> {
            let end = || 0..2usize;
            let msg = || prop::collection::vec(any::<u8>(), 0..4);
            prop_oneof![
                4 => (end(), msg()).prop_map(|(e, m)| PipeOp::Send(e, m)),
                2 => (end(), msg(), timeouts()).prop_map(|(e, m, d)| PipeOp::SendTimeout(e, m, d)),
                4 => end().prop_map(PipeOp::Recv),
                3 => end().prop_map(PipeOp::TryRecv),
                2 => (end(), timeouts()).prop_map(|(e, d)| PipeOp::RecvTimeout(e, d)),
                2 => (end(), timeouts()).prop_map(|(e, d)| PipeOp::Poll(e, d)),
                1 => end().prop_map(PipeOp::IsClosed),
                1 => end().prop_map(PipeOp::Direction),
                1 => (end(), 0..10u8).prop_filter_map("rare close", |(e, k)| (k == 0).then_some(PipeOp::Close(e))),
            ]
            .boxed()
        }

        /// Enabled, and not a timed wait that would wait long.
        fn feasible(m: &PipeModel, op: &PipeOp) -> bool {
            let long = |d: Duration| timeout_ok(d) && d > Duration::from_millis(50);
            if !m.enabled(op) {
                return false;
            }
            let mut probe = m.clone();
            let r = probe.step(op.clone());
            !match (op, r) {
                (PipeOp::SendTimeout(_, _, d), PipeResult::Sent(Err(PipeErr::Full)))
                | (PipeOp::RecvTimeout(_, d), PipeResult::Received(Err(PipeErr::Empty)))
                | (PipeOp::Poll(_, d), PipeResult::Polled(Ok(false))) => long(*d),
                _ => false,
            }
        }

        fn clause(m: &PipeModel, op: &PipeOp) -> &'static str {
            m.clause(op)
        }

        fn step(m: &mut PipeModel, op: &PipeOp) -> PipeResult {
            m.step(op.clone())
        }

        fn apply(s: &P, op: &PipeOp) -> (PipeResult, Duration) {
            apply([s.end(0), s.end(1)], op.clone())
        }

        /// A timed wait that gave up took at least its timeout (PIPE-05, PIPE-10), and
        /// `is_closed()` of both ends agrees with the model.
        fn observe(
            s: &P,
            _before: &PipeModel,
            after: &PipeModel,
            op: &PipeOp,
            res: &PipeResult,
            took: Duration,
        ) -> Result<(), String> {
            let waited = match (op, res) {
                (PipeOp::SendTimeout(_, _, d), PipeResult::Sent(Err(PipeErr::Full)))
                | (PipeOp::RecvTimeout(_, d), PipeResult::Received(Err(PipeErr::Empty)))
                | (PipeOp::Poll(_, d), PipeResult::Polled(Ok(false))) => Some(*d),
                _ => None,
            };
            if let Some(d) = waited {
                if took < d {
                    return Err(format!("gave up after only {took:?} of {d:?}"));
                }
            }
            let closed = [s.end(0).is_closed(), s.end(1).is_closed()];
            if closed != after.closed {
                return Err(format!(
                    "is_closed() of the ends is {closed:?}, the model says {:?}",
                    after.closed
                ));
            }
            Ok(())
        }
    }
}
