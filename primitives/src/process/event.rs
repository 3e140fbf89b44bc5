//! `process::Event`.

use super::{process_primitive, Shared, ShmSafe, KIND_EVENT};
use crate::algo::event::EventState;
use crate::api::impl_event_api;
use crate::sync::futex::Scope;
use crate::Error;

// SAFETY: EventState is `#[repr(C)]`, one AtomicU32, valid at any address, no destructor.
unsafe impl ShmSafe for EventState {
    const KIND: u32 = KIND_EVENT;
}

process_primitive! {
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
    pub struct Event(Shared<EventState>);
    noun: "event",
    state: fn event_state() -> &EventState;
    /// A clear event in an anonymous shared mapping, inherited by children created with
    /// `fork`.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] when the mapping cannot be made.
    new() = EventState::new();
    /// A clear event in a new named segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// As [`Shared::create`].
    create;
    debug: ["set": is_set];
}

impl_event_api!(Event, Scope::Shared);
