//! Node fns named by path: `crate::..`, `self::..`, `super::..`, a plain module path, and
//! a workflow declared in another module than its nodes.
use workflow_core::prelude::*;

pub mod nodes {
    use workflow_core::prelude::*;

    #[node]
    pub async fn fetch(url: String) -> String {
        format!("<{url}>")
    }

    pub mod deeper {
        use workflow_core::prelude::*;

        #[node]
        pub async fn len(text: String) -> usize {
            text.len()
        }
    }
}

workflow! {
    pub struct Paths {
        input url: String,
        page = crate::nodes::fetch(url),
        a = nodes::deeper::len(text: page),
        b = self::nodes::deeper::len(text: page),
    }
}

pub mod flows {
    use workflow_core::prelude::*;

    workflow! {
        pub struct Elsewhere {
            input url: String,
            page = super::nodes::fetch(url),
            len = crate::nodes::deeper::len(text: page),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rt = Runtime::new();
    let run = rt
        .execute(Paths, PathsInput { url: "x".into() })
        .await
        .unwrap();
    assert_eq!((run.outputs.a, run.outputs.b), (3, 3));
    let run = rt
        .execute(flows::Elsewhere, flows::ElsewhereInput { url: "xy".into() })
        .await
        .unwrap();
    assert_eq!(run.outputs.len, 4);
}
