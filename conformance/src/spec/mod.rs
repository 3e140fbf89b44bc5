//! Specifications: for each primitive, a sequential model and a numbered clause catalog.
//!
//! A **clause** is one human-readable requirement with a stable id (`LOCK-07`). Every check
//! in the suite names the clauses it covers, and the report is a matrix of clauses against
//! implementations and drivers. A **model** is a pure state machine (state, operation,
//! result) in which a blocking operation is *enabled* only when it can complete.

pub mod barrier;
pub mod condition;
pub mod event;
pub mod lock;
pub mod pipe;
pub mod queue;
pub mod rlock;
pub mod rwlock;
pub mod semaphore;

/// How a clause relates to Python's `threading` module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Python {
    /// Same behaviour as `threading`.
    Same,
    /// A deliberate, documented difference.
    Deviates(&'static str),
    /// Beyond what Python specifies (Python is silent or has no equivalent).
    Beyond(&'static str),
}

/// One numbered requirement.
#[derive(Clone, Copy, Debug)]
pub struct Clause {
    /// Stable id, e.g. `"LOCK-07"`.
    pub id: &'static str,
    /// The requirement, in one sentence.
    pub text: &'static str,
    /// Relation to Python's `threading`.
    pub python: Python,
}

/// Each primitive's clause catalog, in report order. A new primitive's spec module adds its
/// `CLAUSES` here.
pub const CATALOGS: &[&[Clause]] = &[
    lock::CLAUSES,
    rlock::CLAUSES,
    semaphore::CLAUSES,
    semaphore::BOUNDED_CLAUSES,
    barrier::CLAUSES,
    rwlock::CLAUSES,
    condition::CLAUSES,
    event::CLAUSES,
    queue::CLAUSES,
    pipe::CLAUSES,
];

/// Every clause of every primitive, in report order.
pub fn all_clauses() -> impl Iterator<Item = &'static Clause> {
    CATALOGS.iter().flat_map(|c| c.iter())
}

/// The catalog (one primitive's clauses) that holds clause `id`.
///
/// ```
/// let cat = twinsync_conformance::spec::catalog_of("LOCK-07").unwrap();
/// assert_eq!(cat[0].id, "LOCK-01");
/// ```
pub fn catalog_of(id: &str) -> Option<&'static [Clause]> {
    CATALOGS
        .iter()
        .copied()
        .find(|cat| cat.iter().any(|c| c.id == id))
}

/// Looks up a clause by id.
///
/// ```
/// let c = twinsync_conformance::spec::clause("LOCK-07").unwrap();
/// assert!(c.text.contains("mutual exclusion"));
/// ```
pub fn clause(id: &str) -> Option<&'static Clause> {
    all_clauses().find(|c| c.id == id)
}

/// Finds the first clause id (`XXX-NN`) mentioned in `text` between square brackets, as
/// scenario bodies tag their failure messages (`"[LOCK-07] two holders"`).
///
/// ```
/// use twinsync_conformance::spec::clause_in;
/// assert_eq!(clause_in("panicked: [LOCK-05] release of a free lock"), Some("LOCK-05"));
/// assert_eq!(clause_in("no tag here"), None);
/// ```
pub fn clause_in(text: &str) -> Option<&'static str> {
    let mut rest = text;
    while let Some(i) = rest.find('[') {
        let tail = &rest[i + 1..];
        if let Some(j) = tail.find(']') {
            if let Some(c) = clause(&tail[..j]) {
                return Some(c.id);
            }
        }
        rest = tail;
    }
    None
}
