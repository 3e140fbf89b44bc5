//! `twinsync-stress`: runs a stress scenario; `twinsync-stress --help` for usage.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    ExitCode::from(twinsync_stress::main_with_args(&args))
}
