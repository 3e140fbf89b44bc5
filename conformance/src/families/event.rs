//! The Event family, and twinsync's Events as subjects.

use twinsync::{Error, EventApi};

use crate::family::{Family, Scenario};
use crate::spec::Clause;
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
use crate::subject::SharedTestable;
use crate::subject::Testable;

/// The Event family: [`spec::event`](crate::spec::event) and
/// [`scenarios::event`](crate::scenarios::event), for any [`EventApi`].
#[derive(Clone, Copy, Debug)]
pub struct EventFamily;

impl<E: EventApi + Send + Sync + 'static> Family<E> for EventFamily {
    const PRIMITIVE: &'static str = "Event";

    fn clauses() -> &'static [Clause] {
        crate::spec::event::CLAUSES
    }

    fn scenarios() -> Vec<Scenario<E>> {
        crate::scenarios::event::scenarios()
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn proptest(
        cfg: &crate::drivers::Config,
        subj: &crate::subject::Subject,
    ) -> Vec<crate::report::Record>
    where
        E: crate::subject::Testable,
    {
        crate::drivers::proptest::run_subject::<E, EventFamily>(cfg, subj)
    }
}

impl Testable for twinsync::thread::Event {
    type Family = EventFamily;
    const NAME: &'static str = "thread::Event";
    const VERSION: &'static str = "thread";
    fn make() -> Result<Self, Error> {
        Ok(twinsync::thread::Event::new())
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl Testable for twinsync::process::Event {
    type Family = EventFamily;
    const NAME: &'static str = "process::Event";
    const VERSION: &'static str = "process";
    fn make() -> Result<Self, Error> {
        twinsync::process::Event::new()
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl SharedTestable for twinsync::process::Event {
    fn create_named(name: &str) -> Result<Self, Error> {
        twinsync::process::Event::create(name)
    }
    fn open_named(name: &str) -> Result<Self, Error> {
        twinsync::process::Event::open(name)
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod event_sequential {
    use std::time::Duration;

    use proptest::prelude::*;
    use proptest::strategy::BoxedStrategy;
    use twinsync::EventApi;

    use super::EventFamily;
    use crate::drivers::proptest::timeouts;
    use crate::family::Sequential;
    use crate::spec::event::{apply, timeout_ok, EventModel, EventOp, EventResult};

    impl<E: EventApi + 'static> Sequential<E> for EventFamily {
        type Model = EventModel;
        type Op = EventOp;
        type Res = EventResult;

        fn initial() -> EventModel {
            EventModel::default()
        }

        fn ops() -> BoxedStrategy<EventOp> {
            prop_oneof![
                2 => Just(EventOp::IsSet),
                3 => Just(EventOp::Set),
                3 => Just(EventOp::Clear),
                2 => Just(EventOp::Wait),
                3 => timeouts().prop_map(EventOp::WaitTimeout),
            ]
            .boxed()
        }

        /// Enabled, and not a timed wait on a clear event with an enormous (yet valid) timeout.
        fn feasible(m: &EventModel, op: &EventOp) -> bool {
            let long = |d: Duration| timeout_ok(d) && d > Duration::from_millis(50);
            m.enabled(*op) && (m.set || !matches!(op, EventOp::WaitTimeout(d) if long(*d)))
        }

        fn clause(m: &EventModel, op: &EventOp) -> &'static str {
            m.clause(*op)
        }

        fn step(m: &mut EventModel, op: &EventOp) -> EventResult {
            m.step(*op)
        }

        fn apply(e: &E, op: &EventOp) -> (EventResult, Duration) {
            apply(e, *op)
        }

        /// A wait that timed out took at least its timeout (EVENT-05), and `is_set()` agrees
        /// with the model afterwards.
        fn observe(
            e: &E,
            _before: &EventModel,
            after: &EventModel,
            op: &EventOp,
            res: &EventResult,
            took: Duration,
        ) -> Result<(), String> {
            if let (EventOp::WaitTimeout(d), EventResult::Timed(Ok(false))) = (op, res) {
                if took < *d {
                    return Err(format!("wait_timeout timed out after only {took:?}"));
                }
            }
            let set = e.is_set();
            if set != after.set {
                return Err(format!(
                    "is_set() is {set} afterwards, the model says {}",
                    after.set
                ));
            }
            Ok(())
        }
    }
}
