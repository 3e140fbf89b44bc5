//! Event: unit-level behaviour of both versions (the conformance suite covers the clauses):
//! sequential semantics, timeouts, `set` waking every waiter, waiters woken by a `set`
//! returning true although a `clear` follows at once, no lost wake-up over many rounds, and
//! real processes (forked and spawned).
//!
//! Synchronization is by the primitives and by watching a waiter's kernel state, never by
//! sleeping: only the timeouts themselves are measured.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))] // uses the process version

mod support;

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{until, until_asleep, Names, Workers, LONG};
use twinsync::process::{self, Shared};
use twinsync::worker::{Kind, StartMethod, Worker};
use twinsync::{thread, Error, EventApi, SegmentError};

// ---- sequential ---------------------------------------------------------------------------

fn basics<E: EventApi>(ev: &E) {
    assert!(!ev.is_set());
    let t0 = Instant::now();
    assert!(!ev.wait_timeout(Duration::from_millis(20)).unwrap());
    assert!(t0.elapsed() >= Duration::from_millis(20), "timed out early");
    assert!(!ev.wait_timeout(Duration::ZERO).unwrap());
    assert!(matches!(
        ev.wait_timeout(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
    ev.clear();
    assert!(!ev.is_set());
    ev.set();
    assert!(ev.is_set());
    ev.set();
    assert!(ev.is_set());
    ev.wait();
    assert!(ev.wait_timeout(Duration::ZERO).unwrap());
    assert!(ev.wait_timeout(Duration::from_secs(1)).unwrap());
    assert!(matches!(
        ev.wait_timeout(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
    assert!(ev.is_set(), "a refused wait changed the flag");
    ev.clear();
    assert!(!ev.is_set());
    ev.clear();
    assert!(!ev.wait_timeout(Duration::from_millis(1)).unwrap());
}

#[test]
fn thread_event_basics() {
    basics(&thread::Event::new());
    basics(&thread::Event::default());
}

#[test]
fn process_event_basics() {
    basics(&process::Event::new().unwrap());
}

// ---- threads ------------------------------------------------------------------------------

/// Four threads wait on `ev` (two with `wait`, two with `wait_timeout`); once all four sleep,
/// `set` and (if `then_clear`) an immediate `clear`: every waiter returns, the timed ones
/// with true.
///
/// The threads are detached (not scoped): if a check fails, the test fails at once instead
/// of joining a thread that a lost wake-up left asleep.
fn set_wakes_every_waiter<E: EventApi + Send + Sync + 'static>(ev: E, then_clear: bool) {
    let ev = Arc::new(ev);
    let tids = Arc::new([(); 4].map(|()| AtomicU32::new(0)));
    // 1 = returned (true for the timed ones), 2 = a timed one returned false.
    let out = Arc::new([(); 4].map(|()| AtomicU32::new(0)));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (ev, tids, out) = (ev.clone(), tids.clone(), out.clone());
            std::thread::spawn(move || {
                tids[i].store(twinsync::sys::tid::current(), Relaxed);
                let r = if i % 2 == 0 {
                    ev.wait();
                    true
                } else {
                    ev.wait_timeout(LONG).unwrap()
                };
                out[i].store(if r { 1 } else { 2 }, Relaxed);
            })
        })
        .collect();
    for t in tids.iter() {
        until("the waiters have started", || t.load(Relaxed) != 0);
        until_asleep(t.load(Relaxed));
    }
    assert!(
        out.iter().all(|o| o.load(Relaxed) == 0),
        "returned before set"
    );
    ev.set();
    if then_clear {
        ev.clear();
    }
    until("every waiter returns", || {
        out.iter().all(|o| o.load(Relaxed) != 0)
    });
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert!(
        out.iter().all(|o| o.load(Relaxed) == 1),
        "a timed waiter woken by set returned false"
    );
    assert_eq!(ev.is_set(), !then_clear);
}

#[test]
fn thread_event_set_wakes_every_waiter() {
    set_wakes_every_waiter(thread::Event::new(), false);
}

#[test]
fn process_event_set_wakes_every_waiter() {
    set_wakes_every_waiter(process::Event::new().unwrap(), false);
}

#[test]
fn thread_event_set_then_clear_still_returns_true() {
    set_wakes_every_waiter(thread::Event::new(), true);
}

#[test]
fn process_event_set_then_clear_still_returns_true() {
    set_wakes_every_waiter(process::Event::new().unwrap(), true);
}

/// Pins the calling thread to `cpu`, optionally under `SCHED_IDLE` (a policy that never
/// preempts a normal thread when it wakes up); returns the affinity it had.
fn pin(cpu: usize, idle: bool) -> libc::cpu_set_t {
    // SAFETY: cpu_set_t is a plain bit array, valid zeroed; the calls get and set the calling
    // thread's own affinity and policy (pid 0) through pointers to live locals.
    unsafe {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        let mut old: libc::cpu_set_t = std::mem::zeroed();
        assert_eq!(libc::sched_getaffinity(0, size, &mut old), 0);
        let mut one: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut one);
        assert_eq!(libc::sched_setaffinity(0, size, &one), 0);
        if idle {
            let param = libc::sched_param { sched_priority: 0 };
            assert_eq!(libc::sched_setscheduler(0, libc::SCHED_IDLE, &param), 0);
        }
        old
    }
}

/// Set-then-clear with the woken waiters unable to run in between: the waiters sleep pinned
/// to one CPU under `SCHED_IDLE`; the setter moves to that CPU and calls `set` and `clear`
/// back to back. An idle-policy thread never preempts a normal one on wake-up, so the
/// waiters look at the word only after the `clear`, and must still return true. (A waiter
/// that re-checks only the flag, as `multiprocessing.Event` does, would sleep on.)
fn set_then_clear_before_waiters_run<E: EventApi + Send + Sync + 'static>(ev: E) {
    // SAFETY: sched_getcpu has no preconditions.
    let cpu = usize::try_from(unsafe { libc::sched_getcpu() }).unwrap();
    let ev = Arc::new(ev);
    let (tx, rx) = std::sync::mpsc::channel();
    let tids: Vec<u32> = (0..3)
        .map(|_| {
            let (ev, tx) = (ev.clone(), tx.clone());
            let (tid_tx, tid_rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                pin(cpu, true);
                tid_tx.send(twinsync::sys::tid::current()).unwrap();
                let _ = tx.send(ev.wait_timeout(LONG).unwrap());
            });
            tid_rx.recv().unwrap()
        })
        .collect();
    tids.iter().for_each(|&t| until_asleep(t));
    let old = pin(cpu, false);
    ev.set();
    ev.clear();
    // Blocking receives: the waiters get the CPU now.
    let got: Vec<bool> = (0..3).map(|_| rx.recv_timeout(LONG).unwrap()).collect();
    // SAFETY: restores the calling thread's own affinity from a value the kernel gave.
    unsafe {
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &old);
    }
    assert_eq!(
        got, [true; 3],
        "a waiter woken by set returned false after clear"
    );
    assert!(!ev.is_set());
}

#[test]
fn thread_event_set_then_clear_before_waiters_run() {
    set_then_clear_before_waiters_run(thread::Event::new());
}

#[test]
fn process_event_set_then_clear_before_waiters_run() {
    set_then_clear_before_waiters_run(process::Event::new().unwrap());
}

/// `wait` with a failure detector: a lost wake-up fails the test instead of hanging it.
fn wait_for<E: EventApi>(ev: &E) {
    assert!(ev.wait_timeout(LONG).unwrap(), "lost wake-up");
}

/// Two threads pass the turn back and forth through two events, each clearing its own before
/// setting the other's: every round needs a wake-up of a thread that is (often) asleep.
fn ping_pong<E: EventApi + Sync>(ping: &E, pong: &E, rounds: u32) {
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..rounds {
                wait_for(ping);
                ping.clear();
                pong.set();
            }
        });
        for i in 0..rounds {
            ping.set();
            if i % 2 == 0 {
                wait_for(pong);
            } else {
                pong.wait();
            }
            pong.clear();
        }
    });
    assert!(!ping.is_set() && !pong.is_set());
}

#[test]
fn thread_event_ping_pong() {
    ping_pong(&thread::Event::new(), &thread::Event::new(), 20_000);
}

#[test]
fn process_event_ping_pong() {
    let e = || process::Event::new().unwrap();
    ping_pong(&e(), &e(), 20_000);
}

/// Three waiters and a setter race for many rounds: the setter sets as soon as every waiter
/// has arrived (some are asleep, some on their way to sleep), and every waiter must return;
/// the setter clears only once all have, and only then opens the next round.
fn many_rounds<E: EventApi + Sync>(ev: &E, rounds: u32) {
    let (arrived, left, cleared) = (AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0));
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for r in 1..=rounds {
                    until("the round opens", || cleared.load(Relaxed) == r - 1);
                    arrived.fetch_add(1, Relaxed);
                    wait_for(ev);
                    left.fetch_add(1, Relaxed);
                }
            });
        }
        for r in 1..=rounds {
            until("every waiter arrives", || arrived.load(Relaxed) == 3 * r);
            ev.set();
            until("every waiter leaves", || left.load(Relaxed) == 3 * r);
            ev.clear();
            cleared.store(r, Relaxed);
        }
    });
}

#[test]
fn thread_event_many_rounds() {
    many_rounds(&thread::Event::new(), 2_000);
}

#[test]
fn process_event_many_rounds() {
    many_rounds(&process::Event::new().unwrap(), 2_000);
}

// ---- processes ----------------------------------------------------------------------------

/// Three forked children wait on an inherited event; once all three sleep, the parent stops
/// them (`SIGSTOP`), sets and clears the event, and lets them go on (`SIGCONT`): every child
/// returns true, though the flag is down by the time any of them looks at it.
#[test]
#[serial_test::serial(shm)]
fn forked_children_woken_by_set_then_clear() {
    let ev = process::Event::new().unwrap();
    let out = Shared::new([(); 3].map(|()| AtomicU32::new(0))).unwrap();
    // SAFETY: the children only wait on the inherited event (futex system calls, atomics,
    // clock_gettime) and store to an inherited atomic: no allocation, no locks.
    let kids = unsafe {
        Workers::fork_each(3, |i| {
            let r = ev.wait_timeout(LONG).unwrap_or(false);
            out[i].store(if r { 1 } else { 2 }, Relaxed);
        })
    };
    let pids = kids.pids();
    let signal = |sig| {
        for &p in &pids {
            // SAFETY: signals a child of ours that has not been reaped (it cannot exit
            // before the event is set).
            assert_eq!(unsafe { libc::kill(p as libc::pid_t, sig) }, 0);
        }
    };
    pids.iter().for_each(|&p| until_asleep(p));
    signal(libc::SIGSTOP);
    for &p in &pids {
        until("the child stops", || support::state(p) == Some('T'));
    }
    ev.set();
    ev.clear();
    signal(libc::SIGCONT);
    kids.join_all();
    let got: Vec<u32> = out.iter().map(|o| o.load(Relaxed)).collect();
    assert_eq!(got, [1, 1, 1], "1 = returned true");
    assert!(!ev.is_set());
}

/// `arg` = `<ping name>\n<pong name>\n<rounds>`: the worker's half of [`ping_pong`].
fn spawned_ponger(arg: &[u8]) {
    let text = std::str::from_utf8(arg).unwrap();
    let parts: Vec<&str> = text.split('\n').collect();
    let ping = process::Event::open(parts[0]).unwrap();
    let pong = process::Event::open(parts[1]).unwrap();
    let rounds: u32 = parts[2].parse().unwrap();
    for _ in 0..rounds {
        ping.wait();
        ping.clear();
        pong.set();
    }
}
twinsync::entry_point!(static PONGER = spawned_ponger);

/// The ping-pong across processes: a spawned worker and this process pass the turn through
/// two named events, many times.
#[test]
#[serial_test::serial(shm)]
fn spawned_worker_ping_pong() {
    const ROUNDS: u32 = 5_000;
    let names = Names::new(&["tw-event-test"; 2]);
    let ping = process::Event::create(&names[0]).unwrap();
    let pong = process::Event::create(&names[1]).unwrap();
    let arg = format!("{}\n{}\n{ROUNDS}", names[0], names[1]);
    let w = Worker::start(Kind::Process(StartMethod::Spawn), &PONGER, arg.as_bytes()).unwrap();
    let w = Workers(vec![w]); // killed if a wake-up is lost
    for _ in 0..ROUNDS {
        ping.set();
        assert!(pong.wait_timeout(LONG).unwrap(), "lost wake-up");
        pong.clear();
    }
    w.join_all();
    assert!(!ping.is_set() && !pong.is_set());
}

#[test]
#[serial_test::serial(shm)]
fn named_event_create_open_and_refusals() {
    let names = Names::new(&["tw-event-test"; 2]);
    let (name, sem_name) = (&names[0], &names[1]);
    let a = process::Event::create(name).unwrap();
    let b = process::Event::open(name).unwrap();
    assert_eq!(b.name(), Some(name.as_str()));
    assert!(process::Event::new().unwrap().name().is_none());
    a.set();
    assert!(b.is_set());
    assert!(format!("{b:?}").contains("set: true"));
    b.clear();
    assert!(!a.is_set());
    assert!(matches!(
        process::Event::create(name),
        Err(Error::Segment {
            error: SegmentError::AlreadyExists,
            ..
        })
    ));
    let _sem = process::Semaphore::create(sem_name, 0).unwrap();
    assert!(matches!(
        process::Event::open(sem_name),
        Err(Error::Segment {
            error: SegmentError::WrongKind { .. },
            ..
        })
    ));
    process::unlink(name).unwrap();
    process::unlink(sem_name).unwrap();
}
