//! Reading a document: text → JSON value, version detection, and the
//! normalisation of OpenAPI 3.1 schemas into the 3.0 shape the rest of the
//! generator reads.
//!
//! The document is kept as a [`serde_json::Value`] rather than a typed model:
//! real documents break the specification in many small ways, and walking the
//! value lets every later stage degrade one construct at a time instead of
//! rejecting the whole document.

use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{CodegenError, Diagnostic, DiagnosticKind, Severity};

/// The syntax the document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// JSON.
    Json,
    /// YAML (1.2; anchors and merge keys are expanded).
    Yaml,
}

/// The OpenAPI version of a document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OpenApiVersion {
    /// The `openapi` field as written.
    pub raw: String,
    /// Major version (always 3).
    pub major: u32,
    /// Minor version (0 or 1; later 3.x documents are read as 3.1).
    pub minor: u32,
}

impl OpenApiVersion {
    /// True for 3.1 and later, where JSON Schema 2020-12 rules apply.
    pub fn is_3_1(&self) -> bool {
        self.minor >= 1
    }
}

/// A loaded, version-checked and normalised document.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Where it came from (a path, or `<stdin>`).
    pub origin: String,
    /// JSON or YAML.
    pub format: Format,
    /// The OpenAPI version.
    pub version: OpenApiVersion,
    /// The normalised document.
    pub document: Value,
    /// Findings made while loading (for example, ignored webhooks).
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and loads a document from a path, or from standard input when the
/// path is `-`.
pub fn load_spec(path: impl AsRef<Path>) -> Result<Spec, CodegenError> {
    let path = path.as_ref();
    let (text, origin) = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|source| CodegenError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        (buf, "<stdin>".to_string())
    } else {
        let buf = std::fs::read(path).map_err(|source| CodegenError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        (buf, path.display().to_string())
    };
    let text = String::from_utf8_lossy(&text);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let (mut document, format) = parse_text(text, &origin)?;
    let mut found = Vec::new();
    if path.as_os_str() != "-" {
        crate::bundle::bundle(&mut document, path, &mut found);
    }
    let mut spec = spec_from_value(document, format, &origin)?;
    spec.diagnostics.extend(found);
    Ok(spec)
}

/// Loads a document from text. `origin` names it in messages.
pub fn parse_spec(text: &str, origin: &str) -> Result<Spec, CodegenError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (document, format) = parse_text(text, origin)?;
    spec_from_value(document, format, origin)
}

/// Loads a document already parsed into a JSON value (for documents built
/// by the generator itself, such as an Arazzo document's sources merged with
/// its workflows' input and output schemas).
pub fn spec_from_value(
    mut document: Value,
    format: Format,
    origin: &str,
) -> Result<Spec, CodegenError> {
    let version = detect_version(&document, origin)?;
    let mut diagnostics = Vec::new();
    if version.minor > 1 {
        diagnostics.push(Diagnostic {
            severity: Severity::Warning,
            kind: DiagnosticKind::Invalid,
            pointer: "/openapi".into(),
            message: format!(
                "OpenAPI {} is newer than 3.1; read with 3.1 rules",
                version.raw
            ),
        });
    }
    normalise_document(&mut document, &version);
    Ok(Spec {
        origin: origin.to_string(),
        format,
        version,
        document,
        diagnostics,
    })
}

/// Parses JSON or YAML text into a JSON value (no version check).
pub(crate) fn parse_text(text: &str, origin: &str) -> Result<(Value, Format), CodegenError> {
    let first = text.trim_start().chars().next();
    if first.is_none() {
        return Err(CodegenError::NotOpenApi {
            origin: origin.into(),
            reason: "the document is empty".into(),
        });
    }
    if matches!(first, Some('{') | Some('[')) {
        // Text that starts like JSON is read as JSON only: YAML would accept
        // some broken JSON (`{"a": }`) and hide the mistake.
        return match serde_json::from_str::<Value>(text) {
            Ok(v) => Ok((v, Format::Json)),
            Err(e) => Err(CodegenError::Syntax {
                origin: origin.into(),
                format: "JSON",
                message: e.to_string(),
                line: Some(e.line()),
                column: Some(e.column()),
            }),
        };
    }
    match parse_yaml(text) {
        Ok(v) => Ok((v, Format::Yaml)),
        Err(e) => {
            let loc = e.location();
            Err(CodegenError::Syntax {
                origin: origin.into(),
                format: "YAML",
                message: e.to_string(),
                line: loc.as_ref().map(|l| l.line()),
                column: loc.as_ref().map(|l| l.column()),
            })
        }
    }
}

fn parse_yaml(text: &str) -> Result<Value, serde_yaml::Error> {
    let mut v: serde_yaml::Value = serde_yaml::from_str(text)?;
    // Merge keys (`<<: *anchor`) are common in hand-written specs. A failed
    // merge leaves the value as it was, which is still readable.
    let _ = v.apply_merge();
    Ok(yaml_to_json(v))
}

/// Converts a YAML value to JSON. Non-string keys (`200:`) become strings;
/// tags are dropped; non-finite floats become strings.
fn yaml_to_json(v: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(n.to_string()))
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(seq) => Value::Array(seq.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(yaml_key(k), yaml_to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

fn yaml_key(k: serde_yaml::Value) -> String {
    use serde_yaml::Value as Y;
    match k {
        Y::String(s) => s,
        Y::Number(n) => n.to_string(),
        Y::Bool(b) => b.to_string(),
        Y::Null => "null".into(),
        Y::Tagged(t) => yaml_key(t.value),
        other => serde_yaml::to_string(&other)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    }
}

fn detect_version(doc: &Value, origin: &str) -> Result<OpenApiVersion, CodegenError> {
    let Some(obj) = doc.as_object() else {
        return Err(CodegenError::NotOpenApi {
            origin: origin.into(),
            reason: format!(
                "the top level is {}, not an object with an `openapi` field",
                kind_of(doc)
            ),
        });
    };
    if obj.contains_key("swagger") {
        return Err(CodegenError::Swagger2 {
            origin: origin.into(),
        });
    }
    let raw = match obj.get("openapi") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(CodegenError::NotOpenApi {
                origin: origin.into(),
                reason: format!(
                    "the `openapi` field is {}, not a version string",
                    kind_of(other)
                ),
            })
        }
        None => {
            let hint = if obj.contains_key("asyncapi") {
                " (this is an AsyncAPI document)".to_string()
            } else if obj.contains_key("arazzo") {
                " (this is an Arazzo document)".to_string()
            } else {
                String::new()
            };
            return Err(CodegenError::NotOpenApi {
                origin: origin.into(),
                reason: format!("no `openapi` field at the top level{hint}"),
            });
        }
    };
    let mut parts = raw.split('.').map(|p| p.trim().parse::<u32>());
    let major = parts.next().and_then(Result::ok);
    let minor = parts.next().and_then(Result::ok).unwrap_or(0);
    match major {
        Some(3) => Ok(OpenApiVersion {
            raw,
            major: 3,
            minor,
        }),
        Some(2) => Err(CodegenError::Swagger2 {
            origin: origin.into(),
        }),
        _ => Err(CodegenError::UnsupportedVersion {
            origin: origin.into(),
            version: raw,
        }),
    }
}

/// A short description of a JSON value's kind, for messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Keywords that only annotate a schema; they may sit beside a `$ref` in any
/// version without changing its meaning.
const ANNOTATIONS: [&str; 12] = [
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "default",
    "$comment",
    "nullable",
    "externalDocs",
];

const MAX_DEPTH: usize = 200;

/// Rewrites every schema of the document into the 3.0 shape: `type` arrays
/// (with `"null"` → `nullable`), `const` → one-value `enum`, `examples` →
/// `example`, numeric `exclusiveMinimum`/`exclusiveMaximum`, `$ref` with
/// structural siblings (3.1) → `allOf`, and `{type: "null"}` members of
/// `oneOf`/`anyOf` → `nullable`.
fn normalise_document(doc: &mut Value, version: &OpenApiVersion) {
    let is_31 = version.is_3_1();
    let Some(root) = doc.as_object_mut() else {
        return;
    };
    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        if let Some(schemas) = components.get_mut("schemas").and_then(Value::as_object_mut) {
            for s in schemas.values_mut() {
                normalise_schema(s, is_31, 0);
            }
        }
        for key in ["parameters", "headers"] {
            if let Some(m) = components.get_mut(key).and_then(Value::as_object_mut) {
                for p in m.values_mut() {
                    normalise_parameter(p, is_31);
                }
            }
        }
        for key in ["requestBodies", "responses"] {
            if let Some(m) = components.get_mut(key).and_then(Value::as_object_mut) {
                for b in m.values_mut() {
                    normalise_body(b, is_31);
                }
            }
        }
        if let Some(m) = components
            .get_mut("pathItems")
            .and_then(Value::as_object_mut)
        {
            for item in m.values_mut() {
                normalise_path_item(item, is_31);
            }
        }
    }
    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            normalise_path_item(item, is_31);
        }
    }
}

fn normalise_path_item(item: &mut Value, is_31: bool) {
    let Some(item) = item.as_object_mut() else {
        return;
    };
    if let Some(ps) = item.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in ps {
            normalise_parameter(p, is_31);
        }
    }
    for m in METHODS {
        let Some(op) = item.get_mut(m).and_then(Value::as_object_mut) else {
            continue;
        };
        if let Some(ps) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            for p in ps {
                normalise_parameter(p, is_31);
            }
        }
        if let Some(b) = op.get_mut("requestBody") {
            normalise_body(b, is_31);
        }
        if let Some(rs) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for r in rs.values_mut() {
                normalise_body(r, is_31);
            }
        }
    }
}

fn normalise_parameter(p: &mut Value, is_31: bool) {
    let Some(p) = p.as_object_mut() else {
        return;
    };
    if let Some(s) = p.get_mut("schema") {
        normalise_schema(s, is_31, 0);
    }
    normalise_content(p, is_31);
}

/// A request body or a response: `content` and `headers`.
fn normalise_body(b: &mut Value, is_31: bool) {
    let Some(b) = b.as_object_mut() else {
        return;
    };
    normalise_content(b, is_31);
    if let Some(hs) = b.get_mut("headers").and_then(Value::as_object_mut) {
        for h in hs.values_mut() {
            normalise_parameter(h, is_31);
        }
    }
}

fn normalise_content(holder: &mut Map<String, Value>, is_31: bool) {
    if let Some(content) = holder.get_mut("content").and_then(Value::as_object_mut) {
        for media in content.values_mut() {
            if let Some(s) = media.as_object_mut().and_then(|m| m.get_mut("schema")) {
                normalise_schema(s, is_31, 0);
            }
        }
    }
}

/// Normalises one schema and, recursively, its subschemas.
pub(crate) fn normalise_schema(schema: &mut Value, is_31: bool, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(obj) = schema.as_object_mut() else {
        return;
    };

    // `type: [..]`: pull out "null".
    if let Some(Value::Array(types)) = obj.get("type") {
        let mut rest: Vec<Value> = Vec::new();
        let mut has_null = false;
        for t in types {
            if t.as_str() == Some("null") {
                has_null = true;
            } else if !rest.contains(t) {
                rest.push(t.clone());
            }
        }
        if has_null {
            obj.insert("nullable".into(), Value::Bool(true));
        }
        match rest.len() {
            0 => {
                obj.insert("type".into(), Value::String("null".into()));
            }
            1 => {
                let only = rest.pop().unwrap_or(Value::Null);
                obj.insert("type".into(), only);
            }
            _ => {
                obj.insert("type".into(), Value::Array(rest));
            }
        }
    }
    if obj.get("type").and_then(Value::as_str) == Some("null") && obj.len() > 1 {
        // `{type: null, enum: [null]}` etc: keep as is; lowering types it.
    }
    // `const` → one-value enum.
    if let Some(c) = obj.get("const").cloned() {
        if !obj.contains_key("enum") {
            obj.insert("enum".into(), Value::Array(vec![c]));
        }
    }
    // `examples` → `example`.
    if !obj.contains_key("example") {
        if let Some(Value::Array(ex)) = obj.get("examples") {
            if let Some(first) = ex.first().cloned() {
                obj.insert("example".into(), first);
            }
        }
    }
    // Numeric exclusive bounds (3.1) → 3.0 booleans.
    for (excl, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(n @ Value::Number(_)) = obj.get(excl).cloned() {
            obj.insert(bound.into(), n);
            obj.insert(excl.into(), Value::Bool(true));
        }
    }
    // `oneOf`/`anyOf` members that are just `null` → `nullable`.
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(members)) = obj.get_mut(key) {
            let before = members.len();
            members.retain(|m| !is_null_schema(m));
            if members.len() != before {
                obj.insert("nullable".into(), Value::Bool(true));
            }
        }
    }
    // 3.1: `$ref` beside structural keywords means "both".
    if is_31 && obj.contains_key("$ref") {
        let structural: Vec<String> = obj
            .keys()
            .filter(|k| {
                k.as_str() != "$ref" && !ANNOTATIONS.contains(&k.as_str()) && !k.starts_with("x-")
            })
            .cloned()
            .collect();
        if !structural.is_empty() {
            let mut sibling = Map::new();
            for k in structural {
                if let Some(v) = obj.remove(&k) {
                    sibling.insert(k, v);
                }
            }
            let r = obj.remove("$ref").unwrap_or(Value::Null);
            let mut reference = Map::new();
            reference.insert("$ref".into(), r);
            obj.insert(
                "allOf".into(),
                Value::Array(vec![Value::Object(reference), Value::Object(sibling)]),
            );
        }
    }

    // Recurse.
    for key in [
        "items",
        "additionalProperties",
        "not",
        "contains",
        "propertyNames",
        "if",
        "then",
        "else",
        "unevaluatedProperties",
        "unevaluatedItems",
    ] {
        if let Some(s) = obj.get_mut(key) {
            if let Value::Array(items) = s {
                for s in items {
                    normalise_schema(s, is_31, depth + 1);
                }
            } else {
                normalise_schema(s, is_31, depth + 1);
            }
        }
    }
    for key in ["allOf", "oneOf", "anyOf", "prefixItems"] {
        if let Some(Value::Array(items)) = obj.get_mut(key) {
            for s in items {
                normalise_schema(s, is_31, depth + 1);
            }
        }
    }
    for key in [
        "properties",
        "patternProperties",
        "$defs",
        "definitions",
        "dependentSchemas",
    ] {
        if let Some(Value::Object(m)) = obj.get_mut(key) {
            for s in m.values_mut() {
                normalise_schema(s, is_31, depth + 1);
            }
        }
    }
}

fn is_null_schema(v: &Value) -> bool {
    match v {
        Value::Object(o) => {
            let t = o.get("type");
            let null_type = t.and_then(Value::as_str) == Some("null")
                || matches!(t, Some(Value::Array(a)) if a.len() == 1 && a[0].as_str() == Some("null"));
            let null_enum = matches!(o.get("enum"), Some(Value::Array(a)) if !a.is_empty() && a.iter().all(Value::is_null));
            (null_type || null_enum) && !o.contains_key("$ref")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_arrays_become_nullable() {
        let mut s = json!({"type": ["string", "null"]});
        normalise_schema(&mut s, true, 0);
        assert_eq!(s, json!({"type": "string", "nullable": true}));
    }

    #[test]
    fn const_becomes_enum() {
        let mut s = json!({"const": "cat"});
        normalise_schema(&mut s, true, 0);
        assert_eq!(s["enum"], json!(["cat"]));
    }

    #[test]
    fn ref_with_siblings_becomes_all_of() {
        let mut s = json!({"$ref": "#/components/schemas/A", "description": "d", "properties": {"x": {"type": "string"}}});
        normalise_schema(&mut s, true, 0);
        assert_eq!(s["allOf"][0], json!({"$ref": "#/components/schemas/A"}));
        assert_eq!(s["description"], json!("d"));
    }

    #[test]
    fn null_members_of_one_of() {
        let mut s = json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/A"}]});
        normalise_schema(&mut s, true, 0);
        assert_eq!(s["oneOf"], json!([{"$ref": "#/components/schemas/A"}]));
        assert_eq!(s["nullable"], json!(true));
    }
}
