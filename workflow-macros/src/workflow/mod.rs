//! `workflow!`, in phases:
//!
//! 1. parse (`parse/`, into the types of `ast.rs`): the grammar; a bad entry is recorded
//!    and the others kept;
//! 2. attributes (`attr.rs`): `#[workflow(..)]` options and per-binding attributes;
//! 3. resolve (`resolve.rs`): the namespace, and what each port connection refers to;
//! 4. graph (`graph.rs`): deps, successors, consumer counts, a topological order;
//! 5. check (`check.rs`): the graph rules (bindings exist, inputs used, no cycle);
//! 6. expand (`expand/`): the items, or next to errors the fallback stand-ins.
//!
//! Every phase reports into one [`Ctxt`], so a call shows all its errors at once.

pub(crate) mod ast;
mod attr;
pub(crate) mod check;
pub(crate) mod expand;
mod graph;
pub(crate) mod parse;
mod resolve;

use proc_macro2::TokenStream;

use crate::internals::Ctxt;

/// Expands `workflow! { .. }`. Every error of the call is reported at once, next to the
/// workflow's types (see [`expand::fallback`]) so that code using them stays quiet.
///
/// A name spelled `gen` (reserved in edition 2024) is `r#gen` in every generated use, and
/// one statement names each declared `gen` as written: one rustc error per name in a
/// 2024 crate, at the user's token, nothing in 2021 (see [`crate::codegen::raw_gen`]).
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let gen = crate::codegen::mentions_gen(&input);
    let def = match ast::WorkflowDef::parse(&cx, input) {
        Ok(def) => def,
        Err(e) => return e.to_compile_error(),
    };
    let out = expand_def(cx, &def);
    if !gen {
        return out;
    }
    let declared = def.inputs.iter().map(|i| &i.name);
    let probes = declared
        .chain(def.bindings.iter().map(|b| &b.name))
        .filter_map(crate::codegen::gen_probe);
    let out = crate::codegen::raw_gen(out);
    quote::quote!(#out #(#probes)*)
}

/// Phases 2 to 6 of a parsed workflow (`cx` holds its syntax errors), and of the child
/// workflow of each of its `for` bodies, declared next to it.
fn expand_def(cx: Ctxt, def: &ast::WorkflowDef) -> TokenStream {
    let krate = attr::parse_workflow_attrs(&Ctxt::new(), &def.attrs)
        .options
        .krate
        .unwrap_or_else(crate::codegen::default_crate);
    let p = crate::codegen::private(&krate);
    let (own, valid, gate) = expand_own(cx, def);
    // A body names the workflow's types (its list's item type, the outer sources it
    // uses): next to the workflow's errors it would only repeat them, so its own errors
    // wait until the workflow's are fixed.
    let mut bodies = TokenStream::new();
    if valid {
        for b in &def.bindings {
            let body_cx = Ctxt::new();
            if let Some(body) = expand::body_def(&body_cx, def, b, &p) {
                bodies.extend(expand_def(body_cx, &body));
            }
        }
    }
    gate.apply(quote::quote!(#own #bodies))
}

/// Phases 2 to 6 of one workflow; whether it passed its checks; the gate its items (and
/// its bodies') go through.
fn expand_own(cx: Ctxt, def: &ast::WorkflowDef) -> (TokenStream, bool, expand::Gate) {
    // Graph checks of a partly parsed workflow would report follow-on errors (a source
    // defined by an entry that did not parse), so after a syntax error only the syntax
    // is reported: the later phases then report into a scratch context and run only to
    // build the fallback.
    let scratch = Ctxt::new();
    let syntax_errors = cx.has_errors();
    let analysis_cx = if syntax_errors { &scratch } else { &cx };
    let (workflow, unused_inputs) = analyse(analysis_cx, def);
    let gate = expand::gate(&workflow);
    if cx.has_errors() {
        let mut errors = cx.to_compile_errors();
        if !def.broken.is_empty() || def.bindings.iter().any(|b| b.fan_out.is_some()) {
            // The fields of the bindings that did not parse, and the fan-outs' outputs,
            // are named through the errors (see `broken_fields`, `fan_out_node_impls`):
            // an error type, about which rustc says no more.
            let name = expand::errors_const(&def.name);
            errors = quote::quote! {
                #[doc(hidden)]
                #[allow(non_upper_case_globals)]
                const #name: usize = { #errors 0 };
            };
        }
        let unused = if syntax_errors {
            TokenStream::new()
        } else {
            unused_inputs.to_compile_errors()
        };
        let fallback = expand::fallback(&workflow);
        return (quote::quote!(#errors #unused #fallback), false, gate);
    }
    // An unused input alone does not stop the expansion: a port left unconnected (the
    // usual reason for an unused input) is reported by the node's port check, and the
    // input only when no such port claims it (see `WorkflowGen::unused_inputs`).
    drop(unused_inputs);
    let unused = expand::unused_inputs(&workflow);
    let expanded = expand::expand(&workflow);
    (quote::quote!(#unused #expanded), true, gate)
}

/// Phases 2 to 5: attributes, names, graph, checks. Returns the workflow and, apart,
/// the errors that do not stop the full expansion (unused inputs).
fn analyse<'a>(cx: &Ctxt, def: &'a ast::WorkflowDef) -> (graph::Workflow<'a>, Ctxt) {
    let attrs = attr::parse_workflow_attrs(cx, &def.attrs);
    for input in &def.inputs {
        attr::check_input_attrs(cx, input);
    }
    let bindings: Vec<attr::BindingAttrs> = def
        .bindings
        .iter()
        .map(|b| attr::parse_binding_attrs(cx, b))
        .collect();
    let namespace = resolve::declare_names(cx, def);
    let edges = resolve::resolve_edges(cx, def, &namespace);
    let decision_edges = resolve::resolve_decisions(cx, def, &namespace);
    let keep_output: Vec<bool> = bindings.iter().map(|b| b.keep_output).collect();
    let mut graph = graph::Graph::build(def, edges, decision_edges, &keep_output);
    let unused_inputs = Ctxt::new();
    let cycle_edges = check::check(cx, &unused_inputs, def, &namespace, &graph);
    check::check_collected_fan_outs_have_one_consumer(cx, def, &bindings, &graph);
    attr::check_durable_inputs_owned(cx, &attrs.options, def);
    attr::check_ephemeral(cx, &attrs.options, def, &bindings, |i| {
        graph.nodes[i].is_output
    });
    if !cycle_edges.is_empty() {
        // The fallback's output struct as if each reported connection were removed, as
        // the error says: the sink the user meant keeps its output field.
        graph = graph.without_edges(def, &cycle_edges, &keep_output);
    }
    let workflow = graph::Workflow {
        def,
        attrs,
        bindings,
        graph,
        namespace,
    };
    (workflow, unused_inputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn graph_errors_come_with_the_workflow_types() {
        let out = expand(quote! {
            pub struct Etl { input url: String, page = fetch(url), sum = total(items: nothing) }
        })
        .to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("unknown source `nothing`"), "{out}");
        for item in [
            "pub struct Etl ;",
            "pub struct EtlInput",
            "pub struct EtlOutput",
            "Workflow for Etl",
        ] {
            assert!(out.contains(item), "missing `{item}` in {out}");
        }
    }

    #[test]
    fn a_collected_fan_out_with_two_consumers_is_one_error_at_the_second() {
        let out = expand(quote! {
            struct S {
                input urls: Vec<String>,
                #[failure = "collect"]
                sizes = for url in urls { s = size(url), } => s,
                n = count(sizes),
                good = ok(sizes),
            }
        })
        .to_string();
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(out.contains("and `good` is a second"), "{out}");
        // One consumer is fine, and so is a fail-fast fan-out's plain `Vec` with two.
        for attr in [quote!(), quote!(#[failure = "fail_fast"])] {
            let out = expand(quote! {
                struct S {
                    input urls: Vec<String>,
                    #attr
                    sizes = for url in urls { s = size(url), } => s,
                    n = count(sizes),
                    good = ok(sizes),
                }
            })
            .to_string();
            assert!(!out.contains("compile_error"), "{out}");
        }
    }

    #[test]
    fn after_a_cycle_the_outputs_are_those_without_the_closing_connection() {
        let out = expand(quote! {
            struct Loop { input a: u32, x = add(a, b: y), y = add(a, b: x) }
        })
        .to_string();
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        // `y -> x.b` closes the loop; without it `y` is a sink.
        assert!(
            out.contains("pub y : :: workflow_core :: __private :: Output"),
            "{out}"
        );
    }

    #[test]
    fn an_unused_input_alone_keeps_the_full_expansion() {
        let out = expand(quote! {
            struct W { input a: u32, input b: u32, c = add(a) }
        })
        .to_string();
        // Whether `b` is reported is up to the node calls, which may leave a port `b`
        // unconnected (then that is the mistake): `add` is asked first.
        assert_eq!(out.matches("compile_error").count(), 0, "{out}");
        assert!(
            out.contains("add ! { { :: workflow_core :: __private } @ claim { :: workflow_core :: __private } [b] [a] [] }"),
            "{out}"
        );
        // The node's ports are built, so an unconnected port `b` is reported.
        assert!(out.contains("__WorkflowState"), "{out}");
    }

    #[test]
    fn a_port_connected_twice_does_not_make_its_second_source_unused() {
        let out = expand(quote! {
            struct W { input a: u32, input b: u32, c = add(a, b: a, b: b) }
        })
        .to_string();
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(out.contains("connected twice"), "{out}");
    }

    #[test]
    fn a_durable_fingerprint_names_the_patterns_but_not_the_guards() {
        let fingerprint = |limit: u32| {
            let out = expand(quote! {
                #[workflow(durable)]
                struct W { input u: u8, t = f(u), match t { x if x < #limit => { m = g(x), } _ => { m = h(u), } } }
            })
            .to_string();
            assert!(!out.contains("compile_error"), "{out}");
            let start = out.find("const FINGERPRINT").expect("a fingerprint");
            let text = &out[start..];
            text[..text.find("\" ;").expect("the string's end")].to_owned()
        };
        assert_eq!(fingerprint(10), fingerprint(20));
        assert!(
            fingerprint(10).contains("match_t=match t{x|_}"),
            "{}",
            fingerprint(10)
        );
        assert!(
            fingerprint(10).contains("m=g(x<-x)|h(u<-u)"),
            "{}",
            fingerprint(10)
        );
    }

    #[test]
    fn a_durable_workflow_holds_one_copy_of_each_users_match() {
        // The cell table calls the route fn `NodeByNode` calls: rustc checks the user's
        // arms (and counts a missing variant) once.
        let src = quote! {
            #[workflow(durable)]
            struct Price { input n: u32, s = small(n), match s { Some(x) => { l = cheap(n: x), } None => { l = cheap(n), } } }
        };
        let out = expand(src).to_string();
        assert!(!out.contains("compile_error"), "{out}");
        let user_arm = "Some (x) => {";
        assert_eq!(out.matches(user_arm).count(), 1, "{out}");
        assert!(out.contains("__workflow_remote_route0 (state)"), "{out}");
    }

    #[test]
    fn a_durable_fingerprint_holds_each_fan_out_body() {
        // The first fingerprint in the expansion is the workflow's (its body's follows).
        let fingerprint = |body: proc_macro2::TokenStream| {
            let out = expand(quote! {
                #[workflow(durable)]
                struct W { input xs: Vec<u8>, k = f(), ys = for x in xs { #body } => b, }
            })
            .to_string();
            assert!(!out.contains("compile_error"), "{out}");
            let start = out.find("const FINGERPRINT").expect("a fingerprint");
            let text = &out[start..];
            text[..text.find("\" ;").expect("the string's end")].to_owned()
        };
        let v1 = fingerprint(quote!(a = g(x), b = h(a),));
        assert!(v1.contains("for x {a=g(x<-x) & b=h(a<-a)}=>b"), "{v1}");
        // A body that reads another value, or marks a binding ephemeral, is another entry:
        // its items' rows are not restored.
        assert_ne!(v1, fingerprint(quote!(a = g(x), b = h(k),)));
        let v3 = fingerprint(quote!(
            #[ephemeral]
            a = g(x),
            b = h(a),
        ));
        assert!(v3.contains("{~a=g(x<-x) & b=h(a<-a)}"), "{v3}");
    }

    #[test]
    fn branch_misuse_is_one_error_each() {
        let cases = [
            (
                quote! { struct W { input u: u8, t = f(u), match t { A(x) => { a = g(x), } B(y) => { b = g(y), } } c = h(a) } },
                "`a` is bound only in arm `A(x)` of `match t`, so it may not exist here; write `a?`",
            ),
            (
                quote! { struct W { input u: u8, t = f(u), match t { A(x) => { a = g(x), } B(y) => { a = g(y), } } c = h(a?) } },
                "every arm binds `a`, so it always has a value here: remove the `?`",
            ),
            (
                quote! { struct W { input u: u8, a = f(u), c = h(a?) } },
                "`a` is not bound in the arms of a `match` or `if`, so it always has a value here: remove the `?`",
            ),
            (
                quote! { struct W { input u: u8, t = f(u), match t { A(x) if x > u => { a = g(x), } _ => { a = g(u), } } c = h(a) } },
                "the guard of arm `A(x)` uses `u`, which its pattern does not bind",
            ),
            (
                quote! { struct W { input u: u8, t = f(u), match t { A(x) => { a = g(x), } B(y) => { b = g(x: a), } } } },
                "`a` is bound only in arm `A(x)` of `match t`, which never runs together with `b`",
            ),
            (
                quote! { struct W { input u: u8, t = f(u), match t { A(x) => { a = g(x), a = g(x), } _ => {} } } },
                "`a` is already a node binding of this workflow",
            ),
            (
                quote! { struct W { input u: u8, t = f(u, k: a), match t { A(x) => { a = g(x), } _ => { a = g(u), } } } },
                "cycle in workflow `W` through `match t`",
            ),
            (
                quote! { struct W { input u: u8, t = f(u), match t { A(x) => { if x { a = g(u), } } _ => {} } } },
                "`if x` routes on a pattern binding of the arm around it",
            ),
        ];
        for (src, expected) in cases {
            let out = expand(src).to_string();
            assert_eq!(out.matches("compile_error").count(), 1, "{out}");
            assert!(out.contains(expected), "expected `{expected}` in {out}");
        }
    }

    #[test]
    fn syntax_errors_are_one_spanned_error() {
        let out = expand(quote! { struct W { input u: u8, a = f(x = u) } }).to_string();
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(
            out.contains("connect a port with `:`, like `x: source`"),
            "{out}"
        );
    }

    #[test]
    fn each_edge_gets_its_own_named_check() {
        let out = expand(quote! {
            struct W { input u: u8, a = f(u), b = g(x: a, y: u) }
        })
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("edge `u -> a.u`"), "{out}");
        assert!(out.contains("edge `a -> b.x`"), "{out}");
        assert!(out.contains("edge `u -> b.y`"), "{out}");
        assert!(out.contains("mod W_b"), "{out}");
        assert!(out.contains("W_b :: y :: __from_source"), "{out}");
    }

    #[test]
    fn a_nested_fan_out_declares_a_body_per_level_and_passes_outer_sources_down() {
        let out = expand(quote! {
            struct W { input y: Vec<Vec<u8>>, input k: u8, a = for x in y { b = for z in x { c = f(z, k) } => c } => b }
        })
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        // The fan-out's ports: the list and the outer source its body uses.
        assert!(
            out.contains("struct __WFan_a { y : __WInput_y , k : __WInput_k , }"),
            "{out}"
        );
        // Each level's body is a workflow whose inputs are the item and what it uses.
        assert!(out.contains("pub x : ____WEachAInput_x , # [doc = \"Workflow input `k`.\"] pub k : ____WEachAInput_k"), "{out}");
        assert!(
            out.contains(
                "struct ____WEachAFan_b { x : ____WEachAInput_x , k : ____WEachAInput_k , }"
            ),
            "{out}"
        );
        assert!(out.contains("pub z : ______WEachAEachBInput_z"), "{out}");
    }

    #[test]
    fn odd_inputs_are_errors_not_panics() {
        let cases = [
            "",
            "struct",
            "struct W",
            "struct W {}",
            "struct W { , }",
            "struct W { a = }",
            "struct W { a = f }",
            "struct W { a = f(x.0) }",
            "struct W { a = f(x:) }",
            "struct W { a = f(x: 1) }",
            "struct W { input }",
            "struct W { input x: }",
            "struct W { a = f() } struct V { b = g() }",
            "#[workflow] struct W { a = f() }",
            "#[workflow = \"x\"] struct W { a = f() }",
            "#[workflow(timeout)] struct W { a = f() }",
            "#[workflow(timeout = )] struct W { a = f() }",
            "#[workflow(crate = 5)] struct W { a = f() }",
            "struct W { #[retry] a = f() }",
            "struct W { #[retry(max)] a = f() }",
            "struct W { #[timeout] a = f() }",
            "struct W { #[output(x)] a = f() }",
            "struct W { #[input] input x: u8, a = f(x) }",
            "struct W { a = f(a.b.c.d) }",
            "enum W { a = f() }",
            "struct W { a = for }",
            "struct W { a = for x }",
            "struct W { a = for x in }",
            "struct W { a = for x in y }",
            "struct W { input y: Vec<u8>, a = for x in y { } }",
            "struct W { input y: Vec<u8>, a = for x in y { b = f(x) } => }",
            "struct W { input y: Vec<u8>, a = for x in y { b = f(x) } => c }",
            "struct W { input y: Vec<u8>, a = for x in y.z { b = f(x) } => b }",
            "struct W { input y: Vec<u8>, a = for x in y { input q: u8, b = f(x) } => b }",
            "struct W { input y: Vec<u8>, a = map(V, ) }",
            "struct W { input y: Vec<u8>, a = map(V, y, y) }",
            "struct W { input y: Vec<u8>, #[concurrency = 0] a = map(V, y) }",
            "struct W { input y: Vec<u8>, #[failure = \"x\"] a = map(V, y) }",
        ];
        for case in cases {
            let tokens: TokenStream = case.parse().expect("lexes");
            let out = expand(tokens).to_string();
            assert!(
                out.contains("compile_error"),
                "no error for `{case}`: {out}"
            );
        }
    }
}
