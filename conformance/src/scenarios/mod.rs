//! Scenario bodies, written once and run by every driver.
//!
//! A scenario is a set of worker bodies (`body(lock, scratch, worker_index, params)`) plus
//! an end-of-run check. The drivers differ only in how they start the workers (loom or
//! shuttle model threads, std threads, real processes) and where the lock and the
//! [`Scratch`](lock::Scratch) state live (heap or shared memory). The bodies use `twinsync::sync` atomics,
//! so the same code is explored by loom and shuttle.

pub mod lock;

use crate::report::Status;

/// Whether the build can measure time. Under loom and shuttle there is no clock in the model:
/// timed waits report a timeout at once, so elapsed-time requirements are not checkable.
pub const HAS_CLOCK: bool = !cfg!(any(twinsync_loom, twinsync_shuttle));

/// Why an elapsed-time requirement is not checkable under a checker.
pub const NO_CLOCK: &str = "no clock in the model (the result was checked, the waiting time \
                            cannot be)";

/// Per-clause outcomes gathered by a worker body or an end-of-run check.
///
/// ```
/// use twinsync_conformance::scenarios::Checks;
/// let mut c = Checks::default();
/// c.check("LOCK-01", true, || unreachable!());
/// c.check("LOCK-05", false, || "release of a free lock returned Ok".into());
/// assert_eq!(c.first_failure().unwrap(), "[LOCK-05] release of a free lock returned Ok");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Checks {
    /// (clause, outcome), in the order checked. A clause may appear several times.
    pub items: Vec<(&'static str, Status)>,
}

impl Checks {
    /// Records whether `clause` held; `msg` describes the failure.
    pub fn check(&mut self, clause: &'static str, ok: bool, msg: impl FnOnce() -> String) {
        let status = if ok {
            Status::Pass
        } else {
            let m = msg();
            // Under a checker, stop the execution at the first failure so that the checker
            // reports this schedule (and not, say, a deadlock that the bug causes later).
            if cfg!(any(twinsync_loom, twinsync_shuttle)) {
                panic!("[{clause}] {m}");
            }
            Status::Fail(m)
        };
        self.items.push((clause, status));
    }

    /// Records an elapsed-time requirement: `ok` is the result part, `timely` the timing
    /// part. Without a clock only the result part is checked and the clause is not checkable.
    pub fn check_timed(
        &mut self,
        clause: &'static str,
        ok: bool,
        timely: bool,
        msg: impl FnOnce() -> String,
    ) {
        if HAS_CLOCK || !ok {
            self.check(clause, ok && timely, msg);
        } else {
            self.items
                .push((clause, Status::NotCheckable(NO_CLOCK.to_owned())));
        }
    }

    /// Records an outcome as is. Unlike [`check`](Self::check) it never panics: drivers use
    /// it for what they conclude outside a model execution.
    pub fn push(&mut self, clause: &'static str, status: Status) {
        self.items.push((clause, status));
    }

    /// Records that `clause` cannot be checked here, and why.
    pub fn not_checkable(&mut self, clause: &'static str, reason: &str) {
        self.items
            .push((clause, Status::NotCheckable(reason.to_owned())));
    }

    /// Appends another worker's outcomes.
    pub fn merge(&mut self, other: Checks) {
        self.items.extend(other.items);
    }

    /// The first failure, tagged with its clause: `"[LOCK-07] ..."`.
    pub fn first_failure(&self) -> Option<String> {
        self.items.iter().find_map(|(c, s)| match s {
            Status::Fail(m) => Some(format!("[{c}] {m}")),
            _ => None,
        })
    }

    /// Whether any outcome is a failure.
    pub fn failed(&self) -> bool {
        self.first_failure().is_some()
    }
}

/// Yields the processor: to the checker's scheduler under loom and shuttle, to the OS
/// otherwise. Every spin-wait in a scenario body calls it.
#[inline]
pub fn yield_now() {
    #[cfg(twinsync_loom)]
    loom::thread::yield_now();
    #[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
    shuttle::thread::yield_now();
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    std::thread::yield_now();
}

/// An id for the calling worker that [`wait_until_blocked`] understands: the kernel TID in a
/// normal build (valid system-wide, so across processes too), the facade's id under a checker.
pub fn worker_id() -> u32 {
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    return twinsync::sys::tid::current();
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    return twinsync::sync::current_id();
}

/// Waits (spinning with yields) until the thread `tid` is asleep in the kernel, as a blocked
/// acquirer is; gives up after `bound` and returns false.
///
/// This is how the real-thread and real-process drivers make sure a lost wake-up is *reached*
/// (the acquirer really sleeps before the release) without sleeping for synchronization: it
/// reads the thread's state (`S`, interruptible sleep) from `/proc/<tid>/stat`. The bound is a
/// failure detector only. Under a checker it returns true at once: the checker itself explores
/// the schedules in which the acquirer sleeps before the release.
pub fn wait_until_blocked(tid: u32, bound: std::time::Duration) -> bool {
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    {
        let t0 = std::time::Instant::now();
        let path = format!("/proc/{tid}/stat");
        loop {
            if let Ok(s) = std::fs::read_to_string(&path) {
                // "pid (comm) S ...": the state follows the last ')'.
                let state = s
                    .rsplit_once(')')
                    .and_then(|(_, r)| r.trim_start().chars().next());
                if state == Some('S') {
                    return true;
                }
            }
            if t0.elapsed() > bound {
                return false;
            }
            std::thread::yield_now();
        }
    }
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    {
        let _ = (tid, bound);
        true
    }
}

/// Spins (with [`yield_now`]) until `cond` holds.
#[inline]
pub fn spin_until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        yield_now();
    }
}
