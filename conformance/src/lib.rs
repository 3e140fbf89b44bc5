//! The twinsync conformance suite: one spec per primitive, run against every implementation
//! by every checker.
//!
//! (Tutorial below; filled in once the drivers are settled.)
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod cli;
pub mod controls;
pub mod drivers;
pub mod report;
pub mod scenarios;
pub mod spec;
pub mod subject;
