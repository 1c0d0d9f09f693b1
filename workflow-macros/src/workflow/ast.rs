//! The `workflow!` grammar.
//!
//! ```text
//! workflow  := attr* vis "struct" Ident "{" (entry ","?)* "}"
//! entry     := attr* ( "input" Ident ":" Type | Ident "=" Path "(" (arg ","?)* ")" )
//! arg       := Ident ":" source | source          // shorthand: port name == source name
//! source    := Ident ("." (Ident | Index))*
//! ```
//!
//! Each entry is parsed on its own: a syntax error in one is recorded in the [`Ctxt`] and
//! the others are still parsed (and declared by the fallback expansion).

use proc_macro2::{Spacing, Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{braced, parenthesized, Attribute, Ident, Member, Path, Token, Type, Visibility};

use crate::internals::Ctxt;

mod kw {
    syn::custom_keyword!(input);
}

pub(crate) struct WorkflowDef {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    pub(crate) inputs: Vec<InputDecl>,
    pub(crate) bindings: Vec<Binding>,
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

impl WorkflowDef {
    /// Parses the body of `workflow! { .. }`. `Err` when the header (`struct Name { .. }`)
    /// does not parse; a bad entry is recorded in `cx` and left out.
    pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> syn::Result<Self> {
        syn::parse::Parser::parse2(
            |input: ParseStream<'_>| Self::parse_stream(cx, input),
            tokens,
        )
    }

    fn parse_stream(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<Self> {
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
        // Each entry is parsed on its own, so one syntax error does not hide the others
        // (nor the valid entries, which the fallback expansion still declares).
        let body: TokenStream = content.parse()?;
        let mut inputs = Vec::new();
        let mut bindings = Vec::new();
        for (entry, comma) in split_entries(body) {
            if entry.is_empty() {
                cx.syn_error(syn::Error::new(
                    comma.unwrap_or(brace.span.close()),
                    "expected an entry before this `,`: an input `input name: Type` or a node binding `name = node_fn(port: source)`",
                ));
                continue;
            }
            let parsed =
                syn::parse::Parser::parse2(|input: ParseStream<'_>| parse_entry(input), entry);
            match parsed {
                Ok(Entry::Input(i)) => inputs.push(i),
                Ok(Entry::Binding(b)) => bindings.push(b),
                Err(e) => cx.syn_error(e),
            }
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

enum Entry {
    Input(InputDecl),
    Binding(Binding),
}

/// One entry: `attr* input name: Type` or `attr* name = node_fn(..)`.
fn parse_entry(input: ParseStream<'_>) -> syn::Result<Entry> {
    let attrs = input.call(Attribute::parse_outer)?;
    let entry = if input.peek(kw::input) && input.peek2(Ident::peek_any) {
        input.parse::<kw::input>()?;
        let name: Ident = input.call(Ident::parse_any)?;
        let colon = input.parse::<Token![:]>().map_err(|e| {
            syn::Error::new(
                here(input, &e, name.span()),
                format!(
                    "expected `:` and a type after input `{name}`, like `input {name}: String`"
                ),
            )
        })?;
        let ty: Type = input.parse().map_err(|e| {
            syn::Error::new(
                here(input, &e, colon.span),
                format!("expected the type of input `{name}`, like `input {name}: String`"),
            )
        })?;
        Entry::Input(InputDecl { attrs, name, ty })
    } else {
        Entry::Binding(parse_binding(input, attrs)?)
    };
    if !input.is_empty() {
        return Err(input.error("expected `,` between workflow entries"));
    }
    Ok(entry)
}

/// Splits the body of the workflow struct at its top-level commas; commas inside
/// `<..>` (as in `input m: HashMap<K, V>`) do not split. Each entry comes with the
/// comma that ends it, if any.
fn split_entries(body: TokenStream) -> Vec<(TokenStream, Option<Span>)> {
    let mut entries = Vec::new();
    let mut current = TokenStream::new();
    let mut angle_depth = 0usize;
    let mut after_dash = false;
    for tt in body {
        if let TokenTree::Punct(p) = &tt {
            match p.as_char() {
                ',' if angle_depth == 0 => {
                    entries.push((std::mem::take(&mut current), Some(p.span())));
                    after_dash = false;
                    continue;
                }
                '<' => angle_depth += 1,
                // `->` in a fn type is no closing bracket.
                '>' if !after_dash => angle_depth = angle_depth.saturating_sub(1),
                _ => {}
            }
            after_dash = p.as_char() == '-' && p.spacing() == Spacing::Joint;
        } else {
            after_dash = false;
        }
        current.extend([tt]);
    }
    if !current.is_empty() {
        entries.push((current, None));
    }
    entries
}

/// Where to report a missing token: at the next token, or, at the end of the entry, on
/// the last token read (syn would point at the whole macro call).
fn here(input: ParseStream<'_>, e: &syn::Error, last: Span) -> Span {
    if input.is_empty() {
        last
    } else {
        e.span()
    }
}

fn parse_binding(input: ParseStream<'_>, attrs: Vec<Attribute>) -> syn::Result<Binding> {
    let after_attrs = attrs.last().map_or_else(Span::call_site, |a| a.span());
    let name: Ident = input.call(Ident::parse_any).map_err(|e| {
        syn::Error::new(
            here(input, &e, after_attrs),
            "expected a node binding `name = node_fn(port: source, ..)` or an input `input name: Type`",
        )
    })?;
    let eq = input.parse::<Token![=]>().map_err(|e| {
        syn::Error::new(
            here(input, &e, name.span()),
            format!("expected `=` after `{name}`: bind a node like `{name} = node_fn(port: source)`, or declare an input like `input {name}: Type`"),
        )
    })?;
    let node: Path = input.call(Path::parse_mod_style).map_err(|e| {
        syn::Error::new(
            here(input, &e, eq.span),
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

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn entries_split_at_top_level_commas_only() {
        let body = quote! {
            input m: HashMap<String, Vec<(u8, u8)>>,
            input f: fn(u8, u8) -> Option<u8>,
            a = g(x: m, y: f),
            b = h(a)
        };
        let entries: Vec<String> = split_entries(body)
            .into_iter()
            .map(|(e, _)| e.to_string())
            .collect();
        assert_eq!(
            entries,
            [
                "input m : HashMap < String , Vec < (u8 , u8) >>",
                "input f : fn (u8 , u8) -> Option < u8 >",
                "a = g (x : m , y : f)",
                "b = h (a)",
            ]
        );
    }

    #[test]
    fn every_bad_entry_is_reported_and_good_ones_kept() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote! {
                struct W { input u: u8, a = f(x = u), , b = g(u), c = h u, input v }
            },
        )
        .expect("the header parses");
        let messages = cx.messages();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].starts_with("connect a port with `:`"));
        assert!(messages[1].starts_with("expected an entry before this `,`"));
        assert!(messages[2].starts_with("expected `(..)` after `h`"));
        assert!(messages[3].starts_with("expected `:` and a type after input `v`"));
        assert_eq!(def.inputs.len(), 1);
        assert_eq!(def.bindings.len(), 1);
        assert_eq!(def.bindings[0].name, "b");
    }

    #[test]
    fn shorthand_names_the_port_after_the_last_field() {
        let arg: PortArg = syn::parse2(quote!(page.body.words)).expect("parses");
        assert_eq!(arg.port, "words");
        assert_eq!(arg.source.text(), "page.body.words");
        let arg: PortArg = syn::parse2(quote!(n: pair.0)).expect("parses");
        assert_eq!(
            (arg.port.to_string(), arg.source.text()),
            ("n".into(), "pair.0".into())
        );
        let err = syn::parse2::<PortArg>(quote!(pair.0))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("name the port for `pair.0`: write `port: pair.0`")
        );
    }
}
