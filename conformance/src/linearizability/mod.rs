//! Linearizability checking of recorded concurrent histories.
//!
//! A **history** is what workers observed: for every operation, who called it, when it was
//! called and when it returned (`CLOCK_MONOTONIC` nanoseconds, which is system-wide, so the
//! histories of several processes merge), and what it returned. An operation that never
//! returned (its worker hung, or was killed) is **pending**: it may have taken effect at any
//! point after its call, or not at all, and it is kept, not dropped.
//!
//! The history is **linearizable** when every operation can be given one instant between its
//! call and its return (pending: after its call) such that the operations, run one at a time
//! in that order on the sequential [`Model`], give exactly the observed results. Blocking
//! operations are modelled by the model refusing them where they cannot complete (an
//! `acquire` on a held lock): such an operation is linearized at an instant where it can.
//!
//! The search is Wing and Gong's, with Lowe's memoisation of (set of linearized operations,
//! model state) pairs already explored (the idea behind Porcupine and knossos' `wgl`); each
//! object of a history is checked on its own ([`check_objects`]), since linearizability is
//! compositional. On failure, [`Violation`] holds a small offending history (shrunk by
//! dropping operations while it still fails) and renders it as a timeline.
//!
//! ```
//! use twinsync_conformance::linearizability::{check, models::LockOp, models::LockSpec, Entry, Outcome};
//!
//! // Two threads both acquired the lock at overlapping times and neither released it: no
//! // sequential order explains that.
//! let h = vec![
//!     Entry::done(0, 0, 10, LockOp::Acquire, true),
//!     Entry::done(1, 5, 15, LockOp::Acquire, true),
//! ];
//! assert!(matches!(check::<LockSpec>(&h), Outcome::Violation(_)));
//! // With a release in between it is fine.
//! let h = vec![
//!     Entry::done(0, 0, 10, LockOp::Acquire, true),
//!     Entry::done(0, 11, 12, LockOp::Release, true),
//!     Entry::done(1, 5, 15, LockOp::Acquire, true),
//! ];
//! assert!(matches!(check::<LockSpec>(&h), Outcome::Linearizable));
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Debug, Write as _};
use std::hash::Hash;

pub mod models;

/// A sequential specification for the checker.
pub trait Model {
    /// The model state (small, cheap to clone and hash).
    type State: Clone + Eq + Hash + Debug;
    /// An operation.
    type Op: Clone + Debug;
    /// An operation's result.
    type Res: Clone + PartialEq + Debug;

    /// The initial state.
    fn init() -> Self::State;

    /// Runs `op` in `state`: `None` when it cannot complete there (a blocking operation on a
    /// state that would block it), else its result and the next state.
    fn step(state: &Self::State, op: &Self::Op) -> Option<(Self::Res, Self::State)>;
}

/// One recorded operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry<O, R> {
    /// Who called it (thread or process index).
    pub client: u32,
    /// Call time (ns, `CLOCK_MONOTONIC`).
    pub call: u64,
    /// Return time, `None` for a pending operation.
    pub ret: Option<u64>,
    /// The operation.
    pub op: O,
    /// Its result, `None` for a pending operation.
    pub res: Option<R>,
}

impl<O, R> Entry<O, R> {
    /// A completed operation.
    pub fn done(client: u32, call: u64, ret: u64, op: O, res: R) -> Self {
        Entry {
            client,
            call,
            ret: Some(ret),
            op,
            res: Some(res),
        }
    }

    /// An operation that never returned.
    pub fn pending(client: u32, call: u64, op: O) -> Self {
        Entry {
            client,
            call,
            ret: None,
            op,
            res: None,
        }
    }
}

/// The checker's verdict.
#[derive(Debug)]
pub enum Outcome<O, R> {
    /// Some order of the operations explains every result.
    Linearizable,
    /// None does; see the violation.
    Violation(Violation<O, R>),
    /// The search gave up after exploring `states` configurations (see [`check_bounded`]).
    Unknown {
        /// Configurations explored.
        states: usize,
    },
}

/// A history that is not linearizable, cut short.
#[derive(Debug)]
pub struct Violation<O, R> {
    /// The shortest failing prefix of the input: the operations called up to the instant at
    /// which no explanation exists any more (operations still running then are pending). Its
    /// last operations are where the violation shows.
    pub history: Vec<Entry<O, R>>,
    /// Operations in the whole input.
    pub original_len: usize,
}

/// How many of a violation's last operations [`Violation::timeline`] shows.
pub const TIMELINE_OPS: usize = 12;

impl<O: Debug, R: Debug> Violation<O, R> {
    /// The end of the offending prefix as a timeline: its last [`TIMELINE_OPS`] operations
    /// (by call time), one row each, a bar from call to return on a common time axis, grouped
    /// by client.
    pub fn timeline(&self) -> String {
        let mut by_call: Vec<&Entry<O, R>> = self.history.iter().collect();
        by_call.sort_by_key(|e| e.call);
        let skip = by_call.len().saturating_sub(TIMELINE_OPS);
        let tail: Vec<&Entry<O, R>> = by_call.into_iter().skip(skip).collect();
        let mut out = String::new();
        if skip > 0 {
            let _ = writeln!(
                out,
                "  ({skip} earlier operations, linearizable on their own, not shown)"
            );
        }
        out.push_str(&timeline(&tail));
        out
    }
}

impl<O: Debug, R: Debug> fmt::Display for Violation<O, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "not linearizable: no order of the first {} operations (of {} recorded) explains \
             every result; the violation shows at the end:",
            self.history.len(),
            self.original_len
        )?;
        f.write_str(&self.timeline())
    }
}

/// Renders entries as a timeline (see [`Violation::timeline`]).
pub fn timeline<O: Debug, R: Debug>(h: &[&Entry<O, R>]) -> String {
    const WIDTH: usize = 40;
    let t0 = h.iter().map(|e| e.call).min().unwrap_or(0);
    let t1 = h
        .iter()
        .map(|e| e.ret.unwrap_or(e.call))
        .max()
        .unwrap_or(t0)
        .max(t0 + 1);
    let col = |t: u64| ((t - t0) as u128 * (WIDTH as u128 - 1) / (t1 - t0) as u128) as usize;
    let mut rows: Vec<&Entry<O, R>> = h.to_vec();
    rows.sort_by_key(|e| (e.client, e.call));
    let mut out = String::new();
    for e in rows {
        let (a, b) = (col(e.call), e.ret.map_or(WIDTH - 1, col));
        let mut bar: Vec<char> = vec![' '; WIDTH];
        for c in bar.iter_mut().take(b + 1).skip(a) {
            *c = '-';
        }
        bar[a] = '[';
        if e.ret.is_some() {
            bar[b] = ']';
        } else {
            bar[WIDTH - 1] = '>';
        }
        let bar: String = bar.into_iter().collect();
        let res = match &e.res {
            Some(r) => format!("{r:?}"),
            None => "pending (never returned)".to_owned(),
        };
        let when = match e.ret {
            Some(r) => format!("{}..{} ns", e.call - t0, r - t0),
            None => format!("{}.. ns", e.call - t0),
        };
        let _ = writeln!(
            out,
            "  client {:>2} |{bar}| {:?} -> {res}  ({when})",
            e.client, e.op
        );
    }
    out
}

/// Checks one object's history with no bound on the search.
pub fn check<M: Model>(h: &[Entry<M::Op, M::Res>]) -> Outcome<M::Op, M::Res> {
    check_bounded::<M>(h, usize::MAX)
}

/// Checks one object's history, giving up ([`Outcome::Unknown`]) after `max_states`
/// configurations. A violation is shrunk with at most `max_states` further configurations.
pub fn check_bounded<M: Model>(
    h: &[Entry<M::Op, M::Res>],
    max_states: usize,
) -> Outcome<M::Op, M::Res> {
    match search::<M>(h, max_states) {
        Search::Ok => Outcome::Linearizable,
        Search::GaveUp(states) => Outcome::Unknown { states },
        Search::Fail => Outcome::Violation(Violation {
            history: shrink::<M>(h.to_vec(), max_states),
            original_len: h.len(),
        }),
    }
}

/// Configurations the drivers let one history check explore before giving up (reported as
/// not checkable, never as a pass). Histories of the built-in scenarios need far fewer.
pub const DRIVER_BUDGET: usize = 2_000_000;

/// Checks `h` and records the outcome as `clause`: a pass, a failure showing the shrunk
/// offending history as a timeline, or not checkable when the search budget ran out.
pub fn verdict<M: Model>(h: &[EntryOf<M>], clause: &'static str, c: &mut crate::scenarios::Checks) {
    match check_bounded::<M>(h, DRIVER_BUDGET) {
        Outcome::Linearizable => c.check(clause, true, String::new),
        Outcome::Violation(v) => c.check(clause, false, || v.to_string()),
        Outcome::Unknown { states } => c.not_checkable(
            clause,
            &format!(
                "the linearizability search gave up after {states} configurations on a \
                 {}-operation history",
                h.len()
            ),
        ),
    }
}

/// A history entry of model `M`.
pub type EntryOf<M> = Entry<<M as Model>::Op, <M as Model>::Res>;
/// A verdict for model `M`.
pub type OutcomeOf<M> = Outcome<<M as Model>::Op, <M as Model>::Res>;

/// Checks a history of several objects: each object's operations on their own (entries
/// carry the object's key). Returns the first object's violation or unknown, if any.
pub fn check_objects<M: Model, K: Eq + Hash + Clone + Debug>(
    h: &[(K, EntryOf<M>)],
    max_states: usize,
) -> Result<(), (K, OutcomeOf<M>)> {
    let mut by: HashMap<K, Vec<EntryOf<M>>> = HashMap::new();
    let mut order: Vec<K> = Vec::new();
    for (k, e) in h {
        if !by.contains_key(k) {
            order.push(k.clone());
        }
        by.entry(k.clone()).or_default().push(e.clone());
    }
    for k in order {
        let part = &by[&k];
        match check_bounded::<M>(part, max_states) {
            Outcome::Linearizable => {}
            other => return Err((k, other)),
        }
    }
    Ok(())
}

enum Search {
    Ok,
    Fail,
    GaveUp(usize),
}

/// Event list node: a call or a return of operation `op`, doubly linked in time order.
#[derive(Clone, Copy)]
struct Node {
    op: usize,
    is_call: bool,
    /// For a call: the index of its return node.
    partner: usize,
    prev: usize,
    next: usize,
}

/// Sentinel index of the list head.
const HEAD: usize = usize::MAX;

fn search<M: Model>(h: &[Entry<M::Op, M::Res>], max_states: usize) -> Search {
    let n = h.len();
    if n == 0 {
        return Search::Ok;
    }
    // Events sorted by time; at equal times, returns before calls would make two operations
    // that merely touch overlap-free, which real clocks cannot promise: calls first, so that
    // operations sharing an instant are treated as concurrent.
    let mut ev: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * n);
    for (i, e) in h.iter().enumerate() {
        ev.push((e.call, true, i));
        ev.push((e.ret.unwrap_or(u64::MAX), false, i));
    }
    ev.sort_by_key(|&(t, is_call, i)| (t, !is_call, i));
    let mut ret_pos = vec![0usize; n];
    for (p, &(_, is_call, i)) in ev.iter().enumerate() {
        if !is_call {
            ret_pos[i] = p;
        }
    }
    let len = ev.len();
    let mut nodes: Vec<Node> = ev
        .iter()
        .enumerate()
        .map(|(p, &(_, is_call, i))| Node {
            op: i,
            is_call,
            partner: if is_call { ret_pos[i] } else { p },
            prev: if p == 0 { HEAD } else { p - 1 },
            next: if p + 1 == len { HEAD } else { p + 1 },
        })
        .collect();
    let mut first = 0usize;
    let pending = |i: usize| h[i].ret.is_none();

    let unlink = |nodes: &mut Vec<Node>, first: &mut usize, p: usize| {
        let (pr, nx) = (nodes[p].prev, nodes[p].next);
        if pr == HEAD {
            *first = nx;
        } else {
            nodes[pr].next = nx;
        }
        if nx != HEAD {
            nodes[nx].prev = pr;
        }
    };
    let relink = |nodes: &mut Vec<Node>, first: &mut usize, p: usize| {
        let (pr, nx) = (nodes[p].prev, nodes[p].next);
        if pr == HEAD {
            *first = p;
        } else {
            nodes[pr].next = p;
        }
        if nx != HEAD {
            nodes[nx].prev = p;
        }
    };

    let mut linearized = vec![false; n];
    let mut bits = Bits::new(n);
    let mut state = M::init();
    let mut cache: HashSet<(Bits, M::State)> = HashSet::new();
    // Stack of (call node, state before it).
    let mut stack: Vec<(usize, M::State)> = Vec::new();
    let mut cur = first;
    let mut explored = 0usize;
    loop {
        if cur == HEAD {
            return Search::Ok;
        }
        let node = nodes[cur];
        if !node.is_call && pending(node.op) {
            // Only pending operations' returns (at infinity) are left: every completed
            // operation has been linearized.
            return Search::Ok;
        }
        if node.is_call {
            let i = node.op;
            let next = M::step(&state, &h[i].op).filter(|(res, _)| match &h[i].res {
                Some(r) => r == res,
                None => true,
            });
            if let Some((_, s2)) = next {
                bits.set(i);
                let fresh = cache.insert((bits.clone(), s2.clone()));
                explored += 1;
                if explored > max_states {
                    return Search::GaveUp(explored);
                }
                if fresh {
                    stack.push((cur, state.clone()));
                    state = s2;
                    linearized[i] = true;
                    unlink(&mut nodes, &mut first, cur);
                    unlink(&mut nodes, &mut first, node.partner);
                    cur = first;
                    continue;
                }
                bits.clear(i);
            }
            cur = node.next;
        } else {
            // The return of an operation not yet linearized: undo the last choice.
            let Some((call, prev_state)) = stack.pop() else {
                return Search::Fail;
            };
            let i = nodes[call].op;
            linearized[i] = false;
            bits.clear(i);
            state = prev_state;
            let partner = nodes[call].partner;
            relink(&mut nodes, &mut first, partner);
            relink(&mut nodes, &mut first, call);
            cur = nodes[call].next;
        }
    }
}

/// A set of operation indices, hashed as a whole.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
}

/// The shortest failing prefix: the operations called up to some instant `T`, those still
/// running at `T` made pending. Linearizability is prefix-closed (every prefix of a
/// linearizable history is linearizable), so a failing prefix is a genuine witness, unlike an
/// arbitrary subset (dropping an acquire would make a later release look wrong). Binary
/// search over the call times, within the budget.
fn shrink<M: Model>(h: Vec<EntryOf<M>>, budget: usize) -> Vec<EntryOf<M>> {
    let mut calls: Vec<u64> = h.iter().map(|e| e.call).collect();
    calls.sort_unstable();
    calls.dedup();
    let prefix = |t: u64| -> Vec<EntryOf<M>> {
        h.iter()
            .filter(|e| e.call <= t)
            .map(|e| match e.ret {
                Some(r) if r <= t => e.clone(),
                _ => Entry {
                    ret: None,
                    res: None,
                    ..e.clone()
                },
            })
            .collect()
    };
    // Invariant: prefix(calls[hi]) fails (the whole history, with every operation that
    // returned after the last call pending, may pass: then keep the whole history).
    let last = *calls.last().unwrap_or(&0);
    if !matches!(search::<M>(&prefix(last), budget), Search::Fail) {
        return h;
    }
    let (mut lo, mut hi) = (0usize, calls.len() - 1);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if matches!(search::<M>(&prefix(calls[mid]), budget), Search::Fail) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    prefix(calls[hi])
}

/// A linearizable history by construction, for tests and benchmarks: `ops` run on the model
/// in order (those it refuses are skipped), each given a call up to 24 ns before and a return
/// up to 24 ns after its linearization instant (10 ns apart), so neighbours overlap; clients
/// are drawn from `0..clients` with a seeded xorshift.
///
/// ```
/// use twinsync_conformance::linearizability::{check, generated, models::*, Outcome};
/// let h = generated::<LockSpec>([LockOp::TryAcquire, LockOp::Release].into_iter().cycle().take(100), 4, 1);
/// assert!(matches!(check::<LockSpec>(&h), Outcome::Linearizable));
/// ```
pub fn generated<M: Model>(
    ops: impl Iterator<Item = M::Op>,
    clients: u32,
    seed: u64,
) -> Vec<Entry<M::Op, M::Res>> {
    let mut rng = seed | 1;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut state = M::init();
    let mut h = Vec::new();
    for (i, op) in ops.enumerate() {
        let Some((res, s2)) = M::step(&state, &op) else {
            continue;
        };
        state = s2;
        let t = 1_000 + i as u64 * 10;
        let (a, b) = (next() % 25, next() % 25);
        h.push(Entry::done(
            (next() % u64::from(clients)) as u32,
            t - a,
            t + b,
            op,
            res,
        ));
    }
    h
}

#[cfg(test)]
mod tests;
