//! The kernel message peers of Queue and Pipe: a Unix-domain socket pair (what Python's
//! `multiprocessing.Pipe()` is made of) and a POSIX message queue. Both are kernel objects
//! reached through descriptors, so forked children share them.

use std::ffi::CString;

use super::{Cycle, PingPong, Signal};

/// Panics with `what` and `errno` unless `r` is `ok`.
fn check_len(r: isize, ok: usize, what: &str) {
    assert!(
        r == ok as isize,
        "{what}: returned {r}: {}",
        std::io::Error::last_os_error()
    );
}

/// A connected `AF_UNIX` `SOCK_SEQPACKET` pair (message boundaries kept, as a Pipe's
/// messages are): end 0 for party A, end 1 for party B. Messages are one `u64`.
pub struct SocketPair {
    fds: [libc::c_int; 2],
}

impl SocketPair {
    /// A new connected pair.
    pub fn new() -> SocketPair {
        let mut fds = [0; 2];
        // SAFETY: `fds` is a valid out-array of two descriptors.
        let r = unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
                0,
                fds.as_mut_ptr(),
            )
        };
        assert!(r == 0, "socketpair: {}", std::io::Error::last_os_error());
        SocketPair { fds }
    }

    /// Sends one message from end `me`.
    #[inline]
    pub fn send(&self, me: usize, msg: u64) {
        let bytes = msg.to_ne_bytes();
        // SAFETY: writes from a live 8-byte buffer to our own open descriptor.
        let r = unsafe { libc::write(self.fds[me], bytes.as_ptr().cast(), bytes.len()) };
        check_len(r, bytes.len(), "write(socketpair)");
    }

    /// Receives one message at end `me`, waiting for it.
    #[inline]
    pub fn recv(&self, me: usize) -> u64 {
        let mut bytes = [0u8; 8];
        // SAFETY: reads into a live 8-byte buffer from our own open descriptor.
        let r = unsafe { libc::read(self.fds[me], bytes.as_mut_ptr().cast(), bytes.len()) };
        check_len(r, bytes.len(), "read(socketpair)");
        u64::from_ne_bytes(bytes)
    }
}

impl Cycle for SocketPair {
    /// Send on end 0, receive on end 1 (in the contended groups, one party each).
    #[inline]
    fn cycle(&self) {
        self.send(0, 1);
        self.recv(1);
    }

    #[inline]
    fn side(&self, me: usize) {
        if me == 0 {
            self.send(0, 1);
        } else {
            self.recv(1);
        }
    }
}

impl PingPong for SocketPair {
    #[inline]
    fn ping(&self) {
        self.send(0, 1);
        self.recv(0);
    }

    #[inline]
    fn pong(&self) {
        let m = self.recv(1);
        self.send(1, m);
    }
}

impl Drop for SocketPair {
    fn drop(&mut self) {
        for fd in self.fds {
            // SAFETY: closes a descriptor this pair owns, once.
            unsafe { libc::close(fd) };
        }
    }
}

/// A POSIX message queue (`mq_open`), unlinked as soon as it is open: only this process and
/// its forked children hold it. Messages are one `u64`.
pub struct MessageQueue {
    mq: libc::mqd_t,
}

impl MessageQueue {
    /// A new queue holding up to `capacity` messages (at most `/proc/sys/fs/mqueue/msg_max`,
    /// 10 by default).
    pub fn new(capacity: i64) -> MessageQueue {
        let name = CString::new(format!("/twinsync-bench-{}", std::process::id()))
            .expect("no NUL in the name");
        // SAFETY: mq_attr is plain integers; all zeroes is a value, then filled in.
        let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
        attr.mq_maxmsg = capacity;
        attr.mq_msgsize = 8;
        // SAFETY: `name` is a NUL-terminated string and `attr` a valid mq_attr; O_EXCL makes
        // sure the queue is ours.
        let mq = unsafe {
            libc::mq_open(
                name.as_ptr(),
                libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
                0o600 as libc::mode_t,
                &attr as *const libc::mq_attr,
            )
        };
        assert!(mq != -1, "mq_open: {}", std::io::Error::last_os_error());
        // SAFETY: removes the name we just created; the descriptor stays valid.
        unsafe { libc::mq_unlink(name.as_ptr()) };
        MessageQueue { mq }
    }
}

impl Signal for MessageQueue {
    /// Sends one message, waiting while the queue is full.
    #[inline]
    fn post(&self) {
        let bytes = 1u64.to_ne_bytes();
        // SAFETY: sends from a live 8-byte buffer on our own open queue.
        let r = unsafe { libc::mq_send(self.mq, bytes.as_ptr().cast(), bytes.len(), 0) };
        assert!(r == 0, "mq_send: {}", std::io::Error::last_os_error());
    }

    /// Receives one message, waiting while the queue is empty.
    #[inline]
    fn wait(&self) {
        let mut bytes = [0u8; 8];
        // SAFETY: receives into a live 8-byte buffer (the queue's message size) from our own
        // open queue; the priority out-pointer may be null.
        let r = unsafe {
            libc::mq_receive(
                self.mq,
                bytes.as_mut_ptr().cast(),
                bytes.len(),
                std::ptr::null_mut(),
            )
        };
        check_len(r, bytes.len(), "mq_receive");
    }
}

impl Drop for MessageQueue {
    fn drop(&mut self) {
        // SAFETY: closes the queue descriptor this value owns, once.
        unsafe { libc::mq_close(self.mq) };
    }
}
