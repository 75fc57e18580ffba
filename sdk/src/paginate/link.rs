//! The `Link` header (RFC 8288): `<uri>; rel="next"; title="…", <uri>; rel=last`.

/// One link of a `Link` header: its target as written (a URI reference) and
/// its relation types, lowercased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The target URI reference, between `<` and `>`, unresolved.
    pub target: String,
    /// The relation types of `rel` (a space-separated list), lowercased.
    pub rels: Vec<String>,
}

impl Link {
    /// True when one of the link's relation types is `rel` (case-insensitive).
    pub fn has_rel(&self, rel: &str) -> bool {
        self.rels.iter().any(|r| r.eq_ignore_ascii_case(rel))
    }
}

/// Parses one `Link` header value into its links, in order.
///
/// Parameters are tokens or quoted strings (with `\` escapes); commas and
/// semicolons inside quotes or inside `<…>` are part of the value; a `rel`
/// holds several relation types separated by spaces (`rel="next last"`);
/// only the first `rel` of a link counts (RFC 8288, 3.3). Empty elements
/// (`, ,`) are skipped. A malformed value is an error saying where.
///
/// ```
/// use oncely::paginate::parse_link_header;
///
/// let links = parse_link_header(r#"<https://api.example.com/x?page=2>; rel="next", </x?page=9>; rel=last"#).unwrap();
/// assert_eq!(links[0].target, "https://api.example.com/x?page=2");
/// assert!(links[1].has_rel("last"));
/// ```
pub fn parse_link_header(value: &str) -> Result<Vec<Link>, String> {
    let mut parser = Parser {
        text: value.as_bytes(),
        at: 0,
    };
    let mut links = Vec::new();
    loop {
        parser.skip(|b| b == b',' || is_space(b));
        if parser.done() {
            return Ok(links);
        }
        links.push(parser.link()?);
        parser.skip(is_space);
        if !parser.done() && !parser.eat(b',') {
            return Err(parser.error("expected `,` between links"));
        }
    }
}

/// The first target with relation `rel` among every `Link` header value.
pub(crate) fn find_rel<'a>(
    values: impl IntoIterator<Item = &'a str>,
    rel: &str,
) -> Result<Option<String>, String> {
    for value in values {
        if let Some(link) = parse_link_header(value)?
            .into_iter()
            .find(|link| link.has_rel(rel))
        {
            return Ok(Some(link.target));
        }
    }
    Ok(None)
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// RFC 7230 `tchar`: what a token is made of.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn done(&self) -> bool {
        self.at >= self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn skip(&mut self, what: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&what) {
            self.at += 1;
        }
    }

    fn error(&self, why: &str) -> String {
        format!("{why} at byte {}", self.at)
    }

    fn slice(&self, from: usize) -> String {
        String::from_utf8_lossy(&self.text[from..self.at]).into_owned()
    }

    /// `<target> *( ";" param )`
    fn link(&mut self) -> Result<Link, String> {
        if !self.eat(b'<') {
            return Err(self.error("expected `<` opening a link target"));
        }
        let start = self.at;
        self.skip(|b| b != b'>');
        if self.done() {
            return Err(self.error("a `<` is never closed by `>`"));
        }
        let target = self.slice(start).trim().to_string();
        self.at += 1;
        let mut rels = None;
        loop {
            self.skip(is_space);
            if !self.eat(b';') {
                break;
            }
            self.skip(is_space);
            let (name, value) = self.param()?;
            if name.eq_ignore_ascii_case("rel") && rels.is_none() {
                rels = Some(
                    value
                        .split_ascii_whitespace()
                        .map(str::to_ascii_lowercase)
                        .collect(),
                );
            }
        }
        Ok(Link {
            target,
            rels: rels.unwrap_or_default(),
        })
    }

    /// `name [ "=" ( token / quoted-string ) ]`; a bare name has value `""`.
    fn param(&mut self) -> Result<(String, String), String> {
        let start = self.at;
        self.skip(is_token);
        if self.at == start {
            return Err(self.error("expected a parameter name after `;`"));
        }
        let name = self.slice(start);
        self.skip(is_space);
        if !self.eat(b'=') {
            return Ok((name, String::new()));
        }
        self.skip(is_space);
        if self.eat(b'"') {
            let mut value = Vec::new();
            loop {
                match self.peek() {
                    None => return Err(self.error("a quoted string is never closed")),
                    Some(b'"') => {
                        self.at += 1;
                        break;
                    }
                    Some(b'\\') => {
                        self.at += 1;
                        match self.peek() {
                            Some(b) => value.push(b),
                            None => return Err(self.error("a `\\` ends the header")),
                        }
                        self.at += 1;
                    }
                    Some(b) => {
                        value.push(b);
                        self.at += 1;
                    }
                }
            }
            Ok((name, String::from_utf8_lossy(&value).into_owned()))
        } else {
            let start = self.at;
            self.skip(is_token);
            Ok((name, self.slice(start)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets_with(value: &str, rel: &str) -> Vec<String> {
        parse_link_header(value)
            .unwrap()
            .into_iter()
            .filter(|l| l.has_rel(rel))
            .map(|l| l.target)
            .collect()
    }

    #[test]
    fn github_links() {
        let value = r#"<https://api.github.com/repositories/1/issues?page=2>; rel="prev", <https://api.github.com/repositories/1/issues?page=4>; rel="next", <https://api.github.com/repositories/1/issues?page=515>; rel="last", <https://api.github.com/repositories/1/issues?page=1>; rel="first""#;
        let links = parse_link_header(value).unwrap();
        assert_eq!(links.len(), 4);
        assert_eq!(
            targets_with(value, "next"),
            ["https://api.github.com/repositories/1/issues?page=4"]
        );
        assert_eq!(links[3].rels, ["first"]);
    }

    #[test]
    fn several_relation_types_in_one_rel() {
        let value = r#"</page/3>; rel="next last""#;
        assert_eq!(targets_with(value, "next"), ["/page/3"]);
        assert_eq!(targets_with(value, "last"), ["/page/3"]);
        // Relation types compare case-insensitively; an unquoted token works.
        assert_eq!(targets_with("</p>; REL=Next", "next"), ["/p"]);
    }

    #[test]
    fn quoting_hides_commas_and_semicolons() {
        let value = r##"</a>; title="one, two; \"three\""; rel="prev", </b?x=1,2;y>; rel=next; anchor="#s""##;
        let links = parse_link_header(value).unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].rels, ["prev"]);
        assert_eq!(links[1].target, "/b?x=1,2;y");
        assert_eq!(links[1].rels, ["next"]);
    }

    #[test]
    fn only_the_first_rel_counts_and_empty_elements_are_skipped() {
        let value = r#" , </a>; rel=prev; rel=next , ,</b>; hreflang=en"#;
        let links = parse_link_header(value).unwrap();
        assert_eq!(links.len(), 2);
        assert!(targets_with(value, "next").is_empty());
        assert!(links[1].rels.is_empty());
        assert!(parse_link_header("").unwrap().is_empty());
    }

    #[test]
    fn malformed_values_say_where() {
        for bad in [
            "https://x/no-brackets; rel=next",
            "</a; rel=next",
            r#"</a>; rel="next"#,
            "</a>; =next",
            "</a> </b>",
        ] {
            let e = parse_link_header(bad).unwrap_err();
            assert!(e.contains("at byte"), "{bad}: {e}");
        }
    }

    #[test]
    fn find_rel_looks_through_every_header_value() {
        let found = find_rel([r#"</a>; rel="prev""#, r#"</b>; rel="next""#], "next").unwrap();
        assert_eq!(found.as_deref(), Some("/b"));
        assert_eq!(find_rel([r#"</a>; rel="prev""#], "next").unwrap(), None);
    }
}
