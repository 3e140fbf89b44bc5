//! Workers: run a function as a new thread or a new process, with one API (Python's
//! `threading.Thread` and `multiprocessing.Process`).
//!
//! | start | how | shares with the parent |
//! |---|---|---|
//! | [`Worker::thread`], [`Kind::Thread`] | a `std` thread | everything |
//! | [`Worker::fork`], [`Kind::Process`]\([`StartMethod::Fork`]) | `fork()` | anonymous and named segments |
//! | [`Kind::Process`]\([`StartMethod::Spawn`]) | re-executes this executable | named segments only |
//!
//! Every worker can be [joined](Worker::join), joined [with a timeout](Worker::join_timeout)
//! and asked whether it [is alive](Worker::is_alive); process workers can be
//! [killed](Worker::kill). How it ended is an [`Exit`]: a panic is reported with its message
//! for every kind (a process worker sends it to the parent through a pipe).
//!
//! # Start methods
//!
//! * **Fork** is fast (no exec) and the child inherits the parent's memory, including
//!   anonymous shared segments (`process::Lock::new()`, `process::Shared::new(..)`). But the
//!   child has only the thread that forked: a lock another thread held at that moment stays
//!   held forever in the child. Use it from a single-threaded parent, or with a function that
//!   takes no lock (see [`Worker::fork`]). The child leaves with `_exit`: the parent's
//!   `atexit` handlers and destructors never run twice.
//! * **Spawn** re-executes the current executable (`/proc/self/exe`) and runs a registered
//!   [`Entry`] in the fresh process, so it is safe from a multi-threaded parent such as the
//!   test harness. Nothing but the argument bytes crosses over: state to share must be in a
//!   *named* segment, whose name the parent passes in the argument
//!   (`process::Lock::create(&name)` in the parent, `process::Lock::open(&name)` in the
//!   child). The argument travels in a memfd, so it may be large and binary.
//!
//! # Entry points, and how a spawned process finds one
//!
//! [`entry_point!`](crate::entry_point) declares a `static` [`Entry`] for a `fn(&[u8])` and
//! places a constructor in the executable's `.init_array`, which the C runtime runs before
//! `main`. A spawned worker is started with the variable [`ENTRY_ENV`] naming the entry; the
//! matching constructor runs the function and exits the process, so `main` (your program's,
//! or the test harness's) never runs there. If no entry matches, a twinsync constructor that
//! runs after all of them reports "entry X is not registered in this executable", exits with
//! [`EXIT_LAUNCH_FAILED`], and [`Worker::start`] returns [`Error::EntryNotRegistered`]. The
//! protocol is described in the `entry` module source.
//!
//! Limits of the mechanism:
//!
//! * **Linux with glibc** (`.init_array` constructors with priorities, run in order before
//!   `main`; `/proc/self/exe`; memfd; pidfd, Linux 5.3 or later).
//! * **The entry must be linked into the executable.** Naming it in [`Worker::start`] does
//!   that: an [`Entry`] refers to its constructor, so the linker cannot drop one without the
//!   other. An entry declared in a library that the executable never refers to is absent.
//! * **The function runs before `main`**, and before the executable's unprioritised
//!   constructors (C++ static initialisers of linked C++ code, `#[ctor]`-style Rust ones):
//!   code relying on those is not ready. std's runtime set-up in `main`'s wrapper has not
//!   run either: its stack-overflow handler is not installed (an overflow is a plain
//!   `SIGSEGV`), and whatever your `main` would set up (a logger, an async runtime) is not.
//!   Allocation, threads, files, `std::env::var`, shared segments and panics all work.
//!   `std::env::args()` holds only `argv[0]` (the command line is not passed on).
//! * **The process ends when the function returns** (`_exit`: threads it started are ended,
//!   buffered `stdout` is flushed, `atexit` handlers do not run).
//! * In set-user-ID programs (secure-execution mode) the launch variables are ignored, so
//!   spawning does not work there.
//!
//! # Exit statuses
//!
//! A process worker exits with 0 when its function returns and with [`EXIT_PANIC`] (101)
//! after a panic, whose message it sends to the parent. [`Worker::join`] maps the status:
//! 0 is [`Exit::Ok`], 101 with a message is [`Exit::Panicked`], any other code is
//! [`Exit::Code`] (for example from `std::process::exit(3)`), death by a signal is
//! [`Exit::Signal`].
//!
//! # Dropping a Worker without joining it
//!
//! A thread worker is detached. A process worker is reaped if it has already exited (no
//! zombie is left); one that is still running is **left running** (it is not killed) and
//! becomes a zombie when it exits, until this process exits. Join or kill workers you start.
//!
//! # Example: one body, three kinds of worker
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
//! use twinsync::process::{self, Shared};
//! use twinsync::worker::{Exit, Kind, StartMethod, Worker};
//! use twinsync::LockApi;
//!
//! /// Adds 1000 to the counter named in `arg`, under the lock named `arg` + "-lock".
//! fn add(arg: &[u8]) {
//!     let name = std::str::from_utf8(arg).unwrap();
//!     let counter = Shared::<AtomicU64>::open(name).unwrap();
//!     let lock = process::Lock::open(&format!("{name}-lock")).unwrap();
//!     for _ in 0..1000 {
//!         let _guard = lock.lock();
//!         counter.store(counter.load(Relaxed) + 1, Relaxed);
//!     }
//! }
//! twinsync::entry_point!(static ADD = add);
//!
//! let name = process::unique_name("doc-worker").unwrap();
//! let counter = Shared::create(&name, AtomicU64::new(0)).unwrap();
//! let _lock = process::Lock::create(&format!("{name}-lock")).unwrap();
//! let kinds = [
//!     Kind::Thread,
//!     Kind::Process(StartMethod::Fork),
//!     Kind::Process(StartMethod::Spawn),
//! ];
//! let workers: Vec<Worker> = kinds
//!     .into_iter()
//!     .map(|kind| Worker::start(kind, &ADD, name.as_bytes()).unwrap())
//!     .collect();
//! for w in workers {
//!     assert_eq!(w.join().unwrap(), Exit::Ok);
//! }
//! assert_eq!(counter.load(Relaxed), 3000);
//! process::unlink(&name).unwrap();
//! process::unlink(&format!("{name}-lock")).unwrap();
//! ```

mod entry;
mod process;
mod thread;

use std::fmt;
use std::time::Duration;

#[doc(hidden)]
pub use entry::{__dispatch, Ctor};
pub use entry::{Entry, ENTRY_ENV, EXIT_LAUNCH_FAILED, EXIT_PANIC, FDS_ENV};

use crate::sys::time::Deadline;
use crate::Error;

/// How a process worker is started. See the [module docs](self#start-methods).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StartMethod {
    /// `fork()`: fast; only safe from a single-threaded parent (see [`Worker::fork`]).
    Fork,
    /// Re-execute this executable and run a registered [`Entry`] before `main`: safe from
    /// any parent; share state through named segments.
    Spawn,
}

/// What a worker runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A thread of this process.
    Thread,
    /// A child process, started with the given method.
    Process(StartMethod),
}

/// How a worker ended.
///
/// ```
/// use twinsync::worker::Exit;
/// assert!(Exit::Ok.success());
/// assert!(!Exit::Code(3).success());
/// assert_eq!(Exit::Signal(9).to_string(), "killed by signal 9");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Exit {
    /// The function returned (exit status 0 for a process).
    Ok,
    /// The process exited with this non-zero status (and did not report a panic).
    Code(i32),
    /// The function panicked with this message.
    Panicked(String),
    /// The process was killed by this signal.
    Signal(i32),
}

impl Exit {
    /// Whether the worker's function returned normally.
    pub fn success(&self) -> bool {
        matches!(self, Exit::Ok)
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Ok => f.write_str("returned normally"),
            Exit::Code(code) => write!(f, "exited with status {code}"),
            Exit::Panicked(message) => write!(f, "panicked: {message}"),
            Exit::Signal(signal) => write!(f, "killed by signal {signal}"),
        }
    }
}

enum Inner {
    Thread(thread::ThreadWorker),
    Process(process::ProcessWorker),
}

/// A running (or finished, not yet joined) thread or process. See the [module docs](self).
///
/// ```
/// use std::time::Duration;
/// use twinsync::worker::{Exit, Worker};
///
/// let mut w = Worker::thread(|| panic!("no luck")).unwrap();
/// let exit = w.join_timeout(Duration::from_secs(10)).unwrap();
/// assert_eq!(exit, Some(Exit::Panicked("no luck".into())));
/// assert!(!w.is_alive());
/// assert!(w.kill().is_err()); // threads cannot be killed
/// ```
#[must_use = "a worker should be joined (a process worker left running is not reaped)"]
pub struct Worker {
    inner: Inner,
}

impl Worker {
    /// Runs `entry(arg)` as a thread, a forked process or a spawned process.
    ///
    /// With [`Kind::Process`]`(`[`StartMethod::Spawn`]`)` this returns once the new process
    /// has found its entry (it has not necessarily done anything yet).
    ///
    /// With [`StartMethod::Fork`] from a multi-threaded parent, `entry` must not take a lock
    /// that another thread of the parent might hold (`stdout`'s and `stderr`'s included, so
    /// no printing and no panic): the child would wait for it forever. Prefer
    /// [`StartMethod::Spawn`] there. See [`Worker::fork`].
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when the thread or process cannot be created;
    /// [`Error::EntryNotRegistered`] when the spawned process has no such entry;
    /// [`Error::WorkerLaunch`] when it fails before running it.
    ///
    /// ```
    /// use twinsync::worker::{Exit, Kind, StartMethod, Worker};
    ///
    /// fn quit(arg: &[u8]) {
    ///     std::process::exit(arg[0].into());
    /// }
    /// twinsync::entry_point!(static QUIT = quit);
    ///
    /// let w = Worker::start(Kind::Process(StartMethod::Spawn), &QUIT, &[7]).unwrap();
    /// assert!(w.pid().is_some());
    /// assert_eq!(w.join().unwrap(), Exit::Code(7));
    /// ```
    pub fn start(kind: Kind, entry: &'static Entry, arg: &[u8]) -> Result<Worker, Error> {
        match kind {
            Kind::Thread => {
                let arg = arg.to_vec();
                Worker::thread(move || entry.call(&arg))
            }
            Kind::Process(StartMethod::Fork) => {
                // SAFETY: what `fork` asks of its caller is that the child not wait for a
                // lock another parent thread held at the fork; breaking it deadlocks the
                // child, it does not corrupt memory (glibc's fork makes malloc safe in the
                // child; the child shares only MAP_SHARED memory with the parent and leaves
                // with `_exit`). This method documents that duty for `entry`.
                unsafe { Worker::fork(|| entry.call(arg)) }
            }
            Kind::Process(StartMethod::Spawn) => Ok(Worker {
                inner: Inner::Process(process::spawn(entry, arg)?),
            }),
        }
    }

    /// Runs a closure on a new thread.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when the thread cannot be created.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    /// use twinsync::worker::{Exit, Worker};
    ///
    /// let n = Arc::new(AtomicU32::new(0));
    /// let n2 = Arc::clone(&n);
    /// let w = Worker::thread(move || { n2.fetch_add(1, Ordering::Relaxed); }).unwrap();
    /// assert_eq!(w.join().unwrap(), Exit::Ok);
    /// assert_eq!(n.load(Ordering::Relaxed), 1);
    /// ```
    pub fn thread<F: FnOnce() + Send + 'static>(f: F) -> Result<Worker, Error> {
        Ok(Worker {
            inner: Inner::Thread(thread::ThreadWorker::spawn(f)?),
        })
    }

    /// Runs a closure in a child created by `fork()`. The child exits with 0 when `f`
    /// returns, or reports the panic and exits with [`EXIT_PANIC`]; it never returns into the
    /// caller's code and leaves with `_exit`.
    ///
    /// Buffered `stdout` is flushed before the child exits only when the parent had a single
    /// thread at the fork: flushing takes `stdout`'s lock, which another thread may have held
    /// at that moment (then it stays held in the child forever). From a multi-threaded
    /// parent, end what the child prints with a newline (`stdout` is line-buffered) or flush
    /// it yourself.
    ///
    /// # Safety
    ///
    /// The child has only the calling thread: a lock another thread held at the fork stays
    /// held in the child. The parent must be single-threaded, or `f` must do only
    /// async-signal-safe work, and not panic (the panic hook writes to `stderr` under its
    /// lock). glibc keeps `malloc` usable in the child, so allocation by itself does not
    /// deadlock there; other locks (`stdout`, `stderr`, your own mutexes) may.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when `fork`, `pipe2` or `pidfd_open` fails.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use twinsync::process::Shared;
    /// use twinsync::worker::{Exit, Worker};
    ///
    /// let counter = Shared::new(AtomicU64::new(0)).unwrap(); // anonymous: inherited
    /// // SAFETY: doc tests run single-threaded.
    /// let w = unsafe { Worker::fork(|| { counter.fetch_add(5, Ordering::Relaxed); }) }.unwrap();
    /// assert_eq!(w.join().unwrap(), Exit::Ok);
    /// assert_eq!(counter.load(Ordering::Relaxed), 5);
    /// ```
    pub unsafe fn fork<F: FnOnce()>(f: F) -> Result<Worker, Error> {
        Ok(Worker {
            // SAFETY: forwarded: same contract as this function.
            inner: Inner::Process(unsafe { process::fork(f)? }),
        })
    }

    /// Waits until the worker ends and says how.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when waiting fails (for example when `SIGCHLD` is ignored, so the
    /// kernel reaps children itself).
    pub fn join(mut self) -> Result<Exit, Error> {
        match &mut self.inner {
            Inner::Thread(t) => Ok(t.join()),
            Inner::Process(p) => p.join(),
        }
    }

    /// Waits at most `timeout` for the worker to end: `Some(exit)` if it has (again on every
    /// later call), `None` if it is still running. Sleeps in the kernel (a futex for a
    /// thread, `ppoll` on a pidfd for a process) until the end or an absolute deadline.
    ///
    /// # Errors
    ///
    /// [`Error::TimeoutTooLarge`] beyond [`TIMEOUT_MAX`](crate::TIMEOUT_MAX); as
    /// [`Worker::join`].
    pub fn join_timeout(&mut self, timeout: Duration) -> Result<Option<Exit>, Error> {
        let deadline = Deadline::after(timeout)?;
        match &mut self.inner {
            Inner::Thread(t) => Ok(t.join_until(&deadline)),
            Inner::Process(p) => p.join_until(&deadline),
        }
    }

    /// Whether the worker is still running. Never blocks; a process that has exited is
    /// reaped here (its [`Exit`] is kept for the next join).
    pub fn is_alive(&mut self) -> bool {
        match &mut self.inner {
            Inner::Thread(t) => t.is_alive(),
            Inner::Process(p) => p.is_alive(),
        }
    }

    /// Kills a process worker with `SIGKILL` (through its pidfd, so a reused PID can never
    /// hit another process). Does nothing if it has already ended. Join it afterwards: it
    /// then reports [`Exit::Signal`]`(9)`, unless it ended first.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for a thread worker; [`Error::Os`] if the signal cannot be sent.
    pub fn kill(&self) -> Result<(), Error> {
        match &self.inner {
            Inner::Thread(_) => Err(Error::Unsupported {
                op: "kill",
                reason: "a thread worker cannot be killed; only process workers can",
            }),
            Inner::Process(p) => p.kill(),
        }
    }

    /// The process id of a process worker; `None` for a thread.
    pub fn pid(&self) -> Option<u32> {
        match &self.inner {
            Inner::Thread(_) => None,
            Inner::Process(p) => Some(p.pid()),
        }
    }
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Thread(_) => f.debug_struct("Worker").field("kind", &"thread").finish(),
            Inner::Process(p) => f
                .debug_struct("Worker")
                .field("kind", &"process")
                .field("pid", &p.pid())
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests;
