//! Entry points: the [`entry_point!`](crate::entry_point) macro, and the code that runs in a
//! spawned worker process before `main`.
//!
//! # The launch protocol
//!
//! The parent re-executes its own executable (`/proc/self/exe`) with:
//!
//! * [`ENTRY_ENV`] = the entry's name;
//! * [`FDS_ENV`] = `"<arg fd>,<report fd>"`: a memfd holding the argument bytes, and the write
//!   end of a pipe back to the parent (both inherited across `exec`).
//!
//! In the child, every `entry_point!` constructor (`.init_array.65534`) compares its name
//! with [`ENTRY_ENV`]; the one that matches removes both variables (so the worker's own
//! children do not inherit them), marks both descriptors close-on-exec, reads the argument,
//! writes a "started" byte to the report pipe, calls the function under `catch_unwind`,
//! writes the panic message if there was one, flushes `stdout` and leaves with `_exit` (0,
//! or [`EXIT_PANIC`]). Then twinsync's checker (`.init_array.65535`, after every entry) runs
//! only if no entry matched: it reports "entry X is not registered in this executable" and
//! exits with [`EXIT_LAUNCH_FAILED`]. `main` never runs in a worker process.
//!
//! In secure-execution mode (a set-user-ID program, `AT_SECURE`) the variables are ignored:
//! the environment then comes from a less privileged user.
//!
//! The report pipe carries tagged records: `S` (started), `P` + panic message, `U` + entry
//! name (not registered), `L` + reason (launch failed). Each record is at most
//! [`PIPE_BUF`](libc::PIPE_BUF) bytes, so the child's write never blocks (the pipe is empty
//! but for one byte) and the parent may read the pipe after the child has exited.

use std::ffi::CStr;
use std::fmt;
use std::fs::File;
use std::io::Write;
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Environment variable naming the entry a spawned worker process runs.
pub const ENTRY_ENV: &str = "TWINSYNC_WORKER_ENTRY";
/// Environment variable holding a spawned worker's launch descriptors: `"<arg fd>,<report fd>"`.
pub const FDS_ENV: &str = "TWINSYNC_WORKER_FDS";
/// Exit status of a worker process whose function panicked (the same as a Rust program whose
/// `main` panics).
pub const EXIT_PANIC: i32 = 101;
/// Exit status of a spawned process that could not run its entry: the entry is not
/// registered in the executable, or the launch variables are missing or invalid.
pub const EXIT_LAUNCH_FAILED: i32 = 125;

const ENTRY_ENV_C: &CStr = c"TWINSYNC_WORKER_ENTRY";
const FDS_ENV_C: &CStr = c"TWINSYNC_WORKER_FDS";

/// Report record: the entry was found and is about to run.
pub(super) const TAG_STARTED: u8 = b'S';
/// Report record: the function panicked; the message follows.
pub(super) const TAG_PANIC: u8 = b'P';
/// Report record: no entry of this name is registered; the name follows.
pub(super) const TAG_NOT_REGISTERED: u8 = b'U';
/// Report record: the launch failed before the entry could run; the reason follows.
pub(super) const TAG_LAUNCH: u8 = b'L';

/// Longest payload of a report record. With its tag and the one-byte started record it stays
/// under `PIPE_BUF` (4096), so it is written in one piece into a pipe that cannot be full.
const MAX_PAYLOAD: usize = 4000;

/// Type of an `.init_array` constructor. glibc passes `(argc, argv, envp)`; other libcs pass
/// nothing; the constructors ignore their arguments, so both calling conventions are fine.
#[doc(hidden)]
pub type Ctor = extern "C" fn();

/// A registered entry point: a function `fn(&[u8])` with a name that a spawned copy of this
/// executable can find before `main`. Made only by [`entry_point!`](crate::entry_point).
///
/// ```
/// fn hammer(_arg: &[u8]) {}
/// twinsync::entry_point!(static HAMMER = hammer);
///
/// assert!(HAMMER.name().ends_with("::HAMMER"));
/// ```
pub struct Entry {
    name: &'static str,
    func: fn(&[u8]),
    // Never read. Holding references makes any use of the Entry pull its constructor and the
    // checker into the executable: the linker drops archive members nothing refers to, and
    // `#[used]` alone does not stop it.
    _ctor: &'static Ctor,
    _check: &'static Ctor,
}

impl Entry {
    /// Used by [`entry_point!`](crate::entry_point); not public API.
    #[doc(hidden)]
    pub const fn __new(name: &'static str, func: fn(&[u8]), ctor: &'static Ctor) -> Entry {
        Entry {
            name,
            func,
            _ctor: ctor,
            _check: &CHECK_UNREGISTERED,
        }
    }

    /// The entry's name: `module_path!()::STATIC_NAME` where it was declared.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Calls the function in the current thread.
    pub(super) fn call(&self, arg: &[u8]) {
        (self.func)(arg)
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry").field("name", &self.name).finish()
    }
}

/// Declares a worker entry point: a `static` [`Entry`] for a function
/// `fn(&[u8])` (or a non-capturing closure), runnable with
/// [`Worker::start`](crate::worker::Worker::start) as a thread, a forked process or a spawned
/// process.
///
/// Use it at module level (or inside a function body) of any crate linked into the
/// executable: a binary, a test, a library. The entry's name is
/// `concat!(module_path!(), "::", "NAME")`.
///
/// It also places a constructor in `.init_array` that, in a process started by the spawn
/// method for this entry, runs the function before `main` and exits; in any other process it
/// only reads one environment variable. Linux with glibc (see [`worker`](crate::worker)).
///
/// ```
/// use twinsync::worker::{Exit, Kind, StartMethod, Worker};
///
/// fn check(arg: &[u8]) {
///     assert_eq!(arg, b"\x00binary\xff");
/// }
/// twinsync::entry_point!(
///     /// Checks its argument.
///     pub static CHECK = check
/// );
///
/// let w = Worker::start(Kind::Process(StartMethod::Spawn), &CHECK, b"\x00binary\xff").unwrap();
/// assert_eq!(w.join().unwrap(), Exit::Ok);
/// ```
#[macro_export]
macro_rules! entry_point {
    ($(#[$attr:meta])* $vis:vis static $name:ident = $func:expr $(;)?) => {
        $(#[$attr])*
        $vis static $name: $crate::worker::Entry = {
            extern "C" fn __twinsync_entry_ctor() {
                $crate::worker::__dispatch(&$name);
            }
            // Runs before `main`: after the libc and std's argument capture (priority 99),
            // before unprioritised constructors and twinsync's checker (65535). Unless this
            // process was spawned for this entry, it only reads one environment variable.
            #[used]
            #[unsafe(link_section = ".init_array.65534")]
            static __TWINSYNC_ENTRY_CTOR: $crate::worker::Ctor = __twinsync_entry_ctor;
            $crate::worker::Entry::__new(
                ::core::concat!(::core::module_path!(), "::", ::core::stringify!($name)),
                $func,
                &__TWINSYNC_ENTRY_CTOR,
            )
        };
    };
}

/// Runs before `main` in every process that links an [`Entry`], after every entry's
/// constructor: an entry that matched has already exited, so a remaining [`ENTRY_ENV`] names
/// an entry this executable does not have.
#[used]
#[unsafe(link_section = ".init_array.65535")]
static CHECK_UNREGISTERED: Ctor = check_unregistered;

extern "C" fn check_unregistered() {
    let Some(name) = with_requested(|c| c.to_string_lossy().into_owned()) else {
        return;
    };
    let fds = launch_fds();
    clear_launch_env();
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "this executable".to_owned());
    launch_failed(
        fds.map(|(_, report)| report),
        &format!("entry {name:?} is not registered in this executable ({exe})"),
        TAG_NOT_REGISTERED,
        name.as_bytes(),
    )
}

/// Called by every entry's constructor: runs `entry` and exits if this process was spawned
/// for it, returns at once otherwise. Not public API.
#[doc(hidden)]
pub fn __dispatch(entry: &'static Entry) {
    if with_requested(|c| c.to_bytes() == entry.name.as_bytes()) == Some(true) {
        run_spawned(entry)
    }
}

/// Calls `f` with the value of [`ENTRY_ENV`], if set.
///
/// Ignored in secure-execution mode (set-user-ID and similar programs, `AT_SECURE`): there
/// the environment comes from a less privileged user, who must not choose what runs.
fn with_requested<R>(f: impl FnOnce(&CStr) -> R) -> Option<R> {
    // SAFETY: getauxval only reads the auxiliary vector; 0 means "not secure" or "absent".
    if unsafe { libc::getauxval(libc::AT_SECURE) } != 0 {
        return None;
    }
    // SAFETY: `ENTRY_ENV_C` is NUL-terminated. Before `main` nothing else runs, and after it
    // this is only reached from constructors; the returned string stays valid until the
    // environment is changed, which happens only after `f` returns.
    let p = unsafe { libc::getenv(ENTRY_ENV_C.as_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: getenv returned a non-null pointer to a NUL-terminated string (see above).
    Some(f(unsafe { CStr::from_ptr(p) }))
}

/// The launch descriptors from [`FDS_ENV`], when present, well-formed and open.
fn launch_fds() -> Option<(RawFd, RawFd)> {
    // SAFETY: `FDS_ENV_C` is NUL-terminated; single-threaded, environment not modified while
    // the result is in use (it is parsed at once).
    let p = unsafe { libc::getenv(FDS_ENV_C.as_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: non-null result of getenv: a NUL-terminated string.
    let s = unsafe { CStr::from_ptr(p) }.to_str().ok()?;
    let (a, r) = s.split_once(',')?;
    let (a, r): (RawFd, RawFd) = (a.parse().ok()?, r.parse().ok()?);
    // SAFETY: F_GETFD only queries the descriptor table.
    let open = |fd: RawFd| fd > 2 && unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1;
    (a != r && open(a) && open(r)).then_some((a, r))
}

/// Removes the launch variables so that the worker's own children do not inherit them.
fn clear_launch_env() {
    // SAFETY: single-threaded (before `main`, in a constructor); the names are NUL-terminated.
    unsafe {
        libc::unsetenv(ENTRY_ENV_C.as_ptr());
        libc::unsetenv(FDS_ENV_C.as_ptr());
    }
}

fn run_spawned(entry: &'static Entry) -> ! {
    let fds = launch_fds();
    clear_launch_env();
    let Some((arg_fd, report_fd)) = fds else {
        let why = format!(
            "{FDS_ENV} is missing or invalid, so entry {:?} was not started by \
             twinsync::worker::Worker::start",
            entry.name
        );
        launch_failed(None, &why, TAG_LAUNCH, why.as_bytes())
    };
    for fd in [arg_fd, report_fd] {
        // SAFETY: `fd` is open (checked by `launch_fds`); FD_CLOEXEC keeps it out of the
        // worker's own exec'd children.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    // SAFETY: the parent passed this descriptor for us alone; the File owns and closes it.
    let file = unsafe { File::from_raw_fd(arg_fd) };
    let arg = file.metadata().and_then(|m| {
        let mut buf = vec![0u8; m.len() as usize];
        file.read_exact_at(&mut buf, 0).map(|()| buf)
    });
    drop(file);
    let arg = match arg {
        Ok(arg) => arg,
        Err(e) => {
            let why = format!("reading the argument of entry {:?}: {e}", entry.name);
            launch_failed(Some(report_fd), &why, TAG_LAUNCH, why.as_bytes())
        }
    };
    send(report_fd, TAG_STARTED, b"");
    let code = run_guarded(Some(report_fd), || entry.call(&arg));
    exit_now(code, true)
}

fn launch_failed(report: Option<RawFd>, message: &str, tag: u8, payload: &[u8]) -> ! {
    let _ = writeln!(std::io::stderr(), "twinsync worker: {message}");
    if let Some(fd) = report {
        send(fd, tag, payload);
    }
    exit_now(EXIT_LAUNCH_FAILED, true)
}

/// Runs `f`, catching a panic; returns the exit status to leave with (0, or [`EXIT_PANIC`]
/// after sending the message to `report`).
pub(super) fn run_guarded<F: FnOnce()>(report: Option<RawFd>, f: F) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => 0,
        Err(payload) => {
            if let Some(fd) = report {
                send(fd, TAG_PANIC, panic_message(&*payload).as_bytes());
            }
            // Its destructor might panic again, and the process is about to exit anyway.
            std::mem::forget(payload);
            EXIT_PANIC
        }
    }
}

/// The text of a panic payload (`&str` or `String`, as `panic!` makes them).
pub(super) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// Writes one record (tag + payload cut to [`MAX_PAYLOAD`] at a UTF-8 boundary) to `fd`.
fn send(fd: RawFd, tag: u8, payload: &[u8]) {
    let mut cut = payload.len().min(MAX_PAYLOAD);
    while cut > 0 && cut < payload.len() && (payload[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    let mut record = Vec::with_capacity(cut + 1);
    record.push(tag);
    record.extend_from_slice(&payload[..cut]);
    let mut rest = &record[..];
    while !rest.is_empty() {
        // SAFETY: writes from a live buffer of `rest.len()` bytes.
        let n = unsafe { libc::write(fd, rest.as_ptr().cast(), rest.len()) };
        if n > 0 {
            rest = &rest[n as usize..];
        } else if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
        {
            continue;
        } else {
            return; // the parent is gone or the pipe is unusable: nobody to tell
        }
    }
}

/// Leaves the worker process with `_exit`, so neither the parent's `atexit` handlers nor
/// its destructors run here; first flushes `std::io::stdout` if `flush_stdout` (stderr is
/// unbuffered).
///
/// Flushing takes stdout's lock. In a child forked from a multi-threaded parent that lock
/// may have been held by another thread at the fork (libtest's main thread prints results
/// all the time) and would never be released: such a child must not flush.
pub(super) fn exit_now(code: i32, flush_stdout: bool) -> ! {
    if flush_stdout {
        let _ = std::io::stdout().flush();
    }
    // SAFETY: _exit ends the process at once; it has no memory-safety preconditions.
    unsafe { libc::_exit(code) }
}
