//! Semaphore and BoundedSemaphore scenarios: the worker bodies and end-of-run checks every
//! driver runs, written once for both kinds ([`SemKind`]: a BoundedSemaphore's records of a
//! `SEM-` clause are mirrored as `BSEM-05`, which says the `SEM-` clauses hold for it).
//!
//! Every subject starts with [`INIT`] tokens (what `Testable::make` builds and what the
//! sequential and linearizability models assume); a BoundedSemaphore's maximum is [`INIT`].
//!
//! | scenario | workers | clauses |
//! |---|---|---|
//! | [`SEQUENTIAL`] | 1 | SEM-01, 03..08, 12, 13, 16, BSEM-01, 03 |
//! | [`WAKE_N`] | 1 releaser + `waiters` (at least 2) | SEM-09 (progress), 15 |
//! | [`HANDOFF`] | 2 | SEM-14, 15 |
//! | [`TIMEOUT_ON_ZERO`] | 2 | SEM-05, 04, 12, 13 |
//! | [`RELEASE_RACE`] | up to 3 | BSEM-04 / SEM-08, SEM-06, SEM-11 |
//! | [`HOLDERS`] | `workers` | SEM-11, SEM-10 (progress) |
//! | [`HISTORY`] | up to 3 | SEM-17 |

use std::time::{Duration, Instant};

use twinsync::sync::atomic::Ordering::*;
use twinsync::{Error, SemaphoreApi, TIMEOUT_MAX};

use super::{
    spin_until, wait_until_blocked, worker_id, yield_now, Checks, Params, Scratch, HAS_CLOCK,
    MAX_WORKERS,
};
use crate::family::{no_finish, Scenario, ScenarioInfo};

mod contention;
mod sequential;

use contention::{
    history, history_workers, holders, holders_finish, holders_workers, race_workers, release_race,
};
use sequential::sequential;

/// The value of a fresh subject (and a BoundedSemaphore's maximum).
pub const INIT: u32 = 2;

/// Semaphore or BoundedSemaphore: decides the clauses a scenario reports.
pub trait SemKind: Send + Sync + 'static {
    /// A BoundedSemaphore (maximum = [`INIT`]).
    const BOUNDED: bool;
    /// The primitive's name in reports.
    const PRIMITIVE: &'static str;
}

/// Marker of `Semaphore` (maximum `VALUE_MAX`).
#[derive(Clone, Copy, Debug)]
pub struct Plain;
/// Marker of `BoundedSemaphore` (maximum = initial value).
#[derive(Clone, Copy, Debug)]
pub struct Bounded;

impl SemKind for Plain {
    const BOUNDED: bool = false;
    const PRIMITIVE: &'static str = "Semaphore";
}
impl SemKind for Bounded {
    const BOUNDED: bool = true;
    const PRIMITIVE: &'static str = "BoundedSemaphore";
}

/// One worker walks through every operation from the initial value.
pub const SEQUENTIAL: &str = "sequential";
/// The releaser takes every token, waits until every waiter sleeps in the kernel in an
/// acquire (each in another form), then releases `n` at once: exactly `n` must proceed.
pub const WAKE_N: &str = "wake_n";
/// Worker 0 releases a token it never acquired after a write; worker 1 takes it and must see
/// the write.
pub const HANDOFF: &str = "handoff";
/// One worker holds every token while another times out.
pub const TIMEOUT_ON_ZERO: &str = "timeout_on_zero";
/// Workers race `release(1)`, `release(2)` and `try_acquire` near the maximum: every release
/// adds all of its `n` or nothing, the value never passes the maximum.
pub const RELEASE_RACE: &str = "release_race";
/// Every worker loops: acquire (rotating through every form, short timeouts included),
/// count the holders, release.
pub const HOLDERS: &str = "holders";
/// Workers run a deterministic mix of acquires, releases and stray releases, recording each
/// operation; the merged history must be linearizable (SEM-17).
pub const HISTORY: &str = "history";

/// [`Scratch::slots`] used here.
mod slot {
    /// Workers holding a token right now ([`super::HOLDERS`]).
    pub const HOLDERS: usize = 0;
    /// The most holders seen at once.
    pub const MAX_HOLDERS: usize = 1;
    /// Waiters that got their token ([`super::WAKE_N`]).
    pub const PROCEEDED: usize = 2;
    /// Tokens added by successful releases ([`super::RELEASE_RACE`]).
    pub const RELEASED: usize = 3;
    /// Tokens taken back ([`super::RELEASE_RACE`]).
    pub const TAKEN: usize = 4;
    /// Workers done with their loop (the last one checks the value).
    pub const FINISHED: usize = 5;
    /// Tokens released so far by [`super::WAKE_N`], written (Relaxed) before each release
    /// (SEM-14).
    pub const FREED: usize = 6;
    /// The value [`super::RELEASE_RACE`] starts from.
    pub const BASE: usize = 7;
    /// Written (Relaxed) before the release of [`super::HANDOFF`] (SEM-14).
    pub const DATUM: usize = 8;
}

/// Operation codes of [`HISTORY`]'s records: `arg` is `n` for a release; results are 1 for
/// success (`true`, `Ok`), 0 for failure (`false`, `TooManyReleases`).
pub mod op {
    /// `acquire()`.
    pub const ACQUIRE: u32 = 0;
    /// `try_acquire()`.
    pub const TRY_ACQUIRE: u32 = 1;
    /// `acquire_timeout(d)`.
    pub const ACQUIRE_TIMEOUT: u32 = 2;
    /// `release(n)`.
    pub const RELEASE: u32 = 3;
}

/// Why loom does not check [`HISTORY`]. (Shuttle, sequentially consistent, and the real
/// drivers do.)
pub const HISTORY_NOT_FOR_LOOM: &str = "the history is timestamped with loom's logical clock, \
    which orders operations that no happens-before edge orders; a failing try_acquire or a \
    refused release decides on a Relaxed load of the word, which the C++ memory model lets \
    return an older value when nothing orders the two operations, so a history can break the \
    logical order while every happens-before order explains it (found: try_acquire -> true, \
    then release(1) -> TooManyReleases on a BoundedSemaphore(2)); checked by shuttle and the \
    real drivers";

/// Most operations a worker records in [`HISTORY`].
pub const HISTORY_OPS: u32 = 300;
/// Most loop iterations of a worker in [`RELEASE_RACE`] (per round).
pub const RACE_OPS: u32 = 300;

/// The clauses a BoundedSemaphore's `SEM-` records stand for under BSEM-05.
fn mirrored(clause: &str) -> bool {
    clause.starts_with("SEM-") && !matches!(clause, "SEM-01" | "SEM-02" | "SEM-08")
}

/// [`Checks::check`], and for a BoundedSemaphore the same outcome as BSEM-05 when `clause`
/// is one of the `SEM-` clauses BSEM-05 carries over.
pub fn check<K: SemKind>(
    c: &mut Checks,
    clause: &'static str,
    ok: bool,
    msg: impl FnOnce() -> String,
) {
    if ok || !K::BOUNDED || !mirrored(clause) {
        c.check(clause, ok, msg);
        if ok && K::BOUNDED && mirrored(clause) {
            c.check("BSEM-05", true, String::new);
        }
        return;
    }
    let m = msg();
    let bsem = format!("as {clause}: {m}");
    // The clause itself first: under a checker the first failure stops the execution.
    c.check(clause, false, || m);
    c.check("BSEM-05", false, || bsem);
}

/// [`Checks::check_timed`] with the BSEM-05 mirror of [`check`].
fn check_timed<K: SemKind>(
    c: &mut Checks,
    clause: &'static str,
    ok: bool,
    timely: bool,
    msg: impl FnOnce() -> String,
) {
    if HAS_CLOCK || !ok {
        check::<K>(c, clause, ok && timely, msg);
    } else {
        c.check_timed(clause, ok, timely, msg);
    }
}

/// Why the constructor clauses are checked by the proptest driver only.
pub const CONSTRUCTOR_NC: &str = "a constructor with an arbitrary value is not part of \
                                  SemaphoreApi: the proptest driver checks it on twinsync's \
                                  types";

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

/// Every Semaphore scenario, for subjects of type `S` of kind `K`.
pub fn scenarios<S: SemaphoreApi, K: SemKind>() -> Vec<Scenario<S>> {
    let (seq, race): (&[&str], &[&str]) = if K::BOUNDED {
        (
            &[
                "BSEM-01", "BSEM-03", "BSEM-05", "SEM-03", "SEM-04", "SEM-05", "SEM-06", "SEM-07",
                "SEM-12", "SEM-13", "SEM-16",
            ],
            &["BSEM-04", "BSEM-03", "BSEM-05", "SEM-06"],
        )
    } else {
        (
            &[
                "SEM-01", "SEM-03", "SEM-04", "SEM-05", "SEM-06", "SEM-07", "SEM-08", "SEM-12",
                "SEM-13", "SEM-16",
            ],
            &["SEM-08", "SEM-06", "SEM-11"],
        )
    };
    vec![
        Scenario {
            info: ScenarioInfo {
                needs_clock: false,
                ..info(SEQUENTIAL, seq, |_| 1)
            },
            body: |s, _, _, p, c| sequential::<S, K>(s, p, c),
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                progress: Some("SEM-09"),
                not_for_loom: K::BOUNDED.then_some(WAKE_N_BOUNDED_NOT_FOR_LOOM),
                ..info(WAKE_N, &["SEM-09", "SEM-15"], |p| 1 + wake_waiters(p))
            },
            body: wake_n::<S, K>,
            finish: no_finish,
        },
        Scenario {
            info: info(HANDOFF, &["SEM-14", "SEM-15"], |_| 2),
            body: handoff::<S, K>,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                needs_clock: true,
                clock_clauses: &["SEM-05"],
                ..info(
                    TIMEOUT_ON_ZERO,
                    &["SEM-05", "SEM-04", "SEM-12", "SEM-13"],
                    |_| 2,
                )
            },
            body: timeout_on_zero::<S, K>,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                ..info(RELEASE_RACE, race, race_workers)
            },
            body: release_race::<S, K>,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                progress: Some("SEM-10"),
                ..info(HOLDERS, &["SEM-11", "SEM-10"], holders_workers)
            },
            body: holders::<S, K>,
            finish: holders_finish::<K>,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                not_for_loom: Some(HISTORY_NOT_FOR_LOOM),
                ..info(HISTORY, &["SEM-17"], history_workers)
            },
            body: history::<S, K>,
            finish: no_finish,
        },
    ]
}

fn describe(r: &Result<(), Error>) -> String {
    format!("{r:?}")
}

/// Takes every free token (the subject's value is 0 afterwards unless someone releases).
fn drain<S: SemaphoreApi + ?Sized>(s: &S) -> u32 {
    let mut n = 0;
    while s.try_acquire() {
        n += 1;
    }
    n
}

/// Sleepers of [`WAKE_N`]: at least 2 (with one, a release that wakes a single sleeper is
/// right), at most `MAX_WORKERS - 1`; exactly 2 under a checker, where one release must
/// wake them all (a BoundedSemaphore takes at most [`INIT`] = 2 at once).
fn wake_waiters(p: &Params) -> usize {
    if HAS_CLOCK {
        p.waiters.clamp(2, MAX_WORKERS - 1)
    } else {
        2
    }
}

fn wake_n<S: SemaphoreApi + ?Sized, K: SemKind>(
    s: &S,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    let k = wake_waiters(p);
    let proceeded = &sc.slots[slot::PROCEEDED];
    let freed_slot = &sc.slots[slot::FREED];
    if !HAS_CLOCK {
        return wake_n_model::<S, K>(s, sc, me, c);
    }
    if me == 0 {
        drain(s);
        sc.step.store(1, Release);
        spin_until(|| sc.ready.load(Acquire) == k as u32);
        // A BoundedSemaphore of maximum 2 cannot take more than 2 at once: release in
        // chunks of at most the maximum, each to sleepers that really sleep. The releaser
        // does not wait for the last chunk's sleepers: a lost wake-up leaves one asleep
        // forever, which the driver reports against SEM-09 (watchdog, or the checker's
        // deadlock detection).
        let chunk = s.max_value().max(1) as usize;
        let mut freed = 0;
        while freed < k {
            for id in &sc.ids[1..=k] {
                // Best effort: a correct semaphore passes either way; a lost wake-up is
                // reached only if the sleepers really sleep.
                wait_until_blocked(id.load(Acquire), p.block_bound);
            }
            let n = (k - freed).min(chunk);
            // Written before the release (SEM-14: an acquirer that takes one of its tokens
            // must see it).
            freed_slot.store((freed + n) as u64, Relaxed);
            let r = s.release(n as u32);
            check::<K>(c, "SEM-15", r.is_ok(), || {
                format!("release({n}) by a worker that took its tokens with try_acquire: {r:?}")
            });
            if r.is_err() {
                return;
            }
            freed += n;
            if freed < k {
                spin_until(|| proceeded.load(Acquire) >= freed as u64);
            }
        }
    } else {
        spin_until(|| sc.step.load(Acquire) == 1);
        sc.ids[me].store(worker_id(), Relaxed);
        sc.ready.fetch_add(1, Release);
        // Waiter 1 in a timed acquire, 2 in acquire, 3 in a guard.
        match me % 3 {
            2 => s.acquire(),
            // A guard, forgotten: its token stays taken, as the count needs.
            0 => std::mem::forget(s.acquire_guard()),
            _ => loop {
                match s.acquire_timeout(Duration::from_secs(60)) {
                    Ok(true) => break,
                    Ok(false) => yield_now(),
                    Err(e) => {
                        check::<K>(c, "SEM-09", false, || format!("acquire_timeout(60 s): {e}"));
                        return;
                    }
                }
            },
        }
        let freed = freed_slot.load(Relaxed);
        check::<K>(c, "SEM-14", freed >= 1, || {
            "the acquirer does not see the write made before the release it took a token of".into()
        });
        let got = proceeded.fetch_add(1, AcqRel) + 1;
        check::<K>(c, "SEM-09", got <= freed, || {
            format!("{got} acquirers proceeded after releases of {freed} tokens")
        });
        if got == k as u64 {
            let v = s.value();
            check::<K>(c, "SEM-09", v == 0, || {
                format!("value() is {v} after {k} sleepers took the {k} released tokens")
            });
        }
    }
}

/// [`WAKE_N`] under a checker, without spin-waits (each costs a checker dearly) and without
/// draining: each of the 2 sleepers takes 2 tokens (the [`INIT`] ones, then the 2 released
/// at once by worker 0). The checker explores the schedules in which both sleep before the
/// release, each needing one more token: a release(2) that wakes only one leaves the other
/// asleep forever, a deadlock reported against SEM-09. (A BoundedSemaphore(2) refuses the
/// release(2) until the sleepers have taken the initial tokens: worker 0 retries, which
/// loom cannot afford; see [`WAKE_N_BOUNDED_NOT_FOR_LOOM`].)
fn wake_n_model<S: SemaphoreApi + ?Sized, K: SemKind>(
    s: &S,
    sc: &Scratch,
    me: usize,
    c: &mut Checks,
) {
    if me == 0 {
        if cfg!(twinsync_shuttle) {
            // Shuttle samples schedules at random and the losing one is rare (both sleepers
            // asleep, each one token short): bias towards it by releasing only once the
            // initial tokens are taken, and yielding so that the sleepers may go to sleep.
            // (Loom explores every schedule anyway, and a spin-wait costs it dearly.)
            spin_until(|| s.value() == 0);
            for _ in 0..8 {
                yield_now();
            }
        }
        let r = release_when_room::<S, K>(s, 2);
        check::<K>(c, "SEM-15", r.is_ok(), || {
            format!("release(2) by a worker that never acquired: {r:?}")
        });
        return;
    }
    for _ in 0..2 {
        if me % 2 == 1 {
            s.acquire();
        } else {
            // A guard, forgotten: its token stays taken, as the count needs.
            std::mem::forget(s.acquire_guard());
        }
    }
    if sc.slots[slot::PROCEEDED].fetch_add(1, AcqRel) + 1 == 2 {
        let v = s.value();
        check::<K>(c, "SEM-09", v == 0, || {
            format!("value() is {v} after 4 acquisitions of the 2 + 2 tokens")
        });
    }
    check::<K>(c, "SEM-09", true, String::new);
}

/// Why loom does not run [`WAKE_N`] on a BoundedSemaphore.
pub const WAKE_N_BOUNDED_NOT_FOR_LOOM: &str = "a BoundedSemaphore(2) refuses the release(2) \
    until the sleepers have taken the initial tokens, and the releaser's retry loop takes \
    loom through 500,657 interleavings (138 s); the wake path is the Semaphore's (same \
    algorithm, loom-checked there), and shuttle and the real drivers run this scenario on \
    the BoundedSemaphore";

/// `release(n)`; a BoundedSemaphore at its maximum is retried until the other workers have
/// taken enough tokens (they do: each scenario using it has them take the initial ones).
fn release_when_room<S: SemaphoreApi + ?Sized, K: SemKind>(s: &S, n: u32) -> Result<(), Error> {
    loop {
        match s.release(n) {
            Err(Error::TooManyReleases { .. }) if K::BOUNDED => yield_now(),
            r => return r,
        }
    }
}

/// Worker 0 writes a datum (Relaxed) and releases one token it never acquired; worker 1
/// takes the [`INIT`] tokens and then the released one, and must see the datum (SEM-14):
/// its last decrement follows the release in the word's modification order.
fn handoff<S: SemaphoreApi + ?Sized, K: SemKind>(
    s: &S,
    sc: &Scratch,
    me: usize,
    _: &Params,
    c: &mut Checks,
) {
    let datum = &sc.slots[slot::DATUM];
    if me == 0 {
        datum.store(1, Relaxed);
        let r = release_when_room::<S, K>(s, 1);
        check::<K>(c, "SEM-15", r.is_ok(), || {
            format!("release(1) by a worker that never acquired: {r:?}")
        });
    } else {
        for _ in 0..=INIT {
            s.acquire();
        }
        let d = datum.load(Relaxed);
        check::<K>(c, "SEM-14", d == 1, || {
            "the acquirer of a released token does not see the write made before the release".into()
        });
    }
}

fn timeout_on_zero<S: SemaphoreApi + ?Sized, K: SemKind>(
    s: &S,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if me == 0 {
        let n = drain(s);
        sc.step.store(1, Release);
        spin_until(|| sc.step.load(Acquire) == 2);
        if n > 0 {
            let r = s.release(n);
            check::<K>(c, "SEM-06", r.is_ok(), || format!("release({n}): {r:?}"));
        }
    } else {
        spin_until(|| sc.step.load(Acquire) == 1);
        check::<K>(c, "SEM-04", !s.try_acquire(), || {
            "try_acquire while another worker holds every token succeeded".into()
        });
        let t0 = Instant::now();
        let r = s.acquire_timeout(p.timeout);
        let el = t0.elapsed();
        check_timed::<K>(c, "SEM-05", matches!(r, Ok(false)), el >= p.timeout, || {
            format!(
                "acquire_timeout({:?}) while another worker holds every token: {r:?} after {el:?}",
                p.timeout
            )
        });
        let t0 = Instant::now();
        let r = s.acquire_guard_timeout(p.timeout).map(|g| g.is_some());
        let el = t0.elapsed();
        check_timed::<K>(c, "SEM-13", matches!(r, Ok(false)), el >= p.timeout, || {
            format!(
                "acquire_guard_timeout({:?}) on value 0: {r:?} after {el:?}",
                p.timeout
            )
        });
        let r = s.acquire_timeout(TIMEOUT_MAX + Duration::from_nanos(1));
        check::<K>(
            c,
            "SEM-12",
            matches!(r, Err(Error::TimeoutTooLarge { .. })),
            || format!("acquire_timeout(TIMEOUT_MAX + 1ns) on value 0: {r:?}"),
        );
        let v = s.value();
        check::<K>(c, "SEM-05", v == 0, || {
            format!("value() is {v} after timeouts on value 0")
        });
        sc.step.store(2, Release);
    }
}
