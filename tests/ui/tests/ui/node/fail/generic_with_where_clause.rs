// A generic node written as a library author would, with its bounds in a `where`
// clause: one mistake, one error at the generic parameter (the `where` clause is not
// reported apart from it). Found by a new-user trial (session 29).
use workflow_core::prelude::*;

#[node]
async fn render<T>(value: T) -> String
where
    T: std::fmt::Display + Send + 'static,
{
    value.to_string()
}

workflow! {
    struct Page {
        input n: u32,
        html = render(value: n),
    }
}

fn main() {}
