//! `workflow!` code generation: a compiled plan with typed slots.
//!
//! Input:
//! ```text
//! pub struct Etl { input url: String, page = fetch(url), sum = total(items: page.items) }
//! ```
//! Output:
//! ```text
//! pub struct Etl;                                   // the workflow type
//! pub struct EtlInput { pub url: String }
//! pub struct EtlOutput { pub sum: Output<total> }   // sinks and `#[output]` bindings
//! const _: () = {
//!     pub struct __WorkflowState { url: Slot<String>, page: Slot<Output<fetch>>, sum: Slot<..> }
//!     pub enum __WorkflowValue { page(Output<fetch>), sum(Output<total>) }
//!     trait __WorkflowEdge0<T> { .. }               // one per edge, for a precise type error
//!     impl Workflow for Etl {
//!         const PLAN = &Plan { nodes: &[NodeSpec { deps, successors, policy, .. }, ..], .. };
//!         fn run(exec) { async move { let slot0 = pin!(None); ..; exec.run(|state, node, op| match node {
//!             0 => step(slot0.as_mut(), op, |starter| starter.future(0, fetch { url: .. }, ..)), ..
//!         }).await } }
//!         fn store(..) / fn finish(..) / fn init(..)
//!     }
//! };
//! ```

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Member;

use super::ast::{path_text, WorkflowDef};
use super::check::{crate_of, From, Graph};
use super::render::{dot, mermaid};
use crate::errors::respan;

/// The names both [`expand`] and [`fallback`] build their items from.
struct Names<'a> {
    krate: syn::Path,
    /// `#krate::__private`.
    p: TokenStream,
    vis: &'a syn::Visibility,
    name: &'a syn::Ident,
    name_str: String,
    input_name: syn::Ident,
    output_name: syn::Ident,
    /// The workflow's attributes other than `#[workflow(..)]`.
    attrs: &'a [syn::Attribute],
}

impl<'a> Names<'a> {
    fn new(def: &'a WorkflowDef, g: &'a Graph) -> Self {
        let krate = crate_of(&g.options);
        let p = quote!(#krate::__private);
        Self {
            p,
            krate,
            vis: &def.vis,
            name: &def.name,
            name_str: def.name.to_string(),
            input_name: format_ident!("{}Input", def.name),
            output_name: format_ident!("{}Output", def.name),
            attrs: &g.other_attrs,
        }
    }
}

pub(crate) fn expand(def: &WorkflowDef, g: &Graph) -> TokenStream {
    let Names {
        krate,
        p,
        vis,
        name,
        name_str,
        input_name,
        output_name,
        attrs,
    } = Names::new(def, g);

    // Each user-written type and node path is named exactly once, in a private alias next
    // to the generated structs, so a wrong path is one error (rustdoc shows the target).
    let input_aliases: Vec<_> = def
        .inputs
        .iter()
        .map(|i| format_ident!("__{}Input_{}", name, i.name, span = i.ty_span()))
        .collect();
    let node_aliases: Vec<_> = def
        .bindings
        .iter()
        .map(|b| format_ident!("__{}Node_{}", name, b.name, span = b.node_span()))
        .collect();
    let aliases = alias_items(def, &input_aliases, &node_aliases);

    // Inputs.
    let input_idents: Vec<_> = def.inputs.iter().map(|i| &i.name).collect();
    let input_types: Vec<_> = input_aliases.iter().collect();
    let input_attrs: Vec<TokenStream> = def
        .inputs
        .iter()
        .map(|i| {
            let a = &i.attrs;
            if a.is_empty() {
                let doc = format!("Workflow input `{}`.", i.name);
                quote!(#[doc = #doc])
            } else {
                quote!(#(#a)*)
            }
        })
        .collect();
    let input_counts: Vec<u32> = g.input_consumers.clone();
    let input_str = input_name.to_string();
    let input_strs: Vec<String> = input_idents.iter().map(|i| i.to_string()).collect();
    let input_derive = if def.inputs.is_empty() {
        quote!(#[derive(Clone, Copy, Default)])
    } else {
        quote!()
    };

    // Nodes.
    let node_idents: Vec<_> = def.bindings.iter().map(|b| &b.name).collect();
    let node_paths: Vec<_> = def.bindings.iter().map(|b| &b.node).collect();
    let node_outputs: Vec<TokenStream> = node_aliases
        .iter()
        .map(|alias| quote!(#p::Output<#alias>))
        .collect();
    let node_counts: Vec<u32> = g.nodes.iter().map(|n| n.consumers.max(1)).collect();

    // Output struct: sinks and `#[output]` bindings.
    let mut out_fields = Vec::new();
    let mut out_takes = Vec::new();
    let mut out_idents = Vec::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if !n.is_output() {
            continue;
        }
        let ident = node_idents[i];
        let ty = &node_outputs[i];
        let docs = if n.docs.is_empty() {
            let doc = format!(
                "Output of node `{}` (`{}`).",
                ident,
                path_text(node_paths[i])
            );
            quote!(#[doc = #doc])
        } else {
            let d = &n.docs;
            quote!(#(#d)*)
        };
        out_fields.push(quote!(#docs pub #ident: #ty,));
        out_takes.push(quote!(#ident: state.#ident.take(),));
        out_idents.push(ident);
    }

    // Edges: a checked value expression per port. Every token of an edge's check carries
    // the span of its source (`fetch` in `parse(raw: fetch)`), so a type error lands there.
    let mut edge_items = Vec::new();
    let mut start_arms = Vec::new();
    // One pinned slot per node, where its future lives while it runs.
    let slots: Vec<syn::Ident> = (0..g.nodes.len())
        .map(|i| {
            syn::Ident::new(
                &format!("__workflow_slot{i}"),
                proc_macro2::Span::mixed_site(),
            )
        })
        .collect();
    let mut edge_no = 0usize;
    let mut shared_checked = std::collections::HashSet::new();
    for (i, n) in g.nodes.iter().enumerate() {
        let b = &def.bindings[i];
        let alias = &node_aliases[i];
        let node_fn = path_text(&b.node);
        let ident = &b.name;
        let mut fields = Vec::new();
        // Named at the node path, so a missing port is reported there.
        let literal = syn::Ident::new(&alias.to_string(), b.node_span());
        for e in &n.edges {
            let port = &e.port;
            let span = e.source.span();
            let p_at = respan(p.clone(), span);
            let root = &e.source.root;
            let consumers = match e.from {
                From::Input(k) => g.input_consumers[k],
                From::Node(j) => g.nodes[j].consumers,
            };
            let projection: Vec<TokenStream> = e
                .source
                .fields
                .iter()
                .map(|m| match m {
                    Member::Named(id) => quote!(.#id),
                    Member::Unnamed(ix) => quote!(.#ix),
                })
                .collect();
            // A value with several consumers is cloned for all but the last one to start.
            // The first edge from a source checks `Clone` (one error, on that edge); the
            // others clone through a probe that cannot fail to compile.
            let mut value = if consumers <= 1 {
                quote_spanned!(span=> state.#root.take() #(#projection)*)
            } else if shared_checked.insert(e.source.text()) {
                quote_spanned!(span=> state.#root.consume(
                    |v| {
                        let v = &(*v) #(#projection)*;
                        let _ = [#p_at::type_of(v), #p_at::check_shared()];
                        #p_at::share(v)
                    },
                    |v| v #(#projection)*,
                ))
            } else {
                quote_spanned!(span=> state.#root.consume(
                    |v| {
                        #[allow(unused_imports)]
                        use #p_at::{ViaClone as _, ViaNoClone as _};
                        match (&&#p_at::CloneProbe(&(*v) #(#projection)*)).probe_clone() {
                            #p_at::Option::Some(v) => v,
                            #p_at::Option::None => #p_at::unreachable_clone(),
                        }
                    },
                    |v| v #(#projection)*,
                ))
            };
            if let Some(retry) = &n.policy.retry {
                // Spanned at `#[retry]`, the cause, rather than the edge (where rustc
                // would suggest borrowing the source, which is no fix).
                let p_retry = respan(p.clone(), retry.span);
                let check = quote_spanned!(retry.span=> let _ = [#p_retry::type_of(&v), #p_retry::check_retry_input()]);
                value = quote_spanned!(span=> {
                    let v = #value;
                    #check;
                    v
                });
            }
            let trait_name = format_ident!("__WorkflowEdge{}", edge_no, span = span);
            edge_no += 1;
            let message = format!(
                "edge `{} -> {}.{}` carries `{{S}}`, but input `{}` of `{}` takes `{{Self}}`",
                e.source.text(),
                ident,
                port,
                port,
                node_fn
            );
            let label = "this is `{S}`";
            let note = format!(
                "`{}` feeds port `{}` of `{} = {}(..)`; convert it in a node in between, or connect a source of type `{{Self}}`",
                e.source.text(),
                port,
                ident,
                node_fn
            );
            let method = syn::Ident::new("__from_source", span);
            // `Self` is the port type. It is still unknown while rustc checks the call,
            // so rustc cannot infer it from the identity impl and reports the mismatch
            // through this trait (with the edge named) instead of a bare E0308.
            edge_items.push(quote_spanned! {span=>
                #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
                #[doc(hidden)]
                trait #trait_name<S> {
                    fn #method(source: S) -> Self;
                }
                impl<T> #trait_name<T> for T {
                    #[inline]
                    fn #method(source: T) -> T {
                        source
                    }
                }
            });
            let checked = quote_spanned!(span=> #trait_name::#method(#value));
            fields.push(quote!(#port: #checked,));
        }
        let index = i;
        // The literal carries the user's span (not the macro's), so rustc treats the ports
        // as fields the user can name, and suggests `raw` for a misspelt `rwa`.
        let ports = quote_spanned!(b.node_span()=> #literal { #(#fields)* });
        let slot = &slots[i];
        start_arms.push(quote! {
            #index => #p::step(
                #slot.as_mut(),
                #index,
                op,
                |starter| {
                    let ports = #ports;
                    starter.future::<#alias, __WorkflowValue>(#index, ports, __WorkflowValue::#ident)
                },
                __WorkflowValue::#ident,
            ),
        });
    }

    let output_str = output_name.to_string();
    let out_strs: Vec<String> = out_idents.iter().map(|i| i.to_string()).collect();

    // The static node table.
    let specs = g.nodes.iter().enumerate().map(|(i, n)| {
        let b = &def.bindings[i];
        let path = &node_aliases[i];
        let bname = b.name.to_string();
        let deps = n.deps.len() as u32;
        let succ = &n.successors;
        let base = quote!(<#path as #p::Node>::POLICY);
        let error_ty = quote!(<#path as #p::Node>::Error);
        let policy = n.policy.apply(base, &krate, &error_ty);
        quote! {
            #p::NodeSpec {
                name: #bname,
                node_fn: <#path as #p::Node>::NAME,
                deps: #deps,
                successors: &[#(#succ),*],
                policy: #policy,
                resources: <#path as #p::Node>::RESOURCES,
            }
        }
    });
    let opt_dur = |v: Option<u64>| match v {
        Some(n) => quote!(#p::Option::Some(#p::Duration::from_nanos(#n))),
        None => quote!(#p::Option::None),
    };
    let timeout = opt_dur(g.options.timeout);
    let deadlock = opt_dur(g.options.deadlock);
    let concurrency = match g.options.concurrency {
        Some(n) => {
            let n = n as usize;
            quote!(#p::Option::Some(#n))
        }
        None => quote!(#p::Option::None),
    };
    let failure = if g.options.continue_on_failure {
        quote!(#p::FailurePolicy::Continue)
    } else {
        quote!(#p::FailurePolicy::FailFast)
    };

    let topo: Vec<String> = g
        .topo
        .iter()
        .map(|&i| def.bindings[i].name.to_string())
        .collect();
    let mermaid = mermaid(def, g);
    let dot = dot(def, g);
    let workflow_doc = if attrs.iter().any(|a| a.path().is_ident("doc")) {
        quote!()
    } else {
        let d = format!("The `{name_str}` workflow (generated by `workflow!`).");
        quote!(#[doc = #d])
    };
    let graph_doc = format!("\n\n# Graph\n\n```text\n{mermaid}```");
    let input_doc = format!("Inputs of the [`{name_str}`] workflow.");
    let output_doc = format!("Outputs of the [`{name_str}`] workflow: one field per sink node and per `#[output]` binding.");

    quote! {
        #aliases

        #(#attrs)*
        #workflow_doc
        #[doc = #graph_doc]
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        #vis struct #name;

        #[doc = #input_doc]
        #input_derive
        #vis struct #input_name {
            #( #input_attrs pub #input_idents: #input_types, )*
        }

        #[doc = #output_doc]
        #vis struct #output_name {
            #(#out_fields)*
        }

        #[allow(non_local_definitions, clippy::all, clippy::pedantic, clippy::nursery)]
        const _: () = {
            #[automatically_derived]
            impl ::core::fmt::Debug for #input_name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    #[allow(unused_imports)]
                    use #p::{ViaDebug as _, ViaNoDebug as _};
                    f.debug_struct(#input_str)
                        #( .field(#input_strs, &#p::DebugWith(|f: &mut ::core::fmt::Formatter<'_>| (&&#p::DebugProbe(&self.#input_idents)).probe_fmt(f))) )*
                        .finish()
                }
            }

            #[automatically_derived]
            impl ::core::fmt::Debug for #output_name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    #[allow(unused_imports)]
                    use #p::{ViaDebug as _, ViaNoDebug as _};
                    f.debug_struct(#output_str)
                        #( .field(#out_strs, &#p::DebugWith(|f: &mut ::core::fmt::Formatter<'_>| (&&#p::DebugProbe(&self.#out_idents)).probe_fmt(f))) )*
                        .finish()
                }
            }

            #[doc(hidden)]
            #[allow(non_snake_case, dead_code)]
            pub struct __WorkflowState {
                #( #input_idents: #p::Slot<#input_types>, )*
                #( #node_idents: #p::Slot<#node_outputs>, )*
            }

            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            pub enum __WorkflowValue {
                #( #node_idents(#node_outputs), )*
            }

            #(#edge_items)*

            #[automatically_derived]
            #[allow(unused_qualifications, clippy::all)]
            impl #p::Workflow for #name {
                type Input = #input_name;
                type Output = #output_name;
                const NAME: &'static str = #name_str;
                const TOPOLOGICAL_ORDER: &'static [&'static str] = &[#(#topo),*];
                const MERMAID: &'static str = #mermaid;
                const DOT: &'static str = #dot;
                type State = __WorkflowState;
                type Value = __WorkflowValue;
                const PLAN: &'static #p::Plan = &#p::Plan {
                    name: #name_str,
                    nodes: &[#(#specs),*],
                    policy: #p::WorkflowPolicy {
                        timeout: #timeout,
                        deadlock: #deadlock,
                        concurrency: #concurrency,
                        failure: #failure,
                    },
                };

                fn init(input: Self::Input) -> Self::State {
                    let #input_name { #(#input_idents),* } = input;
                    __WorkflowState {
                        #( #input_idents: #p::Slot::filled(#input_idents, #input_counts), )*
                        #( #node_idents: #p::Slot::empty(#node_counts), )*
                    }
                }

                fn run(
                    exec: #p::Executor<Self>,
                ) -> impl #p::Future<Output = #p::Outcome<Self::Output>> + ::core::marker::Send {
                    // Boxed here, where the (large) future is built, so that it is
                    // written straight into its allocation rather than copied there.
                    #p::Box::pin(async move {
                        #( let mut #slots = #p::pin!(#p::Option::None); )*
                        exec.run(
                            move |state: &mut __WorkflowState, node: usize, op: #p::Op<'_, '_>| {
                                match node {
                                    #(#start_arms)*
                                    _ => ::core::unreachable!("workflow node index out of range"),
                                }
                            },
                        )
                        .await
                    })
                }

                fn store(state: &mut Self::State, value: Self::Value) {
                    match value {
                        #( __WorkflowValue::#node_idents(v) => state.#node_idents.put(v), )*
                    }
                }

                fn finish(state: &mut Self::State) -> Self::Output {
                    #output_name { #(#out_takes)* }
                }
            }
        };
    }
}

/// What `workflow!` emits next to its errors: the workflow type, its input and output
/// structs and a stub `Workflow` impl, so that code using them does not add errors of its
/// own (and IDEs keep completing). Names declared twice are emitted once.
//
// Input: a workflow that failed a check. Output:
// ```text
// type __EtlInput_url = String; type __EtlNode_sum = total;  // as in `expand`
// pub struct Etl; pub struct EtlInput { pub url: String } pub struct EtlOutput { pub sum: Output<total> }
// impl Workflow for Etl { type State = (); type Value = (); const PLAN = &Plan { nodes: &[], .. }; .. unreachable bodies }
// ```
pub(crate) fn fallback(def: &WorkflowDef, g: &Graph) -> TokenStream {
    let Names {
        p,
        vis,
        name,
        name_str,
        input_name,
        output_name,
        attrs,
        ..
    } = Names::new(def, g);

    let mut seen = std::collections::HashSet::new();
    let mut input_fields = Vec::new();
    let mut input_alias_items = Vec::new();
    for input in &def.inputs {
        if !seen.insert(input.name.to_string()) {
            continue;
        }
        let alias = format_ident!("__{}Input_{}", name, input.name, span = input.ty_span());
        let (ident, ty, docs) = (&input.name, &input.ty, &input.attrs);
        input_alias_items.push(quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            type #alias = #ty;
        });
        input_fields.push(quote!(#(#docs)* pub #ident: #alias,));
    }
    let mut output_fields = Vec::new();
    let mut node_alias_items = Vec::new();
    for (b, n) in def.bindings.iter().zip(&g.nodes) {
        if !seen.insert(b.name.to_string()) {
            continue;
        }
        let alias = format_ident!("__{}Node_{}", name, b.name, span = b.node_span());
        let path = &b.node;
        node_alias_items.push(quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            type #alias = #path;
        });
        if n.is_output() {
            let (ident, docs) = (&b.name, &n.docs);
            output_fields.push(quote!(#(#docs)* pub #ident: #p::Output<#alias>,));
        }
    }

    quote! {
        #(#input_alias_items)*
        #(#node_alias_items)*

        #(#attrs)*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        #vis struct #name;

        #[allow(missing_docs, missing_debug_implementations)]
        #vis struct #input_name {
            #(#input_fields)*
        }

        #[allow(missing_docs, missing_debug_implementations)]
        #vis struct #output_name {
            #(#output_fields)*
        }

        #[allow(non_local_definitions, clippy::all, clippy::pedantic, clippy::nursery)]
        const _: () = {
            impl #p::Workflow for #name {
                type Input = #input_name;
                type Output = #output_name;
                const NAME: &'static str = #name_str;
                const TOPOLOGICAL_ORDER: &'static [&'static str] = &[];
                const MERMAID: &'static str = "";
                const DOT: &'static str = "";
                type State = ();
                type Value = ();
                const PLAN: &'static #p::Plan = &#p::Plan {
                    name: #name_str,
                    nodes: &[],
                    policy: #p::WorkflowPolicy::DEFAULT,
                };
                fn init(_: Self::Input) -> Self::State {}
                fn run(
                    _: #p::Executor<Self>,
                ) -> impl #p::Future<Output = #p::Outcome<Self::Output>> + ::core::marker::Send {
                    // Never called: this workflow did not compile.
                    ::core::future::pending()
                }
                fn store(_: &mut Self::State, _: Self::Value) {}
                fn finish(_: &mut Self::State) -> Self::Output {
                    ::core::unreachable!("this workflow did not compile")
                }
            }
        };
    }
}

/// `type __EtlInput_url = String;` and `type __EtlNode_page = fetch;`: the only places
/// where the user's input types and node paths are named.
fn alias_items(
    def: &WorkflowDef,
    input_aliases: &[syn::Ident],
    node_aliases: &[syn::Ident],
) -> TokenStream {
    let input_types = def.inputs.iter().map(|i| &i.ty);
    let node_paths = def.bindings.iter().map(|b| &b.node);
    quote! {
        #(
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            type #input_aliases = #input_types;
        )*
        #(
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            type #node_aliases = #node_paths;
        )*
    }
}
