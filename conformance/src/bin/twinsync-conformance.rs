//! `twinsync-conformance`: runs the conformance suite and prints the clause matrix.
//! See the `twinsync_conformance` crate docs for the flags.

fn main() {
    std::process::exit(twinsync_conformance::cli::main(std::env::args().skip(1)));
}
