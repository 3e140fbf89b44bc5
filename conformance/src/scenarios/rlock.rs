//! RLock scenarios: the worker bodies and end-of-run checks every driver runs.
//!
//! | scenario | workers | clauses |
//! |---|---|---|
//! | [`SEQUENTIAL`] | 1 | RLOCK-01..04, 06, 10, 11 (and RLOCK-13 as not checkable, [`OVERFLOW_NC`]) |
//! | [`NON_OWNER`] | 2 | RLOCK-05, 06, 07, 09 |
//! | [`WAKE_ON_LAST_RELEASE`] | 1 holder + `waiters` | RLOCK-08, 03, 07 |
//! | [`REENTRANT_EXCLUSION`] | `workers` (2 under loom) | RLOCK-07, 02, 03, 12, 08 |
//! | [`TIMEOUT_ON_HELD`] | 2 | RLOCK-07, 06 |
//!
//! The sequential model's foreign actor (another thread) is the second worker here: under
//! the process driver it is another process, and [`NON_OWNER`]'s owner also starts a helper
//! thread in its own process (normal build only) for RLOCK-09.

use std::time::{Duration, Instant};

use twinsync::sync::atomic::Ordering::*;
use twinsync::{Error, RLockApi, TIMEOUT_MAX};

use super::{
    spin_until, wait_until_blocked, worker_id, yield_now, Checks, Params, Scratch, HAS_CLOCK,
};
use crate::family::{no_finish, Scenario, ScenarioInfo};

/// One worker walks through every operation on a free RLock and at several depths.
pub const SEQUENTIAL: &str = "sequential";
/// Worker 0 owns the RLock at depth 2; worker 1 (another thread or process) tries to release,
/// acquire and introspect it; the owner must keep it at its depth.
pub const NON_OWNER: &str = "non_owner";
/// Worker 0 owns the RLock at depth 3 until every other worker sleeps in `acquire`, then
/// releases one level at a time: nobody may get in before the last release, and every
/// sleeper must get it after.
pub const WAKE_ON_LAST_RELEASE: &str = "wake_on_last_release";
/// Every worker loops: acquire, re-acquire (rotating through the forms), check it is the only
/// owner at each depth, increment a shared counter non-atomically at each depth, release both.
pub const REENTRANT_EXCLUSION: &str = "reentrant_exclusion";
/// Worker 0 owns the RLock at depth 2 while worker 1 times out on it, then at depth 1 (still
/// held), then frees it.
pub const TIMEOUT_ON_HELD: &str = "timeout_on_held";

/// Why RLOCK-13 is not checked by the scenarios.
pub const OVERFLOW_NC: &str = "reaching u32::MAX levels takes 2^32 acquires through the public \
                               API (far beyond a quick run); the algorithm's unit test \
                               recursion_overflow_panics_and_changes_nothing sets the count \
                               directly";

/// Slot: entries into the critical section during [`WAKE_ON_LAST_RELEASE`].
const ENTERED: usize = 0;
/// Slot: critical-section increments expected in [`REENTRANT_EXCLUSION`] (added by each
/// worker at its end: the forms that retry may be abandoned).
const EXPECTED: usize = 1;

/// The RLock scenarios, in the order drivers run them.
pub fn scenarios<S: RLockApi + Sync>() -> Vec<Scenario<S>> {
    fn info(
        name: &'static str,
        clauses: &'static [&'static str],
        workers: fn(&Params) -> usize,
    ) -> ScenarioInfo {
        ScenarioInfo {
            name,
            clauses,
            workers,
            progress: clauses.contains(&"RLOCK-08").then_some("RLOCK-08"),
            repeat: false,
            needs_clock: false,
            clock_clauses: &[],
            not_for_loom: None,
        }
    }
    vec![
        Scenario {
            info: info(
                SEQUENTIAL,
                &[
                    "RLOCK-01", "RLOCK-02", "RLOCK-03", "RLOCK-04", "RLOCK-06", "RLOCK-10",
                    "RLOCK-11",
                ],
                |_| 1,
            ),
            body: |l, _, _, _, c| sequential(l, c),
            finish: no_finish,
        },
        Scenario {
            info: info(
                NON_OWNER,
                &["RLOCK-05", "RLOCK-06", "RLOCK-07", "RLOCK-09"],
                |_| 2,
            ),
            body: |l, s, me, _, c| non_owner(l, s, me, c),
            finish: no_finish,
        },
        Scenario {
            info: info(
                WAKE_ON_LAST_RELEASE,
                &["RLOCK-08", "RLOCK-03", "RLOCK-07"],
                |p| 1 + p.waiters,
            ),
            body: wake_on_last_release,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                // Two levels per iteration double loom's interleavings: 2 workers there.
                ..info(
                    REENTRANT_EXCLUSION,
                    &["RLOCK-07", "RLOCK-02", "RLOCK-03", "RLOCK-12", "RLOCK-08"],
                    |p| {
                        if cfg!(twinsync_loom) {
                            p.workers.min(2)
                        } else {
                            p.workers
                        }
                    },
                )
            },
            body: reentrant_exclusion,
            finish: reentrant_exclusion_finish,
        },
        Scenario {
            info: ScenarioInfo {
                needs_clock: true,
                clock_clauses: &["RLOCK-07"],
                ..info(TIMEOUT_ON_HELD, &["RLOCK-07", "RLOCK-06"], |_| 2)
            },
            body: timeout_on_held,
            finish: no_finish,
        },
    ]
}

fn released(c: &mut Checks, clause: &'static str, r: Result<(), Error>, what: &str) {
    c.check(clause, r.is_ok(), || {
        format!("{what}: release returned {r:?}")
    });
}

/// Checks that the caller owns `l` at `depth` (0: free, and not the caller's).
fn at_depth<S: RLockApi + ?Sized>(l: &S, c: &mut Checks, clause: &'static str, depth: u32) {
    let (locked, owned, count) = (l.locked(), l.is_owned(), l.count());
    let want = depth > 0;
    c.check(
        clause,
        locked == want && owned == want && count == depth,
        || {
            format!(
                "expected depth {depth}: locked() {locked}, is_owned() {owned}, count() {count}"
            )
        },
    );
}

fn sequential<S: RLockApi + ?Sized>(l: &S, c: &mut Checks) {
    let too_large = TIMEOUT_MAX + Duration::from_nanos(1);
    at_depth(l, c, "RLOCK-06", 0);
    c.check("RLOCK-01", l.try_acquire(), || {
        "try_acquire on a free RLock failed".into()
    });
    at_depth(l, c, "RLOCK-01", 1);
    l.acquire();
    at_depth(l, c, "RLOCK-02", 2);
    c.check("RLOCK-02", l.try_acquire(), || {
        "the owner's try_acquire failed".into()
    });
    at_depth(l, c, "RLOCK-02", 3);
    // "At once, whatever the timeout": a wait would not end (TIMEOUT_MAX is 49 days).
    let r = l.acquire_timeout(TIMEOUT_MAX);
    c.check("RLOCK-02", matches!(r, Ok(true)), || {
        format!("the owner's acquire_timeout(TIMEOUT_MAX): {r:?}")
    });
    let r = l.acquire_timeout(Duration::ZERO);
    c.check("RLOCK-02", matches!(r, Ok(true)), || {
        format!("the owner's acquire_timeout(0): {r:?}")
    });
    at_depth(l, c, "RLOCK-02", 5);
    let r = l.acquire_timeout(too_large);
    c.check(
        "RLOCK-10",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("the owner's acquire_timeout(TIMEOUT_MAX + 1ns): {r:?}"),
    );
    at_depth(l, c, "RLOCK-10", 5);
    let r = l.lock_timeout(too_large).map(|g| g.is_some());
    c.check(
        "RLOCK-10",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("the owner's lock_timeout(TIMEOUT_MAX + 1ns): {r:?}"),
    );
    at_depth(l, c, "RLOCK-10", 5);
    for depth in (0..5).rev() {
        released(c, "RLOCK-03", l.release(), "owner");
        at_depth(l, c, "RLOCK-03", depth);
    }
    let r = l.release();
    c.check("RLOCK-04", matches!(r, Err(Error::NotOwner)), || {
        format!("release of a free RLock: {r:?}")
    });
    at_depth(l, c, "RLOCK-04", 0);
    let r = l.acquire_timeout(too_large);
    c.check(
        "RLOCK-10",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("acquire_timeout(TIMEOUT_MAX + 1ns) on a free RLock: {r:?}"),
    );
    at_depth(l, c, "RLOCK-10", 0);
    let r = l.acquire_timeout(Duration::ZERO);
    c.check("RLOCK-01", matches!(r, Ok(true)), || {
        format!("acquire_timeout(0) on a free RLock: {r:?}")
    });
    at_depth(l, c, "RLOCK-01", 1);
    released(c, "RLOCK-03", l.release(), "after acquire_timeout");
    l.acquire();
    at_depth(l, c, "RLOCK-01", 1);
    released(c, "RLOCK-03", l.release(), "after acquire");
    at_depth(l, c, "RLOCK-03", 0);
    // RLOCK-11: each guard form holds one level and gives back exactly that one.
    {
        let _outer = l.lock();
        at_depth(l, c, "RLOCK-11", 1);
        match l.try_lock() {
            Some(inner) => {
                at_depth(l, c, "RLOCK-11", 2);
                match l.lock_timeout(Duration::ZERO) {
                    Ok(Some(g)) => {
                        at_depth(l, c, "RLOCK-11", 3);
                        drop(g);
                    }
                    r => c.check("RLOCK-11", false, || {
                        format!("the owner's lock_timeout(0): {:?}", r.map(|g| g.is_some()))
                    }),
                }
                at_depth(l, c, "RLOCK-11", 2);
                drop(inner);
            }
            None => c.check("RLOCK-11", false, || "the owner's try_lock failed".into()),
        }
        at_depth(l, c, "RLOCK-11", 1);
    }
    at_depth(l, c, "RLOCK-11", 0);
    match l.lock_timeout(TIMEOUT_MAX) {
        Ok(Some(g)) => drop(g),
        r => c.check("RLOCK-11", false, || {
            format!(
                "lock_timeout(TIMEOUT_MAX) on a free RLock: {:?}",
                r.map(|g| g.is_some())
            )
        }),
    }
    at_depth(l, c, "RLOCK-11", 0);
    // Not in the scenario's clause list: shuttle reports every listed clause as passed
    // when no schedule fails, and this one is never checked.
    c.not_checkable("RLOCK-13", OVERFLOW_NC);
}

/// What a thread that does not own the RLock (held at depth 2 by another) must see: the
/// introspection under `intro`, the refused release under `release`, the failed acquires
/// under `exclusion`.
fn as_non_owner<S: RLockApi + ?Sized>(
    l: &S,
    c: &mut Checks,
    [intro, release, exclusion]: [&'static str; 3],
) {
    let (owned, count, locked) = (l.is_owned(), l.count(), l.locked());
    c.check(intro, !owned && count == 0 && locked, || {
        format!("non-owner of a held RLock: is_owned() {owned}, count() {count}, locked() {locked}")
    });
    let r = l.release();
    c.check(release, matches!(r, Err(Error::NotOwner)), || {
        format!("release by a non-owner: {r:?}")
    });
    let got = l.try_acquire();
    c.check(exclusion, !got, || {
        "try_acquire succeeded while another thread owns the RLock".into()
    });
    let r = l.acquire_timeout(Duration::ZERO);
    c.check(exclusion, matches!(r, Ok(false)), || {
        format!("acquire_timeout(0) while another thread owns the RLock: {r:?}")
    });
    if got || matches!(r, Ok(true)) || l.is_owned() {
        // Give back what a broken RLock handed over, so that the run can end.
        while l.release().is_ok() {}
    }
}

fn non_owner<S: RLockApi + Sync + ?Sized>(l: &S, s: &Scratch, me: usize, c: &mut Checks) {
    if me == 0 {
        l.acquire();
        l.acquire();
        // A helper thread of the owner's own process (the checkers' workers are threads of
        // one process already; std threads cannot run inside their models).
        #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
        {
            let helper = std::thread::scope(|t| {
                t.spawn(|| {
                    let mut h = Checks::default();
                    as_non_owner(l, &mut h, ["RLOCK-09"; 3]);
                    h
                })
                .join()
            });
            match helper {
                Ok(h) => c.merge(h),
                Err(_) => c.check("RLOCK-09", false, || "the helper thread panicked".into()),
            }
            at_depth(l, c, "RLOCK-09", 2);
        }
        s.step.store(1, Release);
        spin_until(|| s.step.load(Acquire) == 2);
        at_depth(l, c, "RLOCK-05", 2);
        released(c, "RLOCK-05", l.release(), "owner, level 2");
        released(c, "RLOCK-05", l.release(), "owner, level 1");
        at_depth(l, c, "RLOCK-03", 0);
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
        as_non_owner(l, c, ["RLOCK-06", "RLOCK-05", "RLOCK-07"]);
        if cfg!(any(twinsync_loom, twinsync_shuttle)) {
            // The workers are threads of one process: another thread of the owner's process.
            as_non_owner(l, c, ["RLOCK-09"; 3]);
        }
        s.step.store(2, Release);
    }
}

/// Counts an entry into the critical section and checks nobody else is inside.
fn enter(s: &Scratch, c: &mut Checks, clause: &'static str) {
    let others = s.inside.fetch_add(1, Relaxed);
    if others != 0 {
        s.violations.fetch_add(1, Relaxed);
        c.check(clause, false, || {
            format!("became owner while {others} other owner(s) were inside")
        });
    }
}

fn leave(s: &Scratch) {
    s.inside.fetch_sub(1, Relaxed);
}

/// A non-atomic increment of the shared counter (lost if two owners overlap or a write made
/// under the previous owner is not visible: RLOCK-12).
fn bump(s: &Scratch) {
    let v = s.counter.load(Relaxed);
    s.counter.store(v + 1, Relaxed);
}

fn wake_on_last_release<S: RLockApi + ?Sized>(
    l: &S,
    s: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if me == 0 {
        l.acquire();
        l.acquire();
        l.acquire();
        s.step.store(1, Release);
        let waiters = p.waiters as u32;
        spin_until(|| s.ready.load(Acquire) == waiters);
        for id in &s.ids[1..=p.waiters] {
            // Best effort (a failure detector): see the Lock scenario of the same shape.
            wait_until_blocked(id.load(Acquire), p.block_bound);
        }
        for depth in [2, 1] {
            released(c, "RLOCK-03", l.release(), "owner, not the last level");
            at_depth(l, c, "RLOCK-03", depth);
            let n = s.slots[ENTERED].load(Acquire);
            c.check("RLOCK-08", n == 0, || {
                format!("{n} waiter(s) got the RLock while its owner kept {depth} level(s)")
            });
        }
        released(c, "RLOCK-08", l.release(), "owner, last level");
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
        s.ids[me].store(worker_id(), Relaxed);
        s.ready.fetch_add(1, Release);
        l.acquire();
        s.slots[ENTERED].fetch_add(1, Release);
        enter(s, c, "RLOCK-07");
        l.acquire();
        at_depth(l, c, "RLOCK-03", 2);
        released(c, "RLOCK-03", l.release(), "woken waiter, level 2");
        leave(s);
        released(c, "RLOCK-08", l.release(), "woken waiter, level 1");
        c.check("RLOCK-08", true, String::new);
    }
}

/// Acquires in form `form % 4`, retrying the forms that may fail under contention.
fn acquire_form<S: RLockApi + ?Sized>(l: &S, form: usize, c: &mut Checks) -> bool {
    match form % 4 {
        0 => l.acquire(),
        1 => spin_until(|| l.try_acquire()),
        2 => loop {
            // Under a checker a timed acquire on a held lock fails at once: retry.
            match l.acquire_timeout(Duration::from_secs(60)) {
                Ok(true) => break,
                Ok(false) => yield_now(),
                Err(e) => {
                    c.check("RLOCK-01", false, || format!("acquire_timeout(60 s): {e}"));
                    return false;
                }
            }
        },
        _ => match l.acquire_timeout(Duration::ZERO) {
            Ok(true) => {}
            Ok(false) => l.acquire(),
            Err(e) => {
                c.check("RLOCK-01", false, || format!("acquire_timeout(0): {e}"));
                return false;
            }
        },
    }
    true
}

fn reentrant_exclusion<S: RLockApi + ?Sized>(
    l: &S,
    s: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    let workers = if cfg!(twinsync_loom) {
        p.workers.min(2)
    } else {
        p.workers
    };
    if HAS_CLOCK {
        // Real threads and processes: start together (see the Lock scenario).
        s.ready.fetch_add(1, Release);
        spin_until(|| s.ready.load(Acquire) == workers as u32);
    }
    let mut bumps = 0;
    for i in 0..p.iters as usize {
        if !acquire_form(l, me + i, c) {
            break;
        }
        enter(s, c, "RLOCK-07");
        bump(s);
        // The inner level: a recursive acquire in another form must not wait.
        if !acquire_form(l, me + i + 1, c) {
            leave(s);
            let _ = l.release();
            break;
        }
        let n = l.count();
        c.check("RLOCK-02", n == 2, || {
            format!("count() is {n} after a recursive acquire under contention")
        });
        bump(s);
        bumps += 2;
        if let Err(e) = l.release() {
            c.check("RLOCK-03", false, || {
                format!("the inner release failed: {e}")
            });
        }
        let (owned, n) = (l.is_owned(), l.count());
        c.check("RLOCK-03", owned && n == 1, || {
            format!("after the inner release: is_owned() {owned}, count() {n}")
        });
        leave(s);
        if let Err(e) = l.release() {
            c.check("RLOCK-07", false, || {
                format!("the owner's last release failed ({e}): another owner released it")
            });
        }
    }
    s.slots[EXPECTED].fetch_add(bumps, Release);
    c.check("RLOCK-08", true, String::new);
}

fn reentrant_exclusion_finish(s: &Scratch, _: &Params, c: &mut Checks) {
    let v = s.violations.load(Acquire);
    c.check("RLOCK-07", v == 0, || {
        format!("{v} acquires found another owner inside")
    });
    let (got, want) = (s.counter.load(Acquire), s.slots[EXPECTED].load(Acquire));
    c.check("RLOCK-12", got == want, || {
        format!("counter is {got}, expected {want}: a write under one owner was lost")
    });
}

fn timeout_on_held<S: RLockApi + ?Sized>(
    l: &S,
    s: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if me == 0 {
        l.acquire();
        l.acquire();
        s.step.store(1, Release);
        spin_until(|| s.step.load(Acquire) == 2);
        released(c, "RLOCK-03", l.release(), "owner, level 2");
        s.step.store(3, Release);
        spin_until(|| s.step.load(Acquire) == 4);
        released(c, "RLOCK-03", l.release(), "owner, level 1");
        s.step.store(5, Release);
    } else {
        for (depth, go, next) in [(2, 1, 2), (1, 3, 4)] {
            spin_until(|| s.step.load(Acquire) == go);
            let t0 = Instant::now();
            let r = l.acquire_timeout(p.timeout);
            let el = t0.elapsed();
            c.check_timed("RLOCK-07", matches!(r, Ok(false)), el >= p.timeout, || {
                format!(
                    "acquire_timeout({:?}) on an RLock owned by another worker at depth \
                     {depth}: {r:?} after {el:?}",
                    p.timeout
                )
            });
            let r = l.lock_timeout(Duration::ZERO).map(|g| g.is_some());
            c.check("RLOCK-07", matches!(r, Ok(false)), || {
                format!("lock_timeout(0) on an RLock owned by another worker: {r:?}")
            });
            let (owned, count) = (l.is_owned(), l.count());
            c.check("RLOCK-06", !owned && count == 0, || {
                format!("after a timed-out acquire: is_owned() {owned}, count() {count}")
            });
            s.step.store(next, Release);
        }
        spin_until(|| s.step.load(Acquire) == 5);
        let r = l.acquire_timeout(p.timeout);
        c.check("RLOCK-07", matches!(r, Ok(true)), || {
            format!("acquire_timeout on an RLock freed by its owner: {r:?}")
        });
        at_depth(l, c, "RLOCK-06", 1);
        released(c, "RLOCK-03", l.release(), "after the timeouts");
    }
}
