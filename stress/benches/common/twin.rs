//! Adapters that let twinsync's primitives play the benches' roles ([`Cycle`], [`Signal`])
//! in more than one bench target. Generic over each primitive's API trait, so one adapter
//! serves the thread and the process version.

use twinsync::SemaphoreApi;

use super::{Cycle, Signal};

/// A twinsync Semaphore or BoundedSemaphore. As a [`Cycle`]: acquire + release(1). As a
/// [`Signal`]: post = release(1), wait = acquire.
pub struct Sem<S>(pub S);

impl<S: SemaphoreApi + Sync> Cycle for Sem<S> {
    #[inline]
    fn cycle(&self) {
        self.0.acquire();
        self.0.release(1).expect("release of what was acquired");
    }
}

impl<S: SemaphoreApi + Sync> Signal for Sem<S> {
    #[inline]
    fn post(&self) {
        self.0.release(1).expect("release(1) below the maximum");
    }

    #[inline]
    fn wait(&self) {
        self.0.acquire();
    }
}
