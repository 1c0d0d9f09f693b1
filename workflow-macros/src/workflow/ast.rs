//! The `workflow!` AST: what [`parse`](super::parse) makes of a call, and what the later
//! phases read.
//!
//! A `match` or `if` is a [`Decision`]; the bindings inside its arms keep their place in
//! [`WorkflowDef::bindings`] and say which arm(s) they are in ([`Binding::scope`]).

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Member, Path, Type, Visibility};

pub(crate) struct WorkflowDef {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    pub(crate) inputs: Vec<InputDecl>,
    pub(crate) bindings: Vec<Binding>,
    /// The `match`/`if` decisions, in declaration order (an outer one before those in
    /// its arms).
    pub(crate) decisions: Vec<Decision>,
    pub(crate) brace_span: Span,
    /// The anonymous child workflow of a fan-out's body (`for x in xs { .. }`), which
    /// `workflow!` declares itself: hidden, and never called by name.
    pub(crate) hidden_body: bool,
    /// For a hidden body, where it is in the user's terms (``the `for` body of `thumbs`
    /// in durable workflow `Gallery` ``), for the messages that would otherwise name it.
    pub(crate) body_of: Option<BodyOf>,
    /// The names of the top-level bindings whose entry did not parse (`pages =
    /// map(render, titles)`): the fallback's output struct keeps a field for each, of an
    /// error type, so code reading it adds no error (see `expand::fallback`).
    pub(crate) broken: Vec<Ident>,
}

/// Where a hidden `for` body is, in the user's terms.
#[derive(Clone)]
pub(crate) struct BodyOf {
    /// ``the `for` body of `thumbs` in durable workflow `Gallery` ``.
    pub(crate) text: String,
    /// ``the `for` body of `thumbs` in workflow `Gallery` ``: where a graph error (a
    /// cycle) is, durable or not.
    pub(crate) place: String,
    /// `Gallery_thumbs`: the stem of the names rustc may print (its value bounds'
    /// module), instead of the hidden workflow's `__GalleryEachThumbs`.
    pub(crate) stem: String,
}

impl WorkflowDef {
    /// ``workflow `Etl` ``, or for a hidden `for` body ``the `for` body of `thumbs` in
    /// workflow `Gallery` `` (never the hidden workflow's own name).
    pub(crate) fn place(&self) -> String {
        self.body_of
            .as_ref()
            .map_or_else(|| format!("workflow `{}`", self.name), |b| b.place.clone())
    }
}

/// Where an entry is: the arms around it, outermost first (empty at the top level).
pub(crate) type Scope = Vec<ArmRef>;

/// Arm `arm` of decision `decision` (indices into [`WorkflowDef::decisions`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct ArmRef {
    pub(crate) decision: usize,
    pub(crate) arm: usize,
}

/// Whether two scopes can never both run: they lie in different arms of one decision.
pub(crate) fn exclusive(a: &[ArmRef], b: &[ArmRef]) -> bool {
    a.iter()
        .zip(b)
        .find(|(x, y)| x != y)
        .is_some_and(|(x, y)| x.decision == y.decision)
}

/// `match on { arms }` or `if on { .. } else { .. }` (a match on `bool`).
#[derive(Clone)]
pub(crate) struct Decision {
    /// `match` or `if`, spanned at the keyword.
    pub(crate) keyword: Ident,
    pub(crate) is_if: bool,
    /// What is matched: an input, a binding, or one of its fields.
    pub(crate) on: Source,
    pub(crate) arms: Vec<Arm>,
    /// The arms around the decision itself.
    pub(crate) scope: Scope,
}

#[derive(Clone)]
pub(crate) struct Arm {
    /// The pattern (`true`/`false` for an `if`).
    pub(crate) pat: syn::Pat,
    pub(crate) guard: Option<syn::Expr>,
    /// The names the pattern binds (for the arm's entries, and its guard).
    pub(crate) names: Vec<Ident>,
    /// The pattern (and guard) as written, for pictures, messages and fingerprints.
    pub(crate) label: String,
    /// The arm's braces (`=> { .. }`): where rustc suggests a missing arm.
    pub(crate) body_span: Span,
}

#[derive(Clone)]
pub(crate) struct InputDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) ty: Type,
}

#[derive(Clone)]
pub(crate) struct Binding {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    /// The node (or sub-workflow) it runs. For a fan-out, the ports struct `workflow!`
    /// declares for it (`__GalleryFan_thumbs`, see [`FanOut`]).
    pub(crate) node: Path,
    /// Its port connections. For a fan-out: the list it runs over, then each outer
    /// source its body uses (`for`), all named after their source.
    pub(crate) args: Vec<PortArg>,
    /// The arms it is in (empty at the top level).
    pub(crate) scope: Scope,
    /// `Some` for `for x in xs { .. } => t` and `map(Workflow, xs)`.
    pub(crate) fan_out: Option<FanOut>,
}

/// A fan-out binding: one child run per item of `items`, outputs in input order.
#[derive(Clone)]
pub(crate) struct FanOut {
    /// The list, a workflow input or a whole binding.
    pub(crate) items: Source,
    pub(crate) body: FanOutBody,
}

#[derive(Clone)]
pub(crate) enum FanOutBody {
    /// `for var in items { bindings } => result`: an anonymous child workflow whose
    /// inputs are `var` and the outer sources its bindings use.
    For {
        var: Ident,
        bindings: Vec<Binding>,
        /// The body's `match`/`if` decisions (its bindings in arms carry their scope).
        decisions: Vec<Decision>,
        result: Ident,
        brace_span: Span,
    },
    /// `map(workflow, items)`: a workflow with one input, run per item.
    Map { workflow: Path },
}

impl FanOut {
    /// `for url in urls` or `map(Render)`, for labels.
    pub(crate) fn label(&self) -> String {
        match &self.body {
            FanOutBody::For { var, .. } => format!("for {var} in {}", self.items.text()),
            FanOutBody::Map { workflow } => format!("map({})", path_text(workflow)),
        }
    }

    /// The outer sources a `for` body uses: each root that is neither the loop variable
    /// nor a body binding, and that `outer` (the enclosing workflow's names) declares,
    /// once, in order of use. Roots declared nowhere stay in the body, which reports them.
    pub(crate) fn captures(&self, outer: &[String]) -> Vec<Ident> {
        let FanOutBody::For {
            var,
            bindings,
            decisions,
            ..
        } = &self.body
        else {
            return Vec::new();
        };
        let local: Vec<String> = std::iter::once(var.to_string())
            .chain(bindings.iter().map(|b| b.name.to_string()))
            .collect();
        let mut out: Vec<Ident> = Vec::new();
        let roots = bindings
            .iter()
            .flat_map(Binding::source_roots)
            .chain(decisions.iter().map(|d| &d.on.root));
        for root in roots {
            let name = root.to_string();
            if !local.contains(&name) && outer.contains(&name) && !out.iter().any(|o| *o == name) {
                out.push(root.clone());
            }
        }
        out
    }
}

impl InputDecl {
    /// The span of the input's type (its first token on stable).
    pub(crate) fn ty_span(&self) -> Span {
        self.ty.span()
    }
}

impl Binding {
    /// The root of every source this binding uses, its body's too (nested fan-outs).
    fn source_roots(&self) -> Vec<&Ident> {
        let mut out: Vec<&Ident> = self.args.iter().map(|a| &a.source.root).collect();
        if let Some(FanOutBody::For { bindings, .. }) = self.fan_out.as_ref().map(|f| &f.body) {
            out.extend(bindings.iter().flat_map(Binding::source_roots));
        }
        out
    }

    /// Whether the node path has a ports callback to call: a `#[node]` fn or a workflow,
    /// not a fan-out's generated ports struct nor a name that would shadow a prelude macro.
    pub(crate) fn has_ports_callback(&self) -> bool {
        self.fan_out.is_none()
            && self
                .node
                .segments
                .last()
                .is_some_and(|s| crate::codegen::has_ports_callback(&s.ident))
    }

    /// The span of the node fn's name (the last segment of its path).
    pub(crate) fn node_span(&self) -> Span {
        self.node
            .segments
            .last()
            .map_or_else(|| self.node.span(), |s| s.ident.span())
    }
}

/// The prefix of the port name a port written by its position is kept under
/// (`double(0: n)`), for the ports callback to report (see `expand/ports.rs`).
pub(crate) const POSITIONAL_PORT: &str = "__position_";

#[derive(Clone)]
pub(crate) struct PortArg {
    pub(crate) port: Ident,
    pub(crate) source: Source,
}

#[derive(Clone)]
pub(crate) struct Source {
    pub(crate) root: Ident,
    pub(crate) fields: Vec<Member>,
    /// The `?` of `name?`: the value as an `Option`, for a binding of some arms only.
    pub(crate) optional: Option<Span>,
}

impl Source {
    pub(crate) fn span(&self) -> Span {
        let mut span = self.root.span();
        if let Some(last) = self.fields.last() {
            span = span.join(last.span()).unwrap_or(span);
        }
        span
    }

    /// `page.items` as written.
    pub(crate) fn text(&self) -> String {
        let mut s = self.root.to_string();
        for f in &self.fields {
            s.push('.');
            match f {
                Member::Named(i) => s.push_str(&i.to_string()),
                Member::Unnamed(i) => s.push_str(&i.index.to_string()),
            }
        }
        s
    }
}

impl WorkflowDef {
    /// Whether `name` is declared at the top level, as an input or a binding (not a
    /// `match` arm's pattern binding, nor a fan-out body's).
    pub(crate) fn declares<N: ?Sized>(&self, name: &N) -> bool
    where
        Ident: PartialEq<N>,
    {
        self.inputs.iter().any(|i| i.name == *name) || self.bindings.iter().any(|b| b.name == *name)
    }
}

/// A path as written, `a::b::C` (its generic arguments left out).
pub(crate) fn path_text(path: &Path) -> String {
    let mut s = String::new();
    if path.leading_colon.is_some() {
        s.push_str("::");
    }
    let segs: Vec<_> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    s.push_str(&segs.join("::"));
    s
}

/// Tokens as text, closer to how Rust is written than `TokenStream::to_string`.
pub(crate) fn tokens_text(tokens: &TokenStream) -> String {
    let text = tokens.to_string();
    let mut out = text
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" (", "(")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
        .replace(" .", ".")
        .replace(". ", ".")
        .replace("& ", "&");
    if out.starts_with(":: ") {
        out = out.replacen(":: ", "::", 1);
    }
    out
}

/// Whether `pat` is, or has among its alternatives, a string literal (`"eu"`,
/// `"eu" | "uk"`).
pub(crate) fn has_str_literal(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Lit(lit) => matches!(lit.lit, syn::Lit::Str(_)),
        syn::Pat::Or(or) => or.cases.iter().any(has_str_literal),
        syn::Pat::Paren(inner) => has_str_literal(&inner.pat),
        _ => false,
    }
}
