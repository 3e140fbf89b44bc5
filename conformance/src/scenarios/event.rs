//! Event scenarios: the worker bodies and end-of-run checks every driver runs.
//!
//! | scenario | workers | clauses |
//! |---|---|---|
//! | [`SEQUENTIAL`] | 1 | EVENT-01..05, 09 (a walk through the model) |
//! | [`SET_WAKES_ALL`] | 1 setter + max(2, `waiters`) | EVENT-06, EVENT-10, EVENT-11 |
//! | [`SET_CLEAR`] | 1 setter + max(2, `waiters`) | EVENT-07, EVENT-08 |
//! | [`PING_PONG`] | 2 | EVENT-08, EVENT-10 |
//!
//! Slots of the [`Scratch`]: 0 the setter's payload (written before `set`), 1 the setter's
//! process id, 2 waiters returned.

use std::time::Duration;

use twinsync::sync::atomic::Ordering::*;
use twinsync::EventApi;

use super::{spin_until, wait_until_blocked, worker_id, Checks, Params, Scratch, HAS_CLOCK};
use crate::family::{no_finish, Scenario, ScenarioInfo};
use crate::spec::event::{apply, EventModel, EventOp, EventResult};

/// One worker walks through every operation on a clear and a set event.
pub const SEQUENTIAL: &str = "sequential";
/// Every waiter sleeps (in `wait`, or in `wait_timeout` where there is a clock); one `set`
/// must end every wait, and each must see the payload written before it.
pub const SET_WAKES_ALL: &str = "set_wakes_all";
/// Every waiter sleeps; `set` immediately followed by `clear` must still end every wait
/// (`wait_timeout` with true). Race-sensitive: a waiter must run after the clear.
pub const SET_CLEAR: &str = "set_clear";
/// Worker 0 writes a round number and sets; worker 1 waits, checks the number, clears, and
/// hands the turn back through the scratch.
pub const PING_PONG: &str = "ping_pong";

const PAYLOAD: usize = 0;
const PID: usize = 1;
const RETURNED: usize = 2;

/// Most rounds of [`PING_PONG`] on the real drivers.
pub const PING_PONG_ROUNDS: u32 = 500;

/// The Event scenarios, in the order drivers run them.
pub fn scenarios<E: EventApi>() -> Vec<Scenario<E>> {
    fn info(
        name: &'static str,
        clauses: &'static [&'static str],
        workers: fn(&Params) -> usize,
        progress: Option<&'static str>,
    ) -> ScenarioInfo {
        ScenarioInfo {
            name,
            clauses,
            workers,
            progress,
            repeat: false,
            needs_clock: false,
            clock_clauses: &[],
            not_for_loom: None,
        }
    }
    vec![
        Scenario {
            info: ScenarioInfo {
                clock_clauses: &["EVENT-05"],
                ..info(
                    SEQUENTIAL,
                    &[
                        "EVENT-01", "EVENT-02", "EVENT-03", "EVENT-04", "EVENT-05", "EVENT-09",
                    ],
                    |_| 1,
                    None,
                )
            },
            body: |e, _, _, p, c| sequential(e, p, c),
            finish: no_finish,
        },
        Scenario {
            info: info(
                SET_WAKES_ALL,
                &["EVENT-06", "EVENT-10", "EVENT-11"],
                |p| 1 + p.waiters.max(2),
                Some("EVENT-06"),
            ),
            body: set_wakes_all,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                not_for_loom: Some(
                    "EVENT-07 needs a waiter known to sleep before set(), which a checker cannot \
                     tell; three threads with two sets also exceed loom's quick budget",
                ),
                ..info(
                    SET_CLEAR,
                    &["EVENT-07", "EVENT-08"],
                    |p| 1 + p.waiters.max(2),
                    Some("EVENT-07"),
                )
            },
            body: set_clear,
            finish: no_finish,
        },
        Scenario {
            info: info(
                PING_PONG,
                &["EVENT-08", "EVENT-10"],
                |_| 2,
                Some("EVENT-08"),
            ),
            body: ping_pong,
            finish: no_finish,
        },
    ]
}

fn sequential<E: EventApi + ?Sized>(e: &E, p: &Params, c: &mut Checks) {
    let too_large = twinsync::TIMEOUT_MAX + Duration::from_nanos(1);
    let short = p.timeout.min(Duration::from_millis(2));
    let walk = [
        EventOp::IsSet,
        EventOp::Clear,
        EventOp::IsSet,
        EventOp::WaitTimeout(Duration::ZERO),
        EventOp::WaitTimeout(short),
        EventOp::WaitTimeout(too_large),
        EventOp::IsSet,
        EventOp::Set,
        EventOp::IsSet,
        EventOp::Set,
        EventOp::IsSet,
        EventOp::Wait,
        EventOp::WaitTimeout(Duration::ZERO),
        EventOp::WaitTimeout(short),
        EventOp::WaitTimeout(Duration::MAX),
        EventOp::WaitTimeout(too_large),
        EventOp::IsSet,
        EventOp::Clear,
        EventOp::IsSet,
        EventOp::Clear,
        EventOp::WaitTimeout(Duration::ZERO),
        EventOp::IsSet,
    ];
    // EVENT-01: the first look, at a new event.
    let fresh = e.is_set();
    c.check("EVENT-01", !fresh, || "a new event is set".into());
    let mut m = EventModel::default();
    for op in walk {
        let clause = m.clause(op);
        let want = m.step(op);
        let (got, took) = apply(e, op);
        c.check(clause, got == want, || {
            format!("{op:?}: {got:?}, the model says {want:?}")
        });
        if let (EventOp::WaitTimeout(d), EventResult::Timed(Ok(false))) = (op, got) {
            c.check_timed(clause, true, took >= d, || {
                format!("{op:?} timed out after only {took:?}")
            });
        }
    }
}

/// A waiter: publishes its id, counts itself ready, waits (timed where there is a clock, for
/// odd `me`), and returns whether the wait ended with the event fired.
fn wait_once<E: EventApi + ?Sized>(e: &E, s: &Scratch, me: usize) -> Result<bool, String> {
    s.ids[me].store(worker_id(), Relaxed);
    s.ready.fetch_add(1, Release);
    if HAS_CLOCK && me % 2 == 1 {
        e.wait_timeout(Duration::from_secs(60))
            .map_err(|e| e.to_string())
    } else {
        e.wait();
        Ok(true)
    }
}

/// The setter's part: waits until the `k` waiters are ready and (best effort) asleep. Not
/// under loom, where the spin makes three threads too many to explore: loom explores every
/// order anyway, the ones where every waiter sleeps before the set included.
fn until_asleep(s: &Scratch, k: usize, p: &Params) {
    if cfg!(twinsync_loom) {
        return;
    }
    spin_until(|| s.ready.load(Acquire) == k as u32);
    for id in &s.ids[1..=k] {
        wait_until_blocked(id.load(Acquire), p.block_bound);
    }
}

fn set_wakes_all<E: EventApi + ?Sized>(e: &E, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let k = p.waiters.max(2);
    if me == 0 {
        until_asleep(s, k, p);
        s.slots[PAYLOAD].store(42, Relaxed);
        s.slots[PID].store(u64::from(std::process::id()), Relaxed);
        e.set();
        return;
    }
    let r = wait_once(e, s, me);
    c.check("EVENT-06", r == Ok(true), || {
        format!("waiter {me}: the wait ended with {r:?}")
    });
    // Relaxed: only the event's set -> wait edge may make the payload visible.
    let payload = s.slots[PAYLOAD].load(Relaxed);
    c.check("EVENT-10", payload == 42, || {
        format!("waiter {me} woken by set() does not see the write made before it ({payload})")
    });
    if s.slots[PID].load(Relaxed) == u64::from(std::process::id()) {
        c.not_checkable("EVENT-11", "the setter and the waiters share one process");
    } else {
        c.check("EVENT-11", true, String::new);
    }
}

fn set_clear<E: EventApi + ?Sized>(e: &E, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let k = p.waiters.max(2);
    if me == 0 {
        until_asleep(s, k, p);
        e.set();
        e.clear();
        c.check("EVENT-03", !e.is_set(), || {
            "is_set() after set(); clear() with nobody else setting".into()
        });
        if !HAS_CLOCK {
            // A checker cannot tell that a waiter sleeps before the set (wait_until_blocked is
            // a no-op there), and one that begins after set(); clear() rightly waits for the
            // next set: give it one.
            s.step.store(1, Release);
            e.set();
        }
        return;
    }
    let r = wait_once(e, s, me);
    if HAS_CLOCK {
        c.check("EVENT-07", r == Ok(true), || {
            format!("waiter {me}: the wait ended with {r:?} after set(); clear()")
        });
    } else {
        c.not_checkable(
            "EVENT-07",
            "a checker cannot tell through EventApi that a waiter sleeps before set()",
        );
    }
    s.slots[RETURNED].fetch_add(1, Relaxed);
    c.check("EVENT-08", true, String::new);
}

fn ping_pong<E: EventApi + ?Sized>(e: &E, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let rounds = p.iters.min(PING_PONG_ROUNDS);
    for i in 1..=rounds {
        if me == 0 {
            // The turn comes back once the other worker has seen round i - 1 and cleared.
            spin_until(|| s.step.load(Acquire) == i - 1);
            s.slots[PAYLOAD].store(u64::from(i), Relaxed);
            e.set();
        } else {
            e.wait();
            let got = s.slots[PAYLOAD].load(Relaxed);
            c.check("EVENT-10", got == u64::from(i), || {
                format!("round {i}: the wait returned seeing payload {got}")
            });
            e.clear();
            s.step.store(i, Release);
        }
    }
    c.check("EVENT-08", true, String::new);
}
