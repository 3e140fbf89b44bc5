//! The command line of `twinsync-stress`.

use std::time::Duration;

use crate::{scenario, Config, Scenario, Version, MAX_WORKERS, SCENARIOS};

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Print usage.
    Help,
    /// List the scenarios.
    List,
    /// Run a scenario with each listed version in turn.
    Run {
        /// The scenario.
        scenario: &'static Scenario,
        /// The versions, in order.
        versions: Vec<Version>,
        /// Workers, duration, seed.
        config: Config,
    },
}

/// The usage text.
pub fn usage() -> String {
    let mut s = String::from(
        "usage: twinsync-stress <scenario> [--version thread|process|both] [--workers N]\n\
         \x20                      [--seconds S] [--seed X] [--quiet]\n\
         \x20      twinsync-stress --list | --help\n\n\
         --version   which version of the primitive (default: both, thread first)\n\
         --workers   threads or processes hammering it (default: 2 x cores, at most 256)\n\
         --seconds   how long they hammer, fractions allowed (default: 5)\n\
         --seed      seeds the workers' choices; decimal or 0x-hex (default: from the clock)\n\
         --quiet     no progress lines\n\n\
         exit status: 0 passed, 1 a violation or a failed run, 2 bad usage\n\nscenarios:\n",
    );
    for sc in SCENARIOS {
        s.push_str(&format!("  {:<10} {}\n", sc.name, sc.about));
    }
    s
}

/// Parses the arguments (without the program name).
///
/// ```
/// use twinsync_stress::{parse, Command, Version};
/// let args = ["lock", "--version", "thread", "--workers", "4", "--seconds", "0.5", "--seed", "0x2a"];
/// match parse(&args.map(String::from)).unwrap() {
///     Command::Run { scenario, versions, config } => {
///         assert_eq!(scenario.name, "lock");
///         assert_eq!(versions, [Version::Thread]);
///         assert_eq!((config.workers, config.seed), (4, 42));
///         assert_eq!(config.duration.as_millis(), 500);
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut it = args.iter();
    let first = it.next().ok_or("which scenario? (--list shows them)")?;
    match first.as_str() {
        "-h" | "--help" | "help" => return Ok(Command::Help),
        "--list" | "list" => return Ok(Command::List),
        _ => {}
    }
    let sc = scenario(first).ok_or_else(|| {
        let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        format!("no scenario {first:?}; scenarios: {}", names.join(", "))
    })?;
    let mut versions = vec![Version::Thread, Version::Process];
    let mut config = Config {
        workers: default_workers(),
        duration: Duration::from_secs(5),
        seed: clock_seed(),
        progress: true,
        grace: crate::runner::GRACE,
    };
    while let Some(flag) = it.next() {
        if flag == "--quiet" {
            config.progress = false;
            continue;
        }
        let mut value = || {
            it.next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--version" => {
                versions = match value()? {
                    "thread" => vec![Version::Thread],
                    "process" => vec![Version::Process],
                    "both" => vec![Version::Thread, Version::Process],
                    v => return Err(format!("--version {v:?}: expected thread, process or both")),
                }
            }
            "--workers" => {
                let v = value()?;
                config.workers = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_WORKERS).contains(n))
                    .ok_or_else(|| format!("--workers {v:?}: expected 1..={MAX_WORKERS}"))?;
            }
            "--seconds" => {
                let v = value()?;
                let secs: f64 = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0 && *s <= 86_400.0)
                    .ok_or_else(|| format!("--seconds {v:?}: expected a number in (0, 86400]"))?;
                config.duration = Duration::from_secs_f64(secs);
            }
            "--seed" => {
                let v = value()?;
                config.seed = parse_seed(v).ok_or_else(|| format!("--seed {v:?}: not a u64"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Command::Run {
        scenario: sc,
        versions,
        config,
    })
}

fn parse_seed(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn default_workers() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (2 * cores).min(MAX_WORKERS)
}

fn clock_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    t ^ (u64::from(std::process::id()) << 32)
}

/// Runs the binary with `args` (without the program name); returns the exit status.
pub fn main_with_args(args: &[String]) -> u8 {
    let cmd = match parse(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("twinsync-stress: {e}\n");
            eprint!("{}", usage());
            return 2;
        }
    };
    let (sc, versions, config) = match cmd {
        Command::Help => {
            print!("{}", usage());
            return 0;
        }
        Command::List => {
            for s in SCENARIOS {
                println!("{:<10} {}", s.name, s.about);
            }
            return 0;
        }
        Command::Run {
            scenario,
            versions,
            config,
        } => (scenario, versions, config),
    };
    let mut failed = 0;
    for v in &versions {
        println!(
            "twinsync-stress {}/{v}: {} workers for {:?}, seed {:#x}",
            sc.name, config.workers, config.duration, config.seed
        );
        match (sc.run)(&config, *v) {
            Ok(report) => {
                print!("{}", report.summary());
                if !report.passed() {
                    failed += 1;
                }
            }
            Err(e) => {
                println!("{}/{v}: could not run: {e}", sc.name);
                failed += 1;
            }
        }
    }
    if versions.len() > 1 {
        let verdict = if failed == 0 { "PASS" } else { "FAIL" };
        println!(
            "{verdict}: {} of {} runs passed",
            versions.len() - failed,
            versions.len()
        );
    }
    u8::from(failed != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, String> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn defaults_run_both_versions() {
        let Ok(Command::Run {
            versions, config, ..
        }) = p(&["lock"])
        else {
            panic!("lock did not parse")
        };
        assert_eq!(versions, [Version::Thread, Version::Process]);
        assert!(config.workers >= 2 && config.progress);
        assert_eq!(config.duration, Duration::from_secs(5));
    }

    #[test]
    fn bad_arguments_are_refused() {
        for bad in [
            &[][..],
            &["nope"],
            &["lock", "--workers", "0"],
            &["lock", "--workers", "257"],
            &["lock", "--seconds", "-1"],
            &["lock", "--seconds", "NaN"],
            &["lock", "--seed", "0xzz"],
            &["lock", "--version", "fiber"],
            &["lock", "--seconds"],
            &["lock", "--fast"],
        ] {
            assert!(p(bad).is_err(), "{bad:?} accepted");
        }
        assert!(matches!(p(&["--list"]), Ok(Command::List)));
        assert!(matches!(p(&["--help"]), Ok(Command::Help)));
    }

    #[test]
    fn seeds_in_decimal_and_hex() {
        assert_eq!(parse_seed("42"), Some(42));
        assert_eq!(parse_seed("0x2A"), Some(42));
        assert_eq!(parse_seed("-1"), None);
    }
}
