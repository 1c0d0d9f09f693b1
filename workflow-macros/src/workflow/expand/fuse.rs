//! Fused segments (issue 17): linear runs of plain nodes, each the only input of the
//! next, compiled into one `async fn` each that awaits them in sequence, beside the
//! ordinary cell table (see `workflow-core/src/executor/fused.rs`). The driver runs a
//! segment fused only when the run wants nothing per node beyond the report; otherwise
//! its nodes run one by one through the table, so both paths are generated and rustc
//! checks every edge in each.
//!
//! Which nodes form a segment is decided here from the graph ([`segments`], plain Rust
//! over [`Link`]s); what the macro cannot see (a node's own `#[node(..)]` policy, a
//! `&Context` or `Res<T>` parameter, a sub-workflow) is a constant of the generated
//! `Workflow::FUSED` (`FusedSegment::plain`), folded by rustc.
//!
//! Per segment: a cell in the run's future, an arm of the cell table and a
//! `FusedSegment` record; per shape of segment (its nodes and their ports), an `async fn`
//! with one call per node, shared by the segments of that shape. A segment holds at most
//! [`MAX_SEGMENT`] nodes, which bounds the size of one function for rustc; a longer
//! chain is cut evenly, so that its pieces are of one or two shapes. A chain of calls of
//! one node fn, each fed the same way (`n{i} = inc(x: n{i-1})`), is one segment of any
//! length whose fn returns a `Looped` future, which calls the node in a loop
//! ([`WorkflowGen::loops`]).

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens as _};
use syn::{Ident, Member};

use super::edges::{edges_into, NumberedEdge};
use super::WorkflowGen;
use crate::workflow::resolve::Origin;

/// Most nodes in one segment: a longer chain is cut into segments of this length.
pub(super) const MAX_SEGMENT: usize = 64;

/// What segment detection reads of one binding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Link {
    /// It may be in a segment: a top-level binding (not in an arm, not a merge's
    /// definition), not a fan-out, without a binding policy (`#[retry]`, `#[timeout]`,
    /// `#[spawn]`, `#[ephemeral]`).
    pub(super) plain: bool,
    /// The node whose whole output feeds its one port, when that is its only input
    /// and its only predecessor.
    pub(super) only_input: Option<usize>,
    /// Its output has exactly one reader and is not one of the workflow's outputs.
    pub(super) one_reader: bool,
}

/// The segments of a graph described by `links` (one per binding): maximal runs
/// `n0 → n1 → …` of plain nodes where each node but the first has the previous one as
/// its only input, and each but the last has the next one as its only reader; each
/// cut into runs of at most `max(run)` nodes, as even as can be (a run of 100 is two
/// of 50, not 64 and 36: segments of one shape share their code, see
/// [`WorkflowGen::fused_run`]); runs of one node dropped. Sorted by first node.
pub(super) fn segments(links: &[Link], max: impl Fn(&[usize]) -> usize) -> Vec<Vec<usize>> {
    let n = links.len();
    let mut next: Vec<Option<usize>> = vec![None; n];
    let mut has_prev = vec![false; n];
    for (b, link) in links.iter().enumerate() {
        let Some(a) = link.only_input else {
            continue;
        };
        if a < n && a != b && link.plain && links[a].plain && links[a].one_reader {
            next[a] = Some(b);
            has_prev[b] = true;
        }
    }
    let mut out = Vec::new();
    for first in 0..n {
        if has_prev[first] || next[first].is_none() {
            continue;
        }
        let mut run = vec![first];
        let mut at = first;
        while let Some(b) = next[at] {
            run.push(b);
            at = b;
        }
        out.extend(even_chunks(&run, max(&run).max(2)).filter(|c| c.len() >= 2));
    }
    out.sort_by_key(|s| s[0]);
    out
}

/// `run` cut into the fewest chunks of at most `max`, their lengths differing by at most
/// one (the longer ones first).
fn even_chunks(run: &[usize], max: usize) -> impl Iterator<Item = Vec<usize>> + '_ {
    let count = run.len().div_ceil(max).max(1);
    let (short, longer) = (run.len() / count, run.len() % count);
    let mut rest = run;
    (0..count).map(move |c| {
        let (chunk, after) = rest.split_at(short + usize::from(c < longer));
        rest = after;
        chunk.to_vec()
    })
}

/// What `run` gains for the segments: the `async fn` of each shape (items in `run`'s body),
/// the run's [`Progress`] and a cell per segment (in the run's future), and the cell
/// table's arm for `Op::Fused`.
pub(super) struct FusedRun {
    pub(super) fns: TokenStream,
    pub(super) cells: TokenStream,
    pub(super) arm: TokenStream,
}

impl WorkflowGen<'_> {
    /// Each binding's [`Link`].
    fn fuse_links(&self) -> Vec<Link> {
        (0..self.def.bindings.len())
            .map(|i| {
                let b = &self.def.bindings[i];
                let attrs = &self.w.bindings[i];
                let node = &self.g.nodes[i];
                let plain = b.scope.is_empty()
                    && b.fan_out.is_none()
                    && self.owner(i) == i
                    && attrs.policy.timeout.is_none()
                    && attrs.policy.retry.is_none()
                    && attrs.policy.spawn.is_none()
                    && attrs.ephemeral.is_none();
                let only_input = match node.edges.as_slice() {
                    [e] if e.source.optional.is_none() => match e.from {
                        Origin::Node(j) if e.producers == [j] && node.deps == [j] => Some(j),
                        _ => None,
                    },
                    _ => None,
                };
                Link {
                    plain,
                    only_input,
                    one_reader: node.consumers == 1 && !node.is_output,
                }
            })
            .collect()
    }

    /// The workflow's segments (none for a fan-out's body, whose runs are child runs,
    /// never fused).
    pub(super) fn fused_segments(&self) -> Vec<Vec<usize>> {
        if self.def.hidden_body {
            return Vec::new();
        }
        // A run that one loop runs (see `loops`) is one segment, whatever its length:
        // its code does not grow with it.
        segments(&self.fuse_links(), |run| {
            if self.loops(run) {
                usize::MAX
            } else {
                MAX_SEGMENT
            }
        })
    }

    /// Whether segment `seg` runs as one loop: its nodes are all calls of one node fn,
    /// and each after the first is fed by the previous one through the same port and
    /// fields (a chain `n{i} = inc(x: n{i-1})`). Its fn then calls the node once, in
    /// `Looped`'s loop over the segment's length (see [`segment_fn`](Self::segment_fn)): a
    /// few hundred bytes of machine code for a chain of any length, where a call per
    /// node took ~200 bytes a node (issue 17: what a cold run fetches).
    fn loops(&self, seg: &[usize]) -> bool {
        let path = |i: usize| self.def.bindings[i].node.to_token_stream().to_string();
        let head = path(seg[0]);
        seg.len() >= 2
            && seg.iter().all(|&i| path(i) == head)
            && seg[1..]
                .iter()
                .all(|&i| self.feed(i).is_some() && self.feed(i) == self.feed(seg[1]))
    }

    /// How binding `i` of a segment is fed by the previous one: its one edge's port and
    /// fields, as text.
    fn feed(&self, i: usize) -> Option<String> {
        let e = self.g.nodes[i].edges.first()?;
        let fields = &e.source.fields;
        Some(format!("{} {}", e.port, quote!(#(.#fields)*)))
    }

    /// `const FUSED` of `impl Workflow` (nothing without segments: the default, empty).
    pub(super) fn fused_const(&self, segments: &[Vec<usize>]) -> TokenStream {
        if segments.is_empty() {
            return TokenStream::new();
        }
        let p = &self.p;
        let records = segments.iter().map(|seg| {
            let nodes = seg.iter().map(|&i| i as u32);
            let nodes = quote!(&[#(#nodes),*]);
            let aliases = seg.iter().map(|&i| &self.node_aliases[i]);
            quote! {
                #p::FusedSegment {
                    nodes: #nodes,
                    plain: #( !<#aliases as #p::Node>::CONTEXT && )*
                        #p::FusedSegment::plain_in(<Self as #p::Workflow>::PLAN, #nodes),
                }
            }
        });
        quote! {
            const FUSED: &'static [#p::FusedSegment] = &[#(#records),*];
        }
    }

    /// The segments' parts of `run` (see [`FusedRun`]). `tables` and `rank` locate
    /// each node's record (its ports fn) in its type's table, `type_of` its type;
    /// `at_tables` the type's group indices, which its ports fns take (see
    /// `run.rs`, `PortsShapes`).
    pub(super) fn fused_run(
        &self,
        segments: &[Vec<usize>],
        type_of: &[u32],
        rank: &[u32],
        tables: &[Ident],
        at_tables: &[Option<Ident>],
        edges: &[NumberedEdge<'_>],
    ) -> FusedRun {
        if segments.is_empty() {
            return FusedRun {
                fns: TokenStream::new(),
                cells: TokenStream::new(),
                arm: TokenStream::new(),
            };
        }
        let p = &self.p;
        let progress = format_ident!("__workflow_progress");
        // Segments of one shape (the same nodes, fed through the same ports and fields)
        // share one `async fn`, so one copy of its code: 16 segments of 64 different
        // nodes are not 16 functions (each ~13 KB of machine code, which a cold run
        // fetched and rustc compiled one by one, issue 17); a chain of 1,000 `inc`s is
        // one segment, and a loop. Each segment's edges are still checked in the cell
        // table.
        let mut shapes: Vec<String> = Vec::new();
        let mut shape_of = Vec::with_capacity(segments.len());
        let mut fns = Vec::new();
        for seg in segments {
            let shape = self.segment_shape(seg);
            let g = match shapes.iter().position(|s| *s == shape) {
                Some(g) => g,
                None => {
                    let name = format_ident!("__workflow_fused{}", shapes.len());
                    fns.push(self.segment_fn(seg, &name, edges));
                    shapes.push(shape);
                    shapes.len() - 1
                }
            };
            shape_of.push(format_ident!("__workflow_fused{}", g));
        }
        let cells: Vec<Ident> = (0..segments.len())
            .map(|s| format_ident!("__workflow_fused_cell{}", s))
            .collect();
        let arms = segments.iter().enumerate().map(|(s, seg)| {
            let head = seg[0];
            let table = &tables[type_of[head] as usize];
            let r = rank[head] as usize;
            let at = at_tables[type_of[head] as usize]
                .as_ref()
                .map(|at_table| quote!(, #at_table[#r]));
            let (cell, name) = (&cells[s], &shape_of[s]);
            let wrap = self.value_wrap(seg[seg.len() - 1]);
            quote! {
                #head => #p::fused_op(
                    #cell.as_mut(),
                    op,
                    #progress,
                    <Self as #p::Workflow>::FUSED[#s].nodes,
                    &mut || #name(
                        #progress,
                        (#table[#r].0)(state #at),
                        <Self as #p::Workflow>::FUSED[#s].nodes,
                    ),
                    #wrap,
                ),
            }
        });
        FusedRun {
            fns: quote!(#(#fns)*),
            cells: quote! {
                let #progress = &#p::FusedProgress::new();
                #( let mut #cells = #p::pin!(#p::Option::None); )*
            },
            arm: quote! {
                #p::Op::Fused(op) => match node {
                    #(#arms)*
                    _ => #p::Poll::Pending,
                },
            },
        }
    }

    /// What makes two segments one shape, so that one `async fn` runs both: each
    /// node's path (its type), and how the previous output feeds it (port, fields).
    /// A segment that [`loops`](Self::loops) is of one shape with every other of the
    /// same node fn and feed, whatever their lengths.
    fn segment_shape(&self, seg: &[usize]) -> String {
        let path = |i: usize| self.def.bindings[i].node.to_token_stream().to_string();
        if self.loops(seg) {
            return format!(
                "loop {} [{}]",
                path(seg[0]),
                self.feed(seg[1]).unwrap_or_default()
            );
        }
        let mut shape = String::new();
        for &i in seg {
            shape.push_str(&path(i));
            if let Some(feed) = self.feed(i) {
                shape.push_str(&format!(" [{feed}]"));
            }
            shape.push(';');
        }
        shape
    }

    /// The `async fn` of one shape of segment (see [`segment_shape`](Self::segment_shape)),
    /// written from its first segment `seg`: the first node's ports in, the last node's
    /// output out (the caller makes it the workflow's value); each node called as in
    /// its cell (`Node::call`), its output straight into the next node's ports, and the
    /// progress written before each node after the first. `nodes`: the segment's
    /// nodes, each one's context names.
    ///
    /// A segment that [`loops`](Self::loops) is a plain fn returning a `Looped` future
    /// (`executor/fused.rs`): its first node's future, and a closure that makes the
    /// node at a position from the previous output, written like the segment's second
    /// node; `Looped` runs it over the segment's length (`nodes`).
    fn segment_fn(&self, seg: &[usize], name: &Ident, edges: &[NumberedEdge<'_>]) -> TokenStream {
        let p = &self.p;
        let value = format_ident!("__workflow_value");
        let progress = format_ident!("__workflow_progress");
        let first = &self.node_aliases[seg[0]];
        if self.loops(seg) {
            // The loop is `Looped`'s (`executor/fused.rs`): its position stays in a
            // register while nodes end at once. `next` makes the node at position `k`
            // from the previous one's output, written like the segment's second node.
            let next = &self.node_aliases[seg[1]];
            let ports = self.fused_ports(seg[1], &value, edges);
            return quote! {
                #[allow(non_snake_case, clippy::all)]
                fn #name<'__workflow_p>(
                    #progress: &'__workflow_p #p::FusedProgress,
                    __workflow_ports: #first,
                    __workflow_nodes: &'static [u32],
                ) -> impl #p::Future<Output = #p::NodeResult<#p::Output<#first>>> + '__workflow_p {
                    #p::Looped::new(
                        <#first as #p::Node>::call(
                            __workflow_ports,
                            #p::fused_context(__workflow_nodes, 0),
                        ),
                        move |#value: #p::Output<#first>, __workflow_k: usize| {
                            <#next as #p::Node>::call(
                                #ports,
                                #p::fused_context(__workflow_nodes, __workflow_k),
                            )
                        },
                        #progress,
                        __workflow_nodes,
                    )
                }
            };
        }
        let calls = seg.iter().enumerate().map(|(k, &i)| {
            let alias = &self.node_aliases[i];
            let ports = if k == 0 {
                quote!(__workflow_ports)
            } else {
                self.fused_ports(i, &value, edges)
            };
            let note = (k > 0).then(|| {
                let k = k as u32;
                quote!(#progress.at(#k);)
            });
            quote! {
                #note
                let #value = <#alias as #p::Node>::call(
                    #ports,
                    #p::fused_context(__workflow_nodes, #k),
                ).await?;
            }
        });
        let last = &self.node_aliases[seg[seg.len() - 1]];
        quote! {
            #[allow(non_snake_case, clippy::all)]
            async fn #name(
                #progress: &#p::FusedProgress,
                __workflow_ports: #first,
                __workflow_nodes: &'static [u32],
            ) -> #p::NodeResult<#p::Output<#last>> {
                #(#calls)*
                ::core::result::Result::Ok(#value)
            }
        }
    }

    /// The ports of binding `i` of a segment, its one port fed by `value` (the previous
    /// node's output), checked through the edge's trait like the table's ports.
    fn fused_ports(&self, i: usize, value: &Ident, edges: &[NumberedEdge<'_>]) -> TokenStream {
        let b = &self.def.bindings[i];
        let literal = Ident::new(&self.node_aliases[i].to_string(), b.node_span());
        let Some(e) = edges_into(edges, i).first() else {
            return quote!(#literal {});
        };
        // Spanned at the edge's source, like the table's slot read: a mistake on this
        // edge is then the same error at the same place in both copies, which rustc
        // reports once.
        let span = e.edge.source.span();
        let value = Ident::new(&value.to_string(), span);
        let projection = e.edge.source.fields.iter().map(|m| match m {
            Member::Named(id) => quote_spanned!(span=> .#id),
            Member::Unnamed(ix) => quote_spanned!(span=> .#ix),
        });
        let checked = self.checked_port_value(e, quote_spanned!(span=> #value #(#projection)*));
        let port = &e.edge.port;
        if !b.has_ports_callback() {
            return quote_spanned!(b.node_span()=> #literal { #port: #checked, });
        }
        let path = &b.node;
        let p = &self.p;
        let last = match e.edge.source.fields.last() {
            Some(Member::Named(id)) => Some(id),
            Some(Member::Unnamed(_)) => None,
            None => Some(&e.edge.source.root),
        };
        let shorthand = last.is_some_and(|l| l == port);
        quote!(#path! { {#p} #literal [ #port #shorthand { #checked } ] })
    }
}

#[cfg(test)]
mod tests {
    use super::{segments, Link};

    fn plain(only_input: Option<usize>, one_reader: bool) -> Link {
        Link {
            plain: true,
            only_input,
            one_reader,
        }
    }

    /// A chain of `n` plain nodes, the last an output.
    fn chain(n: usize) -> Vec<Link> {
        (0..n).map(|i| plain(i.checked_sub(1), i + 1 < n)).collect()
    }

    #[test]
    fn a_chain_is_one_segment() {
        assert_eq!(segments(&chain(4), |_| 64), vec![vec![0, 1, 2, 3]]);
    }

    #[test]
    fn a_long_chain_is_cut_evenly_and_a_single_leftover_dropped() {
        assert_eq!(segments(&chain(5), |_| 2), vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(
            segments(&chain(7), |_| 3),
            vec![vec![0, 1, 2], vec![3, 4], vec![5, 6]]
        );
        // 100 nodes are two segments of 50 (one shape), not 64 and 36.
        let lengths =
            |n, max| -> Vec<usize> { segments(&chain(n), |_| max).iter().map(Vec::len).collect() };
        assert_eq!(lengths(100, 64), [50, 50]);
        assert_eq!(lengths(1000, 64), [[63; 8], [62; 8]].concat());
        assert_eq!(lengths(64, 64), [64]);
        assert_eq!(lengths(65, 64), [33, 32]);
    }

    #[test]
    fn a_run_allowed_any_length_is_one_segment() {
        // (A chain that one loop runs: `WorkflowGen::loops`.)
        let uncut = |run: &[usize]| if run.len() > 500 { usize::MAX } else { 64 };
        assert_eq!(
            segments(&chain(1000), uncut),
            vec![(0..1000).collect::<Vec<_>>()]
        );
        assert_eq!(segments(&chain(100), uncut).len(), 2);
    }

    #[test]
    fn a_node_with_a_policy_breaks_the_chain() {
        let mut links = chain(5);
        links[2].plain = false;
        assert_eq!(segments(&links, |_| 64), vec![vec![0, 1], vec![3, 4]]);
    }

    #[test]
    fn a_value_with_two_readers_ends_a_segment() {
        // 0 → 1 → 2, and 1 also feeds 3 (so 2 and 3 are not fused with 1).
        let links = vec![
            plain(None, true),
            plain(Some(0), false),
            plain(Some(1), true),
            plain(Some(1), true),
        ];
        assert_eq!(segments(&links, |_| 64), vec![vec![0, 1]]);
    }

    #[test]
    fn a_node_with_other_inputs_starts_a_new_segment() {
        // 2 reads 1 and something else (no `only_input`); 2 → 3 is a segment.
        let links = vec![
            plain(None, true),
            plain(Some(0), true),
            plain(None, true),
            plain(Some(2), false),
        ];
        assert_eq!(segments(&links, |_| 64), vec![vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn segments_follow_the_graph_not_the_declaration_order() {
        // Declared 2, 0, 1 in run order: 2 → 0 → 1.
        let links = vec![
            plain(Some(2), true),
            plain(Some(0), false),
            plain(None, true),
        ];
        assert_eq!(segments(&links, |_| 64), vec![vec![2, 0, 1]]);
    }

    #[test]
    fn a_cycle_is_no_segment() {
        let links = vec![plain(Some(1), true), plain(Some(0), true)];
        assert!(segments(&links, |_| 64).is_empty());
    }
}
