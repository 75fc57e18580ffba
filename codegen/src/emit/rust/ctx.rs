//! What the Rust emitter works out before writing: identifiers for every
//! type, field and variant; which fields need a `Box` (recursive types);
//! which aliases must be newtypes (recursive aliases); which structs can
//! derive `Default`.

use crate::graph::scc;
use crate::ir::{Api, EnumLiteral, Primitive, Type, TypeDef, TypeId};
use crate::naming::{ident, rust, Case, Scope};

pub(crate) struct Ctx<'a> {
    pub api: &'a Api,
    /// Type name per declaration.
    pub type_names: Vec<String>,
    /// Object: one per field, then the flattened extra-properties field.
    /// Enum: one per value, then the unknown-value variant. Union: one per
    /// variant, then (tagged only) the unknown variant.
    pub member_names: Vec<Vec<String>>,
    /// Aliases emitted as newtype structs (they are recursive).
    pub newtype: Vec<bool>,
    /// Strongly connected component of each declaration in the by-value graph.
    comp: Vec<usize>,
    /// Can derive `Default`.
    pub defaultable: Vec<bool>,
}

/// Identifier for an enum variant.
pub(crate) fn variant_in(scope: &mut Scope, raw: &str, fallback: &str) -> String {
    let mut base = ident(raw, Case::UpperCamel, fallback, "V");
    if base == "Self" {
        base.push_str("Value");
    }
    scope.unique(&base, "")
}

/// Names `raw` in a scope, giving names that are already identifiers in
/// `case` (`foo_bar` among `fooBar` and `foo-bar`) the first pick, so the
/// numbered suffixes go to the names that had to be converted.
fn natural_first(raw: &[&str], case: Case, mut name: impl FnMut(&str) -> String) -> Vec<String> {
    let mut out = vec![String::new(); raw.len()];
    let natural = |r: &str| ident(r, case, "_", "_") == r;
    for pass in [true, false] {
        for (i, r) in raw.iter().enumerate() {
            if natural(r) == pass {
                out[i] = name(r);
            }
        }
    }
    out
}

/// Declarations referred to by value (not behind a `Vec` or a map).
fn value_refs(t: &Type, out: &mut Vec<usize>) {
    match t {
        Type::Ref(id) => out.push(id.0),
        Type::Nullable(inner) => value_refs(inner, out),
        _ => {}
    }
}

/// Every declaration referred to, anywhere in the type.
fn all_refs(t: &Type, out: &mut Vec<usize>) {
    match t {
        Type::Ref(id) => out.push(id.0),
        Type::Nullable(inner) | Type::Array(inner) | Type::Map(inner) => all_refs(inner, out),
        _ => {}
    }
}

impl<'a> Ctx<'a> {
    pub fn new(api: &'a Api, client: &str) -> Ctx<'a> {
        let n = api.types.len();
        let mut type_scope = Scope::with_reserved([client]);
        let raw: Vec<&str> = api.types.iter().map(|d| d.name.as_str()).collect();
        let type_names = natural_first(&raw, Case::UpperCamel, |raw| {
            rust::camel_in(&mut type_scope, raw, "Unnamed", "Model")
        });

        let member_names = api
            .types
            .iter()
            .map(|d| match &d.def {
                TypeDef::Object(o) => {
                    let mut s = Scope::new();
                    let raw: Vec<&str> = o.fields.iter().map(|f| f.name.as_str()).collect();
                    let mut names = natural_first(&raw, Case::Snake, |raw| {
                        rust::snake_in(&mut s, raw, "field")
                    });
                    if o.additional.is_some() {
                        names.push(rust::snake_in(&mut s, "additional_properties", "extra"));
                    }
                    names
                }
                TypeDef::Enum(e) => {
                    let mut s = Scope::new();
                    let raw: Vec<String> = e
                        .values
                        .iter()
                        .map(|v| match (&v.name, &v.value) {
                            (Some(n), _) => n.clone(),
                            (None, EnumLiteral::String(s)) => s.clone(),
                            (None, EnumLiteral::Integer(i)) => i.to_string(),
                        })
                        .collect();
                    let raw: Vec<&str> = raw.iter().map(String::as_str).collect();
                    let mut names = natural_first(&raw, Case::UpperCamel, |raw| {
                        variant_in(&mut s, raw, "Empty")
                    });
                    names.push(variant_in(&mut s, "Unknown", "Unknown"));
                    names
                }
                TypeDef::Union(u) => {
                    let mut s = Scope::new();
                    let mut names: Vec<String> = u
                        .variants
                        .iter()
                        .map(|v| variant_in(&mut s, &v.name, "Variant"))
                        .collect();
                    if u.discriminator.is_some() {
                        names.push(variant_in(&mut s, "Unknown", "Unknown"));
                    }
                    names
                }
                TypeDef::Alias(_) => Vec::new(),
            })
            .collect();

        // Aliases that refer to themselves through other aliases cannot be
        // `type` aliases: they become newtypes.
        let alias_edges = |i: usize| -> Vec<usize> {
            match &api.types[i].def {
                TypeDef::Alias(t) => {
                    let mut refs = Vec::new();
                    all_refs(t, &mut refs);
                    refs.retain(|r| matches!(api.types[*r].def, TypeDef::Alias(_)));
                    refs
                }
                _ => Vec::new(),
            }
        };
        let alias_comp = scc(n, &alias_edges);
        let mut comp_size = vec![0usize; n];
        for &c in &alias_comp {
            comp_size[c] += 1;
        }
        let newtype: Vec<bool> = (0..n)
            .map(|i| {
                matches!(api.types[i].def, TypeDef::Alias(_))
                    && (comp_size[alias_comp[i]] > 1 || alias_edges(i).contains(&i))
            })
            .collect();

        let value_edges = |i: usize| -> Vec<usize> {
            let mut refs = Vec::new();
            match &api.types[i].def {
                TypeDef::Object(o) => o.fields.iter().for_each(|f| value_refs(&f.ty, &mut refs)),
                TypeDef::Union(u) => u.variants.iter().for_each(|v| value_refs(&v.ty, &mut refs)),
                TypeDef::Alias(t) => value_refs(t, &mut refs),
                TypeDef::Enum(_) => {}
            }
            refs
        };
        let comp = scc(n, &value_edges);

        let mut ctx = Ctx {
            api,
            type_names,
            member_names,
            newtype,
            comp,
            defaultable: vec![false; n],
        };
        let mut state = vec![0u8; n]; // 0 = unknown, 1 = visiting, 2 = done
        for i in 0..n {
            ctx.compute_default(i, &mut state);
        }
        ctx
    }

    fn compute_default(&mut self, i: usize, state: &mut [u8]) -> bool {
        match state[i] {
            1 => return false,
            2 => return self.defaultable[i],
            _ => {}
        }
        state[i] = 1;
        let api = self.api;
        let result = match &api.types[i].def {
            TypeDef::Object(o) => o
                .fields
                .iter()
                .filter(|f| f.required)
                .all(|f| self.type_default(&f.ty, state)),
            TypeDef::Alias(t) => self.type_default(t, state),
            TypeDef::Enum(_) | TypeDef::Union(_) => false,
        };
        self.defaultable[i] = result;
        state[i] = 2;
        result
    }

    fn type_default(&mut self, t: &Type, state: &mut [u8]) -> bool {
        match t {
            Type::Ref(id) => self.compute_default(id.0, state),
            _ => true,
        }
    }

    /// True when a member of `owner` of type `t` must be boxed.
    pub fn needs_box(&self, owner: TypeId, t: &Type) -> bool {
        let mut refs = Vec::new();
        value_refs(t, &mut refs);
        refs.iter().any(|r| self.comp[*r] == self.comp[owner.0])
    }

    /// The Rust type for `t`. `prefix` qualifies declared types
    /// (`""` inside `models`, `"crate::models::"` elsewhere).
    pub fn ty(&self, t: &Type, prefix: &str) -> String {
        match t {
            Type::Primitive(p) => primitive(*p).to_string(),
            Type::Array(inner) => format!("::std::vec::Vec<{}>", self.ty(inner, prefix)),
            Type::Map(inner) => match inner.as_ref() {
                Type::Any { .. } => {
                    "::serde_json::Map<::std::string::String, ::serde_json::Value>".to_string()
                }
                inner => format!(
                    "::std::collections::BTreeMap<::std::string::String, {}>",
                    self.ty(inner, prefix)
                ),
            },
            Type::Ref(id) => format!("{prefix}{}", self.type_names[id.0]),
            Type::Nullable(inner) => format!("::std::option::Option<{}>", self.ty(inner, prefix)),
            Type::Any { .. } => "::serde_json::Value".to_string(),
        }
    }

    /// Like [`Ctx::ty`], boxing the value when `boxed` (inside any `Option`).
    pub fn boxed_ty(&self, t: &Type, prefix: &str, boxed: bool) -> String {
        if !boxed {
            return self.ty(t, prefix);
        }
        match t {
            Type::Nullable(inner) => format!(
                "::std::option::Option<{}>",
                self.boxed_ty(inner, prefix, true)
            ),
            t => format!("::std::boxed::Box<{}>", self.ty(t, prefix)),
        }
    }
}

/// The Rust type of a primitive.
pub(crate) fn primitive(p: Primitive) -> &'static str {
    match p {
        Primitive::String
        | Primitive::Bytes
        | Primitive::Binary
        | Primitive::DateTime
        | Primitive::Date
        | Primitive::Uuid => "::std::string::String",
        Primitive::I32 => "i32",
        Primitive::I64 => "i64",
        Primitive::Number => "f64",
        Primitive::Boolean => "bool",
    }
}
