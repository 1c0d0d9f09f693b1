//! Per-item activities for `for` fan-outs: the workflow finds the list in the fan-out
//! node's input (the JSON the durable encoding made), and schedules one activity per item
//! (`thumbs[3]`), each the fan-out node's own call with a list of that one item, numbered
//! as in the whole list (`NodeCall::with_first_item`: the item's nodes are `thumbs[3].img`
//! in errors, keys and emitted messages). The item's body runs on the worker that took
//! the activity; its outputs are joined in index order by the workflow.
//!
//! Where the list is comes from the plan: a `for` node's `node_fn` is `for url in urls`
//! (or `for p in page.items`), the list's source as written; an input is found by its
//! name in the fingerprint (`input urls: ..;`, in input order). A list that is not a JSON
//! array there (a map, a projection through `?`) keeps the one-activity fan-out.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use workflow_core::remote::NodeByNode;

use crate::wire::NodeInput;

/// Where a `for` fan-out node's list is in its [`NodeInput`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListAt {
    root: ListRoot,
    /// Field projections after the root (`page.items`: `["items"]`).
    fields: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListRoot {
    /// Workflow input `k` (an element of the encoded input array).
    Input(usize),
    /// The output of the node owning slot `j` (a source of the call).
    Slot(usize),
}

/// The workflow's input names, in order, from its fingerprint (`input a: T;input b: U;..`).
fn input_names(fingerprint: &str) -> Vec<&str> {
    fingerprint
        .split(';')
        .filter_map(|entry| entry.strip_prefix("input "))
        .filter_map(|rest| rest.split(':').next())
        .map(str::trim)
        .collect()
}

/// The list source text of a `for` node (`for url in page.items`: `page.items`).
fn list_text(node_fn: &str) -> Option<&str> {
    let rest = node_fn.strip_prefix("for ")?;
    let (_, list) = rest.split_once(" in ")?;
    Some(list.trim())
}

/// Where node `node`'s list is, when the node is a `for` fan-out whose items can run one
/// activity each.
pub(crate) fn list_at<W: NodeByNode>(node: usize) -> Option<ListAt> {
    let plan = W::PLAN;
    let text = list_text(plan.nodes[node].node_fn)?;
    let mut parts = text.split('.').map(str::trim);
    let root = parts.next()?;
    let fields: Vec<String> = parts.map(str::to_owned).collect();
    let ident = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    if !ident(root) || !fields.iter().all(|f| ident(f)) {
        return None;
    }
    let root = match plan.nodes.iter().position(|n| n.name == root) {
        Some(j) => {
            let slot = W::NODE_SLOT[j];
            W::NODE_SOURCES[node]
                .contains(&slot)
                .then_some(ListRoot::Slot(slot))?
        }
        None => {
            let k = input_names(W::FINGERPRINT)
                .iter()
                .position(|&name| name == root)?;
            W::NODE_INPUTS[node]
                .contains(&k)
                .then_some(ListRoot::Input(k))?
        }
    };
    Some(ListAt { root, fields })
}

impl ListAt {
    fn find<'v>(&self, input: &'v mut NodeInput) -> Option<&'v mut Value> {
        let mut at = match self.root {
            ListRoot::Input(k) => input.input.as_mut()?.get_mut(k)?,
            ListRoot::Slot(j) => &mut input.sources.iter_mut().find(|(i, _)| *i == j)?.1,
        };
        for field in &self.fields {
            at = at.get_mut(field.as_str())?;
        }
        Some(at)
    }

    /// Takes the list's items out of `input` (leaving an empty list), or `None` when the
    /// list is not a JSON array there.
    pub(crate) fn take_items(&self, input: &mut NodeInput) -> Option<Vec<Value>> {
        match self.find(input)? {
            Value::Array(items) => Some(std::mem::take(items)),
            _ => None,
        }
    }

    /// The input of item `index` (`item`) from `base` (the node's input, its list emptied).
    pub(crate) fn item_input(&self, base: &NodeInput, index: usize, item: Value) -> NodeInput {
        let mut input = base.clone();
        if let Some(list) = self.find(&mut input) {
            *list = Value::Array(vec![item]);
        }
        input.item = Some(index);
        input
    }
}

/// A `for` fan-out whose items are running as activities (what a continued run carries).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FanOutRun {
    /// The fan-out node.
    pub(crate) node: usize,
    /// Its input, with an empty list.
    pub(crate) base: NodeInput,
    /// The items not finished yet (`null` once an item's output is in).
    pub(crate) items: Vec<Value>,
    /// Each item's output, once in.
    pub(crate) outputs: Vec<Option<Value>>,
    /// The next item never scheduled.
    pub(crate) next: usize,
    /// Items to schedule again (their worker was lost).
    pub(crate) again: Vec<usize>,
    /// Items scheduled and not finished.
    pub(crate) running: usize,
    /// The fan-out's `#[concurrency = N]`, once an item reported it: until then one item
    /// runs at a time.
    pub(crate) concurrency: Option<usize>,
    /// Per item, how often its worker was lost.
    pub(crate) losses: Vec<u32>,
}

impl FanOutRun {
    pub(crate) fn new(node: usize, base: NodeInput, items: Vec<Value>) -> Self {
        let n = items.len();
        Self {
            node,
            base,
            items,
            outputs: vec![None; n],
            next: 0,
            again: Vec::new(),
            running: 0,
            concurrency: None,
            losses: vec![0; n],
        }
    }

    /// The next item to schedule, if the fan-out's concurrency has room for one.
    pub(crate) fn take_next(&mut self) -> Option<usize> {
        if self.running >= self.concurrency.unwrap_or(1).max(1) {
            return None;
        }
        if let Some(k) = self.again.pop() {
            return Some(k);
        }
        (self.next < self.items.len()).then(|| {
            self.next += 1;
            self.next - 1
        })
    }

    /// Every item's output, in index order, once all are in.
    pub(crate) fn joined(&mut self) -> Option<Value> {
        if self.outputs.iter().any(Option::is_none) {
            return None;
        }
        Some(Value::Array(
            self.outputs.iter_mut().filter_map(Option::take).collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn input_names_come_from_the_fingerprint_in_order() {
        let fingerprint = "input urls: Vec < String >;input pair: [u8 ; 2];thumbs=x(urls<-urls);";
        assert_eq!(input_names(fingerprint), ["urls", "pair"]);
    }

    #[test]
    fn the_list_is_the_source_after_in() {
        assert_eq!(list_text("for url in urls"), Some("urls"));
        assert_eq!(list_text("for p in page.items"), Some("page.items"));
        assert_eq!(list_text("map(Render)"), None);
        assert_eq!(list_text("fetch"), None);
    }

    #[test]
    fn an_item_input_holds_that_item_only_and_the_rest_unchanged() {
        let at = ListAt {
            root: ListRoot::Slot(2),
            fields: vec!["items".into()],
        };
        let mut input = NodeInput {
            input: Some(json!([1])),
            sources: vec![
                (2, json!({"items": ["a", "b", "c"], "n": 3})),
                (4, json!(7)),
            ],
            item: None,
        };
        let items = at.take_items(&mut input).unwrap();
        assert_eq!(items, [json!("a"), json!("b"), json!("c")]);
        let item = at.item_input(&input, 1, items[1].clone());
        assert_eq!(item.item, Some(1));
        assert_eq!(item.input, Some(json!([1])));
        assert_eq!(
            item.sources,
            [(2, json!({"items": ["b"], "n": 3})), (4, json!(7))]
        );
        // Not an array there: no per-item activities.
        let at = ListAt {
            root: ListRoot::Slot(4),
            fields: Vec::new(),
        };
        assert_eq!(at.take_items(&mut input), None);
    }

    #[test]
    fn items_run_one_at_a_time_until_the_concurrency_is_known() {
        let mut run = FanOutRun::new(0, NodeInput::default(), vec![json!(1); 4]);
        assert_eq!(run.take_next(), Some(0));
        run.running = 1;
        assert_eq!(run.take_next(), None);
        run.concurrency = Some(2);
        assert_eq!(run.take_next(), Some(1));
        run.running = 2;
        assert_eq!(run.take_next(), None);
        run.running = 1;
        run.again.push(0);
        assert_eq!(run.take_next(), Some(0), "a lost item first");
        run.outputs = vec![Some(json!(1)), Some(json!(2)), None, Some(json!(4))];
        assert_eq!(run.joined(), None);
        run.outputs[2] = Some(json!(3));
        assert_eq!(run.joined(), Some(json!([1, 2, 3, 4])));
    }
}
