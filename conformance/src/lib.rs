//! The twinsync conformance suite: one spec per primitive, run against every implementation
//! by every checker, each checker proven by a negative control it must reject.
//!
//! # What is checked
//!
//! Each primitive has a [spec]: a sequential model (a pure state machine) and a
//! numbered clause catalog (`LOCK-01` .. `LOCK-11`, run `twinsync-conformance --list`).
//! The [scenario bodies](scenarios) are written once, against [`twinsync::LockApi`] and the
//! `twinsync::sync` atomics, and five drivers run them:
//!
//! | driver | build | what it checks | what it cannot check |
//! |---|---|---|---|
//! | `proptest` | normal | random operation sequences (shrunk on failure) against the model: every result and `locked()`, timeouts' elapsed time, typed errors, guards | anything needing two threads (LOCK-06/07/08/11) |
//! | `threads` | normal | the scenarios on std threads: mutual exclusion under contention, cross-thread release, a sleeper woken on release (seen asleep via `/proc`), timeouts on a lock held by another thread; a hang is a LOCK-08 failure (watchdog) | weak-memory reorderings (x86-64 is TSO); rare interleavings |
//! | `processes` | normal | the same scenarios in spawned processes, the lock and scratch state in named shared-memory segments | as `threads` |
//! | `loom` | `--cfg twinsync_loom` | every interleaving up to a preemption bound, under the C++11 memory model: lost wake-ups (deadlock), missing happens-before (LOCK-11), atomicity | no timeouts (a timed wait times out at once: LOCK-03 is n/c), at most 5 threads counting main (we use 4), SeqCst modelled as AcqRel, bounded preemptions, one process |
//! | `shuttle` | `--cfg twinsync_shuttle` | thousands of random and PCT schedules of larger scenarios (5 threads): lost wake-ups, atomicity | every atomic is SeqCst (ordering bugs cannot show), no clock, one process |
//!
//! Under both checkers the futex is emulated *blocking* (see `twinsync::sync`), so a missing
//! wake leaves a thread asleep forever and the checker reports a deadlock. Cross-process
//! effects (shared futexes, segment placement, `exec`) are only covered by `processes`.
//!
//! # Negative controls
//!
//! [`controls`] holds deliberately broken Locks: `ForgetfulWake` (no wake on release),
//! `SplitAcquire` (load, then store), `LaxRelease` (release of a free lock is `Ok`),
//! `RelaxedRelease` (no acquire/release orderings). Each declares its bug class and the
//! clauses it must fail. Every driver that can reach the class must reject it, for one of
//! those clauses; a driver that cannot reach it reports "n/a" with the reason
//! ([`drivers::unreachable_reason`]). A control that passes fails the whole run.
//!
//! # Running it
//!
//! ```text
//! cargo xtask conformance            # quick: all three builds, about 25 s of checks
//! cargo xtask conformance --full     # about 100x the exploration
//! ```
//!
//! or one build by hand: `cargo run --release -p twinsync-conformance -- --driver threads`,
//! `RUSTFLAGS="--cfg twinsync_loom" cargo run --release -p twinsync-conformance` (the loom
//! driver; always `--release`). Flags: `--quick|--full`, `--driver NAME` (repeatable),
//! `--subject NAME`, `--scenario NAME`, `--seed N`, `--json FILE`, `--junit FILE`,
//! `--markdown FILE`, `--list`, and for the normal build `--loom-bin PATH --shuttle-bin PATH`
//! to run the checker builds and merge their records. Progress goes to stderr; the clause x
//! version x driver table, the time per driver and the control verdicts go to stdout; the
//! exit status is 0 iff everything passed. The three files hold every record, the children's
//! included: `--json` as data, `--junit` as JUnit XML for CI (one suite per driver, one case
//! per record, a failure's replay command in its body; each negative control is one case per
//! driver, `"<control> rejected by <driver>"`, green when rejected, so a green run gives a
//! green file), `--markdown` as a pull-request summary (result, tables, failures with their
//! replay commands); see [`report::to_junit`] and [`report::to_markdown`].
//!
//! # Replaying a failure
//!
//! Every failure prints one command:
//!
//! * proptest: `twinsync-conformance --driver proptest --subject S --seed N` (the run is
//!   seeded, and the message shows the shrunk operation sequence);
//! * threads / processes: `twinsync-conformance --driver threads --subject S --scenario X`
//!   (a re-run: real schedules are not reproducible);
//! * loom: `LOOM_MAX_PREEMPTIONS=.. LOOM_MAX_BRANCHES=.. <loom build> --loom-child --subject S
//!   --scenario X` (loom's exploration order is deterministic; add `LOOM_LOG=trace
//!   LOOM_LOCATION=1` to trace the failing interleaving);
//! * shuttle: `<shuttle build> --shuttle-replay FILE --subject S --scenario X` (the failing
//!   schedule, persisted by shuttle, run again through `shuttle::replay_from_file`).
//!
//! # Your own implementation
//!
//! Implement [`LockApi`](twinsync::LockApi) and [`subject::LockSubject`] (and
//! [`subject::SharedLockSubject`] for the process driver), then hand
//! [`subject::Subject::local`] / [`subject::Subject::shared`] to a driver's `run`:
//!
//! ```
//! use twinsync_conformance::drivers::{self, Config};
//! use twinsync_conformance::report::all_passed;
//! use twinsync_conformance::subject::Subject;
//!
//! let records = drivers::proptest::run(&Config::default(), &[Subject::local::<twinsync::thread::Lock>()]);
//! assert!(all_passed(&records));
//! ```
//!
//! (The process driver's workers find subjects by name among [`subject::builtin`]; a
//! plug-in registry for your own types there is not built yet.)
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub mod adapters;
pub mod cli;
pub mod controls;
pub mod drivers;
pub mod families;
pub mod family;
pub mod linearizability;
#[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
pub mod plugin;
pub mod report;
pub mod scenarios;
pub mod spec;
pub mod subject;
