//! `workflow!` code generation: a compiled plan with typed slots. Each file emits one
//! kind of item: `items.rs` the user-facing structs, `edges.rs` the checked value of
//! every port, `plan.rs` the static node table, `run.rs` the state and the `Workflow`
//! methods, `render.rs` the graph pictures, `fallback.rs` what is emitted next to
//! errors (the same user-facing items, and a stub `Workflow` impl).
//!
//! Input:
//! ```text
//! pub struct Etl { input url: String, page = fetch(url), sum = total(items: page.items) }
//! ```
//! Output:
//! ```text
//! type __EtlInput_url = String; type __EtlNode_page = fetch; ..   // items::aliases
//! pub struct Etl;                                   // items::workflow_struct
//! pub struct EtlInput { pub url: String }           // items::input_struct
//! pub struct EtlOutput { pub sum: Output<total> }   // items::output_struct: sinks and `#[output]` bindings
//! const _: () = {
//!     impl Debug for EtlInput { .. } impl Debug for EtlOutput { .. }   // items::debug_impls
//!     trait OutputField { .. } impl<K: OutputField> Index<K> for EtlOutput   // items::output_index_hint
//!     pub struct __WorkflowState { url: Slot<String>, page: Slot<Output<fetch>>, .. }  // run::state_types
//!     pub enum __WorkflowValue { page(Output<fetch>), sum(Output<total>) }
//!     mod Etl_sum { trait items<S> { .. } }          // edges: a trait per edge (binding::port), for a precise type error
//!     impl Workflow for Etl {
//!         const TOPOLOGICAL_ORDER, MERMAID, DOT;     // render
//!         const PLAN = &Plan { nodes: &[NodeSpec { successors, policy, .. }, ..], deps: &[..], .. };  // plan
//!         fn init(..) / fn run(exec) / fn store(..) / fn finish(..)                          // run
//!     }
//!     trait __WorkflowDurable0 { .. } impl DurableWorkflow for Etl { .. }  // durable: `#[workflow(durable)]` only
//!     impl NodeByNode for Etl { .. }                 // remote: `#[workflow(durable)]` only
//! };
//! ```

mod durable;
mod edges;
mod fallback;
mod fanout;
mod fuse;
mod items;
mod plan;
mod ports;
mod remote;
mod render;
mod routes;
mod run;
mod subworkflow;

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use super::ast::{ArmRef, WorkflowDef};
use super::graph::{Graph, Workflow};
use super::resolve::Origin;
use crate::codegen::{default_crate, private};

pub(crate) use fallback::fallback;
pub(crate) use fanout::{body_def, item_consumer};
pub(crate) use items::errors_const;
pub(crate) use ports::{node_claims, node_ports};
pub(crate) use subworkflow::Gate;

/// The ports callback of a workflow and the gate of its items (see [`Gate`]).
pub(crate) fn gate(w: &Workflow<'_>) -> Gate {
    WorkflowGen::new(w).gate()
}

/// The errors for a valid workflow's unused inputs (see `WorkflowGen::unused_inputs`).
pub(crate) fn unused_inputs(w: &Workflow<'_>) -> TokenStream {
    WorkflowGen::new(w).unused_inputs()
}

/// Expands a workflow that passed every check.
pub(crate) fn expand(w: &Workflow<'_>) -> TokenStream {
    let gen = WorkflowGen::new(w);
    let state_types = gen.state_types();
    let edge_traits = gen.edge_traits();
    let workflow_impl = gen.workflow_impl();
    let dead_retry_checks = gen.dead_retry_checks();
    let timeout_total_checks = gen.timeout_total_checks();
    let node_impl = gen.node_impl();
    let fan_out_impls = gen.fan_out_node_impls(false);
    let map_input_impl = gen.map_input_impl();
    let durable_impl = if w.attrs.options.durable {
        let durable = gen.durable_impl();
        // A `for` body is not run by itself: it needs no node-by-node runner.
        let remote = if w.def.hidden_body {
            TokenStream::new()
        } else {
            gen.remote_impl()
        };
        quote!(#durable #remote)
    } else {
        TokenStream::new()
    };
    let items = gen.with_user_items(quote! {
        #state_types
        #edge_traits
        #workflow_impl
        #node_impl
        #fan_out_impls
        #map_input_impl
        #durable_impl
    });
    // Outside the `const _` block, so rustc's "evaluation of `_` failed" names no path.
    quote! {
        #items
        #dead_retry_checks
        #timeout_total_checks
    }
}

/// What every piece of a workflow's expansion is generated from.
struct WorkflowGen<'a> {
    def: &'a WorkflowDef,
    w: &'a Workflow<'a>,
    g: &'a Graph,
    /// `<crate>::__private`.
    p: TokenStream,
    name: &'a Ident,
    name_str: String,
    input_name: Ident,
    output_name: Ident,
    /// `__EtlInput_url`: the alias of each input's type, spanned at the type.
    input_aliases: Vec<Ident>,
    /// `__EtlNode_page`: the alias of each binding's node path, spanned at the path.
    node_aliases: Vec<Ident>,
    /// The inputs and bindings the user-facing items declare, by index: the first of
    /// each name (all of them in a valid workflow; next to a duplicate-name error, the
    /// fallback declares each name once).
    declared_inputs: Vec<usize>,
    declared_bindings: Vec<usize>,
    /// `owner_of` of each binding, computed once (`owners_of`): asked per binding by
    /// several parts of the expansion.
    owners: Vec<usize>,
    /// The node slots kept in arrays (`run::SlotGroups`), computed once.
    slot_groups: run::SlotGroups,
}

impl<'a> WorkflowGen<'a> {
    fn new(w: &'a Workflow<'a>) -> Self {
        let def = w.def;
        let name = &def.name;
        let krate = w.attrs.options.krate.clone().unwrap_or_else(default_crate);
        let mut seen = HashSet::new();
        let declared_inputs = (0..def.inputs.len())
            .filter(|&i| seen.insert(def.inputs[i].name.to_string()))
            .collect();
        let owners = super::graph::owners_of(def);
        let declared_bindings = (0..def.bindings.len())
            .filter(|&i| seen.insert(def.bindings[i].name.to_string()))
            .collect();
        Self {
            def,
            w,
            g: &w.graph,
            p: private(&krate),
            name,
            name_str: name.to_string(),
            input_name: input_struct_name(name),
            output_name: output_struct_name(name),
            input_aliases: def.inputs.iter().map(|i| input_alias(name, i)).collect(),
            node_aliases: (0..def.bindings.len())
                .map(|i| owned_node_alias(name, def, i, owners[i] == i))
                .collect(),
            declared_inputs,
            declared_bindings,
            owners,
            slot_groups: run::SlotGroups::default(),
        }
        .with_slot_groups()
    }

    /// The node index of decision `d`'s router (after every binding).
    fn router(&self, d: usize) -> usize {
        self.def.bindings.len() + d
    }

    /// The first definition of binding `i`'s name (itself, unless `i` is a later arm's
    /// definition of a merge): it owns the slot and the value variant.
    fn owner(&self, i: usize) -> usize {
        self.owners[i]
    }

    /// The name of binding `i`'s module of edge traits: its name, or for a merge's later
    /// definition, its name and index.
    fn module_ident(&self, i: usize) -> Ident {
        let b = &self.def.bindings[i];
        if self.owner(i) == i {
            return b.name.clone();
        }
        // `receipt_in_Large`: named after the arm's variant, as rustc shows it in a note.
        let arm = b
            .scope
            .last()
            .map(|r| &self.def.decisions[r.decision].arms[r.arm]);
        let variant = arm.and_then(|a| pattern_variant(&a.pat));
        let taken = |name: &str| {
            (0..i).any(|j| j != i && self.owner(j) != j && self.module_ident_raw(j) == name)
                || self.def.bindings.iter().any(|o| o.name == name)
        };
        match variant {
            Some(v) if !taken(&format!("{}_in_{v}", b.name)) => {
                format_ident!("{}_in_{}", b.name, v, span = b.name.span())
            }
            _ => format_ident!("{}__{}", b.name, i, span = b.name.span()),
        }
    }

    /// [`Self::module_ident`] as text (without the uniqueness check of later ones).
    fn module_ident_raw(&self, j: usize) -> String {
        let b = &self.def.bindings[j];
        let arm = b
            .scope
            .last()
            .map(|r| &self.def.decisions[r.decision].arms[r.arm]);
        match arm.and_then(|a| pattern_variant(&a.pat)) {
            Some(v) => format!("{}_in_{v}", b.name),
            None => format!("{}__{}", b.name, j),
        }
    }

    /// Whether binding `i`'s name is bound only in some arms at the top level: its
    /// output field is an `Option`.
    fn is_partial(&self, i: usize) -> bool {
        let name = self.def.bindings[i].name.to_string();
        !super::resolve::is_total(self.def, &self.w.namespace, &name, &[])
    }

    /// The slot an edge reads: an input's, a binding's (a merge's one slot), or a
    /// pattern binding's (`__pat<decision>_<arm>_<name>`).
    fn slot_ident(&self, from: Origin, root: &Ident) -> Ident {
        match from {
            Origin::Input(_) | Origin::Node(_) => root.clone(),
            Origin::Pattern(arm, k) => pattern_slot(self.def, arm, k),
        }
    }

    /// `Output<__EtlNode_page>`: the output type of each binding.
    fn node_outputs(&self) -> Vec<TokenStream> {
        let p = &self.p;
        self.node_aliases
            .iter()
            .map(|alias| quote!(#p::Output<#alias>))
            .collect()
    }

    /// The user-facing items (aliases, the workflow struct, its input and output structs
    /// and their `Debug` impls, the output's `PartialEq`, both structs' `Clone`) and, in one `const _` block with the `Debug` impls,
    /// `hidden`: what the valid expansion and the fallback share.
    fn with_user_items(&self, hidden: TokenStream) -> TokenStream {
        let aliases = self.aliases();
        let workflow_struct = self.workflow_struct();
        let input_struct = self.input_struct();
        let output_struct = self.output_struct();
        let fan_out_ports = self.fan_out_ports_structs();
        let debug_impls = self.debug_impls();
        let eq_impl = self.output_eq_impl();
        let clone_impl = self.output_clone_impl();
        let input_clone_impl = self.input_clone_impl();
        let index_hint = self.output_index_hint();
        let input_first = self.workflow_goes_first_impl();
        let input_port_types = self.input_port_type_impls();
        let p = &self.p;
        quote! {
            #aliases
            #workflow_struct
            // Beside the workflow, so `Etl::new()` meets its error (`WorkflowsAreValues`).
            #[allow(unused_imports)]
            use #p::WorkflowsAreValues as _;
            #input_struct
            #output_struct
            #fan_out_ports

            #[allow(non_local_definitions, clippy::all, clippy::pedantic, clippy::nursery)]
            const _: () = {
                #debug_impls
                #eq_impl
                #clone_impl
                #input_clone_impl
                #index_hint
                #input_first
                #input_port_types
                #hidden
            };
        }
    }

    /// `impl Runnable<WorkflowGoesFirst<Etl>> for EtlInput`: `rt.execute(EtlInput { .. })`
    /// (the input where the workflow goes) is then rustc's one "argument #2 of type
    /// `WorkflowGoesFirst<Etl>` is missing", not that and "`EtlInput` is not a workflow".
    fn workflow_goes_first_impl(&self) -> TokenStream {
        let p = &self.p;
        let (name, input_name, output_name) = (self.name, &self.input_name, &self.output_name);
        quote! {
            #[automatically_derived]
            #[doc(hidden)]
            impl #p::Runnable<#p::WorkflowGoesFirst<#name>> for #input_name {
                type Workflow = #name;
                type Output = #output_name;
                fn into_parts(self, input: #p::WorkflowGoesFirst<#name>) -> (#name, #input_name) {
                    input.unreachable()
                }
            }
        }
    }

    /// `impl Workflow for Etl`.
    fn workflow_impl(&self) -> TokenStream {
        let p = &self.p;
        let (name, name_str) = (self.name, &self.name_str);
        let (input_name, output_name) = (&self.input_name, &self.output_name);
        let graph_consts = self.graph_consts();
        let plan = self.plan();
        let fused = self.fused_const(&self.fused_segments());
        let methods = self.methods();
        let state = self.state_type();
        quote! {
            #[automatically_derived]
            #[allow(unused_qualifications, clippy::all)]
            impl #p::Workflow for #name {
                type Input = #input_name;
                type Output = #output_name;
                const NAME: &'static str = #name_str;
                #graph_consts
                type State = #state;
                type Value = __WorkflowValue;
                const PLAN: &'static #p::Plan = &#plan;
                #fused

                #methods
            }

            // `Etl::mermaid()` (a fn, as a picture is in other libraries) and
            // `Etl::new()`: one error each saying what to write. A hidden trait's, not
            // inherent fns: a user's own `impl Etl { fn new() .. }` is no duplicate.
            #[doc(hidden)]
            impl #p::WorkflowsAreValues for #name {}
        }
    }
}

fn input_struct_name(workflow: &Ident) -> Ident {
    format_ident!("{}Input", workflow)
}

fn output_struct_name(workflow: &Ident) -> Ident {
    format_ident!("{}Output", workflow)
}

fn input_alias(workflow: &Ident, input: &super::ast::InputDecl) -> Ident {
    format_ident!("__{}Input_{}", workflow, input.name, span = input.ty_span())
}

/// `__EtlNode_page`; a merge's later definitions add their index.
fn node_alias(workflow: &Ident, def: &WorkflowDef, i: usize) -> Ident {
    owned_node_alias(workflow, def, i, super::graph::owner_of(def, i) == i)
}

/// `node_alias`, told whether binding `i` owns its name.
fn owned_node_alias(workflow: &Ident, def: &WorkflowDef, i: usize, is_owner: bool) -> Ident {
    let binding = &def.bindings[i];
    if is_owner {
        format_ident!(
            "__{}Node_{}",
            workflow,
            binding.name,
            span = binding.node_span()
        )
    } else {
        format_ident!(
            "__{}Node_{}__{}",
            workflow,
            binding.name,
            i,
            span = binding.node_span()
        )
    }
}

/// The slot of name `k` of an arm's pattern: `__pat<decision>_<arm>_<name>`.
fn pattern_slot(def: &WorkflowDef, arm: ArmRef, k: usize) -> Ident {
    let name = &def.decisions[arm.decision].arms[arm.arm].names[k];
    format_ident!(
        "__pat{}_{}_{}",
        arm.decision,
        arm.arm,
        name,
        span = name.span()
    )
}

/// The variant (or literal) a pattern names: `Large` for `Triage::Large(o)`, `false`
/// for an `if`'s `else`.
fn pattern_variant(pat: &syn::Pat) -> Option<String> {
    let path = match pat {
        syn::Pat::TupleStruct(p) => &p.path,
        syn::Pat::Struct(p) => &p.path,
        syn::Pat::Path(p) => &p.path,
        syn::Pat::Lit(syn::PatLit {
            lit: syn::Lit::Bool(b),
            ..
        }) => return Some(b.value.to_string()),
        syn::Pat::Ident(p) if p.subpat.is_none() => return Some(p.ident.to_string()),
        _ => return None,
    };
    path.segments.last().map(|s| s.ident.to_string())
}
