//! The JSON types OpenAPI schemas give a value, for the check that a step
//! output feeds a parameter or payload field of the type it expects.
//!
//! Only what a schema states plainly is used: `type` (a name or, in 3.1, a
//! list), followed through local `$ref`s and the first `allOf` member that
//! has one. `integer` counts as a `number`. Anything else (`oneOf`, no
//! `type`) is unknown, and unknown types never mismatch.

use super::pointer::JsonPointer;
use serde_json::Value;
use std::collections::BTreeSet;

/// Follows local `$ref`s (at most 32).
fn follow<'v>(document: &'v Value, mut schema: &'v Value) -> &'v Value {
    for _ in 0..32 {
        let target = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| JsonPointer::parse(p).ok())
            .and_then(|p| p.resolve(document));
        match target {
            Some(next) => schema = next,
            None => return schema,
        }
    }
    schema
}

/// The schema of the value at `pointer` inside a value described by `schema`.
pub(crate) fn schema_at<'v>(
    document: &'v Value,
    schema: &'v Value,
    pointer: &JsonPointer,
) -> Option<&'v Value> {
    let mut current = follow(document, schema);
    for token in pointer.tokens() {
        current = member(document, current, token)?;
    }
    Some(current)
}

fn member<'v>(document: &'v Value, schema: &'v Value, token: &str) -> Option<&'v Value> {
    if let Some(property) = schema.get("properties").and_then(|p| p.get(token)) {
        return Some(follow(document, property));
    }
    if token.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(items) = schema.get("items") {
            return Some(follow(document, items));
        }
    }
    schema
        .get("allOf")
        .and_then(Value::as_array)?
        .iter()
        .find_map(|part| member(document, follow(document, part), token))
}

/// The JSON types a schema allows, if it says.
pub(crate) fn types_of(document: &Value, schema: &Value) -> Option<BTreeSet<String>> {
    let schema = follow(document, schema);
    let mut types: BTreeSet<String> = match schema.get("type") {
        Some(Value::String(t)) => [t.clone()].into(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => {
            return schema
                .get("allOf")
                .and_then(Value::as_array)?
                .iter()
                .find_map(|part| types_of(document, part))
        }
    };
    if types.contains("integer") {
        types.insert("number".into());
    }
    (!types.is_empty()).then_some(types)
}

/// Whether a value of one of `found` can be what `expected` asks for.
pub(crate) fn compatible(found: &BTreeSet<String>, expected: &BTreeSet<String>) -> bool {
    found
        .iter()
        .any(|t| expected.contains(t) || (t == "number" && expected.contains("integer")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_through_refs_items_and_all_of() {
        let doc = json!({
            "components": {"schemas": {
                "Id": {"type": "string", "format": "uuid"},
                "Order": {"allOf": [{"type": "object", "properties": {"id": {"$ref": "#/components/schemas/Id"}}},
                                     {"properties": {"total": {"type": ["integer", "null"]}}}]}
            }}
        });
        let list = json!({"type": "array", "items": {"$ref": "#/components/schemas/Order"}});
        let at = |p: &str| {
            schema_at(&doc, &list, &JsonPointer::parse(p).unwrap()).and_then(|s| types_of(&doc, s))
        };
        assert_eq!(at("/0/id"), Some(["string".to_string()].into()));
        let total = at("/3/total").unwrap();
        assert!(total.contains("integer") && total.contains("number") && total.contains("null"));
        assert_eq!(at("/0/missing"), None);
        let number: BTreeSet<String> = ["number".to_string()].into();
        let integer: BTreeSet<String> = ["integer".to_string(), "number".to_string()].into();
        let string: BTreeSet<String> = ["string".to_string()].into();
        assert!(compatible(&integer, &number));
        assert!(compatible(&number, &integer));
        assert!(!compatible(&string, &integer));
    }
}
