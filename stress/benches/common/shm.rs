//! [`Shm`]: one object alone in an anonymous `MAP_SHARED` mapping, so that processes forked
//! after it is made share it, and no two benchmarked objects share a cache line.

use std::ops::Deref;
use std::ptr::{self, NonNull};

/// A `T` alone in an anonymous `MAP_SHARED` mapping: children forked after it is made see
/// the same memory. Page-aligned, so aligned for every type used here.
pub struct Shm<T> {
    ptr: NonNull<T>,
}

// SAFETY: a `Shm<T>` only hands out `&T` (and a raw pointer for C objects that are
// synchronized by the C library), so it is as thread-safe as `T`.
unsafe impl<T: Sync> Sync for Shm<T> {}
// SAFETY: the mapping is not tied to the thread that made it.
unsafe impl<T: Send> Send for Shm<T> {}

impl<T> Shm<T> {
    /// A fresh mapping holding an all-zero `T`.
    ///
    /// # Safety
    ///
    /// All-zero bytes must be a valid value of `T`.
    pub unsafe fn zeroed() -> Shm<T> {
        assert!(std::mem::align_of::<T>() <= 4096);
        let len = std::mem::size_of::<T>().max(1);
        // SAFETY: a new anonymous mapping (zero-filled by the kernel); no existing memory is
        // touched.
        let p = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert!(
            p != libc::MAP_FAILED,
            "mmap: {}",
            std::io::Error::last_os_error()
        );
        Shm {
            ptr: NonNull::new(p.cast()).expect("mmap returned null"),
        }
    }

    /// The object's address, for the C functions that take a `*mut`.
    pub fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<T> Deref for Shm<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the mapping lives as long as `self`, holds a valid `T` (zeroed's contract)
        // and is only ever mutated through `T`'s own interior mutability or by C functions
        // that own the object's synchronization.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> Drop for Shm<T> {
    fn drop(&mut self) {
        let len = std::mem::size_of::<T>().max(1);
        // SAFETY: unmaps exactly the mapping made in `zeroed`; no reference outlives `self`.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), len) };
    }
}
