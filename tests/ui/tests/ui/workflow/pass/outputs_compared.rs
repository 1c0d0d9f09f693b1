// A workflow's output struct is `PartialEq` and `Clone` when every output is, so a test
// compares it whole or keeps a copy; an output type without them (`Handle` here) leaves
// the struct without them, and the workflow still compiles.
use workflow_core::prelude::*;

#[derive(Debug)]
pub struct Handle;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

#[node]
async fn greet(name: String) -> Option<String> {
    Some(format!("hello {name}"))
}

#[node]
async fn open() -> Handle {
    Handle
}

#[node]
async fn is_big(x: u32) -> bool {
    x > 10
}

workflow! {
    struct Twice {
        input x: u32,
        input name: String,
        y = double(x),
        hi = greet(name),
        big = is_big(x),
        if big {
            #[output]
            z = double(x),
        }
    }
}

workflow! {
    struct Opens {
        h = open(),
    }
}

fn main() {
    let a = TwiceOutput { y: 2, hi: Some("hello a".into()), z: None };
    assert_eq!(a, TwiceOutput { y: 2, hi: Some("hello a".into()), z: None });
    assert_ne!(a, TwiceOutput { y: 2, hi: None, z: Some(4) });
    let kept = a.clone();
    assert_eq!(kept, a);
    let _ = OpensOutput { h: Handle };
}
