//! Decisions (`match` and `if` in `workflow!`): the router of each, its pattern
//! binding slots, and the checks of merges.
//!
//! Input:
//! ```text
//! t = triage(order),
//! match t { Triage::Small(o) => { receipt = pay_now(order: o), } Triage::Rejected(r) => { receipt = refuse(r), } }
//! ```
//! Output (in the state, the value enum, the cell table and the plan):
//! ```text
//! __pat0_0_o: Slot<<__CheckoutNode_receipt as PortType<key("order")>>::Ty>,   // pattern_slots
//! __forced0: Option<usize>,                         // a resumed run's recorded arm
//! enum __WorkflowValue { .., __route0(usize) }      // the router's output: the arm taken
//! 2 => route(2, op, || {                            // router_arm: the user's own `match`
//!     let __value = state.t.take();
//!     let __arm = match state.__forced0.take() {
//!         None => match __value { Triage::Small(o) => { state.__pat0_0_o.put(o); 0 } .. },
//!         Some(a) => match __value { Triage::Small(o) if a == 0 => { ..; 0 } .., _ => return Err(..) },
//!     };
//!     Ok(__WorkflowValue::__route0(__arm))
//! }),
//! decisions: &[Decision { router: 2, arms: &[&[1], &[..]] }]   // decisions_plan
//! ```
//! The first `match` is the user's, with the user's patterns and guards, and no arm
//! added: rustc checks it for exhaustiveness (E0004 at the user's `match`). The second
//! takes a recorded arm whatever the guards say now.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use super::{pattern_slot, WorkflowGen};
use crate::workflow::ast::{has_str_literal, ArmRef};
use crate::workflow::resolve::Origin;

impl WorkflowGen<'_> {
    /// `(slot, type, readers)` of every pattern binding some port reads. The slot's type
    /// is the type of the first port it feeds.
    pub(super) fn pattern_slots(&self) -> Vec<(Ident, TokenStream, u32)> {
        let p = &self.p;
        let mut out: Vec<(Ident, TokenStream, u32)> = Vec::new();
        for (i, links) in self.g.nodes.iter().enumerate().take(self.g.bindings) {
            for edge in &links.edges {
                let Origin::Pattern(arm, k) = edge.from else {
                    continue;
                };
                let slot = pattern_slot(self.def, arm, k);
                if out.iter().any(|(s, _, _)| *s == slot) {
                    continue;
                }
                let alias = &self.node_aliases[i];
                let key =
                    crate::codegen::port_key(&syn::ext::IdentExt::unraw(&edge.port).to_string());
                let ty = quote_spanned!(edge.source.span()=> <#alias as #p::PortType<#key>>::Ty);
                let readers = self
                    .g
                    .pattern_consumers
                    .get(&(arm, k))
                    .copied()
                    .unwrap_or(1);
                out.push((slot, ty, readers));
            }
        }
        out
    }

    /// For the slot of pattern binding `k` of `arm`: the edge check of the first port it
    /// feeds (the port that gives the slot its type), as `module::port`, spanned at the
    /// port's source. The matched value passes it on its way into the slot, so a pattern
    /// binding of another type is one error naming that edge, at the pattern.
    fn pattern_slot_check(&self, arm: ArmRef, k: usize) -> Option<TokenStream> {
        for (i, links) in self.g.nodes.iter().enumerate().take(self.g.bindings) {
            for edge in &links.edges {
                if edge.from != Origin::Pattern(arm, k) {
                    continue;
                }
                let span = edge.source.span();
                let module = self.edge_module(i, span);
                let mut port = edge.port.clone();
                port.set_span(span);
                return Some(quote!(#module::#port));
            }
        }
        None
    }

    /// `__forced<d>`: the state's field holding decision `d`'s recorded arm.
    pub(super) fn forced_field(d: usize) -> Ident {
        format_ident!("__forced{}", d)
    }

    /// `__route<d>`: the value variant of decision `d`'s router.
    pub(super) fn route_variant(d: usize) -> Ident {
        format_ident!("__route{}", d)
    }

    /// The report name of decision `d`'s router: `match_t` (or `if_ok`), made unique
    /// among the workflow's names by its index when needed.
    pub(super) fn router_name(&self, d: usize) -> String {
        let decision = &self.def.decisions[d];
        let base = format!("{}_{}", decision.keyword, decision.on.root);
        let taken = |name: &str| {
            self.def.declares(name)
                || self.def.decisions[..d]
                    .iter()
                    .any(|e| format!("{}_{}", e.keyword, e.on.root) == name)
        };
        if taken(&base) {
            format!("{base}_{d}")
        } else {
            base
        }
    }

    /// The nodes inside arm `arm` (bindings and nested routers), by node index.
    pub(super) fn arm_nodes(&self, arm: ArmRef) -> Vec<usize> {
        let inside = |scope: &[ArmRef]| scope.contains(&arm);
        let bindings =
            (0..self.def.bindings.len()).filter(|&i| inside(&self.def.bindings[i].scope));
        let routers = (0..self.def.decisions.len())
            .filter(|&d| inside(&self.def.decisions[d].scope))
            .map(|d| self.router(d));
        bindings.chain(routers).collect()
    }

    /// `decisions: &[Decision { router, arms }, ..]` of the plan.
    pub(super) fn decisions_plan(&self) -> TokenStream {
        let p = &self.p;
        let decisions = self.def.decisions.iter().enumerate().map(|(d, decision)| {
            let router = self.router(d);
            let arms = (0..decision.arms.len()).map(|arm| {
                let nodes = self.arm_nodes(ArmRef { decision: d, arm });
                quote!(&[#(#nodes),*])
            });
            quote!(#p::Decision { router: #router, arms: &[#(#arms),*] })
        });
        quote!(&[#(#decisions),*])
    }

    /// The cell-table arm of decision `d`'s router.
    /// A durable workflow's cell table calls the route fn `NodeByNode` calls (`remote.rs`)
    /// rather than holding a copy of the user's `match`: one copy, so a variant missing
    /// from it is one error (rustc showed one but counted both). A durable `for` body has
    /// no `NodeByNode` (and so no route fn): its cell table holds the one copy.
    pub(super) fn router_arm(&self, d: usize) -> TokenStream {
        let p = &self.p;
        let index = self.router(d);
        if self.w.attrs.options.durable && !self.def.hidden_body {
            let route = super::remote::route_fn(d);
            return quote!(#index => #p::route(#index, op, || #route(state)),);
        }
        let body = self.router_body(d);
        quote!(#index => #p::route(#index, op, || #body),)
    }

    /// The block that evaluates decision `d`'s router on `state` (the user's `match`, or
    /// the recorded arm in `state.__forced<d>`) into `Result<__WorkflowValue, String>`:
    /// the cell table's, and `NodeByNode`'s (`remote.rs`).
    pub(super) fn router_body(&self, d: usize) -> TokenStream {
        let p = &self.p;
        let decision = &self.def.decisions[d];
        let index = self.router(d);
        let forced = Self::forced_field(d);
        let variant = Self::route_variant(d);
        let value = match self.g.nodes[index].edges.first() {
            Some(edge) => self.router_value(index, edge),
            // Unresolved (reported): never expanded in full.
            None => quote!(::core::unreachable!()),
        };
        let puts = |arm: usize| -> TokenStream {
            let names = &decision.arms[arm].names;
            let slots = self.pattern_slots();
            let puts = names.iter().enumerate().filter_map(|(k, name)| {
                let arm_ref = ArmRef { decision: d, arm };
                let slot = pattern_slot(self.def, arm_ref, k);
                if !slots.iter().any(|(s, _, _)| *s == slot) {
                    return None;
                }
                let value = match self.pattern_slot_check(arm_ref, k) {
                    Some(check) => {
                        let check = crate::codegen::respan(check, name.span());
                        quote_spanned!(name.span()=> #check::__from_source(#name))
                    }
                    None => quote!(#name),
                };
                Some(quote_spanned!(name.span()=> state.#slot.put(#value);))
            });
            quote!(#(#puts)*)
        };
        let user_arms = decision.arms.iter().enumerate().map(|(a, arm)| {
            let pat = &arm.pat;
            let guard = arm.guard.as_ref().map(|g| quote!(if #g));
            let puts = puts(a);
            quote_spanned!(arm.body_span=> #pat #guard => { #puts #a })
        });
        let recorded = Ident::new("__recorded", Span::mixed_site());
        let recorded_arms = decision.arms.iter().enumerate().map(|(a, arm)| {
            let pat = &arm.pat;
            let puts = puts(a);
            quote!(#pat if #recorded == #a => { #puts #a })
        });
        let what = format!("{} {}", decision.keyword, decision.on.text());
        let arm_var = Ident::new("__arm", Span::mixed_site());
        // At the user's `match t`, so that rustc's own errors about the match (a variant
        // not covered, E0004) point there.
        let on_span = decision.on.span();
        let value_var = Ident::new("__value", Span::mixed_site().located_at(on_span));
        let match_kw = syn::Token![match](decision.keyword.span());
        // An `if` checks its value is a `bool` first: a value of another type is one
        // error in the DSL's terms, rather than a mismatch at each arm.
        // A `match` whose first pattern names its type (`Triage::Small(o)`) passes its
        // value through `MatchOn`, whose output type the patterns infer: a value of
        // another type is one error, at the value.
        let typed_by_pattern = decision.arms.first().is_some_and(|arm| {
            matches!(
                arm.pat,
                syn::Pat::TupleStruct(_) | syn::Pat::Struct(_) | syn::Pat::Path(_)
            )
        });
        // A `match` whose arms are string literals (`"eu" => { .. }`) and bind nothing
        // routes on its value as a `&str`, so that a `String` matches them as it would
        // with `.as_str()` in plain Rust (no arm binds a `&str` borrowed from the value).
        let by_str = !decision.is_if
            && decision.arms.iter().any(|arm| has_str_literal(&arm.pat))
            && decision.arms.iter().all(|arm| arm.names.is_empty());
        let p_on = crate::codegen::respan(p.clone(), on_span);
        let value = if decision.is_if {
            quote_spanned!(on_span=> #p_on::IfCondition::__condition(#value))
        } else if typed_by_pattern {
            quote_spanned!(on_span=> #p_on::MatchOn::__matched(#value))
        } else {
            value
        };
        let value = if by_str {
            let source = Ident::new("__source", Span::mixed_site().located_at(on_span));
            quote_spanned! {on_span=>
                let #source = #p_on::MatchStr::__into_string(#value);
                let #value_var = #source.as_str();
            }
        } else {
            quote!(let #value_var = #value;)
        };
        quote! {
            {
                #value
                let #arm_var: usize = match state.#forced.take() {
                    #p::Option::None => #match_kw #value_var {
                        #(#user_arms)*
                    },
                    #p::Option::Some(#recorded) => {
                        #[allow(unused_variables, unreachable_patterns)]
                        let #arm_var = match #value_var {
                            #(#recorded_arms)*
                            _ => return #p::Result::Err(::std::format!(
                                "the recorded arm {} of `{}` does not match the value being routed",
                                #recorded, #what,
                            )),
                        };
                        #arm_var
                    }
                };
                #p::Result::Ok(__WorkflowValue::#variant(#arm_var))
            }
        }
    }

    /// `chosen_arm`: the arm in a router's value.
    pub(super) fn chosen_arm_fn(&self) -> TokenStream {
        if self.def.decisions.is_empty() {
            return TokenStream::new();
        }
        let p = &self.p;
        let arms = (0..self.def.decisions.len()).map(|d| {
            let variant = Self::route_variant(d);
            quote!(__WorkflowValue::#variant(arm) => #p::Option::Some(*arm),)
        });
        quote! {
            #[allow(unreachable_patterns)]
            fn chosen_arm(value: &Self::Value) -> #p::Option<usize> {
                match value {
                    #(#arms)*
                    _ => #p::Option::None,
                }
            }
        }
    }

    /// The trait that checks a merge's later definition `i` outputs the type of the
    /// first one, with an error naming both arms (in binding `i`'s edge module).
    pub(super) fn merge_trait(&self, i: usize) -> TokenStream {
        let owner = self.owner(i);
        let b = &self.def.bindings[i];
        let arm_text = |j: usize| {
            self.def.bindings[j]
                .scope
                .last()
                .map_or_else(String::new, |r| {
                    let d = &self.def.decisions[r.decision];
                    format!(
                        "arm `{}` of `{} {}`",
                        d.arms[r.arm].label,
                        d.keyword,
                        d.on.text()
                    )
                })
        };
        let message = format!(
            "`{}` is `{{S}}` in {}, but `{{Self}}` in {}",
            b.name,
            arm_text(i),
            arm_text(owner)
        );
        let note = format!(
            "a binding defined in every arm is one value after the `{}`: every arm must bind it to the same type (or give the bindings different names)",
            self.def.bindings[i].scope.last().map_or("match", |r| if self.def.decisions[r.decision].is_if { "if" } else { "match" })
        );
        let span = b.name.span();
        quote_spanned! {span=>
            #[diagnostic::on_unimplemented(message = #message, label = "this is `{S}`", note = #note)]
            #[doc(hidden)]
            pub(super) trait merge<S> {
                fn __from_arm(value: S) -> Self;
            }
            impl<T> merge<T> for T {
                #[inline]
                fn __from_arm(value: T) -> T {
                    value
                }
            }
        }
    }

    /// `wrap` of binding `i`'s node: its output into the value enum, under its merge's
    /// variant (checked to be the same type) for a later definition.
    pub(super) fn value_wrap(&self, i: usize) -> TokenStream {
        let owner = self.owner(i);
        let variant = &self.def.bindings[owner].name;
        if owner == i {
            // A group's fn, with the node's index in its group (a merge is never in one).
            return self
                .group_wrap_of(i)
                .unwrap_or_else(|| quote!(__WorkflowValue::#variant));
        }
        let span = self.def.bindings[i].name.span();
        let module = self.edge_module(i, span);
        quote_spanned!(span=> |v| __WorkflowValue::#variant(#module::merge::__from_arm(v)))
    }
}
