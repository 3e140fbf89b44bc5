//! Workers: each kind (thread, fork, spawn) does real work on shared memory; panics, exit
//! codes, `join_timeout` against a worker blocked on a Lock, `kill`, `is_alive`, dropping,
//! large arguments, nested spawns, and entries the executable does not have.
//!
//! Synchronization is by Lock, never by sleeping: a worker that must stay alive blocks on a
//! `process::Lock` the test holds; only the timeouts themselves are measured.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))] // uses the process version

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

use support::LONG;
use twinsync::process::{self, Shared};
use twinsync::worker::{Exit, Kind, StartMethod, Worker, ENTRY_ENV, EXIT_LAUNCH_FAILED, FDS_ENV};
use twinsync::{Error, LockApi};

const THREAD: Kind = Kind::Thread;
const FORK: Kind = Kind::Process(StartMethod::Fork);
const SPAWN: Kind = Kind::Process(StartMethod::Spawn);

// ---- shared state -------------------------------------------------------------------------

/// A named counter and a named lock (`<base>` and `<base>-lock`), unlinked on drop.
struct Segments {
    base: String,
    counter: Shared<AtomicU64>,
    lock: process::Lock,
}

fn lock_name(base: &str) -> String {
    format!("{base}-lock")
}

impl Segments {
    fn new() -> Segments {
        let base = process::unique_name("tw-worker-test").unwrap();
        let counter = Shared::create(&base, AtomicU64::new(0)).unwrap();
        let lock = process::Lock::create(&lock_name(&base)).unwrap();
        Segments {
            base,
            counter,
            lock,
        }
    }

    /// Argument for [`ADD`]: `<base>\n<n>`.
    fn add_arg(&self, n: u64) -> Vec<u8> {
        format!("{}\n{n}", self.base).into_bytes()
    }

    fn count(&self) -> u64 {
        self.counter.load(Relaxed)
    }
}

impl Drop for Segments {
    fn drop(&mut self) {
        let _ = process::unlink(&self.base);
        let _ = process::unlink(&lock_name(&self.base));
    }
}

fn parse_add_arg(arg: &[u8]) -> (&str, u64) {
    let s = std::str::from_utf8(arg).unwrap();
    let (base, n) = s.split_once('\n').unwrap();
    (base, n.parse().unwrap())
}

// ---- entries ------------------------------------------------------------------------------

/// Adds `n` to the named counter, one split (load, then store) increment at a time under the
/// named lock: the total is exact only under mutual exclusion.
fn add(arg: &[u8]) {
    let (base, n) = parse_add_arg(arg);
    let counter = Shared::<AtomicU64>::open(base).unwrap();
    let lock = process::Lock::open(&lock_name(base)).unwrap();
    for _ in 0..n {
        let _g = lock.lock();
        let v = counter.load(Relaxed);
        counter.store(v + 1, Relaxed);
    }
}
twinsync::entry_point!(static ADD = add);

fn panic_with(arg: &[u8]) {
    panic!("worker says: {}", String::from_utf8_lossy(arg));
}
twinsync::entry_point!(static PANIC = panic_with);

/// Exits with status `arg[0]` at once (`_exit`: a forked child must not run the parent's
/// `atexit` handlers).
fn exit_with(arg: &[u8]) {
    // SAFETY: _exit ends the process; it has no memory-safety preconditions.
    unsafe { libc::_exit(i32::from(arg[0])) }
}
twinsync::entry_point!(static EXIT = exit_with);

/// Waits for the named lock (the test holds it), then counts 1 on the named counter.
fn wait_for_lock(arg: &[u8]) {
    let base = std::str::from_utf8(arg).unwrap();
    let lock = process::Lock::open(&lock_name(base)).unwrap();
    let counter = Shared::<AtomicU64>::open(base).unwrap();
    lock.acquire();
    counter.fetch_add(1, Relaxed);
    lock.release().unwrap();
}
twinsync::entry_point!(static WAIT = wait_for_lock);

const BIG: usize = 3 << 20;

fn big_byte(i: usize) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 13) as u8
}

fn check_big(arg: &[u8]) {
    assert_eq!(arg.len(), BIG);
    let bad = arg.iter().enumerate().position(|(i, &b)| b != big_byte(i));
    assert_eq!(bad, None, "argument corrupted");
}
twinsync::entry_point!(static BIG_ARG = check_big);

/// From a spawned worker, spawns another that runs [`ADD`].
fn nested(arg: &[u8]) {
    assert!(
        std::env::var_os(ENTRY_ENV).is_none(),
        "launch variable leaked"
    );
    assert!(
        std::env::var_os(FDS_ENV).is_none(),
        "launch variable leaked"
    );
    let w = Worker::start(SPAWN, &ADD, arg).unwrap();
    assert_eq!(w.join().unwrap(), Exit::Ok);
}
twinsync::entry_point!(static NESTED = nested);

// ---- real work on shared memory -----------------------------------------------------------

fn two_workers_share_a_counter(kind: Kind) {
    let seg = Segments::new();
    let workers: Vec<Worker> = (0..2)
        .map(|_| Worker::start(kind, &ADD, &seg.add_arg(20_000)).unwrap())
        .collect();
    for mut w in workers {
        assert_eq!(w.join_timeout(LONG).unwrap(), Some(Exit::Ok));
    }
    assert_eq!(seg.count(), 40_000);
    assert!(!seg.lock.locked());
}

#[test]
#[serial_test::serial(shm)]
fn thread_workers_share_a_counter() {
    two_workers_share_a_counter(THREAD);
}

#[test]
#[serial_test::serial(shm)]
fn forked_workers_share_a_counter() {
    two_workers_share_a_counter(FORK);
}

#[test]
#[serial_test::serial(shm)]
fn spawned_workers_share_a_counter() {
    two_workers_share_a_counter(SPAWN);
}

#[test]
fn thread_closure_shares_memory() {
    let n = Arc::new(AtomicU64::new(0));
    let n2 = Arc::clone(&n);
    let w = Worker::thread(move || {
        n2.fetch_add(41, Relaxed);
    })
    .unwrap();
    assert_eq!(w.pid(), None);
    assert_eq!(w.join().unwrap(), Exit::Ok);
    assert_eq!(n.load(Relaxed), 41);
}

#[test]
#[serial_test::serial(shm)]
fn forked_closures_share_anonymous_segments() {
    let counter = Shared::new(AtomicU64::new(0)).unwrap();
    let lock = process::Lock::new().unwrap();
    let body = || {
        for _ in 0..20_000 {
            let _g = lock.lock();
            counter.store(counter.load(Relaxed) + 1, Relaxed);
        }
    };
    let workers = [(); 2].map(|()| {
        // SAFETY: the children only use an inherited lock and counter (no allocation, no
        // lock held by another thread at the fork) and print nothing.
        unsafe { Worker::fork(body) }.unwrap()
    });
    for w in workers {
        assert!(w.pid().is_some());
        assert_eq!(w.join().unwrap(), Exit::Ok);
    }
    assert_eq!(counter.load(Relaxed), 40_000);
}

#[test]
#[serial_test::serial(shm)]
fn large_binary_argument_reaches_every_kind() {
    let arg: Vec<u8> = (0..BIG).map(big_byte).collect();
    assert!(arg.contains(&0) && std::str::from_utf8(&arg).is_err());
    for kind in [THREAD, FORK, SPAWN] {
        let w = Worker::start(kind, &BIG_ARG, &arg).unwrap();
        assert_eq!(w.join().unwrap(), Exit::Ok, "{kind:?}");
    }
}

#[test]
#[serial_test::serial(shm)]
fn a_spawned_worker_can_spawn_workers() {
    let seg = Segments::new();
    let w = Worker::start(SPAWN, &NESTED, &seg.add_arg(1_000)).unwrap();
    assert_eq!(w.join().unwrap(), Exit::Ok);
    assert_eq!(seg.count(), 1_000);
}

// ---- panics and exit codes ----------------------------------------------------------------

#[test]
#[serial_test::serial(shm)]
fn panics_are_reported_with_their_message_for_every_kind() {
    for kind in [THREAD, FORK, SPAWN] {
        let w = Worker::start(kind, &PANIC, "bröken 😬".as_bytes()).unwrap();
        let exit = w.join().unwrap();
        assert_eq!(
            exit,
            Exit::Panicked("worker says: bröken 😬".into()),
            "{kind:?}"
        );
        assert!(!exit.success());
    }
}

#[test]
#[serial_test::serial(shm)]
fn closure_panics_are_reported() {
    let w = Worker::thread(|| panic!("thread {}", 7)).unwrap();
    assert_eq!(w.join().unwrap(), Exit::Panicked("thread 7".into()));
    let w = Worker::thread(|| std::panic::panic_any(7_u8)).unwrap();
    assert_eq!(
        w.join().unwrap(),
        Exit::Panicked("<non-string panic payload>".into())
    );
    // SAFETY: the panic path allocates in the child; glibc's fork leaves malloc usable, and
    // the message goes to libtest's capture buffer (a plain Vec) in the child.
    let w = unsafe { Worker::fork(|| panic!("fork {}", 8)) }.unwrap();
    assert_eq!(w.join().unwrap(), Exit::Panicked("fork 8".into()));
    // A long message is cut, at a character boundary, not lost.
    // SAFETY: as above.
    let w = unsafe { Worker::fork(|| panic!("{}", "é".repeat(10_000))) }.unwrap();
    match w.join().unwrap() {
        Exit::Panicked(m) => assert!(m.len() >= 3_000 && m.len() < 4096 && m.starts_with('é')),
        other => panic!("{other:?}"),
    }
}

#[test]
#[serial_test::serial(shm)]
fn exit_codes_of_process_workers() {
    for kind in [FORK, SPAWN] {
        assert_eq!(
            Worker::start(kind, &EXIT, &[0]).unwrap().join().unwrap(),
            Exit::Ok
        );
        assert_eq!(
            Worker::start(kind, &EXIT, &[3]).unwrap().join().unwrap(),
            Exit::Code(3)
        );
        // 101 without a panic report is just a status.
        assert_eq!(
            Worker::start(kind, &EXIT, &[101]).unwrap().join().unwrap(),
            Exit::Code(101)
        );
    }
    // SAFETY: _exit is async-signal-safe.
    let w = unsafe { Worker::fork(|| libc::_exit(7)) }.unwrap();
    assert_eq!(w.join().unwrap(), Exit::Code(7));
}

// ---- join_timeout and is_alive ------------------------------------------------------------

fn join_timeout_waits_for_a_blocked_worker(kind: Kind) {
    let seg = Segments::new();
    // Released on drop, also when the test fails, so the worker cannot hang.
    let held = seg.lock.lock();
    let mut w = Worker::start(kind, &WAIT, seg.base.as_bytes()).unwrap();
    assert!(w.is_alive());
    assert_eq!(w.join_timeout(Duration::ZERO).unwrap(), None);
    let t0 = Instant::now();
    assert_eq!(w.join_timeout(Duration::from_millis(100)).unwrap(), None);
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(100),
        "returned early: {waited:?}"
    );
    assert!(w.is_alive());
    assert_eq!(seg.count(), 0);
    drop(held);
    assert_eq!(w.join_timeout(LONG).unwrap(), Some(Exit::Ok));
    assert!(!w.is_alive());
    assert_eq!(seg.count(), 1);
    // The result stays available.
    assert_eq!(w.join_timeout(Duration::ZERO).unwrap(), Some(Exit::Ok));
    assert_eq!(w.join().unwrap(), Exit::Ok);
}

#[test]
#[serial_test::serial(shm)]
fn join_timeout_waits_for_a_blocked_thread() {
    join_timeout_waits_for_a_blocked_worker(THREAD);
}

#[test]
#[serial_test::serial(shm)]
fn join_timeout_waits_for_a_blocked_forked_process() {
    join_timeout_waits_for_a_blocked_worker(FORK);
}

#[test]
#[serial_test::serial(shm)]
fn join_timeout_waits_for_a_blocked_spawned_process() {
    join_timeout_waits_for_a_blocked_worker(SPAWN);
}

#[test]
fn join_timeout_rejects_a_timeout_beyond_timeout_max() {
    let mut w = Worker::thread(|| ()).unwrap();
    assert!(matches!(
        w.join_timeout(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
    assert_eq!(w.join().unwrap(), Exit::Ok);
}

#[test]
fn is_alive_turns_false_when_a_thread_ends() {
    let lock = Arc::new(twinsync::thread::Lock::new());
    lock.acquire();
    let l2 = Arc::clone(&lock);
    let mut w = Worker::thread(move || l2.acquire()).unwrap();
    assert!(w.is_alive());
    lock.release().unwrap();
    assert_eq!(w.join_timeout(LONG).unwrap(), Some(Exit::Ok));
    assert!(!w.is_alive());
    assert!(lock.locked()); // the worker took it and never gave it back
}

// ---- kill ---------------------------------------------------------------------------------

fn kill_a_blocked_process(kind: Kind) {
    let seg = Segments::new();
    // Released on drop, also when the test fails, so the worker cannot hang.
    let held = seg.lock.lock();
    let mut w = Worker::start(kind, &WAIT, seg.base.as_bytes()).unwrap();
    assert!(w.pid().is_some());
    assert!(w.is_alive());
    w.kill().unwrap();
    assert_eq!(
        w.join_timeout(LONG).unwrap(),
        Some(Exit::Signal(libc::SIGKILL))
    );
    assert!(!w.is_alive());
    w.kill().unwrap(); // already reaped: nothing to do
    assert_eq!(w.join().unwrap(), Exit::Signal(9));
    assert_eq!(seg.count(), 0);
    // Still held by this thread, as before: the killed worker never had it.
    // SAFETY: gettid cannot fail.
    assert_eq!(seg.lock.holder(), Some(unsafe { libc::gettid() } as u32));
    drop(held);
}

#[test]
#[serial_test::serial(shm)]
fn kill_a_blocked_spawned_process() {
    kill_a_blocked_process(SPAWN);
}

#[test]
#[serial_test::serial(shm)]
fn kill_a_blocked_forked_process() {
    kill_a_blocked_process(FORK);
}

#[test]
#[serial_test::serial(shm)]
fn threads_cannot_be_killed() {
    let seg = Segments::new();
    // Released on drop, also when the test fails, so the worker cannot hang.
    let held = seg.lock.lock();
    let w = Worker::start(THREAD, &WAIT, seg.base.as_bytes()).unwrap();
    assert!(matches!(
        w.kill(),
        Err(Error::Unsupported { op: "kill", .. })
    ));
    assert_eq!(w.pid(), None);
    drop(held);
    assert_eq!(w.join().unwrap(), Exit::Ok);
}

// ---- dropping without join ----------------------------------------------------------------

/// `waitid` on child `pid` for its exit, with `WNOWAIT` (it stays reapable) and `flags`;
/// returns what `waitid` returns.
fn wait_exit_no_reap(pid: u32, flags: libc::c_int) -> libc::c_int {
    // SAFETY: an all-zero siginfo_t is valid; waitid writes into it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child (or no longer is: then waitid fails); WNOWAIT neither reaps
    // it nor, with WNOHANG, blocks.
    unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT | flags,
        )
    }
}

/// Waits until child `pid` has exited, without reaping it.
fn wait_exited_not_reaped(pid: u32) {
    let r = wait_exit_no_reap(pid, 0);
    assert_eq!(r, 0, "{}", std::io::Error::last_os_error());
}

/// Whether `pid` is an unreaped child of this process (running or zombie).
fn is_our_child(pid: u32) -> bool {
    wait_exit_no_reap(pid, libc::WNOHANG) == 0
}

#[test]
#[serial_test::serial(shm)]
fn dropping_an_exited_process_worker_reaps_it() {
    for kind in [FORK, SPAWN] {
        // Blocked on the lock until started, so `start` cannot have reaped it already.
        let seg = Segments::new();
        // Released on drop, also when the test fails, so the worker cannot hang.
        let held = seg.lock.lock();
        let w = Worker::start(kind, &WAIT, seg.base.as_bytes()).unwrap();
        let pid = w.pid().unwrap();
        assert!(is_our_child(pid));
        drop(held);
        wait_exited_not_reaped(pid);
        assert!(is_our_child(pid));
        drop(w);
        assert!(!is_our_child(pid), "{kind:?}: zombie left behind");
    }
}

#[test]
#[serial_test::serial(shm)]
fn dropping_a_running_process_worker_leaves_it_running() {
    let seg = Segments::new();
    // Released on drop, also when the test fails, so the worker cannot hang.
    let held = seg.lock.lock();
    let w = Worker::start(SPAWN, &WAIT, seg.base.as_bytes()).unwrap();
    let pid = w.pid().unwrap();
    drop(w);
    assert!(is_our_child(pid));
    drop(held);
    let mut status = 0;
    // SAFETY: reaps our own child, which the dropped Worker left to us.
    let r = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
    assert_eq!(r, pid as libc::pid_t);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    assert_eq!(seg.count(), 1);
}

// ---- entries the executable does not have -------------------------------------------------

#[test]
fn entry_names_follow_the_module_path() {
    assert_eq!(ADD.name(), "worker::ADD");
    assert_eq!(NESTED.name(), "worker::NESTED");
}

#[test]
fn a_spawned_process_reports_an_unregistered_entry() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(ENTRY_ENV, "no::such::ENTRY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(EXIT_LAUNCH_FAILED));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("entry \"no::such::ENTRY\" is not registered in this executable"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "main ran in the child");
}

#[test]
fn a_process_started_without_launch_descriptors_fails_loudly() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(ENTRY_ENV, ADD.name())
        .env(FDS_ENV, "not-descriptors")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(EXIT_LAUNCH_FAILED));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(FDS_ENV) && stderr.contains(ADD.name()),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "main ran in the child");
}
