//! `process::Barrier`.

use std::fmt;

use super::{Shared, ShmSafe, KIND_BARRIER};
use crate::algo::barrier::BarrierState;
use crate::api::{impl_barrier_api, BarrierLocal};
use crate::sync::futex::Scope;
use crate::Error;

// SAFETY: BarrierState is `#[repr(C)]`, two AtomicU32 and an AtomicU64 (align 8), valid at any
// address, no pointers, no destructor; mutated only atomically.
unsafe impl ShmSafe for BarrierState {
    const KIND: u32 = KIND_BARRIER;
}

/// A Barrier shared between processes. Methods: [`BarrierApi`](crate::BarrierApi); builders
/// [`with_action`](Barrier::with_action) and [`with_timeout`](Barrier::with_timeout).
///
/// The party count and the generation live in shared memory; the action and the default
/// timeout belong to each handle, so each process passes its own (the action runs in the
/// process of the last party to arrive).
///
/// ```
/// use twinsync::{process::Barrier, BarrierApi};
///
/// let name = twinsync::process::unique_name("doc-barrier").unwrap();
/// let a = Barrier::create(&name, 1).unwrap();
/// let b = Barrier::open(&name).unwrap();      // in another process, typically
/// assert_eq!(b.parties(), 1);
/// assert_eq!(b.wait().unwrap(), 0);
/// a.abort();
/// assert!(b.broken());
/// twinsync::process::unlink(&name).unwrap();
/// ```
pub struct Barrier {
    shared: Shared<BarrierState>,
    local: BarrierLocal,
}

impl Barrier {
    fn with_shared(shared: Shared<BarrierState>) -> Self {
        Barrier {
            shared,
            local: BarrierLocal::default(),
        }
    }

    /// A barrier for `parties` parties in an anonymous shared mapping, inherited by children
    /// created with `fork`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad `parties` (as
    /// [`thread::Barrier::new`](crate::thread::Barrier::new)); [`Error::Os`] when the mapping
    /// cannot be made.
    pub fn new(parties: u32) -> Result<Self, Error> {
        Ok(Self::with_shared(Shared::new(BarrierState::new(parties)?)?))
    }

    /// A barrier for `parties` parties in a new named segment. See [`Shared::create`].
    ///
    /// # Errors
    ///
    /// As [`Barrier::new`] and [`Shared::create`].
    pub fn create(name: &str, parties: u32) -> Result<Self, Error> {
        Ok(Self::with_shared(Shared::create(
            name,
            BarrierState::new(parties)?,
        )?))
    }

    /// Attaches to the barrier in the named segment `name`. See [`Shared::open`].
    ///
    /// # Errors
    ///
    /// As [`Shared::open`]; [`Error::InvalidArgument`] when the segment holds a party count
    /// or arrival count out of range (a corrupt or hostile segment).
    pub fn open(name: &str) -> Result<Self, Error> {
        let shared = Shared::<BarrierState>::open(name)?;
        shared.check()?;
        Ok(Self::with_shared(shared))
    }

    /// The segment's name, `None` for an anonymous barrier.
    pub fn name(&self) -> Option<&str> {
        self.shared.name()
    }

    fn barrier_state(&self) -> &BarrierState {
        &self.shared
    }
}

impl_barrier_api!(Barrier, Scope::Shared, "process::Barrier");

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("process::Barrier")
            .field("name", &self.shared.name())
            .field("parties", &self.shared.parties())
            .field("n_waiting", &self.shared.n_waiting())
            .field("broken", &self.shared.broken())
            .field("local", &self.local)
            .finish()
    }
}
