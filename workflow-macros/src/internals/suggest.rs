//! "Did you mean …?": the closest of a set of names to a misspelt one.

/// The most similar name, if any is close enough (at most a third of the letters
/// differ, and at least one may).
pub(crate) fn closest<'a>(word: &str, names: &'a [String]) -> Option<&'a str> {
    names
        .iter()
        .map(|n| (edit_distance(word, n), n))
        .filter(|(d, n)| *d <= (n.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.as_str())
}

/// Names as a list for a message: `` `a`, `b`, `c` ``.
pub(crate) fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Levenshtein distance (insertions, deletions, substitutions) between two words.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_not() {
        let names = vec!["fetch".to_string(), "parse".to_string(), "url".to_string()];
        assert_eq!(closest("fech", &names), Some("fetch"));
        assert_eq!(closest("urls", &names), Some("url"));
        // A transposition is two edits: too far for a five-letter word.
        assert_eq!(closest("prase", &names), None);
        assert_eq!(closest("zzzzzz", &names), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
