//! What every emitter decides the same way: which aliases are circular, which
//! paragraphs a piece of documentation has, and (in [`markdown`]) how that
//! text becomes doc-comment lines.

pub mod markdown;

use std::collections::BTreeSet;

use crate::ir::{Api, Docs, Type, TypeDef, TypeId};

/// True when alias `i` only refers back to itself through other aliases
/// (nullability included). Python and TypeScript reject such an alias as
/// circular, so both emit it as an untyped value.
pub(crate) fn alias_cycle(api: &Api, i: usize) -> bool {
    let mut seen = BTreeSet::new();
    let mut cur = i;
    loop {
        let TypeDef::Alias(t) = &api.types[cur].def else {
            return false;
        };
        let Type::Ref(TypeId(next)) = t.non_null() else {
            return false;
        };
        if *next == i {
            return true;
        }
        if !seen.insert(*next) {
            return false;
        }
        cur = *next;
    }
}

/// The summary, then the description unless it repeats the summary.
///
/// For languages that mark deprecation with a tag of their own (JSDoc's
/// `@deprecated`); the others use [`docs_paragraphs`].
pub(crate) fn docs_text(docs: &Docs) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = &docs.summary {
        out.push(s.clone());
    }
    if let Some(d) = &docs.description {
        if docs.summary.as_deref() != Some(d.as_str()) {
            out.push(d.clone());
        }
    }
    out
}

/// [`docs_text`], and a last paragraph `Deprecated.` when it is.
pub(crate) fn docs_paragraphs(docs: &Docs) -> Vec<String> {
    let mut out = docs_text(docs);
    if docs.deprecated {
        out.push("Deprecated.".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_repeating_the_summary_is_one_paragraph() {
        let docs = Docs {
            summary: Some("Gets an order.".into()),
            description: Some("Gets an order.".into()),
            deprecated: true,
        };
        assert_eq!(docs_text(&docs), ["Gets an order."]);
        assert_eq!(docs_paragraphs(&docs), ["Gets an order.", "Deprecated."]);
    }
}
