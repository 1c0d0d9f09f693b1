//! Graph checks of `workflow!`, one small function per rule. Name resolution (duplicate
//! names, unknown sources, ports connected twice) is in `resolve.rs`.

use super::ast::WorkflowDef;
use super::graph::{Graph, NodeLinks};
use super::resolve::{Namespace, Origin};
use crate::internals::Ctxt;

/// Runs every graph check. Unused inputs are reported into `unused` (they do not stop
/// the expansion); returns the connections reported as closing a cycle, as
/// `(binding, port)`.
pub(crate) fn check(
    cx: &Ctxt,
    unused: &Ctxt,
    def: &WorkflowDef,
    ns: &Namespace,
    graph: &Graph,
) -> Vec<(usize, String)> {
    check_has_bindings(cx, def);
    check_inputs_are_send(cx, def);
    check_inputs_are_used(unused, def, ns, graph);
    check_acyclic(cx, def, &graph.nodes)
}

/// Inputs cross threads: a visibly non-`Send` type (`Rc<T>`) is one error, at it,
/// saying to use `Arc` (the fallback's input struct has `Arc` in its place, so no bound
/// reports it again; see `internals::not_send`).
fn check_inputs_are_send(cx: &Ctxt, def: &WorkflowDef) {
    use crate::internals::not_send;
    for input in &def.inputs {
        if let Some((found, fix)) = not_send::find(&input.ty) {
            let what = format!("input `{}`", input.name);
            cx.error_spanned_by(found, not_send::message(&what, found, fix));
        }
    }
}

/// A workflow runs at least one node.
fn check_has_bindings(cx: &Ctxt, def: &WorkflowDef) {
    if def.bindings.is_empty() {
        cx.error_at(
            def.brace_span,
            "a workflow needs at least one node binding, like `out = my_node(input)`",
        );
    }
}

/// Every input feeds a port: an unused one is an error, not a warning. Not reported
/// for an input declared twice (already an error), a workflow without bindings, an
/// input named in a connection that is an error itself (a port connected twice), or
/// next to a connection to an unknown source.
fn check_inputs_are_used(cx: &Ctxt, def: &WorkflowDef, ns: &Namespace, graph: &Graph) {
    if def.bindings.is_empty() {
        return;
    }
    // A port connected to an unknown source (reported, with the inputs listed) usually
    // names the unused input wrongly (`fetch(url: Etl)`): one mistake, one error.
    let unknown_source = def
        .bindings
        .iter()
        .flat_map(|b| &b.args)
        .any(|a| !ns.knows(&a.source.root.to_string()));
    if unknown_source {
        return;
    }
    for (k, input) in def.inputs.iter().enumerate() {
        let mentioned = def
            .bindings
            .iter()
            .flat_map(|b| &b.args)
            .any(|a| a.source.root == input.name);
        if graph.input_consumers[k] == 0 && !mentioned && !ns.is_duplicate_input(k) {
            cx.error_spanned_by(
                &input.name,
                format!(
                    "input `{0}` is not used by any node; connect it (e.g. `node_fn({0})`) or remove it",
                    input.name
                ),
            );
        }
    }
}

/// No cycles. Each cycle is reported once, on the edge that closes it, printing the
/// whole loop. Returns those edges as `(consumer, port)`.
fn check_acyclic(cx: &Ctxt, def: &WorkflowDef, nodes: &[NodeLinks]) -> Vec<(usize, String)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }

    struct Search<'a> {
        cx: &'a Ctxt,
        def: &'a WorkflowDef,
        nodes: &'a [NodeLinks],
        mark: Vec<Mark>,
        stack: Vec<usize>,
        closing: Vec<(usize, String)>,
    }

    impl Search<'_> {
        fn visit(&mut self, i: usize) {
            self.mark[i] = Mark::Active;
            self.stack.push(i);
            // Follow edges in the data direction: from producer `i` to its consumers.
            for (c, consumer) in self.nodes.iter().enumerate() {
                for edge in consumer.edges.iter().filter(|e| e.from == Origin::Node(i)) {
                    match self.mark[c] {
                        Mark::Active => {
                            self.report(c, edge);
                            self.closing.push((c, edge.port.to_string()));
                        }
                        Mark::New => self.visit(c),
                        Mark::Done => {}
                    }
                }
            }
            self.stack.pop();
            self.mark[i] = Mark::Done;
        }

        /// `edge` into `c`, which is on the stack, closes a loop.
        fn report(&self, c: usize, edge: &super::resolve::Edge) {
            let bindings = &self.def.bindings;
            let pos = self.stack.iter().position(|&s| s == c).unwrap_or(0);
            let mut names: Vec<String> = self.stack[pos..]
                .iter()
                .map(|&s| bindings[s].name.to_string())
                .collect();
            names.push(bindings[c].name.to_string());
            self.cx.error_at(
                edge.source.span(),
                format!(
                    "cycle in workflow `{}`: {}; a workflow must be acyclic, so remove one of these connections (this one, `{} -> {}.{}`, closes the loop)",
                    self.def.name,
                    names.join(" -> "),
                    edge.source.text(),
                    bindings[c].name,
                    edge.port,
                ),
            );
        }
    }

    let mut search = Search {
        cx,
        def,
        nodes,
        mark: vec![Mark::New; nodes.len()],
        stack: Vec::new(),
        closing: Vec::new(),
    };
    for i in 0..nodes.len() {
        if search.mark[i] == Mark::New {
            search.visit(i);
        }
    }
    search.closing
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::internals::Ctxt;
    use crate::workflow::ast::WorkflowDef;

    /// The messages of every phase after parsing, for a workflow that parses.
    fn messages(src: proc_macro2::TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(&cx, src).expect("parses");
        assert!(!cx.has_errors(), "{:?}", cx.messages());
        let (_, unused) = crate::workflow::analyse(&cx, &def);
        let mut messages = cx.messages();
        messages.extend(unused.messages());
        messages
    }

    #[test]
    fn a_cycle_is_printed_once_on_the_closing_edge() {
        let msgs = messages(quote! {
            struct W { a = f(x: c), b = g(x: a), c = h(x: b) }
        });
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].starts_with("cycle in workflow `W`: a -> b -> c -> a;"),
            "{msgs:?}"
        );
        assert!(
            msgs[0].contains("(this one, `c -> a.x`, closes the loop)"),
            "{msgs:?}"
        );
    }

    #[test]
    fn a_self_loop_is_a_cycle() {
        let msgs = messages(quote! { struct W { input u: u8, a = f(x: a, y: u) } });
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].starts_with("cycle in workflow `W`: a -> a;"),
            "{msgs:?}"
        );
    }

    #[test]
    fn an_unknown_source_is_not_also_an_unused_input() {
        let msgs = messages(quote! { struct W { input url: u8, a = f(url: W) } });
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].starts_with("unknown source `W` for port `url`"),
            "{msgs:?}"
        );
    }

    #[test]
    fn an_unused_input_is_an_error() {
        assert_eq!(
            messages(quote! { struct W { input u: u8, input v: u8, a = f(u) } }),
            ["input `v` is not used by any node; connect it (e.g. `node_fn(v)`) or remove it"]
        );
    }

    #[test]
    fn an_empty_workflow_does_not_also_report_unused_inputs() {
        let msgs = messages(quote! { struct W { input u: u8 } });
        assert_eq!(
            msgs,
            ["a workflow needs at least one node binding, like `out = my_node(input)`"]
        );
    }

    #[test]
    fn all_errors_are_reported_in_one_pass() {
        let msgs = messages(quote! {
            struct W { input u: u8, input v: u8, a = f(u), a = g(x: zz), b = h(x: a, x: a), c = k(x: c) }
        });
        // (`v` is unused, but next to the unknown source `zz` that is not reported: see
        // `an_unknown_source_is_not_also_an_unused_input`.)
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert!(msgs[0].contains("already a node binding"), "{msgs:?}");
        assert!(msgs[1].contains("unknown source `zz`"), "{msgs:?}");
        assert!(msgs[2].contains("connected twice"), "{msgs:?}");
        assert!(msgs[3].contains("cycle"), "{msgs:?}");
    }

    #[test]
    fn a_valid_workflow_has_no_errors() {
        assert!(messages(quote! {
            #[workflow(timeout = "1s")]
            struct W { input u: u8, a = f(u), b = g(x: a, y: a.0), #[output] c = h(a, u) }
        })
        .is_empty());
    }
}
