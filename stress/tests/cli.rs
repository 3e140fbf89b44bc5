//! The `twinsync-stress` binary end to end: the process version (forking from this
//! single-purpose binary, not from the test harness), the summary, the exit status.

use std::process::Command;

fn stress(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_twinsync-stress"))
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn lock_passes_with_both_versions() {
    let (code, out) = stress(&[
        "lock",
        "--workers",
        "3",
        "--seconds",
        "0.3",
        "--seed",
        "0x2a",
        "--quiet",
    ]);
    assert_eq!(code, 0, "{out}");
    for v in ["thread", "process"] {
        assert!(out.contains(&format!("lock/{v}: 3 workers")), "{out}");
        assert!(
            out.contains(&format!(
                "rerun: cargo xtask stress lock --version {v} --workers 3 --seconds 0.3 --seed 0x2a"
            )),
            "{out}"
        );
    }
    assert!(out.contains("PASS: 2 of 2 runs passed"), "{out}");
}

#[test]
fn bad_usage_exits_2() {
    let (code, out) = stress(&["lock", "--workers", "zero"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--workers \"zero\""), "{out}");
    let (code, out) = stress(&["--list"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("lock "), "{out}");
}
