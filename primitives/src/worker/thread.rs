//! Thread workers: a closure on a `std` thread, with a futex-backed completion word so that
//! `join_timeout` sleeps in the kernel until the thread ends or the deadline passes.

use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::entry::panic_message;
use super::Exit;
use crate::sys::futex::{self, Scope, Wait};
use crate::sys::time::Deadline;
use crate::Error;

/// Value of the completion word while the thread runs.
const RUNNING: u32 = 0;
/// Value of the completion word once the closure has returned or unwound.
const DONE: u32 = 1;

/// Sets the completion word to [`DONE`] and wakes every joiner when dropped: at the end of
/// the closure, or while a panic unwinds out of it.
struct SignalDone(Arc<AtomicU32>);

impl Drop for SignalDone {
    fn drop(&mut self) {
        // Release: a joiner that sees DONE (Acquire) also sees the closure's writes.
        self.0.store(DONE, Release);
        futex::wake_all(&self.0, Scope::Private);
    }
}

pub(super) struct ThreadWorker {
    /// Taken by the first join that finds the thread done.
    handle: Option<JoinHandle<()>>,
    done: Arc<AtomicU32>,
    exit: Option<Exit>,
}

impl ThreadWorker {
    pub(super) fn spawn<F: FnOnce() + Send + 'static>(f: F) -> Result<ThreadWorker, Error> {
        let done = Arc::new(AtomicU32::new(RUNNING));
        let signal = SignalDone(Arc::clone(&done));
        let handle = std::thread::Builder::new()
            .name("twinsync-worker".into())
            .spawn(move || {
                let _signal = signal;
                f()
            })
            .map_err(|source| Error::Os {
                op: "thread spawn",
                source,
            })?;
        Ok(ThreadWorker {
            handle: Some(handle),
            done,
            exit: None,
        })
    }

    /// Joins the (finished or finishing) thread and records how it ended.
    fn finish(&mut self) -> Exit {
        if let Some(exit) = &self.exit {
            return exit.clone();
        }
        let exit = match self.handle.take().map(JoinHandle::join) {
            Some(Ok(())) | None => Exit::Ok,
            Some(Err(payload)) => Exit::Panicked(panic_message(&*payload)),
        };
        self.exit = Some(exit.clone());
        exit
    }

    pub(super) fn join(&mut self) -> Exit {
        self.finish()
    }

    pub(super) fn join_until(&mut self, deadline: &Deadline) -> Option<Exit> {
        if self.exit.is_some() {
            return Some(self.finish());
        }
        loop {
            if self.done.load(Acquire) == DONE {
                // The closure is over; the thread only has its exit path left, so this join
                // does not wait for user code.
                return Some(self.finish());
            }
            // Absolute deadline: a spurious wake-up or EINTR does not restart the timeout.
            if futex::wait(&self.done, RUNNING, Some(deadline), Scope::Private) == Wait::TimedOut {
                return (self.done.load(Acquire) == DONE).then(|| self.finish());
            }
        }
    }

    pub(super) fn is_alive(&self) -> bool {
        self.exit.is_none() && self.done.load(Acquire) == RUNNING
    }
}
