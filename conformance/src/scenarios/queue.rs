//! Queue scenarios: the worker bodies and end-of-run checks every driver runs.
//!
//! Subjects are queues of `u64` items of capacity [`CAPACITY`]; concurrent scenarios put
//! unique items (producer id in the high 32 bits, sequence number in the low ones).
//!
//! | scenario | workers | clauses |
//! |---|---|---|
//! | [`SEQUENTIAL`] | 1 | QUEUE-01..05, 08, 09, 11..15 |
//! | [`MPMC`] | `workers` (half producers) | QUEUE-07, QUEUE-02, QUEUE-06 |
//! | [`WAKE_GET`] | 1 putter + `waiters` getters | QUEUE-06 |
//! | [`WAKE_PUT`] | 1 getter + `waiters` putters | QUEUE-06 |
//! | [`CLOSE_WAKES_GETTERS`] | 1 closer + `waiters` getters | QUEUE-10 |
//! | [`CLOSE_WAKES_PUTTERS`] | 1 closer + `waiters` putters | QUEUE-10 |
//! | [`JOIN`] | 1 joiner + `waiters` consumers | QUEUE-12, QUEUE-06 |
//! | [`HANDOFF`] | 2 | QUEUE-16, QUEUE-17 |
//! | [`HISTORY`] | up to 3 | QUEUE-18 |

use std::time::{Duration, Instant};

use twinsync::sync::atomic::Ordering::*;
use twinsync::{Error, QueueApi, TIMEOUT_MAX};

use super::{spin_until, wait_until_blocked, worker_id, yield_now, Checks, Params, Scratch};
use super::{HAS_CLOCK, SLOTS};
use crate::family::{no_finish, Scenario, ScenarioInfo};

/// The capacity every Queue subject is made with.
pub const CAPACITY: usize = 4;

/// A queue of `u64` items the suite can run: [`QueueApi`], plus what the scenarios need to
/// know about the subject that the trait does not say.
pub trait QueueSubject: QueueApi<u64> {
    /// The largest encoded message the subject accepts (process version), `None` when items
    /// are moved, not encoded (thread version).
    const MAX_MESSAGE: Option<usize> = None;
}

/// One worker walks through every operation on an empty, a full and a closed queue, over
/// several laps of the ring.
pub const SEQUENTIAL: &str = "sequential";
/// Half the workers put `iters` unique items each (rotating the put forms), the others get
/// them all; nothing lost or duplicated, each producer's order kept.
pub const MPMC: &str = "mpmc";
/// Getters sleep in `get` on an empty queue; then one worker puts an item for each.
pub const WAKE_GET: &str = "wake_get";
/// Worker 0 fills the queue; putters sleep in `put`; then worker 0 gets everything.
pub const WAKE_PUT: &str = "wake_put";
/// Getters sleep in `get` on an empty queue; worker 0 closes it.
pub const CLOSE_WAKES_GETTERS: &str = "close_wakes_getters";
/// Worker 0 fills the queue; putters sleep in `put`; worker 0 closes it.
pub const CLOSE_WAKES_PUTTERS: &str = "close_wakes_putters";
/// Worker 0 puts an item per consumer and sleeps in `join`; the consumers get and mark done.
pub const JOIN: &str = "join";
/// Worker 0 writes scratch memory, then puts; worker 1 gets and must see the writes.
pub const HANDOFF: &str = "handoff";
/// Up to 3 workers each alternate a put (any form) and a get (any form), recording every
/// operation; the merged history must be linearizable (QUEUE-18).
pub const HISTORY: &str = "history";

/// Operation codes of [`HISTORY`]'s records ([`RawOp::op`](super::RawOp::op)).
pub mod op {
    /// `put(v)`; `arg` is `v`, `res` 1.
    pub const PUT: u32 = 0;
    /// `try_put(v)` or `put_timeout(v, _)`; `res` 1 put, 0 full.
    pub const TRY_PUT: u32 = 1;
    /// `get()`; `res` the item.
    pub const GET: u32 = 2;
    /// `try_get()` or `get_timeout(_)`; `arg` 1 and `res` the item, or `arg` 0 (empty).
    pub const TRY_GET: u32 = 3;
}

/// An item no scenario puts (scratch slots use 0 as "none").
fn item(producer: usize, seq: u64) -> u64 {
    ((producer as u64 + 1) << 32) | seq
}

fn info(
    name: &'static str,
    clauses: &'static [&'static str],
    workers: fn(&Params) -> usize,
) -> ScenarioInfo {
    let progress = ["QUEUE-06", "QUEUE-10"]
        .into_iter()
        .find(|p| clauses.contains(p));
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

/// Sleepers in the wake-up scenarios: `waiters`, at most 2 (1 under loom).
fn sleepers(p: &Params) -> usize {
    let max = if cfg!(twinsync_loom) { 1 } else { 2 };
    p.waiters.clamp(1, max)
}

/// Workers of [`MPMC`]: at least 2, at most 4 (2 under loom).
fn mpmc_workers(p: &Params) -> usize {
    let max = if cfg!(twinsync_loom) { 2 } else { 4 };
    p.workers.clamp(2, max)
}

/// Items each [`MPMC`] producer puts: enough for many laps of the ring, at most 1000.
fn mpmc_items(p: &Params) -> u64 {
    u64::from(p.iters.clamp(1, 1000))
}

/// Workers of [`HISTORY`]: up to 3, 2 under loom.
fn history_workers(p: &Params) -> usize {
    let max = if cfg!(twinsync_loom) { 2 } else { 3 };
    p.workers.clamp(2, max)
}

/// The Queue scenarios, in the order drivers run them.
pub fn scenarios<Q: QueueSubject>() -> Vec<Scenario<Q>> {
    vec![
        Scenario {
            info: ScenarioInfo {
                clock_clauses: &["QUEUE-05", "QUEUE-12"],
                ..info(
                    SEQUENTIAL,
                    &[
                        "QUEUE-01", "QUEUE-02", "QUEUE-03", "QUEUE-04", "QUEUE-05", "QUEUE-08",
                        "QUEUE-09", "QUEUE-11", "QUEUE-12", "QUEUE-13", "QUEUE-14", "QUEUE-15",
                    ],
                    |_| 1,
                )
            },
            body: |q, _, _, p, c| sequential(q, p, c),
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                ..info(MPMC, &["QUEUE-07", "QUEUE-02", "QUEUE-06"], mpmc_workers)
            },
            body: mpmc,
            finish: mpmc_finish,
        },
        Scenario {
            info: info(WAKE_GET, &["QUEUE-06"], |p| 1 + sleepers(p)),
            body: wake_get,
            finish: no_finish,
        },
        Scenario {
            info: info(WAKE_PUT, &["QUEUE-06", "QUEUE-02"], |p| 1 + sleepers(p)),
            body: wake_put,
            finish: no_finish,
        },
        Scenario {
            info: info(CLOSE_WAKES_GETTERS, &["QUEUE-10"], |p| 1 + sleepers(p)),
            body: close_wakes_getters,
            finish: no_finish,
        },
        Scenario {
            info: info(CLOSE_WAKES_PUTTERS, &["QUEUE-10", "QUEUE-09"], |p| {
                1 + sleepers(p)
            }),
            body: close_wakes_putters,
            finish: no_finish,
        },
        Scenario {
            info: info(JOIN, &["QUEUE-12", "QUEUE-06"], |p| 1 + sleepers(p)),
            body: join,
            finish: no_finish,
        },
        Scenario {
            info: info(HANDOFF, &["QUEUE-16", "QUEUE-17"], |_| 2),
            body: handoff,
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                ..info(HISTORY, &["QUEUE-18", "QUEUE-06"], history_workers)
            },
            body: history,
            finish: no_finish,
        },
    ]
}

fn put_ok(
    c: &mut Checks,
    clause: &'static str,
    r: Result<(), twinsync::PutError<u64>>,
    what: &str,
) {
    c.check(clause, r.is_ok(), || format!("{what}: {r:?}"));
}

fn got(c: &mut Checks, clause: &'static str, r: Result<u64, Error>, want: u64, what: &str) {
    c.check(clause, matches!(r, Ok(v) if v == want), || {
        format!("{what}: {r:?}, expected Ok({want})")
    });
}

/// Content checks of QUEUE-15 and QUEUE-01 (nothing in progress).
fn content<Q: QueueApi<u64> + ?Sized>(q: &Q, c: &mut Checks, len: usize) {
    let (l, e, f) = (q.len(), q.is_empty(), q.is_full());
    c.check(
        "QUEUE-15",
        l == len && e == (len == 0) && f == (len == CAPACITY),
        || format!("len/is_empty/is_full = {l}/{e}/{f} holding {len} of {CAPACITY}"),
    );
    c.check("QUEUE-01", l <= q.capacity(), || {
        format!("len() {l} above capacity() {}", q.capacity())
    });
}

fn sequential<Q: QueueSubject + ?Sized>(q: &Q, p: &Params, c: &mut Checks) {
    let too_large = TIMEOUT_MAX + Duration::from_nanos(1);
    let cap = q.capacity();
    c.check("QUEUE-01", cap == CAPACITY, || {
        format!("capacity() is {cap}, made with {CAPACITY}")
    });
    content(q, c, 0);
    let r = q.try_get();
    c.check("QUEUE-04", matches!(r, Err(Error::Empty)), || {
        format!("try_get on an empty queue: {r:?}")
    });
    let t0 = Instant::now();
    let r = q.get_timeout(p.timeout);
    let el = t0.elapsed();
    c.check_timed(
        "QUEUE-05",
        matches!(r, Err(Error::Empty)),
        el >= p.timeout,
        || {
            format!(
                "get_timeout({:?}) on an empty queue: {r:?} after {el:?}",
                p.timeout
            )
        },
    );
    let r = q.task_done();
    c.check(
        "QUEUE-11",
        matches!(r, Err(Error::TooManyReleases { .. })),
        || format!("task_done with nothing gotten: {r:?}"),
    );
    let r = q.join_timeout(Duration::ZERO);
    c.check("QUEUE-12", matches!(r, Ok(true)), || {
        format!("join_timeout(0) with no task: {r:?}")
    });
    // QUEUE-02 over several laps of the ring, each lap filling it (a wrong slot index shows
    // as a lost or reordered item).
    let mut next_put = 0u64;
    let mut next_get = 0u64;
    for lap in 0..3u64 {
        for i in 0..CAPACITY as u64 {
            let v = item(0, next_put);
            let r = match (lap + i) % 3 {
                0 => q.put(v),
                1 => q.try_put(v),
                _ => q.put_timeout(v, p.timeout),
            };
            put_ok(c, "QUEUE-02", r, "a put with room");
            next_put += 1;
        }
        content(q, c, CAPACITY);
        if lap == 0 {
            let r = q.try_put(99);
            c.check(
                "QUEUE-03",
                matches!(&r, Err(e) if matches!(e.error, Error::Full) && e.item == 99),
                || format!("try_put on a full queue: {r:?}"),
            );
            let t0 = Instant::now();
            let r = q.put_timeout(98, p.timeout);
            let el = t0.elapsed();
            c.check_timed(
                "QUEUE-05",
                matches!(&r, Err(e) if matches!(e.error, Error::Full) && e.item == 98),
                el >= p.timeout,
                || format!("put_timeout on a full queue: {r:?} after {el:?}"),
            );
            let r = q.put_timeout(97, too_large);
            c.check("QUEUE-14", matches!(&r, Err(e) if matches!(e.error, Error::TimeoutTooLarge { .. }) && e.item == 97), || {
                format!("put_timeout(TIMEOUT_MAX + 1ns): {r:?}")
            });
            content(q, c, CAPACITY);
        }
        for i in 0..CAPACITY as u64 {
            let r = match (lap + i) % 3 {
                0 => q.get(),
                1 => q.try_get(),
                _ => q.get_timeout(p.timeout),
            };
            got(c, "QUEUE-02", r, item(0, next_get), "FIFO over laps");
            next_get += 1;
        }
        content(q, c, 0);
    }
    let u = q.unfinished_tasks();
    c.check("QUEUE-12", u == next_put, || {
        format!("unfinished_tasks() {u} after {next_put} puts and no task_done")
    });
    let t0 = Instant::now();
    let r = q.join_timeout(p.timeout);
    let el = t0.elapsed();
    c.check_timed("QUEUE-12", matches!(r, Ok(false)), el >= p.timeout, || {
        format!("join_timeout with tasks left: {r:?} after {el:?}")
    });
    for _ in 0..next_put {
        let r = q.task_done();
        c.check("QUEUE-11", r.is_ok(), || {
            format!("task_done of a gotten item: {r:?}")
        });
    }
    let r = q.task_done();
    c.check(
        "QUEUE-11",
        matches!(r, Err(Error::TooManyReleases { .. })),
        || format!("one task_done too many: {r:?}"),
    );
    let r = q.join_timeout(too_large);
    c.check(
        "QUEUE-14",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("join_timeout(TIMEOUT_MAX + 1ns): {r:?}"),
    );
    q.join();
    let r = q.get_timeout(too_large);
    c.check(
        "QUEUE-14",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("get_timeout(TIMEOUT_MAX + 1ns): {r:?}"),
    );
    // QUEUE-13: an oversized message is refused and the queue keeps its content and order.
    put_ok(c, "QUEUE-02", q.put(item(0, 100)), "a small item");
    put_ok(c, "QUEUE-02", q.put(item(0, 101)), "a small item");
    match Q::MAX_MESSAGE {
        Some(max) => {
            let r = q.put(u64::MAX);
            c.check(
                "QUEUE-13",
                matches!(&r, Err(e) if e.item == u64::MAX
                    && matches!(e.error, Error::MessageTooLarge { max: m, .. } if m == max)),
                || format!("put of an item encoded above {max} bytes: {r:?}"),
            );
            content(q, c, 2);
        }
        None => c.not_checkable(
            "QUEUE-13",
            "the thread version moves items: no message size limit",
        ),
    }
    // QUEUE-08/09: close refuses puts, drains gets in order, then Closed.
    q.close();
    q.close();
    c.check("QUEUE-08", q.is_closed(), || {
        "is_closed() false after close()".into()
    });
    for r in [q.put(7), q.try_put(7), q.put_timeout(7, p.timeout)] {
        c.check(
            "QUEUE-08",
            matches!(&r, Err(e) if matches!(e.error, Error::Closed) && e.item == 7),
            || format!("a put on a closed queue: {r:?}"),
        );
    }
    content(q, c, 2);
    got(
        c,
        "QUEUE-09",
        q.get_timeout(p.timeout),
        item(0, 100),
        "closed, draining",
    );
    got(c, "QUEUE-09", q.try_get(), item(0, 101), "closed, draining");
    for r in [q.get(), q.try_get(), q.get_timeout(p.timeout)] {
        c.check("QUEUE-09", matches!(r, Err(Error::Closed)), || {
            format!("a get on a closed, drained queue: {r:?}")
        });
    }
    content(q, c, 0);
}

/// Scratch slots of [`MPMC`]: `slots[p]` counts producer `p`'s items gotten, `slots[8 + p]`
/// sums their sequence numbers.
const SUMS: usize = 8;

fn mpmc<Q: QueueApi<u64> + ?Sized>(q: &Q, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let workers = mpmc_workers(p);
    let producers = workers / 2;
    let n = mpmc_items(p);
    if HAS_CLOCK {
        s.ready.fetch_add(1, Release);
        spin_until(|| s.ready.load(Acquire) == workers as u32);
    }
    if me < producers {
        for i in 0..n {
            let v = item(me, i);
            let r = match i % 3 {
                0 => q.put(v),
                1 => {
                    let mut v = v;
                    loop {
                        match q.try_put(v) {
                            Err(e) if matches!(e.error, Error::Full) => {
                                v = e.item;
                                yield_now();
                            }
                            r => break r,
                        }
                    }
                }
                _ => {
                    let mut v = v;
                    loop {
                        // Under a checker a timed put on a full queue fails at once: retry.
                        match q.put_timeout(v, Duration::from_secs(60)) {
                            Err(e) if matches!(e.error, Error::Full) => {
                                v = e.item;
                                yield_now();
                            }
                            r => break r,
                        }
                    }
                }
            };
            put_ok(c, "QUEUE-07", r, "a producer's put");
        }
    } else {
        // Consumer k of the others gets its share of all the items.
        let consumers = (workers - producers) as u64;
        let k = (me - producers) as u64;
        let total = producers as u64 * n;
        let share = total / consumers + u64::from(k < total % consumers);
        let mut last = [None::<u64>; SUMS];
        for i in 0..share {
            let r = match i % 3 {
                0 => q.get(),
                1 => loop {
                    match q.try_get() {
                        Err(Error::Empty) => yield_now(),
                        r => break r,
                    }
                },
                _ => loop {
                    match q.get_timeout(Duration::from_secs(60)) {
                        Err(Error::Empty) => yield_now(),
                        r => break r,
                    }
                },
            };
            let v = match r {
                Ok(v) => v,
                Err(e) => {
                    c.check("QUEUE-07", false, || format!("a consumer's get: {e}"));
                    return;
                }
            };
            let (who, seq) = ((v >> 32) as usize, v & 0xffff_ffff);
            if who == 0 || who > producers || seq >= n {
                c.check("QUEUE-07", false, || {
                    format!("got {v:#x}, which nobody put")
                });
                return;
            }
            let pr = who - 1;
            if let Some(prev) = last[pr] {
                c.check("QUEUE-02", seq > prev, || {
                    format!("producer {pr}'s item {seq} came after its item {prev}")
                });
            }
            last[pr] = Some(seq);
            s.slots[pr].fetch_add(1, Relaxed);
            s.slots[SUMS + pr].fetch_add(seq, Relaxed);
        }
    }
    c.check("QUEUE-06", true, String::new);
}

fn mpmc_finish(s: &Scratch, p: &Params, c: &mut Checks) {
    let producers = mpmc_workers(p) / 2;
    let n = mpmc_items(p);
    for pr in 0..producers.min(SLOTS - SUMS) {
        let (count, sum) = (s.slots[pr].load(Acquire), s.slots[SUMS + pr].load(Acquire));
        c.check("QUEUE-07", count == n && sum == n * (n - 1) / 2, || {
            format!(
                "producer {pr} put {n} items; {count} were gotten, their numbers summing to \
                 {sum} instead of {}",
                n * (n - 1) / 2
            )
        });
    }
}

/// Publishes the calling worker's id and waits for worker 0's go.
fn publish(s: &Scratch, me: usize) {
    spin_until(|| s.step.load(Acquire) == 1);
    s.ids[me].store(worker_id(), Relaxed);
    s.ready.fetch_add(1, Release);
}

/// Worker 0: says go, waits until `n` sleepers have published their ids and sleep.
fn await_sleepers(s: &Scratch, n: usize, p: &Params) {
    s.step.store(1, Release);
    spin_until(|| s.ready.load(Acquire) == n as u32);
    for id in &s.ids[1..=n] {
        // Best effort: a correct queue passes anyway; a lost wake-up may go unseen.
        wait_until_blocked(id.load(Acquire), p.block_bound);
    }
}

fn wake_get<Q: QueueApi<u64> + ?Sized>(q: &Q, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let n = sleepers(p);
    if me == 0 {
        await_sleepers(s, n, p);
        for i in 0..n as u64 {
            put_ok(
                c,
                "QUEUE-06",
                q.put(item(0, i)),
                "put for the sleeping getters",
            );
        }
    } else {
        publish(s, me);
        let r = q.get();
        c.check(
            "QUEUE-06",
            matches!(r, Ok(v) if v >> 32 == 1 && v & 0xffff_ffff < n as u64),
            || format!("a woken getter got {r:?}"),
        );
    }
}

fn wake_put<Q: QueueApi<u64> + ?Sized>(q: &Q, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let n = sleepers(p);
    if me == 0 {
        for i in 0..CAPACITY as u64 {
            put_ok(c, "QUEUE-06", q.put(item(0, i)), "filling");
        }
        await_sleepers(s, n, p);
        for i in 0..CAPACITY as u64 {
            got(
                c,
                "QUEUE-02",
                q.get(),
                item(0, i),
                "the filler's items first",
            );
        }
        for _ in 0..n {
            let r = q.get();
            c.check(
                "QUEUE-06",
                matches!(r, Ok(v) if (2..2 + n as u64).contains(&(v >> 32))),
                || format!("the woken putters' items: {r:?}"),
            );
        }
    } else {
        publish(s, me);
        put_ok(c, "QUEUE-06", q.put(item(me, 0)), "a woken putter");
    }
}

fn close_wakes_getters<Q: QueueApi<u64> + ?Sized>(
    q: &Q,
    s: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if me == 0 {
        await_sleepers(s, sleepers(p), p);
        q.close();
    } else {
        publish(s, me);
        let r = q.get();
        c.check("QUEUE-10", matches!(r, Err(Error::Closed)), || {
            format!("a getter woken by close: {r:?}")
        });
    }
}

fn close_wakes_putters<Q: QueueApi<u64> + ?Sized>(
    q: &Q,
    s: &Scratch,
    me: usize,
    p: &Params,
    c: &mut Checks,
) {
    if me == 0 {
        for i in 0..CAPACITY as u64 {
            put_ok(c, "QUEUE-10", q.put(item(0, i)), "filling");
        }
        await_sleepers(s, sleepers(p), p);
        q.close();
        for i in 0..CAPACITY as u64 {
            got(c, "QUEUE-09", q.get(), item(0, i), "draining after close");
        }
        let r = q.try_get();
        c.check("QUEUE-09", matches!(r, Err(Error::Closed)), || {
            format!("closed and drained: {r:?} (a woken putter's item got in?)")
        });
    } else {
        publish(s, me);
        let v = item(me, 0);
        let r = q.put(v);
        c.check(
            "QUEUE-10",
            matches!(&r, Err(e) if matches!(e.error, Error::Closed) && e.item == v),
            || format!("a putter woken by close: {r:?}"),
        );
    }
}

fn join<Q: QueueApi<u64> + ?Sized>(q: &Q, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let n = sleepers(p);
    if me == 0 {
        for i in 0..n as u64 {
            put_ok(c, "QUEUE-12", q.put(item(0, i)), "a task");
        }
        s.ids[0].store(worker_id(), Relaxed);
        s.step.store(1, Release);
        q.join();
        let u = q.unfinished_tasks();
        c.check("QUEUE-12", u == 0, || {
            format!("join returned with {u} tasks unfinished")
        });
        c.check("QUEUE-06", true, String::new);
    } else {
        spin_until(|| s.step.load(Acquire) == 1);
        let r = q.get();
        c.check("QUEUE-12", r.is_ok(), || format!("a consumer's get: {r:?}"));
        // Mark done only once the joiner sleeps (and the other consumers have their item).
        s.ready.fetch_add(1, AcqRel);
        spin_until(|| s.ready.load(Acquire) == n as u32);
        wait_until_blocked(s.ids[0].load(Acquire), p.block_bound);
        let r = q.task_done();
        c.check("QUEUE-12", r.is_ok(), || format!("task_done: {r:?}"));
    }
}

fn handoff<Q: QueueApi<u64> + ?Sized>(q: &Q, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let n = u64::from(p.iters.clamp(1, 3));
    let seen = &s.counter;
    if me == 0 {
        for i in 1..=n {
            // A plain (Relaxed) write; only the queue orders it before the get.
            seen.store(i, Relaxed);
            put_ok(c, "QUEUE-16", q.put(i), "handoff");
        }
        // QUEUE-17: a get that starts after this put returned must have the item (the
        // queue holds at most `n` < capacity items here, and worker 1 takes only `n`).
        put_ok(c, "QUEUE-17", q.put(42), "a put");
        s.step.store(1, Release);
    } else {
        for i in 1..=n {
            let r = q.get();
            got(c, "QUEUE-16", r, i, "handoff");
            let w = seen.load(Relaxed);
            c.check("QUEUE-16", w >= i, || {
                format!("got item {i} but saw the write made before its put as {w}")
            });
        }
        spin_until(|| s.step.load(Acquire) == 1);
        got(
            c,
            "QUEUE-17",
            q.try_get(),
            42,
            "try_get after another worker's put returned",
        );
    }
}

fn history<Q: QueueApi<u64> + ?Sized>(q: &Q, s: &Scratch, me: usize, p: &Params, c: &mut Checks) {
    let workers = history_workers(p);
    if HAS_CLOCK {
        s.ready.fetch_add(1, Release);
        spin_until(|| s.ready.load(Acquire) == workers as u32);
    }
    // Each worker has at most one item of its own in the queue (capacity >= workers), so a
    // put never waits for long and a get never waits for ever.
    let n = u64::from(p.iters.clamp(1, 200));
    for i in 0..n {
        let v = item(me, i);
        let t = super::now();
        if (i + me as u64) % 2 == 0 {
            let r = q.put(v);
            c.record(me, t, op::PUT, v, u64::from(r.is_ok()));
        } else {
            let r = q.try_put(v);
            c.record(me, t, op::TRY_PUT, v, u64::from(r.is_ok()));
            if r.is_err() {
                let t = super::now();
                let r = q.put(v);
                c.record(me, t, op::PUT, v, u64::from(r.is_ok()));
            }
        }
        yield_now();
        let t = super::now();
        if (i / 2 + me as u64) % 2 == 0 {
            let r = q.try_get();
            match r {
                Ok(v) => c.record(me, t, op::TRY_GET, 1, v),
                Err(_) => {
                    c.record(me, t, op::TRY_GET, 0, 0);
                    let t = super::now();
                    let r = q.get();
                    c.record(me, t, op::GET, 0, r.unwrap_or(0));
                }
            }
        } else {
            let r = q.get();
            c.record(me, t, op::GET, 0, r.unwrap_or(0));
        }
    }
    c.check("QUEUE-06", true, String::new);
}
