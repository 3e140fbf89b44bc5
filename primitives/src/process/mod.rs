//! Process versions: state in shared memory, shared futexes.
//!
//! Each primitive lives in a [`Shared`] segment: anonymous (`new`, inherited by children
//! created with `fork`) or named (`create` / `open`, for unrelated processes, or for children
//! started with the spawn method). A named segment begins with a checked [header](Header).

mod barrier;
mod condition;
mod event;
mod lock;
mod rlock;
mod rwlock;
mod semaphore;
mod shared;

pub use barrier::Barrier;
pub use condition::{Condition, ProcessLock};
pub use event::Event;
pub use lock::Lock;
pub use rlock::RLock;
pub use rwlock::RwLock;
pub use semaphore::{BoundedSemaphore, Semaphore};
mod codec;
mod pipe;
mod queue;
mod ring;

pub use codec::{Codec, Postcard, Raw};
pub use pipe::{Connection, Pipe};
pub use queue::Queue;
pub use ring::MAX_MESSAGE;
pub use shared::{Header, Shared, ShmSafe, ABI_VERSION, HEADER_SIZE, MAGIC};

/// Kind tag of a Lock segment (`b"LOCK"`).
pub const KIND_LOCK: u32 = u32::from_be_bytes(*b"LOCK");
/// Kind tag of an RLock segment (`b"RLCK"`).
pub const KIND_RLOCK: u32 = u32::from_be_bytes(*b"RLCK");
/// Kind tag of a Condition segment (`b"COND"`).
pub const KIND_CONDITION: u32 = u32::from_be_bytes(*b"COND");
/// Kind tag of a Semaphore segment (`b"SEMA"`).
pub const KIND_SEMAPHORE: u32 = u32::from_be_bytes(*b"SEMA");
/// Kind tag of a BoundedSemaphore segment (`b"BSEM"`).
pub const KIND_BOUNDED_SEMAPHORE: u32 = u32::from_be_bytes(*b"BSEM");
/// Kind tag of an Event segment (`b"EVNT"`).
pub const KIND_EVENT: u32 = u32::from_be_bytes(*b"EVNT");
/// Kind tag of a Barrier segment (`b"BARR"`).
pub const KIND_BARRIER: u32 = u32::from_be_bytes(*b"BARR");
/// Kind tag of an RwLock segment (`b"RWLK"`).
pub const KIND_RWLOCK: u32 = u32::from_be_bytes(*b"RWLK");
/// Kind tag of a Queue segment (`b"QUEU"`).
pub const KIND_QUEUE: u32 = u32::from_be_bytes(*b"QUEU");
/// Kind tag of a Pipe segment (`b"PIPE"`).
pub const KIND_PIPE: u32 = u32::from_be_bytes(*b"PIPE");
/// Kind tag of a segment holding a user type (`b"USER"`).
pub const KIND_USER: u32 = u32::from_be_bytes(*b"USER");

pub use crate::error::kind_name;
pub use crate::sys::shm::{unique_name, unlink};

/// Declares a process version whose whole state is one [`Shared`] segment: the struct (with
/// the caller's docs), `new(args)` (anonymous mapping) and `create(name, args)` (named
/// segment) building the state with `$init` (which may use `?`), `open(name)`, `name()`, the
/// private state accessor that the `impl_x_api!` macros use, and a `Debug` impl showing the
/// segment's name and the listed state getters.
///
/// The file keeps what is specific to its primitive: the docs of the struct, `new` and
/// `create`, the `ShmSafe` impl, extra methods and the `impl_x_api!` call. `$noun` names the
/// primitive in the generated docs of `open` and `name` ("the lock", "an anonymous lock");
/// `$refused` adds to what `open` says it refuses. With `state = |$s| expr`, the accessor
/// returns `expr` instead of the segment's contents (for a state wrapped under another kind).
/// The calling file must have `Shared` and `Error` in scope (the generated code and docs
/// name them).
macro_rules! process_primitive {
    (
        $(#[$attr:meta])*
        pub struct $ty:ident(Shared<$stored:ty>);
        noun: $noun:literal,
        $(refused: $refused:literal,)?
        state: fn $accessor:ident() -> &$state:ty $(= |$s:ident| $get:expr)?;
        $(#[$new_attr:meta])*
        new($($arg:ident: $arg_ty:ty),*) = $init:expr;
        $(#[$create_attr:meta])*
        create;
        debug: [$($field:literal: $getter:ident),* $(,)?];
    ) => {
        $(#[$attr])*
        pub struct $ty {
            shared: Shared<$stored>,
        }

        impl $ty {
            $(#[$new_attr])*
            pub fn new($($arg: $arg_ty),*) -> Result<Self, Error> {
                Ok($ty {
                    shared: Shared::new($init)?,
                })
            }

            $(#[$create_attr])*
            pub fn create(name: &str, $($arg: $arg_ty),*) -> Result<Self, Error> {
                Ok($ty {
                    shared: Shared::create(name, $init)?,
                })
            }

            #[doc = concat!("Attaches to the ", $noun, " in the named segment `name`. See [`Shared::open`].")]
            ///
            /// # Errors
            ///
            #[doc = concat!(
                "As [`Shared::open`]; a segment holding another primitive", $($refused,)?
                " is refused with [`SegmentError::WrongKind`](crate::SegmentError::WrongKind)."
            )]
            pub fn open(name: &str) -> Result<Self, Error> {
                Ok($ty {
                    shared: Shared::open(name)?,
                })
            }

            #[doc = concat!("The segment's name, `None` for an anonymous ", $noun, ".")]
            pub fn name(&self) -> Option<&str> {
                self.shared.name()
            }

            fn $accessor(&self) -> &$state {
                $crate::process::process_primitive!(@state self $(, |$s| $get)?)
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let _state = self.$accessor();
                f.debug_struct(concat!("process::", stringify!($ty)))
                    .field("name", &self.shared.name())
                    $(.field($field, &_state.$getter()))*
                    .finish()
            }
        }
    };
    (@state $self:ident) => {
        &$self.shared
    };
    (@state $self:ident, |$s:ident| $get:expr) => {{
        let $s = $self;
        $get
    }};
}
pub(crate) use process_primitive;
