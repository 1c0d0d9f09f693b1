use workflow_core::prelude::*;

#[node(bogus)]
fn fetch<T>(self, (a, b): (u8, u8), items: impl Iterator<Item = T>) -> u32 {
    1
}

fn main() {}
