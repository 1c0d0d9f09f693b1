//! The run: the state that holds every value (`__WorkflowState`), the enum a finished
//! node's output travels in (`__WorkflowValue`), and the `Workflow` methods `init`,
//! `run` (one arm per node that builds its ports and starts it), `store` and `finish`.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens as _};
use syn::Ident;

use super::edges::NumberedEdge;
use super::WorkflowGen;
use crate::workflow::resolve::Origin;

/// Node slots of one type and consumer count, at least this many, are one array of the
/// state ([`SlotGroups`]) rather than a field each.
const SLOT_GROUP_MIN: usize = 16;

/// The node slots kept in arrays: the slots of the bindings that call one node fn (not
/// a fan-out, not a merge) and have the same count of consumers, when there are at
/// least [`SLOT_GROUP_MIN`] of them (a chain of `inc`s, a lattice of `add`s). `init`
/// then empties each array with one loop (`Slot::empty_run`) where a
/// field per slot was a store per slot in straight-line code: 11 KB of machine code for
/// a chain of 1,000, what every cold run fetched (issue 17). Small workflows have no
/// group: their state is a field per slot, as their errors and expansion show it.
///
/// The slots of nodes inside a fused segment (each but its last: a chain's links) are
/// groups of their own, made on first use (`LazySlots`): a segment that runs fused
/// never reaches them, and `init` wrote them for nothing (16 KB a run of a chain of
/// 1,000, what a cold run fetched to write, issue 17).
#[derive(Default)]
pub(super) struct SlotGroups {
    /// Each group's bindings (slot owners, in order), their consumer count (1 for
    /// one or none, the output struct's read), and whether it is made on first use.
    groups: Vec<(Vec<usize>, u32, bool)>,
    /// Each binding's place in a group (group, index), if its slot is in one.
    place: Vec<Option<(usize, usize)>>,
}

impl WorkflowGen<'_> {
    /// `self` with its [`SlotGroups`].
    pub(super) fn with_slot_groups(mut self) -> Self {
        let n = self.def.bindings.len();
        let merged: std::collections::HashSet<usize> = (0..n)
            .filter(|&i| self.owner(i) != i)
            .map(|i| self.owner(i))
            .collect();
        // Nodes inside a fused segment, not its last: their slots are reached only when
        // it runs node by node.
        let inside: std::collections::HashSet<usize> = self
            .fused_segments()
            .iter()
            .flat_map(|seg| seg[..seg.len() - 1].iter().copied())
            .collect();
        let mut by_key: HashMap<(String, u32, bool), usize> = HashMap::new();
        let mut candidates: Vec<(Vec<usize>, u32, bool)> = Vec::new();
        for i in 0..n {
            let b = &self.def.bindings[i];
            if self.owner(i) != i || merged.contains(&i) || b.fan_out.is_some() {
                continue;
            }
            let count = self.g.nodes[i].consumers.max(1);
            let lazy = count == 1 && inside.contains(&i);
            let key = (b.node.to_token_stream().to_string(), count, lazy);
            let g = *by_key.entry(key).or_insert_with(|| {
                candidates.push((Vec::new(), count, lazy));
                candidates.len() - 1
            });
            candidates[g].0.push(i);
        }
        let mut groups = SlotGroups {
            groups: Vec::new(),
            place: vec![None; n],
        };
        for (members, count, lazy) in candidates {
            if members.len() < SLOT_GROUP_MIN {
                continue;
            }
            for (k, &i) in members.iter().enumerate() {
                groups.place[i] = Some((groups.groups.len(), k));
            }
            groups.groups.push((members, count, lazy));
        }
        self.slot_groups = groups;
        self
    }

    /// The name of slot group `g`'s array field.
    fn slot_group_ident(g: usize) -> Ident {
        format_ident!("__workflow_slots{}", g)
    }

    /// Where binding `i`'s slot is in the state (after `state.`): its field, or its
    /// group's array at its index (a lazy group's `at(index)`), spanned at `span`.
    pub(super) fn slot_place(&self, i: usize, name: &Ident, span: Span) -> TokenStream {
        match self.slot_groups.place.get(i).copied().flatten() {
            Some((g, k)) => {
                let group = Ident::new(&Self::slot_group_ident(g).to_string(), span);
                if self.slot_groups.groups[g].2 {
                    quote_spanned!(span=> #group.at(#k))
                } else {
                    quote_spanned!(span=> #group[#k])
                }
            }
            None => quote!(#name),
        }
    }

    /// Where the slot an edge from `from` reads is (see [`slot_place`](Self::slot_place)).
    pub(super) fn source_place(&self, from: Origin, root: &Ident, span: Span) -> TokenStream {
        match from {
            Origin::Node(j) => self.slot_place(self.owner(j), root, span),
            _ => {
                let ident = self.slot_ident(from, root);
                quote!(#ident)
            }
        }
    }

    /// Whether slot owner `i` is a field of its own (not in a group).
    pub(super) fn own_field(&self, i: usize) -> bool {
        self.slot_groups.place.get(i).copied().flatten().is_none()
    }

    /// The `__WorkflowValue` variant of slot group `g`: `__workflow_group<g>(index, value)`,
    /// one for all its members (see [`value_group`](Self::value_group)).
    fn group_variant(g: usize) -> Ident {
        format_ident!("__workflow_group{}", g)
    }

    /// The fn that wraps a member of slot group `g`'s output (`__workflow_wrap<g>::<index>`).
    pub(super) fn group_wrap(g: usize) -> Ident {
        format_ident!("__workflow_wrap{}", g)
    }

    /// The wrap fn of binding `i`'s output when its slot is in a group: its group's,
    /// with its index (see [`value_group`](Self::value_group)).
    pub(super) fn group_wrap_of(&self, i: usize) -> Option<TokenStream> {
        let (g, k) = self.shared_variant(i)?;
        let (wrap, k) = (Self::group_wrap(g), k as u32);
        Some(quote!(#wrap::<#k>))
    }

    /// Binding `i`'s group and index when its value shares its group's variant (see
    /// [`value_group`](Self::value_group)).
    fn shared_variant(&self, i: usize) -> Option<(usize, usize)> {
        let (g, k) = self.slot_groups.place.get(i).copied().flatten()?;
        self.slot_groups.groups[g].2.then_some((g, k))
    }

    /// Binding `i`'s value variant and index when its slot is in a group made on
    /// first use (the nodes inside fused segments): such a group's members share one
    /// variant that carries the index, so `store` (and a durable workflow's
    /// `encode_value`) has an arm per group, not one per node (an executed chain of
    /// 1,000 compiled a 1,000-arm `store`, 28 K of its 148 K lines of LLVM IR, issue 17).
    /// A run that fuses its segments never stores their values. Other groups keep a
    /// variant per node: LLVM turns `store`'s arms of one shape into two table lookups
    /// (7 instructions), where the shared variant's arm took 15 (a 32×32 lattice's
    /// run +9 instructions a node, 3%, measured).
    pub(super) fn value_group(&self, i: usize) -> Option<(Ident, u32)> {
        let (g, k) = self.shared_variant(i)?;
        Some((Self::group_variant(g), k as u32))
    }

    /// Each slot group whose members share a variant ([`value_group`](Self::value_group)):
    /// its index, variant and members (slot owners, by index in the group).
    pub(super) fn value_groups(&self) -> impl Iterator<Item = (usize, Ident, &[usize])> + '_ {
        self.slot_groups
            .groups
            .iter()
            .enumerate()
            .filter(|(_, (_, _, lazy))| *lazy)
            .map(|(g, (members, _, _))| (g, Self::group_variant(g), &members[..]))
    }

    /// The group arrays' fields (`name: [Slot<T, N>; len]`, or `LazySlots<T, len>`) and
    /// their empty values (`name: Slot::empty_run::<len>()`, written in place; `blank`:
    /// every count `u32::MAX`, the blank state a remote run restores into).
    ///
    /// The values come longest group first: only the first call that builds an array
    /// of the state writes it in place. It is given a pointer into the state, which
    /// LLVM must then assume the calls after it may write through, so each of their
    /// arrays is built on the stack and copied over (a 32×32 lattice's 961 `add` slots:
    /// 21 KB copied a run, the first group being its 62 `inc`s, issue 17).
    pub(super) fn group_fields(&self, blank: bool) -> (TokenStream, TokenStream) {
        let p = &self.p;
        let outputs = self.node_outputs();
        let (mut types, mut values) = (TokenStream::new(), TokenStream::new());
        let mut order: Vec<usize> = (0..self.slot_groups.groups.len()).collect();
        // (Stable: groups of one length keep their order.)
        order.sort_by_key(|&g| std::cmp::Reverse(self.slot_groups.groups[g].0.len()));
        for g in order {
            let (members, count, lazy) = &self.slot_groups.groups[g];
            let name = Self::slot_group_ident(g);
            let len = members.len();
            let ty = &outputs[members[0]];
            if *lazy {
                types.extend(quote!(#name: #p::LazySlots<#ty, #len>,));
                values.extend(quote!(#name: #p::LazySlots::new(),));
                continue;
            }
            let (kind, empty) = if *count <= 1 {
                (
                    quote!(#p::OneConsumer),
                    quote!(#p::Slot::empty_run::<#len>()),
                )
            } else {
                let n = if blank { u32::MAX } else { *count };
                (quote!(u32), quote!(#p::Slot::counted_run::<#len, #n>()))
            };
            types.extend(quote!(#name: [#p::Slot<#ty, #kind>; #len],));
            values.extend(quote!(#name: #empty,));
        }
        (types, values)
    }
}

/// Workflows with more slots than this (inputs, nodes, pattern bindings) keep them in
/// an allocation of their own (`BoxedSlots`), out of the run's future, which is copied
/// as it is built: at 64 slots of ~24 bytes, the two copies of ~1.5 KB each cost about
/// what the allocation does (issue 17).
const BOXED_SLOTS_ABOVE: usize = 64;

/// Workflows with at most this many slots have them made by code inlined where the run
/// builds its driver, which LLVM then writes in place. Out of line, the slots came back
/// through a stack temporary and were copied into the driver (184 bytes, a `memcpy` call,
/// for W4's diamond; issue 17, session 20): the call could reach the run's future through
/// the pointers it had let out, so LLVM could not hand it the driver's field to write.
/// Small enough that the executor's code does not grow with the graph.
const INLINE_SLOTS_UP_TO: usize = 16;

impl WorkflowGen<'_> {
    /// `__WorkflowState` (one slot per input and per binding) and `__WorkflowValue`.
    pub(super) fn state_types(&self) -> TokenStream {
        let p = &self.p;
        let input_idents = self.def.inputs.iter().map(|i| &i.name);
        let input_types = &self.input_aliases;
        // One slot per name: a merge's definitions share their first one's.
        let owners = self.slot_owners();
        let all_outputs = self.node_outputs();
        let fields: Vec<usize> = owners
            .iter()
            .copied()
            .filter(|&i| self.own_field(i))
            .collect();
        // A variant per slot, but one per group whose members share it (`value_group`).
        let variants: Vec<usize> = owners
            .iter()
            .copied()
            .filter(|&i| self.value_group(i).is_none())
            .collect();
        let node_idents = variants.iter().map(|&i| &self.def.bindings[i].name);
        let node_outputs = variants.iter().map(|&i| &all_outputs[i]);
        let group_variants: Vec<_> = self.value_groups().map(|(_, v, _)| v).collect();
        let group_outputs: Vec<_> = self
            .value_groups()
            .map(|(_, _, m)| &all_outputs[m[0]])
            .collect();
        let group_wraps: Vec<_> = self
            .value_groups()
            .map(|(g, _, _)| Self::group_wrap(g))
            .collect();
        let field_idents = fields.iter().map(|&i| &self.def.bindings[i].name);
        let field_outputs = fields.iter().map(|&i| &all_outputs[i]);
        // Each slot's count of consumers, nothing for a slot with one (see `Slot`).
        let count = |consumers: u32| (consumers <= 1).then(|| quote!(, #p::OneConsumer));
        let field_counts = fields.iter().map(|&i| count(self.g.nodes[i].consumers));
        let (group_fields, _) = self.group_fields(false);
        let pattern_slots = self.pattern_slots();
        let pattern_idents = pattern_slots.iter().map(|(s, _, _)| s);
        let pattern_types = pattern_slots.iter().map(|(_, t, _)| t);
        let input_counts = self.g.input_consumers.iter().map(|&n| count(n));
        let pattern_counts = pattern_slots.iter().map(|&(_, _, n)| count(n));
        let forced = (0..self.def.decisions.len()).map(Self::forced_field);
        let routes = (0..self.def.decisions.len()).map(Self::route_variant);
        quote! {
            #[doc(hidden)]
            #[allow(non_snake_case, dead_code)]
            pub struct __WorkflowState {
                #( #input_idents: #p::Slot<#input_types #input_counts>, )*
                #( #field_idents: #p::Slot<#field_outputs #field_counts>, )*
                #group_fields
                #( #pattern_idents: #p::Slot<#pattern_types #pattern_counts>, )*
                #( #forced: #p::Option<usize>, )*
            }

            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            pub enum __WorkflowValue {
                #( #node_idents(#node_outputs), )*
                #( #group_variants(u32, #group_outputs), )*
                #( #routes(usize), )*
            }

            #(
                /// A group member's output into the value enum, with its index in the
                /// group: one fn for the group, instantiated per member.
                #[doc(hidden)]
                #[allow(non_snake_case)]
                fn #group_wraps<const K: u32>(v: #group_outputs) -> __WorkflowValue {
                    __WorkflowValue::#group_variants(K, v)
                }
            )*
        }
    }

    /// `init`, `run`, `store`, `finish` and (with decisions) `chosen_arm`.
    pub(super) fn methods(&self) -> TokenStream {
        let init = self.init_fn();
        let run = self.run_fn();
        let store = self.store_fn();
        let finish = self.finish_fn();
        let chosen_arm = self.chosen_arm_fn();
        quote!(#init #run #store #finish #chosen_arm)
    }

    /// The bindings that own a slot: the first definition of each name.
    pub(super) fn slot_owners(&self) -> Vec<usize> {
        (0..self.def.bindings.len())
            .filter(|&i| self.owner(i) == i)
            .collect()
    }

    /// Whether the run keeps its slots in an allocation of their own
    /// (`BoxedSlots`, see `workflow-core`'s `plan.rs`): more than
    /// [`BOXED_SLOTS_ABOVE`] of them. Session 9 boxed only workflows with fused
    /// segments (a chain of 1,000 ran 20% faster boxed, a 32×32 lattice and a fan-out of
    /// 1,000 23% slower with 13% fewer instructions); session 18 found that slowdown in
    /// `store` (see there: a jump to code per node, where it is a table) and boxes them
    /// all: a lattice's and a fan-out's 21–24 KB of slots were copied twice a run with
    /// the future (into its box, then into the driver), ~50 K instructions a hot run
    /// and ~1,000 cache lines a cold one (issue 17).
    pub(super) fn boxed_slots(&self) -> bool {
        let slots = self.def.inputs.len() + self.slot_owners().len() + self.pattern_slots().len();
        slots > BOXED_SLOTS_ABOVE
    }

    /// `Workflow::State`: the slots, inline or boxed (see [`boxed_slots`](Self::boxed_slots)).
    pub(super) fn state_type(&self) -> TokenStream {
        let p = &self.p;
        if self.boxed_slots() {
            quote!(#p::BoxedSlots<__WorkflowState>)
        } else {
            quote!(__WorkflowState)
        }
    }

    /// `slots` (an expression of type `__WorkflowState`) as a `Workflow::State`, boxed
    /// when [`boxed_slots`](Self::boxed_slots): the remote run's blank state, built,
    /// then copied into its box (`init` writes its slots in place with
    /// `BoxedSlots::build`).
    pub(super) fn state_value(&self, slots: TokenStream) -> TokenStream {
        let p = &self.p;
        if self.boxed_slots() {
            quote!(#p::BoxedSlots::new(move || #slots))
        } else {
            slots
        }
    }

    /// `init`: the inputs fill their slots; each slot knows how many ports it feeds.
    fn init_fn(&self) -> TokenStream {
        let p = &self.p;
        let input_name = &self.input_name;
        let input_idents: Vec<_> = self.def.inputs.iter().map(|i| &i.name).collect();
        let input_counts = &self.g.input_consumers;
        let owners: Vec<usize> = (self.slot_owners().into_iter())
            .filter(|&i| self.own_field(i))
            .collect();
        let node_idents = owners.iter().map(|&i| &self.def.bindings[i].name);
        // A node without consumers still has one reader: the output struct.
        let node_counts = owners.iter().map(|&i| self.g.nodes[i].consumers.max(1));
        let (_, groups) = self.group_fields(false);
        let pattern_slots = self.pattern_slots();
        let pattern_idents = pattern_slots.iter().map(|(s, _, _)| s);
        let pattern_counts = pattern_slots.iter().map(|(_, _, n)| *n);
        let forced = (0..self.def.decisions.len()).map(Self::forced_field);
        // Boxed slots are written straight into their box by a call that cannot unwind
        // (`BoxedSlots::build`): an `extern "C"` fn, of Rust types only.
        let (abi, state) = if self.boxed_slots() {
            (
                quote!(#[allow(improper_ctypes_definitions)] extern "C"),
                quote!(#p::BoxedSlots::build(__workflow_slots, input)),
            )
        } else {
            (quote!(), quote!(__workflow_slots(input)))
        };
        // Not inlined but for a few slots (see `INLINE_SLOTS_UP_TO`): straight-line code
        // with a section per slot, which must not make the executor's functions grow
        // with the graph.
        let slots = self.def.inputs.len() + self.slot_owners().len() + self.pattern_slots().len();
        let inline = if slots <= INLINE_SLOTS_UP_TO && !self.boxed_slots() {
            quote!(#[inline(always)])
        } else {
            quote!(#[inline(never)])
        };
        quote! {
            fn init(input: Self::Input) -> Self::State {
                #inline
                #abi fn __workflow_slots(input: #input_name) -> __WorkflowState {
                    let #input_name { #(#input_idents),* } = input;
                    __WorkflowState {
                        #( #input_idents: #p::Slot::filled(#input_idents, #input_counts), )*
                        #( #node_idents: #p::Slot::empty(#node_counts), )*
                        #groups
                        #( #pattern_idents: #p::Slot::empty(#pattern_counts), )*
                        #( #forced: #p::Option::None, )*
                    }
                }
                #state
            }
        }
    }

    /// `run`: the executor's loop over one pinned future cell per node *type* (see
    /// `executor/cells.rs`). No code of the run is per node: each node is a record in a
    /// static table of its type (`__NODES<t>`: the fn that builds its ports from the
    /// state, and the fn that wraps its output), found from data (`__TYPE_OF`,
    /// `__RANK`); the start, poll and drop arms are one per type. A table arm per node
    /// made the closure one function that grew with every node, which LLVM optimises in
    /// superlinear time (issue 17).
    fn run_fn(&self) -> TokenStream {
        let p = &self.p;
        let (type_of, types) = self.node_types();
        let cells: Vec<Ident> = (0..types)
            .map(|t| Ident::new(&format!("__workflow_cell{t}"), Span::mixed_site()))
            .collect();
        let boxed = Ident::new("__boxed", Span::mixed_site());
        let nodes = self.g.nodes.len();
        let bindings = self.def.bindings.len();
        // The rank of each binding among the nodes of its type, and each type's nodes.
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); types as usize];
        let mut rank = Vec::with_capacity(nodes);
        for (i, &t) in type_of.iter().enumerate() {
            rank.push(members[t as usize].len() as u32);
            members[t as usize].push(i);
        }
        rank.resize(nodes, u32::MAX);
        let edges = self.numbered_edges();
        let tables: Vec<Ident> = (0..types)
            .map(|t| Ident::new(&format!("__NODES{t}"), Span::mixed_site()))
            .collect();
        // Linear runs of plain nodes, also compiled into one future each (`fuse.rs`).
        let fused = self.fused_run(&self.fused_segments(), &type_of, &rank, &tables, &edges);
        let (fused_fns, fused_cells, fused_arm) = (&fused.fns, &fused.cells, &fused.arm);
        let table_defs = members.iter().zip(&tables).map(|(members, table)| {
            let alias = &self.node_aliases[members[0]];
            let len = members.len();
            let records = self.table_records(members, &edges);
            quote! {
                #[allow(clippy::type_complexity)]
                static #table: [(
                    fn(&mut __WorkflowState) -> #alias,
                    fn(#p::Output<#alias>) -> __WorkflowValue,
                ); #len] = #records;
            }
        });
        let start_arms = members.iter().enumerate().map(|(t, members)| {
            let alias = &self.node_aliases[members[0]];
            let (cell, table) = (&cells[t], &tables[t]);
            let t = t as u32;
            quote! {
                #t => {
                    let (ports, wrap) = #table[__RANK[node] as usize];
                    #p::start_node(
                        #cell.as_mut(),
                        &mut #boxed,
                        node,
                        op,
                        ports(state),
                        wrap,
                        #p::inline_call::<#alias, __WorkflowValue>,
                    )
                }
            }
        });
        let router_arms = (0..self.def.decisions.len()).map(|d| self.router_arm(d));
        let type_ids = 0..types;
        // Routers are never pending, and start by their own arm: no type.
        let type_of = type_of
            .iter()
            .copied()
            .chain(std::iter::repeat_n(u32::MAX, nodes - bindings));
        quote! {
            fn run(
                exec: #p::Executor<Self>,
            ) -> impl #p::Future<Output = #p::Outcome<Self::Output>> + ::core::marker::Send {
                /// The type (cell and table) of each node.
                static __TYPE_OF: [u32; #nodes] = [#(#type_of),*];
                /// Each node's index in its type's table.
                static __RANK: [u32; #nodes] = [#(#rank),*];
                #(#table_defs)*
                #fused_fns
                // Boxed here, where the future is built, and built in its allocation
                // (`boxed_in_place`) rather than on the stack and copied there.
                #p::boxed_in_place(move || async move {
                    #fused_cells
                    #( let mut #cells = #p::pin!(#p::Option::None); )*
                    let mut #boxed = #p::BoxedNodes::<__WorkflowValue>::new(#nodes);
                    exec.run(
                        move |state: &mut <Self as #p::Workflow>::State, node: usize, op: #p::Op<'_, '_>| {
                            match op {
                                #fused_arm
                                op @ #p::Op::Start(..) => match __TYPE_OF[node] {
                                    #(#start_arms)*
                                    _ => match node {
                                        #(#router_arms)*
                                        _ => ::core::unreachable!("workflow node index out of range"),
                                    },
                                },
                                op => {
                                    if #boxed.holds(node) {
                                        return #boxed.step(node, op);
                                    }
                                    match __TYPE_OF[node] {
                                        #( #type_ids => #p::cell_op(#cells.as_mut(), node, op), )*
                                        _ => #p::Poll::Pending,
                                    }
                                }
                            }
                        },
                    )
                    .await
                })
            }
        }
    }

    /// The type index of each binding (bindings calling the same node fn share one), and
    /// how many types there are.
    fn node_types(&self) -> (Vec<u32>, u32) {
        let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        let type_of = self
            .def
            .bindings
            .iter()
            .map(|b| {
                let key = crate::workflow::ast::path_text(&b.node);
                let next = seen.len() as u32;
                *seen.entry(key).or_insert(next)
            })
            .collect();
        (type_of, seen.len() as u32)
    }

    /// The records of one node type's table (`__NODES<t>`), as an array expression:
    /// for each member, the fn that builds its ports from the state and the fn that
    /// wraps its output. The ports go through the node's ports callback once for the
    /// whole table (`fetch! { {p} @each .. }`), not once per node: nested macro calls
    /// per node were most of a large workflow's compile time (issue 17).
    fn table_records(&self, members: &[usize], edges: &[NumberedEdge<'_>]) -> TokenStream {
        let first = &self.def.bindings[members[0]];
        let alias = &self.node_aliases[members[0]];
        let sig = quote!((state: &mut __WorkflowState) -> #alias);
        if !first.has_ports_callback() {
            let records = members.iter().map(|&i| {
                let literal = Ident::new(
                    &self.node_aliases[i].to_string(),
                    self.def.bindings[i].node_span(),
                );
                let ports = self.ports_literal(i, &literal, edges);
                let ports_fn = super::ports::ports_fn(&sig, &ports);
                let wrap = self.value_wrap(i);
                quote!((#ports_fn, #wrap))
            });
            return quote!([#(#records),*]);
        }
        let p = &self.p;
        let path = &first.node;
        let calls = members.iter().map(|&i| {
            let b = &self.def.bindings[i];
            // Named at the node path, so a missing port is reported there.
            let literal = Ident::new(&self.node_aliases[i].to_string(), b.node_span());
            let args = self.ports_args(i, edges);
            let wrap = self.value_wrap(i);
            quote!(#literal [ #(#args)* ] { #wrap })
        });
        quote!(#path! { {#p} @each { #sig } [ #(#calls)* ] })
    }

    /// The ports of binding `i`, built from its edges: through the node's ports callback
    /// (`fetch! { .. }`, see `ports.rs`), which says a port mistake in ports; for a node
    /// without one, as a struct literal, whose mistakes rustc reports (the literal
    /// carries the user's span, so rustc suggests `raw` for a misspelt `rwa`).
    pub(super) fn ports_literal(
        &self,
        i: usize,
        literal: &Ident,
        edges: &[NumberedEdge<'_>],
    ) -> TokenStream {
        let b = &self.def.bindings[i];
        if !b.has_ports_callback() {
            let fields = edges
                .iter()
                .filter(|e| e.node == i)
                .map(|e| self.port_field(e));
            return quote::quote_spanned!(b.node_span()=> #literal { #(#fields)* });
        }
        let p = &self.p;
        let path = &b.node;
        let args = self.ports_args(i, edges);
        quote!(#path! { {#p} #literal [ #(#args)* ] })
    }

    /// `port shorthand { value }` for each edge into binding `i`: a call's arguments
    /// for its ports callback.
    fn ports_args(&self, i: usize, edges: &[NumberedEdge<'_>]) -> Vec<TokenStream> {
        edges
            .iter()
            .filter(|e| e.node == i)
            .map(|e| {
                let port = &e.edge.port;
                let value = self.port_value(e);
                let last = match e.edge.source.fields.last() {
                    Some(syn::Member::Named(id)) => Some(id),
                    Some(syn::Member::Unnamed(_)) => None,
                    None => Some(&e.edge.source.root),
                };
                let shorthand = last.is_some_and(|l| l == port);
                quote!(#port #shorthand { #value })
            })
            .collect()
    }

    /// `store`: a finished node's value goes to its slot.
    /// A router's value is its arm: kept for a resumed run's router, which takes it
    /// again (a fresh run's router has already run by then, so it is never read).
    fn store_fn(&self) -> TokenStream {
        let p = &self.p;
        let owners: Vec<usize> = self
            .slot_owners()
            .into_iter()
            .filter(|&i| self.value_group(i).is_none())
            .collect();
        let node_idents = owners.iter().map(|&i| &self.def.bindings[i].name);
        let places = owners.iter().map(|&i| {
            let name = &self.def.bindings[i].name;
            self.slot_place(i, name, Span::call_site())
        });
        let group_variants = self.value_groups().map(|(_, v, _)| v);
        let group_places = self
            .value_groups()
            .map(|(g, _, _)| Self::slot_group_ident(g));
        let routes = (0..self.def.decisions.len()).map(Self::route_variant);
        let forced = (0..self.def.decisions.len()).map(Self::forced_field);
        quote! {
            // Not inlined: a match with an arm per node, or per group (see `init`).
            #[inline(never)]
            fn store(state: &mut Self::State, value: Self::Value) {
                // Boxed slots (see `BoxedSlots`) reached once, not in every arm: an arm
                // each that tested the box made the match a jump to code per node
                // (`put`'s store), where it is two tables of offsets.
                #[allow(unused_variables)]
                let state: &mut __WorkflowState = &mut *state;
                match value {
                    #( __WorkflowValue::#node_idents(v) => state.#places.put(v), )*
                    #( __WorkflowValue::#group_variants(k, v) => state.#group_places.at(k as usize).put(v), )*
                    #( __WorkflowValue::#routes(arm) => state.#forced = #p::Option::Some(arm), )*
                }
            }
        }
    }

    /// `finish`: the output struct, from the slots of the output bindings.
    fn finish_fn(&self) -> TokenStream {
        let output_name = &self.output_name;
        let takes = self.output_bindings().map(|i| {
            let ident = &self.def.bindings[i].name;
            let place = self.slot_place(self.owner(i), ident, Span::call_site());
            if self.is_partial(i) {
                quote!(#ident: state.#place.take_opt(),)
            } else {
                quote!(#ident: state.#place.take(),)
            }
        });
        quote! {
            fn finish(state: &mut Self::State) -> Self::Output {
                #output_name { #(#takes)* }
            }
        }
    }
}
