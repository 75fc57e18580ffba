//! `src/models.rs`: one Rust item per declaration.

use std::fmt::Write;

use super::ctx::Ctx;
use super::text::{code, lit, write_doc};
use crate::emit::common::docs_paragraphs;
use crate::ir::{EnumDef, EnumLiteral, EnumRepr, ObjectDef, Type, TypeDecl, TypeDef, UnionDef};
use crate::naming::rust::unraw;

const DERIVE_SERDE: &str = "::serde::Serialize, ::serde::Deserialize";

pub(crate) fn emit(ctx: &Ctx<'_>) -> String {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("//! Data types of the API.\n\n");
    for decl in &ctx.api.types {
        let name = &ctx.type_names[decl.id.0];
        let mut paras = docs_paragraphs(&decl.docs);
        paras.push(format!("Schema {}.", code(&format!("#{}", decl.pointer))));
        write_doc(&mut out, "", &paras);
        match &decl.def {
            TypeDef::Object(o) => object(ctx, &mut out, decl, name, o),
            TypeDef::Enum(e) => match e.repr {
                EnumRepr::String => string_enum(ctx, &mut out, decl, name, e),
                EnumRepr::Integer => integer_enum(ctx, &mut out, decl, name, e),
            },
            TypeDef::Union(u) => match &u.discriminator {
                Some(prop) => tagged_union(ctx, &mut out, decl, name, u, prop),
                None => untagged_union(ctx, &mut out, decl, name, u),
            },
            TypeDef::Alias(t) => {
                if ctx.newtype[decl.id.0] {
                    let derive_default = if ctx.defaultable[decl.id.0] {
                        ", Default"
                    } else {
                        ""
                    };
                    let boxed = ctx.needs_box(decl.id, t);
                    let _ = writeln!(
                        out,
                        "#[derive(Debug, Clone, PartialEq{derive_default}, {DERIVE_SERDE})]\n\
                         #[serde(transparent)]\n\
                         pub struct {name}(pub {});",
                        ctx.boxed_ty(t, "", boxed)
                    );
                } else {
                    let _ = writeln!(out, "pub type {name} = {};", ctx.ty(t, ""));
                }
            }
        }
        out.push('\n');
    }
    out
}

fn object(ctx: &Ctx<'_>, out: &mut String, decl: &TypeDecl, name: &str, o: &ObjectDef) {
    let names = &ctx.member_names[decl.id.0];
    let derive_default = if ctx.defaultable[decl.id.0] {
        ", Default"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, PartialEq{derive_default}, {DERIVE_SERDE})]\npub struct {name} {{"
    );
    for (i, f) in o.fields.iter().enumerate() {
        let fname = &names[i];
        write_doc(out, "    ", &docs_paragraphs(&f.docs));
        if unraw(fname) != f.name {
            let _ = writeln!(out, "    #[serde(rename = {})]", lit(&f.name));
        }
        let boxed = ctx.needs_box(decl.id, &f.ty);
        let ty = if f.required {
            ctx.boxed_ty(&f.ty, "", boxed)
        } else {
            out.push_str(
                "    #[serde(default, skip_serializing_if = \"::std::option::Option::is_none\")]\n",
            );
            format!(
                "::std::option::Option<{}>",
                ctx.boxed_ty(f.ty.non_null(), "", boxed)
            )
        };
        let _ = writeln!(out, "    pub {fname}: {ty},");
    }
    if let Some(extra) = &o.additional {
        let fname = &names[o.fields.len()];
        out.push_str("    /// Properties not listed above.\n");
        out.push_str("    #[serde(flatten)]\n");
        let ty = match extra {
            Type::Any { .. } => {
                "::serde_json::Map<::std::string::String, ::serde_json::Value>".to_string()
            }
            t => format!(
                "::std::collections::BTreeMap<::std::string::String, {}>",
                ctx.ty(t, "")
            ),
        };
        let _ = writeln!(out, "    pub {fname}: {ty},");
    }
    out.push_str("}\n");
}

fn string_enum(ctx: &Ctx<'_>, out: &mut String, decl: &TypeDecl, name: &str, e: &EnumDef) {
    let names = &ctx.member_names[decl.id.0];
    let unknown = &names[e.values.len()];
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, PartialEq, Eq, Hash, {DERIVE_SERDE})]\npub enum {name} {{"
    );
    let mut arms = String::new();
    for (i, v) in e.values.iter().enumerate() {
        let EnumLiteral::String(s) = &v.value else {
            continue;
        };
        let vname = &names[i];
        let mut paras = vec![code(s)];
        if let Some(d) = &v.description {
            paras.push(d.clone());
        }
        write_doc(out, "    ", &paras);
        let _ = writeln!(out, "    #[serde(rename = {})]\n    {vname},", lit(s));
        let _ = writeln!(arms, "            Self::{vname} => {},", lit(s));
    }
    let _ = writeln!(
        out,
        "    /// A value this client does not know (added to the API later).\n\
         \x20   #[serde(untagged)]\n\
         \x20   {unknown}(::std::string::String),\n}}\n"
    );
    let _ = writeln!(
        out,
        "impl {name} {{\n\
         \x20   /// The value on the wire.\n\
         \x20   pub fn as_str(&self) -> &str {{\n\
         \x20       match self {{\n\
         {arms}\
         \x20           Self::{unknown}(v) => v.as_str(),\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n\n\
         impl ::std::fmt::Display for {name} {{\n\
         \x20   fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{\n\
         \x20       f.write_str(self.as_str())\n\
         \x20   }}\n\
         }}"
    );
}

fn integer_enum(ctx: &Ctx<'_>, out: &mut String, decl: &TypeDecl, name: &str, e: &EnumDef) {
    let names = &ctx.member_names[decl.id.0];
    let unknown = &names[e.values.len()];
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum {name} {{"
    );
    let mut to = String::new();
    let mut from = String::new();
    for (i, v) in e.values.iter().enumerate() {
        let EnumLiteral::Integer(n) = &v.value else {
            continue;
        };
        let vname = &names[i];
        let mut paras = vec![code(&n.to_string())];
        if let Some(d) = &v.description {
            paras.push(d.clone());
        }
        write_doc(out, "    ", &paras);
        let _ = writeln!(out, "    {vname},");
        let _ = writeln!(to, "            Self::{vname} => {n},");
        let _ = writeln!(from, "            {n} => Self::{vname},");
    }
    let _ = writeln!(
        out,
        "    /// A value this client does not know (added to the API later).\n\
         \x20   {unknown}(i64),\n}}\n"
    );
    let _ = writeln!(
        out,
        "impl {name} {{\n\
         \x20   /// The value on the wire.\n\
         \x20   pub fn value(&self) -> i64 {{\n\
         \x20       match self {{\n\
         {to}\
         \x20           Self::{unknown}(v) => *v,\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n\n\
         impl ::std::fmt::Display for {name} {{\n\
         \x20   fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{\n\
         \x20       ::std::write!(f, \"{{}}\", self.value())\n\
         \x20   }}\n\
         }}\n\n\
         impl ::serde::Serialize for {name} {{\n\
         \x20   fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {{\n\
         \x20       serializer.serialize_i64(self.value())\n\
         \x20   }}\n\
         }}\n\n\
         impl<'de> ::serde::Deserialize<'de> for {name} {{\n\
         \x20   fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {{\n\
         \x20       let value = <i64 as ::serde::Deserialize>::deserialize(deserializer)?;\n\
         \x20       ::std::result::Result::Ok(match value {{\n\
         {from}\
         \x20           other => Self::{unknown}(other),\n\
         \x20       }})\n\
         \x20   }}\n\
         }}"
    );
}

fn untagged_union(ctx: &Ctx<'_>, out: &mut String, decl: &TypeDecl, name: &str, u: &UnionDef) {
    let names = &ctx.member_names[decl.id.0];
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, PartialEq, {DERIVE_SERDE})]\n#[serde(untagged)]\npub enum {name} {{"
    );
    for (i, v) in u.variants.iter().enumerate() {
        let boxed = ctx.needs_box(decl.id, &v.ty);
        let _ = writeln!(out, "    {}({}),", names[i], ctx.boxed_ty(&v.ty, "", boxed));
    }
    out.push_str("}\n");
}

fn tagged_union(
    ctx: &Ctx<'_>,
    out: &mut String,
    decl: &TypeDecl,
    name: &str,
    u: &UnionDef,
    prop: &str,
) {
    let names = &ctx.member_names[decl.id.0];
    let unknown = &names[u.variants.len()];
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, PartialEq)]\npub enum {name} {{"
    );
    let mut ser = String::new();
    let mut de = String::new();
    for (i, v) in u.variants.iter().enumerate() {
        let vname = &names[i];
        let boxed = ctx.needs_box(decl.id, &v.ty);
        let tags: Vec<String> = v.tags.iter().map(|t| code(t)).collect();
        write_doc(
            out,
            "    ",
            &[format!("{} is {}.", code(prop), tags.join(" or "))],
        );
        let _ = writeln!(out, "    {vname}({}),", ctx.boxed_ty(&v.ty, "", boxed));
        let first = v.tags.first().map(String::as_str).unwrap_or_default();
        let _ = writeln!(
            ser,
            "            Self::{vname}(v) => crate::support::serialize_tagged(serializer, {}, {}, v),",
            lit(prop),
            lit(first)
        );
        let pattern: Vec<String> = v.tags.iter().map(|t| format!("Some({})", lit(t))).collect();
        let wrap = if boxed {
            format!("|v| Self::{vname}(::std::boxed::Box::new(v))")
        } else {
            format!("Self::{vname}")
        };
        let _ = writeln!(
            de,
            "            {} => crate::support::from_value::<{}, D::Error>(value).map({wrap}),",
            pattern.join(" | "),
            ctx.ty(&v.ty, "")
        );
    }
    let _ = writeln!(
        out,
        "    /// A variant this client does not know (added to the API later).\n\
         \x20   {unknown}(::serde_json::Value),\n}}\n"
    );
    let _ = writeln!(
        out,
        "impl ::serde::Serialize for {name} {{\n\
         \x20   fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {{\n\
         \x20       match self {{\n\
         {ser}\
         \x20           Self::{unknown}(v) => ::serde::Serialize::serialize(v, serializer),\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n\n\
         impl<'de> ::serde::Deserialize<'de> for {name} {{\n\
         \x20   fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {{\n\
         \x20       let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;\n\
         \x20       let tag = value.get({}).and_then(::serde_json::Value::as_str).map(::std::borrow::ToOwned::to_owned);\n\
         \x20       match tag.as_deref() {{\n\
         {de}\
         \x20           _ => ::std::result::Result::Ok(Self::{unknown}(value)),\n\
         \x20       }}\n\
         \x20   }}\n\
         }}",
        lit(prop)
    );
}
