// `} => d?`: one error at the `?` saying that a failing item already fails the fan-out
// (it was "expected `,` between workflow entries"); the entries after it parse on.
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> Result<u32, std::io::Error> {
    Ok(x * 2)
}

#[node]
async fn total(xs: Vec<u32>) -> u32 {
    xs.iter().sum()
}

workflow! {
    struct Doubles {
        input xs: Vec<u32>,
        out = for x in xs {
            d = double(x),
        } => d?,
        sum = total(xs: out),
    }
}

fn main() {
    let _ = DoublesInput { xs: vec![1] };
}
