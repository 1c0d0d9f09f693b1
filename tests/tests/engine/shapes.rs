//! DSL shapes a new user writes first: a binding named like its node fn, a workflow
//! without inputs, nodes without parameters or returning `()`, a node in another
//! module, a workflow declared inside a test.

use std::time::Duration;

use workflow_core::prelude::*;

#[derive(Debug, Clone, PartialEq)]
struct Data {
    data: Vec<u32>,
}

#[node]
async fn fetch_data() -> Data {
    tokio::time::sleep(Duration::from_millis(100)).await;
    Data {
        data: vec![1, 2, 3],
    }
}

workflow! {
    struct Simple {
        fetch_data = fetch_data(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_binding_may_share_its_node_fns_name() {
    let run = Runtime::new()
        .execute(Simple, SimpleInput::default())
        .await
        .unwrap();
    assert_eq!(run.outputs.fetch_data.data, [1, 2, 3]);
    assert_eq!(run.duration(), Duration::from_millis(100));
}

mod nodes {
    use workflow_core::prelude::*;

    /// Does nothing, successfully.
    #[node]
    pub(crate) async fn noop() {}

    #[node]
    pub(crate) async fn length(text: String) -> usize {
        text.len()
    }
}

workflow! {
    pub(crate) struct Mixed {
        input text: String,
        a = nodes::noop(),
        n = crate::shapes::nodes::length(text),
    }
}

#[tokio::test]
async fn nodes_from_other_modules_and_unit_outputs() {
    let run = Runtime::new()
        .execute(
            Mixed,
            MixedInput {
                text: "four".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.n, 4);
    let () = run.outputs.a;
    // Generated structs are Debug even though nothing asked for it.
    let shown = format!("{:?}", run.outputs);
    assert!(shown.contains("n: 4"), "{shown}");
}

#[tokio::test]
async fn a_workflow_and_its_nodes_can_live_inside_a_test() {
    #[node]
    async fn twice(x: i64) -> i64 {
        2 * x
    }
    workflow! {
        struct Local {
            input x: i64,
            y = twice(x),
            z = twice(x: y),
        }
    }
    let run = Runtime::new()
        .execute(Local, LocalInput { x: -3 })
        .await
        .unwrap();
    assert_eq!(run.outputs.z, -12);
    assert_eq!(Local::TOPOLOGICAL_ORDER, ["y", "z"]);
}

#[derive(Debug, Clone, PartialEq)]
struct Pair(u8, String);

#[node]
async fn pair(n: u8) -> Pair {
    Pair(n, n.to_string())
}

#[node]
async fn takes_tuple(t: (u8, String), v: Option<Vec<u8>>) -> String {
    format!("{}{}{:?}", t.0, t.1, v)
}

#[node]
async fn make_tuple(p: Pair) -> (u8, String) {
    (p.0, p.1)
}

#[node]
async fn maybe(n: u8) -> Option<Vec<u8>> {
    (n > 0).then(|| vec![n])
}

workflow! {
    struct Tuples {
        input n: u8,
        p = pair(n),
        first = maybe(n: p.0),
        t = make_tuple(p),
        out = takes_tuple(t, v: first),
    }
}

#[tokio::test]
async fn tuple_fields_and_option_ports() {
    let run = Runtime::new()
        .execute(Tuples, TuplesInput { n: 5 })
        .await
        .unwrap();
    assert_eq!(run.outputs.out, "55Some([5])");
}

#[node]
async fn io_result(ok: bool) -> std::io::Result<u8> {
    if ok {
        Ok(1)
    } else {
        Err(std::io::Error::other("disk on fire"))
    }
}

#[node]
async fn boxed_result(ok: bool) -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    if ok {
        Ok(2)
    } else {
        Err("plain message".into())
    }
}

workflow! {
    struct Aliases {
        input ok: bool,
        a = io_result(ok),
        b = boxed_result(ok),
    }
}

#[tokio::test]
async fn result_aliases_and_boxed_errors() {
    let rt = Runtime::new();
    let run = rt
        .execute(Aliases, AliasesInput { ok: true })
        .await
        .unwrap();
    assert_eq!((run.outputs.a, run.outputs.b), (1, 2));
    let err = rt
        .execute(Aliases, AliasesInput { ok: false })
        .await
        .unwrap_err();
    // Declaration order decides which failure is seen first when both fail at once.
    assert_eq!(err.node(), Some("a"));
    assert_eq!(
        err.downcast_ref::<std::io::Error>().unwrap().to_string(),
        "disk on fire"
    );
}

/// `gen` is a plain identifier in this edition-2021 crate (edition 2024 reserves it, and
/// the macros write it `r#gen`, the same name here: see `workflow-macros`' `raw_gen`).
mod named_gen {
    use workflow_core::prelude::*;

    #[node]
    async fn gen(seed: u32) -> u32 {
        seed + 1
    }

    #[node]
    async fn bump(gen: u32) -> u32 {
        gen + 1
    }

    workflow! {
        struct Generations {
            input gen: u32,
            next = gen(seed: gen),
            gen2 = bump(gen: next),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn gen_names_a_node_a_port_and_an_input() {
        let run = Runtime::new()
            .execute(Generations, GenerationsInput { gen: 1 })
            .await
            .unwrap();
        assert_eq!(run.outputs.gen2, 3);
    }
}
