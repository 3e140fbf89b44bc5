//! Pipe scenarios: the worker bodies every driver runs.
//!
//! A Pipe subject is a [`PipeSubject`]: both ends of one duplex pipe of [`PIPE_CAPACITY`]
//! messages per direction (worker bodies pick the end they use), plus a way to make a
//! one-way pair for PIPE-04. Messages are byte vectors; message `i` of a stream is
//! [`message(i)`](message): `i % 5` bytes (so every fifth is empty), each `i as u8`.
//!
//! | scenario | workers | clauses |
//! |---|---|---|
//! | [`SEQUENTIAL`] | 1 | PIPE-01..08, 10..12, 15 |
//! | [`STREAMS`] | 4 (2 under loom): a sender and a receiver per direction | PIPE-13, 01, 02, 14 |
//! | [`EOF_WAKES_RECEIVER`] | 2 | PIPE-09, PIPE-06 |
//! | [`CLOSE_WAKES_SENDER`] | 2 | PIPE-09 |

use std::time::{Duration, Instant};

use twinsync::sync::atomic::Ordering::*;
use twinsync::{ConnectionApi, Error, TIMEOUT_MAX};

use super::{spin_until, wait_until_blocked, worker_id, Checks, Params, Scratch, HAS_CLOCK};
use crate::family::{no_finish, Scenario, ScenarioInfo};
use crate::spec::pipe::Msg;

/// Messages each direction of a Pipe subject holds.
pub const PIPE_CAPACITY: usize = 4;

/// Both ends of a duplex pipe of [`PIPE_CAPACITY`] messages per direction, as the suite runs
/// them.
pub trait PipeSubject: Sized {
    /// One end.
    type End: ConnectionApi<Msg>;
    /// The largest encoded message (process version), `None` when messages are moved.
    const MAX_MESSAGE: Option<usize> = None;
    /// End `i` (0 or 1).
    fn end(&self, i: usize) -> &Self::End;
    /// A fresh one-way pair, `[reader, writer]`, of the same kind (PIPE-04, PIPE-15).
    ///
    /// # Errors
    ///
    /// Whatever making it may fail with.
    fn one_way() -> Result<[Self::End; 2], Error>;
}

/// Message `i` of a stream: `i % 5` bytes, each `i as u8` (every fifth is empty).
pub fn message(i: u64) -> Msg {
    vec![i as u8; (i % 5) as usize]
}

/// One worker walks through every operation on a duplex pair and a one-way pair.
pub const SEQUENTIAL: &str = "sequential";
/// A sender and a receiver on each direction at once; every message arrives once, in order.
pub const STREAMS: &str = "streams";
/// Worker 1 sleeps in `recv` on an empty direction; worker 0 closes its end.
pub const EOF_WAKES_RECEIVER: &str = "eof_wakes_receiver";
/// Worker 1 fills its direction and sleeps in `send`; worker 0 closes its end.
pub const CLOSE_WAKES_SENDER: &str = "close_wakes_sender";

fn info(
    name: &'static str,
    clauses: &'static [&'static str],
    workers: fn(&Params) -> usize,
) -> ScenarioInfo {
    let progress = ["PIPE-13", "PIPE-09"]
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

/// Workers of [`STREAMS`]: 4 (one direction, 2, under loom).
fn stream_workers(_: &Params) -> usize {
    if cfg!(twinsync_loom) {
        2
    } else {
        4
    }
}

/// The Pipe scenarios, in the order drivers run them.
pub fn scenarios<P: PipeSubject>() -> Vec<Scenario<P>> {
    vec![
        Scenario {
            info: ScenarioInfo {
                clock_clauses: &["PIPE-05", "PIPE-10"],
                ..info(
                    SEQUENTIAL,
                    &[
                        "PIPE-01", "PIPE-02", "PIPE-03", "PIPE-04", "PIPE-05", "PIPE-06",
                        "PIPE-07", "PIPE-08", "PIPE-10", "PIPE-11", "PIPE-12", "PIPE-15",
                        "PIPE-16",
                    ],
                    |_| 1,
                )
            },
            body: |p, _, _, params, c| sequential(p, params, c),
            finish: no_finish,
        },
        Scenario {
            info: ScenarioInfo {
                repeat: true,
                ..info(
                    STREAMS,
                    &["PIPE-13", "PIPE-01", "PIPE-02", "PIPE-14"],
                    stream_workers,
                )
            },
            body: streams,
            finish: no_finish,
        },
        Scenario {
            info: info(EOF_WAKES_RECEIVER, &["PIPE-09", "PIPE-06"], |_| 2),
            body: eof_wakes_receiver,
            finish: no_finish,
        },
        Scenario {
            info: info(CLOSE_WAKES_SENDER, &["PIPE-09"], |_| 2),
            body: close_wakes_sender,
            finish: no_finish,
        },
    ]
}

fn sent(c: &mut Checks, clause: &'static str, r: Result<(), Error>, what: &str) {
    c.check(clause, r.is_ok(), || format!("{what}: {r:?}"));
}

fn received(c: &mut Checks, clause: &'static str, r: Result<Msg, Error>, want: &Msg, what: &str) {
    c.check(clause, matches!(&r, Ok(m) if m == want), || {
        format!("{what}: {r:?}, expected Ok({want:?})")
    });
}

fn is_err(r: &Result<impl std::fmt::Debug, Error>, f: impl Fn(&Error) -> bool) -> bool {
    matches!(r, Err(e) if f(e))
}

fn sequential<P: PipeSubject>(p: &P, params: &Params, c: &mut Checks) {
    let too_large = TIMEOUT_MAX + Duration::from_nanos(1);
    let t = params.timeout;
    let (a, b) = (p.end(0), p.end(1));
    // PIPE-03 / PIPE-01 / PIPE-02: both ends send; boundaries (empty messages included) and
    // order kept per direction, the directions independent.
    c.check(
        "PIPE-03",
        a.readable() && a.writable() && b.readable() && b.writable(),
        || "a duplex end is not both readable and writable".into(),
    );
    for i in 0..3 {
        sent(c, "PIPE-03", a.send(message(i)), "end 0 sends");
        sent(c, "PIPE-03", b.send(message(10 + i)), "end 1 sends");
    }
    // PIPE-05: poll sees a message and does not consume it.
    for _ in 0..2 {
        let r = b.poll(Duration::ZERO);
        c.check("PIPE-05", matches!(r, Ok(true)), || {
            format!("poll(0) with messages ready: {r:?}")
        });
    }
    // Only non-blocking or timed receives here: a broken end that drops or consumes a
    // message must fail a check, not hang.
    for i in 0..3 {
        let r = if i == 1 {
            b.recv_timeout(t)
        } else {
            b.try_recv()
        };
        received(
            c,
            "PIPE-01",
            r,
            &message(i),
            "end 1 receives end 0's stream",
        );
    }
    for i in 0..3 {
        let r = if i % 2 == 0 {
            a.try_recv()
        } else {
            a.recv_timeout(t)
        };
        received(
            c,
            "PIPE-02",
            r,
            &message(10 + i),
            "end 0 receives end 1's stream",
        );
    }
    // PIPE-05 / PIPE-10 on an empty direction.
    let r = a.poll(Duration::ZERO);
    c.check("PIPE-05", matches!(r, Ok(false)), || {
        format!("poll(0) on an empty direction: {r:?}")
    });
    let t0 = Instant::now();
    let r = a.poll(t);
    let el = t0.elapsed();
    c.check_timed("PIPE-05", matches!(r, Ok(false)), el >= t, || {
        format!("poll({t:?}) on an empty direction: {r:?} after {el:?}")
    });
    let r = a.try_recv();
    c.check("PIPE-10", is_err(&r, |e| matches!(e, Error::Empty)), || {
        format!("try_recv on an empty direction: {r:?}")
    });
    let t0 = Instant::now();
    let r = a.recv_timeout(t);
    let el = t0.elapsed();
    c.check_timed(
        "PIPE-10",
        is_err(&r, |e| matches!(e, Error::Empty)),
        el >= t,
        || format!("recv_timeout({t:?}) on an empty direction: {r:?} after {el:?}"),
    );
    // PIPE-10: a full direction.
    for i in 0..PIPE_CAPACITY as u64 {
        sent(
            c,
            "PIPE-10",
            a.send_timeout(message(i), t),
            "a send with room",
        );
    }
    let t0 = Instant::now();
    let r = a.send_timeout(message(9), t);
    let el = t0.elapsed();
    c.check_timed(
        "PIPE-10",
        is_err(&r, |e| matches!(e, Error::Full)),
        el >= t,
        || format!("send_timeout({t:?}) on a full direction: {r:?} after {el:?}"),
    );
    // PIPE-12: timeouts above TIMEOUT_MAX change nothing.
    for r in [
        a.send_timeout(message(8), too_large).map(|_| true),
        b.poll(too_large),
    ] {
        c.check(
            "PIPE-12",
            is_err(&r, |e| matches!(e, Error::TimeoutTooLarge { .. })),
            || format!("a timeout above TIMEOUT_MAX: {r:?}"),
        );
    }
    let r = b.recv_timeout(too_large);
    c.check(
        "PIPE-12",
        is_err(&r, |e| matches!(e, Error::TimeoutTooLarge { .. })),
        || format!("recv_timeout above TIMEOUT_MAX: {r:?}"),
    );
    for i in 0..PIPE_CAPACITY as u64 {
        let r = if i == 0 {
            b.recv_timeout(t)
        } else {
            b.try_recv()
        };
        received(c, "PIPE-01", r, &message(i), "draining the full direction");
    }
    // PIPE-11: an oversized message is refused at the sender and sends nothing.
    match P::MAX_MESSAGE {
        Some(max) => {
            let r = a.send(vec![7; max + 1]);
            c.check(
                "PIPE-11",
                is_err(&r, |e| matches!(e, Error::MessageTooLarge { .. })),
                || format!("send of a {}-byte message with max {max}: {r:?}", max + 1),
            );
            let r = b.try_recv();
            c.check("PIPE-11", is_err(&r, |e| matches!(e, Error::Empty)), || {
                format!("after a refused send the peer received {r:?}")
            });
        }
        None => c.not_checkable(
            "PIPE-11",
            "the thread version moves messages: no size limit",
        ),
    }
    c.not_checkable(
        "PIPE-16",
        "byte-vector messages always decode; an undecodable message needs a foreign encoder",
    );
    // PIPE-06 / PIPE-07 / PIPE-08: end 1 sends two messages and closes.
    sent(c, "PIPE-06", b.send(message(20)), "before close");
    sent(c, "PIPE-06", b.send(message(21)), "before close");
    b.close();
    b.close();
    c.check("PIPE-08", b.is_closed() && !a.is_closed(), || {
        format!(
            "is_closed() after closing end 1: {} / {}",
            b.is_closed(),
            a.is_closed()
        )
    });
    let r = a.poll(Duration::ZERO);
    c.check("PIPE-05", matches!(r, Ok(true)), || {
        format!("poll(0) with a message then EOF: {r:?}")
    });
    received(
        c,
        "PIPE-06",
        a.recv(),
        &message(20),
        "after the peer closed",
    );
    received(
        c,
        "PIPE-06",
        a.try_recv(),
        &message(21),
        "after the peer closed",
    );
    for r in [a.recv(), a.try_recv(), a.recv_timeout(t)] {
        c.check("PIPE-06", is_err(&r, |e| matches!(e, Error::Eof)), || {
            format!("receive after the peer closed and the stream drained: {r:?}")
        });
    }
    let r = a.poll(Duration::ZERO);
    c.check("PIPE-05", matches!(r, Ok(true)), || {
        format!("poll(0) at EOF: {r:?}")
    });
    let r = a.send(message(3));
    c.check(
        "PIPE-07",
        is_err(&r, |e| matches!(e, Error::Closed)),
        || format!("send after the peer closed: {r:?}"),
    );
    let closed = |e: &Error| matches!(e, Error::Closed);
    let rs = [
        b.send(message(1)).map(|_| Vec::new()),
        b.send_timeout(message(1), t).map(|_| Vec::new()),
        b.recv(),
        b.try_recv(),
        b.recv_timeout(t),
        b.poll(t).map(|_| Vec::new()),
    ];
    for r in rs {
        c.check("PIPE-08", is_err(&r, closed), || {
            format!("an operation on a closed end: {r:?}")
        });
    }
    // PIPE-04 / PIPE-15: a one-way pair.
    match P::one_way() {
        Ok([reader, writer]) => one_way(&reader, &writer, P::MAX_MESSAGE.is_some(), c),
        Err(e) => c.check("PIPE-04", false, || format!("making a one-way pipe: {e}")),
    }
}

fn one_way<E: ConnectionApi<Msg>>(reader: &E, writer: &E, named: bool, c: &mut Checks) {
    let dirs = (
        reader.readable(),
        reader.writable(),
        writer.readable(),
        writer.writable(),
    );
    let clause = if named { "PIPE-15" } else { "PIPE-04" };
    c.check(clause, dirs == (true, false, false, true), || {
        format!("(reader r/w, writer r/w) of a one-way pipe: {dirs:?}")
    });
    if !named {
        c.not_checkable("PIPE-15", "the thread version has no names");
    }
    let wrong = |op: &'static str| move |e: &Error| matches!(e, Error::WrongDirection { op: o } if *o == op);
    let r = reader.send(message(1));
    c.check("PIPE-04", is_err(&r, wrong("send")), || {
        format!("send on the reader: {r:?}")
    });
    let r = writer.recv();
    c.check("PIPE-04", is_err(&r, wrong("recv")), || {
        format!("recv on the writer: {r:?}")
    });
    let r = writer.poll(Duration::ZERO);
    c.check("PIPE-04", is_err(&r, wrong("poll")), || {
        format!("poll on the writer: {r:?}")
    });
    sent(c, "PIPE-04", writer.send(message(2)), "send on the writer");
    received(
        c,
        "PIPE-04",
        reader.try_recv(),
        &message(2),
        "recv on the reader",
    );
    let r = reader.try_recv();
    c.check("PIPE-04", is_err(&r, |e| matches!(e, Error::Empty)), || {
        format!("a refused send sent something: {r:?}")
    });
}

/// Messages per direction in [`STREAMS`]: `iters`, at least 6 (two laps of the ring) and at
/// most 1000; 3 under loom.
fn stream_len(p: &Params) -> u64 {
    if cfg!(twinsync_loom) {
        3
    } else {
        u64::from(p.iters.clamp(6, 1000))
    }
}

fn streams<P: PipeSubject>(p: &P, s: &Scratch, me: usize, params: &Params, c: &mut Checks) {
    let workers = stream_workers(params) as u32;
    if HAS_CLOCK {
        s.ready.fetch_add(1, Release);
        spin_until(|| s.ready.load(Acquire) == workers);
    }
    let n = stream_len(params);
    // Worker 0 sends on end 0, worker 1 receives on end 1; workers 2 and 3 the other way.
    // `slots[dir]` holds the number of the last message sent on `dir` (a plain write the
    // pipe must order before the message's receipt).
    let dir = me / 2;
    let last = &s.slots[dir];
    if me % 2 == 0 {
        let end = p.end(dir);
        for i in 0..n {
            last.store(i + 1, Relaxed);
            sent(c, "PIPE-13", end.send(message(i)), "a stream's send");
        }
    } else {
        let end = p.end(1 - dir);
        for i in 0..n {
            let r = end.recv();
            let ok = matches!(&r, Ok(m) if *m == message(i));
            c.check("PIPE-13", ok, || {
                format!(
                    "message {i} of direction {dir}: {r:?}, expected {:?}",
                    message(i)
                )
            });
            if !ok {
                return;
            }
            let w = last.load(Relaxed);
            c.check("PIPE-14", w > i, || {
                format!("received message {i} but saw the write made before its send as {w}")
            });
        }
    }
}

fn eof_wakes_receiver<P: PipeSubject>(
    p: &P,
    s: &Scratch,
    me: usize,
    params: &Params,
    c: &mut Checks,
) {
    if me == 0 {
        spin_until(|| s.ready.load(Acquire) == 1);
        wait_until_blocked(s.ids[1].load(Acquire), params.block_bound);
        p.end(0).close();
    } else {
        s.ids[1].store(worker_id(), Relaxed);
        s.ready.store(1, Release);
        let r = p.end(1).recv();
        c.check("PIPE-09", is_err(&r, |e| matches!(e, Error::Eof)), || {
            format!("a receiver woken by the peer's close: {r:?}")
        });
    }
}

fn close_wakes_sender<P: PipeSubject>(
    p: &P,
    s: &Scratch,
    me: usize,
    params: &Params,
    c: &mut Checks,
) {
    if me == 0 {
        spin_until(|| s.ready.load(Acquire) == 1);
        wait_until_blocked(s.ids[1].load(Acquire), params.block_bound);
        p.end(0).close();
    } else {
        let end = p.end(1);
        for i in 0..PIPE_CAPACITY as u64 {
            sent(c, "PIPE-09", end.send(message(i)), "filling");
        }
        s.ids[1].store(worker_id(), Relaxed);
        s.ready.store(1, Release);
        let r = end.send(message(9));
        c.check(
            "PIPE-09",
            is_err(&r, |e| matches!(e, Error::Closed)),
            || format!("a sender woken by the peer's close: {r:?}"),
        );
    }
}
