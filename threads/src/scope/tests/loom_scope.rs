//! The scope's join on the real pool (one worker, loom threads): `scope` returns only after
//! every call has finished, and everything a call did happens before `scope` returns.
//!
//! Shown to fail on a broken variant: with `Join::leave` decrementing with `Relaxed` instead
//! of `AcqRel`, loom reports the causality violation on `written` below (the body may be the
//! last to leave, with no happens-before edge from the call's write).

use loom::cell::UnsafeCell;

use crate::ThreadPoolExecutor;

/// A cell written by a call and read after the scope: the join must order the two.
struct Slot(UnsafeCell<u32>);

// SAFETY: the accesses are ordered by the scope's join, which is what the model checks (loom
// reports any access pair that is not ordered).
unsafe impl Sync for Slot {}

impl Slot {
    fn write(&self, value: u32) {
        // SAFETY: the only access while the scope runs; loom checks it against the read.
        self.0.with_mut(|place| unsafe { *place = value });
    }

    fn read(&self) -> u32 {
        // SAFETY: the call has finished when `scope` returns; loom checks the edge.
        self.0.with(|place| unsafe { *place })
    }
}

#[test]
fn scope_joins_a_call_that_borrows() {
    loom::model(|| {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        let written = Slot(UnsafeCell::new(0_u32));
        pool.scope(|s| {
            // The future is dropped at once: the join, not the future, must wait for it.
            drop(s.spawn(|| written.write(7)));
        });
        assert_eq!(written.read(), 7);
        drop(pool);
    });
}

#[test]
fn cancelling_shutdown_inside_a_scope_still_joins() {
    loom::model(|| {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        let data = [1_u8, 2, 3];
        pool.scope(|s| {
            let first = s.spawn(|| data.len());
            let second = s.spawn(|| data[0]);
            pool.shutdown(cfut_core::Shutdown::new().cancel_pending(true).wait(false));
            assert!(matches!(
                first.result(),
                Ok(3) | Err(cfut_core::Error::Cancelled)
            ));
            assert!(matches!(
                second.result(),
                Ok(1) | Err(cfut_core::Error::Cancelled)
            ));
        });
        drop(pool);
    });
}
