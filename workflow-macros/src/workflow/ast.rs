//! The `workflow!` grammar.
//!
//! ```text
//! workflow  := attr* vis "struct" Ident "{" (entry ","?)* "}"
//! entry     := attr* ( "input" Ident ":" Type | Ident "=" Path "(" (arg ","?)* ")" )
//! arg       := Ident ":" source | source          // shorthand: port name == source name
//! source    := Ident ("." (Ident | Index))*
//! ```

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{braced, parenthesized, Attribute, Ident, Member, Path, Token, Type, Visibility};

mod kw {
    syn::custom_keyword!(input);
}

pub(crate) struct WorkflowDef {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    pub(crate) inputs: Vec<InputDecl>,
    pub(crate) bindings: Vec<Binding>,
    /// Declaration order of all entries, for name checks: (name, is_input).
    pub(crate) brace_span: Span,
}

pub(crate) struct InputDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) ty: Type,
}

pub(crate) struct Binding {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) node: Path,
    pub(crate) args: Vec<PortArg>,
}

impl InputDecl {
    /// The span of the input's type (its first token on stable).
    pub(crate) fn ty_span(&self) -> Span {
        self.ty.span()
    }
}

impl Binding {
    /// The span of the node fn's name (the last segment of its path).
    pub(crate) fn node_span(&self) -> Span {
        self.node
            .segments
            .last()
            .map_or_else(|| self.node.span(), |s| s.ident.span())
    }
}

pub(crate) struct PortArg {
    pub(crate) port: Ident,
    pub(crate) source: Source,
}

#[derive(Clone)]
pub(crate) struct Source {
    pub(crate) root: Ident,
    pub(crate) fields: Vec<Member>,
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

impl Parse for WorkflowDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let lookahead = input.lookahead1();
        if !lookahead.peek(Token![struct]) {
            return Err(syn::Error::new(
                input.span(),
                "expected `struct Name { .. }`: a workflow is declared like `workflow! { pub struct Etl { input url: String, page = fetch(url) } }`",
            ));
        }
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        let content;
        let brace = braced!(content in input);
        let mut inputs = Vec::new();
        let mut bindings = Vec::new();
        while !content.is_empty() {
            let entry_attrs = content.call(Attribute::parse_outer)?;
            if content.peek(kw::input) && content.peek2(Ident::peek_any) {
                content.parse::<kw::input>()?;
                let name: Ident = content.call(Ident::parse_any)?;
                content.parse::<Token![:]>().map_err(|e| {
                    syn::Error::new(e.span(), format!("expected `:` and a type after input `{name}`, like `input {name}: String`"))
                })?;
                let ty: Type = content.parse()?;
                inputs.push(InputDecl {
                    attrs: entry_attrs,
                    name,
                    ty,
                });
            } else {
                bindings.push(parse_binding(&content, entry_attrs)?);
            }
            if content.is_empty() {
                break;
            }
            content
                .parse::<Token![,]>()
                .map_err(|e| syn::Error::new(e.span(), "expected `,` between workflow entries"))?;
        }
        if !input.is_empty() {
            return Err(input.error(
                "unexpected tokens after the workflow struct; declare one workflow per `workflow!`",
            ));
        }
        Ok(Self {
            attrs,
            vis,
            name,
            inputs,
            bindings,
            brace_span: brace.span.join(),
        })
    }
}

fn parse_binding(input: ParseStream<'_>, attrs: Vec<Attribute>) -> syn::Result<Binding> {
    let name: Ident = input.call(Ident::parse_any).map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected a node binding `name = node_fn(port: source, ..)` or an input `input name: Type`",
        )
    })?;
    input.parse::<Token![=]>().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("expected `=` after `{name}`: bind a node like `{name} = node_fn(port: source)`, or declare an input like `input {name}: Type`"),
        )
    })?;
    let node: Path = input.call(Path::parse_mod_style).map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("expected the `#[node]` fn that `{name}` runs, like `{name} = fetch(url)`"),
        )
    })?;
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(
            node.span(),
            format!("expected `(..)` after `{}`: list its inputs, like `{}(port: source)` (or `()` for none)", path_text(&node), path_text(&node)),
        ));
    }
    let content;
    parenthesized!(content in input);
    let args = Punctuated::<PortArg, Token![,]>::parse_terminated(&content)?;
    Ok(Binding {
        attrs,
        name,
        node,
        args: args.into_iter().collect(),
    })
}

pub(crate) fn path_text(path: &Path) -> String {
    let mut s = String::new();
    if path.leading_colon.is_some() {
        s.push_str("::");
    }
    let segs: Vec<_> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    s.push_str(&segs.join("::"));
    s
}

impl Parse for PortArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let first: Ident = input.call(Ident::parse_any).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a port connection `port: source` or a source named like the port",
            )
        })?;
        if input.peek(Token![=]) {
            let eq: Token![=] = input.parse()?;
            return Err(syn::Error::new(
                eq.span,
                format!("connect a port with `:`, like `{first}: source`"),
            ));
        }
        if input.peek(Token![:]) && !input.peek(Token![::]) {
            input.parse::<Token![:]>()?;
            let source = parse_source(input)?;
            Ok(Self {
                port: first,
                source,
            })
        } else {
            let mut source = Source {
                root: first.clone(),
                fields: Vec::new(),
            };
            parse_fields(input, &mut source)?;
            // Shorthand `page.items` connects port `items`.
            let port = match source.fields.last() {
                Some(Member::Named(last)) => last.clone(),
                Some(Member::Unnamed(_)) => {
                    return Err(syn::Error::new(
                        source.span(),
                        format!(
                            "name the port for `{}`: write `port: {}`",
                            source.text(),
                            source.text()
                        ),
                    ))
                }
                None => first,
            };
            Ok(Self { port, source })
        }
    }
}

fn parse_source(input: ParseStream<'_>) -> syn::Result<Source> {
    let root: Ident = input.call(Ident::parse_any).map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected a source: an input, a node binding, or `binding.field`",
        )
    })?;
    let mut source = Source {
        root,
        fields: Vec::new(),
    };
    parse_fields(input, &mut source)?;
    Ok(source)
}

fn parse_fields(input: ParseStream<'_>, source: &mut Source) -> syn::Result<()> {
    while input.peek(Token![.]) {
        input.parse::<Token![.]>()?;
        source.fields.push(input.parse::<Member>()?);
    }
    Ok(())
}
