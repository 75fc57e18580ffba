//! `models.py`: a dataclass per object (`from_dict` / `to_dict`), an
//! `enum.Enum` per enum (unknown values kept), a type alias and a decoder per
//! union or alias.

use std::fmt::Write as _;

use super::ctx::{
    comment, docstring, lit, module_header, untyped_reason, value_name, Ctx, FIELD_RESERVED,
};
use crate::emit::common::docs_paragraphs;
use crate::ir::{Docs, EnumLiteral, EnumRepr, ObjectDef, TypeDef, UnionDef};
use crate::naming::{screaming_snake, words, Scope};

/// The text of `models.py`.
pub(super) fn models_py(ctx: &Ctx<'_>) -> String {
    let mut out = String::with_capacity(64 * 1024);
    module_header(&mut out, "Models", ctx.api);
    out.push_str("import dataclasses\nimport enum\nfrom typing import TYPE_CHECKING, Any, Optional, Union\n\n");
    out.push_str("from . import _support as _s\n\n");
    out.push_str("if TYPE_CHECKING:\n    from typing_extensions import TypeAlias\n\n");
    out.push_str("# Keep the typing names referenced (aliases may not need all of them).\n");
    out.push_str("_TYPING = (Optional, Union)\n");
    let mut aliases = String::new();
    for (i, decl) in ctx.api.types.iter().enumerate() {
        let name = &ctx.types[i];
        match &decl.def {
            TypeDef::Object(def) => object_class(ctx, &mut out, name, &decl.docs, def),
            TypeDef::Enum(def) => enum_class(&mut out, name, &decl.docs, def),
            TypeDef::Union(def) => union_alias(ctx, &mut aliases, i, &decl.docs, def),
            TypeDef::Alias(t) => {
                let decoder = ctx.decoders[i].as_deref().unwrap_or("decode");
                let _ = writeln!(aliases, "\n\n{name}: TypeAlias = {}", ctx.runtime(t));
                let mut body = String::new();
                docstring(&mut body, "", &docs_paragraphs(&decl.docs));
                if !body.is_empty() {
                    aliases.push_str(&body);
                }
                let _ = writeln!(
                    aliases,
                    "\n\ndef {decoder}(value: Any) -> {name}:\n    \"\"\"Decodes a `{name}` from JSON.\"\"\"\n    result: {name} = {}(value)\n    return result",
                    ctx.dec(t, "")
                );
            }
        }
    }
    out.push_str(&aliases);
    out
}

fn object_class(ctx: &Ctx<'_>, out: &mut String, name: &str, docs: &Docs, def: &ObjectDef) {
    let mut scope = Scope::with_reserved(FIELD_RESERVED.iter().copied());
    let fields: Vec<(String, &crate::ir::Field)> = def
        .fields
        .iter()
        .map(|f| (value_name(&mut scope, &f.name, "field", FIELD_RESERVED), f))
        .collect();
    let extra = def.additional.as_ref().map(|t| {
        (
            value_name(&mut scope, "additional_properties", "extra", FIELD_RESERVED),
            t,
        )
    });
    let _ = writeln!(out, "\n\n@dataclasses.dataclass\nclass {name}:");
    let mut paragraphs = docs_paragraphs(docs);
    if paragraphs.is_empty() {
        paragraphs.push(format!("The `{name}` object."));
    }
    docstring(out, "    ", &paragraphs);
    out.push('\n');
    // Required fields first: dataclass fields without defaults must lead.
    let ordered = fields
        .iter()
        .filter(|(_, f)| f.required)
        .chain(fields.iter().filter(|(_, f)| !f.required));
    for (py, f) in ordered {
        let mut ty = ctx.ann(&f.ty, "");
        let default = if f.required {
            ""
        } else {
            if ty != "Any" && !ty.ends_with("| None") {
                ty.push_str(" | None");
            }
            " = None"
        };
        let note = untyped_reason(&f.ty).map(comment).unwrap_or_default();
        let _ = writeln!(out, "    {py}: {ty}{default}{note}");
        let paragraphs = docs_paragraphs(&f.docs);
        if !paragraphs.is_empty() || *py != f.name {
            let mut p = paragraphs;
            if *py != f.name {
                p.push(format!("JSON name: `{}`.", f.name));
            }
            docstring(out, "    ", &p);
        }
    }
    if let Some((py, t)) = &extra {
        let _ = writeln!(
            out,
            "    {py}: dict[str, {}] = dataclasses.field(default_factory=dict)",
            ctx.ann(t, "")
        );
        docstring(
            out,
            "    ",
            &["Members not listed above, kept as received.".into()],
        );
    }
    // from_dict
    let _ = writeln!(
        out,
        "\n    @classmethod\n    def from_dict(cls, data: Any) -> {name}:"
    );
    let _ = writeln!(
        out,
        "        \"\"\"Decodes a `{name}` from JSON (raises `oncely.DecodeError`).\"\"\""
    );
    if fields.is_empty() && extra.is_none() {
        let _ = writeln!(out, "        _s.obj(data, {})", lit(name));
    } else {
        let _ = writeln!(out, "        d = _s.obj(data, {})", lit(name));
    }
    if let Some((py, t)) = &extra {
        let known: Vec<String> = fields.iter().map(|(_, f)| lit(&f.name)).collect();
        let _ = writeln!(
            out,
            "        known = {{{}}}",
            if known.is_empty() {
                "\"\"".to_string()
            } else {
                known.join(", ")
            }
        );
        let _ = writeln!(
            out,
            "        extra = {{k: {}(v) for k, v in d.items() if k not in known}}",
            ctx.dec(t, "")
        );
        let _ = py;
    }
    out.push_str("        return cls(\n");
    for (py, f) in &fields {
        let getter = if f.required {
            "_s.field"
        } else {
            "_s.optional_field"
        };
        let _ = writeln!(
            out,
            "            {py}={getter}(d, {}, {}),",
            lit(&f.name),
            ctx.dec(&f.ty, "")
        );
    }
    if let Some((py, _)) = &extra {
        let _ = writeln!(out, "            {py}=extra,");
    }
    out.push_str("        )\n");
    // to_dict
    let _ = writeln!(out, "\n    def to_dict(self) -> dict[str, Any]:");
    out.push_str("        \"\"\"The JSON object (members left as `None` are omitted unless required).\"\"\"\n");
    out.push_str("        out: dict[str, Any] = {}\n");
    if let Some((py, _)) = &extra {
        let _ = writeln!(out, "        out.update(_s.to_json(self.{py}))");
    }
    for (py, f) in &fields {
        if f.required {
            let _ = writeln!(out, "        out[{}] = _s.to_json(self.{py})", lit(&f.name));
        } else {
            let _ = writeln!(
                out,
                "        if self.{py} is not None:\n            out[{}] = _s.to_json(self.{py})",
                lit(&f.name)
            );
        }
    }
    out.push_str("        return out\n");
}

fn enum_class(out: &mut String, name: &str, docs: &Docs, def: &crate::ir::EnumDef) {
    let (base, new) = match def.repr {
        EnumRepr::String => ("str", "str"),
        EnumRepr::Integer => ("int", "int"),
    };
    let _ = writeln!(out, "\n\nclass {name}({base}, enum.Enum):");
    let mut paragraphs = docs_paragraphs(docs);
    paragraphs.push(
        "Values the API adds later decode as extra members (`UNKNOWN`) instead of failing.".into(),
    );
    docstring(out, "    ", &paragraphs);
    out.push('\n');
    let mut scope = Scope::with_reserved(["UNKNOWN", "MRO", "NAME", "VALUE"]);
    for v in &def.values {
        let raw = match (&v.name, &v.value) {
            (Some(n), _) => n.clone(),
            (None, EnumLiteral::String(s)) => s.clone(),
            (None, EnumLiteral::Integer(i)) => format!("v {i}"),
        };
        let mut member = screaming_snake(&words(&raw));
        if member.is_empty() {
            member = "EMPTY".into();
        }
        if member.starts_with(|c: char| c.is_ascii_digit()) {
            member.insert_str(0, "V_");
        }
        if member.starts_with('_') {
            member.insert(0, 'V');
        }
        let member = scope.unique(&member, "_");
        let value = match &v.value {
            EnumLiteral::String(s) => lit(s),
            EnumLiteral::Integer(i) => i.to_string(),
        };
        let _ = writeln!(out, "    {member} = {value}");
        if let Some(d) = &v.description {
            docstring(out, "    ", std::slice::from_ref(d));
        }
    }
    let check = match def.repr {
        EnumRepr::String => "not isinstance(value, str)",
        EnumRepr::Integer => "not isinstance(value, int) or isinstance(value, bool)",
    };
    let _ = writeln!(
        out,
        "\n    @classmethod\n    def _missing_(cls, value: object) -> {name} | None:\n        if {check}:\n            return None\n        member = {new}.__new__(cls, value)\n        member._name_ = \"UNKNOWN\"\n        member._value_ = value\n        return member"
    );
}

fn union_alias(ctx: &Ctx<'_>, out: &mut String, i: usize, docs: &Docs, def: &UnionDef) {
    let name = &ctx.types[i];
    let decoder = ctx.decoders[i].as_deref().unwrap_or("decode");
    let mut members: Vec<String> = Vec::new();
    for v in &def.variants {
        let t = ctx.runtime(&v.ty);
        if !members.contains(&t) {
            members.push(t);
        }
    }
    let alias = match members.len() {
        0 => "Any".to_string(),
        1 => members[0].clone(),
        _ => format!("Union[{}]", members.join(", ")),
    };
    let _ = writeln!(out, "\n\n{name}: TypeAlias = {alias}");
    docstring(out, "", &docs_paragraphs(docs));
    let _ = writeln!(out, "\n\ndef {decoder}(value: Any) -> {name}:");
    let _ = writeln!(
        out,
        "    \"\"\"Decodes a `{name}` from JSON: the first variant that fits.\"\"\""
    );
    if let Some(prop) = &def.discriminator {
        let mut table = Vec::new();
        for v in &def.variants {
            for tag in &v.tags {
                table.push(format!("{}: {}", lit(tag), ctx.dec(&v.ty, "")));
            }
        }
        let _ = writeln!(
            out,
            "    result: {name} = _s.tagged(value, {}, {}, {{{}}})\n    return result",
            lit(name),
            lit(prop),
            table.join(", ")
        );
    } else {
        let decs: Vec<String> = def.variants.iter().map(|v| ctx.dec(&v.ty, "")).collect();
        let _ = writeln!(
            out,
            "    result: {name} = _s.first_of(value, {}, [{}])\n    return result",
            lit(name),
            decs.join(", ")
        );
    }
}
