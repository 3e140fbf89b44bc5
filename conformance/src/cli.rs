//! The `twinsync-conformance` command line (see the crate docs for the flags).

use std::path::PathBuf;
use std::time::Instant;

use crate::drivers::{Config, Effort};
use crate::report::{self, Record, Status, HARNESS};
use crate::subject::{self, Subject};

const USAGE: &str = "\
usage: twinsync-conformance [--quick|--full] [--driver NAME]... [--subject NAME]...
                            [--scenario NAME]... [--seed N] [--json FILE]
                            [--junit FILE] [--markdown FILE]
                            [--loom-bin PATH] [--shuttle-bin PATH] [--records-out FILE] [--list]
       twinsync-conformance --loom-child --subject NAME --scenario NAME [--quick|--full]
       twinsync-conformance --shuttle-replay FILE --subject NAME --scenario NAME
drivers: proptest threads processes (normal build), loom (--cfg twinsync_loom build),
         shuttle (--cfg twinsync_shuttle build)";

/// Parsed command line.
#[derive(Clone, Debug, Default)]
pub struct Args {
    /// `--quick` / `--full`.
    pub effort: Effort,
    /// `--driver`, repeatable (empty: all of this build's).
    pub drivers: Vec<String>,
    /// `--subject`, repeatable (empty: all).
    pub subjects: Vec<String>,
    /// `--scenario`, repeatable (empty: all).
    pub scenarios: Vec<String>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--json`.
    pub json: Option<PathBuf>,
    /// `--junit`.
    pub junit: Option<PathBuf>,
    /// `--markdown`.
    pub markdown: Option<PathBuf>,
    /// `--loom-bin`.
    pub loom_bin: Option<PathBuf>,
    /// `--shuttle-bin`.
    pub shuttle_bin: Option<PathBuf>,
    /// `--records-out`.
    pub records_out: Option<PathBuf>,
    /// `--list`.
    pub list: bool,
    /// `--loom-child`.
    pub loom_child: bool,
    /// `--shuttle-replay`.
    pub shuttle_replay: Option<PathBuf>,
}

impl Args {
    /// Parses the arguments after the program name.
    ///
    /// # Errors
    ///
    /// A message naming the bad argument.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
        let mut a = Args::default();
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value"));
            match arg.as_str() {
                "--quick" => a.effort = Effort::Quick,
                "--full" => a.effort = Effort::Full,
                "--driver" => {
                    let d = value("--driver")?;
                    if !report::DRIVERS.contains(&d.as_str()) {
                        return Err(format!("unknown driver {d:?}"));
                    }
                    a.drivers.push(d);
                }
                "--subject" => a.subjects.push(value("--subject")?),
                "--scenario" => {
                    let s = value("--scenario")?;
                    if !scenario_names().contains(&s.as_str()) {
                        return Err(format!(
                            "unknown scenario {s:?} (have: {})",
                            scenario_names().join(", ")
                        ));
                    }
                    a.scenarios.push(s);
                }
                "--seed" => {
                    let s = value("--seed")?;
                    a.seed = Some(
                        s.parse()
                            .map_err(|_| format!("--seed {s:?} is not a u64"))?,
                    );
                }
                "--json" => a.json = Some(value("--json")?.into()),
                "--junit" => a.junit = Some(value("--junit")?.into()),
                "--markdown" => a.markdown = Some(value("--markdown")?.into()),
                "--loom-bin" => a.loom_bin = Some(value("--loom-bin")?.into()),
                "--shuttle-bin" => a.shuttle_bin = Some(value("--shuttle-bin")?.into()),
                "--records-out" => a.records_out = Some(value("--records-out")?.into()),
                "--list" => a.list = true,
                "--loom-child" => a.loom_child = true,
                "--shuttle-replay" => a.shuttle_replay = Some(value("--shuttle-replay")?.into()),
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(a)
    }

    fn config(&self) -> Config {
        Config {
            effort: self.effort,
            seed: self.seed,
            scenarios: self.scenarios.clone(),
            progress: true,
            child_exe: None,
        }
    }

    fn wants(&self, driver: &str) -> bool {
        self.drivers.is_empty() || self.drivers.iter().any(|d| d == driver)
    }
}

/// The drivers this build can run itself.
pub fn own_drivers() -> &'static [&'static str] {
    if cfg!(twinsync_loom) {
        &["loom"]
    } else if cfg!(twinsync_shuttle) {
        &["shuttle"]
    } else {
        &["proptest", "threads", "processes"]
    }
}

fn subjects(a: &Args) -> Result<Vec<Subject>, String> {
    let all = subject::builtin();
    for s in &a.subjects {
        if !all.iter().any(|x| x.name == s) {
            let names: Vec<&str> = all.iter().map(|x| x.name).collect();
            return Err(format!(
                "no subject {s:?} in this build (have: {})",
                names.join(", ")
            ));
        }
    }
    Ok(all
        .into_iter()
        .filter(|s| a.subjects.is_empty() || a.subjects.iter().any(|n| n == s.name))
        .collect())
}

/// Every scenario name of every built-in subject, once each.
fn scenario_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for s in subject::builtin() {
        for i in (s.scenarios)() {
            if !names.contains(&i.name) {
                names.push(i.name);
            }
        }
    }
    names
}

fn list() {
    println!("clauses:");
    for c in crate::spec::all_clauses() {
        println!("  {}  {}", c.id, c.text);
        match c.python {
            crate::spec::Python::Same => println!("           Python threading: same"),
            crate::spec::Python::Deviates(d) => println!("           deviates from Python: {d}"),
            crate::spec::Python::Beyond(d) => println!("           beyond Python: {d}"),
        }
    }
    println!(
        "drivers: {} (this build: {})",
        report::DRIVERS.join(", "),
        own_drivers().join(", ")
    );
    println!("scenarios: {}", scenario_names().join(", "));
    println!("subjects in this build:");
    for s in subject::builtin() {
        match s.control {
            Some(c) => println!("  {}  (negative control: {})", s.name, c.bug),
            None => println!("  {}", s.name),
        }
    }
}

/// Runs one of this build's drivers.
pub fn run_driver(driver: &str, cfg: &Config, subjects: &[Subject]) -> Vec<Record> {
    match driver {
        #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
        "proptest" => crate::drivers::proptest::run(cfg, subjects),
        #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
        "threads" => crate::drivers::threads::run(cfg, subjects),
        #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
        "processes" => crate::drivers::processes::run(cfg, subjects),
        #[cfg(twinsync_loom)]
        "loom" => crate::drivers::loom::run(cfg, subjects),
        #[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
        "shuttle" => crate::drivers::shuttle::run(cfg, subjects),
        _ => Vec::new(),
    }
}

fn harness_record(driver: &str, msg: String) -> Record {
    Record {
        clause: HARNESS.into(),
        subject: "-".into(),
        version: "-".into(),
        driver: driver.into(),
        check: "child build".into(),
        status: Status::Fail(msg),
        duration: Default::default(),
        replay: None,
    }
}

/// Runs a child build (`--loom-bin` / `--shuttle-bin`) and reads back its records.
fn run_child_bin(bin: &std::path::Path, driver: &str, a: &Args) -> Vec<Record> {
    let out = std::env::temp_dir().join(format!(
        "twinsync-conformance-{}-{driver}.records",
        std::process::id()
    ));
    let mut cmd = std::process::Command::new(bin);
    cmd.arg(a.effort.flag()).arg("--records-out").arg(&out);
    if let Some(s) = a.seed {
        cmd.args(["--seed", &s.to_string()]);
    }
    for s in &a.subjects {
        cmd.args(["--subject", s]);
    }
    for s in &a.scenarios {
        cmd.args(["--scenario", s]);
    }
    eprintln!("== {driver}: running {}", bin.display());
    match cmd.status() {
        Err(e) => {
            return vec![harness_record(
                driver,
                format!("cannot run {}: {e}", bin.display()),
            )]
        }
        Ok(st) if st.code().is_none() => {
            return vec![harness_record(
                driver,
                format!("{} died: {st}", bin.display()),
            )];
        }
        Ok(_) => {}
    }
    let text = match std::fs::read_to_string(&out) {
        Ok(t) => t,
        Err(e) => {
            return vec![harness_record(
                driver,
                format!("{} wrote no records: {e}", bin.display()),
            )]
        }
    };
    let _ = std::fs::remove_file(&out);
    let mut recs = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        match Record::from_line(line) {
            Some(r) => recs.push(r),
            None => recs.push(harness_record(
                driver,
                format!("unreadable record line {line:?}"),
            )),
        }
    }
    recs
}

/// Runs the command line; returns the process exit status.
pub fn main(args: impl IntoIterator<Item = String>) -> i32 {
    let a = match Args::parse(args) {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}");
            }
            eprintln!("{USAGE}");
            return if e.is_empty() { 0 } else { 2 };
        }
    };
    if a.list {
        list();
        return 0;
    }
    let subjects = match subjects(&a) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if a.loom_child || a.shuttle_replay.is_some() {
        return child_mode(&a, &subjects);
    }
    for d in &a.drivers {
        let via_bin =
            (d == "loom" && a.loom_bin.is_some()) || (d == "shuttle" && a.shuttle_bin.is_some());
        if !own_drivers().contains(&d.as_str()) && !via_bin {
            eprintln!("error: driver {d} is not in this build and no --{d}-bin was given\n{USAGE}");
            return 2;
        }
    }
    let cfg = a.config();
    let mut records = Vec::new();
    for d in own_drivers().iter().filter(|d| a.wants(d)) {
        eprintln!("== {d}: start ({:?})", cfg.effort);
        let t0 = Instant::now();
        let recs = run_driver(d, &cfg, &subjects);
        eprintln!("== {d}: done in {:.1} s", t0.elapsed().as_secs_f64());
        records.extend(recs);
    }
    for (driver, bin) in [("loom", &a.loom_bin), ("shuttle", &a.shuttle_bin)] {
        if let (Some(bin), true) = (bin, a.wants(driver)) {
            let t0 = Instant::now();
            records.extend(run_child_bin(bin, driver, &a));
            eprintln!("== {driver}: done in {:.1} s", t0.elapsed().as_secs_f64());
        }
    }
    let passed = report::all_passed(&records);
    if let Some(path) = &a.records_out {
        let text: String = records.iter().map(|r| r.to_line() + "\n").collect();
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return 2;
        }
        return i32::from(!passed);
    }
    print!("{}", report::render(&records));
    type Writer = fn(&[Record]) -> String;
    let writers: [(&Option<PathBuf>, Writer); 3] = [
        (&a.json, report::to_json),
        (&a.junit, report::to_junit),
        (&a.markdown, report::to_markdown),
    ];
    for (path, render) in writers {
        if let Some(path) = path {
            if let Err(e) = std::fs::write(path, render(&records)) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return 2;
            }
        }
    }
    i32::from(!passed)
}

fn child_mode(a: &Args, subjects: &[Subject]) -> i32 {
    let (Some(subj), [scn]) = (
        subjects.first().filter(|_| subjects.len() == 1),
        &a.scenarios[..],
    ) else {
        eprintln!("error: child mode needs exactly one --subject and one --scenario\n{USAGE}");
        return 2;
    };
    if a.loom_child {
        #[cfg(twinsync_loom)]
        {
            let b = crate::drivers::loom::Budget::of(a.effort);
            (subj.entry.loom_child)(scn, &b);
            return 0;
        }
        #[cfg(not(twinsync_loom))]
        {
            let _ = (subj, scn);
            eprintln!("error: --loom-child needs the --cfg twinsync_loom build");
            return 2;
        }
    }
    #[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
    if let Some(file) = &a.shuttle_replay {
        crate::drivers::shuttle::replay_subject(subj, scn, file);
        eprintln!("the schedule replayed without failing");
        return 0;
    }
    let _ = (subj, scn);
    eprintln!("error: --shuttle-replay needs the --cfg twinsync_shuttle build");
    2
}
