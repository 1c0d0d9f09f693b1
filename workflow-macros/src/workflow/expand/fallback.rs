//! What `workflow!` emits next to its errors: the same user-facing items as a valid
//! workflow (aliases, the workflow struct, its input and output structs with their
//! `Debug` impls, each name declared once), and a stub `Workflow` impl, so that code
//! using them adds no errors of its own (and IDEs keep completing).
//!
//! Input: a workflow that failed a check. Output:
//! ```text
//! type __EtlInput_url = String; type __EtlNode_sum = total;  // as in `expand`
//! pub struct Etl; pub struct EtlInput { pub url: String } pub struct EtlOutput { pub sum: Output<total> }
//! const _: () = {
//!     impl Debug for EtlInput { .. } impl Debug for EtlOutput { .. }
//!     impl Workflow for Etl { type State = (); type Value = (); const PLAN = &Plan { nodes: &[], .. }; .. unreachable bodies }
//!     impl Node for EtlInput { .. }   // as in `expand`: `Etl(url)` in another workflow stays a node
//! };
//! ```

use proc_macro2::TokenStream;
use quote::quote;

use super::WorkflowGen;
use crate::workflow::graph::Workflow;

/// The items of a workflow that did not pass its checks.
pub(crate) fn fallback(w: &Workflow<'_>) -> TokenStream {
    let gen = WorkflowGen::new(w);
    let stub_impl = gen.stub_workflow_impl();
    // A workflow declared durable stays durable next to its errors, so that
    // `rt.start_durable(Etl, ..)` does not add "`Etl` is not a durable workflow".
    let durable_stub = w.attrs.options.durable.then(|| gen.stub_durable_impl());
    let fan_out_stubs = gen.fan_out_node_impls(true);
    // The workflow stays a node (`sub = Inner(s)`, `map(Inner, xs)`), so that a workflow
    // using it adds no "`InnerInput` is not a workflow node" at each use; its call is
    // never run.
    let node_impl = (!w.def.hidden_body).then(|| gen.node_impl());
    let map_input_impl = (!w.def.hidden_body).then(|| gen.map_input_impl());
    gen.with_user_items(quote!(#stub_impl #durable_stub #fan_out_stubs #node_impl #map_input_impl))
}

impl WorkflowGen<'_> {
    /// `impl Workflow` with an empty plan and bodies that are never run.
    fn stub_workflow_impl(&self) -> TokenStream {
        let p = &self.p;
        let (name, name_str) = (self.name, &self.name_str);
        let (input_name, output_name) = (&self.input_name, &self.output_name);
        quote! {
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
                    deps: &[],
                    names: &[],
                    next: &[],
                    policy: #p::WorkflowPolicy::DEFAULT,
                    decisions: &[],
                    fan_outs: &[],
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
        }
    }

    /// `impl DurableWorkflow` with bodies that are never run.
    fn stub_durable_impl(&self) -> TokenStream {
        let p = &self.p;
        let (name, output_name) = (self.name, &self.output_name);
        let unreachable = quote!(::core::unreachable!("this workflow did not compile"));
        quote! {
            impl #p::DurableWorkflow for #name {
                const FINGERPRINT: &'static str = "";
                const EPHEMERAL: &'static [bool] = &[];
                const NODE_VERSIONS: &'static [u32] = &[];
                fn output_type(_: usize) -> &'static str { "" }
                fn encode_input(_: &Self::Input) -> #p::Result<#p::Vec<u8>, #p::StoreError> { #unreachable }
                fn decode_input(_: &[u8], _: #p::RunId) -> #p::Result<Self::Input, #p::StoreError> { #unreachable }
                fn encode_value(_: &Self::Value, _: #p::RunId) -> #p::Result<#p::Vec<u8>, #p::StoreError> { #unreachable }
                fn decode_value(_: usize, _: &[u8], _: #p::RunId) -> #p::Result<Self::Value, #p::StoreError> { #unreachable }
                fn encode_output(_: &Self::Output, _: #p::RunId) -> #p::Result<#p::Vec<u8>, #p::StoreError> { #unreachable }
                fn decode_output(_: &[u8], _: #p::RunId) -> #p::Result<Self::Output, #p::StoreError> { #unreachable }
            }
            // Serde, as in `expand`: a durable workflow using this one (`sub = Inner(..)`,
            // `map(Inner, ..)`) then adds no "`InnerOutput` cannot be recorded".
            #[automatically_derived]
            impl #p::Serialize for #output_name {
                fn serialize<__S: #p::Serializer>(&self, _: __S) -> #p::Result<__S::Ok, __S::Error> { #unreachable }
            }
            #[automatically_derived]
            impl<'de> #p::Deserialize<'de> for #output_name {
                fn deserialize<__D: #p::Deserializer<'de>>(_: __D) -> #p::Result<Self, __D::Error> { #unreachable }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    /// The fallback items of a workflow that fails its checks, as text.
    fn fallback_of(src: proc_macro2::TokenStream) -> String {
        let out = crate::workflow::expand(src).to_string();
        assert!(out.contains("compile_error"), "expected errors: {out}");
        out
    }

    #[test]
    fn the_user_facing_items_stay_complete() {
        let out = fallback_of(quote! {
            pub struct Etl { input url: String, page = fetch(url), sum = total(items: nothing) }
        });
        for item in [
            "pub struct Etl ;",
            "pub struct EtlInput { # [doc = \"Workflow input `url`.\"] pub url : __EtlInput_url , }",
            "pub sum : :: workflow_core :: __private :: Output < __EtlNode_sum >",
            "impl :: core :: fmt :: Debug for EtlInput",
            "impl :: core :: fmt :: Debug for EtlOutput",
            "impl :: workflow_core :: __private :: Workflow for Etl",
        ] {
            assert!(out.contains(item), "missing `{item}` in {out}");
        }
    }

    #[test]
    fn a_name_declared_twice_is_declared_once() {
        let out = fallback_of(quote! {
            struct W { input u: u8, input u: u16, u = f(u), a = g(x: u), a = h(x: u) }
        });
        assert_eq!(out.matches("type __WInput_u =").count(), 1, "{out}");
        assert!(!out.contains("type __WNode_u"), "{out}");
        assert_eq!(out.matches("type __WNode_a =").count(), 1, "{out}");
        assert_eq!(out.matches("pub a :").count(), 1, "{out}");
    }

    #[test]
    fn a_binding_that_did_not_parse_keeps_an_error_typed_output_field() {
        let out = fallback_of(quote! {
            struct W { input xs: Vec<u8>, #[output] a = f(x: xs), pages = map(g, xs), a == h(xs) }
        });
        // The errors sit in the const that types the field.
        assert!(out.contains("const __wf_errors_W : usize = {"), "{out}");
        assert!(
            out.contains("pub pages : < () as :: workflow_core :: __private :: Checked < :: workflow_core :: __private :: SendChecked < __wf_errors_W"),
            "{out}"
        );
        // `a == h(..)` is not a binding of `a`, which parsed: one field `a`.
        assert_eq!(out.matches("pub a :").count(), 1, "{out}");
        // A keyword or `_` names no field.
        let out = fallback_of(
            quote! { struct W { input x: u8, a = f(x), type = map(g, x), _ = map(g, x) } },
        );
        assert!(!out.contains("pub type"), "{out}");
        assert!(!out.contains("pub _"), "{out}");
    }

    #[test]
    fn non_doc_input_attributes_are_not_copied() {
        let out = fallback_of(quote! { struct W { #[serde(skip)] input u: u8, a = f(u) } });
        assert!(out.contains("inputs take only doc comments"), "{out}");
        assert!(!out.contains("# [serde"), "{out}");
    }
}
