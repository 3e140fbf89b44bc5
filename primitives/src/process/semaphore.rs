//! `process::Semaphore`.

use std::fmt;

use super::{Shared, ShmSafe, KIND_SEMAPHORE};
use crate::algo::semaphore::{SemaphoreState, VALUE_MAX};
use crate::api::impl_semaphore_api;
use crate::sync::futex::Scope;
use crate::Error;

// SAFETY: SemaphoreState is `#[repr(C)]`: two AtomicU32 and a u32 written only before the
// state is shared; valid at any address, no destructor.
unsafe impl ShmSafe for SemaphoreState {
    const KIND: u32 = KIND_SEMAPHORE;
}

/// A Semaphore shared between processes. Methods: [`SemaphoreApi`](crate::SemaphoreApi).
///
/// Between a parent and children created with `fork`, make it with [`Semaphore::new`] before
/// forking. Between unrelated processes (or children started by the spawn method), one
/// process calls [`Semaphore::create`] with a name and the others [`Semaphore::open`] it.
///
/// ```
/// use twinsync::{process::Semaphore, SemaphoreApi};
///
/// let name = twinsync::process::unique_name("doc-sem").unwrap();
/// let a = Semaphore::create(&name, 1).unwrap();
/// let b = Semaphore::open(&name).unwrap();    // in another process, typically
/// a.acquire();
/// assert_eq!(b.value(), 0);
/// b.release(2).unwrap();
/// assert_eq!(a.value(), 2);
/// twinsync::process::unlink(&name).unwrap();
/// ```
pub struct Semaphore {
    shared: Shared<SemaphoreState>,
}

impl Semaphore {
    /// A semaphore holding `value` tokens in an anonymous shared mapping, inherited by
    /// children created with `fork`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `value` exceeds [`VALUE_MAX`]; [`Error::Os`] when the
    /// mapping cannot be made.
    pub fn new(value: u32) -> Result<Self, Error> {
        Ok(Semaphore {
            shared: Shared::new(SemaphoreState::new(value, VALUE_MAX)?)?,
        })
    }

    /// A semaphore holding `value` tokens in a new named segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] as for [`new`](Self::new); otherwise as [`Shared::create`].
    pub fn create(name: &str, value: u32) -> Result<Self, Error> {
        Ok(Semaphore {
            shared: Shared::create(name, SemaphoreState::new(value, VALUE_MAX)?)?,
        })
    }

    /// Attaches to the semaphore in the named segment `name`. See [`Shared::open`].
    ///
    /// # Errors
    ///
    /// As [`Shared::open`]; a segment holding another primitive (a BoundedSemaphore
    /// included) is refused with [`SegmentError::WrongKind`](crate::SegmentError::WrongKind).
    pub fn open(name: &str) -> Result<Self, Error> {
        Ok(Semaphore {
            shared: Shared::open(name)?,
        })
    }

    /// The segment's name, `None` for an anonymous semaphore.
    pub fn name(&self) -> Option<&str> {
        self.shared.name()
    }

    fn semaphore_state(&self) -> &SemaphoreState {
        &self.shared
    }
}

impl_semaphore_api!(Semaphore, Scope::Shared);

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("process::Semaphore")
            .field("name", &self.shared.name())
            .field("value", &self.shared.value())
            .finish()
    }
}
