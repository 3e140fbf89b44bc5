//! How an outside user verifies their own primitives with `twinsync-conformance`, through
//! nothing but its public API.
//!
//! This crate is written as a user would write it. It has its own [`TicketLock`] (a FIFO
//! ticket lock with Python `Lock` semantics, placeable in shared memory) and a
//! [`BuggyTicketLock`] whose release forgets to wake the sleepers. Its tests
//! (`src/conformance_tests.rs`) do three things:
//!
//! 1. implements `twinsync_conformance::subject::Testable` (the Lock family, a name, how to
//!    make one) and `SharedTestable` (create and open by name) for both;
//! 2. expands `lock_conformance_tests!` into one `#[test]` per Lock clause for the correct
//!    lock, with the real-process driver too (`register_subject!` lets the spawned worker
//!    processes, copies of the test executable, find the type);
//! 3. checks that the suite rejects the buggy lock, and on which clause.
//!
//! # What a rejection looks like
//!
//! The buggy lock passes every sequential clause (the proptest driver); the real-thread
//! driver's scenarios put acquirers to sleep in the kernel (`wake_on_release` watches
//! `/proc/<tid>/stat`), release, and wait for them with a watchdog. The clause test for
//! LOCK-08 fails with (`cargo test -p verify-your-own show_rejection -- --ignored
//! --nocapture` prints it):
//!
//! ```text
//! BuggyTicketLock violates LOCK-08:
//!   [threads] wake_on_release (BuggyTicketLock): 2 worker(s) of wake_on_release still
//!   blocked after the 5s watchdog: the run did not terminate
//!     replay: twinsync-conformance --driver threads --subject BuggyTicketLock --scenario wake_on_release
//!   [threads] mutual_exclusion (BuggyTicketLock): 4 worker(s) of mutual_exclusion still
//!   blocked after the 5s watchdog: the run did not terminate
//!     replay: ...
//!   [threads] history (BuggyTicketLock): 3 worker(s) of history still blocked after the 5s
//!   watchdog: the run did not terminate
//!     replay: ...
//! ```
//!
//! (The replay commands name the conformance runner, which knows the built-in subjects; for a
//! type that lives only in your crate, rerun the clause test: `cargo test -p verify-your-own
//! lock_08`.)
//!
//! # A bug the suite found in the "correct" lock
//!
//! The first version of [`TicketLock`] waited for `serving == my ticket`. The suite's
//! `history` scenario, which also releases the lock from threads that do not hold it (a Python
//! Lock allows that), hung it: a stray release can move `serving` past a waiter's ticket
//! before the waiter looks, and the waiter then sleeps for ever. LOCK-08 (the run did not
//! terminate) and LOCK-12 (no history to check) failed; the fix is to wait for `serving` to
//! reach *or pass* the ticket (see `ticket.rs`).

pub mod ticket;

pub use ticket::{BuggyTicketLock, TicketLock};

#[cfg(test)]
mod conformance_tests;
