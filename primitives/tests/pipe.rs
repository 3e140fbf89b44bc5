//! Pipe: both versions through one set of generic checks (boundaries and empty messages,
//! poll never consuming, end of stream, closed ends, one-way direction errors, capacity and
//! timeouts, peers woken by close, streams both ways at once), and the process version's own
//! cases: raw bytes, message size, forked and spawned peers.
//!
//! No sleep is used as synchronization: threads meet through the pipe itself or a
//! `std::sync::Barrier`; only timeouts are measured.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))] // uses the process version

use std::sync::Barrier;
use std::time::{Duration, Instant};

use twinsync::process::{self, Raw};
use twinsync::worker::{Exit, Kind, StartMethod, Worker};
use twinsync::{thread, ConnectionApi, Error};

const SHORT: Duration = Duration::from_millis(20);

type Bytes = Vec<u8>;

// ---- generic checks ------------------------------------------------------------------------

/// Boundaries kept, empty messages real, FIFO, both directions of a duplex pair.
fn boundaries<C: ConnectionApi<Bytes>>(a: &C, b: &C) {
    assert!(a.readable() && a.writable() && b.readable() && b.writable());
    for m in [&b"a"[..], b"b", b"cd", b"", b""] {
        a.send(m.to_vec()).unwrap();
    }
    b.send(b"back".to_vec()).unwrap();
    for m in [&b"a"[..], b"b", b"cd", b"", b""] {
        assert_eq!(b.recv().unwrap(), m);
    }
    assert_eq!(a.recv().unwrap(), b"back");
    assert!(matches!(a.try_recv(), Err(Error::Empty)));
    assert!(matches!(b.try_recv(), Err(Error::Empty)));
}

/// poll: false on empty (after its timeout), true when a message is ready, never consumes.
fn poll_never_consumes<C: ConnectionApi<Bytes>>(a: &C, b: &C) {
    assert!(!b.poll(Duration::ZERO).unwrap());
    let t0 = Instant::now();
    assert!(!b.poll(SHORT).unwrap());
    assert!(t0.elapsed() >= SHORT, "poll gave up early");
    assert!(matches!(
        b.poll(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
    a.send(vec![]).unwrap();
    for _ in 0..3 {
        assert!(b.poll(Duration::ZERO).unwrap());
        assert!(b.poll(SHORT).unwrap());
    }
    assert_eq!(b.recv().unwrap(), b"");
    assert!(!b.poll(Duration::ZERO).unwrap());
}

/// After `a` closes: `b` drains, then Eof (and poll says ready); `b`'s sends fail; every
/// operation on `a` is Closed; closing again is harmless.
fn end_of_stream<C: ConnectionApi<Bytes>>(a: &C, b: &C) {
    a.send(b"1".to_vec()).unwrap();
    a.send(b"2".to_vec()).unwrap();
    b.send(b"lost".to_vec()).unwrap();
    assert!(!a.is_closed());
    a.close();
    a.close();
    assert!(a.is_closed() && !b.is_closed());
    assert!(b.poll(Duration::ZERO).unwrap());
    assert_eq!(b.recv().unwrap(), b"1");
    assert_eq!(b.recv_timeout(SHORT).unwrap(), b"2");
    assert!(
        b.poll(Duration::ZERO).unwrap(),
        "poll is true at end of stream"
    );
    assert!(matches!(b.recv(), Err(Error::Eof)));
    assert!(matches!(b.try_recv(), Err(Error::Eof)));
    assert!(matches!(b.recv_timeout(SHORT), Err(Error::Eof)));
    assert!(matches!(b.send(vec![1]), Err(Error::Closed)));
    assert!(matches!(b.send_timeout(vec![1], SHORT), Err(Error::Closed)));
    assert!(matches!(a.send(vec![1]), Err(Error::Closed)));
    assert!(matches!(a.recv(), Err(Error::Closed)));
    assert!(matches!(a.try_recv(), Err(Error::Closed)));
    assert!(matches!(a.poll(Duration::ZERO), Err(Error::Closed)));
    b.close();
    assert!(
        matches!(b.recv(), Err(Error::Closed)),
        "own end closed wins"
    );
}

/// A one-way pair: the reader cannot send, the writer cannot receive or poll.
fn one_way<C: ConnectionApi<Bytes>>(reader: &C, writer: &C) {
    assert!(reader.readable() && !reader.writable());
    assert!(!writer.readable() && writer.writable());
    assert!(matches!(
        reader.send(vec![1]),
        Err(Error::WrongDirection { op: "send" })
    ));
    assert!(matches!(
        reader.send_timeout(vec![1], SHORT),
        Err(Error::WrongDirection { op: "send" })
    ));
    assert!(matches!(
        writer.recv(),
        Err(Error::WrongDirection { op: "recv" })
    ));
    assert!(matches!(
        writer.try_recv(),
        Err(Error::WrongDirection { op: "recv" })
    ));
    assert!(matches!(
        writer.poll(Duration::ZERO),
        Err(Error::WrongDirection { op: "poll" })
    ));
    writer.send(b"x".to_vec()).unwrap();
    writer.send(vec![]).unwrap();
    assert_eq!(reader.recv().unwrap(), b"x");
    assert_eq!(reader.recv().unwrap(), b"");
    writer.close();
    assert!(matches!(reader.recv(), Err(Error::Eof)));
}

/// A direction of capacity 2: send_timeout on full is Full, recv_timeout on empty is Empty,
/// both after their timeout; a timeout above TIMEOUT_MAX is refused.
fn capacity_and_timeouts<C: ConnectionApi<Bytes>>(a: &C, b: &C) {
    a.send(vec![1]).unwrap();
    a.send_timeout(vec![2], SHORT).unwrap();
    let t0 = Instant::now();
    assert!(matches!(a.send_timeout(vec![3], SHORT), Err(Error::Full)));
    assert!(t0.elapsed() >= SHORT, "send_timeout gave up early");
    assert!(matches!(
        a.send_timeout(vec![3], Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
    assert_eq!(b.recv().unwrap(), [1]);
    assert_eq!(b.try_recv().unwrap(), [2]);
    let t0 = Instant::now();
    assert!(matches!(b.recv_timeout(SHORT), Err(Error::Empty)));
    assert!(t0.elapsed() >= SHORT, "recv_timeout gave up early");
    assert!(matches!(
        b.recv_timeout(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
}

/// A receiver blocked on an empty direction gets Eof, and a sender blocked on a full one gets
/// Closed, when the peer closes.
fn close_wakes_blocked_peers<C: ConnectionApi<Bytes> + Sync>(pairs: [(C, C); 2]) {
    let [(a, b), (c, d)] = pairs;
    while d.send_timeout(vec![0], Duration::ZERO).is_ok() {}
    let ready = Barrier::new(3);
    std::thread::scope(|s| {
        let receiver = s.spawn(|| {
            ready.wait();
            b.recv()
        });
        let sender = s.spawn(|| {
            ready.wait();
            d.send(vec![9])
        });
        ready.wait();
        a.close();
        c.close();
        assert!(matches!(receiver.join().unwrap(), Err(Error::Eof)));
        assert!(matches!(sender.join().unwrap(), Err(Error::Closed)));
    });
}

/// Both directions at once, many messages of varying length (empty included), in order.
fn streams_both_ways<C: ConnectionApi<Bytes> + Sync>(a: &C, b: &C) {
    const N: usize = 5_000;
    let msg = |i: usize| vec![i as u8; i % 13];
    std::thread::scope(|s| {
        for (tx, rx) in [(a, b), (b, a)] {
            s.spawn(move || {
                for i in 0..N {
                    tx.send(msg(i)).unwrap();
                }
            });
            s.spawn(move || {
                for i in 0..N {
                    assert_eq!(rx.recv().unwrap(), msg(i), "message {i}");
                }
            });
        }
    });
}

// ---- thread version ------------------------------------------------------------------------

fn tpair(duplex: bool, capacity: usize) -> (thread::Connection<Bytes>, thread::Connection<Bytes>) {
    thread::Pipe::with_capacity(duplex, capacity).unwrap()
}

#[test]
fn thread_pipe() {
    let (a, b) = thread::Pipe::new(true);
    boundaries(&a, &b);
    poll_never_consumes(&a, &b);
    streams_both_ways(&a, &b);
    end_of_stream(&a, &b);
    let (r, w) = tpair(false, 4);
    one_way(&r, &w);
    let (a, b) = tpair(true, 2);
    capacity_and_timeouts(&a, &b);
    close_wakes_blocked_peers([tpair(true, 2), tpair(true, 2)]);
    assert!(matches!(
        thread::Pipe::<u8>::with_capacity(true, 0),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn thread_dropping_an_end_closes_it() {
    let (a, b) = thread::Pipe::new(true);
    a.send(std::sync::Arc::new(1)).unwrap();
    let kept = std::sync::Arc::new(2);
    b.send(kept.clone()).unwrap();
    drop(a);
    assert_eq!(*b.recv().unwrap(), 1);
    assert!(matches!(b.recv(), Err(Error::Eof)));
    drop(b);
    assert_eq!(
        std::sync::Arc::strong_count(&kept),
        1,
        "unread message leaked"
    );
}

// ---- process version -----------------------------------------------------------------------

type PConn = process::Connection<Bytes, Raw>;

fn ppair(duplex: bool, capacity: usize) -> (PConn, PConn) {
    process::Pipe::with_capacity(duplex, capacity, 64).unwrap()
}

#[test]
fn process_pipe() {
    let (a, b): (PConn, PConn) = process::Pipe::new(true).unwrap();
    boundaries(&a, &b);
    poll_never_consumes(&a, &b);
    streams_both_ways(&a, &b);
    end_of_stream(&a, &b);
    let (r, w) = ppair(false, 4);
    one_way(&r, &w);
    let (a, b) = ppair(true, 2);
    capacity_and_timeouts(&a, &b);
    close_wakes_blocked_peers([ppair(true, 2), ppair(true, 2)]);
    assert!(matches!(
        process::Pipe::<u8>::with_capacity(true, 0, 8),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn process_bytes_and_message_size() {
    let (a, b) = process::Pipe::<String>::with_capacity(true, 4, 8).unwrap();
    assert_eq!(a.max_message(), 8);
    a.send_bytes(b"").unwrap();
    a.send("abc".into()).unwrap();
    assert!(matches!(
        a.send("x".repeat(8)),
        Err(Error::MessageTooLarge { size: 9, max: 8 })
    ));
    assert!(matches!(
        a.send_bytes(&[0; 9]),
        Err(Error::MessageTooLarge { size: 9, max: 8 })
    ));
    a.send_bytes_timeout(&[9; 8], SHORT).unwrap(); // a String of 9 bytes, cut short
    assert_eq!(
        b.recv_bytes().unwrap(),
        b"",
        "an empty message survives as one"
    );
    assert_eq!(b.recv().unwrap(), "abc");
    let r = b.recv();
    assert!(
        matches!(r, Err(Error::Codec { .. })),
        "[9; 8] is not a String: {r:?}"
    );
    assert!(matches!(b.try_recv_bytes(), Err(Error::Empty)));
    assert!(matches!(b.recv_bytes_timeout(SHORT), Err(Error::Empty)));
    let (r, w) = process::Pipe::<u8>::with_capacity(false, 2, 8).unwrap();
    assert!(matches!(
        w.recv_bytes(),
        Err(Error::WrongDirection { op: "recv_bytes" })
    ));
    assert!(matches!(
        r.send_bytes(b"x"),
        Err(Error::WrongDirection { op: "send" })
    ));
    drop(w);
    assert!(matches!(r.recv_bytes(), Err(Error::Eof)));
}

/// A forked child borrows end `b`: it answers each number with its double until it reads
/// 0, sends a last empty message, and closes its end; the parent sees all, then Eof.
#[test]
#[serial_test::serial(shm)]
fn forked_peer_over_an_anonymous_pipe() {
    const N: u32 = 2_000;
    let (a, b) = process::Pipe::<u32>::with_capacity(true, 8, 16).unwrap();
    // SAFETY: the child encodes (postcard allocates: glibc's fork leaves malloc usable) and
    // takes no lock another parent thread could hold.
    let child = unsafe {
        Worker::fork(|| {
            loop {
                match b.recv().unwrap() {
                    0 => break,
                    v => b.send(2 * v).unwrap(),
                }
            }
            b.send_bytes(b"").unwrap();
            b.close();
        })
    }
    .unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 1..=N {
                a.send(i).unwrap();
            }
            a.send(0).unwrap();
        });
        for i in 1..=N {
            assert_eq!(a.recv().unwrap(), 2 * i);
        }
    });
    assert_eq!(a.recv_bytes().unwrap(), b"");
    assert!(matches!(a.recv(), Err(Error::Eof)));
    assert_eq!(child.join().unwrap(), Exit::Ok);
}

/// Spawned worker: opens the one-way pipe named in `arg` (it gets the writer), sends ten
/// messages of growing size from empty, then drops its end.
fn writer(arg: &[u8]) {
    let name = std::str::from_utf8(arg).unwrap();
    let w: PConn = process::Pipe::open(name).unwrap();
    assert!(w.writable() && !w.readable());
    for i in 0..10u8 {
        w.send(vec![i; i as usize]).unwrap();
    }
}
twinsync::entry_point!(static WRITER = writer);

#[test]
#[serial_test::serial(shm)]
fn spawned_writer_over_a_named_pipe() {
    let name = process::unique_name("tw-pipe-test").unwrap();
    let reader: PConn = process::Pipe::create(&name, false, 2, 16).unwrap();
    assert_eq!(reader.name(), Some(name.as_str()));
    let w = Worker::start(Kind::Process(StartMethod::Spawn), &WRITER, name.as_bytes()).unwrap();
    let mut got = Vec::new();
    loop {
        match reader.recv() {
            Ok(m) => got.push(m),
            Err(Error::Eof) => break,
            Err(e) => panic!("recv: {e}"),
        }
    }
    assert_eq!(w.join().unwrap(), Exit::Ok);
    process::unlink(&name).unwrap();
    assert_eq!(
        got,
        (0..10u8).map(|i| vec![i; i as usize]).collect::<Vec<_>>()
    );
}

#[test]
#[serial_test::serial(shm)]
fn named_pipe_refusals() {
    let name = process::unique_name("tw-pipe-test").unwrap();
    let _q = process::Queue::<u8>::create(&name, 2, 8).unwrap();
    assert!(matches!(
        process::Pipe::<u8>::open(&name),
        Err(Error::Segment {
            error: twinsync::SegmentError::WrongKind { .. },
            ..
        })
    ));
    process::unlink(&name).unwrap();
    assert!(matches!(
        process::Pipe::<u8>::open(&name),
        Err(Error::Segment {
            error: twinsync::SegmentError::NotFound,
            ..
        })
    ));
}

// ---- Send and Sync -------------------------------------------------------------------------

#[test]
fn connections_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<thread::Connection<String>>();
    send_sync::<thread::Connection<std::cell::Cell<u8>>>(); // Send, not Sync: still Sync
    send_sync::<process::Connection<String>>();
    send_sync::<PConn>();
}
