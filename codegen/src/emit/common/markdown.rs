//! Documentation text as lines of a doc comment: HTML turned into Markdown,
//! fenced code marked `text`, indentation removed, stray brackets, angle
//! brackets and backticks escaped. Written for rustdoc, whose rules are the
//! strictest of the three targets; TypeScript's JSDoc uses the same lines.

/// Characters that must never appear in generated source: bidirectional
/// controls (rustc denies them) and other invisible controls.
pub fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{FEFF}')
        || (c.is_control() && c != '\n' && c != '\t')
}

/// Converts the HTML that some documents put in descriptions (`<p>`,
/// `<code>`, `<br>`, `<a href>`) into Markdown-ish text; unknown tags are
/// dropped.
fn strip_html(s: &str) -> String {
    if !s.contains('<') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let tag_end = after.find('>');
        let is_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match (is_tag, tag_end) {
            (true, Some(end)) if !after[..end].contains('<') && tag_is_known(&after[..end]) => {
                let tag = &after[..end];
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let closing = tag.starts_with('/');
                match name.as_str() {
                    "br" => out.push('\n'),
                    "p" | "div" | "ul" | "ol" | "table" | "tr" => out.push_str("\n\n"),
                    "li" if !closing => out.push_str("\n- "),
                    "code" | "tt" | "kbd" => out.push('`'),
                    "pre" => out.push_str(if closing { "\n```\n" } else { "\n```text\n" }),
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => out.push_str("\n\n"),
                    "td" | "th" => out.push(' '),
                    _ => {}
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Tag names stripped from descriptions; anything else in angle brackets
/// (`<token>`) is text.
fn tag_is_known(tag: &str) -> bool {
    const KNOWN: &[&str] = &[
        "p",
        "br",
        "code",
        "tt",
        "kbd",
        "pre",
        "ul",
        "ol",
        "li",
        "a",
        "b",
        "i",
        "em",
        "strong",
        "span",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "sup",
        "sub",
        "hr",
        "img",
        "blockquote",
        "u",
        "s",
        "small",
        "dl",
        "dt",
        "dd",
        "details",
        "summary",
        "var",
        "samp",
        "mark",
        "del",
        "ins",
        "abbr",
        "cite",
        "section",
    ];
    if tag.starts_with("!--") || tag.starts_with('!') {
        return true;
    }
    let name: String = tag
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let after = &tag.trim_start_matches('/')[name.len().min(tag.trim_start_matches('/').len())..];
    KNOWN.contains(&name.as_str())
        && (after.is_empty() || after.starts_with(char::is_whitespace) || after == "/")
}

/// Escapes one line of Markdown outside code blocks: brackets (intra-doc
/// links), angle brackets (HTML), unmatched backticks; bare URLs are
/// wrapped in `<…>`. Code spans are kept as written.
fn escape_line(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            let mut run = 0;
            while i + run < chars.len() && chars[i + run] == '`' {
                run += 1;
            }
            // Find a closing run of the same length.
            let mut j = i + run;
            let mut close = None;
            while j < chars.len() {
                if chars[j] == '`' {
                    let mut r = 0;
                    while j + r < chars.len() && chars[j + r] == '`' {
                        r += 1;
                    }
                    if r == run {
                        close = Some(j);
                        break;
                    }
                    j += r;
                } else {
                    j += 1;
                }
            }
            match close {
                Some(j) => {
                    out.extend(&chars[i..j + run]);
                    i = j + run;
                }
                None => {
                    for _ in 0..run {
                        out.push_str("\\`");
                    }
                    i += run;
                }
            }
            continue;
        }
        if c == 'h' && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
            if rest.starts_with("http://") || rest.starts_with("https://") {
                let mut j = i;
                while j < chars.len()
                    && !chars[j].is_whitespace()
                    && !matches!(
                        chars[j],
                        '<' | '>' | '"' | '`' | '[' | ']' | '{' | '}' | '|' | '\\' | '^'
                    )
                {
                    j += 1;
                }
                while j > i
                    && matches!(
                        chars[j - 1],
                        '.' | ',' | ';' | ':' | '!' | '?' | ')' | '\'' | '*' | '_'
                    )
                {
                    j -= 1;
                }
                let url: String = chars[i..j].iter().collect();
                out.push('<');
                out.push_str(&url);
                out.push('>');
                i = j;
                continue;
            }
        }
        if c == '[' {
            if let Some(len) = markdown_link(&chars[i..]) {
                // `[text](https://…)`: a link rustdoc renders as is.
                for &ch in &chars[i..i + len] {
                    match ch {
                        '<' => out.push_str("&lt;"),
                        '>' => out.push_str("&gt;"),
                        ch => out.push(ch),
                    }
                }
                i += len;
                continue;
            }
        }
        match c {
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' => out.push_str("    "),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Length of a Markdown link `[text](http…)` at the start of `chars`, when
/// the text has no brackets or backticks and the target is an absolute URL.
fn markdown_link(chars: &[char]) -> Option<usize> {
    let close = chars.iter().position(|c| *c == ']')?;
    if chars[1..close].iter().any(|c| matches!(c, '[' | '`')) || close == 1 {
        return None;
    }
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let url_start = close + 2;
    let rest: String = chars[url_start..chars.len().min(url_start + 8)]
        .iter()
        .collect();
    if !(rest.starts_with("http://") || rest.starts_with("https://")) {
        return None;
    }
    let end = chars[url_start..]
        .iter()
        .position(|c| *c == ')' || c.is_whitespace() || matches!(c, '<' | '>' | '(' | '`'))?;
    if chars[url_start + end] != ')' {
        return None;
    }
    Some(url_start + end + 1)
}

/// Turns documentation text into lines of a doc comment that rustdoc renders
/// without warnings and without doctests: fenced code becomes `text`,
/// indentation (which Markdown would read as a Rust code block) is removed,
/// links and HTML are escaped.
pub fn doc_lines(text: &str) -> Vec<String> {
    let clean: String = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !is_forbidden(*c))
        .collect();
    let clean = strip_html(&clean);
    let mut out: Vec<String> = Vec::new();
    let mut fence: Option<String> = None;
    for raw in clean.split('\n') {
        let trimmed = raw.trim_start();
        let fence_marker: String = trimmed
            .chars()
            .take_while(|c| *c == '`' || *c == '~')
            .collect();
        let is_fence = fence_marker.len() >= 3
            && (fence_marker.chars().all(|c| c == '`') || fence_marker.chars().all(|c| c == '~'));
        match &fence {
            Some(open) => {
                if is_fence
                    && fence_marker.starts_with(open.as_str())
                    && trimmed[fence_marker.len()..].trim().is_empty()
                {
                    out.push(open.clone());
                    fence = None;
                } else {
                    out.push(raw.replace('\t', "    ").trim_end().to_string());
                }
            }
            None => {
                if is_fence {
                    out.push(format!("{fence_marker}text"));
                    fence = Some(fence_marker);
                } else {
                    out.push(escape_line(trimmed.trim_end()));
                }
            }
        }
    }
    if let Some(open) = fence {
        while out.last().is_some_and(|l| l.is_empty()) {
            out.pop();
        }
        out.push(open);
    }
    // Trim blank lines at both ends and collapse runs of blank lines.
    let mut lines: Vec<String> = Vec::with_capacity(out.len());
    for l in out {
        if l.is_empty() && lines.last().is_none_or(|p: &String| p.is_empty()) {
            continue;
        }
        lines.push(l);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_become_text() {
        let l = doc_lines("Example:\n```\nlet x = 1;\n```\nand\n```json\n{}\n");
        assert_eq!(
            l,
            [
                "Example:",
                "```text",
                "let x = 1;",
                "```",
                "and",
                "```text",
                "{}",
                "```"
            ]
        );
    }

    #[test]
    fn indentation_removed_and_links_escaped() {
        let l = doc_lines("    code\nsee [docs] <b>x</b> a<b and https://x.io/a.");
        assert_eq!(l, ["code", "see \\[docs\\] x a&lt;b and <https://x.io/a>."]);
    }

    #[test]
    fn markdown_links_kept() {
        assert_eq!(
            doc_lines("see [the docs](https://x.io/a_b) and [x] [y](z)"),
            ["see [the docs](https://x.io/a_b) and \\[x\\] \\[y\\](z)"]
        );
    }

    #[test]
    fn code_spans_kept() {
        assert_eq!(
            doc_lines("use `a[0]` and ` lone"),
            ["use `a[0]` and \\` lone"]
        );
    }
}
