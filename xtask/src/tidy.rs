//! `cargo xtask tidy`: mechanical source checks, also run as a `#[test]` (so plain
//! `cargo test` enforces them).
//!
//! Over every `.rs` file under `primitives/`, `conformance/`, `stress/`, `xtask/` and `tests/`:
//!
//! | rule | requirement |
//! |---|---|
//! | `header` | the file starts with a `//!` comment saying what it is |
//! | `safety` | every `unsafe` block and `unsafe impl` has a `// SAFETY:` comment on its line, within the 3 lines above, or in the comment block right above it |
//! | `facade` | nothing under `primitives/src/algo/` names `std::sync::atomic`, `core::sync::atomic`, `loom::` or `shuttle::` (algorithms use `crate::sync` only) |
//! | `todo` | no `todo` or `unimplemented` macro call |
//! | `ignore` | no bare `ignore` attribute: it must give a reason (`ignore = "why"`) |
//!
//! The scan is line-based: string literals and `//` comments are masked out before matching
//! code, and code inside doc-comment fences (` ``` `) counts as code. Files longer than
//! [`LONG_FILE`] lines are reported as notes, not failures.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::util::{project_root, Failure};

/// Directories (relative to the root) whose `.rs` files are checked.
pub const DIRS: &[&str] = &[
    "primitives",
    "conformance",
    "stress",
    "xtask",
    "tests",
    "examples",
];

/// A file past this many lines wants a split (STYLE.md, habit 2); reported as a note.
pub const LONG_FILE: usize = 600;

/// How many lines above an `unsafe` the `// SAFETY:` comment may be (when the lines between
/// are code, e.g. a multi-line expression; a comment block may be any length).
const SAFETY_WINDOW: usize = 3;

// The patterns are assembled so that this file does not trip its own checks.
const TODO: &str = concat!("todo", "!(");
const UNIMPLEMENTED: &str = concat!("unimplemented", "!(");
const IGNORE_BARE: &str = concat!("#[", "ignore]");
const SAFETY: &str = concat!("SAFETY", ":");
const FACADE_BYPASS: &[&str] = &[
    concat!("std::sync::", "atomic"),
    concat!("core::sync::", "atomic"),
    concat!("loom", "::"),
    concat!("shuttle", "::"),
];

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Path relative to the project root.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// The rule's name (see the module docs).
    pub rule: &'static str,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.path.display(),
            self.line,
            self.rule,
            self.message
        )
    }
}

/// The task's entry point.
pub fn run(args: &[String]) -> Result<(), Failure> {
    if let Some(a) = args.first() {
        return Err(Failure::usage(format!(
            "tidy takes no arguments (got {a:?})"
        )));
    }
    println!("[tidy] checking .rs files under {}", DIRS.join("/, ") + "/");
    let (files, violations, notes) = check_tree(&project_root())?;
    for n in &notes {
        println!("note: {n}");
    }
    for v in &violations {
        println!("{v}");
    }
    if violations.is_empty() {
        println!("[tidy] {files} files, no violations");
        Ok(())
    } else {
        Err(Failure::msg(format!(
            "{} violation(s) in {files} files",
            violations.len()
        )))
    }
}

/// Checks every file under [`DIRS`]; returns the file count, the violations and the notes.
pub fn check_tree(root: &Path) -> Result<(usize, Vec<Violation>, Vec<String>), Failure> {
    let mut files = Vec::new();
    for d in DIRS {
        collect_rs(&root.join(d), &mut files)?;
    }
    files.sort();
    let mut violations = Vec::new();
    let mut notes = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f)
            .map_err(|e| Failure::msg(format!("{}: {e}", f.display())))?;
        let rel = f.strip_prefix(root).unwrap_or(f);
        violations.extend(check_file(rel, &text));
        let n = text.lines().count();
        if n > LONG_FILE {
            notes.push(format!(
                "{}: {n} lines (over {LONG_FILE}: consider a split)",
                rel.display()
            ));
        }
    }
    Ok((files.len(), violations, notes))
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Failure> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Failure::msg(format!("{}: {e}", dir.display()))),
    };
    for e in entries {
        let e = e.map_err(|e| Failure::msg(format!("{}: {e}", dir.display())))?;
        let path = e.path();
        let name = e.file_name();
        let ft = e
            .file_type()
            .map_err(|err| Failure::msg(format!("{}: {err}", path.display())))?;
        if ft.is_dir() {
            // Build output and hidden directories are not sources.
            if name != "target" && !name.to_string_lossy().starts_with('.') {
                collect_rs(&path, out)?;
            }
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// What the scanner knows about one line.
#[derive(Debug, Default)]
struct Line {
    /// The line's code with string contents and comments blanked, if it holds code (a doc
    /// line counts only inside a ``` fence).
    code: Option<String>,
    /// The line is a comment (plain or doc) with no code.
    comment: bool,
    /// The line holds a `SAFETY:` comment.
    safety: bool,
}

/// Checks one file's text; `rel` is its path from the project root.
pub fn check_file(rel: &Path, text: &str) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut push = |line: usize, rule: &'static str, message: String| {
        out.push(Violation {
            path: rel.to_path_buf(),
            line,
            rule,
            message,
        })
    };
    if !text.starts_with("//!") {
        push(
            1,
            "header",
            "the file must start with a `//!` comment saying what it is".into(),
        );
    }
    let lines = scan(text);
    let in_algo = rel.starts_with("primitives/src/algo");
    for (i, l) in lines.iter().enumerate() {
        let Some(code) = &l.code else { continue };
        let n = i + 1;
        for what in unsafe_items(code) {
            if !has_safety_comment(&lines, i) {
                push(
                    n,
                    "safety",
                    format!("`unsafe {what}` without a `// SAFETY:` comment right above it"),
                );
            }
        }
        if in_algo {
            for p in FACADE_BYPASS {
                if code.contains(p) {
                    push(
                        n,
                        "facade",
                        format!("`{p}` in an algorithm: import from `crate::sync` only"),
                    );
                }
            }
        }
        for p in [TODO, UNIMPLEMENTED] {
            if contains_word(code, p) {
                push(n, "todo", format!("`{p}...)` left in the code"));
            }
        }
        let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains(IGNORE_BARE)
            || (compact.contains("cfg_attr(") && compact.contains(",ignore)"))
        {
            push(
                n,
                "ignore",
                "`ignore` without a reason: write `#[ignore = \"why\"]`".into(),
            );
        }
    }
    out
}

/// Classifies every line, masking strings (which may span lines) and comments.
fn scan(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut code_state = Mask::default();
    let mut doc_fence = false;
    for raw in text.lines() {
        let t = raw.trim_start();
        let mut l = Line {
            safety: raw.contains(SAFETY),
            ..Line::default()
        };
        let doc = (!code_state.in_string())
            .then(|| t.strip_prefix("///").or_else(|| t.strip_prefix("//!")))
            .flatten();
        if let Some(d) = doc {
            let d = d.trim_start();
            l.comment = true;
            if d.starts_with("```") {
                doc_fence = !doc_fence;
            } else if doc_fence {
                let mut m = Mask::default();
                let c = m.mask(d);
                if c.trim().is_empty() {
                    // A comment line inside the example (e.g. `// SAFETY: ...`).
                } else {
                    l.comment = false;
                    l.code = Some(c);
                }
            }
        } else {
            doc_fence = false;
            let c = code_state.mask(raw);
            if c.trim().is_empty() {
                l.comment = t.starts_with("//") || t.starts_with("/*") || t.starts_with('*');
            } else {
                l.code = Some(c);
            }
        }
        out.push(l);
    }
    out
}

/// Masks string literals (normal and raw, possibly over several lines) and comments.
#[derive(Default)]
struct Mask {
    /// Inside a string: `Some(hashes)` (a normal string has `None` hashes below).
    string: Option<StringKind>,
    block_comment: usize,
}

#[derive(Clone, Copy)]
enum StringKind {
    Normal,
    Raw(usize),
}

impl Mask {
    fn in_string(&self) -> bool {
        self.string.is_some() || self.block_comment > 0
    }

    /// The line with string contents, char literals and comments replaced by spaces.
    fn mask(&mut self, line: &str) -> String {
        let b = line.as_bytes();
        let mut out = vec![b' '; b.len()];
        let mut i = 0;
        while i < b.len() {
            if self.block_comment > 0 {
                if b[i..].starts_with(b"*/") {
                    self.block_comment -= 1;
                    i += 2;
                } else if b[i..].starts_with(b"/*") {
                    self.block_comment += 1;
                    i += 2;
                } else {
                    i += 1;
                }
                continue;
            }
            match self.string {
                Some(StringKind::Normal) => {
                    if b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == b'"' {
                        self.string = None;
                        out[i] = b'"';
                    }
                    i += 1;
                    continue;
                }
                Some(StringKind::Raw(h)) => {
                    if b[i] == b'"'
                        && b[i + 1..].iter().take(h).filter(|&&c| c == b'#').count() == h
                    {
                        self.string = None;
                        out[i] = b'"';
                        i += 1 + h;
                    } else {
                        i += 1;
                    }
                    continue;
                }
                None => {}
            }
            let rest = &b[i..];
            if rest.starts_with(b"//") {
                break;
            }
            if rest.starts_with(b"/*") {
                self.block_comment = 1;
                i += 2;
                continue;
            }
            if b[i] == b'"' {
                self.string = Some(StringKind::Normal);
                out[i] = b'"';
                i += 1;
                continue;
            }
            if b[i] == b'r' && (i == 0 || !is_ident(b[i - 1])) {
                let h = rest[1..].iter().take_while(|&&c| c == b'#').count();
                if rest.get(1 + h) == Some(&b'"') {
                    self.string = Some(StringKind::Raw(h));
                    out[i] = b'"';
                    i += 2 + h;
                    continue;
                }
            }
            if b[i] == b'\'' {
                // A char literal ('x', '\n', '"'); a lifetime has no closing quote nearby.
                let len = if rest.get(1) == Some(&b'\\') {
                    rest.iter().skip(3).position(|&c| c == b'\'').map(|p| p + 4)
                } else {
                    let ch = line[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (rest.get(1 + ch) == Some(&b'\'')).then_some(2 + ch)
                };
                if let Some(len) = len {
                    i += len;
                    continue;
                }
            }
            out[i] = b[i];
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Whether `code` contains `pat` not preceded by an identifier character.
fn contains_word(code: &str, pat: &str) -> bool {
    code.match_indices(pat)
        .any(|(i, _)| i == 0 || !is_ident(code.as_bytes()[i - 1]))
}

/// The `unsafe` blocks and impls on a (masked) code line: "block" or "impl" per occurrence.
fn unsafe_items(code: &str) -> Vec<&'static str> {
    let b = code.as_bytes();
    let mut v = Vec::new();
    for (i, _) in code.match_indices("unsafe") {
        let end = i + "unsafe".len();
        if (i > 0 && is_ident(b[i - 1])) || b.get(end).is_some_and(|&c| is_ident(c)) {
            continue;
        }
        let after = code[end..].trim_start();
        if after.starts_with('{') {
            v.push("block");
        } else if after.starts_with("impl")
            && !after[4..].starts_with(|c: char| c == '_' || c.is_alphanumeric())
        {
            v.push("impl");
        }
    }
    v
}

/// Whether the `unsafe` on line `i` is covered by a `SAFETY:` comment: on the line itself,
/// in the comment block right above (any length), or within [`SAFETY_WINDOW`] lines above
/// when the lines between are code that holds no `unsafe` of its own.
fn has_safety_comment(lines: &[Line], i: usize) -> bool {
    if lines[i].safety {
        return true;
    }
    let mut code_lines = 0;
    for l in lines[..i].iter().rev() {
        if l.safety {
            return true;
        }
        if l.comment {
            continue;
        }
        match &l.code {
            Some(c) if unsafe_items(c).is_empty() && code_lines < SAFETY_WINDOW - 1 => {
                code_lines += 1;
            }
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests;
