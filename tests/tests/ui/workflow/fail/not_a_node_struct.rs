use workflow_core::prelude::*;

pub struct Config {
    pub x: u32,
}

workflow! {
    struct Pipeline {
        input x: u32,
        y = Config(x),
    }
}

fn main() {}
