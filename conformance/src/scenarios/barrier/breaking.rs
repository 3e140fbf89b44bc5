//! The Barrier scenarios that break, reset or abort a barrier under waiting parties, or
//! make its action fail.

use std::time::Instant;

use twinsync::sync::atomic::Ordering::*;
use twinsync::Error;

use super::{
    await_sleepers, fail, is_broken, lacks, publish, spin_until, timeout_parties, with_waiters,
    worker_id, Checks, Params, Scratch, C0, C1, GO,
};
use crate::families::{Barriers, Member, ACTION_FAILURE, FAIL_ERR};
use crate::scenarios::HAS_CLOCK;

pub(super) fn tripped_then_abort<B: Member>(
    s: &Barriers<B>,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if !B::BREAKABLE {
        return lacks(c, "BARRIER-12", "abort or reset");
    }
    let parties = with_waiters(p);
    let b = s.barrier(parties);
    let last = parties as u32 - 1;
    if me == 0 {
        await_sleepers(b, sc, parties - 1, p);
    } else {
        publish(sc, me);
    }
    match b.wait() {
        Ok(i) if i == last => {
            // The tripping party (worker 0, unless the others were not seen asleep in time
            // or a checker chose another order) aborts and resets at once: most likely
            // before the others have run. They were released all the same.
            b.abort();
            b.reset();
            c.check("BARRIER-02", me == 0 || !HAS_CLOCK, || {
                format!("worker {me}, not the last arrival (worker 0), got index {last}")
            });
        }
        r => c.check("BARRIER-12", matches!(r, Ok(i) if i < last), || {
            format!("a party of a tripped generation, aborted right after the trip, got {r:?}")
        }),
    }
}

pub(super) fn timeout_breaks<B: Member>(
    s: &Barriers<B>,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if !B::BREAKABLE {
        return lacks(c, "BARRIER-06", "timeout");
    }
    let parties = timeout_parties(p);
    let b = s.barrier(parties);
    let sleepers = parties - 2;
    if me == 0 {
        await_sleepers(b, sc, sleepers, p);
        let t0 = Instant::now();
        let r = b.wait_timeout(p.timeout);
        let el = t0.elapsed();
        c.check_timed("BARRIER-06", is_broken(&r), el >= p.timeout, || {
            format!(
                "wait_timeout({:?}) with a party missing: {r:?} after {el:?}",
                p.timeout
            )
        });
        c.check("BARRIER-10", b.broken() && b.n_waiting() == 0, || {
            format!(
                "after the timeout: broken() {}, n_waiting() {}",
                b.broken(),
                b.n_waiting()
            )
        });
        let r = b.wait();
        c.check("BARRIER-06", is_broken(&r), || {
            format!("a later wait on the broken barrier: {r:?}")
        });
    } else {
        publish(sc, me);
        let r = b.wait();
        c.check("BARRIER-06", is_broken(&r), || {
            format!("a party waiting when another timed out got {r:?}")
        });
    }
}

pub(super) fn abort_then_reset<B: Member>(
    s: &Barriers<B>,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if !B::BREAKABLE {
        return lacks(c, "BARRIER-08", "abort");
    }
    let parties = with_waiters(p);
    let b = s.barrier(parties);
    let index = if me == 0 {
        await_sleepers(b, sc, parties - 1, p);
        b.abort();
        c.check("BARRIER-10", b.broken() && b.n_waiting() == 0, || {
            format!(
                "after abort: broken() {}, n_waiting() {}",
                b.broken(),
                b.n_waiting()
            )
        });
        let r = b.wait();
        c.check("BARRIER-08", is_broken(&r), || {
            format!("wait on an aborted barrier: {r:?}")
        });
        spin_until(|| sc.slots[C0].load(Acquire) as usize == parties - 1);
        b.reset();
        c.check("BARRIER-09", !b.broken() && b.n_waiting() == 0, || {
            format!(
                "after reset: broken() {}, n_waiting() {}",
                b.broken(),
                b.n_waiting()
            )
        });
        sc.slots[GO].store(1, Release);
        b.wait()
    } else {
        publish(sc, me);
        let r = b.wait();
        c.check("BARRIER-08", is_broken(&r), || {
            format!("a party waiting during abort got {r:?}")
        });
        sc.slots[C0].fetch_add(1, Release);
        spin_until(|| sc.slots[GO].load(Acquire) == 1);
        b.wait()
    };
    reused(sc, c, index, parties, "after abort and reset");
}

/// A wait of a barrier made usable again must trip with a unique index.
pub(super) fn reused(
    sc: &Scratch,
    c: &mut Checks,
    r: Result<u32, Error>,
    parties: usize,
    when: &str,
) {
    match r {
        Ok(i) => {
            let bit = 1u64 << i.min(63);
            let dup = sc.slots[1].fetch_or(bit, AcqRel) & bit != 0;
            c.check("BARRIER-09", (i as usize) < parties && !dup, || {
                format!("{when}: index {i} (duplicate: {dup})")
            });
        }
        Err(e) => fail(c, "BARRIER-09", || format!("{when}: wait failed: {e}")),
    }
}

pub(super) fn reset_while_waiting<B: Member>(
    s: &Barriers<B>,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if !B::BREAKABLE {
        return lacks(c, "BARRIER-09", "reset");
    }
    let parties = with_waiters(p);
    let b = s.barrier(parties);
    let r = if me == 0 {
        await_sleepers(b, sc, parties - 1, p);
        b.reset();
        c.check("BARRIER-10", !b.broken(), || {
            "broken() is true right after reset".into()
        });
        // Counts into the fresh generation, once the reset parties have left.
        b.wait()
    } else {
        publish(sc, me);
        match b.wait() {
            // Arrived after the reset (a checker's order, or not seen asleep in time): this
            // was the fresh generation.
            Ok(i) if !HAS_CLOCK => Ok(i),
            r => {
                c.check("BARRIER-09", is_broken(&r), || {
                    format!("a party waiting during reset got {r:?}")
                });
                b.wait()
            }
        }
    };
    reused(sc, c, r, parties, "the generation after a reset");
}

pub(super) fn failing_action<B: Member>(
    s: &Barriers<B>,
    sc: &Scratch,
    _me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if !B::ACTION {
        return lacks(c, "BARRIER-05", "action");
    }
    let parties = with_waiters(p);
    let (b, log) = (s.barrier(parties), s.log(parties));
    log.fail.store(FAIL_ERR, Relaxed);
    match b.wait() {
        Err(Error::BarrierAction { message }) => {
            sc.slots[C0].fetch_add(1, AcqRel);
            let actor = log.actor.load(Relaxed);
            c.check(
                "BARRIER-05",
                message.contains(ACTION_FAILURE) && actor == worker_id(),
                || format!("BarrierAction({message:?}) in a party that did not run the action ({actor})"),
            );
        }
        Err(Error::BrokenBarrier) => {
            sc.slots[C1].fetch_add(1, AcqRel);
        }
        r => fail(c, "BARRIER-05", || {
            format!("wait with a failing action: {r:?}")
        }),
    }
    c.check("BARRIER-05", b.broken(), || {
        "not broken after its action failed".into()
    });
    let r = b.wait();
    c.check("BARRIER-05", is_broken(&r), || {
        format!("a later wait after a failed action: {r:?}")
    });
}

pub(super) fn failing_action_finish<B: Member>(sc: &Scratch, p: &Params, c: &mut Checks) {
    let parties = with_waiters(p) as u64;
    let (action, broken) = (sc.slots[C0].load(Acquire), sc.slots[C1].load(Acquire));
    if B::ACTION && sc.done.load(Acquire) as u64 == parties {
        c.check("BARRIER-05", action == 1 && broken == parties - 1, || {
            format!(
                "{action} BarrierAction and {broken} BrokenBarrier among {parties} parties \
                 (expected 1 and {})",
                parties - 1
            )
        });
    }
}
