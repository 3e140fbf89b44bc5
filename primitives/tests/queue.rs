//! Queue: behaviour of both versions through one set of generic checks (sequential
//! semantics, close, task_done/join, timeouts, index wrap-around, MPMC stress), the algorithm
//! alone across the `u32` wrap of its positions, and the process version's own cases:
//! message size limits, codec errors, forked and spawned processes.
//!
//! No sleep is used as synchronization: threads meet through the queue itself or a
//! `std::sync::Barrier`; only timeouts are measured.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))] // uses the process version

use std::cell::Cell;
use std::collections::{HashSet, VecDeque};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use twinsync::algo::queue::{Patience, QueueState};
use twinsync::process::{self, Raw};
use twinsync::sync::atomic::AtomicU32;
use twinsync::sync::futex::Scope;
use twinsync::worker::{Exit, Kind, StartMethod, Worker};
use twinsync::{thread, Error, QueueApi};

const SHORT: Duration = Duration::from_millis(20);

// ---- generic checks ------------------------------------------------------------------------

/// Sequential semantics of a queue of capacity 3.
fn basics<Q: QueueApi<u64>>(q: &Q) {
    assert_eq!(q.capacity(), 3);
    assert!(q.is_empty() && !q.is_full() && q.len() == 0);
    assert!(matches!(q.try_get(), Err(Error::Empty)));
    q.put(1).unwrap();
    q.try_put(2).unwrap();
    q.put_timeout(3, SHORT).unwrap();
    assert!(q.is_full() && q.len() == 3);
    let e = q.try_put(4).unwrap_err();
    assert!(matches!(e.error, Error::Full), "{e}");
    assert_eq!(e.item, 4, "a failed put gives its item back");
    let t0 = Instant::now();
    let e = q.put_timeout(5, SHORT).unwrap_err();
    assert!(matches!(e.error, Error::Full) && e.item == 5);
    assert!(t0.elapsed() >= SHORT, "put_timeout gave up early");
    let e = q.put_timeout(6, Duration::MAX).unwrap_err();
    assert!(matches!(e.error, Error::TimeoutTooLarge { .. }) && e.item == 6);
    assert_eq!(q.len(), 3, "failed puts changed the queue");
    assert_eq!(q.get().unwrap(), 1);
    assert_eq!(q.try_get().unwrap(), 2);
    assert_eq!(q.get_timeout(SHORT).unwrap(), 3);
    let t0 = Instant::now();
    assert!(matches!(q.get_timeout(SHORT), Err(Error::Empty)));
    assert!(t0.elapsed() >= SHORT, "get_timeout gave up early");
    assert!(matches!(
        q.get_timeout(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
    assert!(matches!(
        q.join_timeout(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
    q.put(7).unwrap();
    assert!(matches!(q.try_get(), Ok(7)));
    assert!(q.is_empty());
}

/// Close: puts refused with the item back, gets drain then fail, idempotent.
fn close_semantics<Q: QueueApi<u64>>(q: &Q) {
    q.put(1).unwrap();
    q.put(2).unwrap();
    assert!(!q.is_closed());
    q.close();
    q.close();
    assert!(q.is_closed());
    for e in [
        q.put(3).unwrap_err(),
        q.try_put(3).unwrap_err(),
        q.put_timeout(3, SHORT).unwrap_err(),
    ] {
        assert!(matches!(e.error, Error::Closed) && e.item == 3, "{e}");
    }
    assert_eq!(q.try_get().unwrap(), 1);
    assert_eq!(q.get().unwrap(), 2);
    assert!(matches!(q.get(), Err(Error::Closed)));
    assert!(matches!(q.try_get(), Err(Error::Closed)));
    assert!(matches!(q.get_timeout(SHORT), Err(Error::Closed)));
}

/// task_done / join accounting, strictly against items gotten.
fn tasks<Q: QueueApi<u64>>(q: &Q) {
    assert!(
        q.join_timeout(Duration::ZERO).unwrap(),
        "nothing put: joined"
    );
    assert!(matches!(q.task_done(), Err(Error::TooManyReleases { .. })));
    q.put(1).unwrap();
    q.put(2).unwrap();
    assert_eq!(q.unfinished_tasks(), 2);
    assert!(
        matches!(q.task_done(), Err(Error::TooManyReleases { .. })),
        "task_done for an item still queued"
    );
    q.get().unwrap();
    q.task_done().unwrap();
    assert!(matches!(q.task_done(), Err(Error::TooManyReleases { .. })));
    assert_eq!(q.unfinished_tasks(), 1);
    let t0 = Instant::now();
    assert!(!q.join_timeout(SHORT).unwrap());
    assert!(t0.elapsed() >= SHORT, "join_timeout gave up early");
    q.get().unwrap();
    assert!(
        !q.join_timeout(Duration::ZERO).unwrap(),
        "gotten is not done"
    );
    q.task_done().unwrap();
    assert!(q.join_timeout(Duration::ZERO).unwrap());
    q.join();
    assert_eq!(q.unfinished_tasks(), 0);
}

/// Many laps around a ring whose capacity divides no power of two, at varying fill levels,
/// against a `VecDeque`.
fn laps<Q: QueueApi<u64>>(q: &Q) {
    let cap = q.capacity();
    let mut model = VecDeque::new();
    let mut next = 0u64;
    for round in 0..2_000usize {
        let fill = (round * 7) % (cap + 1);
        while model.len() < fill {
            q.try_put(next).unwrap();
            model.push_back(next);
            next += 1;
        }
        assert_eq!(q.len(), model.len());
        assert_eq!(q.is_full(), model.len() == cap);
        while model.len() > fill / 2 {
            assert_eq!(q.try_get().unwrap(), model.pop_front().unwrap());
        }
    }
    while let Some(v) = model.pop_front() {
        assert_eq!(q.get().unwrap(), v);
    }
    assert!(next > 10 * cap as u64, "too few laps: {next}");
}

/// `producers` × `consumers` threads, `per` items each; then close. Every item arrives once,
/// and each consumer sees each producer's items in order.
fn mpmc<Q: QueueApi<u64> + Sync>(q: &Q, producers: u64, consumers: usize, per: u64) {
    let start = Barrier::new(producers as usize + consumers);
    let received: Vec<Vec<u64>> = std::thread::scope(|s| {
        let cs: Vec<_> = (0..consumers)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    let mut got = Vec::new();
                    loop {
                        match q.get() {
                            Ok(v) => got.push(v),
                            Err(Error::Closed) => return got,
                            Err(e) => panic!("get: {e}"),
                        }
                    }
                })
            })
            .collect();
        let ps: Vec<_> = (0..producers)
            .map(|p| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    for i in 0..per {
                        q.put(p << 32 | i).unwrap();
                    }
                })
            })
            .collect();
        for p in ps {
            p.join().unwrap();
        }
        q.close(); // consumers drain, then see Closed
        cs.into_iter().map(|c| c.join().unwrap()).collect()
    });
    let mut all = HashSet::new();
    for got in &received {
        let mut last = vec![None; producers as usize];
        for &v in got {
            assert!(all.insert(v), "item {v:#x} delivered twice");
            let (p, i) = ((v >> 32) as usize, v & 0xffff_ffff);
            assert!(last[p].is_none_or(|l| l < i), "producer {p}'s order broken");
            last[p] = Some(i);
        }
    }
    assert_eq!(all.len() as u64, producers * per, "items lost");
}

/// A getter blocked on an empty queue and a putter blocked on a full one both return
/// Closed when the queue closes (the putter with its item).
fn close_wakes_blocked<Q: QueueApi<u64> + Sync>(empty: &Q, full: &Q) {
    while full.try_put(0).is_ok() {}
    let ready = Barrier::new(3);
    std::thread::scope(|s| {
        let g = s.spawn(|| {
            ready.wait();
            empty.get()
        });
        let p = s.spawn(|| {
            ready.wait();
            full.put(9)
        });
        ready.wait();
        empty.close();
        full.close();
        assert!(matches!(g.join().unwrap(), Err(Error::Closed)));
        let e = p.join().unwrap().unwrap_err();
        assert!(matches!(e.error, Error::Closed) && e.item == 9);
    });
}

/// Blocking put and get make progress through a queue of capacity 1; join waits for the
/// consumer's task_done calls.
fn handoff_and_join<Q: QueueApi<u64> + Sync>(q: &Q) {
    const N: u64 = 2_000;
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..N {
                assert_eq!(q.get().unwrap(), i);
                q.task_done().unwrap();
            }
        });
        for i in 0..N {
            q.put(i).unwrap();
        }
        q.join();
        assert_eq!(q.unfinished_tasks(), 0);
    });
}

// ---- thread version ------------------------------------------------------------------------

fn tq(capacity: usize) -> thread::Queue<u64> {
    thread::Queue::new(capacity).unwrap()
}

#[test]
fn thread_basics() {
    basics(&tq(3));
}

#[test]
fn thread_close() {
    close_semantics(&tq(4));
}

#[test]
fn thread_tasks() {
    tasks(&tq(4));
}

#[test]
fn thread_laps() {
    for cap in [1, 3, 7, 100] {
        laps(&tq(cap));
    }
}

#[test]
fn thread_capacity_zero_is_refused() {
    assert!(matches!(
        thread::Queue::<u64>::new(0),
        Err(Error::InvalidArgument {
            name: "capacity",
            ..
        })
    ));
}

#[test]
fn thread_mpmc() {
    mpmc(&tq(3), 4, 3, 20_000);
    mpmc(&tq(64), 3, 4, 20_000);
    mpmc(&tq(1), 2, 2, 5_000);
}

#[test]
fn thread_close_wakes_blocked() {
    close_wakes_blocked(&tq(2), &tq(2));
}

#[test]
fn thread_handoff_and_join() {
    handoff_and_join(&tq(1));
}

#[test]
fn thread_queue_drops_remaining_items() {
    let item = std::sync::Arc::new(());
    let q = thread::Queue::new(4).unwrap();
    q.put(item.clone()).unwrap();
    q.put(item.clone()).unwrap();
    drop(q.get().unwrap());
    assert_eq!(std::sync::Arc::strong_count(&item), 2);
    drop(q);
    assert_eq!(std::sync::Arc::strong_count(&item), 1, "queued item leaked");
}

// ---- process version ----------------------------------------------------------------------

fn pq(capacity: usize) -> process::Queue<u64> {
    process::Queue::new(capacity, 16).unwrap()
}

#[test]
fn process_basics() {
    basics(&pq(3));
}

#[test]
fn process_close() {
    close_semantics(&pq(4));
}

#[test]
fn process_tasks() {
    tasks(&pq(4));
}

#[test]
fn process_laps() {
    for cap in [1, 3, 7, 100] {
        laps(&pq(cap));
    }
}

#[test]
fn process_bad_sizes_are_refused() {
    for (cap, max, arg) in [
        (0, 8, "capacity"),
        (1 << 29, 8, "capacity"),
        (4, (1 << 30) + 1, "max_message"),
        (1 << 28, 1 << 30, "capacity"),
    ] {
        match process::Queue::<u64>::new(cap, max) {
            Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, arg),
            r => panic!("({cap}, {max}): expected InvalidArgument, got {r:?}"),
        }
    }
}

#[test]
fn process_mpmc_threads() {
    mpmc(&pq(3), 3, 2, 10_000);
    mpmc(&pq(1), 2, 2, 3_000);
}

#[test]
fn process_close_wakes_blocked() {
    close_wakes_blocked(&pq(2), &pq(2));
}

#[test]
fn process_handoff_and_join() {
    handoff_and_join(&pq(1));
}

#[test]
fn oversized_message_is_refused_with_the_queue_intact() {
    let q: process::Queue<Vec<u8>, Raw> = process::Queue::new(4, 8).unwrap();
    assert_eq!(q.max_message(), 8);
    q.put(vec![1]).unwrap();
    q.put(vec![]).unwrap(); // an empty message is a message
    for e in [
        q.put(vec![9; 9]).unwrap_err(),
        q.try_put(vec![9; 9]).unwrap_err(),
        q.put_timeout(vec![9; 9], SHORT).unwrap_err(),
    ] {
        assert!(
            matches!(e.error, Error::MessageTooLarge { size: 9, max: 8 }),
            "{e}"
        );
        assert_eq!(e.item, vec![9; 9]);
    }
    q.put(vec![2; 8]).unwrap(); // exactly the maximum
    assert_eq!(q.len(), 3);
    assert_eq!(q.get().unwrap(), vec![1]);
    assert_eq!(q.get().unwrap(), Vec::<u8>::new());
    assert_eq!(q.get().unwrap(), vec![2; 8]);
    assert_eq!(q.unfinished_tasks(), 3, "a refused put counted as a task");

    // With the default codec the limit applies to the encoded size (a length byte + 4).
    let s: process::Queue<String> = process::Queue::new(2, 4).unwrap();
    let e = s.put("abcd".into()).unwrap_err();
    assert!(matches!(
        e.error,
        Error::MessageTooLarge { size: 5, max: 4 }
    ));
    s.put("abc".into()).unwrap();
    assert_eq!(s.get().unwrap(), "abc");
}

#[test]
#[serial_test::serial(shm)]
fn undecodable_messages_are_codec_errors_and_consumed() {
    let name = process::unique_name("tw-queue-test").unwrap();
    let raw: process::Queue<Vec<u8>, Raw> = process::Queue::create(&name, 4, 8).unwrap();
    let typed: process::Queue<bool> = process::Queue::open(&name).unwrap();
    process::unlink(&name).unwrap();
    assert_eq!((typed.capacity(), typed.max_message()), (4, 8));
    raw.put(vec![2]).unwrap(); // not a bool
    raw.put(vec![1, 0]).unwrap(); // a bool and a byte left over
    raw.put(vec![1]).unwrap();
    assert!(matches!(typed.get(), Err(Error::Codec { .. })));
    assert!(matches!(typed.get(), Err(Error::Codec { .. })));
    assert!(typed.get().unwrap());
    assert!(typed.is_empty());
}

/// Two forked producers and the parent as consumer; then a forked consumer that marks each
/// item done while the parent joins.
#[test]
#[serial_test::serial(shm)]
fn forked_processes_share_an_anonymous_queue() {
    const N: u64 = 3_000;
    let q = pq(8);
    let producers: Vec<Worker> = (0..2u64)
        .map(|p| {
            let q = &q;
            // SAFETY: the child puts (postcard allocates: glibc's fork leaves malloc usable)
            // and takes no lock another parent thread could hold.
            unsafe {
                Worker::fork(move || {
                    for i in 0..N {
                        q.put(p << 32 | i).unwrap();
                    }
                })
            }
            .unwrap()
        })
        .collect();
    let mut last = [None; 2];
    for _ in 0..2 * N {
        let v = q.get().unwrap();
        let (p, i) = ((v >> 32) as usize, v & 0xffff_ffff);
        assert!(
            last[p].is_none_or(|l| l + 1 == i),
            "producer {p}: {last:?} then {i}"
        );
        last[p] = Some(i);
    }
    for w in producers {
        assert_eq!(w.join().unwrap(), Exit::Ok);
    }
    assert!(q.is_empty());
    for _ in 0..2 * N {
        q.task_done().unwrap();
    }

    // SAFETY: as above.
    let consumer = unsafe {
        Worker::fork(|| {
            for i in 0..N {
                assert_eq!(q.get().unwrap(), i);
                q.task_done().unwrap();
            }
        })
    }
    .unwrap();
    for i in 0..N {
        q.put(i).unwrap();
    }
    q.join(); // returns once the child marked every item done
    assert_eq!(q.unfinished_tasks(), 0);
    assert_eq!(consumer.join().unwrap(), Exit::Ok);
}

/// Spawned worker: opens the queues named `<arg>-req` and `<arg>-resp`, answers every request
/// with its double until the request queue is closed and drained, then closes the responses.
fn double(arg: &[u8]) {
    let base = std::str::from_utf8(arg).unwrap();
    let req: process::Queue<u64> = process::Queue::open(&format!("{base}-req")).unwrap();
    let resp: process::Queue<u64> = process::Queue::open(&format!("{base}-resp")).unwrap();
    loop {
        match req.get() {
            Ok(v) => resp.put(2 * v).unwrap(),
            Err(Error::Closed) => break,
            Err(e) => panic!("get: {e}"),
        }
    }
    resp.close();
}
twinsync::entry_point!(static DOUBLE = double);

#[test]
#[serial_test::serial(shm)]
fn spawned_process_answers_through_named_queues() {
    const N: u64 = 2_000;
    let base = process::unique_name("tw-queue-test").unwrap();
    let (rq, rs) = (format!("{base}-req"), format!("{base}-resp"));
    let req: process::Queue<u64> = process::Queue::create(&rq, 4, 16).unwrap();
    let resp: process::Queue<u64> = process::Queue::create(&rs, 4, 16).unwrap();
    let w = Worker::start(Kind::Process(StartMethod::Spawn), &DOUBLE, base.as_bytes()).unwrap();
    let answers = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut got = Vec::new();
            while let Ok(v) = resp.get() {
                got.push(v);
            }
            got
        });
        for i in 0..N {
            req.put(i).unwrap();
        }
        req.close();
        reader.join().unwrap()
    });
    assert_eq!(w.join().unwrap(), Exit::Ok);
    process::unlink(&rq).unwrap();
    process::unlink(&rs).unwrap();
    assert_eq!(answers, (0..N).map(|i| 2 * i).collect::<Vec<_>>());
}

// ---- the algorithm across the u32 wrap -----------------------------------------------------

/// The algorithm on a plain test store, starting `laps_before_wrap` laps before the `u32`
/// position wraps; checks FIFO and `len` against a model while it crosses.
fn wrap_u32(capacity: usize, laps_before_wrap: u32) {
    let one_lap = ((capacity as u32 + 1).next_power_of_two()) << 1;
    let lap = (u32::MAX / one_lap + 1).wrapping_sub(laps_before_wrap);
    let q = QueueState::new_at_lap(capacity, lap).unwrap();
    let stamps: Vec<AtomicU32> = (0..capacity).map(|_| AtomicU32::new(0)).collect();
    q.init_stamps(&stamps);
    let slots: Vec<Cell<u64>> = (0..capacity).map(|_| Cell::new(0)).collect();
    let mut model = VecDeque::new();
    let put = |v: u64| {
        q.put(
            &stamps,
            |i| slots[i].set(v),
            Patience::Never,
            Scope::Private,
        )
    };
    let get = || q.get(&stamps, |i| slots[i].get(), Patience::Never, Scope::Private);
    let mut next = 0;
    let target = (capacity * (laps_before_wrap as usize + 3)) as u64;
    let mut round = 0;
    while next < target {
        round += 1;
        for _ in 0..=(round % capacity) {
            if model.len() < capacity {
                put(next).unwrap();
                model.push_back(next);
                next += 1;
            }
        }
        assert_eq!(q.len(), model.len(), "len across the wrap");
        if model.len() == capacity {
            assert!(matches!(put(u64::MAX), Err(Error::Full)));
        }
        for _ in 0..=(round % 2) {
            match model.pop_front() {
                Some(v) => assert_eq!(get().unwrap(), v),
                None => assert!(matches!(get(), Err(Error::Empty))),
            }
        }
    }
    while let Some(v) = model.pop_front() {
        assert_eq!(get().unwrap(), v);
    }
    assert!(q.is_empty());
}

#[test]
fn algorithm_crosses_the_u32_wrap() {
    for cap in [1, 3, 5, 6, 7, 12, 1000] {
        wrap_u32(cap, 3);
    }
}

// ---- Send and Sync -------------------------------------------------------------------------

#[test]
fn queues_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<thread::Queue<String>>();
    send_sync::<thread::Queue<std::sync::mpsc::Sender<u8>>>(); // Send, not Sync: still Sync
    send_sync::<process::Queue<String>>();
    send_sync::<process::Queue<std::rc::Rc<u8>>>(); // holds messages, never an Rc
    send_sync::<twinsync::PutError<String>>();
}
