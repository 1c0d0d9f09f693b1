//! An `Rc` inside `Result<T, E>`: the error is at the `Rc`.
use std::rc::Rc;
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("bad")]
pub struct Bad;

#[node]
async fn load(url: String) -> Result<Rc<String>, Bad> {
    Ok(Rc::new(url))
}

fn main() {}
