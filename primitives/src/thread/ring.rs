//! The thread versions' slot storage: a [`QueueState`], its stamps and its slots on the heap,
//! each slot holding a `T`. The Queue holds one ring; a Pipe holds one per direction.
//!
//! The only `unsafe` of the thread Queue and Pipe is here: moving a value into a slot and out
//! of it, when the algorithm has handed that slot to the caller alone.

use std::mem::MaybeUninit;

use crate::algo::queue::{Patience, QueueState};
use crate::api::{PutError, Ring};
use crate::sync::atomic::AtomicU32;
use crate::sync::cell::UnsafeCell;
use crate::sync::futex::Scope;
use crate::Error;

/// A ring of `capacity` slots of `T`; remaining items are dropped with it.
pub(crate) struct HeapRing<T> {
    state: QueueState,
    stamps: Box<[AtomicU32]>,
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
}

// SAFETY: the ring moves items from the thread that puts to the thread that gets, so it needs
// `T: Send`, and that is enough: no `&T` is ever shared, each slot is accessed by one thread
// at a time (algo::queue invariant 2), and everything else is atomic.
unsafe impl<T: Send> Sync for HeapRing<T> {}

impl<T> HeapRing<T> {
    /// An empty ring.
    pub(crate) fn new(capacity: usize) -> Result<Self, Error> {
        let state = QueueState::new(capacity)?;
        let stamps: Box<[AtomicU32]> = (0..capacity).map(|_| AtomicU32::new(0)).collect();
        state.init_stamps(&stamps);
        let slots = (0..capacity)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect();
        Ok(HeapRing {
            state,
            stamps,
            slots,
        })
    }

    /// The algorithm state, mutably (checker builds select faults through it).
    #[cfg(any(twinsync_loom, twinsync_shuttle))]
    pub(crate) fn state_mut(&mut self) -> &mut QueueState {
        &mut self.state
    }
}

impl<T> Ring<T> for HeapRing<T> {
    fn state(&self) -> &QueueState {
        &self.state
    }

    fn put(&self, item: T, patience: Patience<'_>) -> Result<(), PutError<T>> {
        let mut item = Some(item);
        let write = |i: usize| {
            if let Some(v) = item.take() {
                // SAFETY: the algorithm hands slot `i` to this call alone until the closure
                // returns (algo::queue invariant 2), and the slot is free: its previous item,
                // if any, was moved out by the get that freed it.
                self.slots[i].with_mut(|p| unsafe { (*p).write(v) });
            }
        };
        let r = self
            .state
            .put(&self.stamps, write, patience, Scope::Private);
        r.map_err(|error| PutError {
            error,
            item: item.take().expect("a failed put does not call write"),
        })
    }

    fn get(&self, patience: Patience<'_>) -> Result<T, Error> {
        let read = |i: usize| {
            // SAFETY: the algorithm hands slot `i` to this call alone (invariant 2), and its
            // stamp said it holds an item, written in full by the put that published it.
            // Reading moves the item out; the algorithm then marks the slot free.
            self.slots[i].with(|p| unsafe { (*p).assume_init_read() })
        };
        self.state.get(&self.stamps, read, patience, Scope::Private)
    }

    fn poll(&self, patience: Patience<'_>) -> bool {
        self.state.poll(&self.stamps, patience, Scope::Private)
    }

    fn close(&self) {
        self.state.close(Scope::Private);
    }

    fn task_done(&self) -> Result<(), Error> {
        self.state.task_done(Scope::Private)
    }

    fn join(&self, patience: Patience<'_>) -> bool {
        self.state.join(patience, Scope::Private)
    }
}

impl<T> Drop for HeapRing<T> {
    fn drop(&mut self) {
        // Drops the items left (a closed ring still yields them).
        while self.get(Patience::Never).is_ok() {}
    }
}
