//! What the error being printed names already, for the errors printed inside it: a
//! durable run's `WorkflowError::Store` names its run (and node) before the store's
//! error, which then leaves them out (`durable run 7 of workflow `Etl`: not found in the
//! store`, where it said `.. `Etl`: run 7 not found in the store`).
//!
//! Told through the printing thread, not a field of the inner error: the store's error
//! stays whole (its `run()`, its own `{}` outside a run's error), and a user's code
//! that builds one needs no flag.

use std::cell::RefCell;

/// The run and the node an enclosing error names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Named {
    /// The run's id in its store, if it names one.
    pub(crate) run: Option<i64>,
    /// The node (its binding or path), if it names one.
    pub(crate) node: Option<String>,
}

thread_local! {
    static NAMED: RefCell<Option<Named>> = const { RefCell::new(None) };
}

/// Runs `print` (which prints an error inside another) with `named` as what the
/// enclosing error names (`None`: nothing, for an error printed whole); what was named
/// before is named again after, even if `print` panics.
pub(crate) fn naming<R>(named: Option<Named>, print: impl FnOnce() -> R) -> R {
    struct Restore(Option<Named>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take();
            let _ = NAMED.try_with(|n| *n.borrow_mut() = before);
        }
    }
    let before = NAMED.try_with(|n| n.replace(named)).ok().flatten();
    let _restore = Restore(before);
    print()
}

/// What the error being printed is inside of names, if it is inside one.
// Read by the store's errors only (the `store` feature).
#[cfg_attr(not(feature = "store"), allow(dead_code))]
pub(crate) fn named() -> Option<Named> {
    NAMED.try_with(|n| n.borrow().clone()).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_named_holds_while_printing_and_is_restored_after() {
        let outer = Named {
            run: Some(7),
            node: Some("b".into()),
        };
        assert_eq!(named(), None);
        naming(Some(outer.clone()), || {
            assert_eq!(named().as_ref(), Some(&outer));
            naming(None, || assert_eq!(named(), None));
            assert_eq!(named().as_ref(), Some(&outer));
            let panicked = std::panic::catch_unwind(|| {
                naming(None, || panic!("printing failed"));
            });
            assert!(panicked.is_err());
            assert_eq!(named().as_ref(), Some(&outer));
        });
        assert_eq!(named(), None);
    }
}
