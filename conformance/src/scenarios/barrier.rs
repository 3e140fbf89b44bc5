//! Barrier scenarios: the worker bodies and end-of-run checks every driver runs, on a
//! [`Barriers`] set (one barrier per party count, each with the suite's action).
//!
//! | scenario | parties | clauses |
//! |---|---|---|
//! | [`SEQUENTIAL`] | 1 worker | BARRIER-01..10, 13, 15 (process version) |
//! | [`WAKE_ON_TRIP`] | 1 + max(2, `waiters`), + a watcher | BARRIER-03 (progress), 02, 10 |
//! | [`GENERATIONS`] | `workers`, + a watcher | BARRIER-11 (progress), 02, 03, 04, 14 |
//! | [`TRIPPED_THEN_ABORT`] | 1 + `waiters` | BARRIER-12, 02 |
//! | [`TIMEOUT_BREAKS`] | `waiters + 2`, one never comes | BARRIER-06, 10 |
//! | [`ABORT_THEN_RESET`] | 1 + `waiters` | BARRIER-08, 09, 10 |
//! | [`RESET_WHILE_WAITING`] | 1 + `waiters` | BARRIER-09, 10 |
//! | [`FAILING_ACTION`] | 1 + `waiters` | BARRIER-05 |
//!
//! In the real drivers the sleepers are put to sleep for real (`wait_until_blocked`) before
//! worker 0 releases or breaks them, so a missing wake-up is reached, and a watcher worker
//! (not a party) reports a deadlock in a fraction of a second (`STUCK`). Under a checker
//! there is no watcher, nobody waits for anybody to sleep (the checker explores every
//! arrival order, and the bodies accept each), and loom runs at most `LOOM_PARTIES`
//! parties. A party that finds something wrong aborts the barrier, so that the others do not
//! wait forever for it.
//!
//! Scratch use: `slots[0..4]` record, per generation modulo 4, the generation, the number of
//! parties released and the mask of their indices (`record_index`); `slots[8 + w]` is how
//! many times worker `w` arrived ([`GENERATIONS`]); `slots[4..7]` are counters of the
//! scenario at hand, `slots[7]` the parties that finished (for the watcher).

use std::time::{Duration, Instant};

use twinsync::sync::atomic::{AtomicU64, Ordering::*};
use twinsync::{BarrierApi, Error};

use super::{spin_until, wait_until_blocked, worker_id, Checks, Params, Scratch, MAX_WORKERS};
use crate::families::{Barriers, Member, FLAW_ARRIVED, FLAW_RELEASED};
use crate::family::{no_finish, Scenario, ScenarioInfo};

mod breaking;
mod sequential;

use breaking::{
    abort_then_reset, failing_action, failing_action_finish, reset_while_waiting, timeout_breaks,
    tripped_then_abort,
};
use sequential::sequential;

/// One worker walks through what a single caller can see.
pub const SEQUENTIAL: &str = "sequential";
/// The others sleep in `wait`; worker 0 arrives last: all must be released.
pub const WAKE_ON_TRIP: &str = "wake_on_trip";
/// Every worker passes many generations of one barrier; indices, lapping, the action, and
/// visibility are checked after every release.
pub const GENERATIONS: &str = "generations";
/// Worker 0 trips the barrier and aborts and resets it at once: the released parties still
/// get their indices.
pub const TRIPPED_THEN_ABORT: &str = "tripped_then_abort";
/// One party never comes; worker 0 times out: everyone gets `BrokenBarrier`.
pub const TIMEOUT_BREAKS: &str = "timeout_breaks";
/// Worker 0 aborts while the others wait, then resets, and all pass a generation.
pub const ABORT_THEN_RESET: &str = "abort_then_reset";
/// Worker 0 resets while the others wait and arrives at once; all pass a fresh generation.
pub const RESET_WHILE_WAITING: &str = "reset_while_waiting";
/// The action fails: its party gets `BarrierAction`, the others `BrokenBarrier`.
pub const FAILING_ACTION: &str = "failing_action";

/// Most generations [`GENERATIONS`] runs (its `iters`, capped: each generation is a round
/// of futex sleeps and wake-ups).
pub const MAX_GENERATIONS: u32 = 2_000;

/// First slot of the per-worker arrival counts.
const ARRIVALS: usize = 8;
/// A scenario's first and second counter.
const C0: usize = 4;
const C1: usize = 5;
/// A go signal from worker 0.
const GO: usize = 6;
/// Bit `w`: party `w` finished its body (for the watcher).
const FINISHED: usize = 7;

/// The watcher worker of [`WAKE_ON_TRIP`] and [`GENERATIONS`]: 1 in the real drivers, none
/// under a checker (which detects a deadlock itself, and has few threads to spare).
const WATCHER: usize = if super::HAS_CLOCK { 1 } else { 0 };
/// How long every unfinished party must stay asleep at once for the watcher to report a
/// deadlock (a failure detector: in a correct run some party is always running or runnable).
const STUCK: Duration = Duration::from_millis(200);

/// Most threads a barrier scenario runs under loom: with three, the real algorithm's
/// exploration at the quick budget (3 preemptions) did not finish in 300 s (two sleepers and
/// the last arrival: 1.5 s at 1 preemption, 33 s at 2). Two parties explore in seconds.
const LOOM_PARTIES: usize = 2;

/// Parties of [`GENERATIONS`]: the contention size (at least 2; [`LOOM_PARTIES`] under loom).
fn gen_parties(p: &Params) -> usize {
    let n = p.workers.clamp(2, MAX_WORKERS - WATCHER);
    if cfg!(twinsync_loom) {
        n.min(LOOM_PARTIES)
    } else {
        n
    }
}

/// Parties of the scenarios with one actor and `waiters` sleepers.
fn with_waiters(p: &Params) -> usize {
    (p.waiters + 1).clamp(2, MAX_WORKERS)
}

/// Parties of [`WAKE_ON_TRIP`]: at least two sleepers, so that waking one is not enough
/// (one under loom, see [`LOOM_PARTIES`]).
fn trip_parties(p: &Params) -> usize {
    let n = (p.waiters.max(2) + 1).min(MAX_WORKERS - WATCHER);
    if cfg!(twinsync_loom) {
        n.min(LOOM_PARTIES)
    } else {
        n
    }
}

/// Parties of [`TIMEOUT_BREAKS`] (one of them never comes).
fn timeout_parties(p: &Params) -> usize {
    (p.waiters + 2).min(MAX_WORKERS)
}

/// The Barrier scenarios, in the order drivers run them (the ones that reach the controls'
/// bugs first: a rejected control is not run further).
pub fn scenarios<B: Member>() -> Vec<Scenario<Barriers<B>>> {
    fn info(
        name: &'static str,
        clauses: &'static [&'static str],
        workers: fn(&Params) -> usize,
    ) -> ScenarioInfo {
        ScenarioInfo {
            name,
            clauses,
            workers,
            progress: None,
            repeat: false,
            needs_clock: false,
            clock_clauses: &[],
            not_for_loom: None,
        }
    }
    vec![
        Scenario {
            info: ScenarioInfo {
                clock_clauses: &["BARRIER-07"],
                ..info(
                    SEQUENTIAL,
                    &[
                        "BARRIER-01",
                        "BARRIER-02",
                        "BARRIER-03",
                        "BARRIER-04",
                        "BARRIER-05",
                        "BARRIER-06",
                        "BARRIER-07",
                        "BARRIER-08",
                        "BARRIER-09",
                        "BARRIER-10",
                        "BARRIER-13",
                        // Not BARRIER-15: only the process version can check it (the body
                        // records it, n/c for the others), and shuttle reports every clause
                        // listed here as passed when no schedule fails.
                    ],
                    |_| 1,
                )
            },
            body: |s, _, _, p, c| sequential(s, p, c),
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                progress: Some("BARRIER-03"),
                ..info(
                    WAKE_ON_TRIP,
                    &["BARRIER-03", "BARRIER-02", "BARRIER-10"],
                    |p| trip_parties(p) + WATCHER,
                )
            },
            body: wake_on_trip,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                progress: Some("BARRIER-11"),
                repeat: true,
                ..info(
                    GENERATIONS,
                    &[
                        "BARRIER-11",
                        "BARRIER-02",
                        "BARRIER-03",
                        "BARRIER-04",
                        "BARRIER-14",
                    ],
                    |p| gen_parties(p) + WATCHER,
                )
            },
            body: generations,
            finish: generations_finish,
        },
        Scenario {
            info: ScenarioInfo {
                progress: Some("BARRIER-12"),
                repeat: true,
                ..info(
                    TRIPPED_THEN_ABORT,
                    &["BARRIER-12", "BARRIER-02"],
                    with_waiters,
                )
            },
            body: tripped_then_abort,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                progress: Some("BARRIER-06"),
                clock_clauses: &["BARRIER-06"],
                ..info(TIMEOUT_BREAKS, &["BARRIER-06", "BARRIER-10"], |p| {
                    timeout_parties(p) - 1
                })
            },
            body: timeout_breaks,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                progress: Some("BARRIER-08"),
                ..info(
                    ABORT_THEN_RESET,
                    &["BARRIER-08", "BARRIER-09", "BARRIER-10"],
                    with_waiters,
                )
            },
            body: abort_then_reset,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                progress: Some("BARRIER-09"),
                ..info(
                    RESET_WHILE_WAITING,
                    &["BARRIER-09", "BARRIER-10"],
                    with_waiters,
                )
            },
            body: reset_while_waiting,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                progress: Some("BARRIER-05"),
                ..info(FAILING_ACTION, &["BARRIER-05"], with_waiters)
            },
            body: failing_action,
            finish: failing_action_finish::<B>,
        },
    ]
}

fn fail(c: &mut Checks, clause: &'static str, msg: impl FnOnce() -> String) {
    c.check(clause, false, msg);
}

/// Records that the subject lacks what `clause` needs (a reference adapter's declared
/// deviation): a failure, so that the report shows the declared reason.
fn lacks(c: &mut Checks, clause: &'static str, what: &str) {
    fail(c, clause, || format!("the subject has no {what}"));
}

/// `wait`'s result is `Err(BrokenBarrier)`.
fn is_broken(r: &Result<u32, Error>) -> bool {
    matches!(r, Err(Error::BrokenBarrier))
}

/// Records that worker `me` got `index` in generation `g`, in the slot of `g % 4`; returns
/// what was wrong: `Err((clause, message))`.
///
/// A slot holds `(g + 1) << 32 | released << 8 | index mask`. A correct barrier keeps every
/// party within one generation of the others, so a slot still holding generation `g - 4`
/// complete, or `g`, is expected; anything else means some party lapped another.
fn record_index(
    slot: &AtomicU64,
    g: u64,
    index: u32,
    parties: usize,
) -> Result<(), (&'static str, String)> {
    let bit = 1u64 << index;
    let mut v = slot.load(Acquire);
    loop {
        let (sg, released, mask) = (v >> 32, (v >> 8) & 0xff, v & 0xff);
        let base = if sg == g + 1 {
            v
        } else if (sg == 0 && g < 4) || (sg + 3 == g && released == parties as u64) {
            (g + 1) << 32
        } else {
            return Err((
                "BARRIER-11",
                format!(
                    "released from generation {g} while generation {} had {released} of \
                     {parties} parties released (mask {mask:#x}): a party lapped another",
                    sg.wrapping_sub(1)
                ),
            ));
        };
        if base & bit != 0 {
            return Err((
                "BARRIER-02",
                format!("index {index} given twice in generation {g}"),
            ));
        }
        match slot.compare_exchange(v, (base + (1 << 8)) | bit, AcqRel, Acquire) {
            Ok(_) => return Ok(()),
            Err(now) => v = now,
        }
    }
}

fn generations<B: Member>(s: &Barriers<B>, sc: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let parties = gen_parties(p);
    if me == parties {
        return watch(s.barrier(parties), sc, parties, c, "BARRIER-11");
    }
    sc.ids[me].store(worker_id(), Release);
    generations_party(s, sc, me, p, c);
    sc.slots[FINISHED].fetch_or(1 << me, Release);
}

fn generations_party<B: Member>(
    s: &Barriers<B>,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    let parties = gen_parties(p);
    let (b, log) = (s.barrier(parties), s.log(parties));
    let gens = u64::from(p.iters.clamp(1, MAX_GENERATIONS));
    // The action's own checks (its view of the arrivals) cost loom more than it can afford
    // with the rest: there the parties' views are checked only.
    let track = !cfg!(twinsync_loom);
    if track {
        log.track.store(1, Relaxed);
    }
    if super::HAS_CLOCK {
        // Start together, or the first worker may wait alone for a while.
        sc.ready.fetch_add(1, Release);
        spin_until(|| sc.ready.load(Acquire) == parties as u32);
    }
    for g in 0..gens {
        sc.slots[ARRIVALS + me].store(g + 1, Relaxed);
        if track {
            log.arrived.fetch_add(1, Relaxed);
        }
        let index = match b.wait() {
            Ok(i) => i,
            Err(e) => {
                fail(c, "BARRIER-03", || {
                    format!("wait in generation {g} failed: {e} (nobody broke the barrier)")
                });
                b.abort();
                return;
            }
        };
        // Relaxed reads: the barrier alone must make the others' writes visible (BARRIER-14).
        let mut wrong: Option<(&'static str, String)> = None;
        if index as usize >= parties {
            wrong = Some(("BARRIER-02", format!("index {index} of {parties} parties")));
        }
        for w in 0..parties {
            let a = sc.slots[ARRIVALS + w].load(Relaxed);
            if a < g + 1 {
                wrong = wrong.or(Some((
                    "BARRIER-03",
                    format!(
                        "released from generation {g} before worker {w} arrived (it is at {a})"
                    ),
                )));
            } else if a > g + 2 {
                wrong = wrong.or(Some((
                    "BARRIER-11",
                    format!(
                        "released from generation {g} while worker {w} arrived {a} times: lapped"
                    ),
                )));
            }
        }
        if wrong.is_none() {
            wrong = record_index(&sc.slots[(g % 4) as usize], g, index, parties).err();
        }
        if wrong.is_none() && B::ACTION {
            let runs = log.runs();
            let flaws = log.flaws.load(Relaxed);
            if runs != g + 1 {
                wrong = Some((
                    "BARRIER-04",
                    format!("released from generation {g} after {runs} action runs"),
                ));
            } else if flaws & FLAW_RELEASED != 0 {
                wrong = Some((
                    "BARRIER-04",
                    "the action ran after a party of its generation was released".into(),
                ));
            } else if flaws & FLAW_ARRIVED != 0 {
                wrong = Some((
                    "BARRIER-14",
                    "the action did not see every arrival of its generation".into(),
                ));
            } else if index as usize == parties - 1 && log.actor.load(Relaxed) != worker_id() {
                wrong = Some((
                    "BARRIER-04",
                    "the action did not run in the last party to arrive".into(),
                ));
            }
        }
        if let Some((clause, msg)) = wrong {
            fail(c, clause, || msg);
            b.abort();
            return;
        }
        if track {
            log.released.fetch_add(1, Relaxed);
        }
    }
    for clause in ["BARRIER-02", "BARRIER-03", "BARRIER-11", "BARRIER-14"] {
        c.check(clause, true, String::new);
    }
    if B::ACTION {
        c.check("BARRIER-04", true, String::new);
    }
}

fn generations_finish(sc: &Scratch, p: &Params, c: &mut Checks) {
    // Every worker arrived `gens` times (a worker that stopped early failed a clause).
    let gens = u64::from(p.iters.clamp(1, MAX_GENERATIONS));
    let short: Vec<usize> = (0..gen_parties(p))
        .filter(|w| sc.slots[ARRIVALS + w].load(Acquire) != gens)
        .collect();
    if sc.done.load(Acquire) as usize == gen_parties(p) && !short.is_empty() {
        c.check("BARRIER-11", false, || {
            format!("workers {short:?} did not pass all {gens} generations")
        });
    }
}

/// The watcher: a deadlock detector for the real drivers, so that a lost wake-up is reported
/// in a fraction of a second instead of at the driver's watchdog. It polls the parties'
/// states (`wait_until_blocked` with a zero bound reads it once) until every party finished;
/// when every unfinished party has been asleep for [`STUCK`] at once, nobody is left to wake
/// them: it fails `clause` and aborts the barrier to let them go. (It pauses a millisecond
/// between polls so as not to take a core from the parties; nothing waits on it.)
fn watch<B: BarrierApi>(b: &B, sc: &Scratch, parties: usize, c: &mut Checks, clause: &'static str) {
    let all = (1u64 << parties) - 1;
    let mut since: Option<Instant> = None;
    loop {
        let finished = sc.slots[FINISHED].load(Acquire);
        if finished == all {
            return c.check(clause, true, String::new);
        }
        let stuck: Vec<usize> = (0..parties).filter(|w| finished & (1 << w) == 0).collect();
        let asleep = stuck.iter().all(|&w| {
            let id = sc.ids[w].load(Acquire);
            id != 0 && wait_until_blocked(id, Duration::ZERO)
        });
        if !asleep {
            since = None;
        } else if since.get_or_insert_with(Instant::now).elapsed() >= STUCK {
            fail(c, clause, || {
                format!(
                    "parties {stuck:?} all asleep in wait for {STUCK:?} with nobody left to \
                     wake them (a lost wake-up or a party that missed its release)"
                )
            });
            b.abort();
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Worker 0 of the scenarios with sleepers: waits until the others (`1..parties`) sleep in
/// `wait` of `b` (and counts them in `n_waiting`).
fn await_sleepers<B: BarrierApi>(b: &B, sc: &Scratch, sleepers: usize, p: &Params) {
    if !super::HAS_CLOCK {
        // A checker explores the orders in which the sleepers arrive first, and those in
        // which they do not (the bodies accept both). Spinning on `n_waiting()` would not
        // do: its `Relaxed` load may read a stale value for ever in loom's memory model.
        return;
    }
    spin_until(|| {
        sc.ready.load(Acquire) as usize == sleepers && b.n_waiting() as usize >= sleepers
    });
    for id in &sc.ids[1..=sleepers] {
        // Best effort: if a sleeper is not seen asleep in time, go on anyway.
        wait_until_blocked(id.load(Acquire), p.block_bound);
    }
}

/// A sleeper publishes its id and counts itself ready.
fn publish(sc: &Scratch, me: usize) {
    if !super::HAS_CLOCK {
        return;
    }
    sc.ids[me].store(worker_id(), Relaxed);
    sc.ready.fetch_add(1, Release);
}

fn wake_on_trip<B: Member>(s: &Barriers<B>, sc: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let parties = trip_parties(p);
    let b = s.barrier(parties);
    if me == parties {
        return watch(b, sc, parties, c, "BARRIER-03");
    }
    wake_on_trip_party(b, sc, me, parties, p, c);
    sc.slots[FINISHED].fetch_or(1 << me, Release);
}

fn wake_on_trip_party<B: BarrierApi>(
    b: &B,
    sc: &Scratch,
    me: usize,
    parties: usize,
    p: &Params,
    c: &mut Checks,
) {
    let last = parties as u32 - 1;
    if me == 0 && super::HAS_CLOCK {
        sc.ids[0].store(worker_id(), Release);
        await_sleepers(b, sc, parties - 1, p);
        let n = b.n_waiting();
        c.check("BARRIER-10", n as usize == parties - 1, || {
            format!("n_waiting() is {n} with {} parties asleep", parties - 1)
        });
        let r = b.wait();
        c.check("BARRIER-02", r.as_ref().ok() == Some(&last), || {
            format!("the last arrival of {parties} got {r:?}")
        });
        return;
    }
    // A sleeper; under a checker every party is one (the checker explores the orders,
    // among them every one in which the others sleep before the last arrives).
    publish(sc, me);
    match b.wait() {
        Ok(i) => {
            let bit = 1u64 << i.min(63);
            let dup = sc.slots[0].fetch_or(bit, AcqRel) & bit != 0;
            let sleeper_ok = !super::HAS_CLOCK || i < last;
            c.check("BARRIER-02", i <= last && sleeper_ok && !dup, || {
                format!("a party got index {i} of {parties} (duplicate: {dup})")
            });
            c.check("BARRIER-03", true, String::new);
        }
        Err(e) => fail(c, "BARRIER-03", || format!("a sleeper's wait failed: {e}")),
    }
}
