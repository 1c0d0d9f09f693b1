//! A durable workflow whose node slots are one group (twenty bindings of one node fn):
//! the group's nodes share one variant of the workflow's value enum, which carries the
//! node's index in the group (`workflow!`'s `store` has an arm per group, not per node),
//! so each node's record must still encode, decode and restore that node's own value.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::store::{
    CreatedRun, GraphFingerprint, ManualClock, NewRun, OwnerId, Record, RecordedOutput, RunId,
    Store, Timestamp,
};

use crate::durable::clocked_stores;

/// Counts the steps that ran.
#[derive(Default)]
struct Steps(AtomicU32);

/// `2x + 1`: each node's value differs from its neighbours'.
#[node]
async fn step(x: u64, steps: Res<Steps>) -> u64 {
    steps.0.fetch_add(1, Ordering::Relaxed);
    x * 2 + 1
}

workflow! {
    #[workflow(durable)]
    struct Twenty {
        input x: u64,
        n0 = step(x),
        n1 = step(x: n0),
        n2 = step(x: n1),
        n3 = step(x: n2),
        n4 = step(x: n3),
        n5 = step(x: n4),
        n6 = step(x: n5),
        n7 = step(x: n6),
        n8 = step(x: n7),
        n9 = step(x: n8),
        n10 = step(x: n9),
        n11 = step(x: n10),
        n12 = step(x: n11),
        n13 = step(x: n12),
        n14 = step(x: n13),
        n15 = step(x: n14),
        n16 = step(x: n15),
        n17 = step(x: n16),
        n18 = step(x: n17),
        n19 = step(x: n18),
    }
}

fn runtime(store: Arc<dyn Store>) -> Runtime {
    Runtime::builder()
        .store_arc(store)
        .owner(OwnerId::new("test"))
        .resource(Steps::default())
        .build()
}

fn steps(rt: &Runtime) -> u32 {
    rt.resource::<Steps>().unwrap().0.load(Ordering::Relaxed)
}

#[tokio::test]
async fn a_grouped_durable_chain_runs_and_resumes_with_each_nodes_value() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("groups", &clock).await {
        // A whole run: twenty steps from x = 1 make 2^21 - 1.
        let rt = runtime(Arc::clone(&store));
        let run = rt
            .start_durable(Twenty, TwentyInput { x: 1 }, None)
            .await
            .unwrap();
        assert_eq!(run.outputs.n19, (1 << 21) - 1, "{kind}");
        assert_eq!(steps(&rt), 20, "{kind}");

        // A run whose process died after n0..n4 were recorded, n4 with a value its
        // step would not make: the run resumes from n4's recorded value, in n4's slot.
        let created = store
            .create_run(NewRun {
                workflow: "Twenty".into(),
                fingerprint: GraphFingerprint(
                    <Twenty as workflow_core::DurableWorkflow>::FINGERPRINT.into(),
                ),
                input: workflow_core::store::encode(&[1u64], None, "input").unwrap(),
                idempotency_key: None,
                owner: OwnerId::new("dead"),
                lease: Duration::from_secs(10),
            })
            .await
            .unwrap();
        let CreatedRun::New(claimed) = created else {
            panic!("new run")
        };
        let id: RunId = claimed.run.id;
        let records = [3u64, 7, 15, 31, 1000]
            .iter()
            .enumerate()
            .map(|(k, value)| {
                let node = format!("n{k}").parse().unwrap();
                Record::Output(RecordedOutput::encode(id, node, 1, value).unwrap())
            })
            .collect();
        store.record_all(&claimed.lease, records).await.unwrap();
        clock.advance(Duration::from_secs(11));
        let rt = runtime(Arc::clone(&store));
        let mut recovered = rt.recover(Twenty).await.unwrap();
        assert_eq!(recovered.len(), 1, "{kind}");
        let (got, result) = recovered.remove(0);
        assert_eq!(got, id, "{kind}");
        let result = result.unwrap();
        assert_eq!(result.restored(), ["n0", "n1", "n2", "n3", "n4"], "{kind}");
        // Fifteen steps from 1,000: (1,000 + 1) * 2^15 - 1.
        assert_eq!(result.outputs.n19, 1001 * (1 << 15) - 1, "{kind}");
        assert_eq!(steps(&rt), 15, "{kind}");
    }
}
