//! A label's text made comparable and cut into its parts: case, spacing,
//! punctuation and write-in instructions tidied away, the key words a
//! wording is matched by, a heading before a separator, a parenthesised
//! qualifier.

/// The text outside and inside parentheses, when there are any.
pub(super) fn parenthesised(text: &str) -> Option<(String, String)> {
    if !text.contains('(') {
        return None;
    }
    let (mut outside, mut inside, mut depth) = (String::new(), String::new(), 0usize);
    for ch in text.chars() {
        match ch {
            '(' => {
                depth += 1;
                inside.push(' ');
            }
            ')' => depth = depth.saturating_sub(1),
            c if depth > 0 => inside.push(c),
            c => outside.push(c),
        }
    }
    let clean = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
    Some((clean(outside), clean(inside)))
}

/// Lower case, typographic dashes to '-', '&' to "and", every other
/// punctuation mark except '-', ':' and parentheses to a space, spaces
/// collapsed.
pub(super) fn tidy(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    for ch in label.chars() {
        match ch {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '&' => out.push_str(" and "),
            '-' | ':' => out.push(ch),
            '(' | '[' => out.push_str(" ("),
            ')' | ']' => out.push_str(") "),
            '\'' | '\u{2019}' => {}
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => out.push(' '),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The tidied text without a questionnaire's write-in instruction at its
/// end ("Any other White background, please describe").
pub(super) fn without_write_in(text: &str) -> String {
    const INSTRUCTIONS: [&str; 9] = [
        "please write in below",
        "please write in",
        "write in below",
        "write in",
        "please describe",
        "please specify",
        "please state",
        "specify",
        "describe",
    ];
    let mut t = text.trim().to_string();
    loop {
        let before = t.len();
        for i in INSTRUCTIONS {
            let bracketed = format!("({i})");
            for ending in [bracketed.as_str(), i] {
                if let Some(rest) = t.strip_suffix(ending)
                    && (rest.is_empty() || rest.ends_with([' ', '-', ':']))
                {
                    t = rest.trim_end_matches([' ', '-', ':']).to_string();
                }
            }
        }
        if t.len() == before {
            return t;
        }
    }
}

/// Splits "heading - sub" or "heading: sub" at the first separator. A hyphen
/// joins words ("Mixed-race") unless a space stands on one side of it.
pub(super) fn split_heading(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let spaced = |j: usize| bytes.get(j) == Some(&b' ');
        let is_sep = b == b':' || (b == b'-' && (spaced(i + 1) || (i > 0 && spaced(i - 1))));
        if is_sep {
            let head = text[..i].trim();
            let sub = text[i + 1..].trim().trim_start_matches(['-', ':']).trim();
            if !head.is_empty() && !sub.is_empty() {
                return Some((head, sub));
            }
        }
    }
    None
}

/// The matching key: tidied words without separators, parentheses and the
/// joining words "or", "and", "the", so "White & Asian", "White and Asian"
/// and "white/asian" agree.
pub(super) fn key(text: &str) -> String {
    words(text).join(" ")
}

/// The words of a matching key.
pub(super) fn words(text: &str) -> Vec<String> {
    tidy(text)
        .split([' ', '-', ':', '(', ')'])
        .filter(|w| !w.is_empty() && !matches!(*w, "or" | "and" | "the"))
        .map(str::to_string)
        .collect()
}
