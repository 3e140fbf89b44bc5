//! The Barrier scenario [`SEQUENTIAL`](super::SEQUENTIAL): what one caller can see.

use std::time::{Duration, Instant};

use twinsync::sync::atomic::Ordering::*;
use twinsync::{BarrierApi, Error, TIMEOUT_MAX};

use super::{is_broken, lacks, worker_id, Checks, Params, MAX_WORKERS};
use crate::families::{
    ActionLog, Barriers, Member, ACTION_FAILURE, DEFAULT_TIMEOUT, FAIL_ERR, FAIL_NONE, FAIL_PANIC,
};

pub(super) fn sequential<B: Member>(s: &Barriers<B>, p: &Params, c: &mut Checks) {
    let too_large = TIMEOUT_MAX + Duration::from_nanos(1);
    // BARRIER-01: construction and parties().
    for bad in [0, twinsync::algo::barrier::MAX_PARTIES + 1] {
        let r = B::build(bad).map(|b| b.parties());
        c.check(
            "BARRIER-01",
            matches!(r, Err(Error::InvalidArgument { .. })),
            || format!("a barrier of {bad} parties: {r:?}"),
        );
    }
    for k in 1..=MAX_WORKERS {
        let got = s.barrier(k).parties();
        c.check("BARRIER-01", got as usize == k, || {
            format!("parties() of a barrier of {k} is {got}")
        });
    }
    // BARRIER-13: with_timeout at construction.
    let r = B::build(2)
        .and_then(|b| b.timeout(too_large))
        .map(|b| b.parties());
    c.check(
        "BARRIER-13",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("with_timeout(TIMEOUT_MAX + 1ns): {r:?}"),
    );
    // One party: trips at once, index 0, the action ran in this party.
    let one = s.barrier(1);
    let log = s.log(1);
    let r = one.wait();
    c.check("BARRIER-02", matches!(r, Ok(0)), || {
        format!("wait on a barrier of 1: {r:?}")
    });
    let mut trips = 1;
    if B::BREAKABLE {
        let r = one.wait_timeout(TIMEOUT_MAX);
        c.check("BARRIER-13", matches!(r, Ok(0)), || {
            format!("wait_timeout(TIMEOUT_MAX) on a barrier of 1: {r:?}")
        });
        trips += 1;
    }
    if B::ACTION {
        let runs = log.runs();
        c.check("BARRIER-04", runs == trips, || {
            format!("two trips of a barrier of 1 ran the action {runs} times")
        });
        let actor = log.actor.load(Relaxed);
        c.check("BARRIER-04", actor == worker_id(), || {
            format!("the action ran in thread {actor}, not in the last party")
        });
    } else {
        lacks(c, "BARRIER-04", "action");
    }
    let r = one.wait_timeout(too_large);
    c.check(
        "BARRIER-13",
        matches!(r, Err(Error::TimeoutTooLarge { .. })) && !one.broken(),
        || {
            format!(
                "wait_timeout(TIMEOUT_MAX + 1ns): {r:?}, broken() {}",
                one.broken()
            )
        },
    );
    if B::ACTION {
        sequential_action(one, log, c);
    } else {
        lacks(c, "BARRIER-05", "action");
    }
    if !B::BREAKABLE {
        for clause in ["BARRIER-06", "BARRIER-07", "BARRIER-08", "BARRIER-09"] {
            lacks(c, clause, "timeout, abort or reset");
        }
    } else {
        sequential_breaks(s, p, c);
    }
    match B::open_corrupt() {
        None => c.not_checkable("BARRIER-15", "this version has no shared-memory segment"),
        Some(r) => c.check("BARRIER-15", r.is_ok(), || r.unwrap_err()),
    }
}

/// BARRIER-05 with one party: a failing or panicking action breaks the barrier; reset heals.
fn sequential_action<B: BarrierApi>(one: &B, log: &ActionLog, c: &mut Checks) {
    for how in [FAIL_ERR, FAIL_PANIC] {
        log.fail.store(how, Relaxed);
        let r = one.wait();
        let ok =
            matches!(&r, Err(Error::BarrierAction { message }) if message.contains(ACTION_FAILURE));
        c.check("BARRIER-05", ok && one.broken(), || {
            format!("a failing action ({how}): {r:?}, broken() {}", one.broken())
        });
        log.fail.store(FAIL_NONE, Relaxed);
        let r = one.wait();
        c.check("BARRIER-05", is_broken(&r), || {
            format!("wait after a failed action: {r:?}")
        });
        one.reset();
        let r = one.wait();
        c.check("BARRIER-09", matches!(r, Ok(0)), || {
            format!("wait after reset of a broken barrier: {r:?}")
        });
    }
}

/// Timeouts (own and default), abort and reset with one caller on two-party barriers.
fn sequential_breaks<B: Member>(s: &Barriers<B>, p: &Params, c: &mut Checks) {
    let two = s.barrier(2);
    let t0 = Instant::now();
    let r = two.wait_timeout(p.timeout);
    let el = t0.elapsed();
    c.check("BARRIER-03", r.is_err(), || {
        format!("a lone party of 2 was released: {r:?}")
    });
    c.check_timed("BARRIER-06", is_broken(&r), el >= p.timeout, || {
        format!(
            "a lone party of 2, wait_timeout({:?}): {r:?} after {el:?}",
            p.timeout
        )
    });
    c.check("BARRIER-10", two.broken() && two.n_waiting() == 0, || {
        format!(
            "after a timeout: broken() {}, n_waiting() {}",
            two.broken(),
            two.n_waiting()
        )
    });
    let r = two.wait();
    c.check("BARRIER-06", is_broken(&r), || {
        format!("wait on a barrier broken by a timeout: {r:?}")
    });
    two.reset();
    c.check("BARRIER-09", !two.broken() && two.n_waiting() == 0, || {
        format!(
            "after reset: broken() {}, n_waiting() {}",
            two.broken(),
            two.n_waiting()
        )
    });
    two.abort();
    c.check("BARRIER-08", two.broken(), || {
        "abort did not break it".into()
    });
    let r = two.wait_timeout(Duration::from_secs(60));
    c.check("BARRIER-08", is_broken(&r), || {
        format!("wait on an aborted barrier: {r:?}")
    });
    two.reset();
    c.check("BARRIER-10", !two.broken() && two.parties() == 2, || {
        "broken() or parties() wrong after reset".into()
    });
    // BARRIER-07: the default timeout applies to wait, and wait_timeout overrides it.
    let timed = s.timed();
    let t0 = Instant::now();
    let r = timed.wait();
    let el = t0.elapsed();
    c.check_timed("BARRIER-07", is_broken(&r), el >= DEFAULT_TIMEOUT, || {
        format!("wait with a default timeout of {DEFAULT_TIMEOUT:?}: {r:?} after {el:?}")
    });
    timed.reset();
    let t0 = Instant::now();
    let r = timed.wait_timeout(p.timeout);
    let el = t0.elapsed();
    c.check_timed("BARRIER-07", is_broken(&r), el >= p.timeout, || {
        format!(
            "wait_timeout({:?}) over a default of {DEFAULT_TIMEOUT:?}: {r:?} after {el:?}",
            p.timeout
        )
    });
    timed.reset();
}
