// A resource taken by reference is one error saying to take the `Res` by value.
use workflow_core::prelude::*;

pub struct Db;

impl Db {
    fn get(&self) -> u32 {
        1
    }
}

#[node]
async fn load(db: &Res<Db>, id: u32) -> u32 {
    db.get() + id
}

fn main() {}
