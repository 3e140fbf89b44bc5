//! Attaching to a named segment that is not what it claims: each case gives its typed
//! [`SegmentError`], never a crash or a misread.
//!
//! The bad objects are made with raw `shm_open`, as a stray or hostile process would.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))] // uses the process version

use std::ffi::CString;
use std::sync::atomic::AtomicU64;

mod support;

use support::Names;
use twinsync::process::{self, Lock, Shared, ABI_VERSION, HEADER_SIZE, MAGIC};
use twinsync::{Error, LockApi, SegmentError};

/// Creates `name` with `mode` and `bytes` as its whole contents; returns the raw fd.
fn raw_object(name: &str, mode: libc::mode_t, bytes: &[u8]) -> libc::c_int {
    let c = CString::new(name).unwrap();
    // SAFETY: valid C string; a new object.
    let fd = unsafe {
        libc::shm_open(
            c.as_ptr(),
            libc::O_CREAT | libc::O_EXCL | libc::O_RDWR,
            mode,
        )
    };
    assert!(fd >= 0, "shm_open: {}", std::io::Error::last_os_error());
    // SAFETY: fd is open; the umask may have cut the mode, so set it explicitly.
    assert_eq!(unsafe { libc::fchmod(fd, mode) }, 0);
    // SAFETY: writes from a live buffer.
    let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
    assert_eq!(n, bytes.len() as isize);
    fd
}

fn close(fd: libc::c_int) {
    // SAFETY: closes a descriptor this test owns.
    unsafe { libc::close(fd) };
}

/// A header as the creator writes it: magic, version, kind, size, align, ready, pid.
fn header(magic: u64, version: u32, kind: u32, size: u32, align: u32, ready: bool) -> Vec<u8> {
    let mut h = Vec::with_capacity(HEADER_SIZE + 64);
    h.extend_from_slice(&magic.to_le_bytes());
    for v in [
        version,
        kind,
        size,
        align,
        if ready { 0x5245_4459 } else { 0 },
        1,
    ] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.resize(HEADER_SIZE + 64, 0);
    h
}

fn refusal(name: &str) -> SegmentError {
    match Lock::open(name) {
        Err(Error::Segment { error, .. }) => error,
        Err(e) => panic!("expected a segment error, got {e}"),
        Ok(_) => panic!("a bad segment was accepted"),
    }
}

fn case(mode: libc::mode_t, bytes: &[u8]) -> (String, SegmentError) {
    let names = Names::new(&["tw-hostile"]);
    let name = &names[0];
    let fd = raw_object(name, mode, bytes);
    let err = refusal(name);
    close(fd);
    process::unlink(name).unwrap();
    (name.clone(), err)
}

const LOCK_KIND: u32 = process::KIND_LOCK;

/// The header of a well-formed, ready Lock segment.
fn good_header() -> Vec<u8> {
    header(MAGIC, ABI_VERSION, LOCK_KIND, 4, 4, true)
}

#[test]
#[serial_test::serial(shm)]
fn a_well_formed_raw_header_is_accepted() {
    // The positive control for the cases below: the same bytes with nothing wrong attach.
    let names = Names::new(&["tw-hostile"]);
    let name = &names[0];
    let fd = raw_object(name, 0o600, &good_header());
    let lock = Lock::open(name).expect("well-formed segment refused");
    assert!(!lock.locked());
    assert!(lock.try_acquire());
    close(fd);
    process::unlink(name).unwrap();
}

#[test]
#[serial_test::serial(shm)]
fn each_bad_segment_gets_its_typed_error() {
    let good = |b: &mut Vec<u8>| *b = good_header();
    let mut b = Vec::new();
    good(&mut b);

    let (_, e) = case(0o600, &b"garbage!".repeat(16));
    assert!(
        matches!(e, SegmentError::BadMagic { found } if &found == b"garbage!"),
        "{e:?}"
    );

    let (_, e) = case(
        0o600,
        &header(MAGIC, ABI_VERSION + 1, LOCK_KIND, 4, 4, true),
    );
    assert_eq!(
        e,
        SegmentError::AbiVersion {
            found: ABI_VERSION + 1,
            expected: ABI_VERSION
        }
    );

    let (_, e) = case(
        0o600,
        &header(MAGIC, ABI_VERSION, process::KIND_USER, 4, 4, true),
    );
    assert_eq!(
        e,
        SegmentError::WrongKind {
            found: process::KIND_USER,
            expected: LOCK_KIND
        }
    );

    let (_, e) = case(0o600, &header(MAGIC, ABI_VERSION, LOCK_KIND, 8, 4, true));
    assert_eq!(
        e,
        SegmentError::WrongLayout {
            found: (8, 4),
            expected: (4, 4)
        }
    );

    let (_, e) = case(0o600, &header(MAGIC, ABI_VERSION, LOCK_KIND, 4, 4, false));
    assert_eq!(e, SegmentError::NotReady);

    // An object of zero bytes (created, never sized): a creator that died early.
    let (_, e) = case(0o600, &[]);
    assert!(
        matches!(e, SegmentError::Truncated { size: 0, .. }),
        "{e:?}"
    );

    // Shorter than header + state: refused before mapping, so no access can fault.
    let (_, e) = case(0o600, &b[..HEADER_SIZE]);
    assert!(
        matches!(e, SegmentError::Truncated { size, .. } if size == HEADER_SIZE),
        "{e:?}"
    );

    // Pre-created by someone else with permissions for group or others.
    for mode in [0o644, 0o660, 0o606] {
        let (_, e) = case(mode, &b);
        assert_eq!(e, SegmentError::LoosePermissions { mode });
    }
}

#[test]
#[serial_test::serial(shm)]
fn a_segment_owned_by_another_user_is_refused() {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        // Only root can give an object away; as another user this case cannot be built.
        eprintln!("skipped: needs root to chown the object");
        return;
    }
    let names = Names::new(&["tw-hostile"]);
    let name = &names[0];
    let fd = raw_object(name, 0o600, &good_header());
    // SAFETY: fd is open; as root we may give the object to uid/gid 65534 (nobody).
    assert_eq!(unsafe { libc::fchown(fd, 65534, 65534) }, 0);
    let e = refusal(name);
    assert_eq!(
        e,
        SegmentError::WrongOwner {
            owner: 65534,
            expected: 0
        }
    );
    close(fd);
    process::unlink(name).unwrap();
}

#[test]
#[serial_test::serial(shm)]
fn name_errors_are_typed() {
    for bad in ["no-slash", "/", "/a/b", "/nul\0byte"] {
        assert!(
            matches!(Lock::open(bad), Err(Error::InvalidName { .. })),
            "{bad:?}"
        );
        assert!(
            matches!(Lock::create(bad), Err(Error::InvalidName { .. })),
            "{bad:?}"
        );
    }
    let long = format!("/{}", "x".repeat(251));
    assert!(matches!(
        Lock::create(&long),
        Err(Error::InvalidName { .. })
    ));
    let missing = process::unique_name("tw-hostile").unwrap();
    assert!(matches!(
        Shared::<AtomicU64>::open(&missing),
        Err(Error::Segment {
            error: SegmentError::NotFound,
            ..
        })
    ));
    assert!(matches!(
        process::unlink(&missing),
        Err(Error::Segment {
            error: SegmentError::NotFound,
            ..
        })
    ));
}

#[test]
fn errors_say_what_is_wrong() {
    let e = Error::Segment {
        name: "/x".into(),
        error: SegmentError::LoosePermissions { mode: 0o644 },
    };
    assert!(e.to_string().contains("644"), "{e}");
    let e = Error::Segment {
        name: "/x".into(),
        error: SegmentError::WrongKind {
            found: process::KIND_USER,
            expected: LOCK_KIND,
        },
    };
    assert!(
        e.to_string().contains("USER") && e.to_string().contains("LOCK"),
        "{e}"
    );
}
