//! Unit tests that need crate-private access: an [`Entry`] whose constructor is not in
//! `.init_array`, to exercise the parent's side of "entry not registered".

use super::entry::Ctor;
use super::*;

fn never_called(_: &[u8]) {
    unreachable!("no constructor can dispatch to this entry")
}

extern "C" fn not_a_constructor() {}

/// Deliberately not placed in `.init_array`: a spawned process cannot find this entry.
static NOT_A_CONSTRUCTOR: Ctor = not_a_constructor;
static UNREGISTERED: Entry = Entry::__new(
    "twinsync::worker::tests::UNREGISTERED",
    never_called,
    &NOT_A_CONSTRUCTOR,
);

#[test]
#[serial_test::serial(shm)]
fn spawning_an_unregistered_entry_fails_at_start() {
    match Worker::start(Kind::Process(StartMethod::Spawn), &UNREGISTERED, b"x") {
        Err(Error::EntryNotRegistered { name }) => assert_eq!(name, UNREGISTERED.name()),
        other => panic!("expected EntryNotRegistered, got {other:?}"),
    }
}

#[test]
fn the_same_entry_still_runs_as_a_thread() {
    fn ok(_: &[u8]) {}
    static NO_CTOR: Ctor = not_a_constructor;
    static THREAD_ONLY: Entry = Entry::__new("tests::THREAD_ONLY", ok, &NO_CTOR);
    let w = Worker::start(Kind::Thread, &THREAD_ONLY, b"").unwrap();
    assert_eq!(w.join().unwrap(), Exit::Ok);
}
