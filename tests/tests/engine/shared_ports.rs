//! Nodes of one shape (the same node fn, its ports read from the same slot or slot
//! group) share one ports fn that reads each node's slots at indices from a table
//! (issue 17: a ports fn per node was most of what a cold run of a lattice fetched).
//! Each node must still get its own inputs, in their own ports.

use workflow_core::prelude::*;

#[node]
async fn step_one(x: u64) -> u64 {
    x + 1
}

/// Not symmetric, so that inputs read from the wrong slot or swapped between the
/// ports change the result.
#[node]
async fn mix(a: u64, b: u64) -> u64 {
    mixed(a, b)
}

fn mixed(a: u64, b: u64) -> u64 {
    a.wrapping_mul(31).wrapping_add(b) ^ (a >> 3)
}

include!(concat!(env!("OUT_DIR"), "/lattice.rs"));

/// The lattice computed directly.
fn expected(x: u64) -> u64 {
    let n = LATTICE;
    let mut v = vec![vec![0u64; n]; n];
    for i in 0..n {
        for j in 0..n {
            v[i][j] = match (i, j) {
                (0, 0) => x + 1,
                (0, j) => v[0][j - 1] + 1,
                (i, 0) => v[i - 1][0] + 1,
                (i, j) => mixed(v[i - 1][j], v[i][j - 1]),
            };
        }
    }
    v[n - 1][n - 1]
}

#[tokio::test]
async fn each_node_of_a_shared_ports_fn_gets_its_own_inputs() {
    let rt = Runtime::new();
    for x in [0, 7, 1 << 40] {
        let run = rt.execute(Lattice, LatticeInput { x }).await.unwrap();
        assert_eq!(run.outputs.l_11_11, expected(x), "x = {x}");
        assert_eq!(run.report.nodes.len(), LATTICE * LATTICE);
    }
}

#[tokio::test]
async fn a_traced_run_gets_the_same_inputs() {
    let run = Runtime::new()
        .execute_report(
            Lattice,
            LatticeInput { x: 3 },
            RunOptions::new().trace(true),
        )
        .await;
    assert_eq!(run.result.unwrap().l_11_11, expected(3));
}
