//! A node's error whose `source()` chain loops (returns itself, or an error above it):
//! `{:#}` of the run's error, `WorkflowError::downcast_ref` and `WorkflowError::causes`
//! walked it for ever (`{:#}` wrote without end). They end now, where the chain would
//! come back, and `{:#}` says the rest is left out.

use std::fmt;

use workflow_core::prelude::*;
use workflow_core::{Causes, MAX_CAUSES};

/// An error whose `source()` is itself.
#[derive(Debug)]
struct Itself;

impl fmt::Display for Itself {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("itself")
    }
}

impl std::error::Error for Itself {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self)
    }
}

/// An error whose `source()` is its inner error, whose `source()` is the outer again
/// (the inner one at the outer's address: told apart by type).
#[derive(Debug)]
struct Outer(Inner);

#[derive(Debug)]
struct Inner;

/// The outer error an `Inner` points back to: the one in a `static`.
static TWO: Outer = Outer(Inner);

impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("outer")
    }
}

impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&TWO.0)
    }
}

impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("inner")
    }
}

impl std::error::Error for Inner {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&TWO)
    }
}

/// An error that is not in the chain.
#[derive(Debug, thiserror::Error)]
#[error("elsewhere")]
struct Elsewhere;

#[node]
async fn loops_on_itself() -> Result<u32, Itself> {
    Err(Itself)
}

#[node]
async fn loops_through_two() -> Result<u32, &'static Outer> {
    Err(&TWO)
}

#[node]
async fn loops_under_anyhow() -> anyhow::Result<u32> {
    Err(anyhow::Error::new(Itself).context("calling the service"))
}

workflow! {
    struct OnItself {
        a = loops_on_itself(),
    }
}

workflow! {
    struct ThroughTwo {
        a = loops_through_two(),
    }
}

workflow! {
    struct UnderAnyhow {
        a = loops_under_anyhow(),
    }
}

const LEFT_OUT: &str = ": <the rest of the cause chain is left out: it loops>";

#[tokio::test]
async fn a_node_error_whose_source_loops_prints_and_downcasts_in_finite_time() {
    let rt = Runtime::new();
    let on_itself = rt.execute(OnItself, OnItselfInput {}).await.unwrap_err();
    assert_eq!(
        on_itself.to_string(),
        "node `a` of workflow `OnItself` failed after 1 attempt(s): itself"
    );
    // The loop is seen at once, or (the error's vtable made twice, by two codegen units:
    // where the node's error was boxed and where `source()` returns it) once more.
    let text = format!("{on_itself:#}");
    assert!(
        text == format!("{on_itself}{LEFT_OUT}")
            || text == format!("{on_itself}: itself{LEFT_OUT}"),
        "{text}"
    );
    assert!(on_itself.downcast_ref::<Itself>().is_some());
    assert!(on_itself.downcast_ref::<Elsewhere>().is_none());
    let mut causes = on_itself.causes();
    assert!(causes.by_ref().count() <= 1);
    assert!(causes.cut());

    let two = rt
        .execute(ThroughTwo, ThroughTwoInput {})
        .await
        .unwrap_err();
    assert_eq!(
        format!("{two:#}"),
        format!(
            "node `a` of workflow `ThroughTwo` failed after 1 attempt(s): outer: inner: \
             outer{LEFT_OUT}"
        )
    );
    assert!(two.downcast_ref::<Elsewhere>().is_none());

    let anyhow = rt
        .execute(UnderAnyhow, UnderAnyhowInput {})
        .await
        .unwrap_err();
    assert!(anyhow.downcast_ref::<Itself>().is_some(), "{anyhow}");
    assert!(anyhow.downcast_ref::<Elsewhere>().is_none(), "{anyhow}");
    let text = format!("{anyhow:#}");
    assert!(text.ends_with(&format!("itself{LEFT_OUT}")), "{text}");
}

/// A chain that does not come back but goes on and on (errors made as `source()` is
/// called cannot be returned by reference; a long static chain stands for it) is cut
/// after `MAX_CAUSES`.
#[test]
fn a_chain_longer_than_the_limit_is_cut() {
    #[derive(Debug)]
    struct Link(usize);
    static LINKS: [Link; 100] = {
        let mut links = [const { Link(0) }; 100];
        let mut i = 0;
        while i < 100 {
            links[i] = Link(i);
            i += 1;
        }
        links
    };
    impl fmt::Display for Link {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "link {}", self.0)
        }
    }
    impl std::error::Error for Link {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            LINKS.get(self.0 + 1).map(|l| l as _)
        }
    }
    let mut causes = Causes::of(&LINKS[0]);
    assert_eq!(causes.by_ref().count(), MAX_CAUSES);
    assert!(causes.cut());
    let mut short = Causes::of(&LINKS[100 - 10]);
    assert_eq!(short.by_ref().count(), 9);
    assert!(!short.cut());
}
