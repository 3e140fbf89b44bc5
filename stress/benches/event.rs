//! Event benchmarks: twinsync's two Event versions next to the std way of making one (a
//! `Mutex<bool>` and a `Condvar`, as Python's `threading.Event` is made), against the
//! `mutex2` reference.
//!
//! Run `cargo xtask bench [--quick] [event]`, or this target alone with
//! `cargo bench -p twinsync-stress --features bench --bench event -- [FILTER]`.
//!
//! # Groups
//!
//! | group | one iteration |
//! |---|---|
//! | `event_uncontended` | set + clear, nobody waiting |
//! | `event_contended_2threads` | two threads each set + clear the same event |
//! | `event_contended_2processes` | the same with two forked processes (shared-memory events only) |
//! | `event_wait_set` | `wait` on an event that is set (returns at once) |
//!
//! Wake-up round trips through two events are in the `wake` bench.
//!
//! # The implementations (benchmark ids)
//!
//! | id | what |
//! |---|---|
//! | `reference` | `Mutex2`: Drepper's three-state futex mutex on a shared futex (lock + unlock) |
//! | `twinsync-thread` | `twinsync::thread::Event` |
//! | `twinsync-process` | `twinsync::process::Event::new()` (anonymous shared segment) |
//! | `std-condvar` | `std::sync::Mutex<bool>` + `Condvar`: set = lock, true, notify_all; clear = lock, false; wait = lock, wait_while false |

mod common;

use std::sync::{Condvar, Mutex, PoisonError};

use common::reference::Mutex2;
use common::twin::Ev;
use common::{cycle_suite, uncontended, Cycle, Home, Suite, Visit};
use criterion::{criterion_group, criterion_main, Criterion};
use twinsync::EventApi;

/// An event made the std way.
#[derive(Default)]
struct StdEvent {
    flag: Mutex<bool>,
    cv: Condvar,
}

impl StdEvent {
    fn put(&self, value: bool) {
        *self.flag.lock().unwrap_or_else(PoisonError::into_inner) = value;
        if value {
            self.cv.notify_all();
        }
    }
}

impl Cycle for StdEvent {
    #[inline]
    fn cycle(&self) {
        self.put(true);
        self.put(false);
    }
}

/// `wait` on a set event, as a [`Cycle`] (the event stays set).
trait WaitSet: Sync {
    fn wait_set(&self);
}

impl<E: EventApi + Sync> WaitSet for Ev<E> {
    #[inline]
    fn wait_set(&self) {
        self.0.wait();
    }
}

impl WaitSet for StdEvent {
    #[inline]
    fn wait_set(&self) {
        let g = self.flag.lock().unwrap_or_else(PoisonError::into_inner);
        drop(std::hint::black_box(
            self.cv
                .wait_while(g, |set| !*set)
                .unwrap_or_else(PoisonError::into_inner),
        ));
    }
}

/// A [`WaitSet`] as a [`Cycle`].
struct Waiting<'a, T>(&'a T);

impl<T: WaitSet> Cycle for Waiting<'_, T> {
    #[inline]
    fn cycle(&self) {
        self.0.wait_set();
    }
}

/// Every implementation, made once for all groups.
struct Peers {
    reference: Mutex2,
    thread: Ev<twinsync::thread::Event>,
    process: Ev<twinsync::process::Event>,
    std: StdEvent,
}

impl Suite for Peers {
    fn each<V: Visit>(&self, v: &mut V) {
        v.visit("reference", &self.reference, Home::Shared);
        v.visit("twinsync-thread", &self.thread, Home::Private);
        v.visit("twinsync-process", &self.process, Home::Shared);
        v.visit("std-condvar", &self.std, Home::Private);
    }
}

fn event(c: &mut Criterion) {
    let p = Peers {
        reference: Mutex2::new(),
        thread: Ev(twinsync::thread::Event::new()),
        process: Ev(twinsync::process::Event::new().expect("process::Event::new")),
        std: StdEvent::default(),
    };
    cycle_suite(c, "event", &p);

    let mut g = c.benchmark_group("event_wait_set");
    uncontended(&mut g, "reference", &p.reference);
    p.thread.0.set();
    uncontended(&mut g, "twinsync-thread", &Waiting(&p.thread));
    p.process.0.set();
    uncontended(&mut g, "twinsync-process", &Waiting(&p.process));
    p.std.put(true);
    uncontended(&mut g, "std-condvar", &Waiting(&p.std));
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = event
}
criterion_main!(benches);
