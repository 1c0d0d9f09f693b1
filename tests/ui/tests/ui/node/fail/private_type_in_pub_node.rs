// A `pub` node fn whose error, output or port type is private: the plain fn compiles
// (rustc's `private_interfaces` is a lint, and the fn is reachable only in the crate),
// but the node's generated impls name the types in associated types, where a private
// type is rustc's hard error E0446. It is blamed at the type in the signature, once per
// type, not at `#[node]` (trial45).
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("down")]
struct Down;

#[derive(Debug, Clone)]
struct Secret(u32);

mod jobs {
    use super::*;

    #[node]
    pub async fn store_it(v: u32) -> Result<String, Down> {
        if v == 0 {
            return Err(Down);
        }
        Ok(format!("stored {v}"))
    }

    #[node]
    pub async fn reveal(s: Secret) -> u32 {
        s.0
    }

    #[node]
    pub async fn hide(v: u32) -> Secret {
        Secret(v)
    }
}

fn main() {}
