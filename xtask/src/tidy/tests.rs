//! Tests of the tidy checks: each rule with inputs it must reject (its negative controls)
//! and inputs it must accept, then the real tree.

use super::*;

/// Test sources spell the checked words in capitals so this file stays clean; `src`
/// turns them into the real thing.
fn src(s: &str) -> String {
    s.replace("UNSAFE", "unsafe")
        .replace("SAFE_TAG", SAFETY)
        .replace("TODO(", TODO)
        .replace("UNIMPL(", UNIMPLEMENTED)
        .replace("IGNORE_BARE", IGNORE_BARE)
}

fn rules(path: &str, text: &str) -> Vec<(usize, &'static str)> {
    check_file(Path::new(path), &src(text))
        .into_iter()
        .map(|v| (v.line, v.rule))
        .collect()
}

const P: &str = "primitives/src/x.rs";

#[test]
fn header_is_required() {
    assert_eq!(rules(P, "//! Header.\nfn f() {}\n"), []);
    assert_eq!(rules(P, "fn f() {}\n"), [(1, "header")]);
    assert_eq!(rules(P, "\n//! Late header.\n"), [(1, "header")]);
    assert_eq!(
        rules(P, "/// Item doc, not a header.\nfn f() {}\n"),
        [(1, "header")]
    );
}

#[test]
fn unsafe_block_needs_safety_comment() {
    // Rejected: no comment; a plain comment that is not a SAFETY one.
    assert_eq!(
        rules(P, "//! H\nfn f() { UNSAFE { g() } }\n"),
        [(2, "safety")]
    );
    assert_eq!(
        rules(P, "//! H\n// Calls g.\nlet x = UNSAFE{ g() };\n"),
        [(3, "safety")]
    );
    // Accepted: right above, on the line, a long comment block, an expression over lines.
    assert_eq!(rules(P, "//! H\n// SAFE_TAG fine.\nUNSAFE { g() };\n"), []);
    assert_eq!(rules(P, "//! H\nUNSAFE { g() }; // SAFE_TAG fine.\n"), []);
    let long = "//! H\n// SAFE_TAG a\n// b\n// c\n// d\n// e\nUNSAFE { g() };\n";
    assert_eq!(rules(P, long), []);
    assert_eq!(
        rules(
            P,
            "//! H\n// SAFE_TAG a\nlet x =\n    f(\n        UNSAFE { g() });\n"
        ),
        []
    );
    // Rejected: the comment is too far above, past code.
    assert_eq!(
        rules(
            P,
            "//! H\n// SAFE_TAG a\nlet a = 1;\nlet b = 2;\nlet c = 3;\nUNSAFE { g() };\n"
        ),
        [(6, "safety")]
    );
    // Rejected: the comment belongs to the previous unsafe block.
    assert_eq!(
        rules(
            P,
            "//! H\n// SAFE_TAG a\nUNSAFE { g() };\nUNSAFE { h() };\n"
        ),
        [(4, "safety")]
    );
}

#[test]
fn unsafe_impl_needs_safety_comment() {
    assert_eq!(
        rules(P, "//! H\nUNSAFE impl Send for X {}\n"),
        [(2, "safety")]
    );
    assert_eq!(
        rules(
            P,
            "//! H\n// SAFE_TAG no pointers.\nUNSAFE impl Send for X {}\n"
        ),
        []
    );
    // Neither an unsafe fn nor a word containing "unsafe" is a block.
    assert_eq!(
        rules(
            P,
            "//! H\nUNSAFE fn f() {}\nmy_UNSAFE { }\nUNSAFE_impl {}\n"
        ),
        []
    );
}

#[test]
fn unsafe_in_strings_comments_and_doc_prose_is_not_code() {
    let text = "//! H: each `UNSAFE {}` block\n\
                // an UNSAFE { in a comment\n\
                let s = \"UNSAFE { not code\";\n\
                let r = r#\"UNSAFE { \"raw\" UNSAFE {\"#;\n\
                let m = \"multi\n    UNSAFE { still a string\n\";\n\
                /// Prose about UNSAFE { blocks.\n\
                fn f() {}\n";
    assert_eq!(rules(P, text), []);
}

#[test]
fn unsafe_in_doc_examples_is_code() {
    let bad = "//! H\n/// ```\n/// let x = UNSAFE { g() };\n/// ```\nfn f() {}\n";
    assert_eq!(rules(P, bad), [(3, "safety")]);
    let good =
        "//! H\n/// ```\n/// // SAFE_TAG ok.\n/// let x = UNSAFE { g() };\n/// ```\nfn f() {}\n";
    assert_eq!(rules(P, good), []);
}

#[test]
fn algorithms_use_only_the_facade() {
    let algo = "primitives/src/algo/lock.rs";
    let text = "//! H\nuse std::sync::atomic::AtomicU32;\nuse loom::sync::Arc;\n";
    assert_eq!(rules(algo, text), [(2, "facade"), (3, "facade")]);
    assert_eq!(rules(P, text), []);
    assert_eq!(
        rules(
            algo,
            "//! H\nuse crate::sync::atomic::AtomicU32;\n// loom::x\n"
        ),
        []
    );
}

#[test]
fn todo_and_unimplemented_are_rejected() {
    assert_eq!(
        rules(P, "//! H\nfn f() { TODO() }\nfn g() { UNIMPL() }\n"),
        [(2, "todo"), (3, "todo")]
    );
    assert_eq!(rules(P, "//! H\nlet s = \"TODO()\"; // UNIMPL()\n"), []);
}

#[test]
fn ignore_needs_a_reason() {
    assert_eq!(rules(P, "//! H\nIGNORE_BARE\nfn t() {}\n"), [(2, "ignore")]);
    assert_eq!(
        rules(P, "//! H\n#[cfg_attr(miri, ignore)]\nfn t() {}\n"),
        [(2, "ignore")]
    );
    assert_eq!(
        rules(P, "//! H\n#[ignore = \"needs 5 threads\"]\nfn t() {}\n"),
        []
    );
}

#[test]
fn char_literals_do_not_open_strings() {
    assert_eq!(
        rules(P, "//! H\nlet q = '\"';\nfn f() { UNSAFE { g() } }\n"),
        [(3, "safety")]
    );
    assert_eq!(
        rules(P, "//! H\nfn f<'a>(x: &'a str) -> char { '\\'' }\n"),
        []
    );
}

/// The real tree: every rule holds in every checked file.
#[test]
fn tidy() {
    let (files, violations, _notes) = check_tree(&project_root()).unwrap();
    assert!(files > 10, "only {files} files found");
    let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(list.is_empty(), "tidy violations:\n{}", list.join("\n"));
}
