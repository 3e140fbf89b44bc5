//! The Queue and Pipe families under the threads and proptest drivers: twinsync's Queues and
//! Pipes pass, and the Queue and Pipe negative controls are rejected for the right reason.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))]

use twinsync_conformance::controls::{ConsumingPoll, DropEmpty, SilentPut, SixWrap};
use twinsync_conformance::drivers::{self, Config, Effort};
use twinsync_conformance::families::Pipes;
use twinsync_conformance::report::{control_verdict, ControlVerdict, Record, Status};
use twinsync_conformance::subject::Subject;

fn quick() -> Config {
    Config {
        effort: Effort::Quick,
        ..Config::default()
    }
}

fn subjects() -> Vec<Subject> {
    vec![
        Subject::local::<twinsync::thread::Queue<u64>>(),
        Subject::local::<twinsync::process::Queue<u64>>(),
        Subject::local::<Pipes<twinsync::thread::Connection<Vec<u8>>>>(),
        Subject::local::<Pipes<twinsync::process::Connection<Vec<u8>>>>(),
        Subject::local::<SilentPut>(),
        Subject::local::<SixWrap>(),
        Subject::local::<DropEmpty>(),
        Subject::local::<ConsumingPoll>(),
    ]
}

fn check(records: &[Record], driver: &str, controls: &[(&str, &str)]) {
    for real in [
        "thread::Queue",
        "process::Queue",
        "thread::Pipe",
        "process::Pipe",
    ] {
        let mine: Vec<&Record> = records.iter().filter(|r| r.subject == real).collect();
        assert!(
            mine.iter().all(|r| !r.failed()),
            "{driver}: {real} failed: {mine:#?}"
        );
        assert!(
            mine.iter().filter(|r| r.status == Status::Pass).count() >= 8,
            "{driver}: too few clauses passed on {real}"
        );
    }
    for (control, clause) in controls {
        let v = control_verdict(records, control, driver);
        assert!(
            matches!(&v, ControlVerdict::Rejected(why) if why.contains(clause)),
            "{driver}: {control} should be rejected on {clause}, is {v:?}"
        );
    }
}

#[test]
fn threads_driver_passes_queues_and_pipes_and_rejects_their_controls() {
    let recs = drivers::threads::run(&quick(), &subjects());
    check(
        &recs,
        "threads",
        &[
            ("control::SilentPut", "QUEUE-06"),
            ("control::SixWrap", "QUEUE-02"),
            ("control::DropEmpty", "PIPE-01"),
            ("control::ConsumingPoll", "PIPE-01"),
        ],
    );
}

#[test]
fn proptest_driver_passes_queues_and_pipes_and_rejects_the_sequential_controls() {
    let recs = drivers::proptest::run(&quick(), &subjects());
    check(
        &recs,
        "proptest",
        &[
            ("control::SixWrap", "QUEUE-02"),
            ("control::DropEmpty", "PIPE-01"),
            ("control::ConsumingPoll", "PIPE-01"),
        ],
    );
}
