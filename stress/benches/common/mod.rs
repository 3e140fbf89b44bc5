//! What the bench targets share: the references, the C and Rust peers, the two-party harness
//! with CPU pinning, and the criterion glue that turns them into groups.
//!
//! Each bench target (`lock.rs`, `wake.rs`, one per primitive) includes this module with
//! `mod common;` and uses the part it needs, hence the `dead_code` allowance.
//!
//! # The shapes of a group
//!
//! | group | one iteration | time is per |
//! |---|---|---|
//! | `<x>_uncontended` | one [`Cycle`] on one thread, nobody else near the object | cycle |
//! | `<x>_contended_2threads` | two unpinned threads each do one [`Cycle`] on the same object (or, for a channel, one sends and one receives: [`Transfer`]) | pair of cycles (one transfer) |
//! | `<x>_contended_2processes` | the same with two forked processes (shared-memory objects only) | pair of cycles (one transfer) |
//! | `wake_<cpus>_<parties>` | one [`PingPong`] round trip (A wakes B, B wakes A), parties pinned | round trip |
//!
//! In the two-party groups a sample is timed inside the racers ([`race`]): both wait at a
//! start line, each runs its side N times, and the sample's time is from the earliest start
//! to the latest finish (thread start-up, `fork` and pinning are outside it).
//!
//! Every group has a `reference` entry, minimal futex code measured in the same run
//! ([`reference`]): `Mutex2`'s lock + unlock is the unit of every cycle group (so a ratio
//! says how many minimal lock cycles an operation costs), except Barrier's, whose unit is a
//! minimal futex barrier; a raw futex ping-pong is the unit of every round trip.
//! `cargo xtask bench` prints each entry's time as a ratio to it.
#![allow(dead_code)]

pub mod ipc;
pub mod posix;
pub mod race;
pub mod reference;
pub mod rust_peers;
pub mod shm;
pub mod twin;

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};

use race::{Pins, Race, UNPINNED};
use shm::Shm;

/// One operation cycle that leaves the object as it found it (acquire + release, set +
/// clear, put + get...): the unit of the uncontended and contended groups.
pub trait Cycle: Sync {
    /// Runs one cycle.
    fn cycle(&self);

    /// What party `me` (0 or 1) runs per iteration in the contended groups: by default a
    /// whole cycle each. A one-way channel splits it instead ([`Transfer`]): party 0 sends,
    /// party 1 receives, so the pair of them is one cycle.
    #[inline]
    fn side(&self, me: usize) {
        let _ = me;
        self.cycle();
    }
}

/// A [`Signal`] used as a one-way channel: the cycle is post + wait (a put and a get, a send
/// and a receive); in the contended groups party 0 only posts and party 1 only waits.
pub struct Transfer<S>(pub S);

impl<S: Signal> Cycle for Transfer<S> {
    #[inline]
    fn cycle(&self) {
        self.0.post();
        self.0.wait();
    }

    #[inline]
    fn side(&self, me: usize) {
        if me == 0 {
            self.0.post();
        } else {
            self.0.wait();
        }
    }
}

/// Two parties that wake each other in turn: the unit of the round-trip groups.
pub trait PingPong: Sync {
    /// Party A's side of one round trip: wake B, then wait until B has answered.
    fn ping(&self);
    /// Party B's side: wait until A wakes it, then wake A.
    fn pong(&self);
}

/// A one-way wake-up: [`post`](Signal::post) lets one [`wait`](Signal::wait) through
/// (a semaphore, a Lock used as a binary semaphore, an Event with its clear, a queue's
/// put and get...). Two of them make a [`Pair`], a ping-pong.
pub trait Signal: Sync {
    /// Lets one waiter through (now or when it comes).
    fn post(&self);
    /// Waits for one post and consumes it.
    fn wait(&self);
}

/// Two signals, one per direction: A posts `to_b` then waits on `to_a`; B waits on `to_b`
/// then posts `to_a`. Between samples both are back where they started.
pub struct Pair<S> {
    /// A's wake-up call to B.
    pub to_b: S,
    /// B's answer to A.
    pub to_a: S,
}

impl<S> Pair<S> {
    /// Two signals made by `make`.
    pub fn new(make: impl Fn() -> S) -> Pair<S> {
        Pair {
            to_b: make(),
            to_a: make(),
        }
    }
}

impl<S: Signal> PingPong for Pair<S> {
    #[inline]
    fn ping(&self) {
        self.to_b.post();
        self.to_a.wait();
    }

    #[inline]
    fn pong(&self) {
        self.to_b.wait();
        self.to_a.post();
    }
}

/// In the condition-variable ping-pongs, the turn word's value when A may go (its start).
pub const A_TURN: u32 = 0;
/// The turn word's value when B may go.
pub const B_TURN: u32 = 1;

/// Who runs the two sides of a two-party group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parties {
    /// Two threads of the bench process.
    Threads,
    /// Two forked processes; the measured object must live in shared memory.
    Processes,
}

/// A criterion group of wall-clock benchmarks.
pub type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Benchmarks `id`: one [`Cycle`] of `obj` per iteration on the bench thread.
pub fn uncontended<C: Cycle>(g: &mut Group<'_>, id: &str, obj: &C) {
    g.bench_function(id, |b| b.iter(|| black_box(obj).cycle()));
}

/// Benchmarks `id`: both parties run `side(me)` once per iteration (`me` is 0 or 1), pinned
/// as `pins` says. The general two-party benchmark; the others are shapes of it.
pub fn duel<F: Fn(usize) + Sync>(
    g: &mut Group<'_>,
    id: &str,
    race: &Shm<Race>,
    parties: Parties,
    pins: Pins,
    side: &F,
) {
    g.bench_function(id, |b| {
        b.iter_custom(|iters| match parties {
            Parties::Threads => race.two_threads(pins, iters, side),
            Parties::Processes => race.two_processes(pins, iters, side),
        })
    });
}

/// Benchmarks `id`: each party runs its [`side`](Cycle::side) of `obj` (by default a whole
/// cycle) once per iteration, unpinned.
pub fn contended<C: Cycle>(
    g: &mut Group<'_>,
    id: &str,
    obj: &C,
    race: &Shm<Race>,
    parties: Parties,
) {
    duel(g, id, race, parties, UNPINNED, &|me| obj.side(me));
}

/// Benchmarks `id`: one [`PingPong`] round trip of `obj` per iteration.
pub fn round_trip<P: PingPong>(
    g: &mut Group<'_>,
    id: &str,
    obj: &P,
    race: &Shm<Race>,
    parties: Parties,
    pins: Pins,
) {
    duel(g, id, race, parties, pins, &|me| {
        if me == 0 {
            obj.ping()
        } else {
            obj.pong()
        }
    });
}

/// Where an implementation's state lives, so which parties can share it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Home {
    /// Process-private memory: measured with threads only.
    Private,
    /// Shared memory: measured with threads and with forked processes.
    Shared,
}

/// Something that benchmarks one implementation of a [`Suite`].
pub trait Visit {
    /// Benchmarks `obj` under the id `id`.
    fn visit<C: Cycle>(&mut self, id: &str, obj: &C, home: Home);
}

/// The implementations of one primitive's cycle groups: [`each`](Suite::each) shows every
/// one of them to a visitor, the reference first. A trait with a generic visitor rather than
/// a list of trait objects, so that every cycle is statically dispatched, as it would be in
/// a user's code.
pub trait Suite {
    /// Calls `v.visit` for every implementation.
    fn each<V: Visit>(&self, v: &mut V);
}

/// Runs the three cycle groups of a primitive with the same implementations:
/// [`uncontended_group`] and [`contended_groups`].
pub fn cycle_suite<S: Suite>(c: &mut Criterion, prefix: &str, suite: &S) {
    uncontended_group(c, prefix, suite);
    contended_groups(c, prefix, suite);
}

/// Runs `<prefix>_uncontended`: one cycle of each implementation on the bench thread.
pub fn uncontended_group<S: Suite>(c: &mut Criterion, prefix: &str, suite: &S) {
    struct Uncontended<'g, 'c>(&'g mut Group<'c>);
    impl Visit for Uncontended<'_, '_> {
        fn visit<C: Cycle>(&mut self, id: &str, obj: &C, _: Home) {
            uncontended(self.0, id, obj);
        }
    }
    let mut g = c.benchmark_group(format!("{prefix}_uncontended"));
    suite.each(&mut Uncontended(&mut g));
    g.finish();
}

/// Runs `<prefix>_contended_2threads` and `<prefix>_contended_2processes` (the latter with
/// the [`Home::Shared`] implementations only: the others would give each child its own
/// copy).
pub fn contended_groups<S: Suite>(c: &mut Criterion, prefix: &str, suite: &S) {
    struct Contended<'g, 'c, 'r>(&'g mut Group<'c>, &'r Shm<Race>, Parties);
    impl Visit for Contended<'_, '_, '_> {
        fn visit<C: Cycle>(&mut self, id: &str, obj: &C, home: Home) {
            if self.2 == Parties::Threads || home == Home::Shared {
                contended(self.0, id, obj, self.1, self.2);
            }
        }
    }
    let race = Race::new();
    for (parties, name) in [
        (Parties::Threads, "contended_2threads"),
        (Parties::Processes, "contended_2processes"),
    ] {
        let mut g = c.benchmark_group(format!("{prefix}_{name}"));
        // One iteration is one cycle by each of the two parties.
        g.throughput(Throughput::Elements(2));
        suite.each(&mut Contended(&mut g, &race, parties));
        g.finish();
    }
}

/// Criterion settings of every bench target, sized so that `cargo xtask bench` runs all of
/// them within a few minutes on two cores (about 1.1 s per benchmark; 10,000 bootstrap
/// resamples instead of 100,000 make the analysis cheap without moving the mean, which is
/// what the ratio tables use). Command-line options (`--warm-up-time`,
/// `--measurement-time`, which `cargo xtask bench --quick` passes) override them.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(250))
        .measurement_time(Duration::from_millis(600))
        .sample_size(20)
        .nresamples(10_000)
}
