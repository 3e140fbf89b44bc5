//! The one facade through which algorithms reach atomics, cells, spin hints, thread identity
//! and the futex.
//!
//! Algorithms (`crate::algo`) import from here and from nowhere else, so one source file runs
//! in three worlds:
//!
//! | build | atomics, cells | futex | thread id |
//! |---|---|---|---|
//! | normal | `std` | the kernel's ([`crate::sys::futex`]) | kernel TID |
//! | `--cfg twinsync_loom` | `loom` | emulated, blocking | per model thread |
//! | `--cfg twinsync_shuttle` | `shuttle` (atomics) / std cell | emulated, blocking | per task |
//!
//! # The emulated futex blocks
//!
//! Under a checker the futex is a wait queue per word built from the checker's own `Mutex`
//! and `Condvar`: `wait` re-checks the word under the queue lock (as the kernel does under its
//! hash-bucket lock) and then really sleeps until a `wake` picks it. A missing or too-small
//! wake therefore leaves a thread asleep forever, which loom and shuttle report as a deadlock.
//! (A futex emulated as "yield and return" would hide every lost wake-up.)
//!
//! Checkers have no clock: under them a wait *with a deadline* re-checks the word and then
//! reports a timeout at once, so the timeout path is explored but the timing is not.
//!
//! # Writing your own primitive on the facade
//!
//! Import atomics, [`UnsafeCell`](cell::UnsafeCell), [`hint::spin_loop`], [`current_id`] and
//! [`futex`] from `twinsync::sync`; build your tests with
//! `RUSTFLAGS="--cfg twinsync_loom"` (or `twinsync_shuttle`) and the same code is checked.
//!
//! ```
//! use twinsync::sync::atomic::{AtomicU32, Ordering};
//! use twinsync::sync::futex::{self, Scope};
//!
//! let flag = AtomicU32::new(0);
//! flag.store(1, Ordering::Release);
//! assert_eq!(futex::wake(&flag, 1, Scope::Private), 0); // nobody was waiting
//! ```

#[cfg(any(twinsync_loom, twinsync_shuttle))]
mod emulated;

/// Atomics: `std::sync::atomic`, or the checker's.
pub mod atomic {
    #[cfg(twinsync_loom)]
    pub use loom::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
    #[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
    pub use shuttle::sync::atomic::{
        fence, AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering,
    };
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    pub use std::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
}

/// Interior mutability with loom's closure API (`with` / `with_mut`), so that loom can track
/// every access.
pub mod cell {
    #[cfg(twinsync_loom)]
    pub use loom::cell::UnsafeCell;

    /// `std::cell::UnsafeCell` with loom's access API.
    ///
    /// ```
    /// use twinsync::sync::cell::UnsafeCell;
    /// let c = UnsafeCell::new(1);
    /// // SAFETY: no other access to `c` exists.
    /// c.with_mut(|p| unsafe { *p += 1 });
    /// // SAFETY: no concurrent writer.
    /// assert_eq!(c.with(|p| unsafe { *p }), 2);
    /// ```
    #[cfg(not(twinsync_loom))]
    #[derive(Debug, Default)]
    #[repr(transparent)]
    pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    #[cfg(not(twinsync_loom))]
    impl<T> UnsafeCell<T> {
        /// Wraps `value`.
        pub const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }
        /// Calls `f` with a shared pointer to the contents.
        #[inline]
        pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }
        /// Calls `f` with a mutable pointer to the contents.
        #[inline]
        pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

/// Spin and yield hints. Under a checker a spin is a yield, so spin loops terminate.
pub mod hint {
    /// Hint that the caller is spinning.
    #[inline]
    pub fn spin_loop() {
        #[cfg(twinsync_loom)]
        loom::thread::yield_now();
        #[cfg(all(twinsync_shuttle, not(twinsync_loom)))]
        shuttle::thread::yield_now();
        #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
        std::hint::spin_loop();
    }

    /// How many times a contended acquire spins before it sleeps.
    ///
    /// 100 rounds of `pause` is roughly the cost of a futex round trip on current x86, so a
    /// holder that releases within that window is caught without a system call. Under a
    /// checker one round keeps the spin path explored without multiplying the state space.
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    pub const SPIN_LIMIT: u32 = 100;
    /// How many times a contended acquire spins before it sleeps (one round under a checker).
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    pub const SPIN_LIMIT: u32 = 1;
}

/// The futex: the kernel's in normal builds, a blocking emulation under a checker.
pub mod futex {
    pub use crate::sys::futex::{Scope, Wait};
    use crate::sys::time::Deadline;

    use super::atomic::AtomicU32;

    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    use super::emulated as imp;
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    use crate::sys::futex as imp;

    /// Sleeps while `*word == expected`, until woken or `deadline` passes. May return early
    /// (spuriously); callers re-check their condition.
    #[inline]
    pub fn wait(
        word: &AtomicU32,
        expected: u32,
        deadline: Option<&Deadline>,
        scope: Scope,
    ) -> Wait {
        imp::wait(word, expected, deadline, scope)
    }

    /// Wakes up to `n` sleepers on `word`; returns how many were woken.
    #[inline]
    pub fn wake(word: &AtomicU32, n: u32, scope: Scope) -> u32 {
        imp::wake(word, n, scope)
    }

    /// Wakes every sleeper on `word`; returns how many were woken.
    #[inline]
    pub fn wake_all(word: &AtomicU32, scope: Scope) -> u32 {
        imp::wake(word, u32::MAX, scope)
    }
}

/// A non-zero id for the calling thread, fitting in 30 bits, unique among live threads.
///
/// Normally the kernel TID (unique across processes, so a lock word can name its holder's
/// thread and process). Under a checker, a per-model-thread counter: `std::thread_local!` is
/// shared by all of loom's simulated threads, so identity must come from here.
#[inline]
pub fn current_id() -> u32 {
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    return emulated::current_id();
    #[cfg(not(any(twinsync_loom, twinsync_shuttle)))]
    return crate::sys::tid::current();
}

/// Seeded bugs for mutation testing (`cargo xtask mutants`).
///
/// With the crate feature `mutants`, [`active`](mutant::active) is true for the one mutant
/// named by the environment variable `TWINSYNC_MUTANT` (read once); algorithms test it at
/// their mutation points (`if mutant::active("lock.missing_wake") { ... }`). Without the
/// feature it is a constant `false` and every mutation point compiles away. The catalog of
/// mutants, with what each breaks, is in `xtask/src/mutants.rs`.
pub mod mutant {
    /// Whether the mutant `name` is switched on in this process.
    #[cfg(feature = "mutants")]
    pub fn active(name: &str) -> bool {
        static ACTIVE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        ACTIVE
            .get_or_init(|| std::env::var("TWINSYNC_MUTANT").ok())
            .as_deref()
            == Some(name)
    }

    /// Whether the mutant `name` is switched on: never, without the `mutants` feature.
    ///
    /// ```
    /// assert!(!twinsync::sync::mutant::active("lock.missing_wake"));
    /// ```
    #[cfg(not(feature = "mutants"))]
    #[inline(always)]
    pub const fn active(_name: &str) -> bool {
        false
    }
}
