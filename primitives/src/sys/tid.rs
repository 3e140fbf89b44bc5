//! The caller's kernel thread id (TID), cached per thread.
//!
//! A TID names one thread of one process, system-wide within a PID namespace, which is what a
//! lock word needs to record its holder. `gettid` is a system call (about as expensive as an
//! uncontended lock), so it is cached in a thread-local. The cache would be wrong in a child
//! created by `fork` (the child's only thread has a new TID), so a `pthread_atfork` child
//! handler clears it.

use std::cell::Cell;
use std::sync::Once;

/// Largest TID the kernel hands out (`PID_MAX_LIMIT` = 2^22); ids fit in 30 bits.
pub const TID_BITS: u32 = 30;

std::thread_local! {
    static CACHED: Cell<u32> = const { Cell::new(0) };
}

static ATFORK: Once = Once::new();

extern "C" fn clear_in_child() {
    // In the child of fork(): its one thread has a TID of its own.
    let _ = CACHED.try_with(|c| c.set(0));
}

fn gettid() -> u32 {
    // SAFETY: gettid takes no arguments and cannot fail.
    unsafe { libc::gettid() as u32 }
}

/// The calling thread's TID (never 0).
#[inline]
pub fn current() -> u32 {
    match CACHED.try_with(Cell::get) {
        Ok(0) => slow(),
        Ok(t) => t,
        // Thread-local already destroyed (a lock used in a TLS destructor): ask the kernel.
        Err(_) => gettid(),
    }
}

#[cold]
fn slow() -> u32 {
    ATFORK.call_once(|| {
        // SAFETY: registers a handler that only touches this thread's own const-initialised
        // thread-local (no allocation, no locks), which is safe in a forked child.
        unsafe { libc::pthread_atfork(None, None, Some(clear_in_child)) };
    });
    let t = gettid();
    let _ = CACHED.try_with(|c| c.set(t));
    t
}
