//! Barrier: both versions through generic checks (arguments, many generations without
//! lapping, the action, timeouts, abort, reset), real threads, and real processes (spawned
//! workers sharing a named barrier, each with its own action).
//!
//! Synchronization is by the barrier itself or by polling `n_waiting`, never by sleeping;
//! only timeouts are measured.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))] // uses the process version

mod support;

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{until, Names, LONG};
use twinsync::process::{self, Shared};
use twinsync::worker::{Exit, Kind, StartMethod, Worker};
use twinsync::{thread, BarrierApi, BarrierFn, Error};

type Make<B> = fn(u32) -> Result<B, Error>;
type MakeWithAction<B> = fn(u32, BarrierFn) -> B;

fn thread_make(p: u32) -> Result<thread::Barrier, Error> {
    thread::Barrier::new(p)
}
fn process_make(p: u32) -> Result<process::Barrier, Error> {
    process::Barrier::new(p)
}
fn thread_with(p: u32, a: BarrierFn) -> thread::Barrier {
    thread::Barrier::new(p).unwrap().with_action(a)
}
fn process_with(p: u32, a: BarrierFn) -> process::Barrier {
    process::Barrier::new(p).unwrap().with_action(a)
}

// ---- sequential ---------------------------------------------------------------------------

fn basics<B: BarrierApi>(make: Make<B>) {
    for bad in [0, 1 << 29, u32::MAX] {
        assert!(matches!(
            make(bad),
            Err(Error::InvalidArgument {
                name: "parties",
                ..
            })
        ));
    }
    let one = make(1).unwrap();
    assert_eq!(one.parties(), 1);
    for _ in 0..3 {
        assert_eq!(one.wait().unwrap(), 0);
        assert_eq!(one.wait_timeout(Duration::ZERO).unwrap(), 0);
    }
    let b = make(3).unwrap();
    assert_eq!((b.parties(), b.n_waiting(), b.broken()), (3, 0, false));
    // A timeout too large is refused before anything changes.
    assert!(matches!(
        b.wait_timeout(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
    assert_eq!((b.n_waiting(), b.broken()), (0, false));
    // A lone party times out, not before its timeout, and breaks the barrier.
    let t0 = Instant::now();
    assert!(matches!(
        b.wait_timeout(Duration::from_millis(20)),
        Err(Error::BrokenBarrier)
    ));
    assert!(t0.elapsed() >= Duration::from_millis(20));
    assert!(b.broken());
    assert_eq!(b.n_waiting(), 0);
    // Broken: later callers fail at once, even without a timeout.
    assert!(matches!(b.wait(), Err(Error::BrokenBarrier)));
    b.reset();
    assert_eq!((b.n_waiting(), b.broken()), (0, false));
    b.abort();
    assert!(b.broken());
    assert!(matches!(b.wait(), Err(Error::BrokenBarrier)));
    b.reset();
    b.reset(); // resetting an empty barrier twice is harmless
    assert!(!b.broken());
}

#[test]
fn thread_basics() {
    basics(thread_make);
    assert!(matches!(
        thread::Barrier::new(2).unwrap().with_timeout(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
}

#[test]
fn process_basics() {
    basics(process_make);
}

fn failing_actions<B: BarrierApi>(with: MakeWithAction<B>) {
    let b = with(1, Box::new(|| Err("no room".to_owned())));
    match b.wait() {
        Err(Error::BarrierAction { message }) => assert_eq!(message, "no room"),
        r => panic!("expected BarrierAction, got {r:?}"),
    }
    assert!(b.broken());
    assert!(matches!(b.wait(), Err(Error::BrokenBarrier)));
    let p = with(1, Box::new(|| panic!("kaboom")));
    match p.wait() {
        Err(Error::BarrierAction { message }) => assert!(message.contains("kaboom"), "{message}"),
        r => panic!("expected BarrierAction, got {r:?}"),
    }
    assert!(p.broken());
}

#[test]
fn failing_or_panicking_action_breaks_the_barrier() {
    failing_actions(thread_with);
    failing_actions(process_with);
}

// ---- threads ------------------------------------------------------------------------------

/// Runs `n` threads calling `f(i)` on a shared `b`; returns their results in order.
fn run<B, R>(
    b: &Arc<B>,
    n: usize,
    f: impl Fn(&B, usize) -> R + Send + Sync + Clone + 'static,
) -> Vec<R>
where
    B: Send + Sync + 'static,
    R: Send + 'static,
{
    let hs: Vec<_> = (0..n)
        .map(|i| {
            let (b, f) = (Arc::clone(b), f.clone());
            std::thread::spawn(move || f(&b, i))
        })
        .collect();
    hs.into_iter().map(|h| h.join().unwrap()).collect()
}

fn broken_count(rs: &[Result<u32, Error>]) -> usize {
    rs.iter()
        .filter(|r| matches!(r, Err(Error::BrokenBarrier)))
        .count()
}

/// A timed-out party breaks the barrier for the others waiting, and for later callers.
fn timeout_breaks_for_all<B: BarrierApi + Send + Sync + 'static>(make: Make<B>) {
    let b = Arc::new(make(3).unwrap());
    let waiters = {
        let b = Arc::clone(&b);
        std::thread::spawn(move || run(&b, 1, |b, _| b.wait()))
    };
    until("one party waits", || b.n_waiting() == 1);
    let t0 = Instant::now();
    assert!(matches!(
        b.wait_timeout(Duration::from_millis(30)),
        Err(Error::BrokenBarrier)
    ));
    assert!(t0.elapsed() >= Duration::from_millis(30));
    assert_eq!(broken_count(&waiters.join().unwrap()), 1);
    assert!(b.broken());
    assert!(matches!(
        b.wait_timeout(Duration::from_secs(5)),
        Err(Error::BrokenBarrier)
    ));
    b.reset();
    let ok = run(&b, 3, |b, _| b.wait().unwrap());
    assert_eq!(ok.iter().sum::<u32>(), 3);
}

#[test]
fn thread_timeout_breaks_for_all() {
    timeout_breaks_for_all(thread_make);
}

#[test]
fn process_timeout_breaks_for_all() {
    timeout_breaks_for_all(process_make);
}

/// `wait_timeout` overrides the default timeout, both ways.
fn default_timeout<B: BarrierApi + Send + Sync + 'static>(b: B) {
    let b = Arc::new(b);
    // The default (10 ms) would break it; the override (60 s) lets the partner come.
    let partner = {
        let b = Arc::clone(&b);
        std::thread::spawn(move || {
            until("the other party waits", || b.n_waiting() == 1);
            b.wait_timeout(LONG)
        })
    };
    let mine = b.wait_timeout(LONG).unwrap();
    assert_eq!(mine + partner.join().unwrap().unwrap(), 1);
    // The default applies to wait().
    let t0 = Instant::now();
    assert!(matches!(b.wait(), Err(Error::BrokenBarrier)));
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(10) && took < LONG, "{took:?}");
}

#[test]
fn wait_timeout_overrides_the_default() {
    let d = Duration::from_millis(10);
    default_timeout(thread::Barrier::new(2).unwrap().with_timeout(d).unwrap());
    default_timeout(process::Barrier::new(2).unwrap().with_timeout(d).unwrap());
}

/// `abort` and `reset` while parties wait: they all get `BrokenBarrier`; after a reset the
/// barrier works again.
fn abort_and_reset_while_waiting<B: BarrierApi + Send + Sync + 'static>(make: Make<B>) {
    for use_reset in [false, true] {
        let b = Arc::new(make(3).unwrap());
        let waiters = {
            let b = Arc::clone(&b);
            std::thread::spawn(move || run(&b, 2, |b, _| b.wait()))
        };
        until("two parties wait", || b.n_waiting() == 2);
        if use_reset {
            b.reset();
        } else {
            b.abort();
        }
        assert_eq!(broken_count(&waiters.join().unwrap()), 2);
        assert_eq!(b.n_waiting(), 0);
        if use_reset {
            // The last waiter to leave completed the reset.
            assert!(!b.broken());
        } else {
            assert!(b.broken());
            assert!(matches!(b.wait(), Err(Error::BrokenBarrier)));
            b.reset();
        }
        let ok = run(&b, 3, |b, _| b.wait().unwrap());
        assert_eq!(ok.iter().sum::<u32>(), 3, "reset {use_reset}");
    }
}

#[test]
fn thread_abort_and_reset_while_waiting() {
    abort_and_reset_while_waiting(thread_make);
}

#[test]
fn process_abort_and_reset_while_waiting() {
    abort_and_reset_while_waiting(process_make);
}

/// A failing action with parties waiting: its runner gets `BarrierAction`, the others
/// `BrokenBarrier`.
fn failing_action_with_waiters<B: BarrierApi + Send + Sync + 'static>(with: MakeWithAction<B>) {
    let b = Arc::new(with(3, Box::new(|| Err("failed".to_owned()))));
    let rs = run(&b, 3, |b, _| b.wait());
    let action_errors = rs
        .iter()
        .filter(|r| matches!(r, Err(Error::BarrierAction { .. })))
        .count();
    assert_eq!((action_errors, broken_count(&rs)), (1, 2), "{rs:?}");
    assert!(b.broken());
}

#[test]
fn failing_action_with_waiters_breaks_for_all() {
    failing_action_with_waiters(thread_with);
    failing_action_with_waiters(process_with);
}

// ---- many generations: no lapping, unique indices, the action before release ---------------

const GENS: usize = 300;
/// Per generation: arrived, index bitmask, released; then the action count and errors.
const SLOTS: usize = 3 * GENS + 2;
type Slots = [AtomicU64; SLOTS];
const ACTIONS: usize = 3 * GENS;
const ERRORS: usize = 3 * GENS + 1;

fn new_slots() -> Slots {
    std::array::from_fn(|_| AtomicU64::new(0))
}

/// The action: counts itself, and checks that its generation has all arrived and nobody of
/// it was released yet.
fn checking_action<S>(slots: Arc<S>, parties: u64) -> BarrierFn
where
    S: Deref<Target = Slots> + Send + Sync + 'static,
{
    Box::new(move || {
        let g = slots[ACTIONS].fetch_add(1, Relaxed) as usize;
        if g >= GENS || slots[g].load(Relaxed) != parties || slots[2 * GENS + g].load(Relaxed) != 0
        {
            slots[ERRORS].fetch_add(1, Relaxed);
        }
        Ok(())
    })
}

/// One party's run: arrive, wait, check, for every generation.
fn party(b: &impl BarrierApi, s: &Slots, parties: u64) {
    for g in 0..GENS {
        s[g].fetch_add(1, Relaxed);
        let i = b.wait().expect("wait");
        let arrived = s[g].load(Relaxed);
        assert_eq!(
            arrived, parties,
            "gen {g}: released before all arrived (lapping)"
        );
        assert!(
            s[ACTIONS].load(Relaxed) > g as u64,
            "gen {g}: released before the action"
        );
        assert!(u64::from(i) < parties, "gen {g}: index {i} out of range");
        let bit = 1 << i;
        assert_eq!(
            s[GENS + g].fetch_or(bit, Relaxed) & bit,
            0,
            "gen {g}: index {i} twice"
        );
        s[2 * GENS + g].fetch_add(1, Relaxed);
    }
}

fn check_slots(s: &Slots, parties: u64) {
    assert_eq!(
        s[ERRORS].load(Relaxed),
        0,
        "the action saw a generation incomplete or released"
    );
    assert_eq!(
        s[ACTIONS].load(Relaxed),
        GENS as u64,
        "one action per generation"
    );
    for g in 0..GENS {
        assert_eq!(
            s[GENS + g].load(Relaxed),
            (1 << parties) - 1,
            "gen {g} indices"
        );
        assert_eq!(s[2 * GENS + g].load(Relaxed), parties, "gen {g} releases");
    }
}

fn many_generations<B: BarrierApi + Send + Sync + 'static>(with: MakeWithAction<B>) {
    const PARTIES: u64 = 4;
    let slots = Arc::new(new_slots());
    let b = Arc::new(with(
        PARTIES as u32,
        checking_action(Arc::new(Arc::clone(&slots)), PARTIES),
    ));
    let s2 = Arc::clone(&slots);
    let hs: Vec<_> = (0..PARTIES)
        .map(|_| {
            let (b, s) = (Arc::clone(&b), Arc::clone(&s2));
            std::thread::spawn(move || party(&*b, &s, PARTIES))
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    check_slots(&slots, PARTIES);
    assert_eq!((b.n_waiting(), b.broken()), (0, false));
}

#[test]
fn thread_many_generations() {
    many_generations(thread_with);
}

#[test]
fn process_many_generations_in_threads() {
    many_generations(process_with);
}

/// More threads than parties: newcomers wait while an action runs and count into later
/// generations. Every generation has each index once, and one action. Threads take an
/// arrival ticket before each wait, so exactly `GENS * PARTIES` arrivals happen (a fixed
/// number of waits per thread could leave two threads waiting for a third that is done).
fn more_threads_than_parties<B: BarrierApi + Send + Sync + 'static>(with: MakeWithAction<B>) {
    const PARTIES: u32 = 3;
    const THREADS: usize = 5;
    const GENS: u64 = 500;
    // Per index, then the action count, then the tickets.
    let counts = Arc::new([(); PARTIES as usize + 2].map(|_| AtomicU64::new(0)));
    let c = Arc::clone(&counts);
    let action = Box::new(move || {
        c[PARTIES as usize].fetch_add(1, Relaxed);
        Ok(())
    });
    let b = Arc::new(with(PARTIES, action));
    let c = Arc::clone(&counts);
    run(&b, THREADS, move |b, _| {
        while c[PARTIES as usize + 1].fetch_add(1, Relaxed) < GENS * u64::from(PARTIES) {
            let i = b.wait().unwrap();
            c[i as usize].fetch_add(1, Relaxed);
        }
    });
    for (i, n) in counts[..=PARTIES as usize].iter().enumerate() {
        assert_eq!(n.load(Relaxed), GENS, "index {i} (or the action, last)");
    }
}

#[test]
fn more_threads_than_parties_both_versions() {
    more_threads_than_parties(thread_with);
    more_threads_than_parties(process_with);
}

// ---- processes ----------------------------------------------------------------------------

const PROC_PARTIES: u64 = 3;

/// `arg` = `<slots name>\n<barrier name>`.
fn open(arg: &[u8]) -> (Arc<Shared<Slots>>, process::Barrier) {
    let text = std::str::from_utf8(arg).expect("argument is UTF-8");
    let (slots, barrier) = text.split_once('\n').expect("two names");
    let slots = Arc::new(Shared::<Slots>::open(slots).expect("open slots"));
    let action = checking_action(Arc::clone(&slots), PROC_PARTIES);
    let b = process::Barrier::open(barrier)
        .expect("open barrier")
        .with_action(action);
    (slots, b)
}

fn process_party(arg: &[u8]) {
    let (slots, b) = open(arg);
    party(&b, &slots, PROC_PARTIES);
}
twinsync::entry_point!(static PARTY = process_party);

#[test]
#[serial_test::serial(shm)]
fn processes_many_generations_each_with_its_own_action() {
    let names = Names::new(&["tw-barrier-slots"; 2]);
    let _slots = Shared::<Slots>::create(&names[0], new_slots()).unwrap();
    let _b = process::Barrier::create(&names[1], PROC_PARTIES as u32).unwrap();
    let arg = format!("{}\n{}", names[0], names[1]);
    let workers: Vec<Worker> = (0..PROC_PARTIES - 1)
        .map(|_| Worker::start(Kind::Process(StartMethod::Spawn), &PARTY, arg.as_bytes()).unwrap())
        .collect();
    // The test process is the third party, with its own handle and action.
    let (slots, b) = open(arg.as_bytes());
    party(&b, &slots, PROC_PARTIES);
    for w in workers {
        assert_eq!(w.join().unwrap(), Exit::Ok);
    }
    check_slots(&slots, PROC_PARTIES);
}

/// A segment whose party count or state was overwritten is refused at `open`, so no handle
/// can index out of range or wait on an impossible count.
#[test]
#[serial_test::serial(shm)]
fn open_refuses_a_corrupt_party_count() {
    use std::os::unix::fs::FileExt;
    let names = Names::new(&["tw-barrier-bad"]);
    let name = &names[0];
    let b = process::Barrier::create(name, 2).unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/dev/shm{name}"))
        .unwrap();
    // State layout: u64 state, u32 seq, u32 parties, after the 64-byte header.
    let parties_at = (process::HEADER_SIZE + 12) as u64;
    for bad in [0u32, u32::MAX, 1 << 29] {
        file.write_all_at(&bad.to_ne_bytes(), parties_at).unwrap();
        match process::Barrier::open(name) {
            Err(Error::InvalidArgument {
                name: "parties", ..
            }) => {}
            r => panic!("parties {bad}: expected InvalidArgument, got {r:?}"),
        }
    }
    // An arrival count beyond the parties.
    file.write_all_at(&2u32.to_ne_bytes(), parties_at).unwrap();
    file.write_all_at(&7u64.to_ne_bytes(), process::HEADER_SIZE as u64)
        .unwrap();
    assert!(matches!(
        process::Barrier::open(name),
        Err(Error::InvalidArgument { name: "state", .. })
    ));
    // The handle made before the corruption still answers in range.
    assert!(b.n_waiting() <= b.parties());
}
