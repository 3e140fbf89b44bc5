//! A futex emulated with the checker's `Mutex` and `Condvar`, that really blocks.
//!
//! One global table of sleepers (address, woken flag) under one checker `Mutex`, with one
//! `Condvar` that every sleeper waits on. `wait` re-checks the word while holding the table
//! lock, so a `wake` that runs after the caller's check cannot be missed (the kernel gives the
//! same guarantee with its hash-bucket lock). `wake(n)` marks at most `n` sleepers on that
//! address, oldest first, and only marked sleepers return: a wake that is missing or too small
//! leaves the others asleep, and the checker reports the deadlock.

#[cfg(twinsync_loom)]
use loom::sync::{Condvar, Mutex};
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
use shuttle::sync::{Condvar, Mutex};

use super::atomic::{AtomicU32, Ordering};
use crate::sys::futex::{Scope, Wait};
use crate::sys::time::Deadline;

#[derive(Default)]
struct Table {
    next: u64,
    /// (ticket, address, woken)
    sleepers: Vec<(u64, usize, bool)>,
}

struct Futexes {
    table: Mutex<Table>,
    cond: Condvar,
}

#[cfg(twinsync_loom)]
loom::lazy_static! {
    static ref FUTEXES: Futexes = Futexes { table: Mutex::new(Table::default()), cond: Condvar::new() };
}
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
shuttle::lazy_static! {
    static ref FUTEXES: Futexes = Futexes { table: Mutex::new(Table::default()), cond: Condvar::new() };
}

fn addr(word: &AtomicU32) -> usize {
    word as *const AtomicU32 as usize
}

pub(super) fn wait(word: &AtomicU32, expected: u32, deadline: Option<&Deadline>, _: Scope) -> Wait {
    let f = &*FUTEXES;
    let mut t = f.table.lock().unwrap();
    if word.load(Ordering::SeqCst) != expected {
        return Wait::Woken;
    }
    if deadline.is_some() {
        // No clock under a checker: the deadline passes at once.
        return Wait::TimedOut;
    }
    let ticket = t.next;
    t.next += 1;
    let a = addr(word);
    t.sleepers.push((ticket, a, false));
    loop {
        t = f.cond.wait(t).unwrap();
        let i = t
            .sleepers
            .iter()
            .position(|s| s.0 == ticket)
            .expect("sleeper vanished");
        if t.sleepers[i].2 {
            t.sleepers.remove(i);
            return Wait::Woken;
        }
    }
}

pub(super) fn wake(word: &AtomicU32, n: u32, _: Scope) -> u32 {
    let f = &*FUTEXES;
    let mut t = f.table.lock().unwrap();
    let a = addr(word);
    let mut woken = 0;
    for s in t.sleepers.iter_mut().filter(|s| s.1 == a && !s.2) {
        if woken == n {
            break;
        }
        s.2 = true;
        woken += 1;
    }
    drop(t);
    if woken > 0 {
        f.cond.notify_all();
    }
    woken
}

#[cfg(twinsync_loom)]
loom::thread_local! {
    static ID: u32 = next_id();
}
#[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
shuttle::thread_local! {
    static ID: u32 = next_id();
}

fn next_id() -> u32 {
    // A plain std atomic outside the model: ids only need to be distinct.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) & ((1 << 30) - 1);
    if id == 0 {
        next_id()
    } else {
        id
    }
}

pub(super) fn current_id() -> u32 {
    ID.with(|id| *id)
}
