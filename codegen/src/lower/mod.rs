//! Spec → IR.
//!
//! [`build_ir`] walks the normalised document: it declares every component
//! schema first (so `$ref`s and recursion resolve to ids), lowers each one,
//! then every operation, hoisting inline object/enum/union schemas into named
//! declarations. Whatever it cannot type becomes [`Type::Any`] with a warning
//! [`Diagnostic`]; nothing panics and no operation is dropped. A final pass
//! ([`fixup`]) checks what needs the whole picture: discriminators whose
//! variants are not all objects, and `$ref` chains that loop.

mod fixup;
mod operation;
mod pagination;
mod schema;
mod webhook;

use std::collections::HashMap;

use serde_json::Value;

use crate::error::{CodegenError, Diagnostic, DiagnosticKind, Severity, UnresolvedRef};
use crate::ir::{Api, Docs, Origin, Type, TypeDecl, TypeDef, TypeId};
use crate::load::Spec;

/// Options of [`build_ir`].
#[derive(Debug, Clone, Default)]
pub struct IrOptions {
    /// Type dangling `$ref`s as untyped values (with an error diagnostic)
    /// instead of failing with [`CodegenError::UnresolvedRefs`].
    pub allow_unresolved: bool,
}

/// Builds the IR of a loaded document.
pub fn build_ir(spec: &Spec, options: &IrOptions) -> Result<Api, CodegenError> {
    let mut l = Lowerer::new(&spec.document);
    l.diags.extend(spec.diagnostics.iter().cloned());
    l.declare_components();
    l.lower_components();
    let (operations, input_operations) = l.lower_operations();
    let webhooks = l.lower_webhooks();
    l.note_ignored();
    fixup::run(&mut l);

    if !l.unresolved.is_empty() && !options.allow_unresolved {
        return Err(CodegenError::UnresolvedRefs { refs: l.unresolved });
    }

    let info = spec.document.get("info");
    let text = |k: &str| {
        info.and_then(|i| i.get(k))
            .and_then(scalar_text)
            .filter(|s| !s.trim().is_empty())
    };
    let servers = spec
        .document
        .get("servers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.get("url").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok(Api {
        title: text("title").unwrap_or_else(|| "API".to_string()),
        version: text("version").unwrap_or_default(),
        description: text("description"),
        openapi: spec.version.raw.clone(),
        servers,
        types: l.types,
        operations,
        input_operations,
        webhooks,
        diagnostics: l.diags,
    })
}

/// Text of a scalar value (strings as is, numbers and booleans printed).
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Escapes one JSON pointer segment (RFC 6901).
pub(crate) fn esc(segment: &str) -> String {
    if segment.contains(['~', '/']) {
        segment.replace('~', "~0").replace('/', "~1")
    } else {
        segment.to_string()
    }
}

/// Decodes `%XX` escapes (refs are URIs).
pub(crate) fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) const MAX_DEPTH: usize = 64;

/// The state of one lowering run.
pub(crate) struct Lowerer<'a> {
    pub(crate) doc: &'a Value,
    pub(crate) types: Vec<TypeDecl>,
    /// Per declaration: references to it are nullable (the schema itself says so).
    pub(crate) nullable_decl: Vec<bool>,
    /// Declarations by the JSON pointer of their schema.
    pub(crate) by_pointer: HashMap<String, TypeId>,
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) unresolved: Vec<UnresolvedRef>,
}

impl<'a> Lowerer<'a> {
    fn new(doc: &'a Value) -> Lowerer<'a> {
        Lowerer {
            doc,
            types: Vec::new(),
            nullable_decl: Vec::new(),
            by_pointer: HashMap::new(),
            diags: Vec::new(),
            unresolved: Vec::new(),
        }
    }

    pub(crate) fn diag(
        &mut self,
        severity: Severity,
        kind: DiagnosticKind,
        pointer: &str,
        message: impl Into<String>,
    ) {
        self.diags.push(Diagnostic {
            severity,
            kind,
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }

    /// Records an untyped fallback and returns the type for it.
    pub(crate) fn untyped(&mut self, pointer: &str, reason: impl Into<String>) -> Type {
        let reason = reason.into();
        self.diag(
            Severity::Warning,
            DiagnosticKind::Untyped,
            pointer,
            format!("typed as any JSON value: {reason}"),
        );
        Type::untyped(reason)
    }

    /// Adds a declaration and returns its id.
    pub(crate) fn declare(
        &mut self,
        name: String,
        origin: Origin,
        pointer: &str,
        docs: Docs,
        def: TypeDef,
        nullable: bool,
    ) -> TypeId {
        let id = TypeId(self.types.len());
        self.types.push(TypeDecl {
            id,
            name,
            origin,
            pointer: pointer.to_string(),
            docs,
            def,
        });
        self.nullable_decl.push(nullable);
        self.by_pointer.insert(pointer.to_string(), id);
        id
    }

    /// Resolves a local `$ref` to its target value and pointer. Records a
    /// dangling reference (and returns `None`) when it points nowhere.
    pub(crate) fn resolve(&mut self, reference: &str, at: &str) -> Option<(&'a Value, String)> {
        let doc = self.doc;
        let target = reference
            .strip_prefix('#')
            .map(percent_decode)
            .filter(|p| p.is_empty() || p.starts_with('/'));
        let found = target
            .as_ref()
            .and_then(|p| doc.pointer(p).map(|v| (v, p.clone())));
        if found.is_none() {
            self.unresolved.push(UnresolvedRef {
                reference: reference.to_string(),
                pointer: at.to_string(),
            });
            self.diag(
                Severity::Error,
                DiagnosticKind::UnresolvedRef,
                at,
                format!("$ref {reference:?} points nowhere; typed as any JSON value"),
            );
        }
        found
    }

    /// Follows `$ref`s of a non-schema object (parameter, response, body,
    /// path item) to the object itself. Returns the value, its pointer, and
    /// the last `$ref` target followed (if any).
    pub(crate) fn deref(
        &mut self,
        mut v: &'a Value,
        mut ptr: String,
    ) -> Option<(&'a Value, String, Option<String>)> {
        let mut via = None;
        for _ in 0..32 {
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let (t, p) = self.resolve(r, &ptr)?;
                    via = Some(p.clone());
                    v = t;
                    ptr = p;
                }
                None => return Some((v, ptr, via)),
            }
        }
        self.diag(
            Severity::Warning,
            DiagnosticKind::Invalid,
            &ptr,
            "$ref chain too long or looping",
        );
        None
    }

    fn declare_components(&mut self) {
        let doc = self.doc;
        let Some(schemas) = doc
            .get("components")
            .and_then(|c| c.get("schemas"))
            .and_then(Value::as_object)
        else {
            return;
        };
        for (name, s) in schemas {
            let ptr = format!("/components/schemas/{}", esc(name));
            let nullable = schema::is_nullable(s);
            self.declare(
                name.clone(),
                Origin::Component,
                &ptr,
                schema::docs_of(s),
                TypeDef::Alias(Type::any()),
                nullable,
            );
        }
    }

    fn lower_components(&mut self) {
        let doc = self.doc;
        let Some(schemas) = doc
            .get("components")
            .and_then(|c| c.get("schemas"))
            .and_then(Value::as_object)
        else {
            return;
        };
        for (name, s) in schemas {
            let ptr = format!("/components/schemas/{}", esc(name));
            let Some(&id) = self.by_pointer.get(&ptr) else {
                continue;
            };
            let def = self.lower_decl(s, &ptr, name);
            self.types[id.0].def = def;
        }
    }

    fn note_ignored(&mut self) {
        let doc = self.doc;
        if doc.get("paths").is_none() && doc.get("webhooks").is_none() {
            self.diag(
                Severity::Note,
                DiagnosticKind::Ignored,
                "",
                "the document has no `paths`: no operations to generate",
            );
        }
    }
}
