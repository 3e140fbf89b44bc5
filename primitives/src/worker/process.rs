//! Process workers: started by `fork` or by re-executing this executable (spawn), watched
//! through a pidfd, reaped with `waitpid`, with a report pipe for panic messages.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use super::entry::{
    exit_now, run_guarded, Entry, ENTRY_ENV, EXIT_PANIC, FDS_ENV, TAG_NOT_REGISTERED, TAG_PANIC,
    TAG_STARTED,
};
use super::Exit;
use crate::sys::time::Deadline;
use crate::Error;

fn os_error(op: &'static str) -> Error {
    Error::Os {
        op,
        source: io::Error::last_os_error(),
    }
}

/// A pipe whose ends are close-on-exec and non-blocking: `(read, write)`.
///
/// Non-blocking on the write end too: the child's records are small enough never to meet a
/// full pipe, and if something else filled it the child drops its message rather than hang.
fn report_pipe() -> Result<(OwnedFd, OwnedFd), Error> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(os_error("pipe2"));
    }
    // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A close-on-exec memfd holding `bytes`.
fn arg_memfd(bytes: &[u8]) -> Result<OwnedFd, Error> {
    // SAFETY: the name is NUL-terminated; MFD_CLOEXEC is a valid flag.
    let fd = unsafe { libc::memfd_create(c"twinsync-worker-arg".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(os_error("memfd_create"));
    }
    // SAFETY: memfd_create returned a new descriptor that nothing else owns.
    let mut file = unsafe { File::from_raw_fd(fd) };
    file.write_all(bytes).map_err(|source| Error::Os {
        op: "write worker argument",
        source,
    })?;
    Ok(file.into())
}

pub(super) struct ProcessWorker {
    pid: libc::pid_t,
    /// Refers to this very process even after its PID is reused: used to wait and to kill.
    pidfd: OwnedFd,
    /// Read end of the report pipe (non-blocking).
    report: OwnedFd,
    /// Report bytes read so far.
    received: Vec<u8>,
    /// Set once the process is reaped; it is never waited for again.
    exit: Option<Exit>,
}

impl ProcessWorker {
    /// Takes charge of the unreaped child `pid`. On failure the child is killed and reaped.
    fn adopt(pid: libc::pid_t, report: OwnedFd) -> Result<ProcessWorker, Error> {
        // SAFETY: pidfd_open takes a PID and flags, returns a new descriptor (close-on-exec).
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            let e = os_error("pidfd_open");
            // SAFETY: `pid` is our unreaped child, so it cannot name another process yet.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
            return Err(e);
        }
        Ok(ProcessWorker {
            pid,
            // SAFETY: a new descriptor that nothing else owns.
            pidfd: unsafe { OwnedFd::from_raw_fd(fd as RawFd) },
            report,
            received: Vec::new(),
            exit: None,
        })
    }

    pub(super) fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// Appends whatever the report pipe holds now to `received`.
    fn drain(&mut self) {
        let mut buf = [0u8; 4096];
        loop {
            // SAFETY: reads at most `buf.len()` bytes into `buf`.
            let n =
                unsafe { libc::read(self.report.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                self.received.extend_from_slice(&buf[..n as usize]);
            } else if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            } else {
                return; // EOF, or EAGAIN: nothing more for now
            }
        }
    }

    /// Reaps the process if it has exited (`block`: wait until it has).
    fn reap(&mut self, block: bool) -> Result<Option<Exit>, Error> {
        if let Some(exit) = &self.exit {
            return Ok(Some(exit.clone()));
        }
        let mut status = 0;
        let flags = if block { 0 } else { libc::WNOHANG };
        loop {
            // SAFETY: `pid` is our child, not yet reaped (exit is None); `status` is writable.
            let r = unsafe { libc::waitpid(self.pid, &mut status, flags) };
            if r == self.pid {
                break;
            }
            if r == 0 {
                return Ok(None);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(Error::Os {
                    op: "waitpid",
                    source: e,
                });
            }
        }
        // Everything the child wrote is in the pipe by now: it wrote before it exited.
        self.drain();
        let exit = self.decode(status);
        self.exit = Some(exit.clone());
        Ok(Some(exit))
    }

    fn decode(&self, status: libc::c_int) -> Exit {
        if libc::WIFEXITED(status) {
            match libc::WEXITSTATUS(status) {
                0 => Exit::Ok,
                EXIT_PANIC => match self.panic_message() {
                    Some(message) => Exit::Panicked(message),
                    None => Exit::Code(EXIT_PANIC),
                },
                code => Exit::Code(code),
            }
        } else if libc::WIFSIGNALED(status) {
            Exit::Signal(libc::WTERMSIG(status))
        } else {
            // waitpid without WUNTRACED/WCONTINUED reports only terminations.
            Exit::Code(status)
        }
    }

    fn panic_message(&self) -> Option<String> {
        let mut r = &self.received[..];
        while r.first() == Some(&TAG_STARTED) {
            r = &r[1..];
        }
        (r.first() == Some(&TAG_PANIC)).then(|| String::from_utf8_lossy(&r[1..]).into_owned())
    }

    /// Sleeps until the process exits or the report pipe is readable (`with_report`), or
    /// until `timeout` passes. Returns early on a signal; callers re-check.
    fn poll(&self, with_report: bool, timeout: Option<Duration>) -> Result<(), Error> {
        let mut fds = [
            libc::pollfd {
                fd: self.pidfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.report.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ts = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_nsec: t.subsec_nanos() as libc::c_long,
        });
        let ts_ptr = ts
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const libc::timespec);
        let nfds = if with_report { 2 } else { 1 };
        // SAFETY: `fds` holds at least `nfds` valid pollfds; `ts_ptr` is null or points to
        // `ts`, which outlives the call; a null sigmask leaves the mask alone.
        let r = unsafe { libc::ppoll(fds.as_mut_ptr(), nfds, ts_ptr, std::ptr::null()) };
        if r < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return Err(os_error("ppoll"));
        }
        Ok(())
    }

    /// Waits for the spawned child's first report record: "started" (Ok), or the reason it
    /// could not run `entry` (the child is reaped then).
    fn await_start(&mut self, entry: &Entry) -> Result<(), Error> {
        loop {
            self.drain();
            if let Some(&tag) = self.received.first() {
                if tag == TAG_STARTED {
                    self.received.remove(0);
                    return Ok(());
                }
                // A failure record is written in one piece just before `_exit`.
                let status = self.reap(true)?;
                let text = String::from_utf8_lossy(&self.received[1..]).into_owned();
                return Err(if tag == TAG_NOT_REGISTERED {
                    Error::EntryNotRegistered { name: text }
                } else {
                    Error::WorkerLaunch {
                        reason: format!("{text} (worker {status:?})"),
                    }
                });
            }
            if let Some(exit) = &self.exit {
                return Err(Error::WorkerLaunch {
                    reason: format!(
                        "the process ({exit}) ended before running entry {:?}",
                        entry.name()
                    ),
                });
            }
            self.poll(true, None)?;
            self.reap(false)?;
        }
    }

    pub(super) fn join(&mut self) -> Result<Exit, Error> {
        // A blocking waitpid returns only once the child has exited.
        self.reap(true)?.ok_or_else(|| Error::Os {
            op: "waitpid",
            source: io::Error::other("returned without a status"),
        })
    }

    pub(super) fn join_until(&mut self, deadline: &Deadline) -> Result<Option<Exit>, Error> {
        loop {
            if let Some(exit) = self.reap(false)? {
                return Ok(Some(exit));
            }
            // Recomputed from the absolute deadline on every round: a signal does not extend it.
            let left = deadline.remaining();
            if left.is_zero() {
                return Ok(None);
            }
            self.poll(false, Some(left))?;
        }
    }

    pub(super) fn is_alive(&mut self) -> bool {
        matches!(self.reap(false), Ok(None))
    }

    pub(super) fn kill(&self) -> Result<(), Error> {
        if self.exit.is_some() {
            return Ok(()); // reaped: nothing left to kill
        }
        // SAFETY: sends SIGKILL through our pidfd, which names this process and no other;
        // null info and zero flags are the documented defaults.
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.pidfd.as_raw_fd(),
                libc::SIGKILL,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::ESRCH) {
                return Err(Error::Os {
                    op: "pidfd_send_signal",
                    source: e,
                });
            }
        }
        Ok(())
    }
}

impl Drop for ProcessWorker {
    fn drop(&mut self) {
        // Reap it if it has already exited (no zombie); a running process is left running.
        let _ = self.reap(false);
    }
}

/// Whether this process has exactly one thread (field 20 of `/proc/self/stat`). When it
/// does, no other thread can appear before a `fork` the caller makes next.
fn single_threaded() -> bool {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return false;
    };
    // Field 2 (the command) is parenthesised and may hold spaces: count from its end.
    let after_comm = stat.rfind(')').map_or("", |i| &stat[i + 1..]);
    after_comm.split_ascii_whitespace().nth(17) == Some("1")
}

/// Forks; the child runs `f` and leaves with `_exit` (0, or 101 after reporting a panic).
///
/// # Safety
///
/// As [`Worker::fork`](super::Worker::fork).
pub(super) unsafe fn fork<F: FnOnce()>(f: F) -> Result<ProcessWorker, Error> {
    let (report_r, report_w) = report_pipe()?;
    // Only the child of a single-threaded parent may take stdout's lock (see `exit_now`).
    let flush_stdout = single_threaded();
    // SAFETY: the caller guarantees the child may run `f` (single-threaded parent, or `f`
    // async-signal-safe). The child never returns from this function: it ends in `_exit`.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(os_error("fork"));
    }
    if pid == 0 {
        drop(report_r);
        let code = run_guarded(Some(report_w.as_raw_fd()), f);
        exit_now(code, flush_stdout);
    }
    drop(report_w);
    ProcessWorker::adopt(pid, report_r)
}

/// Re-executes this executable to run `entry(arg)` before its `main` (see the module docs).
pub(super) fn spawn(entry: &'static Entry, arg: &[u8]) -> Result<ProcessWorker, Error> {
    if std::env::var_os(ENTRY_ENV).is_some() {
        return Err(Error::WorkerLaunch {
            reason: format!(
                "{ENTRY_ENV} is set in this process, so it was itself spawned as a worker but no \
                 constructor ran its entry; refusing to spawn (it would recurse)"
            ),
        });
    }
    let arg_fd = arg_memfd(arg)?;
    let (report_r, report_w) = report_pipe()?;
    let (a, w) = (arg_fd.as_raw_fd(), report_w.as_raw_fd());
    let mut cmd = Command::new("/proc/self/exe");
    if let Some(arg0) = std::env::args_os().next() {
        cmd.arg0(arg0);
    }
    cmd.env(ENTRY_ENV, entry.name())
        .env(FDS_ENV, OsString::from(format!("{a},{w}")));
    let keep_open = move || {
        for fd in [a, w] {
            // SAFETY: `fd` is open in the child (inherited); clearing FD_CLOEXEC lets it
            // survive the exec. fcntl is async-signal-safe.
            if unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } == -1 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    };
    // SAFETY: the closure runs between fork and exec and only calls fcntl (async-signal-safe)
    // on descriptors the child has inherited; it allocates nothing.
    unsafe { cmd.pre_exec(keep_open) };
    let child = cmd.spawn().map_err(|source| Error::Os {
        op: "spawn worker process",
        source,
    })?;
    let pid = child.id() as libc::pid_t;
    // std's Child neither waits nor kills on drop; this worker reaps it.
    drop(child);
    drop(report_w);
    drop(arg_fd);
    let mut worker = ProcessWorker::adopt(pid, report_r)?;
    worker.await_start(entry)?;
    Ok(worker)
}
