//! `process::Semaphore` and `process::BoundedSemaphore`: one algorithm state, two segment
//! kinds.

use super::{process_primitive, Shared, ShmSafe, KIND_BOUNDED_SEMAPHORE, KIND_SEMAPHORE};
use crate::algo::semaphore::{SemaphoreState, VALUE_MAX};
use crate::api::impl_semaphore_api;
use crate::sync::futex::Scope;
use crate::Error;

// SAFETY: SemaphoreState is `#[repr(C)]`: two AtomicU32 and a u32 written only before the
// state is shared; valid at any address, no destructor.
unsafe impl ShmSafe for SemaphoreState {
    const KIND: u32 = KIND_SEMAPHORE;
}

/// A BoundedSemaphore's state: the Semaphore's, under its own kind tag, so that a segment
/// made by one type is refused by the other's `open`.
#[repr(transparent)]
struct BoundedState(SemaphoreState);

// SAFETY: `#[repr(transparent)]` over SemaphoreState, which is ShmSafe (above).
unsafe impl ShmSafe for BoundedState {
    const KIND: u32 = KIND_BOUNDED_SEMAPHORE;
}

process_primitive! {
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
    pub struct Semaphore(Shared<SemaphoreState>);
    noun: "semaphore",
    refused: " (the other kind of semaphore included)",
    state: fn semaphore_state() -> &SemaphoreState;
    /// A semaphore holding `value` tokens in an anonymous shared mapping, inherited by
    /// children created with `fork`. Its value may grow up to [`VALUE_MAX`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `value` exceeds [`VALUE_MAX`]; [`Error::Os`] when the
    /// mapping cannot be made.
    new(value: u32) = SemaphoreState::new(value, VALUE_MAX)?;
    /// A semaphore holding `value` tokens in a new named segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] as for [`new`](Self::new); otherwise as [`Shared::create`].
    create;
    debug: ["value": value, "max": max_value];
}

impl_semaphore_api!(Semaphore, Scope::Shared);

process_primitive! {
    /// A BoundedSemaphore shared between processes: a Semaphore whose value may never exceed
    /// its initial value. Methods: [`SemaphoreApi`](crate::SemaphoreApi).
    ///
    /// ```
    /// use twinsync::{process::BoundedSemaphore, Error, SemaphoreApi};
    ///
    /// let name = twinsync::process::unique_name("doc-bsem").unwrap();
    /// let a = BoundedSemaphore::create(&name, 1).unwrap();
    /// let b = BoundedSemaphore::open(&name).unwrap();    // in another process, typically
    /// a.acquire();
    /// b.release(1).unwrap();
    /// assert!(matches!(b.release(1), Err(Error::TooManyReleases { max: 1 })));
    /// twinsync::process::unlink(&name).unwrap();
    /// ```
    pub struct BoundedSemaphore(Shared<BoundedState>);
    noun: "semaphore",
    refused: " (the other kind of semaphore included)",
    state: fn semaphore_state() -> &SemaphoreState = |s| &s.shared.0;
    /// A bounded semaphore holding `value` tokens, and at most `value`, in an anonymous
    /// shared mapping, inherited by children created with `fork`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `value` exceeds [`VALUE_MAX`]; [`Error::Os`] when the
    /// mapping cannot be made.
    new(value: u32) = BoundedState(SemaphoreState::new(value, value)?);
    /// A bounded semaphore holding `value` tokens, and at most `value`, in a new named
    /// segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] as for [`new`](Self::new); otherwise as [`Shared::create`].
    create;
    debug: ["value": value, "max": max_value];
}

impl_semaphore_api!(BoundedSemaphore, Scope::Shared);
