//! What `cargo xtask bench` knows about each criterion group: its bench target, what one
//! iteration is, which way its ratio points, its reference id, DESIGN.md's targets (section
//! 6) and what each benchmark id in it is. The benchmarks themselves are in
//! `stress/benches/`; the group shapes are described in `stress/benches/common/mod.rs`.

use super::{Group, Legend, Metric};

/// Benchmark id of the reference implementation in every group.
pub const REFERENCE: &str = "reference";

/// A primitive's three cycle groups: `<prefix>_uncontended`, `<prefix>_contended_2threads`
/// and `<prefix>_contended_2processes`.
pub struct Suite {
    /// Group-name prefix.
    pub prefix: &'static str,
    /// The bench target (`stress/benches/<bench>.rs`).
    pub bench: &'static str,
    /// One cycle on one thread, e.g. "acquire + release".
    pub cycle: &'static str,
    /// What the two parties do per iteration in the contended groups, e.g. "each party:
    /// acquire + release".
    pub duo: &'static str,
    /// What every benchmark id of the suite is.
    pub impls: Legend,
    /// DESIGN.md's targets for the uncontended, 2-thread and 2-process groups.
    pub targets: [&'static [(&'static str, f64)]; 3],
    /// More single-thread groups of the suite's bench, `(<prefix>_<suffix>, what one
    /// iteration is)`: time ratios, no targets, same implementations.
    pub extra: &'static [(&'static str, &'static str)],
}

/// The cycle suites, in the order the tables print.
pub const SUITES: &[Suite] = &[
    Suite {
        prefix: "lock",
        bench: "lock",
        cycle: "acquire + release (empty critical section)",
        duo: "each party: acquire + release (empty critical section)",
        impls: LOCK_IMPLS,
        targets: [
            &[("twinsync-thread", 1.0), ("twinsync-process", 1.05)],
            &[],
            &[("twinsync-process", 1.0)],
        ],
        extra: &[],
    },
    Suite {
        prefix: "rlock",
        bench: "rlock",
        cycle: "acquire + release of a free RLock",
        duo: "each party: acquire + release",
        impls: RLOCK_IMPLS,
        targets: NO_TARGETS,
        extra: &[(
            "nested",
            "one acquire + release while already held once (depth 1 -> 2 -> 1); reference: one plain lock + unlock",
        )],
    },
    Suite {
        prefix: "barrier",
        bench: "barrier",
        cycle: "wait on a 1-party barrier",
        duo: "each party: wait on a 2-party barrier (one generation)",
        impls: BARRIER_IMPLS,
        targets: NO_TARGETS,
        extra: &[],
    },
    Suite {
        prefix: "semaphore",
        bench: "semaphore",
        cycle: "acquire + release(1) of a semaphore at 1",
        duo: "each party: acquire + release(1), semaphore at 1",
        impls: SEMAPHORE_IMPLS,
        targets: NO_TARGETS,
        extra: &[],
    },
    Suite {
        prefix: "rwlock_read",
        bench: "rwlock",
        cycle: "acquire_read + release_read",
        duo: "each party: acquire_read + release_read",
        impls: RWLOCK_IMPLS,
        targets: NO_TARGETS,
        extra: &[],
    },
    Suite {
        prefix: "rwlock_write",
        bench: "rwlock",
        cycle: "acquire_write + release_write (empty critical section)",
        duo: "each party: acquire_write + release_write",
        impls: RWLOCK_IMPLS,
        targets: NO_TARGETS,
        extra: &[],
    },
    Suite {
        prefix: "condition",
        bench: "condition",
        cycle: "acquire + notify(1) with nobody waiting + release",
        duo: "each party: acquire + notify(1) + release",
        impls: CONDITION_IMPLS,
        targets: NO_TARGETS,
        extra: &[],
    },
    Suite {
        prefix: "event",
        bench: "event",
        cycle: "set + clear, nobody waiting",
        duo: "each party: set + clear",
        impls: EVENT_IMPLS,
        targets: NO_TARGETS,
        extra: &[(
            "wait_set",
            "one wait on an event that is set (returns at once); reference: lock + unlock",
        )],
    },
    Suite {
        prefix: "queue",
        bench: "queue",
        cycle: "put + get of a u64",
        duo: "one transfer: a producer puts a u64, a consumer gets it",
        impls: QUEUE_IMPLS,
        targets: NO_TARGETS,
        extra: &[],
    },
    Suite {
        prefix: "pipe",
        bench: "pipe",
        cycle: "send a u64 on end A + recv it on end B",
        duo: "one transfer: one party sends a u64 on end A, the other receives it on end B",
        impls: PIPE_IMPLS,
        targets: NO_TARGETS,
        extra: &[],
    },
];

/// DESIGN.md sets no target for this suite.
const NO_TARGETS: [&[(&str, f64)]; 3] = [&[], &[], &[]];

/// The reference of every cycle suite.
const MUTEX2: (&str, &str) = (
    REFERENCE,
    "Drepper's 3-state futex mutex (\"mutex2\"), shared futex: lock + unlock",
);

const LOCK_IMPLS: Legend = &[
    MUTEX2,
    ("twinsync-thread", "twinsync::thread::Lock"),
    (
        "twinsync-process",
        "twinsync::process::Lock (anonymous shared segment)",
    ),
    ("std", "std::sync::Mutex<()>"),
    ("parking_lot", "parking_lot::Mutex<()>"),
    (
        "pthread-pshared",
        "pthread_mutex_t, PTHREAD_PROCESS_SHARED, in shared memory",
    ),
    ("pthread-robust", "the same, also PTHREAD_MUTEX_ROBUST"),
    (
        "sem_t",
        "POSIX semaphore, pshared=1, value 1, wait/post as lock/unlock",
    ),
];

const RLOCK_IMPLS: Legend = &[
    MUTEX2,
    ("twinsync-thread", "twinsync::thread::RLock"),
    (
        "twinsync-process",
        "twinsync::process::RLock (anonymous shared segment)",
    ),
    ("parking_lot", "parking_lot::ReentrantMutex<()>"),
    (
        "pthread-recursive",
        "pthread_mutex_t, PTHREAD_MUTEX_RECURSIVE, PTHREAD_PROCESS_SHARED",
    ),
];

const BARRIER_IMPLS: Legend = &[
    (
        REFERENCE,
        "minimal futex barrier: arrival counter + generation word, shared futex, wake-all",
    ),
    ("twinsync-thread", "twinsync::thread::Barrier"),
    (
        "twinsync-process",
        "twinsync::process::Barrier (anonymous shared segment)",
    ),
    ("std", "std::sync::Barrier"),
    (
        "pthread-pshared",
        "pthread_barrier_t, PTHREAD_PROCESS_SHARED, in shared memory",
    ),
];

const SEMAPHORE_IMPLS: Legend = &[
    MUTEX2,
    ("twinsync-thread", "twinsync::thread::Semaphore::new(1)"),
    (
        "twinsync-process",
        "twinsync::process::Semaphore::new(1) (anonymous shared segment)",
    ),
    (
        "twinsync-bounded-thread",
        "twinsync::thread::BoundedSemaphore::new(1)",
    ),
    (
        "twinsync-bounded-process",
        "twinsync::process::BoundedSemaphore::new(1)",
    ),
    (
        "sem_t",
        "POSIX semaphore, pshared=1, value 1: sem_wait + sem_post",
    ),
];

const RWLOCK_IMPLS: Legend = &[
    MUTEX2,
    ("twinsync-thread", "twinsync::thread::RwLock"),
    (
        "twinsync-process",
        "twinsync::process::RwLock (anonymous shared segment)",
    ),
    ("std", "std::sync::RwLock<()>"),
    ("parking_lot", "parking_lot::RwLock<()>"),
    (
        "pthread-pshared",
        "pthread_rwlock_t, PTHREAD_PROCESS_SHARED (glibc default: prefers readers)",
    ),
];

const CONDITION_IMPLS: Legend = &[
    MUTEX2,
    (
        "twinsync-thread",
        "twinsync::thread::Condition::new() (over an RLock, Python's default)",
    ),
    (
        "twinsync-process",
        "twinsync::process::Condition::new() (over a process RLock)",
    ),
    (
        "twinsync-thread-lock",
        "twinsync::thread::Condition over a plain thread::Lock",
    ),
    (
        "twinsync-process-lock",
        "twinsync::process::Condition over a plain process::Lock",
    ),
    (
        "std-condvar",
        "std Mutex + Condvar: lock, notify_one, unlock",
    ),
    ("parking_lot-condvar", "the same with parking_lot"),
    (
        "pthread-cond",
        "pshared pthread_mutex_t + pthread_cond_t: lock, signal, unlock",
    ),
];

const EVENT_IMPLS: Legend = &[
    MUTEX2,
    ("twinsync-thread", "twinsync::thread::Event"),
    (
        "twinsync-process",
        "twinsync::process::Event (anonymous shared segment)",
    ),
    (
        "std-condvar",
        "std Mutex<bool> + Condvar (threading.Event's recipe): set notifies all",
    ),
];

const QUEUE_IMPLS: Legend = &[
    MUTEX2,
    (
        "twinsync-thread",
        "twinsync::thread::Queue<u64>, capacity 8",
    ),
    (
        "twinsync-process",
        "twinsync::process::Queue<u64>, capacity 8 (anonymous shared segment, postcard)",
    ),
    ("std-mpsc", "std::sync::mpsc::sync_channel::<u64>(8)"),
    (
        "posix-mq",
        "POSIX message queue (mq_open), capacity 8, 8-byte messages",
    ),
];

const PIPE_IMPLS: Legend = &[
    MUTEX2,
    (
        "twinsync-thread",
        "twinsync::thread::Pipe::<u64>::new(true) (duplex, 64 messages per direction)",
    ),
    (
        "twinsync-process",
        "twinsync::process::Pipe::<u64>::new(true) (anonymous shared segment, postcard)",
    ),
    (
        "socketpair",
        "AF_UNIX SOCK_SEQPACKET pair (multiprocessing.Pipe's transport), 8-byte messages",
    ),
];

/// The wake-up round-trip groups (`stress/benches/wake.rs`): `(name, what)`, threads then
/// processes, same CPU then across CPUs.
const WAKE_GROUPS: &[(&str, &str)] = &[
    (
        "wake_same_cpu_threads",
        "round trip A wakes B, B wakes A; 2 threads both pinned to CPU 0",
    ),
    (
        "wake_cross_cpu_threads",
        "round trip A wakes B, B wakes A; 2 threads pinned to CPU 0 and CPU 1",
    ),
    (
        "wake_same_cpu_processes",
        "round trip A wakes B, B wakes A; 2 forked processes both pinned to CPU 0",
    ),
    (
        "wake_cross_cpu_processes",
        "round trip A wakes B, B wakes A; 2 forked processes pinned to CPU 0 and CPU 1",
    ),
];

/// DESIGN.md: a wake-up round trip of Condition, Semaphore or Event costs at most the raw
/// futex ping-pong on one CPU...
const WAKE_SAME_CPU_TARGETS: &[(&str, f64)] = &[
    ("twinsync-condition", 1.0),
    ("twinsync-semaphore", 1.0),
    ("twinsync-event", 1.0),
];
/// ... and at most 1.1 times it across CPUs.
const WAKE_CROSS_CPU_TARGETS: &[(&str, f64)] = &[
    ("twinsync-condition", 1.1),
    ("twinsync-semaphore", 1.1),
    ("twinsync-event", 1.1),
];

const WAKE_IMPLS: Legend = &[
    (
        REFERENCE,
        "raw futex ping-pong, two words (private futex with threads, shared with processes)",
    ),
    (
        "twinsync-lock",
        "two twinsync Locks as binary semaphores (thread/process version as the group)",
    ),
    (
        "twinsync-condition",
        "twinsync Condition (default RLock), turn word, notify(1) + wait while not one's turn",
    ),
    (
        "twinsync-condition-lock",
        "the same with the Condition over a plain twinsync Lock",
    ),
    (
        "twinsync-semaphore",
        "two twinsync Semaphores at 0: release(1) the other's, acquire one's own",
    ),
    (
        "twinsync-event",
        "two twinsync Events: set the other's, wait on one's own, clear it",
    ),
    (
        "twinsync-queue",
        "two twinsync Queues of capacity 1: put a u64 on the other's, get from one's own",
    ),
    (
        "twinsync-pipe",
        "duplex twinsync Pipe: A sends a u64 and receives the answer, B answers",
    ),
    (
        "std-condvar",
        "std Mutex + Condvar, turn word, notify_one + wait_while",
    ),
    ("parking_lot-condvar", "the same with parking_lot"),
    (
        "pthread-cond",
        "the same with process-shared pthread_mutex_t + pthread_cond_t",
    ),
    ("sem_t", "two POSIX semaphores (pshared=1) at 0"),
    (
        "std-mpsc",
        "two std::sync::mpsc::sync_channel(1), a one-word message each way",
    ),
    (
        "posix-mq",
        "two POSIX message queues (mq_open, capacity 1), a one-word message each way",
    ),
    (
        "socketpair",
        "AF_UNIX SOCK_SEQPACKET pair (multiprocessing.Pipe's transport), one word each way",
    ),
];

/// Every known group, in the order the tables print.
pub fn groups() -> Vec<Group> {
    let mut out = Vec::new();
    for s in SUITES {
        let shapes = [
            ("uncontended", s.cycle, "one thread", "ns/op", Metric::Time),
            (
                "contended_2threads",
                s.duo,
                "2 threads",
                "ns/iter",
                Metric::Throughput,
            ),
            (
                "contended_2processes",
                s.duo,
                "2 forked processes",
                "ns/iter",
                Metric::Throughput,
            ),
        ];
        for ((shape, what, who, unit, metric), targets) in shapes.into_iter().zip(s.targets) {
            out.push(Group {
                name: format!("{}_{shape}", s.prefix),
                bench: s.bench,
                what: format!("{what}; {who}"),
                unit,
                metric,
                reference: REFERENCE,
                targets,
                impls: s.impls,
            });
        }
        for (suffix, what) in s.extra {
            out.push(Group {
                name: format!("{}_{suffix}", s.prefix),
                bench: s.bench,
                what: (*what).to_owned(),
                unit: "ns/op",
                metric: Metric::Time,
                reference: REFERENCE,
                targets: &[],
                impls: s.impls,
            });
        }
    }
    for (name, what) in WAKE_GROUPS {
        out.push(Group {
            name: (*name).to_owned(),
            bench: "wake",
            what: (*what).to_owned(),
            unit: "ns/round trip",
            metric: Metric::Time,
            reference: REFERENCE,
            targets: if name.contains("same_cpu") {
                WAKE_SAME_CPU_TARGETS
            } else {
                WAKE_CROSS_CPU_TARGETS
            },
            impls: WAKE_IMPLS,
        });
    }
    out
}

/// The bench targets to run, each once, in table order.
pub fn benches() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for g in groups() {
        if !out.contains(&g.bench) {
            out.push(g.bench);
        }
    }
    out
}
