//! The runner's watchdog: a worker that never ends is reported as hung (and, as a process,
//! killed) within the grace period instead of hanging the run. These are the negative
//! controls of the hang check.

use std::sync::atomic::{AtomicU32, Ordering::*};
use std::sync::Arc;
use std::time::Duration;

use twinsync::process::Shared;
use twinsync::sys::futex::{self, Scope};
use twinsync::worker::Worker;
use twinsync_stress::runner::{drive, scope, start_crew, Control};
use twinsync_stress::{Config, Version};

fn cfg(workers: usize) -> Config {
    Config {
        workers,
        duration: Duration::from_millis(50),
        seed: 1,
        progress: false,
        grace: Duration::from_millis(200),
    }
}

/// Blocks until `word` is non-zero: a worker that ignores the stop signal.
fn block_on(word: &AtomicU32, scope: Scope) {
    while word.load(Acquire) == 0 {
        futex::wait(word, 0, None, scope);
    }
}

#[test]
fn a_hung_process_is_reported_and_killed() {
    let control = Shared::new(Control::new()).unwrap();
    let never = Shared::new(AtomicU32::new(0)).unwrap();
    let sc = scope(Version::Process);
    let (c, n) = (&*control, &*never);
    let crew = start_crew(&cfg(2), Version::Process, c, |i| {
        // SAFETY: the child runs only atomics and futex calls (async-signal-safe), so forking
        // from the multi-threaded test harness is sound.
        unsafe {
            Worker::fork(move || {
                c.start(sc, Duration::from_secs(60));
                if i == 1 {
                    block_on(n, sc);
                }
            })
        }
    })
    .unwrap();
    let run = drive(&cfg(2), "watchdog/process", sc, c, crew);
    assert_eq!(run.failures.len(), 1, "{:?}", run.failures);
    let f = &run.failures[0];
    assert!(
        f.starts_with("worker 1 (pid ") && f.contains("hung") && f.contains("killed"),
        "{f}"
    );
    assert!(f.contains("Signal(9)"), "{f}");
}

#[test]
fn a_hung_thread_is_reported() {
    let control = Arc::new(Control::new());
    let never = Arc::new(AtomicU32::new(0));
    let sc = scope(Version::Thread);
    let crew = start_crew(&cfg(2), Version::Thread, &control, |i| {
        let (c, n) = (Arc::clone(&control), Arc::clone(&never));
        Worker::thread(move || {
            c.start(sc, Duration::from_secs(60));
            if i == 0 {
                block_on(&n, sc);
            }
        })
    })
    .unwrap();
    let run = drive(&cfg(2), "watchdog/thread", sc, &control, crew);
    assert_eq!(run.failures.len(), 1, "{:?}", run.failures);
    assert!(
        run.failures[0].starts_with("worker 0 hung"),
        "{:?}",
        run.failures
    );
    // Let the thread go (a thread cannot be killed).
    never.store(1, Release);
    futex::wake_all(&never, sc);
}

#[test]
fn a_panicking_worker_is_reported() {
    // A generous grace: the panic hook may symbolize a backtrace (RUST_BACKTRACE), which
    // takes a while in a debug build on a loaded machine; the worker is not hung meanwhile.
    let cfg = || Config {
        grace: Duration::from_secs(10),
        ..cfg(1)
    };
    let control = Arc::new(Control::new());
    let sc = scope(Version::Thread);
    let crew = start_crew(&cfg(), Version::Thread, &control, |_| {
        let c = Arc::clone(&control);
        Worker::thread(move || {
            c.start(sc, Duration::from_secs(60));
            panic!("worker gave up");
        })
    })
    .unwrap();
    let run = drive(&cfg(), "watchdog/panic", sc, &control, crew);
    assert_eq!(run.failures.len(), 1);
    assert!(
        run.failures[0].contains("worker gave up"),
        "{:?}",
        run.failures
    );
}
