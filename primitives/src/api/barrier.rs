//! [`BarrierApi`], the per-handle settings (action, default timeout), and the macro that
//! implements both for the thread and process versions.

use std::any::Any;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use crate::algo::barrier::BarrierState;
use crate::sync::futex::Scope;
use crate::sys::time::Deadline;
use crate::{Error, TIMEOUT_MAX};

/// A barrier's action: run by the last party to arrive, once per generation, before anyone is
/// released. An `Err` (or a panic) breaks the barrier.
pub type BarrierFn = Box<dyn Fn() -> Result<(), String> + Send + Sync>;

/// A barrier for a fixed number of parties, with Python `threading.Barrier` semantics.
///
/// * [`wait`](Self::wait) blocks until `parties` parties have called it, then releases them
///   all and returns each its arrival index (`0` for the first, `parties - 1` for the last).
///   The barrier then serves the next generation: it is reusable, and a party that comes back
///   early is counted into the next generation, never into the one it just left.
/// * An optional action (`with_action`) runs in the last party to arrive, once per
///   generation, before anyone is released. If it fails or panics, that party gets
///   [`Error::BarrierAction`] and the barrier breaks.
/// * A party whose wait times out breaks the barrier. A broken barrier fails every waiting
///   and later `wait` with [`Error::BrokenBarrier`] until [`reset`](Self::reset).
///
/// Both [`thread::Barrier`](crate::thread::Barrier) and
/// [`process::Barrier`](crate::process::Barrier) implement it.
///
/// ```
/// use std::sync::Arc;
/// use twinsync::{thread::Barrier, BarrierApi};
///
/// let barrier = Arc::new(Barrier::new(3).unwrap());
/// let handles: Vec<_> = (0..3)
///     .map(|_| {
///         let b = Arc::clone(&barrier);
///         std::thread::spawn(move || b.wait().unwrap())
///     })
///     .collect();
/// let mut indices: Vec<u32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
/// indices.sort();
/// assert_eq!(indices, [0, 1, 2]);
/// assert_eq!(barrier.n_waiting(), 0);
/// ```
pub trait BarrierApi {
    /// Waits for all parties, with the default timeout given at construction (none unless
    /// set); returns this party's arrival index in `0..parties`.
    ///
    /// # Errors
    ///
    /// [`Error::BrokenBarrier`] when the barrier is broken, or breaks, is aborted or reset
    /// while this party waits, or when the default timeout passes (which breaks it);
    /// [`Error::BarrierAction`] to the party that ran a failing action.
    fn wait(&self) -> Result<u32, Error>;

    /// As [`wait`](Self::wait), with `timeout` instead of the default.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait); [`Error::TimeoutTooLarge`] when `timeout` exceeds
    /// [`TIMEOUT_MAX`](crate::TIMEOUT_MAX) (nothing changes then).
    fn wait_timeout(&self, timeout: Duration) -> Result<u32, Error>;

    /// Returns the barrier to its empty, unbroken state. Parties waiting at that moment get
    /// [`Error::BrokenBarrier`]; new arrivals wait until they have left.
    fn reset(&self);

    /// Breaks the barrier: parties waiting and later callers get [`Error::BrokenBarrier`]
    /// until [`reset`](Self::reset).
    fn abort(&self);

    /// The number of parties needed to trip the barrier.
    fn parties(&self) -> u32;

    /// The number of parties waiting in the current generation; 0 while broken or resetting
    /// (a snapshot).
    fn n_waiting(&self) -> u32;

    /// Whether the barrier is broken (a snapshot).
    fn broken(&self) -> bool;
}

/// The settings of one handle, kept in the handle, never in shared memory: each process of a
/// process barrier passes its own action and default timeout.
#[derive(Default)]
pub(crate) struct BarrierLocal {
    action: Option<BarrierFn>,
    timeout: Option<Duration>,
}

impl BarrierLocal {
    pub(crate) fn set_action(&mut self, action: BarrierFn) {
        self.action = Some(action);
    }

    pub(crate) fn set_timeout(&mut self, timeout: Duration) -> Result<(), Error> {
        if timeout > TIMEOUT_MAX {
            return Err(Error::TimeoutTooLarge { timeout });
        }
        self.timeout = Some(timeout);
        Ok(())
    }

    /// Runs the action, turning a panic into an error message.
    fn run_action(&self) -> Result<(), String> {
        let Some(action) = &self.action else {
            return Ok(());
        };
        match catch_unwind(AssertUnwindSafe(action)) {
            Ok(r) => r,
            Err(payload) => Err(panic_message(&*payload)),
        }
    }

    /// `wait` with `timeout`, or the default when `None`.
    pub(crate) fn wait(
        &self,
        state: &BarrierState,
        timeout: Option<Duration>,
        scope: Scope,
    ) -> Result<u32, Error> {
        let deadline = Deadline::from_timeout(timeout.or(self.timeout))?;
        state.wait(|| self.run_action(), deadline.as_ref(), scope)
    }
}

impl fmt::Debug for BarrierLocal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierLocal")
            .field("action", &self.action.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned());
    format!(
        "the action panicked: {}",
        text.as_deref().unwrap_or("(no message)")
    )
}

/// Implements [`BarrierApi`] and the builders `with_action` / `with_timeout` for a type with
/// `fn barrier_state(&self) -> &BarrierState` and a field `local: BarrierLocal`, so that
/// both versions share every line of it. `$path` names the type in the examples.
macro_rules! impl_barrier_api {
    ($ty:ty, $scope:expr, $path:literal) => {
        impl $ty {
            /// Sets this handle's action: run by the last party to arrive, once per
            /// generation, before anyone is released (only the handle of that party runs its
            /// action). An `Err` or a panic breaks the barrier and is returned to that party
            /// as [`Error::BarrierAction`](crate::Error::BarrierAction).
            ///
            /// ```
            /// use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
            /// use std::sync::Arc;
            /// use twinsync::{BarrierApi, Error};
            ///
            /// let runs = Arc::new(AtomicU32::new(0));
            /// let r = Arc::clone(&runs);
            #[doc = concat!("let b = twinsync::", $path, "::new(1)?")]
            ///     .with_action(move || { r.fetch_add(1, Relaxed); Ok(()) });
            /// assert_eq!(b.wait()?, 0);
            /// assert_eq!(runs.load(Relaxed), 1);
            ///
            #[doc = concat!("let failing = twinsync::", $path, "::new(1)?")]
            ///     .with_action(|| Err("disk full".into()));
            /// assert!(matches!(failing.wait(), Err(Error::BarrierAction { .. })));
            /// assert!(failing.broken());
            /// # Ok::<(), Error>(())
            /// ```
            pub fn with_action<F>(mut self, action: F) -> Self
            where
                F: Fn() -> ::std::result::Result<(), String> + Send + Sync + 'static,
            {
                self.local.set_action(Box::new(action));
                self
            }

            /// Sets this handle's default timeout for [`wait`](crate::BarrierApi::wait)
            /// (none by default); [`wait_timeout`](crate::BarrierApi::wait_timeout)
            /// overrides it.
            ///
            /// ```
            /// use std::time::Duration;
            /// use twinsync::{BarrierApi, Error};
            ///
            #[doc = concat!("let b = twinsync::", $path, "::new(2)?")]
            ///     .with_timeout(Duration::from_millis(5))?;
            /// assert!(matches!(b.wait(), Err(Error::BrokenBarrier))); // nobody else came
            /// assert!(b.broken());
            /// # Ok::<(), Error>(())
            /// ```
            ///
            /// # Errors
            ///
            /// [`Error::TimeoutTooLarge`](crate::Error::TimeoutTooLarge) above
            /// [`TIMEOUT_MAX`](crate::TIMEOUT_MAX).
            pub fn with_timeout(
                mut self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<Self, $crate::Error> {
                self.local.set_timeout(timeout)?;
                Ok(self)
            }
        }

        impl $crate::BarrierApi for $ty {
            fn wait(&self) -> ::std::result::Result<u32, $crate::Error> {
                self.local.wait(self.barrier_state(), None, $scope)
            }
            fn wait_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<u32, $crate::Error> {
                self.local.wait(self.barrier_state(), Some(timeout), $scope)
            }
            fn reset(&self) {
                self.barrier_state().reset($scope)
            }
            fn abort(&self) {
                self.barrier_state().abort($scope)
            }
            fn parties(&self) -> u32 {
                self.barrier_state().parties()
            }
            fn n_waiting(&self) -> u32 {
                self.barrier_state().n_waiting()
            }
            fn broken(&self) -> bool {
                self.barrier_state().broken()
            }
        }
    };
}
pub(crate) use impl_barrier_api;
