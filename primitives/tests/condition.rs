//! Condition: both versions, over an RLock and over a plain Lock; wait releases every level
//! and restores them, notify(n) wakes at most n, a timed-out waiter never absorbs a
//! notification, wait_for's single deadline, NotOwner; between threads, forked and spawned
//! processes. No sleep is used to synchronize: a waiter's registration is known from a counter
//! it bumps under the lock before waiting, a sleeping thread from `/proc/<tid>/stat`.
#![cfg(not(any(twinsync_loom, twinsync_shuttle)))] // uses the process version

#[macro_use]
mod support;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};
use std::time::{Duration, Instant};

use support::{give_up, is_asleep, tid, until_or_exit, Names, LONG};
use twinsync::process::{self, Shared};
use twinsync::worker::{Exit, Kind, StartMethod, Worker};
use twinsync::{
    thread, ConditionApi, ConditionGuard, ConditionLock, Error, RLockApi, SegmentError,
};

const MS: Duration = Duration::from_millis(1);

/// Sequential semantics with the lock held once, and NotOwner without it.
fn basics<C: ConditionApi + Sync>(c: &C) {
    assert!(matches!(c.wait(), Err(Error::NotOwner)));
    assert!(matches!(c.wait_timeout(MS), Err(Error::NotOwner)));
    assert!(matches!(c.wait_for(|| true, None), Err(Error::NotOwner)));
    assert!(matches!(c.notify(1), Err(Error::NotOwner)));
    assert!(matches!(c.notify_all(), Err(Error::NotOwner)));

    let _g = c.guard();
    assert!(c.lock().is_mine());
    let t0 = Instant::now();
    assert!(!c.wait_timeout(20 * MS).unwrap());
    assert!(t0.elapsed() >= 20 * MS);
    assert!(
        c.lock().is_mine(),
        "the lock is re-acquired after a timeout"
    );
    assert!(!c.wait_timeout(Duration::ZERO).unwrap());
    assert!(matches!(
        c.wait_timeout(Duration::MAX),
        Err(Error::TimeoutTooLarge { .. })
    ));
    assert!(matches!(
        c.wait_for(|| false, Some(Duration::MAX)),
        Err(Error::TimeoutTooLarge { .. })
    ));
    c.notify(0).unwrap();
    c.notify(3).unwrap();
    c.notify(usize::MAX).unwrap();
    c.notify_all().unwrap();

    // wait_for: already true -> no wait; never true -> false after the timeout, having
    // called the predicate once before and once after its one wait (nobody notifies).
    let mut calls = 0;
    assert!(c
        .wait_for(
            || {
                calls += 1;
                true
            },
            Some(Duration::ZERO)
        )
        .unwrap());
    assert_eq!(calls, 1);
    let (mut calls, t0) = (0, Instant::now());
    let r = c.wait_for(
        || {
            calls += 1;
            false
        },
        Some(20 * MS),
    );
    assert!(!r.unwrap());
    assert!(t0.elapsed() >= 20 * MS);
    assert_eq!(calls, 2);

    // Another thread holds nothing: it may neither wait nor notify.
    std::thread::scope(|s| {
        s.spawn(|| {
            assert!(!c.lock().is_mine());
            assert!(matches!(c.notify_all(), Err(Error::NotOwner)));
            assert!(matches!(c.wait_timeout(MS), Err(Error::NotOwner)));
            assert!(c.try_guard().is_none());
            assert!(c.guard_timeout(MS).unwrap().is_none());
        });
    });
    assert!(c.lock().is_mine());
}

/// One waiting thread: its TID, and whether its `wait` has returned.
#[derive(Default)]
struct Slot {
    tid: AtomicU32,
    done: AtomicBool,
}

/// A waiter registers (bumps `registered` under the lock), waits, and bumps `woken` under
/// the lock when `wait` returns.
fn waiter<C: ConditionApi>(c: &C, registered: &AtomicU32, woken: &AtomicU32, me: &Slot) {
    me.tid.store(tid(), Relaxed);
    let _g = c.guard();
    registered.fetch_add(1, Relaxed);
    c.wait().unwrap();
    assert!(c.lock().is_mine());
    woken.fetch_add(1, Relaxed);
    me.done.store(true, Relaxed);
}

/// Takes the lock once `n` waiters have registered: they are all inside `wait` then.
fn after_registered<'a, C: ConditionApi>(
    c: &'a C,
    registered: &AtomicU32,
    n: u32,
) -> ConditionGuard<'a, C> {
    until_or_exit("the waiters registered", || registered.load(Relaxed) == n);
    c.guard()
}

/// notify(1) with three waiters wakes exactly one; the other two keep waiting (asleep) until
/// notify_all.
fn notify_one_of_three<C: ConditionApi + Sync>(c: &C) {
    let (registered, woken) = (AtomicU32::new(0), AtomicU32::new(0));
    let slots: [Slot; 3] = Default::default();
    std::thread::scope(|s| {
        for me in &slots {
            let (registered, woken) = (&registered, &woken);
            s.spawn(move || waiter(c, registered, woken, me));
        }
        let g = after_registered(c, &registered, 3);
        c.notify(1).unwrap();
        drop(g);
        until_or_exit("one waiter returned", || woken.load(Relaxed) >= 1);
        // The others must be asleep again (or still); one woken by mistake would be running,
        // take the free lock and bump `woken`.
        let mut asleep = 0;
        for me in &slots {
            let t = me.tid.load(Relaxed);
            until_or_exit("each waiter sleeps or is done", || {
                me.done.load(Relaxed) || is_asleep(t)
            });
            if !me.done.load(Relaxed) {
                asleep += 1;
            }
        }
        let g = c.guard();
        assert_eq!(
            woken.load(Relaxed),
            1,
            "notify(1) woke more than one waiter"
        );
        assert!(asleep >= 2, "fewer than two waiters left");
        c.notify_all().unwrap();
        drop(g);
    });
    assert_eq!(woken.load(Relaxed), 3);
}

/// Waiter A (short timeout) and waiter B (none) both wait; notify(1) races A's timeout. If A
/// returns false, that single notify must wake B; if A returns true, B is still waiting and
/// a second notify wakes it. Then a third waiter C must be woken by one notify: a timed-out
/// A must not still be counted. Repeated with timeouts spread around the notify's moment;
/// first of all, a waiter that times out with nobody notifying must leave no trace either.
fn timeout_does_not_absorb<C: ConditionApi + Sync>(c: &C) {
    {
        let _g = c.guard();
        assert!(!c.wait_timeout(MS).unwrap());
    }
    let (mut a_notified, mut a_timed_out) = (0, 0);
    for round in 0..300u32 {
        let registered = AtomicU32::new(0);
        let (b_done, c_done) = (AtomicBool::new(false), AtomicBool::new(false));
        let timeout = Duration::from_micros(u64::from(round % 30) * 10);
        let a_result = std::thread::scope(|s| {
            let a = s.spawn(|| {
                let _g = c.guard();
                registered.fetch_add(1, Relaxed);
                c.wait_timeout(timeout).unwrap()
            });
            s.spawn(|| {
                let _g = c.guard();
                registered.fetch_add(1, Relaxed);
                c.wait().unwrap();
                b_done.store(true, Relaxed);
            });
            let g = after_registered(c, &registered, 2);
            c.notify(1).unwrap();
            drop(g);
            let a_result = a.join().unwrap();
            if a_result {
                assert!(
                    !b_done.load(Relaxed) || !a_result,
                    "one notify woke two waiters"
                );
                let _g = c.guard();
                c.notify(1).unwrap();
            }
            // Failure detector: B never woken means the notify was absorbed by A.
            until_or_exit("B was woken", || b_done.load(Relaxed));
            s.spawn(|| {
                let _g = c.guard();
                registered.fetch_add(1, Relaxed);
                c.wait().unwrap();
                c_done.store(true, Relaxed);
            });
            let g = after_registered(c, &registered, 3);
            c.notify(1).unwrap();
            drop(g);
            until_or_exit("C was woken", || c_done.load(Relaxed));
            a_result
        });
        if a_result {
            a_notified += 1;
        } else {
            a_timed_out += 1;
        }
    }
    eprintln!("A notified {a_notified} times, timed out {a_timed_out} times");
}

/// A thread that starts waiting after a notify is not woken by it, even if it times out
/// while the notification is still untaken: the notification stays with the earlier waiter.
fn late_waiter_does_not_steal<C: ConditionApi + Sync>(c: &C) {
    let registered = AtomicU32::new(0);
    let b_done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let _g = c.guard();
            registered.fetch_add(1, Relaxed);
            c.wait().unwrap();
            b_done.store(true, Relaxed);
        });
        let g = after_registered(c, &registered, 1);
        c.notify(1).unwrap();
        assert!(
            !c.wait_timeout(Duration::ZERO).unwrap(),
            "took B's notification"
        );
        assert!(!c.wait_timeout(MS).unwrap(), "took B's notification");
        drop(g);
        until_or_exit("B was woken", || b_done.load(Relaxed));
    });
}

/// wait releases every level of an RLock: another thread acquires meanwhile; the depth is
/// back to 3 afterwards.
fn wait_releases_all_levels<C>(c: &C)
where
    C: ConditionApi + Sync,
    C::Lock: RLockApi,
{
    for _ in 0..3 {
        c.acquire();
    }
    assert_eq!(c.lock().count(), 3);
    std::thread::scope(|s| {
        s.spawn(|| {
            // Blocks until the main thread's wait has released all three levels.
            if !c.acquire_timeout(LONG).unwrap() {
                give_up("wait released the lock"); // a panic would leave main waiting
            }
            assert_eq!(c.lock().count(), 1);
            c.notify(1).unwrap();
            c.release().unwrap();
        });
        c.wait().unwrap();
        assert!(c.lock().is_owned());
        assert_eq!(c.lock().count(), 3);
    });
    for _ in 0..3 {
        c.release().unwrap();
    }
    assert!(!c.lock().locked());
}

/// wait_for has one deadline for the whole call: a stream of notifications that never make
/// the predicate true does not extend it.
fn wait_for_one_deadline<C: ConditionApi + Sync>(c: &C) {
    let stop = AtomicBool::new(false);
    let value = AtomicU32::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Relaxed) {
                let _g = c.guard();
                c.notify_all().unwrap();
                std::thread::yield_now();
            }
        });
        let _g = c.guard();
        let (mut calls, t0) = (0u32, Instant::now());
        let r = c.wait_for(
            || {
                calls += 1;
                false
            },
            Some(50 * MS),
        );
        assert!(!r.unwrap());
        let took = t0.elapsed();
        assert!(took >= 50 * MS && took < LONG, "took {took:?}");
        assert!(calls >= 2);
        stop.store(true, Relaxed);
    });
    // And a predicate that becomes true is seen: the last value is returned.
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..3 {
                let _g = c.guard();
                value.fetch_add(1, Relaxed);
                c.notify_all().unwrap();
            }
        });
        let _g = c.guard();
        assert!(c.wait_for(|| value.load(Relaxed) == 3, Some(LONG)).unwrap());
    });
}

for_each_version!(
    thread_rlock: thread::Condition::new(),
    thread_lock: thread::Condition::with_lock(thread::Lock::new()),
    process_rlock: process::Condition::new().unwrap(),
    process_lock: process::Condition::with_lock(process::Lock::new().unwrap()).unwrap();
    [
        basics,
        notify_one_of_three,
        timeout_does_not_absorb,
        late_waiter_does_not_steal,
        wait_for_one_deadline,
    ]
);

for_each_version!(
    thread_rlock_depth: thread::Condition::new(),
    process_rlock_depth: process::Condition::new().unwrap();
    [wait_releases_all_levels]
);

/// With a plain Lock, "owned" means acquired by the calling thread: a thread that did not
/// acquire it may not wait or notify, even while the lock is held (stricter than threading).
#[test]
fn plain_lock_ownership_is_strict() {
    let c = thread::Condition::with_lock(thread::Lock::new());
    let _g = c.guard();
    std::thread::scope(|s| {
        s.spawn(|| {
            assert!(matches!(c.notify(1), Err(Error::NotOwner)));
            assert!(matches!(c.wait(), Err(Error::NotOwner)));
        });
    });
    c.notify(1).unwrap();
}

/// Two conditions over one lock (through `Arc` and `&`): each works, and the lock is one.
#[test]
fn conditions_share_a_lock() {
    let lock = std::sync::Arc::new(thread::RLock::new());
    let a = thread::Condition::with_lock(std::sync::Arc::clone(&lock));
    let b = thread::Condition::with_lock(&*lock);
    let registered = AtomicU32::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            let _g = a.guard();
            registered.fetch_add(1, Relaxed);
            a.wait().unwrap();
        });
        let _g = after_registered(&b, &registered, 1);
        b.notify_all().unwrap(); // b's waiters: none; a's waiter stays
        a.notify(1).unwrap();
    });
    assert!(!lock.locked());
}

// ---- processes ----------------------------------------------------------------------------

/// A forked child waits (wait_for) on an anonymous condition; the parent notifies.
#[test]
#[serial_test::serial(shm)]
fn forked_child_is_notified() {
    let c = process::Condition::new().unwrap();
    let flags = Shared::new([AtomicU32::new(0), AtomicU32::new(0)]).unwrap();
    // SAFETY: the child only uses inherited anonymous segments (atomics and futexes) and
    // takes no lock another thread could hold at the fork.
    let child = unsafe {
        Worker::fork(|| {
            c.acquire();
            c.acquire();
            flags[0].store(1, Relaxed);
            assert!(c
                .wait_for(|| flags[1].load(Relaxed) == 1, Some(LONG))
                .unwrap());
            assert_eq!(c.lock().count(), 2);
            c.release().unwrap();
            c.release().unwrap();
        })
    }
    .unwrap();
    until_or_exit("the child waits", || flags[0].load(Relaxed) == 1);
    let g = c.guard(); // free only once the child's wait released both levels
    flags[1].store(1, Relaxed);
    c.notify(1).unwrap();
    drop(g);
    assert_eq!(child.join().unwrap(), Exit::Ok);
}

/// `arg` = `<condition>\n<lock>\n<counters>`; counters: registered, woken.
fn open(arg: &[u8]) -> (process::Condition, Shared<[AtomicU32; 2]>) {
    let text = std::str::from_utf8(arg).unwrap();
    let mut names = text.split('\n');
    let (cond, lock, counters) = (
        names.next().unwrap(),
        names.next().unwrap(),
        names.next().unwrap(),
    );
    let lock = process::RLock::open(lock).unwrap();
    (
        process::Condition::open(cond, lock).unwrap(),
        Shared::open(counters).unwrap(),
    )
}

fn spawned_waiter(arg: &[u8]) {
    let (c, counters) = open(arg);
    let _g = c.guard();
    counters[0].fetch_add(1, Relaxed);
    c.wait().unwrap();
    counters[1].fetch_add(1, Relaxed);
}
twinsync::entry_point!(static WAITER = spawned_waiter);

/// Three spawned processes wait; notify(1) wakes exactly one, notify_all the rest.
#[test]
#[serial_test::serial(shm)]
fn spawned_waiters_notify_one_then_all() {
    let names = Names::new(&["tw-cond", "tw-cond-lock", "tw-cond-counters"]);
    let lock = process::RLock::create(&names[1]).unwrap();
    let c = process::Condition::create(&names[0], lock).unwrap();
    let counters = Shared::<[AtomicU32; 2]>::create(&names[2], Default::default()).unwrap();
    let arg = names.0.join("\n");
    let mut workers: Vec<Worker> = (0..3)
        .map(|_| Worker::start(Kind::Process(StartMethod::Spawn), &WAITER, arg.as_bytes()).unwrap())
        .collect();
    let g = after_registered(&c, &counters[0], 3);
    c.notify(1).unwrap();
    drop(g);
    until_or_exit("one waiter returned", || counters[1].load(Relaxed) == 1);
    let mut asleep = 0;
    for w in &mut workers {
        let pid = w.pid().unwrap();
        until_or_exit("each waiter sleeps or is gone", || {
            !w.is_alive() || is_asleep(pid)
        });
        if w.is_alive() {
            asleep += 1;
        }
    }
    let g = c.guard();
    assert_eq!(counters[1].load(Relaxed), 1, "notify(1) woke more than one");
    assert!(asleep >= 2);
    c.notify_all().unwrap();
    drop(g);
    for mut w in workers {
        assert_eq!(w.join_timeout(LONG).unwrap(), Some(Exit::Ok));
    }
    assert_eq!(counters[1].load(Relaxed), 3);
}

#[test]
#[serial_test::serial(shm)]
fn named_condition_refusals() {
    let names = Names::new(&["tw-cond", "tw-cond-lock", "tw-cond-x"]);
    let lock = process::Lock::create(&names[1]).unwrap();
    let c = process::Condition::create(&names[0], &lock).unwrap();
    assert_eq!(c.name(), Some(names[0].as_str()));
    assert!(matches!(
        process::Condition::create(&names[0], &lock),
        Err(Error::Segment {
            error: SegmentError::AlreadyExists,
            ..
        })
    ));
    // The lock's segment is not a condition.
    assert!(matches!(
        process::Condition::open(&names[1], &lock),
        Err(Error::Segment {
            error: SegmentError::WrongKind { .. },
            ..
        })
    ));
    assert!(format!("{c:?}").contains("process::Condition"));
    assert_eq!(process::Condition::new().unwrap().name(), None);
}

// Guards stay on their thread; the conditions themselves are shared.
assert_send_sync!(
    not_send: ConditionGuard<'static, thread::Condition>,
    shared: thread::Condition,
    thread::Condition<thread::Lock>,
    process::Condition,
    process::Condition<std::sync::Arc<process::Lock>>,
);
