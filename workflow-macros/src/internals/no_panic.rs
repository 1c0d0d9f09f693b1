//! The macros never panic: each one's parse, check and expand phases are fed the macro
//! calls of the UI cases, mutated at random (tokens deleted, duplicated, swapped,
//! inserted, a stream cut short, at any depth), and must return tokens (an error or an
//! expansion) every time. `workflow!`'s output must also parse as items.

use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Which macro a seed is a call of.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Macro {
    Node,
    Workflow,
    WorkflowTest,
}

/// One macro call found in a UI case: the attribute's arguments (empty for
/// `workflow!`) and the item or body.
#[derive(Clone, Debug)]
struct Seed {
    which: Macro,
    args: TokenStream,
    item: TokenStream,
}

/// The `.rs` files under the UI case directories (both the old and the new location).
fn ui_cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    let mut dirs: Vec<PathBuf> = vec![root.join("tests/tests/ui"), root.join("tests/ui")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Every `workflow! { .. }`, `#[node(..)] item` and `#[workflow_test(..)] item` of `tokens`.
fn seeds_in(tokens: TokenStream, out: &mut Vec<Seed>) {
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < tts.len() {
        match (&tts[i], tts.get(i + 1), tts.get(i + 2)) {
            (TokenTree::Ident(id), Some(TokenTree::Punct(bang)), Some(TokenTree::Group(g)))
                if id == "workflow" && bang.as_char() == '!' =>
            {
                out.push(Seed {
                    which: Macro::Workflow,
                    args: TokenStream::new(),
                    item: g.stream(),
                });
                i += 3;
                continue;
            }
            (TokenTree::Punct(hash), Some(TokenTree::Group(attr)), _)
                if hash.as_char() == '#' && attr.delimiter() == Delimiter::Bracket =>
            {
                let mut inner = attr.stream().into_iter();
                let which = match inner.next() {
                    Some(TokenTree::Ident(id)) if id == "node" => Some(Macro::Node),
                    Some(TokenTree::Ident(id)) if id == "workflow_test" => {
                        Some(Macro::WorkflowTest)
                    }
                    _ => None,
                };
                if let Some(which) = which {
                    let args = match inner.next() {
                        Some(TokenTree::Group(g)) => g.stream(),
                        _ => TokenStream::new(),
                    };
                    // The item runs up to its body, the next top-level `{ .. }`.
                    let mut item = TokenStream::new();
                    let mut j = i + 2;
                    while j < tts.len() {
                        item.extend([tts[j].clone()]);
                        j += 1;
                        if matches!(&tts[j - 1], TokenTree::Group(g) if g.delimiter() == Delimiter::Brace)
                        {
                            break;
                        }
                    }
                    out.push(Seed { which, args, item });
                    i = j;
                    continue;
                }
            }
            (TokenTree::Group(g), _, _) => seeds_in(g.stream(), out),
            _ => {}
        }
        i += 1;
    }
}

fn seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for file in ui_cases() {
        let text = std::fs::read_to_string(&file).expect("readable UI case");
        if let Ok(tokens) = text.parse::<TokenStream>() {
            seeds_in(tokens, &mut seeds);
        }
    }
    seeds
}

/// One mutation, applied at the `depth`-th group on the way down (or the top level).
#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Truncate(usize),
    Insert(usize, usize),
}

/// Tokens users write by mistake or that sit at grammar edges.
fn pool(k: usize) -> TokenTree {
    let s = Span::call_site();
    match k % 16 {
        0 => Punct::new(',', Spacing::Alone).into(),
        1 => Punct::new(';', Spacing::Alone).into(),
        2 => Punct::new(':', Spacing::Alone).into(),
        3 => Punct::new('=', Spacing::Alone).into(),
        4 => Punct::new('.', Spacing::Alone).into(),
        5 => Punct::new('&', Spacing::Alone).into(),
        6 => Punct::new('#', Spacing::Alone).into(),
        7 => Punct::new('<', Spacing::Alone).into(),
        8 => Punct::new('>', Spacing::Alone).into(),
        9 => Ident::new("input", s).into(),
        10 => Ident::new("await", s).into(),
        11 => Ident::new("retry", s).into(),
        12 => Literal::u32_unsuffixed(3).into(),
        13 => Literal::string("1s").into(),
        14 => Group::new(Delimiter::Parenthesis, TokenStream::new()).into(),
        _ => Group::new(Delimiter::Bracket, "output".parse().expect("lexes")).into(),
    }
}

fn mutate(tokens: TokenStream, m: &Mutation, depth: usize) -> TokenStream {
    let mut tts: Vec<TokenTree> = tokens.into_iter().collect();
    if tts.is_empty() {
        return TokenStream::new();
    }
    let n = tts.len();
    if depth > 0 {
        // Go down into a group, if there is one.
        let groups: Vec<usize> = (0..n)
            .filter(|&i| matches!(tts[i], TokenTree::Group(_)))
            .collect();
        if !groups.is_empty() {
            let gi = groups[depth % groups.len()];
            if let TokenTree::Group(g) = &tts[gi] {
                let inner = mutate(g.stream(), m, depth / 2);
                let mut new = Group::new(g.delimiter(), inner);
                new.set_span(g.span());
                tts[gi] = new.into();
            }
            return tts.into_iter().collect();
        }
    }
    match *m {
        Mutation::Delete(i) => {
            tts.remove(i % n);
        }
        Mutation::Duplicate(i) => {
            let t = tts[i % n].clone();
            tts.insert(i % n, t);
        }
        Mutation::Swap(i, j) => tts.swap(i % n, j % n),
        Mutation::Truncate(i) => tts.truncate(i % n),
        Mutation::Insert(i, k) => tts.insert(i % (n + 1), pool(k)),
    }
    tts.into_iter().collect()
}

fn mutation() -> impl Strategy<Value = (Mutation, usize, bool)> {
    let m = prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Mutation::Swap(i, j)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<usize>()).prop_map(|(i, k)| Mutation::Insert(i, k)),
    ];
    // depth 0..8, and whether the mutation hits the args instead of the item.
    (m, 0usize..8, any::<bool>())
}

/// Runs the macro of `seed`; a panic fails the property.
fn run(seed: &Seed) {
    match seed.which {
        Macro::Workflow => {
            let out = crate::workflow::expand(seed.item.clone());
            // Errors and fallback items are items too.
            if let Err(e) = syn::parse2::<syn::File>(out.clone()) {
                let out = out.to_string();
                let end = out.char_indices().nth(600).map_or(out.len(), |(i, _)| i);
                panic!(
                    "workflow! emitted tokens that are not items ({e}): {}",
                    &out[..end]
                );
            }
        }
        Macro::Node => {
            crate::node::expand(seed.args.clone(), seed.item.clone());
        }
        Macro::WorkflowTest => {
            crate::workflow_test::expand(seed.args.clone(), seed.item.clone());
        }
    }
}

#[test]
fn the_ui_cases_are_found_for_every_macro() {
    let seeds = seeds();
    for which in [Macro::Node, Macro::Workflow, Macro::WorkflowTest] {
        let n = seeds.iter().filter(|s| s.which == which).count();
        assert!(n >= 5, "only {n} seeds for {which:?}");
    }
    // The unmutated calls themselves.
    for seed in &seeds {
        run(seed);
    }
}

#[test]
fn mutated_macro_calls_never_panic() {
    let seeds = seeds();
    assert!(!seeds.is_empty());
    let mut runner = TestRunner::new(Config {
        cases: 3000,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..seeds.len(), proptest::collection::vec(mutation(), 1..6));
    runner
        .run(&strategy, |(index, mutations)| {
            let mut seed = seeds[index].clone();
            for (m, depth, on_args) in &mutations {
                if *on_args && seed.which != Macro::Workflow {
                    seed.args = mutate(seed.args, m, *depth);
                } else {
                    seed.item = mutate(seed.item, m, *depth);
                }
            }
            run(&seed);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn random_token_soup_never_panics() {
    let mut runner = TestRunner::new(Config {
        cases: 1000,
        failure_persistence: None,
        ..Config::default()
    });
    let soup = proptest::collection::vec(any::<usize>(), 0..24)
        .prop_map(|ks| ks.into_iter().map(pool).collect::<TokenStream>());
    runner
        .run(&(soup.clone(), soup), |(args, item)| {
            for which in [Macro::Node, Macro::Workflow, Macro::WorkflowTest] {
                run(&Seed {
                    which,
                    args: args.clone(),
                    item: item.clone(),
                });
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}
