//! `oncely check`: what the generator understood of a document.

use std::fmt::Write;

use serde::Serialize;

use crate::error::{Diagnostic, DiagnosticKind, Severity};
use crate::ir::{Api, Origin};
use crate::load::{Format, Spec};

/// One operation, as listed in a report.
#[derive(Debug, Clone, Serialize)]
pub struct OperationRef {
    /// The operation's raw name (`operationId` or `method path`).
    pub name: String,
    /// `POST /orders`.
    pub endpoint: String,
    /// What was recognised.
    pub detail: String,
}

/// What `oncely check` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Where the document came from.
    pub origin: String,
    /// JSON or YAML.
    pub format: Format,
    /// The `openapi` field.
    pub openapi: String,
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// Operations in the IR (one method each).
    pub operations: usize,
    /// Operations declared by the document.
    pub input_operations: usize,
    /// `input_operations - operations` (always 0 unless something is wrong).
    pub dropped_operations: usize,
    /// Component schemas.
    pub component_schemas: usize,
    /// Inline schemas that became named types.
    pub inline_types: usize,
    /// Operations that take an `Idempotency-Key`.
    pub idempotent: Vec<OperationRef>,
    /// Long-running operations.
    pub long_running: Vec<OperationRef>,
    /// Operations with a precondition (`If-Match`).
    pub conditional: Vec<OperationRef>,
    /// Operations with `application/problem+json` responses.
    pub problem_responses: Vec<OperationRef>,
    /// List operations that page, with the rule that matched and where the
    /// items are.
    pub paginated: Vec<OperationRef>,
    /// Operations that look paginated but matched no rule, with why not.
    pub unmatched_pagination: Vec<OperationRef>,
    /// Webhooks and callbacks the API sends, with how a delivery is told
    /// apart from the others.
    pub webhooks: Vec<OperationRef>,
    /// Schemas typed as untyped JSON values, with why and where.
    pub untyped: Vec<Diagnostic>,
    /// Every other diagnostic.
    pub diagnostics: Vec<Diagnostic>,
    /// The document can be generated from.
    pub usable: bool,
}

fn op_ref(op: &crate::ir::Operation, detail: String) -> OperationRef {
    OperationRef {
        name: op.name.clone(),
        endpoint: format!("{} {}", op.method.as_str(), op.path),
        detail,
    }
}

/// Builds the report of a document and its IR.
pub fn report(spec: &Spec, api: &Api) -> Report {
    let mut untyped = Vec::new();
    let mut diagnostics = Vec::new();
    for d in &api.diagnostics {
        if d.kind == DiagnosticKind::Untyped {
            untyped.push(d.clone());
        } else {
            diagnostics.push(d.clone());
        }
    }
    diagnostics.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.pointer.cmp(&b.pointer)));
    let usable = !api
        .diagnostics
        .iter()
        .any(|d| d.kind == DiagnosticKind::UnresolvedRef);
    Report {
        origin: spec.origin.clone(),
        format: spec.format,
        openapi: api.openapi.clone(),
        title: api.title.clone(),
        version: api.version.clone(),
        operations: api.operations.len(),
        input_operations: api.input_operations,
        dropped_operations: api.input_operations.saturating_sub(api.operations.len()),
        component_schemas: api
            .types
            .iter()
            .filter(|t| t.origin == Origin::Component)
            .count(),
        inline_types: api
            .types
            .iter()
            .filter(|t| t.origin == Origin::Inline)
            .count(),
        idempotent: api
            .operations
            .iter()
            .filter_map(|o| {
                o.idempotency.as_ref().map(|i| {
                    op_ref(
                        o,
                        format!(
                            "{} header{}",
                            i.header,
                            if i.required { " (required)" } else { "" }
                        ),
                    )
                })
            })
            .collect(),
        long_running: api
            .operations
            .iter()
            .filter_map(|o| o.long_running.as_ref().map(|l| op_ref(o, l.reason.clone())))
            .collect(),
        conditional: api
            .operations
            .iter()
            .filter_map(|o| o.conditional.as_ref().map(|c| op_ref(o, c.reason.clone())))
            .collect(),
        problem_responses: api
            .operations
            .iter()
            .filter(|o| !o.problems.is_empty())
            .map(|o| op_ref(o, o.problems.join(", ")))
            .collect(),
        paginated: api
            .operations
            .iter()
            .filter_map(|o| {
                o.pagination.as_ref().map(|p| {
                    let items = if p.items.is_empty() {
                        "the body".to_string()
                    } else {
                        format!("`{}`", p.items)
                    };
                    op_ref(o, format!("{}; items {items}", p.rule))
                })
            })
            .collect(),
        unmatched_pagination: api
            .operations
            .iter()
            .filter_map(|o| o.pagination_miss.as_ref().map(|m| op_ref(o, m.clone())))
            .collect(),
        webhooks: api
            .webhooks
            .iter()
            .map(|w| {
                let field = w.selector.as_deref().unwrap_or("type");
                let mut values = vec![w.name.clone()];
                values.extend(w.selector_values.iter().filter(|v| **v != w.name).cloned());
                OperationRef {
                    name: w.name.clone(),
                    endpoint: format!("{} {}", w.method.as_str(), w.pointer),
                    detail: format!("selected by `{field}` = {}", values.join(" | ")),
                }
            })
            .collect(),
        untyped,
        diagnostics,
        usable,
    }
}

impl Report {
    /// The human-readable form.
    pub fn to_text(&self, verbose: bool) -> String {
        let mut out = String::new();
        let fmt = match self.format {
            Format::Json => "JSON",
            Format::Yaml => "YAML",
        };
        let _ = writeln!(
            out,
            "{}: OpenAPI {} ({fmt}), {:?} version {:?}",
            self.origin, self.openapi, self.title, self.version
        );
        let _ = writeln!(
            out,
            "  operations     {} of {} ({} dropped)",
            self.operations, self.input_operations, self.dropped_operations
        );
        let _ = writeln!(
            out,
            "  schemas        {} components, {} inline types",
            self.component_schemas, self.inline_types
        );
        let limit = if verbose { usize::MAX } else { 20 };
        let list = |out: &mut String, label: &str, items: &[OperationRef]| {
            let _ = writeln!(out, "  {label:<14} {}", items.len());
            for i in items.iter().take(limit) {
                let _ = writeln!(out, "    {} ({}): {}", i.name, i.endpoint, i.detail);
            }
            if items.len() > limit {
                let _ = writeln!(out, "    … and {} more (--verbose)", items.len() - limit);
            }
        };
        list(&mut out, "idempotent", &self.idempotent);
        list(&mut out, "long-running", &self.long_running);
        list(&mut out, "conditional", &self.conditional);
        list(&mut out, "problems", &self.problem_responses);
        list(&mut out, "paginated", &self.paginated);
        list(&mut out, "paging missed", &self.unmatched_pagination);
        list(&mut out, "webhooks", &self.webhooks);
        let _ = writeln!(out, "  untyped        {}", self.untyped.len());
        for d in self.untyped.iter().take(limit) {
            let _ = writeln!(out, "    {d}");
        }
        if self.untyped.len() > limit {
            let _ = writeln!(
                out,
                "    … and {} more (--verbose)",
                self.untyped.len() - limit
            );
        }
        let count = |s: Severity| self.diagnostics.iter().filter(|d| d.severity == s).count();
        let _ = writeln!(
            out,
            "  diagnostics    {} errors, {} warnings, {} notes",
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Note)
        );
        for d in self
            .diagnostics
            .iter()
            .filter(|d| verbose || d.severity >= Severity::Warning)
            .take(limit)
        {
            let _ = writeln!(out, "    {d}");
        }
        let _ = writeln!(
            out,
            "{}",
            if self.usable {
                "usable: yes"
            } else {
                "usable: no (unresolvable $ref; see the errors above)"
            }
        );
        out
    }
}
