//! RwLock: both versions through generic checks (errors, try and timeout forms, guards),
//! real threads (exclusion, readers overlapping, no writer starvation, a writer unlock
//! letting every waiting reader in, a writer's timeout letting readers in), and two spawned
//! processes sharing a named lock.
//!
//! Synchronization is by the lock itself or by polling counters, never by sleeping; only
//! timeouts are measured.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))] // uses the process version

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{until, Names};
use twinsync::process::{self, Shared};
use twinsync::worker::{Exit, Kind, StartMethod, Worker};
use twinsync::{thread, Error, RwLockApi, SegmentError};

const SHORT: Duration = Duration::from_millis(20);

fn not_held<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::NotHeld))
}

// ---- sequential ---------------------------------------------------------------------------

fn basics<L: RwLockApi>(lock: &L) {
    assert!(not_held(lock.release_read()));
    assert!(not_held(lock.release_write()));
    assert_eq!((lock.readers(), lock.write_locked()), (0, false));
    // Readers share, and exclude a writer.
    lock.acquire_read();
    assert!(lock.try_acquire_read());
    assert!(lock.acquire_read_timeout(Duration::ZERO).unwrap());
    assert_eq!(lock.readers(), 3);
    assert!(!lock.try_acquire_write());
    assert!(not_held(lock.release_write()));
    let t0 = Instant::now();
    assert!(!lock.acquire_write_timeout(SHORT).unwrap());
    assert!(t0.elapsed() >= SHORT);
    // The writer that gave up does not hold back new readers.
    assert!(lock.try_acquire_read());
    for _ in 0..4 {
        lock.release_read().unwrap();
    }
    assert!(not_held(lock.release_read()));
    // A writer excludes everyone.
    lock.acquire_write();
    assert!(lock.write_locked());
    assert!(!lock.try_acquire_write() && !lock.try_acquire_read());
    assert!(not_held(lock.release_read()));
    let t0 = Instant::now();
    assert!(!lock.acquire_read_timeout(SHORT).unwrap());
    assert!(!lock.acquire_write_timeout(SHORT).unwrap());
    assert!(t0.elapsed() >= 2 * SHORT);
    for r in [
        lock.acquire_read_timeout(Duration::MAX),
        lock.acquire_write_timeout(Duration::MAX),
    ] {
        assert!(matches!(r, Err(Error::TimeoutTooLarge { .. })));
    }
    assert!(lock.write_locked());
    lock.release_write().unwrap();
    assert!(not_held(lock.release_write()));
    assert!(lock.acquire_write_timeout(Duration::ZERO).unwrap());
    lock.release_write().unwrap();
    // Guards, and failed guard attempts that must not release someone else's hold.
    {
        let _r = lock.read();
        assert!(lock.try_write().is_none());
        assert!(lock
            .write_timeout(Duration::from_millis(1))
            .unwrap()
            .is_none());
        let r2 = lock
            .read_timeout(Duration::from_millis(1))
            .unwrap()
            .unwrap();
        assert_eq!(r2.lock().readers(), 2);
    }
    assert_eq!(lock.readers(), 0);
    {
        let _w = lock.write();
        assert!(lock.try_read().is_none());
        assert!(lock
            .read_timeout(Duration::from_millis(1))
            .unwrap()
            .is_none());
        assert!(lock.write_locked());
    }
    assert!(!lock.write_locked());
    let w = lock.try_write().unwrap();
    drop(w);
    assert!(lock.try_read().is_some());
    assert_eq!((lock.readers(), lock.write_locked()), (0, false));
}

#[test]
fn thread_basics() {
    let lock = thread::RwLock::new();
    basics(&lock);
    let _w = lock.write();
    // SAFETY: gettid cannot fail.
    assert_eq!(lock.writer(), Some(unsafe { libc::gettid() } as u32));
}

#[test]
fn process_basics() {
    let lock = process::RwLock::new().unwrap();
    basics(&lock);
    assert_eq!(lock.writer(), None);
}

#[test]
fn release_from_another_thread() {
    let lock = Arc::new(thread::RwLock::new());
    lock.acquire_write();
    let l2 = Arc::clone(&lock);
    std::thread::spawn(move || l2.release_write().unwrap())
        .join()
        .unwrap();
    assert!(!lock.write_locked());
}

// ---- threads ------------------------------------------------------------------------------

/// Who is inside, and a counter only writers change (split increments).
#[derive(Default)]
struct Inside {
    readers: AtomicU64,
    writers: AtomicU64,
    value: AtomicU64,
    overlaps: AtomicU64,
}

impl Inside {
    fn write_section(&self) {
        if self.writers.fetch_add(1, Relaxed) != 0 || self.readers.load(Relaxed) != 0 {
            self.overlaps.fetch_add(1, Relaxed);
        }
        let v = self.value.load(Relaxed);
        self.value.store(v + 1, Relaxed);
        self.writers.fetch_sub(1, Relaxed);
    }

    fn read_section(&self) {
        self.readers.fetch_add(1, Relaxed);
        let v = self.value.load(Relaxed);
        std::hint::spin_loop();
        if self.writers.load(Relaxed) != 0 || self.value.load(Relaxed) != v {
            self.overlaps.fetch_add(1, Relaxed);
        }
        self.readers.fetch_sub(1, Relaxed);
    }
}

/// Readers never see a writer inside, writers are alone, and no increment is lost.
fn exclusion<L: RwLockApi + Send + Sync + 'static>(lock: L) {
    const THREADS: u64 = 4;
    const ROUNDS: u64 = 20_000;
    let s = Arc::new((lock, Inside::default()));
    let hs: Vec<_> = (0..THREADS)
        .map(|t| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                for i in 0..ROUNDS {
                    // Every thread writes one round in four, in different phases.
                    if (i + t) % 4 == 0 {
                        let _g = s.0.write();
                        s.1.write_section();
                    } else {
                        let _g = s.0.read();
                        s.1.read_section();
                    }
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(s.1.overlaps.load(Relaxed), 0, "a writer was not alone");
    assert_eq!(
        s.1.value.load(Relaxed),
        THREADS * ROUNDS / 4,
        "lost updates"
    );
}

#[test]
fn thread_exclusion() {
    exclusion(thread::RwLock::new());
}

#[test]
fn process_exclusion_in_threads() {
    exclusion(process::RwLock::new().unwrap());
}

/// Two readers really hold the lock at once: each waits, holding it, for the other.
fn readers_overlap<L: RwLockApi + Send + Sync + 'static>(lock: L) {
    let s = Arc::new((lock, AtomicU64::new(0)));
    let hs: Vec<_> = (0..2)
        .map(|_| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                let _g = s.0.read();
                s.1.fetch_add(1, Relaxed);
                until("both readers inside", || s.1.load(Relaxed) == 2);
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
}

#[test]
fn readers_overlap_both_versions() {
    readers_overlap(thread::RwLock::new());
    readers_overlap(process::RwLock::new().unwrap());
}

/// Readers keep the lock read-held without a gap, in a relay: each holds its read lock until
/// another reader has entered after it. Without writer preference the read count would never
/// drop to 0 and the writer would starve; with it, a waiting writer makes `try_read` fail,
/// which ends the relay, and the writer must get in.
fn writer_not_starved<L: RwLockApi + Send + Sync + 'static>(lock: L) {
    const READERS: usize = 3;
    /// This many relay entries without the writer getting in means starvation.
    const CAP: u64 = 200_000;
    // (lock, the writer got in, entries)
    let s = Arc::new((lock, AtomicBool::new(false), AtomicU64::new(0)));
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                while !s.1.load(Relaxed) {
                    let _g = s.0.read();
                    let me = s.2.fetch_add(1, Relaxed);
                    assert!(me < CAP, "the writer starved");
                    // Hold until the next reader is in, the writer got in, or a writer waits.
                    while s.2.load(Relaxed) == me + 1 && !s.1.load(Relaxed) {
                        match s.0.try_read() {
                            Some(again) => drop(again),
                            None => break, // a writer waits (no writer holds: we do read)
                        }
                        std::thread::yield_now();
                    }
                }
            })
        })
        .collect();
    // Start writing only once the relay runs.
    until("readers relay", || s.2.load(Relaxed) > 100);
    {
        let _w = s.0.write();
        s.1.store(true, Relaxed);
    }
    for r in readers {
        r.join().unwrap();
    }
}

#[test]
fn thread_writer_not_starved() {
    writer_not_starved(thread::RwLock::new());
}

#[test]
fn process_writer_not_starved() {
    writer_not_starved(process::RwLock::new().unwrap());
}

/// Readers blocked behind a writer all get in when it unlocks: each then holds its read
/// lock until all hold one at once (a write unlock that woke one reader would hang here).
fn write_unlock_wakes_all_readers<L: RwLockApi + Send + Sync + 'static>(lock: L) {
    const READERS: u64 = 3;
    let s = Arc::new((lock, AtomicU64::new(0), AtomicU64::new(0)));
    s.0.acquire_write();
    let hs: Vec<_> = (0..READERS)
        .map(|_| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                s.1.fetch_add(1, Relaxed);
                let _g = s.0.read();
                s.2.fetch_add(1, Relaxed);
                until("all readers inside together", || {
                    s.2.load(Relaxed) == READERS
                });
            })
        })
        .collect();
    until("readers about to block", || s.1.load(Relaxed) == READERS);
    assert_eq!(s.2.load(Relaxed), 0, "a reader got in past a writer");
    s.0.release_write().unwrap();
    for h in hs {
        h.join().unwrap();
    }
}

#[test]
fn write_unlock_wakes_all_readers_both_versions() {
    write_unlock_wakes_all_readers(thread::RwLock::new());
    write_unlock_wakes_all_readers(process::RwLock::new().unwrap());
}

/// A reader blocked behind a waiting writer gets in when that writer times out (the writer
/// gives up its claim), while the first reader still holds the lock.
fn writer_timeout_lets_readers_in<L: RwLockApi + Send + Sync + 'static>(lock: L) {
    let s = Arc::new(lock);
    s.acquire_read();
    let writer = {
        let s = Arc::clone(&s);
        std::thread::spawn(move || s.acquire_write_timeout(Duration::from_millis(100)))
    };
    // A reader refused while only a reader holds: the writer waits. (A guard obtained
    // meanwhile is dropped at once.)
    until("the writer waits", || s.try_read().is_none());
    let reader = {
        let s = Arc::clone(&s);
        std::thread::spawn(move || {
            s.acquire_read();
            s.release_read().unwrap();
        })
    };
    assert!(!writer.join().unwrap().unwrap());
    reader.join().unwrap();
    assert_eq!(s.readers(), 1);
    s.release_read().unwrap();
}

#[test]
fn writer_timeout_lets_readers_in_both_versions() {
    writer_timeout_lets_readers_in(thread::RwLock::new());
    writer_timeout_lets_readers_in(process::RwLock::new().unwrap());
}

// ---- processes ----------------------------------------------------------------------------

const PROC_ROUNDS: u64 = 20_000;
type Slots = [AtomicU64; 4]; // readers inside, writers inside, value, overlaps

fn open(arg: &[u8]) -> (Shared<Slots>, process::RwLock) {
    let text = std::str::from_utf8(arg).expect("argument is UTF-8");
    let (slots, lock) = text.split_once('\n').expect("two names");
    (
        Shared::open(slots).expect("open slots"),
        process::RwLock::open(lock).expect("open lock"),
    )
}

fn process_rounds(arg: &[u8]) {
    let (s, lock) = open(arg);
    for i in 0..PROC_ROUNDS {
        if i % 4 == 0 {
            let _g = lock.write();
            if s[1].fetch_add(1, Relaxed) != 0 || s[0].load(Relaxed) != 0 {
                s[3].fetch_add(1, Relaxed);
            }
            let v = s[2].load(Relaxed);
            s[2].store(v + 1, Relaxed);
            s[1].fetch_sub(1, Relaxed);
        } else {
            let _g = lock.read();
            s[0].fetch_add(1, Relaxed);
            let v = s[2].load(Relaxed);
            if s[1].load(Relaxed) != 0 || s[2].load(Relaxed) != v {
                s[3].fetch_add(1, Relaxed);
            }
            s[0].fetch_sub(1, Relaxed);
        }
    }
}
twinsync::entry_point!(static ROUNDS = process_rounds);

#[test]
#[serial_test::serial(shm)]
fn two_processes_exclude_and_share() {
    let names = Names::new(&["tw-rwlock-slots"; 2]);
    let slots = Shared::<Slots>::create(&names[0], Default::default()).unwrap();
    let _lock = process::RwLock::create(&names[1]).unwrap();
    let arg = format!("{}\n{}", names[0], names[1]);
    let workers: Vec<Worker> = (0..2)
        .map(|_| Worker::start(Kind::Process(StartMethod::Spawn), &ROUNDS, arg.as_bytes()).unwrap())
        .collect();
    for w in workers {
        assert_eq!(w.join().unwrap(), Exit::Ok);
    }
    assert_eq!(slots[3].load(Relaxed), 0, "a writer was not alone");
    assert_eq!(slots[2].load(Relaxed), 2 * PROC_ROUNDS / 4, "lost updates");
    // Another kind of segment is refused.
    match process::RwLock::open(&names[0]) {
        Err(Error::Segment {
            error: SegmentError::WrongKind { .. },
            ..
        }) => {}
        r => panic!("expected WrongKind, got {r:?}"),
    }
}
