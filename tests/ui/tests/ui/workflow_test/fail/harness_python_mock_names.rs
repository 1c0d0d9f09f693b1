// Python's testing names on the harness and a mock: `h.patch(..)` (`mock.patch`) for
// `h.mock(..)`, `h.assert_raises::<E>(..)` (`pytest.raises`) for `assert_error::<E>`,
// and `m.assert_called_once_with(..)` for its two checks. One error each naming what to
// write, with or without a turbofish; they were rustc's "no method named .." (mistakes43).
use std::sync::Arc;
use workflow_test::prelude::*;

pub trait Http: Send + Sync {
    fn get(&self, url: &str) -> String;
}

struct FakeHttp;

impl Http for FakeHttp {
    fn get(&self, url: &str) -> String {
        url.to_owned()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("empty url")]
struct Empty;

#[node]
async fn download(url: String, http: Res<dyn Http>) -> Result<String, Empty> {
    if url.is_empty() { Err(Empty) } else { Ok(http.get(&url)) }
}

workflow! {
    struct Dl {
        input url: String,
        body = download(url),
    }
}

#[workflow_test]
async fn python_names(h: Harness) {
    h.patch::<dyn Http>(FakeHttp);
    h.patch(Arc::new(FakeHttp));
    let e = h.assert_raises::<Empty>(h.execute(Dl, DlInput { url: String::new() }).await);
    println!("{e}");
    let get: MockFn<String, String> = MockFn::new(|u| u);
    get.call("a".to_owned());
    get.assert_called_once_with(&"a".to_owned());
}

fn main() {}
