//! A Markdown summary for a pull request: the result, the clause x version x driver table,
//! the time per driver, the negative controls and the failures with their replay commands.

use std::fmt::Write as _;

use super::{
    all_passed, cell, columns, control_verdict, controls_in, driver_time, is_control,
    ControlVerdict, Record, Status, DRIVERS, HARNESS,
};
use crate::spec;

/// Makes text safe in a table cell: `|` escaped, `&` and `<` as references (so a type name
/// like `<T as LockApi>` is not taken for HTML), line breaks turned into `<br>`, other
/// control characters dropped.
fn cell_text(s: &str) -> String {
    let s: String = s
        .chars()
        .filter(|&c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .filter(|&c| c != '\u{FFFE}' && c != '\u{FFFF}')
        .collect();
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}

/// A code span holding `s` verbatim (line breaks become spaces): fenced with one more
/// backtick than the longest run inside, padded when `s` starts or ends with a backtick.
/// Not for table cells (a `|` would end the cell).
fn code(s: &str) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    let mut longest = 0;
    let mut run = 0;
    for c in one_line.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{one_line}{pad}{fence}")
}

/// Every record as a Markdown summary for a pull request.
///
/// ```
/// use twinsync_conformance::report::{to_markdown, Record, Status};
/// let r = Record {
///     clause: "LOCK-07".into(), subject: "thread::Lock".into(), version: "thread".into(),
///     driver: "threads".into(), check: "contention".into(),
///     status: Status::Fail("a | b".into()),
///     duration: std::time::Duration::from_millis(5), replay: Some("twinsync-conformance --driver threads".into()),
/// };
/// let md = to_markdown(&[r]);
/// assert!(md.contains("**FAIL**") && md.contains("a \\| b"));
/// ```
pub fn to_markdown(records: &[Record]) -> String {
    let mut o = String::new();
    let passed = all_passed(records);
    let _ = writeln!(
        o,
        "## twinsync conformance: **{}**\n",
        if passed { "PASS" } else { "FAIL" }
    );
    let fails: Vec<&Record> = records
        .iter()
        .filter(|r| r.failed() && !is_control(&r.subject))
        .collect();
    let _ = writeln!(
        o,
        "{} records, {} failures, {} not checkable.\n",
        records.len(),
        fails.len(),
        records
            .iter()
            .filter(|r| !is_control(&r.subject) && matches!(r.status, Status::NotCheckable(_)))
            .count()
    );

    let cols = columns(records);
    o.push_str("### Clauses\n\n| clause |");
    for (v, d) in &cols {
        let _ = write!(o, " {v} / {d} |");
    }
    o.push_str("\n|---|");
    for _ in &cols {
        o.push_str(":---:|");
    }
    o.push('\n');
    let mut ids: Vec<&str> = spec::all_clauses().map(|c| c.id).collect();
    if records.iter().any(|r| r.clause == HARNESS) {
        ids.push(HARNESS);
    }
    for id in ids {
        let _ = write!(o, "| {} |", cell_text(id));
        for (v, d) in &cols {
            let rs: Vec<&Record> = records
                .iter()
                .filter(|r| r.clause == id && &r.version == v && &r.driver == d)
                .collect();
            let c = match cell(&rs) {
                "FAIL" => "**FAIL**",
                other => other,
            };
            let _ = write!(o, " {c} |");
        }
        o.push('\n');
    }
    o.push_str(
        "\npass / **FAIL** / n/c = not checkable by this driver / dev = expected deviation \
         (declared by the subject) / - = not run\n",
    );

    o.push_str("\n### Time per driver\n\n| driver | time (s) |\n|---|---:|\n");
    for d in DRIVERS {
        if let Some(t) = driver_time(records, d) {
            let _ = writeln!(o, "| {d} | {:.2} |", t.as_secs_f64());
        }
    }

    let controls = controls_in(records);
    if !controls.is_empty() {
        o.push_str("\n### Negative controls\n\n| control | bug |");
        for d in DRIVERS {
            let _ = write!(o, " {d} |");
        }
        o.push_str("\n|---|---|");
        for _ in DRIVERS {
            o.push_str("---|");
        }
        o.push('\n');
        let mut not_rejected = Vec::new();
        for c in &controls {
            let bug = crate::subject::by_name(c)
                .and_then(|s| s.control)
                .map(|k| k.bug)
                .unwrap_or("");
            let _ = write!(o, "| {} | {} |", cell_text(c), cell_text(bug));
            for d in DRIVERS {
                let v = match control_verdict(records, c, d) {
                    ControlVerdict::Rejected(how) => format!("rejected ({})", cell_text(&how)),
                    ControlVerdict::NotRejected(why) => {
                        not_rejected.push((c.as_str(), d, why));
                        "**NOT REJECTED**".into()
                    }
                    ControlVerdict::NotApplicable(why) => format!("n/a ({})", cell_text(&why)),
                    ControlVerdict::NotRun => "-".into(),
                };
                let _ = write!(o, " {v} |");
            }
            o.push('\n');
        }
        if !not_rejected.is_empty() {
            o.push_str("\nControls not rejected (the run fails):\n\n");
            for (c, d, why) in not_rejected {
                let _ = writeln!(o, "- {} by {d}: {}", code(c), cell_text(&why));
            }
        }
    }

    if !fails.is_empty() {
        o.push_str("\n### Failures\n\n");
        for r in fails {
            let msg = match &r.status {
                Status::Fail(m) => m.as_str(),
                _ => "",
            };
            let _ = writeln!(
                o,
                "- {} {} ({} / {}, {}): {}",
                code(&r.clause),
                code(&r.subject),
                cell_text(&r.version),
                cell_text(&r.driver),
                cell_text(&r.check),
                cell_text(msg)
            );
            match &r.replay {
                Some(cmd) => {
                    let _ = writeln!(o, "  - replay: {}", code(cmd));
                }
                None => o.push_str("  - no replay command\n"),
            }
        }
    }
    o
}
