//! Shared-memory regions.
//!
//! * [`Region::anonymous`]: `mmap(MAP_SHARED | MAP_ANONYMOUS)`. A child created by `fork`
//!   inherits the mapping and sees the parent's writes (unlike `MAP_PRIVATE`, which would give
//!   the child a copy).
//! * [`Region::create_named`] / [`Region::open_named`]: POSIX `shm_open` objects, for
//!   unrelated processes. Creation is exclusive (`O_CREAT | O_EXCL`) with mode `0600`; attach
//!   checks with `fstat`, before mapping, that the object belongs to the caller's effective
//!   user, grants nothing to group or others, and is as large as the caller needs. The whole
//!   object is mapped and never more, so no access can fault with `SIGBUS` unless someone
//!   truncates the object afterwards.
//!
//! Names are not unlinked on drop: a name is removed only by [`unlink`], by whoever the
//! application decides owns it. Existing mappings stay valid after an unlink.

use std::ffi::CString;
use std::ptr::NonNull;

use crate::error::SegmentError;
use crate::Error;

/// A mapped shared-memory region, unmapped on drop.
#[derive(Debug)]
pub struct Region {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: a Region is a plain address range; all access to its contents goes through atomics
// or through types that uphold `ShmSafe`, so moving or sharing the handle across threads is
// sound.
unsafe impl Send for Region {}
// SAFETY: as above; `&Region` only exposes the base pointer and length.
unsafe impl Sync for Region {}

fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// Rounds `len` up to a whole number of pages (at least one).
pub fn page_round(len: usize) -> usize {
    let p = page_size();
    len.max(1).div_ceil(p) * p
}

fn os_err(op: &'static str) -> Error {
    Error::Os {
        op,
        source: std::io::Error::last_os_error(),
    }
}

/// Checks a POSIX shared-memory name: `/` then 1 to 250 bytes, none of them `/` or NUL.
pub fn check_name(name: &str) -> Result<CString, Error> {
    let bad = |reason: &'static str| Error::InvalidName {
        name: name.to_owned(),
        reason,
    };
    let rest = name
        .strip_prefix('/')
        .ok_or_else(|| bad("must start with '/'"))?;
    if rest.is_empty() || rest.len() > 250 {
        return Err(bad("must have 1 to 250 bytes after the leading '/'"));
    }
    if rest.contains('/') {
        return Err(bad("must not contain '/' after the first byte"));
    }
    CString::new(name).map_err(|_| bad("must not contain a NUL byte"))
}

/// Closes an fd on drop.
struct Fd(libc::c_int);
impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own this descriptor and close it exactly once.
        unsafe { libc::close(self.0) };
    }
}

impl Region {
    /// Maps `len` bytes (rounded up to pages) of zeroed anonymous shared memory, inherited by
    /// children created with `fork`.
    pub fn anonymous(len: usize) -> Result<Region, Error> {
        let len = page_round(len);
        // SAFETY: a fresh anonymous mapping overlaps nothing; arguments are valid.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        Self::from_mmap(p, len)
    }

    fn from_mmap(p: *mut libc::c_void, len: usize) -> Result<Region, Error> {
        if p == libc::MAP_FAILED {
            return Err(os_err("mmap"));
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| os_err("mmap"))?;
        Ok(Region { ptr, len })
    }

    fn map_fd(fd: &Fd, len: usize) -> Result<Region, Error> {
        // SAFETY: maps `len` bytes of an object we just sized (create) or measured with
        // fstat (open); the mapping overlaps nothing.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.0,
                0,
            )
        };
        Self::from_mmap(p, len)
    }

    /// Creates the named object `name` (`O_CREAT | O_EXCL`, mode `0600`) of `len` bytes
    /// (rounded up to pages), zero-filled, and maps it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`], [`Error::Segment`] with [`SegmentError::AlreadyExists`] when the
    /// name is taken, or [`Error::Os`].
    pub fn create_named(name: &str, len: usize) -> Result<Region, Error> {
        let cname = check_name(name)?;
        let len = page_round(len);
        // SAFETY: `cname` is a valid C string.
        let fd = unsafe {
            libc::shm_open(
                cname.as_ptr(),
                libc::O_CREAT | libc::O_EXCL | libc::O_RDWR | libc::O_CLOEXEC,
                0o600 as libc::mode_t,
            )
        };
        if fd < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EEXIST) {
                return Err(Error::Segment {
                    name: name.to_owned(),
                    error: SegmentError::AlreadyExists,
                });
            }
            return Err(Error::Os {
                op: "shm_open",
                source: e,
            });
        }
        let fd = Fd(fd);
        // SAFETY: `fd` is an open descriptor we own.
        if unsafe { libc::ftruncate(fd.0, len as libc::off_t) } != 0 {
            let e = os_err("ftruncate");
            let _ = unlink(name);
            return Err(e);
        }
        Self::map_fd(&fd, len).inspect_err(|_| {
            let _ = unlink(name);
        })
    }

    /// Opens the named object `name` and maps all of it, after checking with `fstat` that it
    /// belongs to this process's effective user, is not accessible to group or others, and is
    /// at least `min_len` bytes long.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`]; [`Error::Segment`] with [`SegmentError::NotFound`],
    /// [`SegmentError::WrongOwner`], [`SegmentError::LoosePermissions`] or
    /// [`SegmentError::Truncated`]; [`Error::Os`].
    pub fn open_named(name: &str, min_len: usize) -> Result<Region, Error> {
        let cname = check_name(name)?;
        let seg = |error| Error::Segment {
            name: name.to_owned(),
            error,
        };
        // SAFETY: `cname` is a valid C string.
        let fd = unsafe { libc::shm_open(cname.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC, 0) };
        if fd < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::ENOENT) {
                return Err(seg(SegmentError::NotFound));
            }
            return Err(Error::Os {
                op: "shm_open",
                source: e,
            });
        }
        let fd = Fd(fd);
        // SAFETY: an all-zero `stat` is a valid value to be overwritten by fstat.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `fd` is open and `st` is writable.
        if unsafe { libc::fstat(fd.0, &mut st) } != 0 {
            return Err(os_err("fstat"));
        }
        // SAFETY: geteuid cannot fail.
        let euid = unsafe { libc::geteuid() };
        if st.st_uid != euid {
            return Err(seg(SegmentError::WrongOwner {
                owner: st.st_uid,
                expected: euid,
            }));
        }
        let mode = st.st_mode & 0o777;
        if mode & 0o077 != 0 {
            return Err(seg(SegmentError::LoosePermissions { mode }));
        }
        let size = st.st_size.max(0) as usize;
        if size < min_len || size == 0 {
            return Err(seg(SegmentError::Truncated {
                size,
                needed: min_len.max(1),
            }));
        }
        Self::map_fd(&fd, size)
    }

    /// Base address of the mapping (page-aligned).
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Length of the mapping in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a mapping has at least one page.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: we own this mapping and unmap it exactly once; no reference into it
        // outlives the Region (owners hold the Region for as long as they hand out references).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// Removes the name `name`. Processes that have it mapped keep their mappings; the memory is
/// freed when the last one unmaps it.
///
/// # Errors
///
/// [`Error::InvalidName`]; [`Error::Segment`] with [`SegmentError::NotFound`]; [`Error::Os`].
pub fn unlink(name: &str) -> Result<(), Error> {
    let cname = check_name(name)?;
    // SAFETY: `cname` is a valid C string.
    if unsafe { libc::shm_unlink(cname.as_ptr()) } != 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ENOENT) {
            return Err(Error::Segment {
                name: name.to_owned(),
                error: SegmentError::NotFound,
            });
        }
        return Err(Error::Os {
            op: "shm_unlink",
            source: e,
        });
    }
    Ok(())
}

/// A fresh name `"/{prefix}-{random}"` with 128 random bits from the kernel, so another user
/// cannot predict it and pre-create it.
///
/// # Errors
///
/// [`Error::Os`] if `getrandom` fails; [`Error::InvalidName`] if `prefix` makes it invalid.
pub fn unique_name(prefix: &str) -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    let mut filled = 0;
    while filled < bytes.len() {
        // SAFETY: writes at most `bytes.len() - filled` bytes into the rest of `bytes`.
        let n = unsafe {
            libc::getrandom(bytes[filled..].as_mut_ptr().cast(), bytes.len() - filled, 0)
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(Error::Os {
                op: "getrandom",
                source: e,
            });
        }
        filled += n as usize;
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("/{prefix}-{hex}");
    check_name(&name)?;
    Ok(name)
}
