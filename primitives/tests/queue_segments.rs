//! Segments with a trailing region (`Shared::*_with_trailing`) and the Queue's attach checks:
//! the header records the total size, `open` refuses a total larger than the object and a
//! Queue whose capacity or message size is out of range or does not fit, before touching
//! the ring.
//!
//! The bad objects are made with raw `shm_open`, as a stray or hostile process would.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))] // uses the process version

use std::ffi::CString;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use twinsync::process::{self, Shared, ABI_VERSION, HEADER_SIZE, KIND_QUEUE, MAGIC};
use twinsync::{Error, LockApi, QueueApi, SegmentError};

/// Creates `name` (mode 0600) with `bytes` as its whole contents; returns the raw fd.
fn raw_object(name: &str, bytes: &[u8]) -> libc::c_int {
    let c = CString::new(name).unwrap();
    // SAFETY: valid C string; a new object.
    let fd = unsafe {
        libc::shm_open(
            c.as_ptr(),
            libc::O_CREAT | libc::O_EXCL | libc::O_RDWR,
            0o600,
        )
    };
    assert!(fd >= 0, "shm_open: {}", std::io::Error::last_os_error());
    // SAFETY: writes from a live buffer to the fd we just opened.
    let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
    assert_eq!(n, bytes.len() as isize);
    fd
}

fn close(fd: libc::c_int) {
    // SAFETY: closes a descriptor this test owns.
    unsafe { libc::close(fd) };
}

/// A ready Queue header claiming `total` bytes, followed by a QueueSegment with `capacity`
/// and `max_message` (64 bytes: head, tail, capacity, mark, two u64 counters, three wait
/// points, max_message), followed by `trailing` zero bytes.
fn queue_object(total: u64, capacity: u32, max_message: u64, trailing: usize) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&MAGIC.to_le_bytes());
    for v in [ABI_VERSION, KIND_QUEUE, 64, 8, 0x5245_4459, 1] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&total.to_le_bytes());
    b.resize(HEADER_SIZE, 0);
    let mark = capacity
        .saturating_add(1)
        .checked_next_power_of_two()
        .unwrap_or(0);
    for v in [0, 0, capacity, mark] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.resize(HEADER_SIZE + 56, 0);
    b.extend_from_slice(&max_message.to_le_bytes());
    b.resize(HEADER_SIZE + 64 + trailing, 0);
    b
}

fn open_refusal(bytes: &[u8]) -> SegmentError {
    let name = process::unique_name("tw-queue-seg").unwrap();
    let fd = raw_object(&name, bytes);
    let r = process::Queue::<u64>::open(&name);
    close(fd);
    process::unlink(&name).unwrap();
    match r {
        Err(Error::Segment { error, .. }) => error,
        Err(e) => panic!("expected a segment error, got {e}"),
        Ok(_) => panic!("a bad queue segment was accepted"),
    }
}

#[test]
#[serial_test::serial(shm)]
fn trailing_region_round_trip() {
    let name = process::unique_name("tw-queue-seg").unwrap();
    let a = Shared::create_with_trailing(&name, AtomicU64::new(5), 1000, |s| {
        assert_eq!(s.trailing_len(), 1000);
        // SAFETY: 1000 bytes, not yet visible to anyone else.
        unsafe { s.trailing_ptr().add(999).write(42) };
    })
    .unwrap();
    let b = Shared::<AtomicU64>::open(&name).unwrap();
    process::unlink(&name).unwrap();
    assert_eq!(b.trailing_len(), 1000);
    assert_eq!(b.trailing_ptr() as usize % 64, 0);
    // SAFETY: in bounds; nobody writes it concurrently.
    assert_eq!(unsafe { b.trailing_ptr().add(999).read() }, 42);
    a.fetch_add(1, Relaxed);
    assert_eq!(b.load(Relaxed), 6);

    // No trailing region: the fixed API is unchanged.
    let plain = Shared::new(AtomicU32::new(1)).unwrap();
    assert_eq!(plain.trailing_len(), 0);
    let anon = Shared::new_with_trailing(AtomicU32::new(1), 10, |_| {}).unwrap();
    assert_eq!(anon.trailing_len(), 10);
}

#[test]
#[serial_test::serial(shm)]
fn a_well_formed_raw_queue_segment_is_accepted() {
    // Positive control for the refusals below: capacity 4, max 8 → stamps 64 + 4 × 16 slots.
    let ring = 64 + 4 * 16;
    let total = (HEADER_SIZE + 64 + ring) as u64;
    let mut bytes = queue_object(total, 4, 8, ring);
    // Stamps of an empty ring at lap 0: slot i holds i.
    for i in 0..4u32 {
        let at = HEADER_SIZE + 64 + 4 * i as usize;
        bytes[at..at + 4].copy_from_slice(&i.to_ne_bytes());
    }
    let name = process::unique_name("tw-queue-seg").unwrap();
    let fd = raw_object(&name, &bytes);
    let q = process::Queue::<u64>::open(&name).expect("well-formed segment refused");
    close(fd);
    process::unlink(&name).unwrap();
    assert_eq!((q.capacity(), q.max_message()), (4, 8));
    q.put(7).unwrap();
    assert_eq!(q.get().unwrap(), 7);
}

#[test]
#[serial_test::serial(shm)]
fn bad_queue_segments_are_refused_before_use() {
    let ring = 64 + 4 * 16;
    let fixed = (HEADER_SIZE + 64) as u64;

    // The header claims more bytes than the object has.
    let e = open_refusal(&queue_object(fixed + ring as u64, 4, 8, 0));
    assert!(
        matches!(e, SegmentError::Truncated { size, needed } if size < needed),
        "{e:?}"
    );

    // The object and header agree, but the ring they hold is too small for the capacity.
    let e = open_refusal(&queue_object(fixed + 64, 4, 8, 64));
    assert!(matches!(e, SegmentError::Truncated { .. }), "{e:?}");

    // Capacity 0, a huge capacity, a huge message size: out of range.
    for (cap, max) in [(0, 8), (u32::MAX, 8), (4, u64::MAX)] {
        let e = open_refusal(&queue_object(fixed + ring as u64, cap, max, ring));
        assert!(matches!(e, SegmentError::WrongLayout { .. }), "{e:?}");
    }
}

#[test]
#[serial_test::serial(shm)]
fn a_lock_is_not_a_queue_and_a_queue_is_not_a_lock() {
    let name = process::unique_name("tw-queue-seg").unwrap();
    let lock = process::Lock::create(&name).unwrap();
    assert!(matches!(
        process::Queue::<u64>::open(&name),
        Err(Error::Segment {
            error: SegmentError::WrongKind { .. },
            ..
        })
    ));
    lock.acquire();
    process::unlink(&name).unwrap();
    let _q = process::Queue::<u64>::create(&name, 2, 8).unwrap();
    assert!(matches!(
        process::Lock::open(&name),
        Err(Error::Segment {
            error: SegmentError::WrongKind { .. },
            ..
        })
    ));
    process::unlink(&name).unwrap();
}
