//! Schemas → types and declarations.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::{Map, Value};

use super::{esc, percent_decode, scalar_text, Lowerer, MAX_DEPTH};
use crate::error::{DiagnosticKind, Severity};
use crate::ir::{
    Docs, EnumDef, EnumLiteral, EnumRepr, EnumValue, Field, ObjectDef, Origin, Primitive, Type,
    TypeDef, UnionDef, Variant,
};
use crate::load::kind_of;

/// The result of lowering one schema: a type, or a definition that needs a
/// name (the caller declares it).
pub(crate) enum Shape {
    Type(Type),
    Def(TypeDef),
}

/// Keywords that make a schema say something about the shape of a value
/// (as opposed to annotations and validation-only keywords).
const STRUCTURAL: &[&str] = &[
    "$ref",
    "type",
    "properties",
    "items",
    "enum",
    "const",
    "allOf",
    "oneOf",
    "anyOf",
    "additionalProperties",
    "patternProperties",
    "format",
];

/// True when the schema says something about the shape of a value.
pub(crate) fn is_structural(v: &Value) -> bool {
    match v {
        Value::Object(o) => STRUCTURAL.iter().any(|k| o.contains_key(*k)),
        _ => true,
    }
}

/// True when the schema itself admits `null`.
pub(crate) fn is_nullable(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    o.get("nullable") == Some(&Value::Bool(true))
        || matches!(o.get("enum"), Some(Value::Array(a)) if a.iter().any(Value::is_null))
}

/// Documentation of a schema.
pub(crate) fn docs_of(v: &Value) -> Docs {
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Docs {
        summary: text("title"),
        description: text("description"),
        deprecated: v.get("deprecated") == Some(&Value::Bool(true)),
    }
}

/// A readable name hint from a JSON pointer (for `$ref`s that point into
/// the middle of a document).
fn hint_from_pointer(ptr: &str) -> String {
    const SKIP: &[&str] = &[
        "components",
        "schemas",
        "properties",
        "items",
        "allOf",
        "oneOf",
        "anyOf",
        "schema",
        "content",
        "paths",
        "responses",
        "parameters",
        "requestBodies",
        "additionalProperties",
        "$defs",
        "definitions",
    ];
    let segs: Vec<String> = ptr
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .filter(|s| !SKIP.contains(&s.as_str()) && !s.contains('/') && !s.is_empty())
        .collect();
    let start = segs.len().saturating_sub(3);
    let hint = segs[start..].join(" ");
    if hint.is_empty() {
        "Schema".to_string()
    } else {
        hint
    }
}

/// The last segment of a `$ref` (`#/components/schemas/Cat` → `Cat`).
fn ref_name(r: &str) -> String {
    let last = r.rsplit('/').next().unwrap_or(r);
    percent_decode(&last.replace("~1", "/").replace("~0", "~"))
}

/// The pointer a `$ref` or a discriminator mapping value designates.
fn ref_pointer(r: &str) -> Option<String> {
    if let Some(p) = r.strip_prefix('#') {
        Some(percent_decode(p))
    } else if r.contains(['/', '.', ':']) {
        None
    } else {
        Some(format!("/components/schemas/{}", esc(r)))
    }
}

/// Where allOf members are merged.
#[derive(Default)]
struct Parts<'v> {
    props: BTreeMap<String, (&'v Value, String)>,
    required: BTreeSet<String>,
    additional: Option<(&'v Value, String)>,
    additional_any: bool,
    object_seen: bool,
    scalars: Vec<(&'v Value, String)>,
    lossy: bool,
}

impl<'a> Lowerer<'a> {
    /// Lowers the schema of a declaration that already has an id.
    pub(crate) fn lower_decl(&mut self, v: &Value, ptr: &str, name: &str) -> TypeDef {
        match self.shape(v, ptr, name, 0).0 {
            Shape::Def(d) => d,
            Shape::Type(t) => TypeDef::Alias(t),
        }
    }

    /// Lowers a schema where a type is needed; definitions are declared
    /// under `hint` (or reused, when the same schema was declared before).
    pub(crate) fn ty(&mut self, v: &Value, ptr: &str, hint: &str, depth: usize) -> Type {
        if let Some(&id) = self.by_pointer.get(ptr) {
            return Type::Ref(id).nullable_if(self.nullable_decl[id.0]);
        }
        let (shape, nullable) = self.shape(v, ptr, hint, depth);
        let t = match shape {
            Shape::Type(t) => t,
            Shape::Def(def) => {
                let id = self.declare(
                    hint.to_string(),
                    Origin::Inline,
                    ptr,
                    docs_of(v),
                    def,
                    false,
                );
                Type::Ref(id)
            }
        };
        t.nullable_if(nullable)
    }

    /// Lowers one schema. The flag says the value may be `null`.
    pub(crate) fn shape(
        &mut self,
        v: &Value,
        ptr: &str,
        hint: &str,
        depth: usize,
    ) -> (Shape, bool) {
        if depth > MAX_DEPTH {
            return (
                Shape::Type(self.untyped(ptr, "schema nested too deeply")),
                false,
            );
        }
        let o = match v {
            Value::Object(o) => o,
            Value::Bool(_) => return (Shape::Type(Type::any()), false),
            other => {
                let t = self.untyped(ptr, format!("the schema is {}", kind_of(other)));
                return (Shape::Type(t), false);
            }
        };
        let nullable = o.get("nullable") == Some(&Value::Bool(true));

        if let Some(r) = o.get("$ref") {
            let t = match r.as_str() {
                Some(r) => self.ref_type(r, ptr, depth),
                None => self.untyped(ptr, "`$ref` is not a string"),
            };
            return (Shape::Type(t), nullable);
        }
        if let Some(Value::Array(values)) = o.get("enum") {
            return self.enum_shape(o, values, ptr, hint, nullable);
        }
        let one_of = non_empty_array(o.get("oneOf"));
        let any_of = non_empty_array(o.get("anyOf"));
        let union = match (one_of, any_of) {
            (Some(m), other) => {
                if other.is_some() {
                    self.diag(
                        Severity::Note,
                        DiagnosticKind::Ignored,
                        ptr,
                        "`anyOf` beside `oneOf` ignored",
                    );
                }
                Some(("oneOf", m))
            }
            (None, Some(m)) => Some(("anyOf", m)),
            (None, None) => None,
        };
        if let Some((key, members)) = union {
            if let Some((s, n)) = self.union_shape(o, key, members, ptr, hint, depth) {
                return (s, nullable || n);
            }
        }
        if let Some(members) = non_empty_array(o.get("allOf")) {
            let (s, n) = self.all_of_shape(o, members, ptr, hint, depth);
            return (s, nullable || n);
        }

        let t = match o.get("type") {
            Some(Value::String(t)) => Some(t.as_str()),
            Some(Value::Array(types)) => {
                return (self.multi_type_shape(o, types, ptr, hint, depth), nullable);
            }
            Some(other) => {
                let t = self.untyped(ptr, format!("`type` is {}", kind_of(other)));
                return (Shape::Type(t), nullable);
            }
            None => None,
        };
        let t = t.or_else(|| {
            if o.contains_key("properties")
                || o.contains_key("additionalProperties")
                || o.contains_key("patternProperties")
            {
                Some("object")
            } else if o.contains_key("items") {
                Some("array")
            } else if o.contains_key("format") {
                Some("string")
            } else {
                None
            }
        });
        let format = o.get("format").and_then(Value::as_str).unwrap_or("");
        let shape = match t {
            None => Shape::Type(Type::any()),
            Some("object") => self.object_shape(o, ptr, hint, depth),
            Some("array") => Shape::Type(self.array_type(o, ptr, hint, depth)),
            Some("string") => Shape::Type(Type::Primitive(string_primitive(o, format))),
            Some("integer") => Shape::Type(Type::Primitive(match format {
                "int32" | "int16" | "int8" => Primitive::I32,
                _ => Primitive::I64,
            })),
            Some("number") => Shape::Type(Type::Primitive(Primitive::Number)),
            Some("boolean") => Shape::Type(Type::Primitive(Primitive::Boolean)),
            Some("file") => Shape::Type(Type::Primitive(Primitive::Binary)),
            Some("null") => return (Shape::Type(Type::any()), true),
            Some(other) => Shape::Type(self.untyped(ptr, format!("unknown type {other:?}"))),
        };
        (shape, nullable)
    }

    /// `$ref` → a reference to a declaration (declared on first use when
    /// the target is not a component schema).
    fn ref_type(&mut self, r: &str, at: &str, depth: usize) -> Type {
        let Some((target, tptr)) = self.resolve(r, at) else {
            return Type::untyped(format!("unresolved $ref {r:?}"));
        };
        if let Some(&id) = self.by_pointer.get(&tptr) {
            return Type::Ref(id).nullable_if(self.nullable_decl[id.0]);
        }
        let hint = hint_from_pointer(&tptr);
        let nullable = is_nullable(target);
        let id = self.declare(
            hint.clone(),
            Origin::Inline,
            &tptr,
            docs_of(target),
            TypeDef::Alias(Type::any()),
            nullable,
        );
        let def = match self.shape(target, &tptr, &hint, depth + 1).0 {
            Shape::Def(d) => d,
            Shape::Type(t) => TypeDef::Alias(t),
        };
        self.types[id.0].def = def;
        Type::Ref(id).nullable_if(nullable)
    }

    fn array_type(&mut self, o: &Map<String, Value>, ptr: &str, hint: &str, depth: usize) -> Type {
        let item = match o.get("items") {
            Some(items @ (Value::Object(_) | Value::Bool(_))) => self.ty(
                items,
                &format!("{ptr}/items"),
                &format!("{hint} item"),
                depth + 1,
            ),
            Some(Value::Array(_)) => self.untyped(
                &format!("{ptr}/items"),
                "tuple `items` (an array of schemas) is not supported",
            ),
            Some(other) => {
                let k = kind_of(other);
                self.untyped(&format!("{ptr}/items"), format!("`items` is {k}"))
            }
            None => Type::any(),
        };
        Type::Array(Box::new(item))
    }

    fn object_shape(
        &mut self,
        o: &Map<String, Value>,
        ptr: &str,
        hint: &str,
        depth: usize,
    ) -> Shape {
        let props = match o.get("properties") {
            Some(Value::Object(m)) => Some(m),
            Some(other) => {
                let k = kind_of(other);
                self.diag(
                    Severity::Warning,
                    DiagnosticKind::Invalid,
                    &format!("{ptr}/properties"),
                    format!("`properties` is {k}; ignored"),
                );
                None
            }
            None => None,
        };
        let required: HashSet<&str> = match o.get("required") {
            Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).collect(),
            _ => HashSet::new(),
        };
        let closed = o.get("additionalProperties") == Some(&Value::Bool(false));
        let mut additional = match o.get("additionalProperties") {
            None | Some(Value::Bool(false)) => None,
            Some(Value::Bool(true)) => Some(Type::any()),
            Some(Value::Object(m)) if m.is_empty() => Some(Type::any()),
            Some(s @ Value::Object(_)) => Some(self.ty(
                s,
                &format!("{ptr}/additionalProperties"),
                &format!("{hint} value"),
                depth + 1,
            )),
            Some(_) => None,
        };
        let no_props = props.is_none_or(|p| p.is_empty());
        if no_props && additional.is_none() {
            if let Some(Value::Object(pp)) = o.get("patternProperties") {
                if pp.len() == 1 {
                    if let Some((k, s)) = pp.iter().next() {
                        additional = Some(self.ty(
                            s,
                            &format!("{ptr}/patternProperties/{}", esc(k)),
                            &format!("{hint} value"),
                            depth + 1,
                        ));
                    }
                }
            }
        }
        let Some(props) = props.filter(|p| !p.is_empty()) else {
            if closed && props.is_some() {
                return Shape::Def(TypeDef::Object(ObjectDef {
                    fields: Vec::new(),
                    additional: None,
                }));
            }
            return Shape::Type(Type::Map(Box::new(additional.unwrap_or_else(Type::any))));
        };
        let mut fields = Vec::with_capacity(props.len());
        for (name, ps) in props {
            let fptr = format!("{ptr}/properties/{}", esc(name));
            let ty = self.ty(ps, &fptr, &format!("{hint} {name}"), depth + 1);
            let ro = ps.get("readOnly") == Some(&Value::Bool(true));
            let wo = ps.get("writeOnly") == Some(&Value::Bool(true));
            fields.push(Field {
                name: name.clone(),
                ty,
                required: required.contains(name.as_str()) && !ro && !wo,
                docs: docs_of(ps),
            });
        }
        Shape::Def(TypeDef::Object(ObjectDef { fields, additional }))
    }

    fn multi_type_shape(
        &mut self,
        o: &Map<String, Value>,
        types: &[Value],
        ptr: &str,
        hint: &str,
        depth: usize,
    ) -> Shape {
        let mut variants: Vec<Variant> = Vec::new();
        for (i, t) in types.iter().enumerate() {
            let Some(tname) = t.as_str() else {
                return Shape::Type(self.untyped(ptr, "`type` array holds a non-string"));
            };
            let mut one = o.clone();
            one.insert("type".into(), Value::String(tname.to_string()));
            one.remove("nullable");
            let ty = self.ty(
                &Value::Object(one),
                &format!("{ptr}/type/{i}"),
                &format!("{hint} {tname}"),
                depth + 1,
            );
            if !variants.iter().any(|v| v.ty == ty) {
                variants.push(Variant {
                    name: tname.to_string(),
                    ty,
                    tags: Vec::new(),
                });
            }
        }
        finish_union(variants, None)
    }

    fn enum_shape(
        &mut self,
        o: &Map<String, Value>,
        values: &[Value],
        ptr: &str,
        hint: &str,
        nullable: bool,
    ) -> (Shape, bool) {
        let nullable = nullable || values.iter().any(Value::is_null);
        let declared = o.get("type").and_then(Value::as_str);
        let names = string_array(o.get("x-enum-varnames").or_else(|| o.get("x-enumNames")));
        let descs = string_array(
            o.get("x-enum-descriptions")
                .or_else(|| o.get("x-enumDescriptions")),
        );
        let names = names.filter(|n| n.len() == values.len());
        let descs = descs.filter(|d| d.len() == values.len());
        let items: Vec<(usize, &Value)> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_null())
            .collect();
        if items.is_empty() {
            return (Shape::Type(Type::any()), true);
        }
        let all = |f: fn(&Value) -> bool| items.iter().all(|(_, v)| f(v));
        let all_scalar = all(|v| v.is_string() || v.is_number() || v.is_boolean());
        let repr = if all(Value::is_string) || (declared == Some("string") && all_scalar) {
            EnumRepr::String
        } else if all(|v| v.as_i64().is_some())
            || (declared == Some("integer")
                && all(|v| v.as_str().is_some_and(|s| s.parse::<i64>().is_ok())))
        {
            EnumRepr::Integer
        } else if all(Value::is_boolean) {
            return (Shape::Type(Type::Primitive(Primitive::Boolean)), nullable);
        } else if all(Value::is_number) {
            return (Shape::Type(Type::Primitive(Primitive::Number)), nullable);
        } else if declared.is_some() {
            // The values cannot all be typed; the declared type still can.
            let mut rest = o.clone();
            rest.remove("enum");
            rest.remove("const");
            self.diag(
                Severity::Note,
                DiagnosticKind::Ignored,
                ptr,
                "`enum` mixes values of different types; typed by `type` alone",
            );
            let (s, n) = self.shape(&Value::Object(rest), ptr, hint, 1);
            return (s, nullable || n);
        } else {
            let t = self.untyped(ptr, "`enum` mixes values of different types");
            return (Shape::Type(t), nullable);
        };
        let mut out: Vec<EnumValue> = Vec::with_capacity(items.len());
        for (i, v) in items {
            let value = match repr {
                EnumRepr::String => EnumLiteral::String(scalar_text(v).unwrap_or_default()),
                EnumRepr::Integer => EnumLiteral::Integer(
                    v.as_i64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                        .unwrap_or_default(),
                ),
            };
            if out.iter().any(|e| e.value == value) {
                continue;
            }
            out.push(EnumValue {
                value,
                name: names.as_ref().and_then(|n| n.get(i).cloned()),
                description: descs.as_ref().and_then(|d| d.get(i).cloned()),
            });
        }
        (
            Shape::Def(TypeDef::Enum(EnumDef { repr, values: out })),
            nullable,
        )
    }

    /// `oneOf`/`anyOf`. `None` when the members only add constraints (the
    /// union is then ignored and the rest of the schema lowered).
    fn union_shape(
        &mut self,
        o: &Map<String, Value>,
        key: &str,
        members: &[Value],
        ptr: &str,
        hint: &str,
        depth: usize,
    ) -> Option<(Shape, bool)> {
        if !members.iter().any(is_structural) {
            return None;
        }
        let own_props = matches!(o.get("properties"), Some(Value::Object(p)) if !p.is_empty());
        if own_props {
            let mut rest = o.clone();
            rest.remove("oneOf");
            rest.remove("anyOf");
            // Alternatives that are objects refine the common properties: add
            // their properties as optional fields.
            if let Some(extra) = self.member_properties(members, ptr, key, depth) {
                if let Some(Value::Object(props)) = rest.get_mut("properties") {
                    for (k, v) in extra {
                        props.entry(k).or_insert(v);
                    }
                }
                self.diag(
                    Severity::Note,
                    DiagnosticKind::Ignored,
                    &format!("{ptr}/{key}"),
                    format!("`{key}` beside `properties`: the alternatives' properties are typed as optional fields"),
                );
                return Some(self.shape(&Value::Object(rest), ptr, hint, depth + 1));
            }
            rest.insert("additionalProperties".into(), Value::Bool(true));
            self.diag(
                Severity::Warning,
                DiagnosticKind::Untyped,
                &format!("{ptr}/{key}"),
                format!("`{key}` beside `properties`: the common properties are typed, the alternatives are kept as untyped extra properties"),
            );
            let (s, n) = self.shape(&Value::Object(rest), ptr, hint, depth + 1);
            return Some((s, n));
        }

        let disc = o
            .get("discriminator")
            .and_then(|d| d.get("propertyName"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let mapping: Vec<(String, String)> = o
            .get("discriminator")
            .and_then(|d| d.get("mapping"))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(tag, target)| {
                        target
                            .as_str()
                            .and_then(ref_pointer)
                            .map(|p| (tag.clone(), p))
                    })
                    .collect()
            })
            .unwrap_or_default();

        let mut nullable = false;
        let mut variants: Vec<Variant> = Vec::new();
        let mut tagged_ok = disc.is_some();
        for (i, m) in members.iter().enumerate() {
            if !is_structural(m) {
                continue;
            }
            let mptr = format!("{ptr}/{key}/{i}");
            let reference = m.get("$ref").and_then(Value::as_str);
            let title = m
                .get("title")
                .and_then(Value::as_str)
                .filter(|t| !t.trim().is_empty());
            let child_hint = match title {
                Some(t) => format!("{hint} {t}"),
                None => format!("{hint} variant {}", i + 1),
            };
            let t = self.ty(m, &mptr, &child_hint, depth + 1);
            let t = match t {
                Type::Nullable(inner) => {
                    nullable = true;
                    *inner
                }
                t => t,
            };
            let name = match (reference, title) {
                (Some(r), _) => ref_name(r),
                (None, Some(t)) => t.to_string(),
                (None, None) => self.kind_name(&t),
            };
            let mut tags = Vec::new();
            if let Some(prop) = &disc {
                match reference {
                    Some(r) => {
                        let target = ref_pointer(r);
                        tags.extend(
                            mapping
                                .iter()
                                .filter(|(_, p)| Some(p) == target.as_ref())
                                .map(|(tag, _)| tag.clone()),
                        );
                        if tags.is_empty() {
                            tags.push(ref_name(r));
                        }
                    }
                    None => {
                        let inline_tag = m
                            .get("properties")
                            .and_then(|p| p.get(prop))
                            .and_then(|p| p.get("enum").or_else(|| p.get("const")))
                            .and_then(|e| match e {
                                Value::Array(a) if a.len() == 1 => a[0].as_str(),
                                Value::String(s) => Some(s.as_str()),
                                _ => None,
                            });
                        match inline_tag {
                            Some(t) => tags.push(t.to_string()),
                            None => tagged_ok = false,
                        }
                    }
                }
            }
            if let Some(existing) = variants.iter_mut().find(|v| v.ty == t) {
                for tag in tags {
                    if !existing.tags.contains(&tag) {
                        existing.tags.push(tag);
                    }
                }
                continue;
            }
            variants.push(Variant { name, ty: t, tags });
        }
        if let Some(prop) = &disc {
            let mut seen = HashSet::new();
            let unique = variants
                .iter()
                .flat_map(|v| v.tags.iter())
                .all(|t| seen.insert(t.clone()));
            if !tagged_ok || !unique || variants.iter().any(|v| v.tags.is_empty()) {
                self.diag(
                    Severity::Note,
                    DiagnosticKind::Invalid,
                    &format!("{ptr}/discriminator"),
                    format!("discriminator {prop:?} does not select every variant by a unique value; the union is untagged"),
                );
                tagged_ok = false;
            }
        }
        if !tagged_ok {
            for v in &mut variants {
                v.tags.clear();
            }
        }
        let disc = if tagged_ok { disc } else { None };
        Some((finish_union(variants, disc), nullable))
    }

    /// The properties of every member of a union, when every member is an
    /// object (or only adds constraints); `None` otherwise.
    fn member_properties(
        &mut self,
        members: &[Value],
        ptr: &str,
        key: &str,
        depth: usize,
    ) -> Option<Map<String, Value>> {
        let mut out = Map::new();
        for (i, m) in members.iter().enumerate() {
            let mut parts = Parts::default();
            let mut visited = HashSet::new();
            self.collect(
                m,
                format!("{ptr}/{key}/{i}"),
                &mut parts,
                &mut visited,
                depth + 1,
            );
            if parts.lossy || !parts.scalars.is_empty() || parts.additional.is_some() {
                return None;
            }
            for (name, (v, _)) in parts.props {
                out.entry(name).or_insert_with(|| v.clone());
            }
        }
        Some(out)
    }

    /// A short name for a union variant of type `t`.
    fn kind_name(&self, t: &Type) -> String {
        match t {
            Type::Primitive(p) => match p {
                Primitive::String => "String",
                Primitive::I32 | Primitive::I64 => "Integer",
                Primitive::Number => "Number",
                Primitive::Boolean => "Boolean",
                Primitive::Bytes => "Bytes",
                Primitive::Binary => "Binary",
                Primitive::DateTime => "DateTime",
                Primitive::Date => "Date",
                Primitive::Uuid => "Uuid",
            }
            .to_string(),
            Type::Array(inner) => format!("{} list", self.kind_name(inner)),
            Type::Map(_) => "Map".to_string(),
            Type::Nullable(inner) => self.kind_name(inner),
            Type::Any { .. } => "Value".to_string(),
            Type::Ref(id) => match &self.types[id.0] {
                d if d.origin == Origin::Component => d.name.clone(),
                d => match &d.def {
                    TypeDef::Object(_) => "Object".to_string(),
                    TypeDef::Enum(_) => "Enum".to_string(),
                    TypeDef::Union(_) => "Union".to_string(),
                    TypeDef::Alias(t) => self.kind_name(t),
                },
            },
        }
    }

    fn all_of_shape(
        &mut self,
        o: &Map<String, Value>,
        members: &[Value],
        ptr: &str,
        hint: &str,
        depth: usize,
    ) -> (Shape, bool) {
        let structural: Vec<(usize, &Value)> = members
            .iter()
            .enumerate()
            .filter(|(_, m)| is_structural(m))
            .collect();
        let own = ["properties", "additionalProperties", "patternProperties"]
            .iter()
            .any(|k| o.contains_key(*k));
        if structural.is_empty() && !own {
            let mut rest = o.clone();
            rest.remove("allOf");
            return self.shape(&Value::Object(rest), ptr, hint, depth + 1);
        }
        if structural.len() == 1 && !own {
            let (i, m) = structural[0];
            return self.shape(m, &format!("{ptr}/allOf/{i}"), hint, depth + 1);
        }

        let mut parts = Parts::default();
        let mut visited = HashSet::new();
        visited.insert(ptr.to_string());
        for (i, m) in members.iter().enumerate() {
            self.collect(
                m,
                format!("{ptr}/allOf/{i}"),
                &mut parts,
                &mut visited,
                depth + 1,
            );
        }
        let mut own_schema = o.clone();
        own_schema.remove("allOf");
        let own_value = Value::Object(own_schema);
        self.collect(
            &own_value,
            ptr.to_string(),
            &mut parts,
            &mut visited,
            depth + 1,
        );

        if parts.props.is_empty() && !parts.object_seen {
            if let Some((s, sptr)) = parts.scalars.first().cloned() {
                return self.shape(s, &sptr, hint, depth + 1);
            }
        }
        if !parts.scalars.is_empty() && (!parts.props.is_empty() || parts.object_seen) {
            self.diag(
                Severity::Warning,
                DiagnosticKind::Invalid,
                ptr,
                "`allOf` mixes an object with a non-object schema; the non-object part is ignored",
            );
        }
        let mut additional = match parts.additional.clone() {
            Some((s, sptr)) => Some(self.ty(
                s,
                &format!("{sptr}/additionalProperties"),
                &format!("{hint} value"),
                depth + 1,
            )),
            None if parts.additional_any => Some(Type::any()),
            None => None,
        };
        if parts.lossy {
            self.diag(
                Severity::Warning,
                DiagnosticKind::Untyped,
                ptr,
                "`allOf` member with `oneOf`/`anyOf` (or an unresolvable part): its properties are kept as untyped extra properties",
            );
            additional = Some(Type::any());
        }
        if parts.props.is_empty() && additional.is_some() {
            return (
                Shape::Type(Type::Map(Box::new(additional.unwrap_or_else(Type::any)))),
                false,
            );
        }
        if parts.props.is_empty() {
            return (Shape::Type(Type::Map(Box::new(Type::any()))), false);
        }
        let mut fields = Vec::with_capacity(parts.props.len());
        for (name, (ps, pptr)) in &parts.props {
            let ty = self.ty(ps, pptr, &format!("{hint} {name}"), depth + 1);
            let ro = ps.get("readOnly") == Some(&Value::Bool(true));
            let wo = ps.get("writeOnly") == Some(&Value::Bool(true));
            fields.push(Field {
                name: name.clone(),
                ty,
                required: parts.required.contains(name) && !ro && !wo,
                docs: docs_of(ps),
            });
        }
        (
            Shape::Def(TypeDef::Object(ObjectDef { fields, additional })),
            false,
        )
    }

    /// Gathers the object parts of an `allOf` member, following `$ref`s.
    fn collect<'v>(
        &mut self,
        m: &'v Value,
        mptr: String,
        parts: &mut Parts<'v>,
        visited: &mut HashSet<String>,
        depth: usize,
    ) where
        'a: 'v,
    {
        if depth > MAX_DEPTH {
            parts.lossy = true;
            return;
        }
        let Some(o) = m.as_object() else {
            return;
        };
        if let Some(r) = o.get("$ref").and_then(Value::as_str) {
            match self.resolve(r, &mptr) {
                Some((t, tptr)) => {
                    if visited.insert(tptr.clone()) {
                        self.collect(t, tptr, parts, visited, depth + 1);
                    }
                }
                None => parts.lossy = true,
            }
            return;
        }
        if let Some(Value::Array(all)) = o.get("allOf") {
            for (i, s) in all.iter().enumerate() {
                self.collect(s, format!("{mptr}/allOf/{i}"), parts, visited, depth + 1);
            }
        }
        if let Some(Value::Object(props)) = o.get("properties") {
            parts.object_seen = true;
            for (name, ps) in props {
                let pptr = format!("{mptr}/properties/{}", esc(name));
                parts.props.insert(name.clone(), (ps, pptr));
            }
        }
        if let Some(Value::Array(req)) = o.get("required") {
            parts
                .required
                .extend(req.iter().filter_map(Value::as_str).map(str::to_string));
        }
        match o.get("additionalProperties") {
            Some(Value::Bool(true)) => parts.additional_any = true,
            Some(s @ Value::Object(m)) => {
                if m.is_empty() {
                    parts.additional_any = true;
                } else {
                    parts.additional = Some((s, mptr.clone()));
                }
            }
            _ => {}
        }
        let t = o.get("type").and_then(Value::as_str);
        if t == Some("object") || o.contains_key("additionalProperties") {
            parts.object_seen = true;
        }
        for key in ["oneOf", "anyOf"] {
            let Some(Value::Array(members)) = o.get(key) else {
                continue;
            };
            if !members.iter().any(is_structural) {
                continue;
            }
            // Alternatives that are all objects add their properties as
            // optional fields; anything else cannot be merged.
            for (i, m) in members.iter().enumerate() {
                let mut sub = Parts::default();
                self.collect(m, format!("{mptr}/{key}/{i}"), &mut sub, visited, depth + 1);
                if sub.lossy || !sub.scalars.is_empty() {
                    parts.lossy = true;
                }
                parts.object_seen |= sub.object_seen;
                for (name, v) in sub.props {
                    parts.props.entry(name).or_insert(v);
                }
            }
        }
        let scalar = matches!(t, Some(t) if t != "object")
            || (o.contains_key("enum") && !o.contains_key("properties"))
            || matches!(o.get("type"), Some(Value::Array(_)));
        if scalar && !o.contains_key("properties") {
            parts.scalars.push((m, mptr));
        }
    }
}

fn finish_union(mut variants: Vec<Variant>, discriminator: Option<String>) -> Shape {
    match variants.len() {
        0 => Shape::Type(Type::any()),
        1 => Shape::Type(variants.remove(0).ty),
        _ => {
            // Untyped alternatives last: they accept anything.
            variants.sort_by_key(|v| matches!(v.ty, Type::Any { .. }));
            Shape::Def(TypeDef::Union(UnionDef {
                variants,
                discriminator,
            }))
        }
    }
}

fn non_empty_array(v: Option<&Value>) -> Option<&[Value]> {
    match v {
        Some(Value::Array(a)) if !a.is_empty() => Some(a.as_slice()),
        _ => None,
    }
}

fn string_array(v: Option<&Value>) -> Option<Vec<String>> {
    match v {
        Some(Value::Array(a)) => a.iter().map(|s| s.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

fn string_primitive(o: &Map<String, Value>, format: &str) -> Primitive {
    match format {
        "date-time" => Primitive::DateTime,
        "date" => Primitive::Date,
        "uuid" => Primitive::Uuid,
        "byte" => Primitive::Bytes,
        "binary" => Primitive::Binary,
        _ if o.get("contentEncoding").and_then(Value::as_str) == Some("base64") => Primitive::Bytes,
        _ => Primitive::String,
    }
}
