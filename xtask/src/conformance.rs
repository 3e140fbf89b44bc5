//! `cargo xtask conformance`: builds the conformance runner three times and runs it.
//!
//! The runner `twinsync-conformance` (crate `twinsync-conformance`) is one binary built
//! three ways, because loom and shuttle replace the atomics at compile time:
//!
//! | build | RUSTFLAGS (appended) | target dir | drivers |
//! |---|---|---|---|
//! | normal | | `target/` | proptest, threads, processes |
//! | loom | `--cfg twinsync_loom` | `target/loom/` | loom |
//! | shuttle | `--cfg twinsync_shuttle` | `target/shuttle/` | shuttle |
//!
//! All three are `--release` (loom is far too slow unoptimised). The normal binary runs with
//! `--loom-bin` and `--shuttle-bin` pointing at the other two, merges their results and
//! prints one table; its exit status becomes ours.

use std::path::PathBuf;

use crate::util::{check_status, secs, Checker, Cmd, Failure};

/// Package and binary name of the runner.
const RUNNER: &str = "twinsync-conformance";

/// What the runner is asked to do.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `--quick` or `--full`, when given.
    pub effort: Option<String>,
    /// `--json FILE`, made absolute against the directory xtask was started in.
    pub json: Option<PathBuf>,
    /// `--junit FILE` (JUnit XML), made absolute like `json`.
    pub junit: Option<PathBuf>,
    /// `--markdown FILE` (a summary for a pull request), made absolute like `json`.
    pub markdown: Option<PathBuf>,
    /// `--driver NAME`, repeatable.
    pub drivers: Vec<String>,
    /// Anything after `--`, passed to the runner unchanged.
    pub extra: Vec<String>,
}

impl Options {
    /// Parses the task's arguments.
    pub fn parse(args: &[String]) -> Result<Options, Failure> {
        let mut o = Options::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--quick" | "--full" => {
                    if o.effort.as_deref().is_some_and(|e| e != a) {
                        return Err(Failure::usage("--quick and --full exclude each other"));
                    }
                    o.effort = Some(a.clone());
                }
                "--json" | "--junit" | "--markdown" => {
                    let f = it
                        .next()
                        .ok_or_else(|| Failure::usage(format!("{a} needs a FILE")))?;
                    let cwd = std::env::current_dir()
                        .map_err(|e| Failure::msg(format!("current directory: {e}")))?;
                    let slot = match a.as_str() {
                        "--json" => &mut o.json,
                        "--junit" => &mut o.junit,
                        _ => &mut o.markdown,
                    };
                    *slot = Some(cwd.join(f));
                }
                "--driver" => {
                    let d = it
                        .next()
                        .ok_or_else(|| Failure::usage("--driver needs a NAME"))?;
                    o.drivers.push(d.clone());
                }
                "--" => {
                    o.extra.extend(it.by_ref().cloned());
                }
                other => {
                    return Err(Failure::usage(format!(
                        "unknown argument {other:?}; usage: cargo xtask conformance \
                         [--quick|--full] [--json FILE] [--junit FILE] [--markdown FILE] \
                         [--driver NAME]... [-- RUNNER-ARGS]"
                    )))
                }
            }
        }
        Ok(o)
    }

    /// The runner's arguments (without the `--loom-bin`/`--shuttle-bin` pair).
    pub fn runner_args(&self) -> Vec<String> {
        let mut v = Vec::new();
        v.extend(self.effort.iter().cloned());
        for (flag, file) in [
            ("--json", &self.json),
            ("--junit", &self.junit),
            ("--markdown", &self.markdown),
        ] {
            if let Some(f) = file {
                v.push(flag.into());
                v.push(f.display().to_string());
            }
        }
        for d in &self.drivers {
            v.push("--driver".into());
            v.push(d.clone());
        }
        v.extend(self.extra.iter().cloned());
        v
    }
}

/// The task's entry point.
pub fn run(args: &[String]) -> Result<(), Failure> {
    run_with(&Options::parse(args)?)
}

/// Builds the three runners and runs the normal one with `opts`.
pub fn run_with(opts: &Options) -> Result<(), Failure> {
    let [normal, loom, shuttle] = build_all()?;
    println!("[conformance] running the suite");
    let cmd = Cmd::new(&normal)
        .args(opts.runner_args())
        .arg("--loom-bin")
        .arg(&loom)
        .arg("--shuttle-bin")
        .arg(&shuttle);
    let status = cmd.status()?;
    check_status(&cmd.display(), status).map_err(|f| Failure {
        message: format!(
            "{RUNNER} reported a failure ({status}): a clause failed, a negative control was \
             not rejected, or the runner could not run; see its table above"
        ),
        ..f
    })
}

/// Builds the normal, loom and shuttle runners; returns their paths in that order.
pub fn build_all() -> Result<[PathBuf; 3], Failure> {
    let base = || Cmd::cargo().args(["build", "--release", "-p", RUNNER, "--bin", RUNNER]);
    let steps: [(&str, Option<Checker>); 3] = [
        ("normal", None),
        ("loom", Some(Checker::Loom)),
        ("shuttle", Some(Checker::Shuttle)),
    ];
    for (i, (name, checker)) in steps.iter().enumerate() {
        println!("[conformance] build {}/3: {RUNNER} ({name})", i + 1);
        let cmd = match checker {
            Some(c) => base().checker(*c),
            None => base(),
        };
        let t = std::time::Instant::now();
        cmd.run().map_err(|f| Failure {
            message: format!(
                "building the {name} {RUNNER} failed; its source is \
                 conformance/src/bin/{RUNNER}.rs ({})",
                f.message
            ),
            ..f
        })?;
        println!(
            "[conformance] build {}/3 done in {}",
            i + 1,
            secs(t.elapsed())
        );
    }
    let bin = |dir: PathBuf| dir.join("release").join(RUNNER);
    let paths = [
        bin(crate::util::target_dir()),
        bin(Checker::Loom.target_dir()),
        bin(Checker::Shuttle.target_dir()),
    ];
    for p in &paths {
        if !p.is_file() {
            return Err(Failure::msg(format!(
                "cargo reported success but {} does not exist",
                p.display()
            )));
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn flags_pass_through_in_order() {
        let o = Options::parse(&s(&["--full", "--driver", "loom", "--driver", "threads"])).unwrap();
        assert_eq!(
            o.runner_args(),
            s(&["--full", "--driver", "loom", "--driver", "threads"])
        );
        let o = Options::parse(&s(&["--json", "/tmp/r.json", "--", "--list"])).unwrap();
        assert_eq!(o.runner_args(), s(&["--json", "/tmp/r.json", "--list"]));
    }

    #[test]
    fn relative_json_path_is_made_absolute() {
        let o = Options::parse(&s(&["--json", "out.json"])).unwrap();
        let j = o.json.unwrap();
        assert!(j.is_absolute() && j.ends_with("out.json"));
    }

    #[test]
    fn report_files_pass_through_made_absolute() {
        let o = Options::parse(&s(&[
            "--markdown",
            "pr.md",
            "--junit",
            "/tmp/j.xml",
            "--json",
            "r.json",
        ]))
        .unwrap();
        let (j, m) = (o.junit.clone().unwrap(), o.markdown.clone().unwrap());
        assert_eq!(j, PathBuf::from("/tmp/j.xml"));
        assert!(m.is_absolute() && m.ends_with("pr.md"));
        let args = o.runner_args();
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            args,
            s(&[
                "--json",
                &cwd.join("r.json").display().to_string(),
                "--junit",
                "/tmp/j.xml",
                "--markdown",
                &m.display().to_string(),
            ])
        );
    }

    #[test]
    fn bad_usage_is_rejected() {
        for bad in [
            &["--quick", "--full"][..],
            &["--json"],
            &["--junit"],
            &["--markdown"],
            &["--driver"],
            &["--fast"],
        ] {
            assert_eq!(Options::parse(&s(bad)).unwrap_err().code, 2, "{bad:?}");
        }
        assert!(Options::parse(&s(&["--quick", "--quick"])).is_ok());
    }
}
