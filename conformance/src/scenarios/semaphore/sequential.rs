//! The [`SEQUENTIAL`](super::SEQUENTIAL) scenario: one worker walks through every operation
//! from the initial value.

use std::time::{Duration, Instant};

use twinsync::algo::semaphore::VALUE_MAX;
use twinsync::{Error, SemaphoreApi, TIMEOUT_MAX};

use super::{check, check_timed, describe, SemKind, CONSTRUCTOR_NC, INIT};
use crate::scenarios::{Checks, Params};

pub(super) fn sequential<S: SemaphoreApi + ?Sized, K: SemKind>(s: &S, p: &Params, c: &mut Checks) {
    let too_large = TIMEOUT_MAX + Duration::from_nanos(1);
    let value = |c: &mut Checks, clause: &'static str, want: u32, after: &str| {
        let v = s.value();
        check::<K>(c, clause, v == want, || {
            format!("value() is {v} after {after}, expected {want}")
        });
    };
    if K::BOUNDED {
        let (v, m) = (s.value(), s.max_value());
        c.check("BSEM-01", v == INIT && m == INIT, || {
            format!("new({INIT}): value() {v}, max_value() {m}, expected both {INIT}")
        });
        c.not_checkable("BSEM-02", CONSTRUCTOR_NC);
        c.not_checkable(
            "BSEM-06",
            "a segment's kind tag is not part of SemaphoreApi: the proptest driver checks it \
             on process::BoundedSemaphore",
        );
    } else {
        let (v, m) = (s.value(), s.max_value());
        c.check("SEM-01", v == INIT && m == VALUE_MAX, || {
            format!("new({INIT}): value() {v}, max_value() {m}, expected {INIT} and {VALUE_MAX}")
        });
        c.not_checkable("SEM-02", CONSTRUCTOR_NC);
    }
    // SEM-03: a free token is taken at once, by every form.
    let ok = s.try_acquire();
    check::<K>(c, "SEM-03", ok, || "try_acquire with value 2 failed".into());
    value(c, "SEM-03", INIT - 1, "try_acquire");
    let r = s.acquire_timeout(p.timeout);
    check::<K>(c, "SEM-03", matches!(r, Ok(true)), || {
        format!("acquire_timeout with value 1: {r:?}")
    });
    value(c, "SEM-03", 0, "acquire_timeout");
    // SEM-04, SEM-05, SEM-12 at value 0.
    check::<K>(c, "SEM-04", !s.try_acquire(), || {
        "try_acquire with value 0 succeeded".into()
    });
    value(c, "SEM-04", 0, "a failed try_acquire");
    let r = s.acquire_timeout(Duration::ZERO);
    check::<K>(c, "SEM-05", matches!(r, Ok(false)), || {
        format!("acquire_timeout(0) with value 0: {r:?}")
    });
    let t0 = Instant::now();
    let r = s.acquire_timeout(p.timeout);
    let el = t0.elapsed();
    check_timed::<K>(c, "SEM-05", matches!(r, Ok(false)), el >= p.timeout, || {
        format!(
            "acquire_timeout({:?}) with value 0: {r:?} after {el:?}",
            p.timeout
        )
    });
    value(c, "SEM-05", 0, "a timed-out acquire");
    let r = s.acquire_timeout(too_large);
    check::<K>(
        c,
        "SEM-12",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("acquire_timeout(TIMEOUT_MAX + 1ns): {r:?}"),
    );
    let r = s.acquire_guard_timeout(too_large).map(|g| g.is_some());
    check::<K>(
        c,
        "SEM-12",
        matches!(r, Err(Error::TimeoutTooLarge { .. })),
        || format!("acquire_guard_timeout(TIMEOUT_MAX + 1ns): {r:?}"),
    );
    value(c, "SEM-12", 0, "a rejected timeout");
    // SEM-06, SEM-07.
    let r = s.release(1);
    check::<K>(c, "SEM-06", r.is_ok(), || {
        format!("release(1): {}", describe(&r))
    });
    value(c, "SEM-06", 1, "release(1) from 0");
    s.acquire();
    value(c, "SEM-03", 0, "acquire with value 1");
    let r = s.release(2);
    check::<K>(c, "SEM-06", r.is_ok(), || {
        format!("release(2): {}", describe(&r))
    });
    value(c, "SEM-16", 2, "release(2) from 0");
    let r = s.release(0);
    check::<K>(
        c,
        "SEM-07",
        matches!(r, Err(Error::InvalidArgument { .. })),
        || format!("release(0): {}", describe(&r)),
    );
    value(c, "SEM-07", 2, "release(0)");
    // SEM-13: guards at value 2.
    {
        let g = s.acquire_guard();
        let v = g.semaphore().value();
        check::<K>(c, "SEM-13", v == 1, || {
            format!("value() {v} while an acquire_guard lives, from 2")
        });
        let g2 = s.try_acquire_guard();
        check::<K>(c, "SEM-13", g2.is_some() && s.value() == 0, || {
            "try_acquire_guard with value 1 failed".into()
        });
        let g3 = s.acquire_guard_timeout(Duration::ZERO).map(|g| g.is_some());
        check::<K>(c, "SEM-13", matches!(g3, Ok(false)), || {
            format!("acquire_guard_timeout(0) with value 0: {g3:?}")
        });
        check::<K>(c, "SEM-13", s.try_acquire_guard().is_none(), || {
            "try_acquire_guard with value 0 returned a guard".into()
        });
        value(c, "SEM-13", 0, "failed guard attempts");
    }
    value(c, "SEM-13", 2, "dropping two guards");
    if K::BOUNDED {
        // BSEM-03 at and below the maximum: a release is checked as a whole.
        let r = s.release(1);
        c.check(
            "BSEM-03",
            matches!(r, Err(Error::TooManyReleases { max }) if max == u64::from(INIT)),
            || format!("release(1) at the maximum {INIT}: {}", describe(&r)),
        );
        value(c, "SEM-16", INIT, "a refused release");
        s.acquire();
        let r = s.release(2);
        c.check(
            "BSEM-03",
            matches!(r, Err(Error::TooManyReleases { max }) if max == u64::from(INIT)),
            || format!("release(2) with value 1, maximum {INIT}: {}", describe(&r)),
        );
        let v = s.value();
        c.check("BSEM-03", v == 1, || {
            format!("value() is {v} after a refused release(2) from 1 (partly added?)")
        });
        let r = s.release(1);
        c.check("BSEM-03", r.is_ok() && s.value() == INIT, || {
            format!("release(1) back to the maximum: {}", describe(&r))
        });
    } else {
        // SEM-08 at VALUE_MAX (the walk ends there: the value cannot be brought back down).
        let r = s.release(VALUE_MAX);
        let max = u64::from(VALUE_MAX);
        c.check(
            "SEM-08",
            matches!(r, Err(Error::TooManyReleases { max: m }) if m == max),
            || format!("release(VALUE_MAX) with value 2: {}", describe(&r)),
        );
        value(c, "SEM-08", 2, "a refused release(VALUE_MAX)");
        let r = s.release(VALUE_MAX - 2);
        c.check("SEM-08", r.is_ok() && s.value() == VALUE_MAX, || {
            format!(
                "release(VALUE_MAX - 2) with value 2: {}, value() {}",
                describe(&r),
                s.value()
            )
        });
        let r = s.release(1);
        c.check(
            "SEM-08",
            matches!(r, Err(Error::TooManyReleases { max: m }) if m == max),
            || format!("release(1) at VALUE_MAX: {}", describe(&r)),
        );
        value(c, "SEM-08", VALUE_MAX, "a refused release(1) at VALUE_MAX");
    }
}
