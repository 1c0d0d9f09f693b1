// A guard naming the matched binding (`match c { 400..=499 if c != 429 => .. }`): it
// sees only its pattern's bindings. One error at `c`, saying to bind it in the pattern.
use workflow_core::prelude::*;

#[node]
async fn status(url: String) -> u16 {
    url.len() as u16
}

#[node]
async fn give_up(code: u16) -> String {
    format!("gave up on {code}")
}

#[node]
async fn fine(code: u16) -> String {
    format!("ok {code}")
}

workflow! {
    struct Check {
        input url: String,
        c = status(url),
        match c {
            400..=499 if c != 429 => { r = give_up(code: c), }
            _ => { r = fine(code: c), }
        }
    }
}

fn main() {}
