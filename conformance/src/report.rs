//! Result records, and the report built from them: the clause matrix, the time per driver,
//! the negative-control section, JSON, JUnit XML ([`to_junit`]), a Markdown summary
//! ([`to_markdown`]), and the line format child builds hand back.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::spec;

mod junit;
mod markdown;

pub use junit::to_junit;
pub use markdown::to_markdown;

/// Driver names, in report order.
pub const DRIVERS: [&str; 5] = ["proptest", "threads", "processes", "loom", "shuttle"];
/// The matrix columns: (version, driver) pairs that can exist.
pub const COLUMNS: [(&str, &str); 7] = [
    ("thread", "proptest"),
    ("thread", "threads"),
    ("thread", "loom"),
    ("thread", "shuttle"),
    ("process", "proptest"),
    ("process", "threads"),
    ("process", "processes"),
];
/// Pseudo-clause for failures of the harness itself (a child that could not start, ...).
pub const HARNESS: &str = "HARNESS";

/// The outcome of checking one clause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The clause held.
    Pass,
    /// The clause was violated; the message says how.
    Fail(String),
    /// The driver cannot check the clause (or reach the control's bug); the reason says why.
    NotCheckable(String),
    /// The clause does not hold, as the subject declares it should not: a known, documented
    /// semantic difference (e.g. `std::sync::Mutex` cannot be released by another thread).
    /// The message gives the declared reason and what was observed. Not a failure.
    Deviates(String),
}

/// One result: a clause checked on a subject by a driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Clause id (`LOCK-07`), or [`HARNESS`].
    pub clause: String,
    /// Subject name (`thread::Lock`, `control::ForgetfulWake`).
    pub subject: String,
    /// Subject version (`thread`, `process`, `control`).
    pub version: String,
    /// Driver name.
    pub driver: String,
    /// What ran: scenario name, or the driver's own check name.
    pub check: String,
    /// Outcome.
    pub status: Status,
    /// Wall time of the check that produced it.
    pub duration: Duration,
    /// On failure: one command that replays it.
    pub replay: Option<String>,
}

impl Record {
    /// Whether this is a failure.
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Fail(_))
    }

    /// Serialises to one line of tab-separated, escaped fields (the `--records-out` format).
    pub fn to_line(&self) -> String {
        let (kind, msg) = match &self.status {
            Status::Pass => ("pass", ""),
            Status::Fail(m) => ("fail", m.as_str()),
            Status::NotCheckable(m) => ("nc", m.as_str()),
            Status::Deviates(m) => ("dev", m.as_str()),
        };
        let fields = [
            self.clause.as_str(),
            &self.subject,
            &self.version,
            &self.driver,
            &self.check,
            kind,
            msg,
            &self.duration.as_nanos().to_string(),
            self.replay.as_deref().unwrap_or(""),
        ];
        fields
            .iter()
            .map(|f| escape(f))
            .collect::<Vec<_>>()
            .join("\t")
    }

    /// Parses [`to_line`](Self::to_line)'s output.
    ///
    /// ```
    /// use twinsync_conformance::report::{Record, Status};
    /// let r = Record {
    ///     clause: "LOCK-07".into(), subject: "thread::Lock".into(), version: "thread".into(),
    ///     driver: "loom".into(), check: "mutual_exclusion".into(),
    ///     status: Status::Fail("two\tholders\n".into()),
    ///     duration: std::time::Duration::from_millis(3), replay: Some("run again".into()),
    /// };
    /// assert_eq!(Record::from_line(&r.to_line()), Some(r));
    /// ```
    pub fn from_line(line: &str) -> Option<Record> {
        let f: Vec<String> = line.split('\t').map(unescape).collect();
        let [clause, subject, version, driver, check, kind, msg, nanos, replay] = &f[..] else {
            return None;
        };
        let status = match kind.as_str() {
            "pass" => Status::Pass,
            "fail" => Status::Fail(msg.clone()),
            "nc" => Status::NotCheckable(msg.clone()),
            "dev" => Status::Deviates(msg.clone()),
            _ => return None,
        };
        let nanos: u64 = nanos.parse().ok()?;
        Some(Record {
            clause: clause.clone(),
            subject: subject.clone(),
            version: version.clone(),
            driver: driver.clone(),
            check: check.clone(),
            status,
            duration: Duration::from_nanos(nanos),
            replay: (!replay.is_empty()).then(|| replay.clone()),
        })
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(ch) = it.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// How a negative control fared with one driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlVerdict {
    /// A check failed one of the control's expected clauses (with that clause and check).
    Rejected(String),
    /// The driver ran it and it passed (or failed only unexpected clauses): the suite fails.
    NotRejected(String),
    /// The driver cannot reach this kind of bug; the reason says why.
    NotApplicable(String),
    /// Not run by this invocation.
    NotRun,
}

/// The verdict on `control` for `driver`, from `records`.
pub fn control_verdict(records: &[Record], control: &str, driver: &str) -> ControlVerdict {
    let expected = crate::subject::by_name(control)
        .and_then(|s| s.control)
        .map(|c| c.expected)
        .unwrap_or(&[]);
    let mine: Vec<&Record> = records
        .iter()
        .filter(|r| r.subject == control && r.driver == driver)
        .collect();
    if mine.is_empty() {
        return ControlVerdict::NotRun;
    }
    if let Some(r) = mine
        .iter()
        .find(|r| r.failed() && expected.contains(&r.clause.as_str()))
    {
        return ControlVerdict::Rejected(format!("{} in {}", r.clause, r.check));
    }
    if let Some(r) = mine.iter().find(|r| r.failed()) {
        return ControlVerdict::NotRejected(format!(
            "failed only {} ({}), not an expected clause {expected:?}",
            r.clause, r.check
        ));
    }
    if mine.iter().any(|r| r.status == Status::Pass) {
        return ControlVerdict::NotRejected("every check passed".into());
    }
    match &mine[0].status {
        Status::NotCheckable(why) => ControlVerdict::NotApplicable(why.clone()),
        _ => ControlVerdict::NotRun,
    }
}

/// Whether the whole run passed: no failure on a real subject, every control run rejected.
pub fn all_passed(records: &[Record]) -> bool {
    let real_ok = records
        .iter()
        .filter(|r| !is_control(&r.subject))
        .all(|r| !r.failed());
    let controls_ok = controls_in(records).iter().all(|c| {
        DRIVERS.iter().all(|d| {
            !matches!(
                control_verdict(records, c, d),
                ControlVerdict::NotRejected(_)
            )
        })
    });
    real_ok && controls_ok
}

fn is_control(subject: &str) -> bool {
    subject.starts_with("control::")
}

fn controls_in(records: &[Record]) -> Vec<String> {
    let mut v: Vec<String> = records
        .iter()
        .filter(|r| is_control(&r.subject))
        .map(|r| r.subject.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The time `driver` spent: the sum over its checks (records of one check share its
/// duration, so each (subject, check) counts once); `None` if it produced no record.
pub fn driver_time(records: &[Record], driver: &str) -> Option<Duration> {
    let mut per_check: BTreeMap<(&str, &str), Duration> = BTreeMap::new();
    for r in records.iter().filter(|r| r.driver == driver) {
        per_check.insert((&r.subject, &r.check), r.duration);
    }
    (!per_check.is_empty()).then(|| per_check.values().sum())
}

/// Aggregates several records of one cell: any failure wins, then an expected deviation,
/// then any pass, then n/c.
fn cell(records: &[&Record]) -> &'static str {
    if records.is_empty() {
        "-"
    } else if records.iter().any(|r| r.failed()) {
        "FAIL"
    } else if records
        .iter()
        .any(|r| matches!(r.status, Status::Deviates(_)))
    {
        "dev"
    } else if records.iter().any(|r| r.status == Status::Pass) {
        "pass"
    } else {
        "n/c"
    }
}

/// The matrix columns for `records`: [`COLUMNS`], then a (version, driver) column for every
/// other version (reference implementations such as `std`) with records of that driver.
pub fn columns(records: &[Record]) -> Vec<(String, String)> {
    let mut cols: Vec<(String, String)> = COLUMNS
        .iter()
        .map(|(v, d)| ((*v).to_owned(), (*d).to_owned()))
        .collect();
    let mut extra: Vec<(String, String)> = Vec::new();
    for r in records {
        let known = ["thread", "process", "control", "-"].contains(&r.version.as_str());
        let col = (r.version.clone(), r.driver.clone());
        if !known && !extra.contains(&col) {
            extra.push(col);
        }
    }
    let rank = |d: &str| {
        DRIVERS
            .iter()
            .position(|x| *x == d)
            .unwrap_or(DRIVERS.len())
    };
    extra.sort_by(|a, b| (&a.0, rank(&a.1)).cmp(&(&b.0, rank(&b.1))));
    cols.extend(extra);
    cols
}

/// Renders the final report (the clause matrix, time per driver, controls, failures).
pub fn render(records: &[Record]) -> String {
    let mut out = String::new();
    let cols = columns(records);
    let w = cols
        .iter()
        .map(|(v, d)| v.len().max(d.len()))
        .max()
        .unwrap_or(9)
        .max(9);
    let _ = write!(out, "{:<9}", "");
    for (v, _) in &cols {
        let _ = write!(out, " {v:>w$}");
    }
    let _ = write!(out, "\n{:<9}", "clause");
    for (_, d) in &cols {
        let _ = write!(out, " {d:>w$}");
    }
    out.push('\n');
    let mut clause_ids: Vec<&str> = spec::all_clauses().map(|c| c.id).collect();
    if records.iter().any(|r| r.clause == HARNESS) {
        clause_ids.push(HARNESS);
    }
    for id in clause_ids {
        let _ = write!(out, "{id:<9}");
        for (v, d) in &cols {
            let rs: Vec<&Record> = records
                .iter()
                .filter(|r| r.clause == id && &r.version == v && &r.driver == d)
                .collect();
            let _ = write!(out, " {:>w$}", cell(&rs));
        }
        out.push('\n');
    }
    out.push_str(
        "\n(pass / FAIL / n/c = not checkable by this driver / dev = expected deviation, declared \
         by the subject / - = not run)\n\
         (no thread/processes column: a thread::Lock cannot be shared between processes; no\n\
         process/loom or process/shuttle: the checkers run in one process, where the process\n\
         version is compiled out)\n",
    );
    let nc: BTreeMap<(String, String), String> = records
        .iter()
        .filter(|r| !is_control(&r.subject))
        .filter_map(|r| match &r.status {
            Status::NotCheckable(why) => Some(((r.driver.clone(), r.clause.clone()), why.clone())),
            _ => None,
        })
        .collect();
    for ((d, c), why) in &nc {
        let _ = writeln!(out, "  n/c {c} under {d}: {why}");
    }
    let dev: BTreeMap<(String, String), String> = records
        .iter()
        .filter_map(|r| match &r.status {
            Status::Deviates(why) => Some(((r.subject.clone(), r.clause.clone()), why.clone())),
            _ => None,
        })
        .collect();
    for ((s, c), why) in &dev {
        let _ = writeln!(out, "  dev {c} of {s}: {why}");
    }

    out.push_str("\ntime per driver (sum of its checks):\n");
    for d in DRIVERS {
        if let Some(total) = driver_time(records, d) {
            let _ = writeln!(out, "  {d:<10} {:>9.2} s", total.as_secs_f64());
        }
    }

    let controls = controls_in(records);
    if !controls.is_empty() {
        out.push_str(
            "\nnegative controls (each must be rejected by every driver that can reach its bug):\n",
        );
        for c in &controls {
            let bug = crate::subject::by_name(c)
                .and_then(|s| s.control)
                .map(|k| k.bug)
                .unwrap_or("");
            let _ = writeln!(out, "  {c}: {bug}");
            for d in DRIVERS {
                let v = match control_verdict(records, c, d) {
                    ControlVerdict::Rejected(how) => format!("rejected ({how})"),
                    ControlVerdict::NotRejected(why) => format!("NOT REJECTED: {why}"),
                    ControlVerdict::NotApplicable(why) => format!("n/a ({why})"),
                    ControlVerdict::NotRun => "-".into(),
                };
                let _ = writeln!(out, "    {d:<10} {v}");
            }
        }
    }

    let fails: Vec<&Record> = records
        .iter()
        .filter(|r| r.failed() && !is_control(&r.subject))
        .collect();
    if !fails.is_empty() {
        out.push_str("\nfailures:\n");
        for r in fails {
            let msg = match &r.status {
                Status::Fail(m) => m.as_str(),
                _ => "",
            };
            let _ = writeln!(
                out,
                "  {} {} {} {}: {msg}",
                r.clause, r.subject, r.driver, r.check
            );
            if let Some(cmd) = &r.replay {
                let _ = writeln!(out, "    replay: {cmd}");
            }
        }
    }
    let _ = writeln!(
        out,
        "\nresult: {}",
        if all_passed(records) { "PASS" } else { "FAIL" }
    );
    out
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Every record as a JSON document: `{"passed": bool, "records": [...]}`.
pub fn to_json(records: &[Record]) -> String {
    let mut o = format!("{{\"passed\": {}, \"records\": [\n", all_passed(records));
    for (i, r) in records.iter().enumerate() {
        let (status, msg) = match &r.status {
            Status::Pass => ("pass", None),
            Status::Fail(m) => ("fail", Some(m)),
            Status::NotCheckable(m) => ("not-checkable", Some(m)),
            Status::Deviates(m) => ("expected-deviation", Some(m)),
        };
        let _ = write!(
            o,
            "  {{\"clause\": {}, \"subject\": {}, \"version\": {}, \"driver\": {}, \"check\": {}, \
             \"status\": {}, \"message\": {}, \"duration_s\": {:.6}, \"replay\": {}}}",
            json_str(&r.clause),
            json_str(&r.subject),
            json_str(&r.version),
            json_str(&r.driver),
            json_str(&r.check),
            json_str(status),
            msg.map_or("null".into(), |m| json_str(m)),
            r.duration.as_secs_f64(),
            r.replay.as_deref().map_or("null".into(), json_str),
        );
        o.push_str(if i + 1 < records.len() { ",\n" } else { "\n" });
    }
    o.push_str("]}\n");
    o
}
