//! What every task needs: the project root, the target directories, a printed command runner
//! and a failure type that carries an exit code.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// Why a task failed, and the exit code `cargo xtask` leaves with.
#[derive(Debug)]
pub struct Failure {
    /// The process exit code (2 for bad usage, a failed child's own code when there is one).
    pub code: u8,
    /// What went wrong, one line.
    pub message: String,
}

impl Failure {
    /// A command line the task does not understand (exit code 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
        }
    }

    /// Anything else (exit code 1).
    pub fn msg(message: impl Into<String>) -> Failure {
        Failure {
            code: 1,
            message: message.into(),
        }
    }
}

/// The workspace root: the parent of this crate's manifest directory.
pub fn project_root() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    dir.parent().unwrap_or(dir).to_path_buf()
}

/// Cargo's target directory for normal builds: `$CARGO_TARGET_DIR` when set (relative to the
/// project root, where every command runs), otherwise `<root>/target`. The checker builds go
/// to its `loom/` and `shuttle/` subdirectories, so with the default this is exactly
/// `target/`, `target/loom/`, `target/shuttle/`.
pub fn target_dir() -> PathBuf {
    let root = project_root();
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => root.join(d),
        _ => root.join("target"),
    }
}

/// `$CARGO`, the cargo that runs this xtask, or `cargo` from `PATH`.
pub fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// A checker cfg: the RUSTFLAGS addition and the target subdirectory of its builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checker {
    /// `--cfg twinsync_loom`, built into `<target>/loom`.
    Loom,
    /// `--cfg twinsync_shuttle`, built into `<target>/shuttle`.
    Shuttle,
}

impl Checker {
    /// The cfg name.
    pub fn cfg(self) -> &'static str {
        match self {
            Checker::Loom => "twinsync_loom",
            Checker::Shuttle => "twinsync_shuttle",
        }
    }

    /// Lower-case name, also the target subdirectory.
    pub fn name(self) -> &'static str {
        match self {
            Checker::Loom => "loom",
            Checker::Shuttle => "shuttle",
        }
    }

    /// The target directory of this checker's builds.
    pub fn target_dir(self) -> PathBuf {
        target_dir().join(self.name())
    }
}

/// A command that is printed (`$ ...`) before it runs, in the project root.
pub struct Cmd {
    program: OsString,
    shown_program: String,
    args: Vec<OsString>,
    env: Vec<(String, OsString)>,
    dir: PathBuf,
}

impl Cmd {
    /// `program` with no arguments, to run in the project root.
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        let program = program.as_ref().to_os_string();
        Cmd {
            shown_program: shown_path(Path::new(&program)),
            program,
            args: Vec::new(),
            env: Vec::new(),
            dir: project_root(),
        }
    }

    /// Cargo (see [`cargo_program`]), shown as `cargo`.
    pub fn cargo() -> Cmd {
        let mut c = Cmd::new(cargo_program());
        c.shown_program = "cargo".into();
        c
    }

    /// Appends one argument.
    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Cmd {
        self.args.push(a.as_ref().to_os_string());
        self
    }

    /// Appends arguments.
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Cmd {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Sets an environment variable for the command (shown in the printed line).
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Cmd {
        self.env
            .push((key.to_owned(), value.as_ref().to_os_string()));
        self
    }

    /// Builds with `--cfg <checker>` appended to the rustflags the caller already has, and
    /// with `--target-dir <target>/<checker>`.
    pub fn checker(self, checker: Checker) -> Cmd {
        self.checker_in(checker, checker.target_dir())
    }

    /// As [`checker`](Self::checker), with `--target-dir dir`.
    pub fn checker_in(self, checker: Checker, dir: PathBuf) -> Cmd {
        let cmd = match std::env::var("CARGO_ENCODED_RUSTFLAGS") {
            // Cargo prefers CARGO_ENCODED_RUSTFLAGS over RUSTFLAGS; extend the one it reads.
            Ok(enc) if !enc.is_empty() => {
                let v = format!("{enc}\x1f--cfg\x1f{}", checker.cfg());
                self.env("CARGO_ENCODED_RUSTFLAGS", v)
            }
            _ => {
                let v = append_rustflags(
                    std::env::var("RUSTFLAGS").ok().as_deref(),
                    &format!("--cfg {}", checker.cfg()),
                );
                self.env("RUSTFLAGS", v)
            }
        };
        cmd.arg("--target-dir").arg(dir)
    }

    /// The command as a shell line, paths under the project root shown relative to it.
    pub fn display(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.env {
            let _ = write!(
                s,
                "{k}={} ",
                quote(&v.to_string_lossy().replace('\x1f', " "))
            );
        }
        s.push_str(&self.shown_program);
        for a in &self.args {
            s.push(' ');
            s.push_str(&quote(&shown_path(Path::new(a))));
        }
        s
    }

    /// Prints and runs the command, stdin/stdout/stderr inherited; returns its status.
    pub fn status(&self) -> Result<ExitStatus, Failure> {
        println!("$ {}", self.display());
        let mut c = Command::new(&self.program);
        c.args(&self.args).current_dir(&self.dir);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.status()
            .map_err(|e| Failure::msg(format!("cannot run {}: {e}", self.shown_program)))
    }

    /// Prints and runs the command; a non-zero exit is a [`Failure`] with the child's code.
    pub fn run(&self) -> Result<(), Failure> {
        let status = self.status()?;
        check_status(&self.display(), status)
    }
}

/// `Ok` for success, otherwise a failure carrying the command's exit code (128 + signal
/// number for a signal, as shells report it).
pub fn check_status(what: &str, status: ExitStatus) -> Result<(), Failure> {
    if status.success() {
        return Ok(());
    }
    Err(Failure {
        code: exit_code(status),
        message: format!("`{what}` failed ({status})"),
    })
}

/// The exit code a shell would report for `status`, clamped to 1..=255.
pub fn exit_code(status: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    let code = match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    };
    u8::try_from(code).ok().filter(|&c| c != 0).unwrap_or(1)
}

/// Appends `extra` to an existing RUSTFLAGS value.
pub fn append_rustflags(existing: Option<&str>, extra: &str) -> String {
    match existing.map(str::trim) {
        Some(e) if !e.is_empty() => format!("{e} {extra}"),
        _ => extra.to_owned(),
    }
}

/// A path shown relative to the project root when it is under it.
fn shown_path(p: &Path) -> String {
    let root = project_root();
    match p.strip_prefix(&root) {
        Ok(rel) if p.is_absolute() && !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => p.display().to_string(),
    }
}

/// Quotes a word for the printed shell line when it needs it.
fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Formats a duration in seconds with one decimal.
pub fn secs(d: std::time::Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustflags_are_appended_not_replaced() {
        assert_eq!(append_rustflags(None, "--cfg x"), "--cfg x");
        assert_eq!(append_rustflags(Some("  "), "--cfg x"), "--cfg x");
        assert_eq!(
            append_rustflags(Some("-C target-cpu=native"), "--cfg x"),
            "-C target-cpu=native --cfg x"
        );
    }

    #[test]
    fn printed_command_is_a_shell_line() {
        let c = Cmd::cargo()
            .env("RUSTFLAGS", "--cfg twinsync_loom")
            .args(["build", "--release"])
            .arg(project_root().join("target/loom"));
        assert_eq!(
            c.display(),
            "RUSTFLAGS='--cfg twinsync_loom' cargo build --release target/loom"
        );
    }

    #[test]
    fn root_holds_the_workspace() {
        assert!(project_root().join("Cargo.toml").is_file());
        assert!(project_root().join("xtask/src/main.rs").is_file());
    }

    #[test]
    fn exit_codes_follow_the_shell() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 137); // SIGKILL
        assert!(check_status("x", ExitStatus::from_raw(0)).is_ok());
        assert_eq!(
            check_status("x", ExitStatus::from_raw(1 << 8))
                .unwrap_err()
                .code,
            1
        );
    }
}
