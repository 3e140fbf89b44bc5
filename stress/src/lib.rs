//! Multi-core stress runner for twinsync: many workers hammer one primitive for a while, then
//! the run is checked for lost updates, broken exclusion and hangs, and its throughput and
//! fairness are reported.
//!
//! Each scenario runs against either version of its primitive:
//!
//! * `thread`: worker threads sharing a `twinsync::thread::X` (state on the heap);
//! * `process`: worker processes created with `fork`, sharing a `twinsync::process::X` and
//!   the scenario's counters in an anonymous shared mapping ([`twinsync::process::Shared`]).
//!
//! Scenarios are data: [`SCENARIOS`] lists each one with its name, one line of help and its
//! entry point, and the binary `twinsync-stress` (or `cargo xtask stress`) picks one by name.
//!
//! ```text
//! twinsync-stress lock --version thread --workers 4 --seconds 3 --seed 0x2a
//! ```
//!
//! Every run prints the command that repeats it (same scenario, version, workers, duration
//! and seed). The seed drives each worker's choice of operation and the work it does inside
//! and outside the critical section; the interleaving itself is the machine's, so a rerun
//! repeats the load, not the schedule.
//!
//! What a stress run checks that the model checkers cannot: real cores, real shared futexes
//! between processes, kernel wake-ups, long runs (see the README's "blind spots").
#![deny(unsafe_op_in_unsafe_fn)]

mod cli;
mod lock;
pub mod runner;

use std::fmt;
use std::time::Duration;

pub use cli::{main_with_args, parse, Command};
pub use runner::{Control, Report, MAX_WORKERS};

/// Which version of a primitive a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// Threads of this process sharing the thread version.
    Thread,
    /// Forked processes sharing the process version in shared memory.
    Process,
}

impl Version {
    /// `"thread"` or `"process"`, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Version::Thread => "thread",
            Version::Process => "process",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The parameters of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Number of workers (threads or processes), 1..=[`MAX_WORKERS`].
    pub workers: usize,
    /// How long the workers hammer.
    pub duration: Duration,
    /// Seeds every worker's random choices (worker `i` uses a stream derived from it and `i`).
    pub seed: u64,
    /// Print a progress line every second.
    pub progress: bool,
    /// How long after the stop signal a worker may take to end before it counts as hung
    /// (the watchdog; [`runner::GRACE`] from the command line).
    pub grace: Duration,
}

/// A stress scenario: a primitive under a particular load.
pub struct Scenario {
    /// Name on the command line.
    pub name: &'static str,
    /// One line of help.
    pub about: &'static str,
    /// Runs the scenario with one version; the report says whether it passed.
    pub run: fn(&Config, Version) -> Result<Report, Error>,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .finish()
    }
}

/// Every scenario. A new primitive adds a row here and a module beside `lock`.
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "lock",
    about: "Lock around a non-atomic counter: mutual exclusion, no lost update, no hang",
    run: lock::run,
}];

/// Finds a scenario by name.
///
/// ```
/// assert_eq!(twinsync_stress::scenario("lock").unwrap().name, "lock");
/// assert!(twinsync_stress::scenario("nope").is_none());
/// ```
pub fn scenario(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// Why a run could not be carried out (as opposed to a run that found a violation, which is
/// a [`Report`] that did not pass).
#[derive(Debug)]
pub enum Error {
    /// A twinsync call failed while setting up (shared memory, starting a worker).
    Twinsync(twinsync::Error),
    /// Anything else, e.g. forking refused because hung threads are still running.
    Setup(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Twinsync(e) => write!(f, "{e}"),
            Error::Setup(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for Error {}

impl From<twinsync::Error> for Error {
    fn from(e: twinsync::Error) -> Self {
        Error::Twinsync(e)
    }
}
