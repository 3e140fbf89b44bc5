//! The contention scenarios: [`RELEASE_RACE`](super::RELEASE_RACE),
//! [`HOLDERS`](super::HOLDERS) and [`HISTORY`](super::HISTORY).

use std::time::Duration;

use twinsync::sync::atomic::Ordering::*;
use twinsync::{Error, SemaphoreApi};

use super::{check, drain, op, slot, SemKind, HISTORY_OPS, INIT, RACE_OPS};
use crate::scenarios::{now, spin_until, yield_now, Checks, Params, Scratch, HAS_CLOCK};

/// Workers of [`RELEASE_RACE`](super::RELEASE_RACE): up to 3; 2 under loom.
pub(super) fn race_workers(p: &Params) -> usize {
    if cfg!(twinsync_loom) {
        2
    } else {
        p.workers.clamp(2, 3)
    }
}

pub(super) fn release_race<S: SemaphoreApi + ?Sized, K: SemKind>(
    s: &S,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    let (bound, accounting) = if K::BOUNDED {
        ("BSEM-04", "BSEM-04")
    } else {
        ("SEM-08", "SEM-06")
    };
    let max = s.max_value();
    if me == 0 {
        // Start 2 below the maximum: from 0 for a BoundedSemaphore(2), near VALUE_MAX for a
        // Semaphore.
        drain(s);
        let base = max.saturating_sub(2);
        if base > 0 {
            let r = s.release(base);
            check::<K>(c, accounting, r.is_ok(), || {
                format!("release({base}): {r:?}")
            });
        }
        sc.slots[slot::BASE].store(u64::from(s.value()), Relaxed);
        sc.step.store(1, Release);
    } else {
        spin_until(|| sc.step.load(Acquire) == 1);
    }
    let workers = race_workers(p) as u64;
    if HAS_CLOCK {
        sc.ready.fetch_add(1, Release);
        spin_until(|| u64::from(sc.ready.load(Acquire)) == workers);
    }
    // Loom: one round each (two already explore tens of thousands of interleavings).
    let iters = if cfg!(twinsync_loom) {
        1
    } else {
        p.iters.min(RACE_OPS) as usize
    };
    for i in 0..iters {
        let n = 1 + ((me + i) % 2) as u32;
        match s.release(n) {
            Ok(()) => {
                sc.slots[slot::RELEASED].fetch_add(u64::from(n), AcqRel);
            }
            Err(Error::TooManyReleases { max: m }) => {
                let clause = if K::BOUNDED { "BSEM-03" } else { "SEM-08" };
                check::<K>(c, clause, m == u64::from(max), || {
                    format!("TooManyReleases {{ max: {m} }} from a semaphore of maximum {max}")
                });
            }
            Err(e) => {
                check::<K>(c, accounting, false, || format!("release({n}): {e}"));
                return;
            }
        }
        let v = s.value();
        check::<K>(c, bound, v <= max, || {
            format!("value() is {v} during racing releases, above the maximum {max}")
        });
        // Take some back, so that the value keeps crossing the maximum's neighbourhood.
        for _ in 0..=(i % 2) {
            if s.try_acquire() {
                sc.slots[slot::TAKEN].fetch_add(1, AcqRel);
            }
        }
    }
    if sc.slots[slot::FINISHED].fetch_add(1, AcqRel) + 1 == workers {
        let base = sc.slots[slot::BASE].load(Relaxed);
        let added = sc.slots[slot::RELEASED].load(Acquire);
        let taken = sc.slots[slot::TAKEN].load(Acquire);
        let v = u64::from(s.value());
        // More than the accounting: tokens were invented (a lost decrement, SEM-11); fewer:
        // a successful release did not add its n (SEM-06). A BoundedSemaphore's release
        // adds exactly n or nothing, whichever way it fails (BSEM-04).
        let clause = match (K::BOUNDED, v + taken > base + added) {
            (true, _) => "BSEM-04",
            (false, true) => "SEM-11",
            (false, false) => "SEM-06",
        };
        check::<K>(c, clause, v + taken == base + added, || {
            format!(
                "value() is {v} after racing releases: started at {base}, {added} tokens \
                 added by successful releases, {taken} taken back, so {} expected",
                (base + added).wrapping_sub(taken)
            )
        });
    }
}

pub(super) fn holders<S: SemaphoreApi + ?Sized, K: SemKind>(
    s: &S,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if HAS_CLOCK {
        sc.ready.fetch_add(1, Release);
        spin_until(|| sc.ready.load(Acquire) == p.workers as u32);
    }
    let workers = holders_workers(p) as u64;
    let inside = &sc.slots[slot::HOLDERS];
    let iters = p.iters as usize;
    for i in 0..iters {
        // Rotate through the acquire forms (and short timeouts that expire), so that each
        // meets the others and the releases under contention.
        // Loom: the blocking forms only (a retry loop multiplies its interleavings).
        let forms = if cfg!(twinsync_loom) { 2 } else { 5 };
        let guard = match (me + i) % forms {
            0 => {
                s.acquire();
                None
            }
            1 => Some(s.acquire_guard()),
            2 => {
                spin_until(|| s.try_acquire());
                None
            }
            form => loop {
                let t = if form == 3 {
                    Duration::from_secs(60)
                } else {
                    Duration::from_micros(20)
                };
                match s.acquire_timeout(t) {
                    Ok(true) => break None,
                    Ok(false) => yield_now(),
                    Err(e) => {
                        check::<K>(c, "SEM-10", false, || {
                            format!("acquire_timeout({t:?}): {e}")
                        });
                        return;
                    }
                }
            },
        };
        let h = inside.fetch_add(1, AcqRel) + 1;
        sc.slots[slot::MAX_HOLDERS].fetch_max(h, AcqRel);
        if h > u64::from(INIT) {
            sc.violations.fetch_add(1, Relaxed);
            check::<K>(c, "SEM-11", false, || {
                format!("{h} holders at once of a semaphore with {INIT} tokens")
            });
        }
        inside.fetch_sub(1, AcqRel);
        match guard {
            Some(g) => drop(g),
            None => {
                if let Err(e) = s.release(1) {
                    check::<K>(c, "SEM-11", false, || {
                        format!("a holder's release(1) failed: {e}")
                    });
                }
            }
        }
    }
    check::<K>(c, "SEM-10", true, String::new);
    if sc.slots[slot::FINISHED].fetch_add(1, AcqRel) + 1 == workers {
        let v = s.value();
        check::<K>(c, "SEM-11", v == INIT, || {
            format!("value() is {v} once every holder gave its token back, expected {INIT}")
        });
    }
}

/// Workers of [`HOLDERS`](super::HOLDERS): `workers`; 2 under loom, where 3 workers with a single
/// acquisition each (one sleeping) explore 216,138 interleavings in 72 s. (Sleeping and
/// waking are explored by [`WAKE_N`](super::WAKE_N); two workers still catch a non-atomic acquire, through
/// the final value.)
pub(super) fn holders_workers(p: &Params) -> usize {
    if cfg!(twinsync_loom) {
        2
    } else {
        p.workers
    }
}

pub(super) fn holders_finish<K: SemKind>(sc: &Scratch, _: &Params, c: &mut Checks) {
    let v = sc.violations.load(Acquire);
    let most = sc.slots[slot::MAX_HOLDERS].load(Acquire);
    check::<K>(c, "SEM-11", v == 0 && most <= u64::from(INIT), || {
        format!("{v} entries found too many holders; at most {most} held at once")
    });
}

/// Workers of [`HISTORY`](super::HISTORY): 2 or 3.
pub(super) fn history_workers(p: &Params) -> usize {
    p.workers.clamp(2, 3)
}

/// A deterministic mix for worker `me`: every acquisition is followed by the same worker's
/// `release(1)`; stray releases of 1 or 2 add tokens (or are refused at the maximum); a
/// Semaphore's worker takes stray tokens back only as many as its own stray releases added,
/// so there are always at least [`INIT`] tokens free or held by a worker that will release
/// them, and a blocking acquire never waits forever. (A BoundedSemaphore never takes stray
/// tokens: a holder's refused release already gives one up.)
pub(super) fn history<S: SemaphoreApi + ?Sized, K: SemKind>(
    s: &S,
    sc: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if HAS_CLOCK {
        sc.ready.fetch_add(1, Release);
        spin_until(|| sc.ready.load(Acquire) == history_workers(p) as u32);
    }
    let n = p.iters.min(HISTORY_OPS) as usize;
    let mut credit = 0u32;
    let release = |c: &mut Checks, n: u32| -> Option<bool> {
        let t = now();
        match s.release(n) {
            Ok(()) => {
                c.record(me, t, op::RELEASE, u64::from(n), 1);
                Some(true)
            }
            Err(Error::TooManyReleases { .. }) => {
                c.record(me, t, op::RELEASE, u64::from(n), 0);
                Some(false)
            }
            Err(e) => {
                check::<K>(c, "SEM-17", false, || format!("release({n}): {e}"));
                None
            }
        }
    };
    for i in 0..n {
        let pick = (me * 5 + i * 3 + i / 7) % 8;
        let t = now();
        let got = match pick {
            0 | 1 => {
                let ok = s.try_acquire();
                c.record(me, t, op::TRY_ACQUIRE, 0, u64::from(ok));
                ok
            }
            2 | 3 => {
                s.acquire();
                c.record(me, t, op::ACQUIRE, 0, 1);
                true
            }
            4 => match s.acquire_timeout(Duration::from_micros(50)) {
                Ok(ok) => {
                    c.record(me, t, op::ACQUIRE_TIMEOUT, 0, u64::from(ok));
                    ok
                }
                Err(e) => {
                    check::<K>(c, "SEM-17", false, || {
                        format!("acquire_timeout(50 us): {e}")
                    });
                    return;
                }
            },
            5 | 6 => {
                let k = 1 + (i % 2) as u32;
                match release(c, k) {
                    Some(true) => credit += k,
                    Some(false) => {}
                    None => return,
                }
                false
            }
            _ => {
                if !K::BOUNDED && credit > 0 {
                    let ok = s.try_acquire();
                    c.record(me, t, op::TRY_ACQUIRE, 0, u64::from(ok));
                    credit -= u32::from(ok);
                }
                false
            }
        };
        if got {
            yield_now();
            if release(c, 1).is_none() {
                return;
            }
        }
    }
}
