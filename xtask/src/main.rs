//! `cargo xtask <task>`: the one entry point for building, checking and testing twinsync.
//!
//! One binary, one module per task, each with a `run(args)`; [`TASKS`] lists them and
//! `cargo xtask help` prints that list. Every task prints each command before it runs it
//! (`$ cargo ...`), so a failure can be reproduced by copying one line.
//!
//! Cargo is invoked through `$CARGO` (set by `cargo run`, so the same toolchain builds
//! everything), falling back to `cargo`. Paths are derived from this crate's
//! `CARGO_MANIFEST_DIR`, never from the current directory.

mod bench;
mod conformance;
mod mutants;
mod stress;
mod test_suite;
mod tidy;
mod util;

use std::process::ExitCode;

use util::Failure;

/// One task: its name, a synopsis of its arguments, one line of help and its entry point.
struct Task {
    name: &'static str,
    synopsis: &'static str,
    about: &'static str,
    run: fn(&[String]) -> Result<(), Failure>,
}

/// Every task, in the order `help` lists them.
const TASKS: &[Task] = &[
    Task {
        name: "help",
        synopsis: "",
        about: "print this list",
        run: help,
    },
    Task {
        name: "conformance",
        synopsis: "[--quick|--full] [--json FILE] [--driver NAME]... [-- RUNNER-ARGS]",
        about: "build the conformance runner three times (normal, loom, shuttle) and run it",
        run: conformance::run,
    },
    Task {
        name: "mutants",
        synopsis: "[--quick] [NAME]...",
        about: "run the suite against seeded-bug variants of the primitives; every one must be caught",
        run: mutants::run,
    },
    Task {
        name: "test",
        synopsis: "[--skip STEP]...",
        about: "the whole test suite: workspace tests, loom, shuttle, conformance, stress, tidy",
        run: test_suite::run,
    },
    Task {
        name: "stress",
        synopsis:
            "<scenario> [--version thread|process|both] [--workers N] [--seconds S] [--seed X]",
        about: "build twinsync-stress (release) and run a stress scenario",
        run: stress::run,
    },
    Task {
        name: "bench",
        synopsis: "[--quick] [FILTER]",
        about: "criterion benchmarks of every primitive, both versions, against futex references and peers; ratio tables",
        run: bench::run,
    },
    Task {
        name: "tidy",
        synopsis: "",
        about: "source checks: //! headers, SAFETY comments, facade-only atomics, no placeholder macros",
        run: tidy::run,
    },
];

fn help(_args: &[String]) -> Result<(), Failure> {
    print!("{}", usage());
    Ok(())
}

fn usage() -> String {
    let mut s = String::from("usage: cargo xtask <task> [args]\n\ntasks:\n");
    for t in TASKS {
        s.push_str(&format!("  {:<12} {}\n", t.name, t.about));
        if !t.synopsis.is_empty() {
            s.push_str(&format!(
                "  {:<12}   cargo xtask {} {}\n",
                "", t.name, t.synopsis
            ));
        }
    }
    s
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first() else {
        eprint!("{}", usage());
        return ExitCode::from(2);
    };
    let name = match name.as_str() {
        "-h" | "--help" => "help",
        n => n,
    };
    let Some(task) = TASKS.iter().find(|t| t.name == name) else {
        eprintln!("xtask: unknown task {name:?}\n");
        eprint!("{}", usage());
        return ExitCode::from(2);
    };
    match (task.run)(&args[1..]) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("xtask {}: error: {}", task.name, f.message);
            ExitCode::from(f.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_names_are_unique_and_listed_in_help() {
        let help = usage();
        for (i, t) in TASKS.iter().enumerate() {
            assert!(help.contains(&format!("  {:<12} {}", t.name, t.about)));
            assert!(
                TASKS[..i].iter().all(|u| u.name != t.name),
                "{} twice",
                t.name
            );
        }
    }
}
