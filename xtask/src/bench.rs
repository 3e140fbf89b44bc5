//! `cargo xtask bench [--quick] [FILTER]`: runs the criterion benchmarks of every bench
//! target in `stress/benches/` and prints, per group, each implementation's time as a ratio
//! to the reference measured in the same run, next to DESIGN.md's targets (section 6).
//!
//! It runs `cargo bench -p twinsync-stress --features bench --bench lock --bench wake ...
//! -- [FILTER]` with `CRITERION_HOME=<target>/criterion`, then reads
//! `<target>/criterion/<group>/<id>/new/estimates.json` ("mean" -> "point_estimate", in ns)
//! for every benchmark that this run wrote (older files, e.g. left by a filtered-out
//! benchmark, are ignored). The mean can differ by a few percent from the "time" criterion
//! prints, which is its slope estimate where it has one. [`catalog`] says what each group
//! measures and what each id in it is; a group the catalog does not know is still printed,
//! as a time ratio.
//!
//! Ratios, not times: absolute times move 5-20% between runs, ratios about 1-3% on a quiet
//! machine (DESIGN.md; with other jobs on the two cores both move far more, round trips
//! across CPUs most, since they then measure how soon the scheduler runs the woken party).
//! * uncontended and round-trip groups: `implementation time / reference time`, **lower is
//!   better**;
//! * contended groups: `reference time / implementation time`, the implementation's
//!   throughput relative to the reference's, **higher is better**.
//!
//! A missed target is reported in the table but does not fail the task: a benchmark is a
//! measurement, not a test. The bench targets' own criterion settings (warm-up 0.25 s,
//! measurement 0.6 s, 20 samples, `stress/benches/common/mod.rs`) keep the benchmarks
//! within about four minutes; `--quick` passes `--warm-up-time 0.1 --measurement-time 0.3`
//! to criterion (about half that, with wider error bars). Rebuilding the bench targets
//! after a change to twinsync takes 1-4 minutes more on a busy 2-core machine.

mod catalog;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::util::{secs, target_dir, Cmd, Failure};

/// Package that holds the benchmarks.
const PACKAGE: &str = "twinsync-stress";

/// How a group's ratio is computed, and so which direction is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// `implementation time / reference time`: lower is better.
    Time,
    /// `reference time / implementation time` (relative throughput): higher is better.
    Throughput,
}

impl Metric {
    /// The ratio for an implementation's and the reference's mean times.
    pub fn ratio(self, impl_ns: f64, reference_ns: f64) -> f64 {
        match self {
            Metric::Time => impl_ns / reference_ns,
            Metric::Throughput => reference_ns / impl_ns,
        }
    }

    /// Whether `ratio` meets `target`.
    pub fn meets(self, ratio: f64, target: f64) -> bool {
        match self {
            Metric::Time => ratio <= target,
            Metric::Throughput => ratio >= target,
        }
    }

    fn bound(self) -> &'static str {
        match self {
            Metric::Time => "<=",
            Metric::Throughput => ">=",
        }
    }

    fn explain(self) -> &'static str {
        match self {
            Metric::Time => "ratio = implementation time / reference time: LOWER is better",
            Metric::Throughput => {
                "ratio = reference time / implementation time (relative throughput): HIGHER is better"
            }
        }
    }
}

/// `(implementation id, what it is)` for the ids of a group, in table order.
pub type Legend = &'static [(&'static str, &'static str)];

/// One criterion group: what it measures, how to read it, DESIGN.md's targets for it.
pub struct Group {
    /// Criterion's group name (a directory under `target/criterion`).
    pub name: String,
    /// The bench target that holds it.
    pub bench: &'static str,
    /// What one iteration is.
    pub what: String,
    /// What the mean time is per.
    pub unit: &'static str,
    /// How the ratio is computed.
    pub metric: Metric,
    /// The id whose time the others are divided by (or divide).
    pub reference: &'static str,
    /// `(implementation id, target ratio)` from DESIGN.md section 6.
    pub targets: &'static [(&'static str, f64)],
    /// What each implementation id is, in table order.
    pub impls: Legend,
}

impl Group {
    /// What `render` assumes about a group that the catalog does not know.
    fn unknown(name: &str) -> Group {
        Group {
            name: name.to_owned(),
            bench: "?",
            what: "(not in xtask's bench catalog)".to_owned(),
            unit: "ns/iter",
            metric: Metric::Time,
            reference: catalog::REFERENCE,
            targets: &[],
            impls: &[],
        }
    }

    /// Table position of an implementation id: the reference, then known ids in catalog
    /// order, then others.
    fn rank(&self, id: &str) -> usize {
        if id == self.reference {
            return 0;
        }
        1 + self
            .impls
            .iter()
            .position(|(i, _)| *i == id)
            .unwrap_or(self.impls.len())
    }
}

/// One benchmark's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Criterion's group name.
    pub group: String,
    /// Benchmark id within the group (the implementation).
    pub id: String,
    /// Mean time per iteration, in nanoseconds.
    pub mean_ns: f64,
}

/// The task's entry point.
pub fn run(args: &[String]) -> Result<(), Failure> {
    let mut quick = false;
    let mut filter: Option<&str> = None;
    for a in args {
        match a.as_str() {
            "--quick" => quick = true,
            f if f.starts_with('-') => {
                return Err(Failure::usage(format!(
                    "unknown option {f:?}; usage: cargo xtask bench [--quick] [FILTER]"
                )))
            }
            f if filter.is_none() => filter = Some(f),
            f => {
                return Err(Failure::usage(format!(
                    "one FILTER only (got {f:?} after {:?})",
                    filter.unwrap_or_default()
                )))
            }
        }
    }
    let home = target_dir().join("criterion");
    // Criterion rewrites estimates.json for each benchmark it runs; anything older than this
    // run is a leftover. A second of slack covers coarse file timestamps.
    let since = SystemTime::now() - Duration::from_secs(1);
    let started = Instant::now();
    let mut cmd = Cmd::cargo().env("CRITERION_HOME", &home).args([
        "bench",
        "-p",
        PACKAGE,
        "--features",
        "bench",
    ]);
    for bench in catalog::benches() {
        cmd = cmd.args(["--bench", bench]);
    }
    cmd = cmd.arg("--");
    if quick {
        cmd = cmd.args(["--warm-up-time", "0.1", "--measurement-time", "0.3"]);
    }
    if let Some(f) = filter {
        cmd = cmd.arg(f);
    }
    cmd.run()?;
    let results = collect(&home, since)?;
    if results.is_empty() {
        return Err(Failure::msg(format!(
            "no benchmark results written by this run under {} (does the filter match?)",
            home.display()
        )));
    }
    print!("\n{}", render(&results));
    println!(
        "[bench] total {} (build + benchmarks); criterion's reports are under {}",
        secs(started.elapsed()),
        home.display()
    );
    Ok(())
}

/// Reads every `<home>/<group>/<id>/new/estimates.json` modified at or after `since`, in
/// any group (criterion's own `report` directories have no estimates and are skipped).
pub fn collect(home: &Path, since: SystemTime) -> Result<Vec<Measured>, Failure> {
    let io = |p: &Path, e: std::io::Error| Failure::msg(format!("{}: {e}", p.display()));
    let read_dir = |dir: &Path| -> Result<Vec<PathBuf>, Failure> {
        match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .map(|e| e.map(|e| e.path()).map_err(|err| io(dir, err)))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(io(dir, e)),
        }
    };
    let name = |p: &Path| {
        p.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    };
    let mut out = Vec::new();
    for group in read_dir(home)? {
        if !group.is_dir() {
            continue;
        }
        for id in read_dir(&group)? {
            let file = id.join("new").join("estimates.json");
            let Ok(meta) = std::fs::metadata(&file) else {
                continue; // criterion's own "report" directory, or not run yet
            };
            if meta.modified().map_err(|err| io(&file, err))? < since {
                continue;
            }
            let text = std::fs::read_to_string(&file).map_err(|err| io(&file, err))?;
            let mean_ns = parse_mean_ns(&text).ok_or_else(|| {
                Failure::msg(format!(
                    "{}: no numeric mean.point_estimate",
                    file.display()
                ))
            })?;
            out.push(Measured {
                group: name(&group),
                id: name(&id),
                mean_ns,
            });
        }
    }
    Ok(out)
}

/// The mean's point estimate from the text of a criterion `estimates.json`:
/// `{"mean":{"confidence_interval":{...},"point_estimate":12.3,...},"median":{...},...}`.
pub fn parse_mean_ns(json: &str) -> Option<f64> {
    let mean = object_of(json, "mean")?;
    number_of(mean, "point_estimate")
}

/// The `{...}` text that follows `"key":` in `json` (the first occurrence followed by an
/// object).
fn object_of<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let quoted = format!("\"{key}\"");
    let mut from = 0;
    while let Some(at) = json[from..].find(&quoted) {
        let after = from + at + quoted.len();
        let rest = json[after..].trim_start().strip_prefix(':')?.trim_start();
        if rest.starts_with('{') {
            let start = json.len() - rest.len();
            return Some(&json[start..start + object_len(rest)?]);
        }
        from = after;
    }
    None
}

/// Length of the object at the start of `s` (which begins with `{`), braces in strings
/// skipped.
fn object_len(s: &str) -> Option<usize> {
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for (i, c) in s.char_indices() {
        match (in_str, c) {
            (true, _) if escaped => escaped = false,
            (true, '\\') => escaped = true,
            (true, '"') => in_str = false,
            (true, _) => {}
            (false, '"') => in_str = true,
            (false, '{') => depth += 1,
            (false, '}') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The number that follows `"key":` in `obj`; `None` when absent or not a number (`null`).
fn number_of(obj: &str, key: &str) -> Option<f64> {
    let quoted = format!("\"{key}\"");
    let at = obj.find(&quoted)? + quoted.len();
    let rest = obj[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(rest.len());
    rest[..end].parse().ok().filter(|x: &f64| x.is_finite())
}

/// The ratio tables, one per group that has results (catalog groups first, in catalog
/// order, then unknown ones by name), a legend of the ids, and a summary of the targets.
pub fn render(results: &[Measured]) -> String {
    let mut groups = catalog::groups();
    let mut unknown: Vec<&str> = results
        .iter()
        .map(|m| m.group.as_str())
        .filter(|name| groups.iter().all(|g| g.name != *name))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    groups.extend(unknown.into_iter().map(Group::unknown));

    let mut s = String::new();
    let mut missed: Vec<String> = Vec::new();
    let mut met = 0;
    // Each legend once, after the tables, with the groups that use it.
    let mut legends: Vec<(Vec<&str>, Legend)> = Vec::new();
    for g in &groups {
        let mut rows: Vec<&Measured> = results.iter().filter(|m| m.group == g.name).collect();
        if rows.is_empty() {
            continue;
        }
        rows.sort_by(|a, b| (g.rank(&a.id), &a.id).cmp(&(g.rank(&b.id), &b.id)));
        let reference = rows.iter().find(|m| m.id == g.reference).map(|m| m.mean_ns);
        let _ = writeln!(s, "{}: {}", g.name, g.what);
        let _ = writeln!(s, "  {}", g.metric.explain());
        let _ = writeln!(
            s,
            "  {:<26} {:>18}  {:>7}  DESIGN.md target",
            "implementation",
            format!("mean {}", g.unit),
            "ratio"
        );
        for m in rows {
            let ratio = reference.map(|r| g.metric.ratio(m.mean_ns, r));
            let shown = ratio.map_or_else(|| "-".to_owned(), |r| format!("{r:.3}"));
            let mut line = format!("  {:<26} {:>18.1}  {:>7}", m.id, m.mean_ns, shown);
            if let Some(&(_, target)) = g.targets.iter().find(|(id, _)| *id == m.id) {
                let verdict = match ratio {
                    Some(r) if g.metric.meets(r, target) => {
                        met += 1;
                        "met"
                    }
                    Some(_) => {
                        missed.push(format!("{}/{}", g.name, m.id));
                        "MISSED"
                    }
                    None => "no reference in this run",
                };
                let _ = write!(line, "  {} {target:?}  {verdict}", g.metric.bound());
            }
            let _ = writeln!(s, "{}", line.trim_end());
        }
        if reference.is_none() {
            let _ = writeln!(
                s,
                "  (no ratios: the reference did not run; widen the filter)"
            );
        }
        s.push('\n');
        match legends.iter_mut().find(|(_, l)| std::ptr::eq(*l, g.impls)) {
            Some((names, _)) => names.push(&g.name),
            None if !g.impls.is_empty() => legends.push((vec![&g.name], g.impls)),
            None => {}
        }
    }
    for (names, legend) in legends {
        let _ = writeln!(s, "implementations in {}:", names.join(", "));
        for (id, what) in legend {
            let _ = writeln!(s, "  {id:<26} {what}");
        }
    }
    let _ = writeln!(
        s,
        "targets: {met} met, {} missed{} (a benchmark reports; it does not fail the task)",
        missed.len(),
        if missed.is_empty() {
            String::new()
        } else {
            format!(" ({})", missed.join(", "))
        }
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape criterion 0.8 writes (one line, serde_json), trimmed to two estimates.
    const SAMPLE: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":11.9,"upper_bound":12.8},"point_estimate":12.25,"standard_error":0.2},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":99.0,"standard_error":0.1},"slope":null}"#;

    #[test]
    fn mean_point_estimate_is_read_not_the_median_or_a_bound() {
        assert_eq!(parse_mean_ns(SAMPLE), Some(12.25));
        // Key order and whitespace do not matter; exponents parse.
        let pretty = "{\n  \"median\": {\"point_estimate\": 7.0},\n  \"mean\" : {\n    \"point_estimate\" : 1.5e3,\n    \"confidence_interval\": {\"lower_bound\": 1}\n  }\n}";
        assert_eq!(parse_mean_ns(pretty), Some(1500.0));
    }

    #[test]
    fn missing_or_non_numeric_means_are_refused() {
        assert_eq!(parse_mean_ns(r#"{"median":{"point_estimate":1.0}}"#), None);
        assert_eq!(parse_mean_ns(r#"{"mean":{"point_estimate":null}}"#), None);
        assert_eq!(parse_mean_ns(r#"{"mean":{"point_estimate":1.0"#), None); // truncated
        assert_eq!(parse_mean_ns(r#"{"mean":"x","other":{}}"#), None);
    }

    #[test]
    fn ratios_point_the_documented_way() {
        // Uncontended: time ratio, lower is better.
        assert_eq!(Metric::Time.ratio(12.0, 10.0), 1.2);
        assert!(!Metric::Time.meets(1.2, 1.05));
        assert!(Metric::Time.meets(1.0, 1.0));
        // Contended: relative throughput, higher is better.
        assert_eq!(Metric::Throughput.ratio(200.0, 100.0), 0.5);
        assert!(!Metric::Throughput.meets(0.5, 1.0));
        assert!(Metric::Throughput.meets(1.25, 1.0));
    }

    fn m(group: &str, id: &str, mean_ns: f64) -> Measured {
        Measured {
            group: group.into(),
            id: id.into(),
            mean_ns,
        }
    }

    #[test]
    fn table_lists_ratios_targets_and_verdicts() {
        let t = render(&[
            m("lock_uncontended", "twinsync-process", 21.0),
            m("lock_uncontended", "reference", 20.0),
            m("lock_uncontended", "twinsync-thread", 22.0),
            m("lock_contended_2processes", "reference", 100.0),
            m("lock_contended_2processes", "twinsync-process", 80.0),
        ]);
        let line = |id: &str, group: &str| -> String {
            let sect = &t[t.find(&format!("{group}:")).unwrap()..];
            let sect = &sect[..sect.find("\n\n").unwrap()];
            sect.lines()
                .find(|l| l.trim_start().starts_with(&format!("{id} ")))
                .unwrap()
                .to_owned()
        };
        assert!(line("reference", "lock_uncontended").contains("1.000"));
        assert!(line("twinsync-process", "lock_uncontended").contains("1.050  <= 1.05  met"));
        assert!(line("twinsync-thread", "lock_uncontended").contains("1.100  <= 1.0  MISSED"));
        assert!(
            line("twinsync-process", "lock_contended_2processes").contains("1.250  >= 1.0  met")
        );
        assert!(t.contains("LOWER is better") && t.contains("HIGHER is better"));
        assert!(t.contains("targets: 2 met, 1 missed"));
        // The reference row comes first, whatever order the results came in.
        let uncontended = &t[t.find("lock_uncontended:").unwrap()..];
        assert!(uncontended.find("reference").unwrap() < uncontended.find("twinsync-").unwrap());
        assert!(
            !t.contains("lock_contended_2threads"),
            "groups without results are left out"
        );
    }

    #[test]
    fn unknown_groups_are_shown_as_time_ratios_and_missed_targets_are_named() {
        let t = render(&[
            m("zz_new_group", "reference", 10.0),
            m("zz_new_group", "x", 30.0),
            m("wake_cross_cpu_threads", "reference", 100.0),
            m("wake_cross_cpu_threads", "twinsync-semaphore", 120.0),
        ]);
        assert!(t.contains("zz_new_group: (not in xtask's bench catalog)"));
        assert!(t
            .lines()
            .any(|l| l.trim_start().starts_with("x ") && l.contains("3.000")));
        assert!(t.contains("1.200  <= 1.1  MISSED"));
        assert!(t.contains("0 met, 1 missed (wake_cross_cpu_threads/twinsync-semaphore)"));
        // The catalog's groups print before unknown ones, and each legend once.
        assert!(t.find("wake_cross_cpu_threads:").unwrap() < t.find("zz_new_group:").unwrap());
        assert_eq!(t.matches("implementations in ").count(), 1);
    }

    #[test]
    fn catalog_names_are_unique_and_every_target_names_a_described_id() {
        let groups = catalog::groups();
        for (i, g) in groups.iter().enumerate() {
            assert!(
                groups[..i].iter().all(|h| h.name != g.name),
                "{} twice",
                g.name
            );
            assert!(
                g.impls.iter().any(|(id, _)| *id == g.reference),
                "{}",
                g.name
            );
            for (id, _) in g.targets {
                let known = g.impls.iter().any(|(i, _)| i == id);
                assert!(known, "{}: target for unknown id {id}", g.name);
            }
        }
        let benches = catalog::benches();
        assert!(benches.contains(&"lock") && benches.contains(&"wake"));
        let mut dedup = benches.clone();
        dedup.dedup();
        assert_eq!(dedup, benches);
    }

    #[test]
    fn without_the_reference_there_are_no_ratios() {
        let t = render(&[m("lock_uncontended", "std", 30.0)]);
        assert!(t.contains("the reference did not run"));
        assert!(t
            .lines()
            .any(|l| l.trim_start().starts_with("std ") && l.contains(" -")));
    }

    #[test]
    fn only_this_runs_estimates_are_collected() {
        let home = std::env::temp_dir().join(format!("xtask-bench-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        let write = |group: &str, id: &str, text: &str| {
            let d = home.join(group).join(id).join("new");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("estimates.json"), text).unwrap();
        };
        write("lock_uncontended", "reference", SAMPLE);
        write("lock_uncontended", "std", SAMPLE);
        write("not_in_the_catalog", "reference", SAMPLE);
        std::fs::create_dir_all(home.join("lock_uncontended/report")).unwrap();
        std::fs::write(home.join("stray-file"), "").unwrap();
        let past = SystemTime::now() - Duration::from_secs(60);
        let mut got = collect(&home, past).unwrap();
        got.sort_by(|a, b| (&a.group, &a.id).cmp(&(&b.group, &b.id)));
        assert_eq!(
            got,
            vec![
                m("lock_uncontended", "reference", 12.25),
                m("lock_uncontended", "std", 12.25),
                m("not_in_the_catalog", "reference", 12.25),
            ]
        );
        // Files older than the run's start are leftovers.
        let future = SystemTime::now() + Duration::from_secs(60);
        assert!(collect(&home, future).unwrap().is_empty());
        // A damaged file is an error, not a silent gap.
        write("lock_uncontended", "std", "{\"mean\":{}}");
        assert!(collect(&home, past).is_err());
        std::fs::remove_dir_all(&home).unwrap();
    }
}
