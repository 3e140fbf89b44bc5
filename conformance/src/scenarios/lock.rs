//! Lock scenarios: the worker bodies and end-of-run checks every driver runs.
//!
//! | scenario | workers | clauses |
//! |---|---|---|
//! | [`SEQUENTIAL`] | 1 | LOCK-01..05, 09, 10 |
//! | [`CROSS_RELEASE`] | 2 | LOCK-06 |
//! | [`WAKE_ON_RELEASE`] | 1 holder + `waiters` | LOCK-08, LOCK-07 |
//! | [`MUTUAL_EXCLUSION`] | `workers` | LOCK-07, LOCK-11, LOCK-08 |
//! | [`TIMEOUT_ON_HELD`] | 2 | LOCK-03, LOCK-02 |

use std::time::{Duration, Instant};

use twinsync::sync::atomic::Ordering::*;
use twinsync::{Error, LockApi, TIMEOUT_MAX};

use super::{
    spin_until, wait_until_blocked, worker_id, yield_now, Checks, Params, Scratch, HAS_CLOCK,
};
use crate::family::{no_finish, Scenario, ScenarioInfo};

/// The Lock scenarios, in the order drivers run them.
pub fn scenarios<L: LockApi>() -> Vec<Scenario<L>> {
    fn info(
        name: &'static str,
        clauses: &'static [&'static str],
        workers: fn(&Params) -> usize,
    ) -> ScenarioInfo {
        ScenarioInfo {
            name,
            clauses,
            workers,
            progress: clauses.contains(&"LOCK-08").then_some("LOCK-08"),
            repeat: false,
            needs_clock: false,
            clock_clauses: &[],
            not_for_loom: None,
        }
    }
    vec![
        Scenario {
            info: ScenarioInfo {
                clock_clauses: &["LOCK-03"],
                ..info(
                    SEQUENTIAL,
                    &[
                        "LOCK-01", "LOCK-02", "LOCK-03", "LOCK-04", "LOCK-05", "LOCK-09", "LOCK-10",
                    ],
                    |_| 1,
                )
            },
            body: |l, _, _, p, c| sequential(l, p, c),
            finish: no_finish,
        },
        Scenario {
            info: info(CROSS_RELEASE, &["LOCK-06"], |_| 2),
            body: |l, s, me, _, c| cross_release(l, s, me, c),
            finish: no_finish,
        },
        Scenario {
            info: info(WAKE_ON_RELEASE, &["LOCK-08", "LOCK-07"], |p| 1 + p.waiters),
            body: wake_on_release,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                ..info(MUTUAL_EXCLUSION, &["LOCK-07", "LOCK-11", "LOCK-08"], |p| {
                    p.workers
                })
            },
            body: mutual_exclusion,
            finish: mutual_exclusion_finish,
        },
        Scenario {
            info: ScenarioInfo {
                needs_clock: true,
                clock_clauses: &["LOCK-03"],
                ..info(TIMEOUT_ON_HELD, &["LOCK-03", "LOCK-02"], |_| 2)
            },
            body: timeout_on_held,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                needs_clock: true,
                clock_clauses: &["LOCK-13"],
                ..info(TIMEOUT_UNDER_INTERRUPTS, &["LOCK-13", "LOCK-08"], |_| 2)
            },
            body: timeout_under_interrupts,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                ..info(HISTORY, &["LOCK-12", "LOCK-08"], history_workers)
            },
            body: history,
            finish: no_finish,
        },
    ]
}

/// Operation codes of [`HISTORY`]'s records ([`RawOp::op`](super::RawOp::op)); results are 1
/// for `true` / `Ok`, 0 for `false` / `NotHeld`.
pub mod op {
    /// `acquire()`.
    pub const ACQUIRE: u32 = 0;
    /// `try_acquire()`.
    pub const TRY_ACQUIRE: u32 = 1;
    /// `acquire_timeout(d)`.
    pub const ACQUIRE_TIMEOUT: u32 = 2;
    /// `release()`.
    pub const RELEASE: u32 = 3;
}

/// Most operations a worker records in [`HISTORY`] (the checker's search grows with the
/// number of overlapping operations, not with the run's length, but the history is kept).
pub const HISTORY_OPS: u32 = 400;

/// One worker walks through every operation on a free and a held lock.
pub const SEQUENTIAL: &str = "sequential";
/// Worker 0 acquires, worker 1 releases.
pub const CROSS_RELEASE: &str = "cross_release";
/// Worker 0 holds the lock until every other worker sleeps in `acquire`, then releases; every
/// sleeper must get the lock in turn.
pub const WAKE_ON_RELEASE: &str = "wake_on_release";
/// Every worker loops: acquire (rotating through the acquire forms), check it is alone,
/// increment a shared counter non-atomically, release.
pub const MUTUAL_EXCLUSION: &str = "mutual_exclusion";
/// Worker 0 holds the lock while worker 1 times out on it.
pub const TIMEOUT_ON_HELD: &str = "timeout_on_held";
/// Worker 0 holds the lock while worker 1 makes timed acquires and worker 0 interrupts
/// worker 1's futex sleep with a signal again and again (each interruption is a wake-up that
/// does not get the lock); each timed acquire must return within its timeout plus
/// [`CHURN_SLACK`] (LOCK-13). Real drivers only (a signal needs a real thread).
pub const TIMEOUT_UNDER_INTERRUPTS: &str = "timeout_under_interrupts";

/// The timed acquires' timeout in [`TIMEOUT_UNDER_INTERRUPTS`].
pub const CHURN_TIMEOUT: Duration = Duration::from_millis(20);
/// Scheduling slack allowed on top of it (a loaded CI machine can delay a wake-up by tens of
/// milliseconds; a restarted timeout overshoots by the whole interruption period).
pub const CHURN_SLACK: Duration = Duration::from_millis(250);
/// How long worker 0 keeps interrupting.
pub const CHURN_TIME: Duration = Duration::from_millis(800);

/// Up to 3 workers run a deterministic mix of every acquire form, releases and stray
/// releases, recording each operation; the merged history must be linearizable (LOCK-12).
pub const HISTORY: &str = "history";

fn mutual_exclusion_finish(s: &Scratch, p: &Params, c: &mut Checks) {
    let v = s.violations.load(Acquire);
    c.check("LOCK-07", v == 0, || {
        format!("{v} critical sections found another holder")
    });
    let (got, want) = (
        s.counter.load(Acquire),
        p.workers as u64 * u64::from(p.iters),
    );
    c.check("LOCK-11", got == want, || {
        format!("counter is {got}, expected {want}: a critical section missed a write")
    });
}

fn released(c: &mut Checks, clause: &'static str, r: Result<(), Error>, what: &str) {
    c.check(clause, r.is_ok(), || {
        format!("{what}: release returned {r:?}")
    });
}

fn sequential<L: LockApi + ?Sized>(l: &L, p: &Params, c: &mut Checks) {
    let too_large = TIMEOUT_MAX + Duration::from_nanos(1);
    c.check("LOCK-01", !l.locked(), || "a new lock is locked()".into());
    c.check("LOCK-01", l.try_acquire(), || {
        "try_acquire on a free lock failed".into()
    });
    c.check("LOCK-01", l.locked(), || {
        "locked() is false after try_acquire".into()
    });
    c.check("LOCK-02", !l.try_acquire(), || {
        "the holder's try_acquire succeeded (reentrant)".into()
    });
    c.check("LOCK-02", l.locked(), || {
        "a failed try_acquire freed the lock".into()
    });
    let zero = l.acquire_timeout(Duration::ZERO);
    c.check_timed("LOCK-03", matches!(zero, Ok(false)), true, || {
        format!("acquire_timeout(0) on a held lock: {zero:?}")
    });
    let t0 = Instant::now();
    let r = l.acquire_timeout(p.timeout);
    let el = t0.elapsed();
    c.check_timed("LOCK-03", matches!(r, Ok(false)), el >= p.timeout, || {
        format!(
            "acquire_timeout({:?}) on a held lock: {r:?} after {el:?}",
            p.timeout
        )
    });
    let r = l.acquire_timeout(too_large);
    c.check(
        "LOCK-09",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("acquire_timeout(TIMEOUT_MAX + 1ns) on a held lock: {r:?}"),
    );
    c.check("LOCK-09", l.locked(), || {
        "a rejected timeout freed the lock".into()
    });
    released(c, "LOCK-04", l.release(), "holder");
    c.check("LOCK-04", !l.locked(), || {
        "locked() is true after release".into()
    });
    let r = l.release();
    c.check("LOCK-05", matches!(r, Err(Error::NotHeld)), || {
        format!("release of a free lock: {r:?}")
    });
    c.check("LOCK-05", !l.locked(), || {
        "release of a free lock made it locked".into()
    });
    let r = l.acquire_timeout(too_large);
    c.check(
        "LOCK-09",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("acquire_timeout(TIMEOUT_MAX + 1ns) on a free lock: {r:?}"),
    );
    c.check("LOCK-09", !l.locked(), || {
        "a rejected timeout acquired the lock".into()
    });
    l.acquire();
    c.check("LOCK-01", l.locked(), || {
        "locked() is false after acquire".into()
    });
    released(c, "LOCK-04", l.release(), "after acquire");
    let r = l.acquire_timeout(p.timeout);
    c.check("LOCK-01", matches!(r, Ok(true)) && l.locked(), || {
        format!("acquire_timeout on a free lock: {r:?}")
    });
    released(c, "LOCK-04", l.release(), "after acquire_timeout");
    let r = l.acquire_timeout(TIMEOUT_MAX);
    c.check("LOCK-09", matches!(r, Ok(true)), || {
        format!("acquire_timeout(TIMEOUT_MAX) on a free lock: {r:?}")
    });
    released(
        c,
        "LOCK-04",
        l.release(),
        "after acquire_timeout(TIMEOUT_MAX)",
    );
    // LOCK-10: each guard form releases on drop.
    {
        let g = l.lock();
        c.check("LOCK-10", g.lock().locked(), || {
            "lock() guard: lock not held".into()
        });
        c.check("LOCK-10", l.try_lock().is_none(), || {
            "try_lock on a guarded lock succeeded".into()
        });
        c.check("LOCK-10", l.locked(), || {
            "a failed try_lock released the lock held by another guard".into()
        });
        let r = l.lock_timeout(Duration::ZERO).map(|g| g.is_some());
        c.check("LOCK-10", matches!(r, Ok(false)) && l.locked(), || {
            format!(
                "lock_timeout(0) on a guarded lock: {r:?}, locked() {} afterwards",
                l.locked()
            )
        });
    }
    c.check("LOCK-10", !l.locked(), || {
        "lock() guard did not release on drop".into()
    });
    match l.try_lock() {
        Some(g) => drop(g),
        None => c.check("LOCK-10", false, || "try_lock on a free lock failed".into()),
    }
    c.check("LOCK-10", !l.locked(), || {
        "try_lock() guard did not release on drop".into()
    });
    match l.lock_timeout(p.timeout) {
        Ok(Some(g)) => drop(g),
        r => c.check("LOCK-10", false, || {
            format!("lock_timeout on a free lock: {:?}", r.map(|g| g.is_some()))
        }),
    }
    c.check("LOCK-10", !l.locked(), || {
        "lock_timeout() guard did not release on drop".into()
    });
    let r = l.lock_timeout(too_large).map(|g| g.is_some());
    c.check(
        "LOCK-09",
        matches!(r, Err(Error::TimeoutTooLarge { .. })) && !l.locked(),
        || format!("lock_timeout(TIMEOUT_MAX + 1ns): {r:?}"),
    );
}

fn cross_release<L: LockApi + ?Sized>(l: &L, s: &Scratch, me: usize, c: &mut Checks) {
    if me == 0 {
        l.acquire();
        s.step.store(1, Release);
        spin_until(|| s.step.load(Acquire) == 2);
        c.check("LOCK-06", !l.locked(), || {
            "still locked after another worker released it".into()
        });
        c.check("LOCK-06", l.try_acquire(), || {
            "cannot re-acquire after another worker released it".into()
        });
        released(c, "LOCK-04", l.release(), "after the cross release");
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
        c.check("LOCK-06", l.locked(), || {
            "not locked while another worker holds it".into()
        });
        let r = l.release();
        c.check("LOCK-06", r.is_ok(), || {
            format!("release by a non-holder: {r:?}")
        });
        s.step.store(2, Release);
    }
}

fn critical_section(s: &Scratch, c: &mut Checks, clause: &'static str) {
    let others = s.inside.fetch_add(1, Relaxed);
    if others != 0 {
        s.violations.fetch_add(1, Relaxed);
        c.check(clause, false, || {
            format!("entered while {others} other holder(s) were inside")
        });
    }
    let v = s.counter.load(Relaxed);
    s.counter.store(v + 1, Relaxed);
    s.inside.fetch_sub(1, Relaxed);
}

fn wake_on_release<L: LockApi + ?Sized>(l: &L, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    if me == 0 {
        l.acquire();
        s.step.store(1, Release);
        let waiters = p.waiters as u32;
        spin_until(|| s.ready.load(Acquire) == waiters);
        for id in &s.ids[1..=p.waiters] {
            // Best effort: if a waiter is not seen asleep in time, release anyway (a correct
            // lock still passes; a lost wake-up may then go unseen in this run).
            wait_until_blocked(id.load(Acquire), p.block_bound);
        }
        released(c, "LOCK-08", l.release(), "holder");
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
        s.ids[me].store(worker_id(), Relaxed);
        s.ready.fetch_add(1, Release);
        l.acquire();
        critical_section(s, c, "LOCK-07");
        released(c, "LOCK-08", l.release(), "woken waiter");
        c.check("LOCK-08", true, String::new);
    }
}

fn mutual_exclusion<L: LockApi + ?Sized>(
    l: &L,
    s: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if HAS_CLOCK {
        // Real threads and processes: start together, or the first worker may finish before
        // the last one starts and nothing contends. (A checker explores every start order.)
        s.ready.fetch_add(1, Release);
        spin_until(|| s.ready.load(Acquire) == p.workers as u32);
    }
    for i in 0..p.iters as usize {
        // Rotate through the acquire forms, so that each meets the others under contention.
        match (me + i) % 4 {
            0 => l.acquire(),
            1 => {
                let _g = l.lock();
                critical_section(s, c, "LOCK-07");
                continue;
            }
            2 => spin_until(|| l.try_acquire()),
            _ => loop {
                // Under a checker a timed acquire on a held lock fails at once: retry.
                match l.acquire_timeout(Duration::from_secs(60)) {
                    Ok(true) => break,
                    Ok(false) => yield_now(),
                    Err(e) => {
                        c.check("LOCK-01", false, || format!("acquire_timeout(60 s): {e}"));
                        return;
                    }
                }
            },
        }
        critical_section(s, c, "LOCK-07");
        if let Err(e) = l.release() {
            c.check("LOCK-07", false, || {
                format!("the holder's release failed ({e}): another holder released it")
            });
        }
    }
    c.check("LOCK-08", true, String::new);
}

fn timeout_on_held<L: LockApi + ?Sized>(l: &L, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    if me == 0 {
        l.acquire();
        s.step.store(1, Release);
        spin_until(|| s.step.load(Acquire) == 2);
        released(c, "LOCK-04", l.release(), "holder");
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
        c.check("LOCK-02", !l.try_acquire(), || {
            "try_acquire on a lock held by another worker succeeded".into()
        });
        let t0 = Instant::now();
        let r = l.acquire_timeout(p.timeout);
        let el = t0.elapsed();
        c.check_timed("LOCK-03", matches!(r, Ok(false)), el >= p.timeout, || {
            format!(
                "acquire_timeout({:?}) on a lock held by another worker: {r:?} after {el:?}",
                p.timeout
            )
        });
        s.step.store(2, Release);
    }
}

/// Workers of [`HISTORY`]: up to 3; 2 under loom, where 3 workers with a blocking acquire
/// each do not finish in minutes (mutual_exclusion covers 3 workers there).
fn history_workers(p: &Params) -> usize {
    if cfg!(twinsync_loom) {
        2
    } else {
        p.workers.min(3)
    }
}

/// A deterministic mix for worker `me`: each acquisition (any form) is followed by the same
/// worker's release, and some releases are stray (by a worker that did not just acquire), so
/// the lock never stays held while everyone waits: every acquisition is followed by a release
/// that frees the lock or finds it already freed.
fn history<L: LockApi + ?Sized>(l: &L, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    if HAS_CLOCK {
        s.ready.fetch_add(1, Release);
        spin_until(|| s.ready.load(Acquire) == history_workers(p) as u32);
    }
    let n = p.iters.min(HISTORY_OPS) as usize;
    let release = |c: &mut Checks| {
        let t = super::now();
        let r = l.release();
        c.record(me, t, op::RELEASE, 0, u64::from(r.is_ok()));
    };
    for i in 0..n {
        let pick = (me * 5 + i * 3 + i / 7) % 8;
        let t = super::now();
        let got = match pick {
            0..=2 => {
                let ok = l.try_acquire();
                c.record(me, t, op::TRY_ACQUIRE, 0, u64::from(ok));
                ok
            }
            3 | 4 => {
                l.acquire();
                c.record(me, t, op::ACQUIRE, 0, 1);
                true
            }
            5 => match l.acquire_timeout(Duration::from_micros(50)) {
                Ok(ok) => {
                    c.record(me, t, op::ACQUIRE_TIMEOUT, 0, u64::from(ok));
                    ok
                }
                Err(e) => {
                    c.check("LOCK-12", false, || format!("acquire_timeout(50 us): {e}"));
                    return;
                }
            },
            _ => {
                // A stray release: by a worker that holds nothing (it may free another's
                // hold, which Lock allows, or find the lock free).
                let r = l.release();
                c.record(me, t, op::RELEASE, 0, u64::from(r.is_ok()));
                false
            }
        };
        if got {
            yield_now();
            release(c);
        }
    }
}

fn timeout_under_interrupts<L: LockApi + ?Sized>(
    l: &L,
    s: &Scratch,
    me: usize,
    _p: &Params,
    c: &mut Checks,
) {
    if me == 0 {
        l.acquire();
        s.step.store(1, Release);
        spin_until(|| s.ready.load(Acquire) == 1);
        let waiter = s.ids[1].load(Acquire);
        let t0 = Instant::now();
        while t0.elapsed() < CHURN_TIME && s.step.load(Acquire) == 1 {
            super::interrupt(waiter);
            yield_now();
        }
        released(c, "LOCK-04", l.release(), "interrupting holder");
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
        super::catch_interrupts();
        s.ids[1].store(worker_id(), Release);
        s.ready.store(1, Release);
        let t0 = Instant::now();
        while t0.elapsed() < CHURN_TIME - CHURN_TIMEOUT {
            let t = Instant::now();
            let r = l.acquire_timeout(CHURN_TIMEOUT);
            let took = t.elapsed();
            if let Ok(true) = r {
                let _ = l.release();
            }
            let ok = r.is_ok();
            c.check_timed("LOCK-13", ok, took <= CHURN_TIMEOUT + CHURN_SLACK, || {
                format!(
                    "acquire_timeout({CHURN_TIMEOUT:?}) on a held lock, its sleep interrupted \
                     by signals, returned {r:?} after {took:?}: the timeout was restarted"
                )
            });
            if took > CHURN_TIMEOUT + CHURN_SLACK {
                break;
            }
        }
        s.step.store(2, Release);
    }
}
