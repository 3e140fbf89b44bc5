//! The Semaphore and BoundedSemaphore families (one family generic over the kind), and
//! twinsync's semaphores as subjects.
//!
//! Every subject is made with [`INIT`] tokens, a BoundedSemaphore with maximum [`INIT`]; the
//! sequential model and the linearizability model start from the same state.

use std::marker::PhantomData;

use twinsync::algo::semaphore::VALUE_MAX;
use twinsync::{Error, SemaphoreApi};

use crate::family::{Family, Scenario};
pub use crate::scenarios::semaphore::{Bounded, Plain, SemKind, INIT};
use crate::scenarios::{Checks, RawOp, PENDING};
use crate::spec::Clause;
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
use crate::subject::SharedTestable;
use crate::subject::Testable;

/// The family of kind `K`: [`spec::semaphore`](crate::spec::semaphore) and
/// [`scenarios::semaphore`](crate::scenarios::semaphore), for any [`SemaphoreApi`].
#[derive(Clone, Copy, Debug)]
pub struct SemFamily<K>(PhantomData<K>);

/// The Semaphore family (`SEM-` clauses).
pub type SemaphoreFamily = SemFamily<Plain>;
/// The BoundedSemaphore family (`BSEM-` clauses, and the `SEM-` ones through BSEM-05).
pub type BoundedSemaphoreFamily = SemFamily<Bounded>;

impl<S: SemaphoreApi + Send + Sync + 'static, K: SemKind> Family<S> for SemFamily<K> {
    const PRIMITIVE: &'static str = K::PRIMITIVE;

    fn clauses() -> &'static [Clause] {
        if K::BOUNDED {
            crate::spec::semaphore::BOUNDED_CLAUSES
        } else {
            crate::spec::semaphore::CLAUSES
        }
    }

    fn scenarios() -> Vec<Scenario<S>> {
        crate::scenarios::semaphore::scenarios::<S, K>()
    }

    fn check_history(_scenario: &str, history: &[RawOp], c: &mut Checks) {
        use crate::linearizability::models::{SemOp, SemSpec};
        use crate::scenarios::semaphore::op;
        if history.is_empty() {
            // A scenario that records nothing (the checkers call this after every one).
            return;
        }
        let mut h = Vec::with_capacity(history.len());
        for r in history {
            let o = match r.op {
                op::ACQUIRE => SemOp::Acquire,
                op::TRY_ACQUIRE | op::ACQUIRE_TIMEOUT => SemOp::TryAcquire,
                op::RELEASE => match u32::try_from(r.arg) {
                    Ok(n) => SemOp::Release(n),
                    Err(_) => {
                        c.check("HARNESS", false, || format!("release count {}", r.arg));
                        return;
                    }
                },
                other => {
                    c.check("HARNESS", false, || {
                        format!("unknown Semaphore op code {other}")
                    });
                    return;
                }
            };
            h.push(crate::linearizability::Entry {
                client: r.client,
                call: r.call,
                ret: (r.ret != PENDING).then_some(r.ret),
                op: o,
                res: (r.ret != PENDING).then_some(r.res == 1),
            });
        }
        let mut v = Checks::default();
        if K::BOUNDED {
            crate::linearizability::verdict::<SemSpec<INIT, INIT>>(&h, "SEM-17", &mut v);
        } else {
            crate::linearizability::verdict::<SemSpec<INIT, VALUE_MAX>>(&h, "SEM-17", &mut v);
        }
        for (clause, status) in v.items {
            if K::BOUNDED {
                c.push("BSEM-05", status.clone());
            }
            c.push(clause, status);
        }
    }

    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    fn proptest(
        cfg: &crate::drivers::Config,
        subj: &crate::subject::Subject,
    ) -> Vec<crate::report::Record>
    where
        S: crate::subject::Testable,
    {
        let mut out = crate::drivers::proptest::run_subject::<S, SemFamily<K>>(cfg, subj);
        if K::BOUNDED {
            // BSEM-05: the SEM- clauses' outcomes stand for it.
            let sem = out.iter().filter(|r| r.clause.starts_with("SEM-"));
            let mirror = match sem.clone().find(|r| r.failed()) {
                Some(r) => Some(crate::report::Record {
                    clause: "BSEM-05".into(),
                    ..r.clone()
                }),
                None => sem.clone().next().map(|r| crate::report::Record {
                    clause: "BSEM-05".into(),
                    ..r.clone()
                }),
            };
            out.extend(mirror);
        }
        let t0 = std::time::Instant::now();
        let mut c = Checks::default();
        constructors::check::<S>(&mut c);
        if !c.items.is_empty() {
            out.extend(crate::drivers::records(
                &c,
                subj,
                "proptest",
                "constructors",
                t0.elapsed(),
                None,
            ));
        }
        out
    }
}

/// The constructor and segment-kind clauses (SEM-01/02, BSEM-01/02/06), which
/// [`SemaphoreApi`] cannot reach: checked on twinsync's own four types, recognised by type.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod constructors {
    use std::any::TypeId;

    use twinsync::algo::semaphore::VALUE_MAX;
    use twinsync::{process, thread, Error, SegmentError, SemaphoreApi};

    use crate::scenarios::Checks;

    /// Adds the checks for `S` if it is one of twinsync's semaphores (nothing otherwise).
    pub(super) fn check<S: 'static>(c: &mut Checks) {
        let t = TypeId::of::<S>();
        if t == TypeId::of::<thread::Semaphore>() {
            plain(thread::Semaphore::new, c);
        } else if t == TypeId::of::<process::Semaphore>() {
            plain(process::Semaphore::new, c);
        } else if t == TypeId::of::<thread::BoundedSemaphore>() {
            bounded(thread::BoundedSemaphore::new, c);
            c.not_checkable(
                "BSEM-06",
                "a thread::BoundedSemaphore lives in no shared-memory segment",
            );
        } else if t == TypeId::of::<process::BoundedSemaphore>() {
            bounded(process::BoundedSemaphore::new, c);
            kinds(c);
        }
    }

    const VALUES: [u32; 4] = [0, 1, 5, VALUE_MAX];
    const TOO_LARGE: [u32; 2] = [VALUE_MAX + 1, u32::MAX];

    fn plain<X: SemaphoreApi>(new: fn(u32) -> Result<X, Error>, c: &mut Checks) {
        for v in VALUES {
            let r = new(v).map(|x| (x.value(), x.max_value()));
            c.check(
                "SEM-01",
                matches!(r, Ok((a, m)) if a == v && m == VALUE_MAX),
                || format!("new({v}): (value, max_value) = {r:?}"),
            );
        }
        for v in TOO_LARGE {
            let r = new(v).map(|x| x.value());
            c.check(
                "SEM-02",
                matches!(r, Err(Error::InvalidArgument { .. })),
                || format!("new({v}): {r:?}"),
            );
        }
    }

    fn bounded<X: SemaphoreApi>(new: fn(u32) -> Result<X, Error>, c: &mut Checks) {
        for v in VALUES {
            let r = new(v).map(|x| (x.value(), x.max_value()));
            c.check(
                "BSEM-01",
                matches!(r, Ok((a, m)) if a == v && m == v),
                || format!("BoundedSemaphore::new({v}): (value, max_value) = {r:?}"),
            );
        }
        for v in TOO_LARGE {
            let r = new(v).map(|x| x.value());
            c.check(
                "BSEM-02",
                matches!(r, Err(Error::InvalidArgument { .. })),
                || format!("BoundedSemaphore::new({v}): {r:?}"),
            );
        }
    }

    fn wrong_kind<T>(r: &Result<T, Error>) -> bool {
        matches!(
            r,
            Err(Error::Segment {
                error: SegmentError::WrongKind { .. },
                ..
            })
        )
    }

    /// BSEM-06: each process type refuses the other's segment; each opens its own.
    fn kinds(c: &mut Checks) {
        let names = (
            process::unique_name("conf-bsem"),
            process::unique_name("conf-sem"),
        );
        let (Ok(bn), Ok(pn)) = names else {
            c.check("HARNESS", false, || "cannot make segment names".into());
            return;
        };
        let made = (
            process::BoundedSemaphore::create(&bn, 3),
            process::Semaphore::create(&pn, 3),
        );
        match made {
            (Ok(_b), Ok(_p)) => {
                let r = process::Semaphore::open(&bn);
                c.check("BSEM-06", wrong_kind(&r), || {
                    format!("Semaphore::open of a BoundedSemaphore segment: {r:?}")
                });
                let r = process::BoundedSemaphore::open(&pn);
                c.check("BSEM-06", wrong_kind(&r), || {
                    format!("BoundedSemaphore::open of a Semaphore segment: {r:?}")
                });
                let r = process::BoundedSemaphore::open(&bn).map(|b| b.max_value());
                c.check("BSEM-06", matches!(r, Ok(3)), || {
                    format!("BoundedSemaphore::open of its own kind: max_value {r:?}")
                });
            }
            (b, p) => c.check("HARNESS", false, || {
                format!("cannot create the segments: {:?} / {:?}", b.err(), p.err())
            }),
        }
        let _ = process::unlink(&bn);
        let _ = process::unlink(&pn);
    }
}

impl Testable for twinsync::thread::Semaphore {
    type Family = SemaphoreFamily;
    const NAME: &'static str = "thread::Semaphore";
    const VERSION: &'static str = "thread";
    fn make() -> Result<Self, Error> {
        twinsync::thread::Semaphore::new(INIT)
    }
}

impl Testable for twinsync::thread::BoundedSemaphore {
    type Family = BoundedSemaphoreFamily;
    const NAME: &'static str = "thread::BoundedSemaphore";
    const VERSION: &'static str = "thread";
    fn make() -> Result<Self, Error> {
        twinsync::thread::BoundedSemaphore::new(INIT)
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl Testable for twinsync::process::Semaphore {
    type Family = SemaphoreFamily;
    const NAME: &'static str = "process::Semaphore";
    const VERSION: &'static str = "process";
    fn make() -> Result<Self, Error> {
        twinsync::process::Semaphore::new(INIT)
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl SharedTestable for twinsync::process::Semaphore {
    fn create_named(name: &str) -> Result<Self, Error> {
        twinsync::process::Semaphore::create(name, INIT)
    }
    fn open_named(name: &str) -> Result<Self, Error> {
        twinsync::process::Semaphore::open(name)
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl Testable for twinsync::process::BoundedSemaphore {
    type Family = BoundedSemaphoreFamily;
    const NAME: &'static str = "process::BoundedSemaphore";
    const VERSION: &'static str = "process";
    fn make() -> Result<Self, Error> {
        twinsync::process::BoundedSemaphore::new(INIT)
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
impl SharedTestable for twinsync::process::BoundedSemaphore {
    fn create_named(name: &str) -> Result<Self, Error> {
        twinsync::process::BoundedSemaphore::create(name, INIT)
    }
    fn open_named(name: &str) -> Result<Self, Error> {
        twinsync::process::BoundedSemaphore::open(name)
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod sem_sequential {
    use std::time::Duration;

    use proptest::prelude::*;
    use proptest::strategy::BoxedStrategy;
    use twinsync::algo::semaphore::VALUE_MAX;
    use twinsync::SemaphoreApi;

    use super::{SemFamily, SemKind, INIT};
    use crate::drivers::proptest::timeouts;
    use crate::family::Sequential;
    use crate::spec::semaphore::{apply, timeout_ok, GuardForm, SemOp, SemResult, SemaphoreModel};

    impl<S: SemaphoreApi + 'static, K: SemKind> Sequential<S> for SemFamily<K> {
        type Model = SemaphoreModel;
        type Op = SemOp;
        type Res = SemResult;

        fn initial() -> SemaphoreModel {
            let m = if K::BOUNDED {
                SemaphoreModel::bounded(INIT)
            } else {
                SemaphoreModel::new(INIT)
            };
            m.expect("INIT is a valid value")
        }

        fn ops() -> BoxedStrategy<SemOp> {
            let counts = prop_oneof![
                6 => 1..=3u32,
                1 => Just(0),
                1 => Just(VALUE_MAX - 2),
                1 => Just(VALUE_MAX),
                1 => Just(u32::MAX),
            ];
            prop_oneof![
                3 => Just(SemOp::Acquire),
                3 => Just(SemOp::TryAcquire),
                2 => timeouts().prop_map(SemOp::AcquireTimeout),
                4 => counts.prop_map(SemOp::Release),
                2 => Just(SemOp::Value),
                1 => Just(SemOp::MaxValue),
                1 => Just(SemOp::Guard(GuardForm::Acquire)),
                1 => Just(SemOp::Guard(GuardForm::Try)),
                1 => timeouts().prop_map(|d| SemOp::Guard(GuardForm::Timeout(d))),
            ]
            .boxed()
        }

        /// Enabled, and not a timed wait with no token and an enormous (yet valid) timeout.
        fn feasible(m: &SemaphoreModel, op: &SemOp) -> bool {
            let long = |d: Duration| timeout_ok(d) && d > Duration::from_millis(50);
            m.enabled(*op)
                && !(m.value == 0
                    && matches!(op, SemOp::AcquireTimeout(d) | SemOp::Guard(GuardForm::Timeout(d)) if long(*d)))
        }

        fn clause(m: &SemaphoreModel, op: &SemOp) -> &'static str {
            m.clause(*op)
        }

        fn step(m: &mut SemaphoreModel, op: &SemOp) -> SemResult {
            m.step(*op)
        }

        fn apply(s: &S, op: &SemOp) -> (SemResult, Duration) {
            apply(s, *op)
        }

        /// A timeout with no token took at least its duration (SEM-05), and `value()` and
        /// `max_value()` agree with the model afterwards.
        fn observe(
            s: &S,
            before: &SemaphoreModel,
            after: &SemaphoreModel,
            op: &SemOp,
            res: &SemResult,
            took: Duration,
        ) -> Result<(), String> {
            let timed_out = matches!(
                res,
                SemResult::Timed(Ok(false)) | SemResult::Guarded(Ok(None))
            );
            if let (0, SemOp::AcquireTimeout(d) | SemOp::Guard(GuardForm::Timeout(d)), true) =
                (before.value, op, timed_out)
            {
                if took < *d {
                    return Err(format!("timed out after only {took:?}"));
                }
            }
            let (v, m) = (s.value(), s.max_value());
            if (v, m) != (after.value, after.max) {
                return Err(format!(
                    "value() {v}, max_value() {m} afterwards; the model says {}, {}",
                    after.value, after.max
                ));
            }
            Ok(())
        }
    }
}
