//! `cargo xtask mutants [--quick] [NAME...]`: the mutation score. Runs the conformance suite
//! against seeded-bug variants of the built-in primitives and reports, for each, which driver
//! caught it, on which clause, and how long that took. Every mutant must be caught.
//!
//! # How mutants are switched on
//!
//! The primitives crate has a `mutants` feature. With it, each algorithm's mutation points
//! (`if mutant::active("lock.missing_wake") { ... }`, see `twinsync::sync::mutant`) test the
//! environment variable `TWINSYNC_MUTANT`; without it they compile away. So the runner is
//! built once per world (normal, loom, shuttle) with the feature, into `<target>/mutants/`
//! (apart from the normal builds, whose caches it would otherwise invalidate), and each mutant
//! is one set of runs with `TWINSYNC_MUTANT=<name>` in the environment (inherited by the
//! runner's worker processes and loom children).
//!
//! # Order of the drivers
//!
//! Cheapest first, stopping at the first that catches the mutant: proptest, shuttle, threads,
//! loom, processes. A mutant counts as caught only when a driver fails one of the mutant's
//! family's clauses (a harness failure does not count).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::util::{secs, target_dir, Checker, Cmd, Failure};

const RUNNER: &str = "twinsync-conformance";

/// One seeded bug.
#[derive(Debug)]
pub struct Mutant {
    /// The name its mutation point tests (`TWINSYNC_MUTANT`).
    pub name: &'static str,
    /// The subjects (built-in subject names) the suite runs against it.
    pub subjects: &'static [&'static str],
    /// The clause prefix of its family (`LOCK-`): a failure of such a clause catches it.
    pub family: &'static str,
    /// What the bug is.
    pub what: &'static str,
}

const LOCKS: &[&str] = &["thread::Lock", "process::Lock"];
const SEMAPHORES: &[&str] = &["thread::Semaphore", "process::Semaphore"];
const BOUNDED: &[&str] = &["thread::BoundedSemaphore", "process::BoundedSemaphore"];
const RLOCKS: &[&str] = &["thread::RLock", "process::RLock"];
const BARRIERS: &[&str] = &["thread::Barrier", "process::Barrier"];
const RWLOCKS: &[&str] = &["thread::RwLock", "process::RwLock"];
const EVENTS: &[&str] = &["thread::Event", "process::Event"];
const CONDITIONS: &[&str] = &["thread::Condition", "process::Condition"];
const QUEUES: &[&str] = &["thread::Queue", "process::Queue"];

/// The catalog.
pub const MUTANTS: &[Mutant] = &[
    Mutant {
        name: "lock.missing_wake",
        subjects: LOCKS,
        family: "LOCK-",
        what: "release never wakes a sleeper (lost wake-up)",
    },
    Mutant {
        name: "lock.no_announce",
        subjects: LOCKS,
        family: "LOCK-",
        what: "an acquirer sleeps without setting WAITERS (waiter announced after the sleep \
               decision)",
    },
    Mutant {
        name: "lock.take_without_waiters",
        subjects: LOCKS,
        family: "LOCK-",
        what: "a woken acquirer takes the lock without WAITERS, dropping the others' \
               announcement",
    },
    Mutant {
        name: "lock.split_acquire",
        subjects: LOCKS,
        family: "LOCK-",
        what: "try_acquire's compare-exchange split into a load and a store",
    },
    Mutant {
        name: "lock.relaxed_release",
        subjects: LOCKS,
        family: "LOCK-",
        what: "release's swap made Relaxed (no Release ordering)",
    },
    Mutant {
        name: "lock.relaxed_acquire",
        subjects: LOCKS,
        family: "LOCK-",
        what: "the acquiring compare-exchange made Relaxed (no Acquire ordering)",
    },
    Mutant {
        name: "lock.release_free_ok",
        subjects: LOCKS,
        family: "LOCK-",
        what: "release of a free lock returns Ok instead of NotHeld",
    },
    Mutant {
        name: "lock.private_futex",
        subjects: &["process::Lock"],
        family: "LOCK-",
        what: "release wakes with a private futex on shared memory",
    },
    Mutant {
        name: "lock.timeout_restart",
        subjects: LOCKS,
        family: "LOCK-",
        what: "a timed acquire restarts its timeout after every wake-up",
    },
    Mutant {
        name: "sem.split_acquire",
        subjects: SEMAPHORES,
        family: "SEM-",
        what: "try_acquire's decrement split into a load and a store",
    },
    Mutant {
        name: "sem.missing_wake",
        subjects: SEMAPHORES,
        family: "SEM-",
        what: "release never wakes a sleeper",
    },
    Mutant {
        name: "sem.wake_one",
        subjects: SEMAPHORES,
        family: "SEM-",
        what: "release(n) wakes one sleeper where n must wake",
    },
    Mutant {
        name: "sem.no_repair",
        subjects: SEMAPHORES,
        family: "SEM-",
        what: "a leaver clears WAITERS while others are registered and does not repair it \
               (waiter count updated after the sleep decision)",
    },
    Mutant {
        name: "sem.bound_off_by_one",
        subjects: BOUNDED,
        family: "BSEM-",
        what: "a BoundedSemaphore accepts one release past its initial value",
    },
    Mutant {
        name: "rlock.count_bug",
        subjects: RLOCKS,
        family: "RLOCK-",
        what: "the first release frees the RLock at any recursion depth",
    },
    Mutant {
        name: "rlock.foreign_release",
        subjects: RLOCKS,
        family: "RLOCK-",
        what: "a non-owner's release of a held RLock is accepted",
    },
    Mutant {
        name: "barrier.wake_one",
        subjects: BARRIERS,
        family: "BARRIER-",
        what: "a trip wakes one sleeping party where all must wake",
    },
    Mutant {
        name: "barrier.parties_off_by_one",
        subjects: BARRIERS,
        family: "BARRIER-",
        what: "the next-to-last arrival trips the barrier",
    },
    Mutant {
        name: "rwlock.wake_one_reader",
        subjects: RWLOCKS,
        family: "RWLOCK-",
        what: "a write unlock wakes one waiting reader where all must wake",
    },
    Mutant {
        name: "rwlock.missing_writer_wake",
        subjects: RWLOCKS,
        family: "RWLOCK-",
        what: "a waiting writer is never woken",
    },
    Mutant {
        name: "event.set_wake_one",
        subjects: EVENTS,
        family: "EVENT-",
        what: "set wakes one waiter where all must wake",
    },
    Mutant {
        name: "sem.initial_off_by_one",
        subjects: SEMAPHORES,
        family: "SEM-",
        what: "a new semaphore holds one token more than its initial value",
    },
    Mutant {
        name: "barrier.count_not_generation",
        subjects: BARRIERS,
        family: "BARRIER-",
        what: "a waiting party watches the arrival count instead of the generation, so a \
               fast party of the next generation laps it",
    },
    Mutant {
        name: "rwlock.split_read",
        subjects: RWLOCKS,
        family: "RWLOCK-",
        what: "try_acquire_read's increment of the reader count split into a load and a store",
    },
    Mutant {
        name: "event.flag_only",
        subjects: EVENTS,
        family: "EVENT-",
        what: "waiters re-check only the flag, so a set followed at once by clear is missed",
    },
    Mutant {
        name: "condition.absorb",
        subjects: CONDITIONS,
        family: "COND-",
        what: "a timed-out waiter takes a notification meant for another and still reports a \
               timeout",
    },
    Mutant {
        name: "condition.missing_wake",
        subjects: CONDITIONS,
        family: "COND-",
        what: "notify never wakes the notified waiters",
    },
    Mutant {
        name: "condition.wake_one",
        subjects: CONDITIONS,
        family: "COND-",
        what: "notify_all (or a notify of a whole group) wakes one waiter",
    },
    Mutant {
        name: "queue.missing_wake",
        subjects: QUEUES,
        family: "QUEUE-",
        what: "a put never wakes a getter asleep on an empty queue (lost wake-up)",
    },
    Mutant {
        name: "queue.close_no_wake",
        subjects: QUEUES,
        family: "QUEUE-",
        what: "close never wakes getters asleep on an empty queue",
    },
];

/// Mutants of the quick subset `cargo xtask test` runs: one per bug class, caught in
/// seconds.
pub const QUICK: &[&str] = &[
    "lock.missing_wake",
    "lock.split_acquire",
    "lock.release_free_ok",
];

/// The drivers, cheapest first, and which runner build runs each.
const DRIVERS: [(&str, World); 5] = [
    ("proptest", World::Normal),
    ("shuttle", World::Shuttle),
    ("threads", World::Normal),
    ("loom", World::Loom),
    ("processes", World::Normal),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum World {
    Normal,
    Loom,
    Shuttle,
}

/// Where the mutant runners are built.
fn mutants_dir() -> PathBuf {
    target_dir().join("mutants")
}

/// Builds the three runners with the `mutants` feature; returns (normal, loom, shuttle).
fn build() -> Result<[PathBuf; 3], Failure> {
    let base = || {
        Cmd::cargo().args([
            "build",
            "--release",
            "-p",
            RUNNER,
            "--bin",
            RUNNER,
            "--features",
            "twinsync/mutants",
        ])
    };
    let dir = mutants_dir();
    base().arg("--target-dir").arg(&dir).run()?;
    base().checker_in(Checker::Loom, dir.join("loom")).run()?;
    base()
        .checker_in(Checker::Shuttle, dir.join("shuttle"))
        .run()?;
    let bin = |d: PathBuf| d.join("release").join(RUNNER);
    Ok([
        bin(dir.clone()),
        bin(dir.join("loom")),
        bin(dir.join("shuttle")),
    ])
}

/// What became of one mutant.
#[derive(Debug)]
pub struct Verdict {
    /// The driver that caught it, and the clause it failed.
    pub caught: Option<(&'static str, String)>,
    /// Time until caught (or spent in vain).
    pub took: Duration,
}

/// Reads a `--records-out` file: the first failed clause of the family, if any.
fn first_failure(records: &Path, family: &str) -> Option<String> {
    let text = std::fs::read_to_string(records).ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split('\t').collect();
        (f.len() > 5 && f[5] == "fail" && f[0].starts_with(family)).then(|| f[0].to_owned())
    })
}

fn run_one(m: &Mutant, bins: &[PathBuf; 3]) -> Result<Verdict, Failure> {
    let t0 = Instant::now();
    let out = mutants_dir().join(format!("{}.records", m.name));
    for (driver, world) in DRIVERS {
        let bin = match world {
            World::Normal => &bins[0],
            World::Loom => &bins[1],
            World::Shuttle => &bins[2],
        };
        // The checker builds have no process versions (they run in one process).
        let subjects: Vec<&str> = m
            .subjects
            .iter()
            .copied()
            .filter(|s| world == World::Normal || !s.starts_with("process::"))
            .collect();
        if subjects.is_empty() {
            continue;
        }
        let mut cmd = Cmd::new(bin)
            .env("TWINSYNC_MUTANT", m.name)
            .args(["--quick", "--driver", driver, "--records-out"])
            .arg(&out);
        for s in subjects {
            cmd = cmd.args(["--subject", s]);
        }
        let _ = std::fs::remove_file(&out);
        // The exit status says whether anything failed; the records say what.
        let _ = cmd.status()?;
        if let Some(clause) = first_failure(&out, m.family) {
            let _ = std::fs::remove_file(&out);
            return Ok(Verdict {
                caught: Some((driver, clause)),
                took: t0.elapsed(),
            });
        }
    }
    let _ = std::fs::remove_file(&out);
    Ok(Verdict {
        caught: None,
        took: t0.elapsed(),
    })
}

/// The task's entry point.
pub fn run(args: &[String]) -> Result<(), Failure> {
    let quick = args.iter().any(|a| a == "--quick");
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    for n in &names {
        if !MUTANTS.iter().any(|m| m.name == n.as_str()) {
            return Err(Failure::usage(format!(
                "no mutant {n:?} (see xtask/src/mutants.rs)"
            )));
        }
    }
    let chosen: Vec<&Mutant> = MUTANTS
        .iter()
        .filter(|m| names.is_empty() || names.iter().any(|n| n.as_str() == m.name))
        .filter(|m| !quick || QUICK.contains(&m.name))
        .collect();
    run_mutants(&chosen)
}

/// Runs `chosen` and prints the score; fails unless every one was caught.
pub fn run_mutants(chosen: &[&Mutant]) -> Result<(), Failure> {
    let t0 = Instant::now();
    println!("[mutants] building the runners with the `mutants` feature");
    let bins = build()?;
    let mut rows = Vec::new();
    for m in chosen {
        println!("[mutants] {}: {}", m.name, m.what);
        let v = run_one(m, &bins)?;
        match &v.caught {
            Some((d, c)) => println!(
                "[mutants] {}: caught by {d} ({c}) in {}",
                m.name,
                secs(v.took)
            ),
            None => println!("[mutants] {}: NOT CAUGHT ({})", m.name, secs(v.took)),
        }
        rows.push((m, v));
    }
    println!("\nmutant                        caught by   clause      time   bug");
    for (m, v) in &rows {
        let (d, c) = match &v.caught {
            Some((d, c)) => (*d, c.as_str()),
            None => ("NOT CAUGHT", "-"),
        };
        println!(
            "{:<29} {:<11} {:<9} {:>7}   {}",
            m.name,
            d,
            c,
            secs(v.took),
            m.what
        );
    }
    let caught = rows.iter().filter(|(_, v)| v.caught.is_some()).count();
    println!(
        "\nmutation score: {caught}/{} caught ({:.0}%) in {}",
        rows.len(),
        100.0 * caught as f64 / rows.len().max(1) as f64,
        secs(t0.elapsed())
    );
    if caught == rows.len() {
        Ok(())
    } else {
        Err(Failure::msg(format!(
            "{} mutant(s) not caught",
            rows.len() - caught
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_the_quick_subset_exists() {
        for (i, m) in MUTANTS.iter().enumerate() {
            assert!(
                MUTANTS[i + 1..].iter().all(|o| o.name != m.name),
                "duplicate {}",
                m.name
            );
            assert!(!m.subjects.is_empty(), "{} has no subject", m.name);
        }
        for q in QUICK {
            assert!(
                MUTANTS.iter().any(|m| m.name == *q),
                "quick mutant {q} missing"
            );
        }
    }

    #[test]
    fn every_mutation_point_in_the_sources_is_in_the_catalog() {
        let root = crate::util::project_root().join("primitives/src");
        let mut found = Vec::new();
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    let mut rest = text.as_str();
                    while let Some(i) = rest.find("mutant::active(\"") {
                        let tail = &rest[i + 16..];
                        let end = tail.find('"').unwrap();
                        found.push(tail[..end].to_owned());
                        rest = &tail[end..];
                    }
                }
            }
        }
        for name in &found {
            assert!(
                MUTANTS.iter().any(|m| m.name == name),
                "mutation point {name:?} has no catalog entry"
            );
        }
        for m in MUTANTS {
            assert!(
                found.iter().any(|n| n == m.name),
                "catalog entry {} has no mutation point",
                m.name
            );
        }
    }
}
