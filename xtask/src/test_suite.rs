//! `cargo xtask test`: the whole test suite, one step after another, stopping at the first
//! failure.
//!
//! | step | what | command |
//! |---|---|---|
//! | workspace | unit, integration and doc tests, debug | `cargo test --workspace` |
//! | loom | conformance tests and every `primitives/tests/checkers*.rs` under loom, no doc tests | `RUSTFLAGS="--cfg twinsync_loom" cargo test --release -p twinsync-conformance --tests --target-dir target/loom` |
//! | shuttle | the same under shuttle | ... `--cfg twinsync_shuttle` ... `target/shuttle` |
//! | conformance | the conformance suite, quick budgets | `cargo xtask conformance --quick` |
//! | mutants | seeded bugs that must be caught, quick subset | `cargo xtask mutants --quick` |
//! | stress | a 2-second Lock stress per version, 2 workers | `cargo xtask stress lock ...` |
//! | tidy | source checks | `cargo xtask tidy` |
//!
//! Each step prints a header, the commands it runs (their output is passed through) and its
//! time; a summary closes the run. `--skip STEP` (repeatable) leaves a step out.

use std::time::{Duration, Instant};

use crate::conformance;
use crate::util::{project_root, secs, Checker, Cmd, Failure};

/// One step of the suite.
struct Step {
    name: &'static str,
    title: &'static str,
    run: fn() -> Result<(), Failure>,
}

const STEPS: &[Step] = &[
    Step {
        name: "workspace",
        title: "workspace tests (debug, with doc tests)",
        run: workspace,
    },
    Step {
        name: "loom",
        title: "checker tests under loom (release)",
        run: loom,
    },
    Step {
        name: "shuttle",
        title: "checker tests under shuttle (release)",
        run: shuttle,
    },
    Step {
        name: "conformance",
        title: "conformance suite (--quick)",
        run: conformance_quick,
    },
    Step {
        name: "mutants",
        title: "mutation score, quick subset (one mutant per bug class)",
        run: mutants_quick,
    },
    Step {
        name: "stress",
        title: "stress smoke test: lock, thread and process versions",
        run: stress_smoke,
    },
    Step {
        name: "tidy",
        title: "tidy checks",
        run: tidy,
    },
];

fn workspace() -> Result<(), Failure> {
    Cmd::cargo().args(["test", "--workspace"]).run()
}

/// The conformance crate's tests, and the primitives crate's checker tests (every
/// `primitives/tests/checkers*.rs`, one per primitive), built with the checker's cfg. Doc
/// tests are left out (`--tests`): examples are written for the normal build (the process
/// versions do not exist under a checker cfg) and already ran in the workspace step.
fn checker_tests(checker: Checker) -> Result<(), Failure> {
    Cmd::cargo()
        .args(["test", "--release", "-p", "twinsync-conformance", "--tests"])
        .checker(checker)
        .run()?;
    let mut targets: Vec<String> = std::fs::read_dir(project_root().join("primitives/tests"))
        .map_err(|e| Failure::msg(format!("cannot list primitives/tests: {e}")))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| Some(n.strip_suffix(".rs")?.to_owned()))
        .filter(|n| n.starts_with("checkers"))
        .collect();
    targets.sort();
    if targets.is_empty() {
        return Ok(());
    }
    Cmd::cargo()
        .args(["test", "--release", "-p", "twinsync"])
        .args(targets.iter().flat_map(|t| ["--test", t.as_str()]))
        .checker(checker)
        .run()
}

fn loom() -> Result<(), Failure> {
    checker_tests(Checker::Loom)
}

fn shuttle() -> Result<(), Failure> {
    checker_tests(Checker::Shuttle)
}

fn conformance_quick() -> Result<(), Failure> {
    conformance::run_with(&conformance::Options {
        effort: Some("--quick".into()),
        ..Default::default()
    })
}

fn mutants_quick() -> Result<(), Failure> {
    crate::mutants::run(&["--quick".to_owned()])
}

/// Seconds and workers of each smoke run: enough to cross many futex sleeps and wakes on a
/// two-core machine, short enough to keep the suite quick.
const SMOKE: [&str; 4] = ["--workers", "2", "--seconds", "2"];

fn stress_smoke() -> Result<(), Failure> {
    let bin = crate::stress::build()?;
    for version in ["thread", "process"] {
        Cmd::new(&bin)
            .args(["lock", "--version", version])
            .args(SMOKE)
            .run()?;
    }
    Ok(())
}

fn tidy() -> Result<(), Failure> {
    crate::tidy::run(&[])
}

/// The task's entry point.
pub fn run(args: &[String]) -> Result<(), Failure> {
    let skip = parse(args)?;
    let start = Instant::now();
    let mut done: Vec<(&Step, Option<Duration>)> = Vec::new();
    let selected: Vec<&Step> = STEPS.iter().filter(|s| !skip.contains(&s.name)).collect();
    for (i, step) in selected.iter().enumerate() {
        println!();
        println!(
            "=== [{}/{}] {}: {} ===",
            i + 1,
            selected.len(),
            step.name,
            step.title
        );
        let t = Instant::now();
        let result = (step.run)();
        let took = t.elapsed();
        match result {
            Ok(()) => {
                println!("=== {} ok in {} ===", step.name, secs(took));
                done.push((step, Some(took)));
            }
            Err(f) => {
                println!("=== {} FAILED after {} ===", step.name, secs(took));
                summary(&done, Some((step, took)), &skip, start.elapsed());
                return Err(Failure {
                    message: format!("step {:?} failed: {}", step.name, f.message),
                    ..f
                });
            }
        }
    }
    summary(&done, None, &skip, start.elapsed());
    Ok(())
}

fn summary(
    done: &[(&Step, Option<Duration>)],
    failed: Option<(&Step, Duration)>,
    skip: &[&str],
    total: Duration,
) {
    println!();
    println!("=== summary ===");
    for s in STEPS {
        let (status, took) = if let Some((_, t)) = done.iter().find(|(d, _)| d.name == s.name) {
            ("ok", t.map(secs).unwrap_or_default())
        } else if let Some((_, t)) = failed.filter(|(f, _)| f.name == s.name) {
            ("FAILED", secs(t))
        } else if skip.contains(&s.name) {
            ("skipped", String::new())
        } else {
            ("not run", String::new())
        };
        println!("  {status:<8} {took:>8}  {:<12} {}", s.name, s.title);
    }
    let verdict = if failed.is_some() { "FAILED" } else { "ok" };
    println!("test suite {verdict} in {}", secs(total));
}

fn parse(args: &[String]) -> Result<Vec<&'static str>, Failure> {
    let mut skip = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--skip" => {
                let n = it
                    .next()
                    .ok_or_else(|| Failure::usage("--skip needs a STEP"))?;
                let step = STEPS.iter().find(|s| s.name == n).ok_or_else(|| {
                    Failure::usage(format!("no step {n:?}; steps: {}", step_names()))
                })?;
                skip.push(step.name);
            }
            other => {
                return Err(Failure::usage(format!(
                    "unknown argument {other:?}; usage: cargo xtask test [--skip STEP]... \
                     (steps: {})",
                    step_names()
                )))
            }
        }
    }
    Ok(skip)
}

fn step_names() -> String {
    STEPS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_names_a_known_step() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse(&a(&["--skip", "loom", "--skip", "tidy"])).unwrap(),
            ["loom", "tidy"]
        );
        assert_eq!(parse(&a(&["--skip", "nope"])).unwrap_err().code, 2);
        assert_eq!(parse(&a(&["--skip"])).unwrap_err().code, 2);
        assert_eq!(parse(&a(&["--fast"])).unwrap_err().code, 2);
    }
}
