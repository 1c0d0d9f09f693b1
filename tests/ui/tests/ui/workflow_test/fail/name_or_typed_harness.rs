//! A test named the way pytest or JUnit name one (`#[workflow_test("..")]`, `name = ..`)
//! and a harness typed by its workflow (`h: Harness<Etl>`): one error each saying what
//! to write (was syn's "unexpected literal in nested attribute, expected ident", the
//! option list alone, and our error plus rustc's "struct takes 0 generic arguments").
use workflow_test::{workflow_test, Harness};

pub struct Etl;

#[workflow_test("etl fetches every page")]
async fn by_string(h: Harness) {
    let _ = h;
}

#[workflow_test(name = "etl fetches every page")]
async fn by_option(h: Harness) {
    let _ = h;
}

#[workflow_test]
async fn typed(h: Harness<Etl>) {
    let _ = h;
}

fn main() {}
