//! The run: the state that holds every value (`__WorkflowState`), the enum a finished
//! node's output travels in (`__WorkflowValue`), and the `Workflow` methods `init`,
//! `run` (one arm per node that builds its ports and starts it), `store` and `finish`.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens as _};
use syn::Ident;

use super::edges::{edges_into, NumberedEdge};
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

    /// Where the slot an edge from `from` reads is (see [`slot_place`](Self::slot_place));
    /// with `at`, a slot in an eager group is read in a shared ports fn's window of the
    /// group (see [`AtRead`]).
    pub(super) fn source_place(
        &self,
        from: Origin,
        root: &Ident,
        span: Span,
        at: Option<AtRead>,
    ) -> TokenStream {
        match from {
            Origin::Node(j) => {
                let owner = self.owner(j);
                match (self.slot_groups.place.get(owner).copied().flatten(), at) {
                    (
                        Some((g, _)),
                        Some(AtRead {
                            index,
                            offset,
                            width,
                        }),
                    ) if !self.slot_groups.groups[g].2 => {
                        let group = Ident::new(&Self::slot_group_ident(g).to_string(), span);
                        // One bounds check for the window (its end: its start is a `u32`,
                        // so adding the width cannot overflow), which every read of it
                        // shares; each read at a constant offset in it.
                        quote_spanned!(span=> #group[{
                            let start = __workflow_at[#index] as usize;
                            start..start + #width
                        }][#offset])
                    }
                    _ => self.slot_place(owner, root, span),
                }
            }
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

/// Nodes of one type whose ports are read alike, at least this many, share one ports fn
/// ([`PortsShapes`]); fewer keep a ports fn each, so a small workflow expands (and
/// reports its errors) as before.
const SHARED_PORTS_MIN: usize = 16;

/// How each node of one type (one table, `__NODES<t>`) gets its ports fn. Nodes of one
/// *shape* (the same ports, each read from the same slot or from the same eager slot
/// group, with the same projection) share the ports fn of the first of them, which
/// reads a group's slot at an index it is given (`__workflow_at`, from the type's
/// `__AT<t>` table: data a node, where a ports fn each was ~176 bytes of machine code a
/// node that a cold run of a 32×32 lattice fetched from memory, 2,450 of its 5,000
/// lines, issue 17). The others' own ports fns are still written, and checked (their
/// mistakes reported at their tokens as before), but never called, so never compiled
/// to code.
pub(super) struct PortsShapes {
    /// Each member's part (by rank in its type).
    pub(super) share: Vec<Share>,
    /// Each member's windows' starts (see [`AtRead`]), `width` of them (0 where unread).
    pub(super) at: Vec<Vec<u32>>,
    /// The length of `__workflow_at`: 0 when no shared ports fn reads a group, and
    /// then the ports fns take the state alone.
    pub(super) width: usize,
}

impl PortsShapes {
    /// The type of `__AT<t>`'s entries (see [`narrow`]): window starts are at most a
    /// group's length, so adding a window's width to one cannot overflow `usize`.
    fn at_type(&self) -> TokenStream {
        narrow(self.at.iter().flatten().copied().max().unwrap_or(0)).0
    }
}

/// A node's shape (see [`PortsShapes`]): a key equal for nodes whose ports are read
/// alike, the start of each window it reads (see [`AtRead`]), and how each port is read
/// (`None`: from a slot of its own, or an input).
type Shape = (String, Vec<u32>, Vec<Option<AtRead>>);

/// Where a shared ports fn reads a port from a slot group: in a window of the group
/// that starts at `__workflow_at[index]` (the node's own start, from the type's `__AT<t>`
/// table), `width` slots long, at `offset`. Ports of a node that read one group read
/// one window (a lattice's `add(a: l_{i-1}_j, b: l_i_{j-1})`: the window from `a`'s slot
/// to `b`'s, 30 slots of a 32×32 lattice's group, `a` at 0 and `b` at 29), so its bounds
/// are checked once, not once a port.
#[derive(Clone, Copy)]
pub(super) struct AtRead {
    pub(super) index: usize,
    pub(super) offset: usize,
    pub(super) width: usize,
}

/// The narrowest unsigned type that holds `max` (`u8`, `u16` or `u32`), for the run's
/// static tables: a cold run reads them a node at a time, so a narrower entry is fewer
/// cache lines fetched from memory (issue 17).
fn narrow(max: u32) -> (TokenStream, u32) {
    if max <= u32::from(u8::MAX) {
        (quote!(u8), u32::from(u8::MAX))
    } else if max <= u32::from(u16::MAX) {
        (quote!(u16), u32::from(u16::MAX))
    } else {
        (quote!(u32), u32::MAX)
    }
}

/// `values` as unsuffixed literals (of whatever type their table has).
fn unsuffixed(values: impl IntoIterator<Item = u32>) -> Vec<proc_macro2::Literal> {
    values
        .into_iter()
        .map(proc_macro2::Literal::u32_unsuffixed)
        .collect()
}

/// A node's ports fn: its own, or its shape's (see [`PortsShapes`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Share {
    Own,
    /// The first of its shape: its ports fn is the shape's, `__workflow_shared<n>`.
    Lead(usize),
    /// Another of shape `n`: its ports fn is checked, and `__workflow_shared<n>` used.
    Of(usize),
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
        // Routers have no rank: the table type's largest value.
        let (rank_type, no_rank) =
            narrow(rank.iter().copied().max().unwrap_or(0).saturating_add(1));
        rank.resize(nodes, no_rank);
        let edges = self.numbered_edges();
        let tables: Vec<Ident> = (0..types)
            .map(|t| Ident::new(&format!("__NODES{t}"), Span::mixed_site()))
            .collect();
        let shapes: Vec<PortsShapes> = members
            .iter()
            .map(|members| self.ports_shapes(members, &edges))
            .collect();
        // Each type's table of group indices (`__AT<t>`), if its shared ports fns read any.
        let at_tables: Vec<Option<Ident>> = shapes
            .iter()
            .enumerate()
            .map(|(t, s)| {
                (s.width > 0).then(|| Ident::new(&format!("__AT{t}"), Span::mixed_site()))
            })
            .collect();
        // Linear runs of plain nodes, also compiled into one future each (`fuse.rs`).
        let fused = self.fused_run(
            &self.fused_segments(),
            &type_of,
            &rank,
            &tables,
            &at_tables,
            &edges,
        );
        let (fused_fns, fused_cells, fused_arm) = (&fused.fns, &fused.cells, &fused.arm);
        let table_defs = members.iter().enumerate().map(|(t, members)| {
            let (table, shapes) = (&tables[t], &shapes[t]);
            let alias = &self.node_aliases[members[0]];
            let len = members.len();
            let records = self.table_records(members, &edges, shapes);
            let (at_param, at_def) = match &at_tables[t] {
                Some(at_table) => {
                    let width = shapes.width;
                    let ty = shapes.at_type();
                    let rows = shapes.at.iter().map(|row| {
                        let row = unsuffixed(row.iter().copied());
                        quote!([#(#row),*])
                    });
                    (
                        quote!(, [#ty; #width]),
                        quote! {
                            /// Each node's windows into the slot groups its shared ports
                            /// fn reads (see `PortsShapes` in `workflow-macros`).
                            static #at_table: [[#ty; #width]; #len] = [#(#rows),*];
                        },
                    )
                }
                None => (TokenStream::new(), TokenStream::new()),
            };
            quote! {
                #[allow(clippy::type_complexity)]
                static #table: [(
                    fn(&mut __WorkflowState #at_param) -> #alias,
                    fn(#p::Output<#alias>) -> __WorkflowValue,
                ); #len] = #records;
                #at_def
            }
        });
        let start_arms = members.iter().enumerate().map(|(t, members)| {
            let alias = &self.node_aliases[members[0]];
            let (cell, table) = (&cells[t], &tables[t]);
            // With shared ports fns reading group indices, the node's from `__AT<t>`.
            let (record, ports) = match &at_tables[t] {
                Some(at_table) => (
                    quote! {
                        let rank = __RANK[node] as usize;
                        let (ports, wrap) = #table[rank];
                    },
                    quote!(ports(state, #at_table[rank])),
                ),
                None => (
                    quote!(let (ports, wrap) = #table[__RANK[node] as usize];),
                    quote!(ports(state)),
                ),
            };
            let t = proc_macro2::Literal::u32_unsuffixed(t as u32);
            // A type whose ports may clone a user's value builds them under the start's
            // `catch_unwind`: that `Clone` may panic.
            let (start, ports) = if members.iter().any(|&i| self.reads_shared(i)) {
                (quote!(start_node_sharing), quote!(|| #ports))
            } else {
                (quote!(start_node), ports)
            };
            quote! {
                #t => {
                    #record
                    #p::#start(
                        #cell.as_mut(),
                        &mut #boxed,
                        node,
                        op,
                        #ports,
                        wrap,
                        #p::inline_call::<#alias, __WorkflowValue>,
                    )
                }
            }
        });
        let router_arms = (0..self.def.decisions.len()).map(|d| self.router_arm(d));
        let type_ids = unsuffixed(0..types);
        // Routers are never pending, and start by their own arm: no type (the table
        // type's largest value).
        let (type_type, no_type) = narrow(types);
        let type_of = unsuffixed(
            type_of
                .iter()
                .copied()
                .chain(std::iter::repeat_n(no_type, nodes - bindings)),
        );
        let rank = unsuffixed(rank);
        quote! {
            fn run(
                exec: #p::Executor<Self>,
            ) -> impl #p::Future<Output = #p::Outcome<Self::Output>> + ::core::marker::Send {
                /// The type (cell and table) of each node.
                static __TYPE_OF: [#type_type; #nodes] = [#(#type_of),*];
                /// Each node's index in its type's table.
                static __RANK: [#rank_type; #nodes] = [#(#rank),*];
                #(#table_defs)*
                #fused_fns
                // Boxed here, where the future is built, and built in its allocation
                // (`boxed_in_place`) rather than on the stack and copied there.
                #p::boxed_in_place(move || async move {
                    #fused_cells
                    #( let mut #cells = #p::pin!(#p::Option::None); )*
                    let mut #boxed = #p::BoxedNodes::<__WorkflowValue>::new(#nodes);
                    exec.run(
                        // Inlined into the driver's plain start, where every node of a
                        // plain run starts; every other call goes through one
                        // out-of-line copy (`call_cells` in `executor/driver.rs`).
                        #[inline(always)]
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

    /// The [`PortsShapes`] of one type's `members` (bindings, by rank).
    pub(super) fn ports_shapes(
        &self,
        members: &[usize],
        edges: &[NumberedEdge<'_>],
    ) -> PortsShapes {
        let shapes: Vec<Option<Shape>> = members
            .iter()
            .map(|&i| self.ports_shape(i, edges))
            .collect();
        let mut count: HashMap<&str, usize> = HashMap::new();
        for (key, _, _) in shapes.iter().flatten() {
            *count.entry(key.as_str()).or_default() += 1;
        }
        let mut lead: HashMap<&str, usize> = HashMap::new();
        let mut share = Vec::with_capacity(members.len());
        let mut width = 0;
        for shape in &shapes {
            let Some((key, at, _)) = shape
                .as_ref()
                .filter(|(k, _, _)| count[k.as_str()] >= SHARED_PORTS_MIN)
            else {
                share.push(Share::Own);
                continue;
            };
            width = width.max(at.len());
            let next = lead.len();
            match lead.entry(key.as_str()) {
                std::collections::hash_map::Entry::Occupied(n) => share.push(Share::Of(*n.get())),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(next);
                    share.push(Share::Lead(next));
                }
            }
        }
        let at = shapes
            .iter()
            .zip(&share)
            .map(|(shape, share)| {
                let mut row = vec![0; width];
                if let (Some((_, at, _)), Share::Lead(_) | Share::Of(_)) = (shape, share) {
                    row[..at.len()].copy_from_slice(at);
                }
                row
            })
            .collect();
        PortsShapes { share, at, width }
    }

    /// Binding `i`'s [`Shape`]. `None` for a node that keeps its own ports fn: one
    /// whose ports have no callback (a fan-out), is retried (its inputs checked for
    /// `Clone` at `#[retry]`), or reads a `name?`, a pattern binding or a slot made on
    /// first use.
    pub(super) fn ports_shape(&self, i: usize, edges: &[NumberedEdge<'_>]) -> Option<Shape> {
        if !self.def.bindings[i].has_ports_callback() || self.w.bindings[i].policy.retry.is_some() {
            return None;
        }
        // Each port's source: a slot or input by name, or a group and the index in it.
        let mut sources = Vec::new();
        for e in edges_into(edges, i) {
            let source = &e.edge.source;
            if source.optional.is_some() {
                return None;
            }
            let place = match e.edge.from {
                Origin::Node(j) => {
                    let owner = self.owner(j);
                    match self.slot_groups.place.get(owner).copied().flatten() {
                        Some((g, _)) if self.slot_groups.groups[g].2 => return None,
                        Some((g, k)) => Ok((g, k as u32)),
                        None => Err(format!("slot {}", self.def.bindings[owner].name)),
                    }
                }
                Origin::Input(k) => Err(format!("input {k}")),
                Origin::Pattern(..) => return None,
            };
            let fields: Vec<String> = source
                .fields
                .iter()
                .map(|m| m.to_token_stream().to_string())
                .collect();
            sources.push((&e.edge.port, place, fields.join(".")));
        }
        // A window per group read, in order of first read: from its lowest index read to
        // its highest.
        let mut windows: Vec<(usize, u32, u32)> = Vec::new();
        for (_, place, _) in &sources {
            if let Ok((g, k)) = *place {
                match windows.iter_mut().find(|w| w.0 == g) {
                    Some(w) => {
                        w.1 = w.1.min(k);
                        w.2 = w.2.max(k);
                    }
                    None => windows.push((g, k, k)),
                }
            }
        }
        let mut key = String::new();
        let mut reads = Vec::with_capacity(sources.len());
        for (port, place, fields) in &sources {
            let read = match place {
                Ok((g, k)) => {
                    let index = windows.iter().position(|w| w.0 == *g).unwrap_or(0);
                    let (_, low, high) = windows[index];
                    let read = AtRead {
                        index,
                        offset: (k - low) as usize,
                        width: (high - low + 1) as usize,
                    };
                    key.push_str(&format!(
                        "{port} <- group {g} window {index} at {} of {} .{fields};",
                        read.offset, read.width
                    ));
                    Some(read)
                }
                Err(slot) => {
                    key.push_str(&format!("{port} <- {slot} .{fields};"));
                    None
                }
            };
            reads.push(read);
        }
        let at = windows.iter().map(|w| w.1).collect();
        Some((key, at, reads))
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
    ///
    /// Nodes of one shape share its first one's ports fn (see [`PortsShapes`]): the
    /// first's call is marked `@lead <n>` and written with its group reads at
    /// `__workflow_at`, the others' `@of <n>`.
    fn table_records(
        &self,
        members: &[usize],
        edges: &[NumberedEdge<'_>],
        shapes: &PortsShapes,
    ) -> TokenStream {
        let first = &self.def.bindings[members[0]];
        let alias = &self.node_aliases[members[0]];
        let sig = if shapes.width > 0 {
            let (width, ty) = (shapes.width, shapes.at_type());
            quote!((state: &mut __WorkflowState, __workflow_at: [#ty; #width]) -> #alias)
        } else {
            quote!((state: &mut __WorkflowState) -> #alias)
        };
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
        let calls = members.iter().zip(&shapes.share).map(|(&i, &share)| {
            let b = &self.def.bindings[i];
            // Named at the node path, so a missing port is reported there.
            let literal = Ident::new(&self.node_aliases[i].to_string(), b.node_span());
            // The first of a shape reads its groups in windows (the shared fn's code).
            let reads = match share {
                Share::Lead(_) => self.ports_shape(i, edges).map(|(_, _, reads)| reads),
                Share::Own | Share::Of(_) => None,
            };
            let args = self.ports_args(i, edges, reads.as_deref());
            let wrap = self.value_wrap(i);
            let mark = match share {
                Share::Own => TokenStream::new(),
                Share::Lead(n) => {
                    let n = proc_macro2::Literal::usize_unsuffixed(n);
                    quote!(@lead #n)
                }
                Share::Of(n) => {
                    let n = proc_macro2::Literal::usize_unsuffixed(n);
                    quote!(@of #n)
                }
            };
            quote!(#literal [ #(#args)* ] #mark { #wrap })
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
            let fields = edges_into(edges, i).iter().map(|e| self.port_field(e));
            return quote::quote_spanned!(b.node_span()=> #literal { #(#fields)* });
        }
        let p = &self.p;
        let path = &b.node;
        let args = self.ports_args(i, edges, None);
        quote!(#path! { {#p} #literal [ #(#args)* ] })
    }

    /// `port shorthand { value }` for each edge into binding `i`: a call's arguments
    /// for its ports callback.
    /// With `reads` (a shared ports fn's, see [`PortsShapes`]), the `n`th port reads
    /// its group as `reads[n]` says.
    fn ports_args(
        &self,
        i: usize,
        edges: &[NumberedEdge<'_>],
        reads: Option<&[Option<AtRead>]>,
    ) -> Vec<TokenStream> {
        edges_into(edges, i)
            .iter()
            .enumerate()
            .map(|(n, e)| {
                let port = &e.edge.port;
                let read = reads.and_then(|r| r.get(n).copied().flatten());
                let value = self.port_value_at(e, read);
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
