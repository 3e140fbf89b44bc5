//! The twinsync conformance suite: one spec per primitive, run against every implementation
//! by every checker, each checker proven by a negative control it must reject. It checks
//! twinsync's own primitives, the ecosystem's (std, parking_lot, as reference adapters), and
//! yours.
//!
//! # 1. What goes wrong in synchronization primitives
//!
//! Hand-written tests pass on most of these; each needs a particular checker to show up:
//!
//! | bug | example | who sees it |
//! |---|---|---|
//! | lost wake-up | a release that forgets `futex_wake`; `wake(1)` where all must wake (Event::set, notify_all, Barrier trip, RwLock write unlock); a waiter announced after the decision to sleep | `threads`/`processes` (a sleeper really asleep in the kernel, then a watchdog), `loom` and `shuttle` (the emulated futex blocks, so the checker reports a deadlock) |
//! | atomicity | a read-modify-write split into a load and a store | `threads`, `processes`, `shuttle`, `loom`; linearizability of recorded histories |
//! | memory ordering | a `Relaxed` release store or acquire load | `loom` only (x86-64 is TSO; shuttle runs everything SeqCst) |
//! | sequential semantics | release of a free lock accepted, an off-by-one bound, a count bug | `proptest` against the model, and every scenario |
//! | cross-process | a private futex on shared memory, state that does not survive `exec` | `processes` (spawned workers, named segments) |
//! | timing | a timeout that returns early, or restarts after a spurious wake-up | `proptest`, `threads`, `processes` (loom and shuttle have no clock) |
//!
//! # 2. How it is organised
//!
//! * A [spec] per primitive: numbered clauses (`LOCK-07: mutual exclusion ...`, list them with
//!   `twinsync-conformance --list`), each saying how it relates to Python's `threading`, and
//!   a sequential model (a pure state machine in which a blocking operation is enabled only
//!   where it can complete).
//! * A [family] per primitive ([`families`]): its [scenarios] (worker bodies
//!   written once, against the primitive's trait and the `twinsync::sync` atomics, plus an
//!   end-of-run check), its sequential glue for proptest, and its history check.
//! * [Subjects](subject): implementations, each naming its family ([`subject::Testable`]).
//! * [Drivers](drivers), each generic over the family:
//!
//! | driver | build | runs | cannot see |
//! |---|---|---|---|
//! | `proptest` | normal | random operation sequences against the model, shrunk on failure: results, errors, observable state, timeouts' elapsed time | anything needing two threads |
//! | `threads` | normal | the scenarios on std threads; sleepers seen asleep via `/proc/<tid>/stat` before they are woken; a hang fails the scenario's progress clause (watchdog); recorded histories checked for linearizability | weak-memory reorderings; rare interleavings |
//! | `processes` | normal | the same scenarios in spawned processes (the spawn start method re-executes the runner), subject and scratch in named shared-memory segments, histories merged across processes by `CLOCK_MONOTONIC` | as `threads` |
//! | `loom` | `--cfg twinsync_loom` | every interleaving up to a preemption bound under the C++11 memory model; one child process per check (a loom deadlock aborts) | timeouts (n/c), more than 4 threads, SeqCst (modelled as AcqRel), other processes |
//! | `shuttle` | `--cfg twinsync_shuttle` | thousands of random and PCT schedules of the same scenarios | ordering bugs (all SeqCst), timeouts, other processes |
//!
//! * [Linearizability](linearizability): scenarios record every operation with call and return
//!   times; the drivers merge the workers' histories (across processes too) and check them
//!   against the model (Wing and Gong's search with Lowe's memoisation; pending operations
//!   kept; blocking operations linearized where they can complete; objects checked apart).
//!   A violation is cut to the shortest failing prefix and shown as a timeline.
//!
//! # 3. Negative controls and mutants
//!
//! A checker that never rejected anything is not trusted. [`controls`] holds deliberately
//! broken implementations; each declares its bug class and the clauses it must fail, and every
//! driver that can reach its class must reject it (the others report "n/a" with the reason,
//! [`drivers::unreachable_reason`]). A control that passes fails the run. Beyond the controls,
//! `cargo xtask mutants` switches on seeded bugs *inside twinsync's real algorithms* (the
//! `mutants` feature of `twinsync`, one environment variable per run) and reports which driver
//! caught each and how fast; every one must be caught.
//!
//! # 4. Running it
//!
//! ```text
//! cargo xtask conformance            # quick: normal, loom and shuttle builds, one table
//! cargo xtask conformance --full     # about 100x the exploration (nightly)
//! cargo xtask mutants                # the mutation score
//! ```
//!
//! or one build by hand: `cargo run --release -p twinsync-conformance -- --driver threads`,
//! `RUSTFLAGS="--cfg twinsync_loom" cargo run --release -p twinsync-conformance` (always
//! `--release` for loom). Flags: `--quick|--full`, `--driver NAME` (repeatable),
//! `--subject NAME`, `--scenario NAME`, `--seed N`, `--json FILE`, `--junit FILE`,
//! `--markdown FILE`, `--list`, and for the normal build `--loom-bin PATH --shuttle-bin PATH`
//! to run the checker builds and merge their records. Progress goes to stderr; the clause x
//! version x driver table (with a column per reference implementation), the time per driver
//! and the control verdicts go to stdout; the exit status is 0 iff everything passed.
//! `--json` writes every record as data, `--junit` JUnit XML for CI (one suite per driver, one
//! case per record, replay command in a failure's body, each control a case that is green
//! when rejected), `--markdown` a pull-request summary; see [`report::to_junit`] and
//! [`report::to_markdown`].
//!
//! # 5. Your own implementation
//!
//! 1. Implement the primitive's trait on your type (e.g. [`twinsync::LockApi`]). To have loom
//!    and shuttle look inside it too, build it on `twinsync::sync` (atomics, `UnsafeCell`,
//!    futex, `current_id`): the facade switches to the checkers' types under
//!    `--cfg twinsync_loom` / `--cfg twinsync_shuttle`.
//! 2. Implement [`subject::Testable`] (family, name, how to make one). To run it in real
//!    processes, implement [`subject::SharedTestable`] (create and open by name; the state
//!    must be [`ShmSafe`](twinsync::process::ShmSafe), whose `# Safety` says what that takes)
//!    and register it with [`register_subject!`].
//! 3. Either call [`plugin::verify`] and look at the records, or put
//!    `lock_conformance_tests!(my_lock, MyLock)` in your tests: one `#[test]` per clause.
//!    Reference implementations that knowingly differ declare [`subject::Deviation`]s, shown
//!    as `dev`, not as failures.
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
//! The crate `examples/verify-your-own` in this workspace does all of it as an outside user
//! would, for a ticket lock, and shows what a rejection looks like (and a real bug the suite
//! found in it).
//!
//! # 6. Replaying a failure
//!
//! Every failure prints one command:
//!
//! * proptest: `twinsync-conformance --driver proptest --subject S --seed N` (seeded; the
//!   message shows the shrunk operation sequence);
//! * threads / processes: `twinsync-conformance --driver threads --subject S --scenario X`
//!   (a re-run: real schedules are not reproducible);
//! * loom: `LOOM_MAX_PREEMPTIONS=.. LOOM_MAX_BRANCHES=.. <loom build> --loom-child --subject S
//!   --scenario X` (loom's exploration order is deterministic; add `LOOM_LOG=trace
//!   LOOM_LOCATION=1` to trace the failing interleaving);
//! * shuttle: `<shuttle build> --shuttle-replay FILE --subject S --scenario X` (the failing
//!   schedule, persisted by shuttle, run again through `shuttle::replay_from_file`).
//!
//! # 7. What is not checked, and why
//!
//! * Weak-memory bugs on real hardware: x86-64 is TSO, so only loom finds ordering bugs, and
//!   only within its preemption bound and thread limit (4 here).
//! * Timing under the checkers: they have no clock; elapsed-time clauses are `n/c` there and
//!   are checked by the real drivers only, with generous bounds (a loaded CI machine).
//! * Fairness and starvation beyond the scenarios' bounded relays: a checker cannot prove
//!   liveness in general; starvation scenarios bound it (a writer must get in while readers
//!   keep handing the lock on).
//! * Rare real-world interleavings: `threads` and `processes` run each race-sensitive
//!   scenario repeatedly for a minimum time, which makes misses unlikely, not impossible; the
//!   nightly stress runs (`twinsync-stress`) go further.
//! * Owner death (a process killed holding a lock): the subject of the stress and fault
//!   injection runner, not of this suite.
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
