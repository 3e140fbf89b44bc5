//! `process::Event`.

use std::fmt;

use super::{Shared, ShmSafe, KIND_EVENT};
use crate::algo::event::EventState;
use crate::api::impl_event_api;
use crate::sync::futex::Scope;
use crate::Error;

// SAFETY: EventState is `#[repr(C)]`, one AtomicU32, valid at any address, no destructor.
unsafe impl ShmSafe for EventState {
    const KIND: u32 = KIND_EVENT;
}

/// An Event shared between processes. Methods: [`EventApi`](crate::EventApi).
///
/// Between a parent and children created with `fork`, make it with [`Event::new`] before
/// forking. Between unrelated processes (or children started by the spawn method), one
/// process calls [`Event::create`] with a name and the others [`Event::open`] it.
///
/// ```
/// use twinsync::{process::Event, EventApi};
///
/// let name = twinsync::process::unique_name("doc-event").unwrap();
/// let a = Event::create(&name).unwrap();
/// let b = Event::open(&name).unwrap();    // in another process, typically
/// a.set();
/// b.wait();
/// assert!(b.is_set());
/// twinsync::process::unlink(&name).unwrap();
/// ```
pub struct Event {
    shared: Shared<EventState>,
}

impl Event {
    /// A clear event in an anonymous shared mapping, inherited by children created with
    /// `fork`.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when the mapping cannot be made.
    pub fn new() -> Result<Self, Error> {
        Ok(Event {
            shared: Shared::new(EventState::new())?,
        })
    }

    /// A clear event in a new named segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// As [`Shared::create`].
    pub fn create(name: &str) -> Result<Self, Error> {
        Ok(Event {
            shared: Shared::create(name, EventState::new())?,
        })
    }

    /// Attaches to the event in the named segment `name`. See [`Shared::open`].
    ///
    /// # Errors
    ///
    /// As [`Shared::open`]; a segment holding another primitive is refused with
    /// [`SegmentError::WrongKind`](crate::SegmentError::WrongKind).
    pub fn open(name: &str) -> Result<Self, Error> {
        Ok(Event {
            shared: Shared::open(name)?,
        })
    }

    /// The segment's name, `None` for an anonymous event.
    pub fn name(&self) -> Option<&str> {
        self.shared.name()
    }

    fn event_state(&self) -> &EventState {
        &self.shared
    }
}

impl_event_api!(Event, Scope::Shared);

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("process::Event")
            .field("name", &self.shared.name())
            .field("set", &self.shared.is_set())
            .finish()
    }
}
