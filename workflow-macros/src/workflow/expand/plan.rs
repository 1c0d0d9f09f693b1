//! The static plan: one `NodeSpec` per binding (name, node fn, successors, policy,
//! resources), each node's dependency count, and the workflow's policy.

use proc_macro2::TokenStream;
use quote::quote;

use super::WorkflowGen;
use crate::codegen::optional_duration;

impl WorkflowGen<'_> {
    /// `Plan { name, nodes: &[NodeSpec, ..], policy: WorkflowPolicy { .. } }`.
    pub(super) fn plan(&self) -> TokenStream {
        let p = &self.p;
        let name_str = &self.name_str;
        let specs = (0..self.def.bindings.len())
            .map(|i| self.node_spec(i))
            .chain((0..self.def.decisions.len()).map(|d| self.router_spec(d)));
        // The names of each spec again, packed (`Plan::names`).
        let names = (0..self.def.bindings.len())
            .map(|i| self.node_names(i))
            .chain((0..self.def.decisions.len()).map(|d| self.router_names(d)))
            .map(|(name, node_fn)| quote!(#p::NodeNames { name: #name, node_fn: #node_fn }));
        let deps = (0..self.def.bindings.len())
            .map(|i| &self.g.nodes[i])
            .chain((0..self.def.decisions.len()).map(|d| &self.g.nodes[self.router(d)]))
            .map(|links| links.deps.len() as u32);
        let next = self.packed_successors();
        let policy = self.workflow_policy();
        let decisions = self.decisions_plan();
        let fan_outs = self.fan_out_plans();
        quote! {
            #p::Plan {
                name: #name_str,
                nodes: &[#(#specs),*],
                deps: &[#(#deps),*],
                names: &[#(#names),*],
                next: &[#(#next),*],
                policy: #policy,
                decisions: #decisions,
                fan_outs: #fan_outs,
            }
        }
    }

    /// `Plan::next`: where each node's successors begin (one entry a node and one
    /// more), then every node's successors, in the order of the plan's nodes (bindings,
    /// then routers). Empty for a plan without nodes.
    fn packed_successors(&self) -> Vec<u32> {
        let successors: Vec<&[usize]> = (0..self.def.bindings.len())
            .map(|i| &self.g.nodes[i])
            .chain((0..self.def.decisions.len()).map(|d| &self.g.nodes[self.router(d)]))
            .map(|links| links.successors.as_slice())
            .collect();
        packed(&successors)
    }

    /// The `NodeSpec` of binding `i`; its policy is the node's own with the binding's
    /// attributes applied.
    fn node_spec(&self, i: usize) -> TokenStream {
        let p = &self.p;
        let path = &self.node_aliases[i];
        let (name, node_fn) = self.node_names(i);
        let links = &self.g.nodes[i];
        let successors = &links.successors;
        let policy = crate::codegen::policy(
            &self.w.bindings[i].policy,
            quote!(<#path as #p::Node>::POLICY),
            p,
            &quote!(<#path as #p::Node>::Error),
        );
        quote! {
            #p::NodeSpec {
                name: #name,
                node_fn: #node_fn,
                successors: &[#(#successors),*],
                policy: &#policy,
                resources: <#path as #p::Node>::RESOURCES,
                child: <#path as #p::Node>::CHILD,
            }
        }
    }

    /// The names of binding `i` (`NodeSpec::name`, `node_fn`), as expressions.
    fn node_names(&self, i: usize) -> (TokenStream, TokenStream) {
        let (p, path) = (&self.p, &self.node_aliases[i]);
        let name = self.def.bindings[i].name.to_string();
        (quote!(#name), quote!(<#path as #p::Node>::NAME))
    }

    /// The names of decision `d`'s router (`match_t`, `match`), as expressions.
    fn router_names(&self, d: usize) -> (TokenStream, TokenStream) {
        let name = self.router_name(d);
        let node_fn = self.def.decisions[d].keyword.to_string();
        (quote!(#name), quote!(#node_fn))
    }

    /// The `NodeSpec` of decision `d`'s router: a node named `match_t` (or `if_ok`)
    /// with the default policy and no resources.
    fn router_spec(&self, d: usize) -> TokenStream {
        let p = &self.p;
        let (name, node_fn) = self.router_names(d);
        let links = &self.g.nodes[self.router(d)];
        let successors = &links.successors;
        quote! {
            #p::NodeSpec {
                name: #name,
                node_fn: #node_fn,
                successors: &[#(#successors),*],
                policy: &#p::NodePolicy::DEFAULT,
                resources: &[],
                child: #p::Option::None,
            }
        }
    }

    /// A `#[retry(..)]` on a binding whose node cannot fail and has no timeout (its own
    /// or the binding's) never runs: one compile-time error, at `retry`. Checked by a
    /// const, as only the node's `Node` impl knows whether it can fail.
    pub(super) fn dead_retry_checks(&self) -> TokenStream {
        let p = &self.p;
        (0..self.def.bindings.len())
            .filter_map(|i| {
                let policy = &self.w.bindings[i].policy;
                let retry = policy.retry.as_ref().filter(|_| policy.timeout.is_none())?;
                let path = &self.node_aliases[i];
                let b = &self.def.bindings[i];
                let msg = format!(
                    "`#[retry(..)]` on `{}` never runs: `{}` cannot fail (it does not return a `Result`) and has no timeout; remove `#[retry(..)]`, or add `#[timeout = \"..\"]`",
                    b.name,
                    crate::workflow::ast::path_text(&b.node)
                );
                let p_at = crate::codegen::respan(p.clone(), retry.span);
                Some(quote::quote_spanned! {retry.span=>
                    const _: () = if !<#path as #p_at::Node>::FALLIBLE
                        && <#path as #p_at::Node>::POLICY.timeout.is_none()
                    {
                        ::core::panic!(#msg)
                    };
                })
            })
            .collect()
    }

    /// A binding's `#[timeout]` against its node's own `retry(total_timeout)`, and its
    /// `#[retry(total_timeout)]` against its node's own `timeout`: a per-attempt limit
    /// not shorter than the limit on all attempts could never fire. The binding's options
    /// replace the node's one by one (`timeout`, `retry(..)` as a whole), so a binding
    /// giving one of them meets the node's other, which only the node's `POLICY` knows:
    /// a compile-time assertion at the binding's value. (Both on the binding, or both on
    /// the node: `PolicyArgs::check` says so while parsing.)
    pub(super) fn timeout_total_checks(&self) -> TokenStream {
        let p = &self.p;
        (0..self.def.bindings.len())
            .filter_map(|i| {
                let policy = &self.w.bindings[i].policy;
                let path = &self.node_aliases[i];
                let b = &self.def.bindings[i];
                let node = crate::workflow::ast::path_text(&b.node);
                let (span, check, msg) = match (&policy.timeout, &policy.retry) {
                    (Some(timeout), None) => {
                        let n = timeout.value;
                        let p_at = crate::codegen::respan(p.clone(), timeout.span);
                        (
                            timeout.span,
                            quote::quote_spanned! {timeout.span=>
                                <#path as #p_at::Node>::POLICY
                                    .total_timeout_at_most(#p_at::Duration::from_nanos(#n))
                            },
                            format!(
                                "this `timeout` on `{}` is not shorter than the `retry(total_timeout = ..)` of `{node}`'s `#[node(..)]`, which limits all attempts together, so it could never fire; make this `timeout` (each attempt's limit) shorter than that `total_timeout`, or give `{}` a `#[retry(..)]` of its own",
                                b.name, b.name
                            ),
                        )
                    }
                    (None, Some(retry)) => {
                        let (n, span) = (retry.total_timeout?, retry.total_timeout_span?);
                        let p_at = crate::codegen::respan(p.clone(), span);
                        (
                            span,
                            quote::quote_spanned! {span=>
                                <#path as #p_at::Node>::POLICY
                                    .timeout_at_least(#p_at::Duration::from_nanos(#n))
                            },
                            format!(
                                "this `total_timeout` on `{}` is not longer than the `timeout` of `{node}`'s `#[node(..)]` (each attempt's limit), so it ends the first attempt before that `timeout` could fire and no retry ever starts; make `total_timeout` longer than that `timeout`, or give `{}` a shorter `#[timeout = \"..\"]` of its own",
                                b.name, b.name
                            ),
                        )
                    }
                    _ => return None,
                };
                Some(quote::quote_spanned! {span=>
                    const _: () = if #check {
                        ::core::panic!(#msg)
                    };
                })
            })
            .collect()
    }

    /// `WorkflowPolicy { timeout, deadlock, concurrency, failure }` from `#[workflow(..)]`.
    fn workflow_policy(&self) -> TokenStream {
        let p = &self.p;
        let options = &self.w.attrs.options;
        let timeout = optional_duration(p, options.timeout);
        let deadlock = optional_duration(p, options.deadlock);
        let concurrency = match options.concurrency {
            Some(n) => {
                let n = n as usize;
                quote!(#p::Option::Some(#n))
            }
            None => quote!(#p::Option::None),
        };
        let failure = if options.continue_on_failure {
            quote!(#p::FailurePolicy::Continue)
        } else {
            quote!(#p::FailurePolicy::FailFast)
        };
        quote! {
            #p::WorkflowPolicy {
                timeout: #timeout,
                deadlock: #deadlock,
                concurrency: #concurrency,
                failure: #failure,
            }
        }
    }
}

/// The packed table of `Plan::next` for nodes with these successors.
fn packed(successors: &[&[usize]]) -> Vec<u32> {
    if successors.is_empty() {
        return Vec::new();
    }
    let mut next = Vec::with_capacity(successors.len() + 1);
    let mut at = successors.len() + 1;
    next.push(at as u32);
    for s in successors {
        at += s.len();
        next.push(at as u32);
    }
    next.extend(successors.iter().flat_map(|s| s.iter().map(|&s| s as u32)));
    next
}

#[cfg(test)]
mod tests {
    use super::packed;

    #[test]
    fn packed_successors_begin_after_one_entry_a_node_and_one_more() {
        assert_eq!(packed(&[&[1, 2], &[2], &[]]), [4, 6, 7, 7, 1, 2, 2]);
        assert_eq!(packed(&[&[]]), [2, 2]);
        assert!(packed(&[]).is_empty());
    }
}
