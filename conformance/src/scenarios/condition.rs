//! Condition scenarios: the worker bodies and end-of-run checks every driver runs.
//!
//! | scenario | workers | clauses |
//! |---|---|---|
//! | [`SEQUENTIAL`] | 1 | COND-01..04, 07, 11, 12 (a walk through the model) |
//! | [`WAIT_RELEASES`] | 2 | COND-02 (depth 3 over an RLock), COND-09 |
//! | [`NOTIFY_N`] | 1 notifier + `waiters` | COND-05, COND-10, COND-09 |
//! | [`NOTIFY_ALL`] | 1 notifier + max(2, `waiters`) | COND-06, COND-13 |
//! | [`WAIT_FOR`] | 2 | COND-04, COND-10 |
//! | [`TIMEOUT_RACE`] | 3 | COND-08, COND-05, COND-03 |
//! | [`LATE_WAITER`] | 2 | COND-09, COND-08 |
//!
//! Every body works over a reentrant lock (an RLock) or a plain Lock: [`reentrant`] tells them
//! apart. Waiters register under the condition's lock (a scratch counter incremented while
//! holding it, just before `wait`), so a worker that later holds the lock and sees the count
//! knows they are inside `wait`.
//!
//! Slots of the [`Scratch`]: 0 waiters woken, 1 bit `i` set when waiter `i` was woken, 2 the
//! notifier's process id, 3 the `wait_for` value, 4 the predicate's calls, 5 the timed waiter
//! registered, 6 its result (1 false, 2 true), 7 the untimed waiter registered.

use std::time::Duration;

use twinsync::sync::atomic::Ordering::*;
use twinsync::sync::futex::{self, Scope};
use twinsync::{ConditionApi, ConditionLock, Error};

use super::{spin_until, wait_until_blocked, worker_id, Checks, Params, Scratch, HAS_CLOCK};
use crate::family::{no_finish, Scenario, ScenarioInfo};
use crate::spec::condition::{apply, CondModel, CondOp, CondResult};
use crate::spec::lock::GuardForm;

/// One worker walks through every operation at every depth the lock allows, comparing each
/// result with the model's.
pub const SEQUENTIAL: &str = "sequential";
/// Worker 0 holds the lock at depth 3 (1 over a plain Lock) and waits; worker 1 must be able to
/// take the lock meanwhile, notifies, and worker 0 must get it back at the same depth.
pub const WAIT_RELEASES: &str = "wait_releases";
/// Every waiter sleeps in `wait`; `notify(0)` then `notify(waiters - 1)` must wake exactly
/// `waiters - 1` of them (the last one stays asleep), one more `notify(1)` the last.
pub const NOTIFY_N: &str = "notify_n";
/// Every waiter sleeps (half in `wait`, half in `wait_timeout` where there is a clock);
/// `notify_all` must wake them all.
pub const NOTIFY_ALL: &str = "notify_all";
/// A waiter in `wait_for` over a scratch counter that the notifier raises three times, with a
/// notify each time.
pub const WAIT_FOR: &str = "wait_for";
/// Waiter A (short timeout) and waiter B (no timeout); `notify(1)` races A's timeout: if A
/// returns false, the notification must reach B.
pub const TIMEOUT_RACE: &str = "timeout_race";
/// B sleeps in `wait`; the notifier calls `notify(1)` and then waits with a timeout itself: it
/// must time out (the notification is B's), and B must be woken.
pub const LATE_WAITER: &str = "late_waiter";

const WOKEN: usize = 0;
const WOKEN_MASK: usize = 1;
const PID: usize = 2;
const VALUE: usize = 3;
const CALLS: usize = 4;
const A_IN: usize = 5;
const A_RESULT: usize = 6;
const B_IN: usize = 7;
/// When A's timed wait ends (its call time plus its timeout, ns of [`super::now`]).
const A_DEADLINE: usize = 8;

/// Whether the condition's lock is reentrant (an RLock). A lock's
/// [`Saved`](ConditionLock::Saved) state is the recursion depth for an RLock and nothing (`()`)
/// for a plain Lock.
pub fn reentrant<S: ConditionApi + ?Sized>() -> bool {
    std::mem::size_of::<<S::Lock as ConditionLock>::Saved>() != 0
}

/// The Condition scenarios, in the order drivers run them.
pub fn scenarios<S: ConditionApi>() -> Vec<Scenario<S>> {
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
                clock_clauses: &["COND-03"],
                ..info(
                    SEQUENTIAL,
                    &[
                        "COND-01", "COND-02", "COND-03", "COND-04", "COND-07", "COND-11", "COND-12",
                    ],
                    |_| 1,
                    None,
                )
            },
            body: |s, _, _, p, c| sequential(s, p, c),
            finish: no_finish,
        },
        Scenario {
            info: info(
                WAIT_RELEASES,
                &["COND-02", "COND-09"],
                |_| 2,
                Some("COND-02"),
            ),
            body: wait_releases,
            finish: no_finish,
        },
        Scenario {
            info: info(
                NOTIFY_N,
                &["COND-05", "COND-10", "COND-09"],
                |p| 1 + p.waiters.max(1),
                Some("COND-09"),
            ),
            body: notify_n,
            finish: no_finish,
        },
        Scenario {
            info: info(
                NOTIFY_ALL,
                &["COND-06", "COND-13"],
                |p| 1 + p.waiters.max(2),
                Some("COND-06"),
            ),
            body: notify_all,
            finish: no_finish,
        },
        Scenario {
            info: info(WAIT_FOR, &["COND-04", "COND-10"], |_| 2, Some("COND-04")),
            body: wait_for,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                not_for_loom: Some(
                    "three threads racing a timed wait exceed loom's budget; under loom, \
                     late_waiter catches a waiter that takes another's notification",
                ),
                ..info(
                    TIMEOUT_RACE,
                    &["COND-08", "COND-05", "COND-03"],
                    |_| 3,
                    Some("COND-08"),
                )
            },
            body: timeout_race,
            finish: no_finish,
        },
        Scenario {
            info: info(LATE_WAITER, &["COND-09", "COND-08"], |_| 2, Some("COND-09")),
            body: late_waiter,
            finish: no_finish,
        },
    ]
}

/// Takes the lock once `ready` holds. The flags `ready` reads are raised by waiters while
/// they hold the lock, just before they wait: a worker that sees them and then gets the lock
/// knows those waiters are inside `wait` (they released the lock there and nowhere else).
fn enter_after<S: ConditionApi + ?Sized>(s: &S, ready: impl FnMut() -> bool) {
    spin_until(ready);
    s.acquire();
}

fn ok(c: &mut Checks, clause: &'static str, r: Result<(), Error>, what: &str) {
    c.check(clause, r.is_ok(), || format!("{what}: {r:?}"));
}

/// Every operation, with timeouts that are zero, short and too large.
fn ops(short: Duration) -> Vec<CondOp> {
    let too_large = twinsync::TIMEOUT_MAX + Duration::from_nanos(1);
    let mut v = vec![
        CondOp::IsMine,
        CondOp::TryAcquire,
        CondOp::Release,
        CondOp::Acquire,
        CondOp::Release,
        CondOp::Guard(GuardForm::Lock),
        CondOp::Guard(GuardForm::TryLock),
        CondOp::Wait,
        CondOp::Notify(0),
        CondOp::Notify(1),
        CondOp::Notify(usize::MAX),
        CondOp::NotifyAll,
    ];
    for d in [Duration::ZERO, short, too_large] {
        v.push(CondOp::AcquireTimeout(d));
        v.push(CondOp::Release);
        v.push(CondOp::Guard(GuardForm::LockTimeout(d)));
        v.push(CondOp::WaitTimeout(d));
    }
    for true_on_call in 0..=2 {
        for timeout in [None, Some(Duration::ZERO), Some(short), Some(too_large)] {
            v.push(CondOp::WaitFor {
                true_on_call,
                timeout,
            });
        }
    }
    v
}

/// Whether `op` is a `wait_for` that must wait out a non-zero timeout: without a clock its
/// timed waits expire at once but its deadline does not, so it calls the predicate more often
/// than the model says (checked where there is a clock).
fn waits_out(m: &CondModel, op: CondOp) -> bool {
    matches!(op, CondOp::WaitFor { true_on_call, timeout: Some(d) }
        if m.depth > 0 && true_on_call != 1 && !d.is_zero() && d <= twinsync::TIMEOUT_MAX)
}

/// Walks [`ops`] at each depth (0..=2 over an RLock, 0..=1 over a Lock), restoring the depth
/// after every operation, and compares every result with the model's.
fn sequential<S: ConditionApi + ?Sized>(s: &S, p: &Params, c: &mut Checks) {
    let mut m = if reentrant::<S>() {
        CondModel::over_rlock()
    } else {
        CondModel::over_lock()
    };
    let short = p.timeout.min(Duration::from_millis(2));
    let max_depth = if m.reentrant { 2 } else { 1 };
    for depth in 0..=max_depth {
        for op in ops(short) {
            if !m.enabled(op) || (!HAS_CLOCK && waits_out(&m, op)) {
                continue;
            }
            let clause = m.clause(op);
            let before = m;
            let want = m.step(op);
            let (got, took) = apply(s, op);
            c.check(clause, got == want, || {
                format!(
                    "{op:?} at depth {}: {got:?}, the model says {want:?}",
                    before.depth
                )
            });
            if got != want {
                return;
            }
            if let (CondOp::WaitTimeout(d), CondResult::Waited(Ok(false), true)) = (op, got) {
                c.check_timed(clause, true, took >= d, || {
                    format!("{op:?} timed out after only {took:?}")
                });
            }
            while m.depth > depth {
                m.step(CondOp::Release);
                ok(c, "COND-01", s.release(), "restoring the depth");
            }
            while m.depth < depth {
                m.step(CondOp::Acquire);
                s.acquire();
            }
        }
        if depth < max_depth {
            m.step(CondOp::Acquire);
            s.acquire();
        }
    }
    while m.depth > 0 {
        m.step(CondOp::Release);
        ok(c, "COND-01", s.release(), "final release");
    }
    c.check("COND-01", !s.lock().is_mine(), || {
        "the lock is still mine after releasing every level".into()
    });
}

fn wait_releases<S: ConditionApi + ?Sized>(
    s: &S,
    sc: &Scratch,
    me: usize,
    _: &Params,
    c: &mut Checks,
) {
    let depth = if reentrant::<S>() { 3 } else { 1 };
    if me == 0 {
        for _ in 0..depth {
            s.acquire();
        }
        sc.step.store(1, Release);
        let r = s.wait();
        ok(c, "COND-09", r, "wait");
        c.check("COND-02", sc.step.load(Acquire) == 2, || {
            "wait returned before the other worker notified".into()
        });
        c.check("COND-02", s.lock().is_mine(), || {
            "the lock is not mine after wait returned".into()
        });
        for i in 0..depth {
            let r = s.release();
            c.check("COND-02", r.is_ok(), || {
                format!("release {} of {depth} after wait: {r:?}", i + 1)
            });
        }
        c.check("COND-02", !s.lock().is_mine(), || {
            format!("the lock is still mine after {depth} releases: wait restored it deeper")
        });
    } else {
        spin_until(|| sc.step.load(Acquire) == 1);
        // Blocks for good unless the waiter's wait released every level (the progress clause).
        s.acquire();
        c.check("COND-02", s.lock().is_mine(), || {
            "acquired the lock the waiter released, yet it is not mine".into()
        });
        sc.step.store(2, Release);
        ok(c, "COND-09", s.notify(1), "notify(1)");
        ok(c, "COND-01", s.release(), "release");
    }
}

/// A waiter: registers under the lock, waits, and (if `count`) counts itself woken under the
/// lock. Under a checker it publishes no id ([`wait_until_blocked`] needs none there): every
/// atomic access is a scheduling point the checker must explore.
fn waiter<S: ConditionApi + ?Sized>(
    s: &S,
    sc: &Scratch,
    me: usize,
    (timed, count): (bool, bool),
    clause: &'static str,
    c: &mut Checks,
) {
    s.acquire();
    if HAS_CLOCK {
        sc.ids[me].store(worker_id(), Relaxed);
    }
    sc.ready.fetch_add(1, Release);
    futex::wake_all(&sc.ready, Scope::Shared);
    let r = if timed {
        s.wait_timeout(Duration::from_secs(60))
    } else {
        s.wait().map(|()| true)
    };
    c.check(clause, matches!(r, Ok(true)), || {
        format!("waiter {me}: wait returned {r:?}")
    });
    if count {
        sc.slots[WOKEN].fetch_add(1, Relaxed);
        sc.slots[WOKEN_MASK].fetch_or(1 << me, Release);
    }
    ok(c, "COND-01", s.release(), "waiter's release");
}

/// Blocks until `k` waiters have registered (each wakes this futex after counting itself).
/// Blocking, not spinning: under loom a spin loop multiplies the interleavings to explore.
/// `Scope::Shared` works on private and shared memory alike (the scratch is either).
fn until_registered(sc: &Scratch, k: usize) {
    loop {
        let n = sc.ready.load(Acquire);
        if n as usize >= k {
            return;
        }
        futex::wait(&sc.ready, n, None, Scope::Shared);
    }
}

/// Waits (best effort) until the waiters not yet woken sleep in the kernel (real drivers
/// only: under a checker [`wait_until_blocked`] returns at once).
fn until_asleep(sc: &Scratch, waiters: usize, p: &Params) {
    if !HAS_CLOCK {
        return;
    }
    let woken = sc.slots[WOKEN_MASK].load(Acquire);
    for (i, id) in sc.ids.iter().enumerate().take(waiters + 1).skip(1) {
        if woken & (1 << i) == 0 {
            wait_until_blocked(id.load(Acquire), p.block_bound);
        }
    }
}

fn notify_n<S: ConditionApi + ?Sized>(s: &S, sc: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let k = p.waiters.max(1);
    if me > 0 {
        return waiter(s, sc, me, (false, true), "COND-09", c);
    }
    until_registered(sc, k);
    s.acquire();
    until_asleep(sc, k, p);
    ok(c, "COND-05", s.notify(0), "notify(0)");
    ok(c, "COND-05", s.notify(k - 1), "notify(waiters - 1)");
    ok(c, "COND-01", s.release(), "notifier's release");
    let want = k as u64 - 1;
    spin_until(|| sc.slots[WOKEN].load(Acquire) >= want);
    // The last waiter must still be asleep: wait until it is seen asleep, then count.
    until_asleep(sc, k, p);
    s.acquire();
    let got = sc.slots[WOKEN].load(Relaxed);
    c.check("COND-05", got == want, || {
        format!("notify(0) + notify({want}) with {k} waiters asleep: {got} returned")
    });
    c.check("COND-10", got <= want, || {
        format!("{got} waiters returned from wait after {want} notifications")
    });
    ok(c, "COND-09", s.notify(1), "notify(1) for the last waiter");
    ok(c, "COND-01", s.release(), "notifier's release");
}

fn notify_all<S: ConditionApi + ?Sized>(
    s: &S,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    let k = p.waiters.max(2);
    if cfg!(twinsync_loom) {
        return notify_all_lean(s, sc, me, c);
    }
    if me > 0 {
        waiter(s, sc, me, (HAS_CLOCK && me % 2 == 0, false), "COND-06", c);
        // The notifier wrote its process id before notifying (under the lock).
        if !HAS_CLOCK || sc.slots[PID].load(Acquire) == u64::from(std::process::id()) {
            c.not_checkable("COND-13", "the notifier and the waiters share one process");
        } else {
            c.check("COND-13", true, String::new);
        }
        return;
    }
    until_registered(sc, k);
    s.acquire();
    if HAS_CLOCK {
        sc.slots[PID].store(u64::from(std::process::id()), Release);
    }
    until_asleep(sc, k, p);
    ok(c, "COND-06", s.notify_all(), "notify_all");
    ok(c, "COND-01", s.release(), "notifier's release");
}

/// [`NOTIFY_ALL`] for loom, where waiting for the waiters to register (spinning or blocking)
/// makes the model too large to explore with three threads: the notifier notifies as soon as
/// it has the lock and raises a flag; a waiter that finds the flag raised does not wait (its
/// notification is past). Loom explores every order, the one in which both waiters sleep
/// before the notify included.
fn notify_all_lean<S: ConditionApi + ?Sized>(s: &S, sc: &Scratch, me: usize, c: &mut Checks) {
    s.acquire();
    if me == 0 {
        sc.step.store(1, Relaxed);
        ok(c, "COND-06", s.notify_all(), "notify_all");
    } else if sc.step.load(Relaxed) == 0 {
        let r = s.wait();
        ok(c, "COND-06", r, "wait");
    }
    ok(c, "COND-01", s.release(), "release");
    if me > 0 {
        c.not_checkable("COND-13", "the notifier and the waiters share one process");
    }
}

fn wait_for<S: ConditionApi + ?Sized>(s: &S, sc: &Scratch, me: usize, _: &Params, c: &mut Checks) {
    // Under loom one round keeps the model small (every extra round multiplies it).
    const TARGET: u64 = if cfg!(twinsync_loom) { 1 } else { 3 };
    if me == 0 {
        s.acquire();
        let mut unlocked_calls = 0;
        // Under a checker a timed wait expires at once (and wait_for would spin): no timeout.
        let timeout = HAS_CLOCK.then_some(Duration::from_secs(60));
        let r = s.wait_for(
            || {
                if !s.lock().is_mine() {
                    unlocked_calls += 1;
                }
                sc.slots[CALLS].fetch_add(1, Release);
                sc.slots[VALUE].load(Relaxed) >= TARGET
            },
            timeout,
        );
        c.check("COND-04", matches!(r, Ok(true)), || {
            format!("wait_for returned {r:?}")
        });
        c.check("COND-04", unlocked_calls == 0, || {
            format!("the predicate was called {unlocked_calls} time(s) without the lock")
        });
        let calls = sc.slots[CALLS].load(Relaxed);
        c.check("COND-10", calls == TARGET + 1, || {
            format!(
                "the predicate was called {calls} times for {TARGET} notifications (once at \
                 once, then once per wake-up, expected {})",
                TARGET + 1
            )
        });
        ok(c, "COND-01", s.release(), "waiter's release");
    } else {
        // Raise the value only when the waiter has checked the previous one: it is then in
        // wait (it holds the lock otherwise), so each notify ends one wait.
        for i in 1..=TARGET {
            enter_after(s, || sc.slots[CALLS].load(Acquire) == i);
            sc.slots[VALUE].store(i, Relaxed);
            ok(c, "COND-04", s.notify(1), "notify(1)");
            ok(c, "COND-01", s.release(), "notifier's release");
        }
    }
}

/// A varying short timeout for the raced waiter, so that rounds hit different points of the
/// race (a plain counter outside any model: it only picks the timeout).
fn race_timeout() -> Duration {
    static ROUND: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let r = ROUND.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + std::process::id();
    Duration::from_micros([0, 5, 10, 20, 40, 80][(r % 6) as usize])
}

fn timeout_race<S: ConditionApi + ?Sized>(
    s: &S,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    match me {
        0 => {
            sc.ids[0].store(worker_id(), Relaxed);
            sc.ready.store(1, Release);
            enter_after(s, || sc.slots[A_IN].load(Acquire) == 1);
            // Both are registered: A is in wait_timeout, B in wait. With a clock, hold the lock
            // until A's timeout has passed, so that A has timed out but cannot leave (it waits
            // for this lock) when the notification comes: the window in which a timed-out
            // waiter could absorb it, reached every time rather than by chance.
            if HAS_CLOCK {
                let deadline = sc.slots[A_DEADLINE].load(Acquire);
                spin_until(|| super::now() >= deadline);
                wait_until_blocked(sc.ids[1].load(Acquire), p.block_bound);
            }
            ok(c, "COND-05", s.notify(1), "notify(1)");
            ok(c, "COND-01", s.release(), "notifier's release");
            spin_until(|| sc.slots[A_RESULT].load(Acquire) != 0);
            if sc.slots[A_RESULT].load(Acquire) == 2 {
                // A took the notification: B must still be waiting; wake it.
                s.acquire();
                let b = sc.slots[WOKEN].load(Relaxed);
                c.check("COND-05", b == 0, || {
                    "one notify(1) made both waiters return".into()
                });
                ok(c, "COND-05", s.notify(1), "second notify(1)");
                ok(c, "COND-01", s.release(), "notifier's release");
            }
            // Else A timed out without it: the first notify was B's (a hang is COND-08).
        }
        1 => {
            // B first, and the notifier blocked on the lock: A's short wait then races the
            // notify with B asleep beside it.
            spin_until(|| sc.slots[B_IN].load(Acquire) == 1);
            s.acquire();
            sc.slots[A_IN].store(1, Release);
            spin_until(|| sc.ready.load(Acquire) == 1);
            wait_until_blocked(sc.ids[0].load(Acquire), p.block_bound);
            sc.ids[1].store(worker_id(), Release);
            let timeout = race_timeout();
            let margin = Duration::from_millis(2);
            sc.slots[A_DEADLINE]
                .store(super::now() + (timeout + margin).as_nanos() as u64, Release);
            let r = s.wait_timeout(timeout);
            let res = match r {
                Ok(true) => 2,
                Ok(false) => 1,
                Err(ref e) => {
                    c.check("COND-03", false, || format!("wait_timeout: {e}"));
                    1
                }
            };
            c.check("COND-03", s.lock().is_mine(), || {
                "the lock is not mine after wait_timeout".into()
            });
            sc.slots[A_RESULT].store(res, Release);
            ok(c, "COND-01", s.release(), "A's release");
        }
        _ => {
            s.acquire();
            sc.slots[B_IN].store(1, Release);
            let r = s.wait();
            sc.slots[WOKEN].fetch_add(1, Relaxed);
            ok(c, "COND-08", r, "B's wait");
            ok(c, "COND-01", s.release(), "B's release");
        }
    }
}

fn late_waiter<S: ConditionApi + ?Sized>(
    s: &S,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if me > 0 {
        return waiter(s, sc, me, (false, true), "COND-09", c);
    }
    until_registered(sc, 1);
    s.acquire();
    until_asleep(sc, 1, p);
    ok(c, "COND-09", s.notify(1), "notify(1)");
    // The notification belongs to the sleeper; the notifier's own wait must not take it. A
    // zero timeout: the notifier is back under the lock before the woken sleeper can take its
    // notification, so an implementation that lets a timed-out waiter take it is caught.
    let r = s.wait_timeout(Duration::ZERO);
    c.check("COND-09", matches!(r, Ok(false)), || {
        format!("a wait_timeout begun after notify(1) returned {r:?}: it took the notification")
    });
    ok(c, "COND-01", s.release(), "notifier's release");
}
