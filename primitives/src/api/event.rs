//! [`EventApi`] and the macro that implements it for both versions.

use std::time::Duration;

use crate::Error;

/// An event flag with Python `threading.Event` semantics.
///
/// * [`set`](Self::set) raises the flag and wakes every waiter; [`clear`](Self::clear) lowers
///   it; [`wait`](Self::wait) returns once the flag is set.
/// * A waiter woken by a `set` returns (true, for [`wait_timeout`](Self::wait_timeout)) even
///   if a `clear` follows at once, before it runs: what counts is that a `set` happened while
///   it waited (as in `threading`; Python's `multiprocessing.Event` re-reads the flag and may
///   return false then).
///
/// Implemented by [`thread::Event`](crate::thread::Event) and
/// [`process::Event`](crate::process::Event); so can your own type, to run it through
/// `twinsync-conformance`.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use twinsync::{thread::Event, EventApi};
///
/// let ready = Arc::new(Event::new());
/// assert!(!ready.wait_timeout(Duration::from_millis(1)).unwrap());
/// let r2 = Arc::clone(&ready);
/// let t = std::thread::spawn(move || r2.wait());     // returns once set
/// ready.set();
/// t.join().unwrap();
/// assert!(ready.is_set());
/// ready.clear();
/// assert!(!ready.is_set());
/// ```
pub trait EventApi {
    /// Whether the flag is set (a snapshot).
    fn is_set(&self) -> bool;

    /// Raises the flag and wakes every waiter. Setting a set event changes nothing.
    fn set(&self);

    /// Lowers the flag. Clearing a clear event changes nothing.
    fn clear(&self);

    /// Waits until the flag is set (returns at once if it is), or until a `set` happens.
    fn wait(&self);

    /// As [`wait`](Self::wait), waiting at most `timeout`; returns true if the flag was set on
    /// entry or a `set` happened while waiting, false on timeout. A zero timeout is a single
    /// look at the flag.
    ///
    /// # Errors
    ///
    /// [`Error::TimeoutTooLarge`] when `timeout` exceeds [`TIMEOUT_MAX`](crate::TIMEOUT_MAX).
    fn wait_timeout(&self, timeout: Duration) -> Result<bool, Error>;
}

/// Implements [`EventApi`] for a type with a `fn event_state(&self) -> &EventState` and a
/// scope, so that both versions share every line of it.
macro_rules! impl_event_api {
    ($ty:ty, $scope:expr) => {
        impl $crate::EventApi for $ty {
            #[inline]
            fn is_set(&self) -> bool {
                self.event_state().is_set()
            }
            #[inline]
            fn set(&self) {
                self.event_state().set($scope);
            }
            #[inline]
            fn clear(&self) {
                self.event_state().clear();
            }
            #[inline]
            fn wait(&self) {
                self.event_state().wait(None, $scope);
            }
            fn wait_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<bool, $crate::Error> {
                let deadline = $crate::sys::time::Deadline::after(timeout)?;
                Ok(self.event_state().wait(Some(&deadline), $scope))
            }
        }
    };
}
pub(crate) use impl_event_api;
