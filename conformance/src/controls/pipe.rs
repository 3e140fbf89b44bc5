//! Pipe's negative controls: a thread Pipe whose ends have one planted bug in front of the
//! real ends. They are subjects of the in-process drivers (the bug is sequential, so every
//! driver that runs them must reject them).
//!
//! | control | bug | class | must fail |
//! |---|---|---|---|
//! | [`DropEmpty`] | every receive form skips empty messages | sequential | PIPE-01 |
//! | [`ConsumingPoll`] | a successful poll takes the message it saw | sequential | PIPE-05 / PIPE-01 |

use std::time::Duration;

use twinsync::{ConnectionApi, Error};

use crate::families::{PipeFamily, Pipes};
use crate::scenarios::pipe::{PipeSubject, PIPE_CAPACITY};
use crate::spec::pipe::Msg;
use crate::subject::{BugClass, Control, Testable};

/// [`FlawedEnd`]'s bug: receives skip empty messages.
pub const DROP_EMPTY: u8 = 0;
/// [`FlawedEnd`]'s bug: a successful poll consumes the message.
pub const CONSUMING_POLL: u8 = 1;

/// A real thread Pipe end with bug `BUG` ([`DROP_EMPTY`] or [`CONSUMING_POLL`]).
#[derive(Debug)]
pub struct FlawedEnd<const BUG: u8>(twinsync::thread::Connection<Msg>);

/// The DropEmpty control: a pipe whose receives skip empty messages.
pub type DropEmpty = Pipes<FlawedEnd<DROP_EMPTY>>;
/// The ConsumingPoll control: a pipe whose poll takes the message it reports.
pub type ConsumingPoll = Pipes<FlawedEnd<CONSUMING_POLL>>;

impl<const BUG: u8> FlawedEnd<BUG> {
    /// Receives with `recv`; with [`DROP_EMPTY`], an empty message is skipped and the next
    /// one taken if one is ready (never waiting again: the control must give wrong answers,
    /// not hang the sequential drivers whose model expects the empty message).
    fn filtered(&self, recv: impl Fn() -> Result<Msg, Error>) -> Result<Msg, Error> {
        let m = recv()?;
        if BUG == DROP_EMPTY && m.is_empty() {
            // BUG: an empty message is a message, and must be returned.
            return self.0.try_recv();
        }
        Ok(m)
    }
}

/// How long [`CONSUMING_POLL`]'s blocking receive waits before it gives up with
/// `Error::Empty`: a message its poll swallowed must show as a wrong answer, not a hang.
const GIVE_UP: Duration = Duration::from_millis(20);

impl<const BUG: u8> ConnectionApi<Msg> for FlawedEnd<BUG> {
    fn send(&self, msg: Msg) -> Result<(), Error> {
        self.0.send(msg)
    }
    fn send_timeout(&self, msg: Msg, timeout: Duration) -> Result<(), Error> {
        self.0.send_timeout(msg, timeout)
    }
    fn recv(&self) -> Result<Msg, Error> {
        if BUG == CONSUMING_POLL {
            return self.0.recv_timeout(GIVE_UP);
        }
        self.filtered(|| self.0.recv())
    }
    fn try_recv(&self) -> Result<Msg, Error> {
        self.filtered(|| self.0.try_recv())
    }
    fn recv_timeout(&self, timeout: Duration) -> Result<Msg, Error> {
        self.filtered(|| self.0.recv_timeout(timeout))
    }
    fn poll(&self, timeout: Duration) -> Result<bool, Error> {
        let ready = self.0.poll(timeout)?;
        if ready && BUG == CONSUMING_POLL {
            // BUG: poll must leave the message for the next receive.
            let _ = self.0.try_recv();
        }
        Ok(ready)
    }
    fn close(&self) {
        self.0.close();
    }
    fn is_closed(&self) -> bool {
        self.0.is_closed()
    }
    fn readable(&self) -> bool {
        self.0.readable()
    }
    fn writable(&self) -> bool {
        self.0.writable()
    }
}

fn pair<const BUG: u8>(duplex: bool) -> Result<[FlawedEnd<BUG>; 2], Error> {
    let (a, b) = twinsync::thread::Pipe::with_capacity(duplex, PIPE_CAPACITY)?;
    Ok([FlawedEnd(a), FlawedEnd(b)])
}

impl<const BUG: u8> PipeSubject for Pipes<FlawedEnd<BUG>> {
    type End = FlawedEnd<BUG>;
    fn end(&self, i: usize) -> &FlawedEnd<BUG> {
        self.end_ref(i)
    }
    fn one_way() -> Result<[FlawedEnd<BUG>; 2], Error> {
        pair(false)
    }
}

impl Testable for DropEmpty {
    type Family = PipeFamily;
    const NAME: &'static str = "control::DropEmpty";
    const VERSION: &'static str = "control";
    const CONTROL: Option<Control> = Some(Control {
        bug: "every receive form skips empty messages (an empty message is a message)",
        class: BugClass::Sequential,
        expected: &["PIPE-01"],
    });
    fn make() -> Result<Self, Error> {
        Ok(Pipes::new(pair(true)?))
    }
}

impl Testable for ConsumingPoll {
    type Family = PipeFamily;
    const NAME: &'static str = "control::ConsumingPoll";
    const VERSION: &'static str = "control";
    const CONTROL: Option<Control> = Some(Control {
        bug: "a poll that finds a message ready takes it (poll must not consume)",
        class: BugClass::Sequential,
        expected: &["PIPE-05", "PIPE-01"],
    });
    fn make() -> Result<Self, Error> {
        Ok(Pipes::new(pair(true)?))
    }
}
