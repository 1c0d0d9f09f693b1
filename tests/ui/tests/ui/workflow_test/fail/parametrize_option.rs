// `#[workflow_test(parametrize = [..])]` (pytest's `@pytest.mark.parametrize`): one
// error saying to loop over the cases in the body or to write a test per case calling a
// helper. It was "unknown option" with the list of options only (mistakes43).
use workflow_test::prelude::*;

#[node]
async fn len(s: String) -> usize {
    s.len()
}

workflow! {
    struct Len {
        input s: String,
        n = len(s),
    }
}

#[workflow_test(parametrize = [("a", 1), ("bb", 2)])]
async fn lengths(h: Harness) {
    let run = h.assert_success(h.execute(Len, LenInput { s: "a".into() }).await);
    assert_eq!(run.outputs.n, 1);
}

fn main() {}
