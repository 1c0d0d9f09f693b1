// Other test kits' names for registering a resource on a harness: one error each, naming
// `insert_resource`.
use workflow_test::prelude::*;

struct Db;

#[node]
async fn ping(db: Res<Db>) -> u32 {
    let _ = db;
    1
}

workflow! {
    struct Ping {
        p = ping(),
    }
}

#[workflow_test]
async fn pings(h: Harness) {
    h.register_resource(Db);
    h.assert_success(h.execute(Ping, PingInput {}).await);
}

fn main() {}
