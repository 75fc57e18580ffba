//! Checks that need every declaration: `$ref` chains that loop,
//! unions that contain themselves, discriminators over non-objects.

use std::collections::HashSet;

use super::Lowerer;
use crate::error::{DiagnosticKind, Severity};
use crate::ir::{Type, TypeDef, TypeId};

pub(crate) fn run(l: &mut Lowerer<'_>) {
    break_alias_loops(l);
    drop_self_variants(l);
    check_discriminators(l);
}

/// The declaration an alias chain ends at, or `None` when it loops.
fn resolve(l: &Lowerer<'_>, id: TypeId) -> Option<TypeId> {
    let mut seen = HashSet::new();
    let mut cur = id;
    loop {
        if !seen.insert(cur) {
            return None;
        }
        match &l.types[cur.0].def {
            TypeDef::Alias(t) => match t.non_null() {
                Type::Ref(next) => cur = *next,
                _ => return Some(cur),
            },
            _ => return Some(cur),
        }
    }
}

/// `A: {$ref: B}`, `B: {$ref: A}` names no value: type them as any value.
fn break_alias_loops(l: &mut Lowerer<'_>) {
    for i in 0..l.types.len() {
        if resolve(l, TypeId(i)).is_none() {
            let ptr = l.types[i].pointer.clone();
            l.types[i].def = TypeDef::Alias(Type::untyped("$ref chain loops"));
            l.diag(
                Severity::Warning,
                DiagnosticKind::Untyped,
                &ptr,
                "typed as any JSON value: its $ref chain comes back to itself",
            );
        }
    }
}

/// `X: oneOf [X, …]` would recurse forever when decoding: drop such variants.
fn drop_self_variants(l: &mut Lowerer<'_>) {
    for i in 0..l.types.len() {
        let TypeDef::Union(u) = &l.types[i].def else {
            continue;
        };
        let selfish: Vec<usize> = u
            .variants
            .iter()
            .enumerate()
            .filter(|(_, v)| match v.ty.non_null() {
                Type::Ref(r) => resolve(l, *r) == Some(TypeId(i)),
                _ => false,
            })
            .map(|(k, _)| k)
            .collect();
        if selfish.is_empty() {
            continue;
        }
        let ptr = l.types[i].pointer.clone();
        if let TypeDef::Union(u) = &mut l.types[i].def {
            for k in selfish.into_iter().rev() {
                u.variants.remove(k);
            }
            if u.variants.is_empty() {
                l.types[i].def = TypeDef::Alias(Type::untyped("union of only itself"));
            }
        }
        l.diag(
            Severity::Warning,
            DiagnosticKind::Invalid,
            &ptr,
            "a union listed itself as an alternative; that alternative is dropped",
        );
    }
}

/// A discriminated union needs every variant to be an object.
fn check_discriminators(l: &mut Lowerer<'_>) {
    for i in 0..l.types.len() {
        let TypeDef::Union(u) = &l.types[i].def else {
            continue;
        };
        let Some(prop) = &u.discriminator else {
            continue;
        };
        let all_objects = u.variants.iter().all(|v| match &v.ty {
            Type::Ref(r) => {
                resolve(l, *r).is_some_and(|t| matches!(l.types[t.0].def, TypeDef::Object(_)))
            }
            _ => false,
        });
        if all_objects {
            continue;
        }
        let msg = format!(
            "discriminator {prop:?}: not every alternative is an object; the union is untagged"
        );
        let ptr = l.types[i].pointer.clone();
        if let TypeDef::Union(u) = &mut l.types[i].def {
            u.discriminator = None;
            for v in &mut u.variants {
                v.tags.clear();
            }
        }
        l.diag(Severity::Note, DiagnosticKind::Invalid, &ptr, msg);
    }
}
