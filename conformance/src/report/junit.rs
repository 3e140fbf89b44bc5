//! JUnit XML for CI dashboards: one `<testsuite>` per driver, one `<testcase>` per record.
//!
//! Negative controls do not appear record by record (their failures are the point): each
//! (control, driver) pair becomes one case, `"<control> rejected by <driver>"`, which passes
//! when the driver rejected the control, fails when it did not and is skipped when the driver
//! cannot reach the control's bug. A green run therefore gives a file without failures.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::{control_verdict, controls_in, is_control, ControlVerdict, Record, Status, DRIVERS};
use crate::spec;

/// One `<testcase>` before rendering.
struct Case {
    classname: String,
    name: String,
    time: f64,
    outcome: Outcome,
}

enum Outcome {
    Pass,
    /// Message attribute, body text.
    Fail(String, String),
    Skip(String),
}

/// Escapes text for XML 1.0 content or attribute values, dropping the characters XML 1.0
/// cannot carry at all (most C0 controls, U+FFFE, U+FFFF).
fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // Kept as references so attribute-value normalisation does not turn them into
            // spaces.
            '\t' => o.push_str("&#9;"),
            '\n' => o.push_str("&#10;"),
            '\r' => o.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => o.push(c),
        }
    }
    o
}

/// `twinsync.<version>.<subject>`, each part reduced to `[A-Za-z0-9_-]` (others become `_`).
fn classname(version: &str, subject: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("twinsync.{}.{}", clean(version), clean(subject))
}

/// The cases of one driver's suite.
fn cases(records: &[Record], driver: &str) -> Vec<Case> {
    let mine: Vec<&Record> = records.iter().filter(|r| r.driver == driver).collect();
    // Records of one check share its wall time: split it over them, so the cases add up to
    // the driver's time.
    let mut per_check: BTreeMap<(&str, &str), (Duration, u32)> = BTreeMap::new();
    for r in &mine {
        let e = per_check
            .entry((&r.subject, &r.check))
            .or_insert((r.duration, 0));
        e.0 = r.duration;
        e.1 += 1;
    }
    let share = |r: &Record| {
        let (d, n) = per_check[&(r.subject.as_str(), r.check.as_str())];
        d.as_secs_f64() / f64::from(n.max(1))
    };
    let mut out = Vec::new();
    for r in mine.iter().filter(|r| !is_control(&r.subject)) {
        let outcome = match &r.status {
            Status::Pass => Outcome::Pass,
            Status::NotCheckable(why) => Outcome::Skip(why.clone()),
            Status::Deviates(why) => Outcome::Skip(format!("expected deviation: {why}")),
            Status::Fail(msg) => {
                let body = match &r.replay {
                    Some(cmd) => format!("{msg}\n\nreplay: {cmd}"),
                    None => format!("{msg}\n\n(no replay command)"),
                };
                Outcome::Fail(msg.clone(), body)
            }
        };
        out.push(Case {
            classname: classname(&r.version, &r.subject),
            name: format!("{} {}", r.clause, r.check),
            time: share(r),
            outcome,
        });
    }
    for c in controls_in(records) {
        let of_control = || mine.iter().filter(|r| r.subject == c);
        let time: f64 = of_control().map(|r| share(r)).sum();
        let version = of_control()
            .next()
            .map_or("control", |r| r.version.as_str());
        let outcome = match control_verdict(records, &c, driver) {
            ControlVerdict::NotRun => continue,
            ControlVerdict::Rejected(_) => Outcome::Pass,
            ControlVerdict::NotApplicable(why) => Outcome::Skip(why),
            ControlVerdict::NotRejected(why) => {
                let mut body = format!("negative control {c} was not rejected by {driver}: {why}");
                for r in of_control() {
                    if let (Status::Fail(m), Some(cmd)) = (&r.status, &r.replay) {
                        let _ = write!(body, "\n\n{} {}: {m}\nreplay: {cmd}", r.clause, r.check);
                    }
                }
                Outcome::Fail(format!("not rejected: {why}"), body)
            }
        };
        out.push(Case {
            classname: classname(version, &c),
            name: format!("{c} rejected by {driver}"),
            time,
            outcome,
        });
    }
    // Clauses this driver has no record for still get a case, so the catalog is complete.
    for cl in spec::all_clauses() {
        if !mine
            .iter()
            .any(|r| r.clause == cl.id && !is_control(&r.subject))
        {
            out.push(Case {
                classname: "twinsync.catalog".into(),
                name: format!("{} not checked", cl.id),
                time: 0.0,
                outcome: Outcome::Skip(format!("no {driver} check covered {} in this run", cl.id)),
            });
        }
    }
    out
}

fn write_suite(o: &mut String, name: &str, cases: &[Case]) {
    let failures = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail(..)))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skip(_)))
        .count();
    let time: f64 = cases.iter().map(|c| c.time).sum();
    let _ = writeln!(
        o,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" \
         skipped=\"{skipped}\" time=\"{time:.6}\">",
        xml(name),
        cases.len(),
    );
    for c in cases {
        let _ = write!(
            o,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.6}\"",
            xml(&c.classname),
            xml(&c.name),
            c.time
        );
        match &c.outcome {
            Outcome::Pass => o.push_str("/>\n"),
            Outcome::Skip(why) => {
                let _ = writeln!(
                    o,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml(why)
                );
            }
            Outcome::Fail(msg, body) => {
                let _ = writeln!(
                    o,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    xml(msg),
                    xml(body)
                );
            }
        }
    }
    o.push_str("  </testsuite>\n");
}

/// Every record as a JUnit XML document (one `<testsuite>` per driver that ran).
///
/// A failing record becomes a `<failure>` whose body holds the message and the replay
/// command; a not-checkable one becomes `<skipped>`; each negative control becomes one case
/// per driver, `"<control> rejected by <driver>"`, failing only if the control was not
/// rejected. Every catalog clause appears in every suite (as a skipped
/// `"<clause> not checked"` case where the driver has no record of it). The time of a check
/// that produced several records is split evenly over their cases, so a suite's `time` is
/// the sum of its cases' and matches the driver's time in the table.
///
/// ```
/// use twinsync_conformance::report::{to_junit, Record, Status};
/// let r = Record {
///     clause: "LOCK-07".into(), subject: "thread::Lock".into(), version: "thread".into(),
///     driver: "threads".into(), check: "contention".into(), status: Status::Pass,
///     duration: std::time::Duration::from_millis(5), replay: None,
/// };
/// let x = to_junit(&[r]);
/// assert!(x.contains(r#"<testcase classname="twinsync.thread.thread__Lock" name="LOCK-07 contention""#));
/// ```
pub fn to_junit(records: &[Record]) -> String {
    let mut drivers: Vec<&str> = DRIVERS.to_vec();
    for r in records {
        if !drivers.contains(&r.driver.as_str()) {
            drivers.push(&r.driver);
        }
    }
    let mut body = String::new();
    let (mut tests, mut failures, mut skipped, mut time) = (0, 0, 0, 0.0);
    let mut any = false;
    for d in drivers {
        if !records.iter().any(|r| r.driver == d) {
            continue;
        }
        any = true;
        let cs = cases(records, d);
        tests += cs.len();
        failures += cs
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Fail(..)))
            .count();
        skipped += cs
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Skip(_)))
            .count();
        time += cs.iter().map(|c| c.time).sum::<f64>();
        write_suite(&mut body, d, &cs);
    }
    if !any {
        let cs = cases(records, "none");
        tests += cs.len();
        skipped += cs.len();
        write_suite(&mut body, "none", &cs);
    }
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<testsuites name=\"twinsync-conformance\" tests=\"{tests}\" failures=\"{failures}\" \
         errors=\"0\" skipped=\"{skipped}\" time=\"{time:.6}\">"
    );
    o.push_str(&body);
    o.push_str("</testsuites>\n");
    o
}
