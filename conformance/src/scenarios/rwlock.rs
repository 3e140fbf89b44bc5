//! RwLock scenarios: the worker bodies and end-of-run checks every driver runs.
//!
//! | scenario | workers | clauses |
//! |---|---|---|
//! | [`SEQUENTIAL`] | 1 | RWLOCK-01..05, 11, 12 (and reports 14 as not checkable) |
//! | [`READERS_OVERLAP`] | 2 | RWLOCK-01, 03, 04 |
//! | [`CROSS_RELEASE`] | 2 | RWLOCK-06 |
//! | [`TIMEOUTS_UNDER_CONTENTION`] | 2 | RWLOCK-02, 03, 04, 09 |
//! | [`WRITER_GIVES_UP`] | 3 | RWLOCK-09 |
//! | [`WAKE_READERS`] | 1 writer + `max(waiters, 2)` readers | RWLOCK-08, 01 |
//! | [`WRITER_PREFERENCE`] | 1 writer + 2 relaying readers | RWLOCK-07 |
//! | [`READERS_CHURN`] | `workers` | RWLOCK-03, 10 |
//! | [`EXCLUSION`] | `workers` | RWLOCK-02, 03, 13, 10 |
//! | [`HISTORY`] | up to 3 | RWLOCK-02 (linearizability), 10 |
//!
//! Scratch use: [`Scratch::inside`] counts holders inside (a reader adds 1, a writer
//! [`WRITER_UNIT`]; one read-modify-write word, so two entries always see each other);
//! [`Scratch::counter`] is the data writers increment non-atomically and mirror in slot
//! [`MIRROR`]; the other slots are named below.

use std::time::{Duration, Instant};

use twinsync::sync::atomic::Ordering::*;
use twinsync::{Error, RwLockApi, TIMEOUT_MAX};

use super::{
    spin_until, wait_until_blocked, worker_id, yield_now, Checks, Params, Scratch, HAS_CLOCK,
};
use crate::family::{no_finish, Scenario, ScenarioInfo};

/// One worker walks through every operation on a free, a read-held and a write-held lock.
pub const SEQUENTIAL: &str = "sequential";
/// Two readers meet inside (each waits for the other there), and a writer's try and timed
/// forms fail meanwhile.
pub const READERS_OVERLAP: &str = "readers_overlap";
/// Worker 0 acquires (write, then read), worker 1 releases.
pub const CROSS_RELEASE: &str = "cross_release";
/// Worker 0 holds the write lock, then a read lock; worker 1 tries every form against it.
pub const TIMEOUTS_UNDER_CONTENTION: &str = "timeouts_under_contention";
/// Worker 0 reads; worker 1's timed write waits, holding back worker 2's read, then gives up;
/// worker 2 must get in while worker 0 still reads.
pub const WRITER_GIVES_UP: &str = "writer_gives_up";
/// Worker 0 holds the write lock until every reader sleeps in `acquire_read`, then releases;
/// all readers must be inside at the same time.
pub const WAKE_READERS: &str = "wake_readers";
/// Two readers hand the read lock on to each other (the next one enters before the previous
/// one leaves) while a writer wants in; the relay must be refused and the writer get in.
pub const WRITER_PREFERENCE: &str = "writer_preference";
/// Every worker loops taking and releasing read holds (rotating through the forms); every
/// release must find its hold, and once all have left a writer must get in at once.
pub const READERS_CHURN: &str = "readers_churn";
/// Every worker loops, reading or writing (rotating through the acquire forms); nobody meets
/// a writer inside, and readers see the last writer's complete data.
pub const EXCLUSION: &str = "exclusion";
/// Up to 3 workers run a deterministic mix of read acquires (all forms), write tries and
/// releases, recording each; the merged history must be linearizable.
pub const HISTORY: &str = "history";

/// What a writer adds to [`Scratch::inside`] (a reader adds 1).
pub const WRITER_UNIT: u32 = 1 << 16;
/// Slot mirroring [`Scratch::counter`], written by writers after it.
pub const MIRROR: usize = 0;
/// Slot: readers of [`WAKE_READERS`] that got in (only increases).
pub const ARRIVED: usize = 1;
/// Slot: which reader of [`WRITER_PREFERENCE`] holds the relay (1 or 2).
pub const TOKEN: usize = 2;
/// Slot: the relay of [`WRITER_PREFERENCE`] stops.
pub const STOP: usize = 3;
/// Slot: the writer is about to acquire (its id is in `ids`).
pub const W_CALLING: usize = 4;
/// Slot: the writer got in.
pub const W_IN: usize = 5;
/// Slot: the reader held back in [`WRITER_GIVES_UP`] got in.
pub const GOT: usize = 6;
/// Slot: workers of [`READERS_CHURN`] that finished their loop.
pub const LEFT: usize = 7;

/// Operation codes of [`HISTORY`]'s records; results are 1 for `true` / `Ok`.
pub mod op {
    /// `acquire_read()`.
    pub const ACQUIRE_READ: u32 = 0;
    /// `try_acquire_read()`.
    pub const TRY_READ: u32 = 1;
    /// `acquire_read_timeout(d)` (a writer never waits in this history, so it fails only
    /// while one holds the lock, as a try).
    pub const READ_TIMEOUT: u32 = 2;
    /// `release_read()`.
    pub const RELEASE_READ: u32 = 3;
    /// `try_acquire_write()`.
    pub const TRY_WRITE: u32 = 4;
    /// `release_write()`.
    pub const RELEASE_WRITE: u32 = 5;
}

/// Most operations a worker records in [`HISTORY`].
pub const HISTORY_OPS: u32 = 400;

/// The RwLock scenarios, in the order drivers run them.
pub fn scenarios<L: RwLockApi>() -> Vec<Scenario<L>> {
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
    const TIMED: &[&str] = &["RWLOCK-04"];
    vec![
        Scenario {
            info: ScenarioInfo {
                clock_clauses: TIMED,
                ..info(
                    SEQUENTIAL,
                    &[
                        "RWLOCK-01",
                        "RWLOCK-02",
                        "RWLOCK-03",
                        "RWLOCK-04",
                        "RWLOCK-05",
                        "RWLOCK-11",
                        "RWLOCK-12",
                    ],
                    |_| 1,
                    None,
                )
            },
            body: |l, _, _, p, c| sequential(l, p, c),
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                clock_clauses: TIMED,
                ..info(
                    READERS_OVERLAP,
                    &["RWLOCK-01", "RWLOCK-03", "RWLOCK-04"],
                    |_| 2,
                    Some("RWLOCK-01"),
                )
            },
            body: readers_overlap,
            finish: no_finish,
        },
        Scenario {
            info: info(CROSS_RELEASE, &["RWLOCK-06"], |_| 2, None),
            body: |l, s, me, _, c| cross_release(l, s, me, c),
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                clock_clauses: TIMED,
                ..info(
                    TIMEOUTS_UNDER_CONTENTION,
                    &["RWLOCK-02", "RWLOCK-03", "RWLOCK-04", "RWLOCK-09"],
                    |_| 2,
                    None,
                )
            },
            body: timeouts_under_contention,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                not_for_loom: Some(
                    "3 workers, two of them spin-waiting on the third: loom's exhaustive \
                     search did not finish in 300 s; shuttle and the real drivers run it \
                     (timeouts_under_contention covers a writer giving up under loom)",
                ),
                ..info(WRITER_GIVES_UP, &["RWLOCK-09"], |_| 3, Some("RWLOCK-09"))
            },
            body: writer_gives_up,
            finish: no_finish,
        },
        Scenario {
            info: info(
                WAKE_READERS,
                &["RWLOCK-08", "RWLOCK-01"],
                |p| 1 + wake_readers_count(p),
                Some("RWLOCK-08"),
            ),
            body: wake_readers,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                not_for_loom: Some(
                    "the relay of readers is unbounded under a checker (it stops when the \
                     lock refuses a reader), which loom's exhaustive search cannot bound; \
                     shuttle and the real drivers run it",
                ),
                ..info(WRITER_PREFERENCE, &["RWLOCK-07"], |_| 3, Some("RWLOCK-07"))
            },
            body: writer_preference,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                ..info(
                    READERS_CHURN,
                    &["RWLOCK-03", "RWLOCK-10"],
                    exclusion_workers,
                    Some("RWLOCK-10"),
                )
            },
            body: readers_churn,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                ..info(
                    EXCLUSION,
                    &["RWLOCK-02", "RWLOCK-03", "RWLOCK-13", "RWLOCK-10"],
                    exclusion_workers,
                    Some("RWLOCK-10"),
                )
            },
            body: exclusion,
            finish: exclusion_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                ..info(
                    HISTORY,
                    &["RWLOCK-02", "RWLOCK-10"],
                    history_workers,
                    Some("RWLOCK-10"),
                )
            },
            body: history,
            finish: no_finish,
        },
    ]
}

fn released(c: &mut Checks, clause: &'static str, r: Result<(), Error>, what: &str) {
    c.check(clause, r.is_ok(), || {
        format!("{what}: release returned {r:?}")
    });
}

fn timed(c: &mut Checks, what: &str, d: Duration, f: impl FnOnce() -> Result<bool, Error>) {
    let t0 = Instant::now();
    let r = f();
    let el = t0.elapsed();
    c.check_timed("RWLOCK-04", matches!(r, Ok(false)), el >= d, || {
        format!("{what}({d:?}) on a contended lock: {r:?} after {el:?}")
    });
}

fn sequential<L: RwLockApi + ?Sized>(l: &L, p: &Params, c: &mut Checks) {
    let too_large = TIMEOUT_MAX + Duration::from_nanos(1);
    c.check("RWLOCK-01", l.readers() == 0 && !l.write_locked(), || {
        "a new lock is held".into()
    });
    // Readers share.
    l.acquire_read();
    c.check("RWLOCK-01", l.try_acquire_read(), || {
        "try_acquire_read beside a reader failed".into()
    });
    let r = l.acquire_read_timeout(p.timeout);
    c.check("RWLOCK-01", matches!(r, Ok(true)), || {
        format!("acquire_read_timeout beside readers: {r:?}")
    });
    c.check("RWLOCK-01", l.readers() == 3, || {
        format!("readers() is {} with 3 holds", l.readers())
    });
    // Readers exclude a writer.
    c.check("RWLOCK-03", !l.try_acquire_write(), || {
        "try_acquire_write beside readers succeeded".into()
    });
    let r = l.acquire_write_timeout(Duration::ZERO);
    c.check("RWLOCK-04", matches!(r, Ok(false)), || {
        format!("acquire_write_timeout(0) beside readers: {r:?}")
    });
    timed(c, "acquire_write_timeout", p.timeout, || {
        l.acquire_write_timeout(p.timeout)
    });
    c.check("RWLOCK-03", l.readers() == 3 && !l.write_locked(), || {
        "a failed write attempt changed the lock".into()
    });
    // A too large timeout changes nothing.
    let r = l.acquire_write_timeout(too_large);
    c.check(
        "RWLOCK-11",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("acquire_write_timeout(TIMEOUT_MAX + 1ns): {r:?}"),
    );
    let r = l.acquire_read_timeout(too_large);
    c.check(
        "RWLOCK-11",
        matches!(r, Err(Error::TimeoutTooLarge { .. })) && l.readers() == 3,
        || format!("acquire_read_timeout(TIMEOUT_MAX + 1ns): {r:?}"),
    );
    let r = l.release_write();
    c.check(
        "RWLOCK-05",
        matches!(r, Err(Error::NotHeld)) && l.readers() == 3,
        || format!("release_write while only readers hold: {r:?}"),
    );
    for _ in 0..3 {
        released(c, "RWLOCK-01", l.release_read(), "reader");
    }
    let r = l.release_read();
    c.check("RWLOCK-05", matches!(r, Err(Error::NotHeld)), || {
        format!("release_read of a free lock: {r:?}")
    });
    let r = l.release_write();
    c.check("RWLOCK-05", matches!(r, Err(Error::NotHeld)), || {
        format!("release_write of a free lock: {r:?}")
    });
    c.check("RWLOCK-05", l.readers() == 0 && !l.write_locked(), || {
        "a refused release changed the free lock".into()
    });
    // The writer is exclusive.
    let r = l.acquire_write_timeout(TIMEOUT_MAX);
    c.check("RWLOCK-11", matches!(r, Ok(true)), || {
        format!("acquire_write_timeout(TIMEOUT_MAX) on a free lock: {r:?}")
    });
    c.check("RWLOCK-02", l.write_locked() && l.readers() == 0, || {
        "write_locked() false after a write acquire".into()
    });
    c.check(
        "RWLOCK-02",
        !l.try_acquire_read() && !l.try_acquire_write(),
        || "a try form succeeded on a write-locked lock".into(),
    );
    let r = l.acquire_read_timeout(Duration::ZERO);
    c.check("RWLOCK-04", matches!(r, Ok(false)), || {
        format!("acquire_read_timeout(0) on a write-locked lock: {r:?}")
    });
    timed(c, "acquire_read_timeout", p.timeout, || {
        l.acquire_read_timeout(p.timeout)
    });
    let r = l.release_read();
    c.check(
        "RWLOCK-05",
        matches!(r, Err(Error::NotHeld)) && l.write_locked(),
        || format!("release_read of a write-locked lock: {r:?}"),
    );
    released(c, "RWLOCK-02", l.release_write(), "writer");
    l.acquire_write();
    c.check("RWLOCK-02", l.write_locked(), || {
        "write_locked() false after acquire_write".into()
    });
    released(c, "RWLOCK-02", l.release_write(), "writer");
    c.check("RWLOCK-02", !l.write_locked(), || {
        "write_locked() true after release".into()
    });
    // Guards release on drop; failed guards leave the lock as it was.
    {
        let _r = l.read();
        let t = l.try_read();
        c.check("RWLOCK-12", t.is_some() && l.readers() == 2, || {
            "try_read beside a read guard failed".into()
        });
        drop(t);
        c.check(
            "RWLOCK-12",
            l.try_write().is_none() && l.readers() == 1,
            || "try_write beside a read guard".into(),
        );
        let w = l.write_timeout(Duration::ZERO).map(|g| g.is_some());
        c.check(
            "RWLOCK-12",
            matches!(w, Ok(false)) && l.readers() == 1,
            || format!("write_timeout(0) beside a read guard: {w:?}"),
        );
    }
    c.check("RWLOCK-12", l.readers() == 0, || {
        "read guards did not release on drop".into()
    });
    {
        let _w = l.write();
        c.check(
            "RWLOCK-12",
            l.try_read().is_none() && l.write_locked(),
            || "try_read beside a write guard".into(),
        );
        let r = l.read_timeout(Duration::ZERO).map(|g| g.is_some());
        c.check(
            "RWLOCK-12",
            matches!(r, Ok(false)) && l.write_locked(),
            || format!("read_timeout(0) beside a write guard: {r:?}"),
        );
    }
    c.check("RWLOCK-12", !l.write_locked(), || {
        "write guard did not release on drop".into()
    });
    match (l.read_timeout(p.timeout), l.readers()) {
        (Ok(Some(g)), 1) => drop(g),
        (r, n) => c.check("RWLOCK-12", false, || {
            format!(
                "read_timeout on a free lock: {:?}, {n} readers",
                r.map(|g| g.is_some())
            )
        }),
    }
    match l.write_timeout(p.timeout) {
        Ok(Some(g)) => drop(g),
        r => c.check("RWLOCK-12", false, || {
            format!("write_timeout on a free lock: {:?}", r.map(|g| g.is_some()))
        }),
    }
    match l.try_write() {
        Some(g) => drop(g),
        None => c.check("RWLOCK-12", false, || {
            "try_write on a free lock failed".into()
        }),
    }
    let r = l.write_timeout(too_large).map(|g| g.is_some());
    c.check(
        "RWLOCK-11",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("write_timeout(TIMEOUT_MAX + 1ns): {r:?}"),
    );
    c.check("RWLOCK-12", l.readers() == 0 && !l.write_locked(), || {
        "guards left the lock held".into()
    });
    c.not_checkable(
        "RWLOCK-14",
        "reaching MAX_READERS (2^29 - 1) read holds takes half a billion acquisitions; the \
         limit is checked by the primitive's own tests on the algorithm",
    );
}

fn readers_overlap<L: RwLockApi + ?Sized>(
    l: &L,
    s: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if me == 0 {
        l.acquire_read();
    } else {
        // No writer anywhere: the try form must succeed at once.
        c.check("RWLOCK-01", l.try_acquire_read(), || {
            "try_acquire_read failed although only readers hold the lock".into()
        });
    }
    // Each waits for the other inside: a lock that does not let readers share hangs here.
    s.inside.fetch_add(1, AcqRel);
    spin_until(|| s.inside.load(Acquire) >= 2);
    c.check("RWLOCK-01", true, String::new);
    if me == 0 {
        c.check("RWLOCK-03", !l.try_acquire_write(), || {
            "try_acquire_write succeeded while two readers hold the lock".into()
        });
        timed(c, "acquire_write_timeout", p.timeout, || {
            l.acquire_write_timeout(p.timeout)
        });
        s.step.store(1, Release);
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
    }
    released(c, "RWLOCK-01", l.release_read(), "reader");
}

fn cross_release<L: RwLockApi + ?Sized>(l: &L, s: &Scratch, me: usize, c: &mut Checks) {
    if me == 0 {
        l.acquire_write();
        s.step.store(1, Release);
        spin_until(|| s.step.load(Acquire) == 2);
        c.check(
            "RWLOCK-06",
            !l.write_locked() && l.try_acquire_read(),
            || "the write lock another worker released is not free".into(),
        );
        s.step.store(3, Release);
        spin_until(|| s.step.load(Acquire) == 4);
        c.check("RWLOCK-06", l.try_acquire_write(), || {
            "the read lock another worker released is not free".into()
        });
        released(
            c,
            "RWLOCK-06",
            l.release_write(),
            "after the cross releases",
        );
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
        let r = l.release_write();
        c.check("RWLOCK-06", r.is_ok(), || {
            format!("release_write by a non-holder: {r:?}")
        });
        s.step.store(2, Release);
        spin_until(|| s.step.load(Acquire) == 3);
        let r = l.release_read();
        c.check("RWLOCK-06", r.is_ok(), || {
            format!("release_read by a non-holder: {r:?}")
        });
        s.step.store(4, Release);
    }
}

fn timeouts_under_contention<L: RwLockApi + ?Sized>(
    l: &L,
    s: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if me == 0 {
        l.acquire_write();
        s.step.store(1, Release);
        spin_until(|| s.step.load(Acquire) == 2);
        released(c, "RWLOCK-02", l.release_write(), "writer");
        l.acquire_read();
        s.step.store(3, Release);
        spin_until(|| s.step.load(Acquire) == 4);
        released(c, "RWLOCK-03", l.release_read(), "reader");
        return;
    }
    spin_until(|| s.step.load(Acquire) == 1);
    c.check("RWLOCK-02", l.write_locked(), || {
        "write_locked() false while another worker writes".into()
    });
    c.check("RWLOCK-02", !l.try_acquire_read(), || {
        "try_acquire_read succeeded while another worker writes".into()
    });
    c.check("RWLOCK-02", !l.try_acquire_write(), || {
        "try_acquire_write succeeded while another worker writes".into()
    });
    timed(c, "acquire_read_timeout", p.timeout, || {
        l.acquire_read_timeout(p.timeout)
    });
    timed(c, "acquire_write_timeout", p.timeout, || {
        l.acquire_write_timeout(p.timeout)
    });
    s.step.store(2, Release);
    spin_until(|| s.step.load(Acquire) == 3);
    c.check("RWLOCK-03", !l.try_acquire_write(), || {
        "try_acquire_write succeeded while another worker reads".into()
    });
    // A writer that times out behind a reader withdraws: a new reader gets in afterwards.
    timed(c, "acquire_write_timeout", p.timeout, || {
        l.acquire_write_timeout(p.timeout)
    });
    c.check("RWLOCK-09", l.try_acquire_read(), || {
        "try_acquire_read failed after the only waiting writer gave up".into()
    });
    released(
        c,
        "RWLOCK-09",
        l.release_read(),
        "reader after the writer gave up",
    );
    s.step.store(4, Release);
}

fn writer_gives_up<L: RwLockApi + ?Sized>(
    l: &L,
    s: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    match me {
        0 => {
            l.acquire_read();
            s.step.store(1, Release);
            // Keep reading until worker 2 got in: it can only if the writer, giving up,
            // woke it.
            spin_until(|| s.slots[GOT].load(Acquire) == 1);
            released(c, "RWLOCK-09", l.release_read(), "first reader");
        }
        1 => {
            spin_until(|| s.step.load(Acquire) == 1);
            s.ids[1].store(worker_id(), Relaxed);
            s.slots[W_CALLING].store(1, Release);
            // Long enough for worker 2 to fall asleep behind it on a loaded machine.
            let d = p.timeout * 5;
            match l.acquire_write_timeout(d) {
                Ok(false) => {}
                // Worker 2 was faster than the writer's announcement; then worker 0 left,
                // and the writer may have got in: legal, the clause was not reached.
                Ok(true) => released(c, "RWLOCK-09", l.release_write(), "writer"),
                Err(e) => c.check("RWLOCK-09", false, || format!("acquire_write_timeout: {e}")),
            }
        }
        _ => {
            spin_until(|| s.slots[W_CALLING].load(Acquire) == 1);
            // Best effort: the writer waits (asleep) before we ask, so that we wait behind it.
            wait_until_blocked(s.ids[1].load(Relaxed), p.block_bound);
            l.acquire_read();
            s.slots[GOT].store(1, Release);
            c.check("RWLOCK-09", true, String::new);
            released(c, "RWLOCK-09", l.release_read(), "reader held back");
        }
    }
}

/// Readers of [`WAKE_READERS`]: at least 2 (one woken reader proves nothing about waking
/// all), at most what the scratch holds.
fn wake_readers_count(p: &Params) -> usize {
    p.waiters.clamp(2, super::MAX_WORKERS - 1)
}

fn wake_readers<L: RwLockApi + ?Sized>(l: &L, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    if !HAS_CLOCK {
        // Under a checker: no hand-shakes (the checker explores the schedules in which every
        // reader sleeps behind the writer before its release), so that the search stays
        // small. A write unlock that wakes only some sleepers leaves the others blocked
        // forever: a deadlock, which the checker reports.
        if me == 0 {
            l.acquire_write();
            released(c, "RWLOCK-08", l.release_write(), "writer");
        } else {
            l.acquire_read();
            c.check("RWLOCK-08", true, String::new);
            released(c, "RWLOCK-08", l.release_read(), "reader");
        }
        return;
    }
    let n = wake_readers_count(p);
    if me == 0 {
        l.acquire_write();
        s.step.store(1, Release);
        spin_until(|| s.ready.load(Acquire) == n as u32);
        for id in &s.ids[1..=n] {
            // Best effort (see Lock's wake_on_release).
            wait_until_blocked(id.load(Acquire), p.block_bound);
        }
        released(c, "RWLOCK-08", l.release_write(), "writer");
        return;
    }
    spin_until(|| s.step.load(Acquire) == 1);
    s.ids[me].store(worker_id(), Relaxed);
    s.ready.fetch_add(1, Release);
    let guard = if me % 2 == 0 {
        Some(l.read())
    } else {
        l.acquire_read();
        None
    };
    // Every reader waits for all the others inside (they really share), and a write unlock
    // that woke only some leaves the rest asleep: the run hangs.
    s.slots[ARRIVED].fetch_add(1, AcqRel);
    spin_until(|| s.slots[ARRIVED].load(Acquire) == n as u64);
    c.check("RWLOCK-08", true, String::new);
    c.check("RWLOCK-01", !l.write_locked(), || {
        "write_locked() while readers are inside".into()
    });
    match guard {
        Some(g) => drop(g),
        None => released(c, "RWLOCK-08", l.release_read(), "woken reader"),
    }
}

fn writer_preference<L: RwLockApi + ?Sized>(
    l: &L,
    s: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if me == 0 {
        spin_until(|| s.step.load(Acquire) == 1);
        s.ids[0].store(worker_id(), Relaxed);
        s.slots[W_CALLING].store(1, Release);
        l.acquire_write();
        s.slots[W_IN].store(1, Relaxed);
        c.check("RWLOCK-07", true, String::new);
        released(c, "RWLOCK-07", l.release_write(), "writer");
        return;
    }
    let mine = me as u64;
    if me == 1 {
        l.acquire_read();
        s.slots[TOKEN].store(mine, Release);
        s.step.store(1, Release);
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
    }
    let mut writer_asleep = false;
    // Whether we hold a read lock (kept locally: the other reader may take the token over
    // before we first look at it).
    let mut holding = me == 1;
    loop {
        if holding {
            // Holder: stay inside until the other reader is inside too, or the relay stops.
            spin_until(|| s.slots[TOKEN].load(Acquire) != mine || s.slots[STOP].load(Acquire) == 1);
            holding = false;
            released(c, "RWLOCK-07", l.release_read(), "relay reader");
            if s.slots[STOP].load(Acquire) == 1 {
                return;
            }
            continue;
        }
        if s.slots[STOP].load(Acquire) == 1 {
            return;
        }
        // Challenger: the other reader holds the lock.
        if HAS_CLOCK && !writer_asleep && s.slots[W_CALLING].load(Acquire) == 1 {
            writer_asleep = wait_until_blocked(s.ids[0].load(Relaxed), p.block_bound);
            if !writer_asleep {
                // Not seen asleep in time: stop the relay without judging it.
                s.slots[STOP].store(1, Release);
                return;
            }
        }
        if l.try_acquire_read() {
            holding = true;
            s.slots[TOKEN].store(mine, Release);
            if writer_asleep {
                c.check("RWLOCK-07", false, || {
                    "try_acquire_read succeeded while a writer was asleep waiting: a relay of \
                     readers can starve it"
                        .into()
                });
                s.slots[STOP].store(1, Release);
                released(c, "RWLOCK-07", l.release_read(), "relay reader");
                return;
            }
            yield_now();
        } else {
            // Refused: a writer waits. Stop the relay; our next read comes after the writer.
            s.slots[STOP].store(1, Release);
            l.acquire_read();
            let w_in = s.slots[W_IN].load(Relaxed);
            c.check("RWLOCK-07", w_in == 1, || {
                "a refused reader got in before the waiting writer".into()
            });
            released(c, "RWLOCK-07", l.release_read(), "refused reader");
            return;
        }
    }
}

/// Workers of [`EXCLUSION`] and [`READERS_CHURN`]: `workers`, at least 2; 2 under loom,
/// where 3 did not finish in minutes.
fn exclusion_workers(p: &Params) -> usize {
    if cfg!(twinsync_loom) {
        2
    } else {
        p.workers.max(2)
    }
}

/// Whether worker `me` writes in iteration `i` (about a third of the time).
fn writes(me: usize, i: usize) -> bool {
    (me + i) % 3 == 0
}

fn exclusion_finish(s: &Scratch, p: &Params, c: &mut Checks) {
    let v = s.violations.load(Acquire);
    c.check("RWLOCK-03", v == 0, || {
        format!("{v} critical sections met a conflicting holder")
    });
    let want: u64 = (0..exclusion_workers(p))
        .flat_map(|me| (0..p.iters as usize).map(move |i| writes(me, i)))
        .map(u64::from)
        .sum();
    let got = s.counter.load(Acquire);
    if s.done.load(Acquire) < exclusion_workers(p) as u32 {
        // Some worker hung (reported against RWLOCK-10): its writes are missing, which says
        // nothing about happens-before.
        return;
    }
    c.check("RWLOCK-13", got == want, || {
        format!("counter is {got}, expected {want}: a writer missed an earlier write")
    });
}

fn write_section(s: &Scratch, c: &mut Checks) {
    let prev = s.inside.fetch_add(WRITER_UNIT, Relaxed);
    if prev != 0 {
        s.violations.fetch_add(1, Relaxed);
        let (w, r) = (prev / WRITER_UNIT, prev % WRITER_UNIT);
        let clause = if w != 0 { "RWLOCK-02" } else { "RWLOCK-03" };
        c.check(clause, false, || {
            format!("a writer entered while {w} writer(s) and {r} reader(s) were inside")
        });
    }
    let v = s.counter.load(Relaxed);
    s.counter.store(v + 1, Relaxed);
    s.slots[MIRROR].store(v + 1, Relaxed);
    s.inside.fetch_sub(WRITER_UNIT, Relaxed);
}

fn read_section(s: &Scratch, c: &mut Checks) {
    let prev = s.inside.fetch_add(1, Relaxed);
    if prev >= WRITER_UNIT {
        s.violations.fetch_add(1, Relaxed);
        c.check("RWLOCK-02", false, || {
            "a reader entered while a writer was inside".into()
        });
    }
    let (v, m) = (s.counter.load(Relaxed), s.slots[MIRROR].load(Relaxed));
    if prev < WRITER_UNIT {
        c.check("RWLOCK-13", v == m, || {
            format!("a reader saw data {v} but its mirror {m}: the last write is not visible")
        });
    }
    s.inside.fetch_sub(1, Relaxed);
}

/// Retries a timed acquire (under a checker it times out at once on a contended lock).
fn retry_timed(c: &mut Checks, f: impl Fn() -> Result<bool, Error>) -> bool {
    loop {
        match f() {
            Ok(true) => return true,
            Ok(false) => yield_now(),
            Err(e) => {
                c.check("RWLOCK-10", false, || format!("timed acquire (60 s): {e}"));
                return false;
            }
        }
    }
}

fn readers_churn<L: RwLockApi + ?Sized>(l: &L, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let workers = exclusion_workers(p) as u64;
    if HAS_CLOCK {
        s.ready.fetch_add(1, Release);
        spin_until(|| u64::from(s.ready.load(Acquire)) == workers);
    }
    let long = Duration::from_secs(60);
    for i in 0..p.iters as usize {
        match (me + i) % 4 {
            0 => l.acquire_read(),
            1 => {
                drop(l.read());
                continue;
            }
            2 => spin_until(|| l.try_acquire_read()),
            _ => {
                if !retry_timed(c, || l.acquire_read_timeout(long)) {
                    return;
                }
            }
        }
        if let Err(e) = l.release_read() {
            c.check("RWLOCK-03", false, || {
                format!("a reader's release failed ({e}): a read hold was lost, so a writer could enter beside a reader")
            });
            return;
        }
    }
    if s.slots[LEFT].fetch_add(1, AcqRel) + 1 == workers {
        // The last one out: nobody holds the lock any more.
        let (r, w) = (l.readers(), l.try_acquire_write());
        c.check("RWLOCK-10", r == 0 && w, || {
            format!(
                "after every reader left, readers() is {r} and try_acquire_write {}: a ghost \
                 read hold keeps writers out forever",
                if w { "succeeded" } else { "failed" }
            )
        });
        if w {
            released(c, "RWLOCK-10", l.release_write(), "writer after the churn");
        }
    }
    c.check("RWLOCK-10", true, String::new);
}

fn exclusion<L: RwLockApi + ?Sized>(l: &L, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    if HAS_CLOCK {
        s.ready.fetch_add(1, Release);
        spin_until(|| s.ready.load(Acquire) == exclusion_workers(p) as u32);
    }
    let long = Duration::from_secs(60);
    for i in 0..p.iters as usize {
        let form = (me + i / 3) % 4;
        if writes(me, i) {
            match form {
                0 => l.acquire_write(),
                1 => {
                    let _g = l.write();
                    write_section(s, c);
                    continue;
                }
                2 => spin_until(|| l.try_acquire_write()),
                _ => {
                    if !retry_timed(c, || l.acquire_write_timeout(long)) {
                        return;
                    }
                }
            }
            write_section(s, c);
            if let Err(e) = l.release_write() {
                c.check("RWLOCK-02", false, || {
                    format!("the writer's release failed ({e}): someone else released it")
                });
            }
        } else {
            match form {
                0 => l.acquire_read(),
                1 => {
                    let _g = l.read();
                    read_section(s, c);
                    continue;
                }
                2 => spin_until(|| l.try_acquire_read()),
                _ => {
                    if !retry_timed(c, || l.acquire_read_timeout(long)) {
                        return;
                    }
                }
            }
            read_section(s, c);
            if let Err(e) = l.release_read() {
                c.check("RWLOCK-03", false, || {
                    format!("a reader's release failed ({e}): the read holds were lost")
                });
            }
        }
    }
    c.check("RWLOCK-10", true, String::new);
}

/// Workers of [`HISTORY`]: up to 3; 2 under loom.
fn history_workers(p: &Params) -> usize {
    if cfg!(twinsync_loom) {
        2
    } else {
        p.workers.clamp(2, 3)
    }
}

/// A deterministic mix for worker `me`: every acquisition is followed by the same worker's
/// release; writers only try (a writer that waits would make a reader's failure depend on
/// waiting, which the model does not know).
fn history<L: RwLockApi + ?Sized>(l: &L, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    if HAS_CLOCK {
        s.ready.fetch_add(1, Release);
        spin_until(|| s.ready.load(Acquire) == history_workers(p) as u32);
    }
    let n = p.iters.min(HISTORY_OPS) as usize;
    for i in 0..n {
        let pick = (me * 3 + i * 2 + i / 5) % 5;
        let t = super::now();
        let (write, got) = match pick {
            0 => {
                l.acquire_read();
                c.record(me, t, op::ACQUIRE_READ, 0, 1);
                (false, true)
            }
            1 => {
                let ok = l.try_acquire_read();
                c.record(me, t, op::TRY_READ, 0, u64::from(ok));
                (false, ok)
            }
            2 => match l.acquire_read_timeout(Duration::from_micros(50)) {
                Ok(ok) => {
                    c.record(me, t, op::READ_TIMEOUT, 0, u64::from(ok));
                    (false, ok)
                }
                Err(e) => {
                    c.check("RWLOCK-02", false, || format!("acquire_read_timeout: {e}"));
                    return;
                }
            },
            _ => {
                let ok = l.try_acquire_write();
                c.record(me, t, op::TRY_WRITE, 0, u64::from(ok));
                (true, ok)
            }
        };
        if got {
            yield_now();
            let t = super::now();
            let (code, r) = if write {
                (op::RELEASE_WRITE, l.release_write())
            } else {
                (op::RELEASE_READ, l.release_read())
            };
            c.record(me, t, code, 0, u64::from(r.is_ok()));
        }
    }
    c.check("RWLOCK-10", true, String::new);
}
