//! The `--junit` and `--markdown` writers, on hand-made records: the JUnit file is
//! well-formed XML (checked by a small parser below, itself shown to reject broken XML), its
//! counts match its cases, every clause appears, failures carry their replay commands and
//! correctly rejected controls are green; the Markdown has its tables and escaped pipes.

use std::time::Duration;

use twinsync_conformance::report::{self, to_junit, to_markdown, Record, Status};
use twinsync_conformance::spec;

// ---------------------------------------------------------------- a minimal XML 1.0 reader

#[derive(Debug, Default)]
struct Elem {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Elem>,
    text: String,
}

impl Elem {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    fn num(&self, k: &str) -> usize {
        self.attr(k)
            .unwrap_or_else(|| panic!("<{}> has no {k}", self.name))
            .parse()
            .unwrap()
    }
    fn secs(&self, k: &str) -> f64 {
        self.attr(k).unwrap().parse().unwrap()
    }
    fn child(&self, name: &str) -> Option<&Elem> {
        self.children.iter().find(|c| c.name == name)
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

fn legal_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        let ctx: String = self.rest().chars().take(30).collect();
        Err(format!("{what} at byte {} ({ctx:?})", self.pos))
    }
    fn eat(&mut self, t: &str) -> bool {
        let hit = self.rest().starts_with(t);
        if hit {
            self.pos += t.len();
        }
        hit
    }
    fn ws(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.pos += n;
    }
    fn name(&mut self) -> Result<String, String> {
        let n: String = self
            .rest()
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
            .collect();
        if n.is_empty() || n.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') {
            return self.err("bad name");
        }
        self.pos += n.len();
        Ok(n)
    }
    /// Character data up to `stop`, entity references decoded; a raw `<` or `&` is an error.
    fn chars_until(&mut self, stop: char) -> Result<String, String> {
        let mut out = String::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                return self.err("unexpected end");
            };
            if c == stop {
                return Ok(out);
            }
            if !legal_xml_char(c) {
                return self.err("illegal character");
            }
            match c {
                '<' => return self.err("raw <"),
                '&' => {
                    let end = self.rest().find(';').filter(|&e| e <= 10);
                    let Some(end) = end else {
                        return self.err("raw &");
                    };
                    let ent = &self.rest()[1..end];
                    let ch = match ent {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        _ => {
                            let code = if let Some(h) = ent.strip_prefix("#x") {
                                u32::from_str_radix(h, 16).ok()
                            } else if let Some(d) = ent.strip_prefix('#') {
                                d.parse().ok()
                            } else {
                                None
                            };
                            match code.and_then(char::from_u32).filter(|&c| legal_xml_char(c)) {
                                Some(c) => c,
                                None => return self.err("bad reference"),
                            }
                        }
                    };
                    out.push(ch);
                    self.pos += end + 1;
                }
                c => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }
    fn misc(&mut self) -> Result<(), String> {
        loop {
            self.ws();
            if self.eat("<!--") {
                let Some(e) = self.rest().find("-->") else {
                    return self.err("open comment");
                };
                self.pos += e + 3;
            } else {
                return Ok(());
            }
        }
    }
    fn element(&mut self) -> Result<Elem, String> {
        if !self.eat("<") {
            return self.err("expected <");
        }
        let mut e = Elem {
            name: self.name()?,
            ..Elem::default()
        };
        loop {
            let before = self.pos;
            self.ws();
            if self.eat("/>") {
                return Ok(e);
            }
            if self.eat(">") {
                break;
            }
            if self.pos == before {
                return self.err("expected whitespace before an attribute");
            }
            let k = self.name()?;
            if e.attrs.iter().any(|(n, _)| *n == k) {
                return self.err("duplicate attribute");
            }
            self.ws();
            if !self.eat("=") {
                return self.err("expected =");
            }
            self.ws();
            let q = match self.rest().chars().next() {
                Some(q @ ('"' | '\'')) => q,
                _ => return self.err("unquoted attribute"),
            };
            self.pos += 1;
            let v = self.chars_until(q)?;
            self.pos += 1;
            e.attrs.push((k, v));
        }
        loop {
            let t = self.chars_until('<')?;
            e.text.push_str(&t);
            if self.rest().starts_with("<!--") {
                self.misc()?;
            } else if self.eat("</") {
                let n = self.name()?;
                self.ws();
                if n != e.name || !self.eat(">") {
                    return self.err(&format!("</{n}> does not close <{}>", e.name));
                }
                return Ok(e);
            } else {
                e.children.push(self.element()?);
            }
        }
    }
}

/// Parses a whole document: optional declaration, comments, exactly one root element.
fn parse_xml(s: &str) -> Result<Elem, String> {
    let mut p = Parser { s, pos: 0 };
    if p.eat("<?xml") {
        let Some(e) = p.rest().find("?>") else {
            return p.err("open declaration");
        };
        p.pos += e + 2;
    }
    p.misc()?;
    let root = p.element()?;
    p.misc()?;
    if !p.rest().is_empty() {
        return p.err("content after the root element");
    }
    Ok(root)
}

#[test]
fn the_xml_checker_rejects_broken_documents() {
    assert!(parse_xml("<?xml version=\"1.0\"?>\n<a x=\"&lt;&#10;\"><b/>t&amp;t</a>\n").is_ok());
    for bad in [
        "<a><b></a></b>",
        "<a>",
        "<a></a><a></a>",
        "<a x=\"1\" x=\"2\"/>",
        "<a x=\"<\"/>",
        "<a>&</a>",
        "<a>&bogus;</a>",
        "<a>\u{1}</a>",
        "<a>&#1;</a>",
        "<a x=1/>",
        "<a x=\"1\"y=\"2\"/>",
        "<a></b>",
    ] {
        assert!(parse_xml(bad).is_err(), "accepted {bad:?}");
    }
}

// ---------------------------------------------------------------- the records

const NASTY: &str = "holders <1> & <2> said \"both\" 'at once' | \u{1}\u{FFFF}end\nline two";
const NASTY_CLEAN: &str = "holders <1> & <2> said \"both\" 'at once' | end\nline two";
const REPLAY: &str =
    "twinsync-conformance --driver threads --subject thread::Lock --scenario mutual_exclusion";

fn rec(
    clause: &str,
    subject: &str,
    driver: &str,
    check: &str,
    status: Status,
    ms: u64,
    replay: Option<&str>,
) -> Record {
    let version = subject.split("::").next().unwrap();
    Record {
        clause: clause.into(),
        subject: subject.into(),
        version: version.into(),
        driver: driver.into(),
        check: check.into(),
        status,
        duration: Duration::from_millis(ms),
        replay: replay.map(Into::into),
    }
}

/// A green run: passes, an n/c, a control rejected, a control out of the driver's reach.
fn green() -> Vec<Record> {
    let nc = || Status::NotCheckable("needs two threads".into());
    vec![
        rec(
            "LOCK-01",
            "thread::Lock",
            "proptest",
            "sequences",
            Status::Pass,
            30,
            None,
        ),
        rec(
            "LOCK-05",
            "thread::Lock",
            "proptest",
            "sequences",
            Status::Pass,
            30,
            None,
        ),
        rec(
            "LOCK-07",
            "thread::Lock",
            "proptest",
            "sequences",
            nc(),
            30,
            None,
        ),
        rec(
            "LOCK-07",
            "process::Lock",
            "threads",
            "mutual_exclusion",
            Status::Pass,
            200,
            None,
        ),
        rec(
            "LOCK-11",
            "process::Lock",
            "threads",
            "mutual_exclusion",
            Status::Pass,
            200,
            None,
        ),
        rec(
            "LOCK-05",
            "control::LaxRelease",
            "proptest",
            "sequences",
            Status::Fail("release of a free lock returned Ok".into()),
            10,
            Some("twinsync-conformance --driver proptest --subject control::LaxRelease --seed 7"),
        ),
        rec(
            "LOCK-01",
            "control::LaxRelease",
            "proptest",
            "sequences",
            Status::Pass,
            10,
            None,
        ),
        rec(
            "LOCK-08",
            "control::ForgetfulWake",
            "proptest",
            "sequences",
            nc(),
            0,
            None,
        ),
    ]
}

/// The green run plus a real failure (with awkward characters) and a control not rejected.
fn red() -> Vec<Record> {
    let mut v = green();
    v.push(rec(
        "LOCK-07",
        "thread::Lock",
        "threads",
        "mutual_exclusion",
        Status::Fail(NASTY.into()),
        400,
        Some(REPLAY),
    ));
    v.push(rec(
        "LOCK-07",
        "control::SplitAcquire",
        "threads",
        "mutual_exclusion",
        Status::Pass,
        50,
        None,
    ));
    v
}

fn cases(root: &Elem) -> impl Iterator<Item = (&Elem, &Elem)> {
    root.children
        .iter()
        .flat_map(|s| s.children.iter().map(move |c| (s, c)))
}

fn find<'a>(root: &'a Elem, name: &str) -> &'a Elem {
    cases(root)
        .map(|(_, c)| c)
        .find(|c| c.attr("name") == Some(name))
        .unwrap_or_else(|| panic!("no test case {name:?}"))
}

/// Structure shared by every JUnit file: suites per driver, counts, times, clauses.
fn check_junit(records: &[Record]) -> Elem {
    let text = to_junit(records);
    let root = parse_xml(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(root.name, "testsuites");
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for suite in &root.children {
        assert_eq!(suite.name, "testsuite");
        let driver = suite.attr("name").unwrap();
        if records.is_empty() {
            assert_eq!(driver, "none");
        } else {
            assert!(records.iter().any(|r| r.driver == driver), "{driver}");
        }
        let n_fail = suite
            .children
            .iter()
            .filter(|c| c.child("failure").is_some())
            .count();
        let n_skip = suite
            .children
            .iter()
            .filter(|c| c.child("skipped").is_some())
            .count();
        assert!(suite.children.iter().all(|c| c.name == "testcase"));
        assert_eq!(suite.num("tests"), suite.children.len(), "{driver}");
        assert_eq!(suite.num("failures"), n_fail, "{driver}");
        assert_eq!(suite.num("skipped"), n_skip, "{driver}");
        let sum: f64 = suite.children.iter().map(|c| c.secs("time")).sum();
        let want = report::driver_time(records, driver).map_or(0.0, |t| t.as_secs_f64());
        assert!((suite.secs("time") - want).abs() < 1e-5, "{driver}");
        assert!((sum - want).abs() < 1e-4, "{driver}: cases {sum} vs {want}");
        for clause in spec::all_clauses() {
            let prefix = format!("{} ", clause.id);
            assert!(
                suite
                    .children
                    .iter()
                    .any(|c| c.attr("name").unwrap().starts_with(&prefix)),
                "{driver}: {} missing",
                clause.id
            );
        }
        tests += suite.children.len();
        failures += n_fail;
        skipped += n_skip;
    }
    assert_eq!(root.num("tests"), tests);
    assert_eq!(root.num("failures"), failures);
    assert_eq!(root.num("skipped"), skipped);
    // Real records map one to one onto cases, with the sanitised class name.
    for r in records.iter().filter(|r| r.version != "control") {
        let name = format!("{} {}", r.clause, r.check);
        let class = format!("twinsync.{}.{}__Lock", r.version, r.version);
        let found = cases(&root).any(|(s, c)| {
            s.attr("name") == Some(r.driver.as_str())
                && c.attr("name") == Some(name.as_str())
                && c.attr("classname") == Some(class.as_str())
        });
        assert!(found, "no case for {r:?}");
    }
    // Control records never appear one by one.
    assert!(
        cases(&root).all(|(_, c)| !c.attr("name").unwrap().starts_with("LOCK-")
            || !c.attr("classname").unwrap().contains("control"))
    );
    root
}

#[test]
fn a_green_run_gives_a_green_junit_file() {
    let records = green();
    assert!(report::all_passed(&records));
    let root = check_junit(&records);
    assert_eq!(root.num("failures"), 0);
    let lax = find(&root, "control::LaxRelease rejected by proptest");
    assert!(lax.children.is_empty(), "a rejected control passes");
    assert_eq!(
        lax.attr("classname"),
        Some("twinsync.control.control__LaxRelease")
    );
    let fw = find(&root, "control::ForgetfulWake rejected by proptest");
    assert_eq!(
        fw.child("skipped").and_then(|s| s.attr("message")),
        Some("needs two threads")
    );
    let nc = find(&root, "LOCK-07 sequences");
    assert_eq!(
        nc.child("skipped").unwrap().attr("message"),
        Some("needs two threads")
    );
}

#[test]
fn a_red_run_carries_its_failures_and_replays() {
    let records = red();
    assert!(!report::all_passed(&records));
    let root = check_junit(&records);
    assert_eq!(root.num("failures"), 2);
    let threads = root
        .children
        .iter()
        .find(|s| s.attr("name") == Some("threads"))
        .unwrap();
    let failed: Vec<&Elem> = threads
        .children
        .iter()
        .filter(|c| c.attr("classname") == Some("twinsync.thread.thread__Lock"))
        .collect();
    assert_eq!(failed.len(), 1);
    let f = failed[0].child("failure").unwrap();
    assert_eq!(failed[0].attr("name"), Some("LOCK-07 mutual_exclusion"));
    assert_eq!(
        f.attr("message"),
        Some(NASTY_CLEAN),
        "escaped and stripped, newline kept"
    );
    assert!(
        f.text.contains(NASTY_CLEAN) && f.text.contains(REPLAY),
        "{}",
        f.text
    );
    let split = find(&root, "control::SplitAcquire rejected by threads");
    let sf = split
        .child("failure")
        .expect("a control not rejected fails");
    assert!(sf.attr("message").unwrap().contains("not rejected"));
    // The raw text has no stray special characters outside markup.
    let text = to_junit(&records);
    assert!(!text.contains('\u{1}') && !text.contains('\u{FFFF}'));
}

#[test]
fn no_records_still_lists_the_catalog() {
    let root = check_junit(&[]);
    assert_eq!(root.num("failures"), 0);
    assert_eq!(root.num("tests"), spec::all_clauses().count());
}

#[test]
fn markdown_summary() {
    let md = to_markdown(&green());
    assert!(
        md.starts_with("## twinsync conformance: **PASS**\n"),
        "{md}"
    );
    assert!(
        !md.contains("| **FAIL** |") && !md.contains("NOT REJECTED"),
        "{md}"
    );
    assert!(!md.contains("### Failures"));

    let md = to_markdown(&red());
    assert!(md.contains("## twinsync conformance: **FAIL**"), "{md}");
    let header = md
        .lines()
        .find(|l| l.starts_with("| clause |"))
        .expect("clause table header");
    assert_eq!(header.matches(" / ").count(), report::COLUMNS.len());
    for clause in spec::all_clauses() {
        assert!(
            md.contains(&format!("\n| {} |", clause.id)),
            "{}",
            clause.id
        );
    }
    let row7 = md.lines().find(|l| l.starts_with("| LOCK-07 |")).unwrap();
    // thread/threads failed; process/threads passed.
    assert!(
        row7.contains("| **FAIL** |") && row7.contains("| pass |"),
        "{row7}"
    );
    assert!(
        md.contains("| driver | time (s) |\n|---|---:|\n| proptest | 0.04 |\n| threads | 0.65 |"),
        "{md}"
    );
    assert!(md.contains("| control | bug |"));
    let lax = md
        .lines()
        .find(|l| l.starts_with("| control::LaxRelease |"))
        .unwrap();
    assert!(lax.contains("rejected (LOCK-05 in sequences)"), "{lax}");
    let split = md
        .lines()
        .find(|l| l.starts_with("| control::SplitAcquire |"))
        .unwrap();
    assert!(split.contains("**NOT REJECTED**"), "{split}");
    // Every table row has as many unescaped pipes as its header.
    for table in md.split("\n\n").filter(|b| b.starts_with('|')) {
        let pipes = |l: &str| l.replace("\\|", "").matches('|').count();
        let first = pipes(table.lines().next().unwrap());
        assert!(table.lines().all(|l| pipes(l) == first), "{table}");
    }
    let failure = md
        .lines()
        .find(|l| l.starts_with("- `LOCK-07`"))
        .expect("failure line");
    assert!(
        failure.contains("\\| end<br>line two"),
        "pipe escaped: {failure}"
    );
    assert!(
        failure.contains("&lt;1>") && !failure.contains('\u{1}'),
        "{failure}"
    );
    assert!(md.contains(&format!("  - replay: `{REPLAY}`")), "{md}");
}
