//! `thread::Event`.

use std::fmt;

use crate::algo::event::EventState;
use crate::api::impl_event_api;
use crate::sync::futex::Scope;

/// An Event for threads of one process. Methods: [`EventApi`](crate::EventApi).
///
/// ```
/// use twinsync::{thread::Event, EventApi};
///
/// let done = Event::new();
/// std::thread::scope(|s| {
///     s.spawn(|| done.set());
///     done.wait();
/// });
/// assert!(done.is_set());
/// ```
#[derive(Default)]
pub struct Event {
    state: EventState,
}

impl Event {
    /// A clear event (Python's `Event()`).
    pub fn new() -> Self {
        Event {
            state: EventState::new(),
        }
    }

    fn event_state(&self) -> &EventState {
        &self.state
    }
}

impl_event_api!(Event, Scope::Private);

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("thread::Event")
            .field("set", &self.state.is_set())
            .finish()
    }
}
