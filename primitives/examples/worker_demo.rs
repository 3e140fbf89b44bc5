//! Workers from an ordinary binary: the same entry runs as a thread, a forked process and a
//! spawned process (this executable re-executed; the entry runs before `main` there), all
//! adding to one counter in a named shared segment under one named `process::Lock`.
//!
//! ```text
//! cargo run --example worker_demo [--release]
//! ```
//!
//! Exits with status 0 when every worker returned and the count is exact.

// The process version is compiled out under the checker cfgs; this demo is for normal builds.
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
mod demo {
    use std::process::ExitCode;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    use twinsync::process::{self, Shared};
    use twinsync::worker::{Exit, Kind, StartMethod, Worker};
    use twinsync::LockApi;

    const PER_WORKER: u64 = 100_000;

    /// `arg` = `<counter name>\n<lock name>`: adds [`PER_WORKER`] under the lock.
    fn add(arg: &[u8]) {
        let text = std::str::from_utf8(arg).expect("UTF-8 argument");
        let (counter, lock) = text.split_once('\n').expect("two names");
        let counter = Shared::<AtomicU64>::open(counter).expect("open counter");
        let lock = process::Lock::open(lock).expect("open lock");
        for _ in 0..PER_WORKER {
            let _guard = lock.lock();
            counter.store(counter.load(Relaxed) + 1, Relaxed);
        }
        // SAFETY: getpid cannot fail.
        let pid = unsafe { libc::getpid() };
        println!("  worker in pid {pid} done");
    }
    twinsync::entry_point!(static ADD = add);

    pub fn main() -> ExitCode {
        let counter_name = process::unique_name("worker-demo").expect("name");
        let lock_name = process::unique_name("worker-demo-lock").expect("name");
        let counter = Shared::create(&counter_name, AtomicU64::new(0)).expect("create counter");
        let _lock = process::Lock::create(&lock_name).expect("create lock");
        let arg = format!("{counter_name}\n{lock_name}");

        // SAFETY: getpid cannot fail.
        println!("parent pid {}", unsafe { libc::getpid() });
        let kinds = [
            Kind::Thread,
            Kind::Process(StartMethod::Fork), // before any other thread exists: fork is safe
            Kind::Process(StartMethod::Spawn),
        ];
        let mut ok = true;
        for kind in kinds {
            // One at a time, so the forked child is made from a single-threaded parent.
            let exit = Worker::start(kind, &ADD, arg.as_bytes()).and_then(Worker::join);
            println!("{kind:?}: {exit:?}");
            ok &= matches!(exit, Ok(Exit::Ok));
        }
        let total = counter.load(Relaxed);
        println!("total {total} (expected {})", 3 * PER_WORKER);
        let _ = process::unlink(&counter_name);
        let _ = process::unlink(&lock_name);
        if ok && total == 3 * PER_WORKER {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
fn main() -> std::process::ExitCode {
    demo::main()
}

#[cfg(any(twinsync_loom, twinsync_shuttle))]
fn main() {
    eprintln!("worker_demo needs the process version, which checker builds compile out");
    std::process::exit(2);
}
