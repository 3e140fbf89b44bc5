//! `cargo xtask stress <scenario> [args...]`: builds `twinsync-stress` in release and runs it.
//!
//! Every argument after the task name goes to the binary unchanged; `cargo xtask stress
//! --help` shows its own usage and its list of scenarios.

use crate::util::{check_status, target_dir, Cmd, Failure};

/// Package and binary name of the stress runner.
const STRESS: &str = "twinsync-stress";

/// The task's entry point.
pub fn run(args: &[String]) -> Result<(), Failure> {
    if args.is_empty() {
        return Err(Failure::usage(
            "which scenario? usage: cargo xtask stress <scenario> [--version thread|process|both] \
             [--workers N] [--seconds S] [--seed X]   (cargo xtask stress --list: scenarios)",
        ));
    }
    let bin = build()?;
    let cmd = Cmd::new(&bin).args(args);
    let status = cmd.status()?;
    check_status(&cmd.display(), status).map_err(|f| Failure {
        message: format!("{STRESS} reported a failure ({status}); see its summary above"),
        ..f
    })
}

/// Builds the stress binary (release, default target dir); returns its path.
pub fn build() -> Result<std::path::PathBuf, Failure> {
    println!("[stress] build {STRESS} (release)");
    Cmd::cargo()
        .args(["build", "--release", "-p", STRESS, "--bin", STRESS])
        .run()?;
    let bin = target_dir().join("release").join(STRESS);
    if !bin.is_file() {
        return Err(Failure::msg(format!(
            "cargo reported success but {} does not exist",
            bin.display()
        )));
    }
    Ok(bin)
}
