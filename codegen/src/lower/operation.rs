//! Paths and operations → IR operations.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{esc, scalar_text, Lowerer};
use crate::error::{DiagnosticKind, Severity};
use crate::ir::{
    BodyKind, CaseBody, Conditional, Content, Docs, Idempotency, LongRunning, Method, Operation,
    Param, ParamLocation, ParamStyle, PathTemplate, Primitive, RequestBody, Response, StatusCase,
    Success, Type,
};
use crate::load::kind_of;

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

/// Headers that signal a status monitor on a `202 Accepted`.
const STATUS_HEADERS: [&str; 3] = ["Operation-Location", "Azure-AsyncOperation", "Location"];

/// Classifies a media type.
pub(crate) fn body_kind(media: &str) -> BodyKind {
    let m = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if m == "text/event-stream" {
        BodyKind::EventStream
    } else if matches!(
        m.as_str(),
        "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonlines"
            | "application/json-lines"
            | "application/jsonlines"
            | "application/json-seq"
    ) {
        BodyKind::JsonLines
    } else if m == "application/json"
        || m.ends_with("+json")
        || m.ends_with("/json")
        || m == "*/*"
        || m == "application/*"
        || m.contains("json")
    {
        BodyKind::Json
    } else if m == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else if m.starts_with("multipart/") {
        BodyKind::Multipart
    } else if m.starts_with("text/") {
        BodyKind::Text
    } else {
        BodyKind::Binary
    }
}

fn kind_rank(k: BodyKind, media: &str) -> (u8, u8) {
    let exact = u8::from(media != "application/json");
    match k {
        BodyKind::Json => (0, exact),
        BodyKind::Form => (1, 0),
        BodyKind::Multipart => (2, 0),
        BodyKind::EventStream | BodyKind::JsonLines => (3, 0),
        BodyKind::Binary => (4, 0),
        BodyKind::Text => (5, 0),
    }
}

/// How the document names a parameter location (`in`).
fn location_name(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

/// Sort key of a response status: numbers, then `NXX`, then `default`.
fn status_key(s: &str) -> (u8, String) {
    if s.chars().all(|c| c.is_ascii_digit()) {
        (0, s.to_string())
    } else if s.eq_ignore_ascii_case("default") {
        (2, s.to_string())
    } else {
        (1, s.to_ascii_uppercase())
    }
}

impl<'a> Lowerer<'a> {
    /// The result type of long-running operations whose own responses do not
    /// say: when the API has exactly one status-monitor schema (an object with
    /// `status` and `result` fields, returned by a `GET`), its `result` type.
    fn monitor_result(&self, ops: &[Operation]) -> Option<(Type, String)> {
        let mut found: Vec<(Type, String)> = Vec::new();
        for op in ops.iter().filter(|o| o.method == Method::Get) {
            let Success::Json { ty, .. } = &op.success else {
                continue;
            };
            let Type::Ref(id) = ty.non_null() else {
                continue;
            };
            let decl = &self.types[id.0];
            let crate::ir::TypeDef::Object(o) = &decl.def else {
                continue;
            };
            let has_status = o.fields.iter().any(|f| f.name == "status");
            let result = o
                .fields
                .iter()
                .find(|f| f.name == "result" || f.name == "response");
            if let (true, Some(r)) = (has_status, result) {
                let t = r.ty.non_null().clone();
                if !matches!(t, Type::Any { .. }) && !found.iter().any(|(f, _)| f == &t) {
                    found.push((t, format!("{}.{}", decl.name, r.name)));
                }
            }
        }
        if found.len() == 1 {
            found.pop()
        } else {
            None
        }
    }

    /// Lowers every operation; returns them and how many the document declares.
    pub(crate) fn lower_operations(&mut self) -> (Vec<Operation>, usize) {
        let (mut ops, input) = self.lower_operations_raw();
        if ops
            .iter()
            .any(|o| matches!(&o.long_running, Some(l) if matches!(l.result, Type::Any { .. })))
        {
            if let Some((t, via)) = self.monitor_result(&ops) {
                for op in &mut ops {
                    if let Some(l) = &mut op.long_running {
                        if matches!(l.result, Type::Any { .. }) {
                            l.result = t.clone();
                            l.reason.push_str(&format!(
                                "; result typed from the status monitor's {via}"
                            ));
                            op.success = Success::Operation { ty: t.clone() };
                        }
                    }
                }
            }
        }
        (ops, input)
    }

    fn lower_operations_raw(&mut self) -> (Vec<Operation>, usize) {
        let doc = self.doc;
        let mut ops = Vec::new();
        let mut input = 0usize;
        let paths = match doc.get("paths") {
            Some(Value::Object(p)) => p,
            Some(other) => {
                let k = kind_of(other);
                self.diag(
                    Severity::Error,
                    DiagnosticKind::Invalid,
                    "/paths",
                    format!("`paths` is {k}"),
                );
                return (ops, 0);
            }
            None => return (ops, 0),
        };
        for (path, item) in paths {
            let item_ptr = format!("/paths/{}", esc(path));
            let Some((item, _, _)) = self.deref(item, item_ptr.clone()) else {
                continue;
            };
            let Some(item) = item.as_object() else {
                if !item.is_null() {
                    let k = kind_of(item);
                    self.diag(
                        Severity::Warning,
                        DiagnosticKind::Invalid,
                        &item_ptr,
                        format!("path item is {k}; ignored"),
                    );
                }
                continue;
            };
            let shared: Vec<(&Value, String)> = match item.get("parameters") {
                Some(Value::Array(ps)) => ps
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p, format!("{item_ptr}/parameters/{i}")))
                    .collect(),
                _ => Vec::new(),
            };
            for method in Method::ALL {
                let Some(op) = item.get(method.key()) else {
                    continue;
                };
                input += 1;
                let ptr = format!("{item_ptr}/{}", method.key());
                ops.push(self.operation(path, method, op, &ptr, &shared));
            }
        }
        (ops, input)
    }

    fn operation(
        &mut self,
        path: &str,
        method: Method,
        op: &'a Value,
        ptr: &str,
        shared: &[(&'a Value, String)],
    ) -> Operation {
        let o: &'a Map<String, Value> = match op.as_object() {
            Some(o) => o,
            None => {
                let k = kind_of(op);
                self.diag(
                    Severity::Warning,
                    DiagnosticKind::Invalid,
                    ptr,
                    format!("operation is {k}; generated with no parameters and an untyped result"),
                );
                &EMPTY
            }
        };
        let operation_id = o
            .get("operationId")
            .and_then(scalar_text)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let name = operation_id
            .clone()
            .unwrap_or_else(|| format!("{} {}", method.key(), path));
        let text = |k: &str| {
            o.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let docs = Docs {
            summary: text("summary"),
            description: text("description"),
            deprecated: o.get("deprecated") == Some(&Value::Bool(true)),
        };
        let tags = match o.get("tags") {
            Some(Value::Array(t)) => t.iter().filter_map(scalar_text).collect(),
            _ => Vec::new(),
        };

        // Parameters: path-level first, operation-level override by (in, name).
        let mut raw: Vec<(&'a Value, String)> = shared.to_vec();
        if let Some(Value::Array(ps)) = o.get("parameters") {
            raw.extend(
                ps.iter()
                    .enumerate()
                    .map(|(i, p)| (p, format!("{ptr}/parameters/{i}"))),
            );
        }
        let mut params: Vec<Param> = Vec::new();
        let mut idempotency = None;
        let mut conditional = None;
        for (p, pptr) in raw {
            let Some((p, pptr, via)) = self.deref(p, pptr) else {
                continue;
            };
            let Some(pobj) = p.as_object() else {
                self.diag(
                    Severity::Warning,
                    DiagnosticKind::Invalid,
                    &pptr,
                    "parameter is not an object; ignored",
                );
                continue;
            };
            let (Some(pname), Some(loc)) = (
                pobj.get("name").and_then(scalar_text),
                pobj.get("in").and_then(Value::as_str),
            ) else {
                self.diag(
                    Severity::Warning,
                    DiagnosticKind::Invalid,
                    &pptr,
                    "parameter without `name` or `in`; ignored",
                );
                continue;
            };
            let location = match loc.to_ascii_lowercase().as_str() {
                "path" => ParamLocation::Path,
                "query" => ParamLocation::Query,
                "header" => ParamLocation::Header,
                "cookie" => ParamLocation::Cookie,
                other => {
                    self.diag(
                        Severity::Warning,
                        DiagnosticKind::Invalid,
                        &pptr,
                        format!("parameter location {other:?} unknown; ignored"),
                    );
                    continue;
                }
            };
            let required =
                location == ParamLocation::Path || pobj.get("required") == Some(&Value::Bool(true));
            if location == ParamLocation::Header {
                let lower = pname.to_ascii_lowercase();
                if lower == "idempotency-key" {
                    idempotency = Some(Idempotency {
                        header: pname.clone(),
                        required,
                    });
                    params.retain(|q| {
                        !(q.location == location && q.name.eq_ignore_ascii_case(&pname))
                    });
                    continue;
                }
                if lower == "if-match" {
                    conditional = Some(Conditional {
                        header: pname.clone(),
                        reason: "If-Match header parameter".into(),
                    });
                    params.retain(|q| {
                        !(q.location == location && q.name.eq_ignore_ascii_case(&pname))
                    });
                    continue;
                }
                if matches!(lower.as_str(), "accept" | "content-type" | "authorization") {
                    self.diag(
                        Severity::Note,
                        DiagnosticKind::Ignored,
                        &pptr,
                        format!("header parameter {pname:?} ignored (OpenAPI: set by the client, not a parameter)"),
                    );
                    continue;
                }
            }
            let hint = match via
                .as_deref()
                .and_then(|v| v.strip_prefix("/components/parameters/"))
            {
                Some(k) if !k.contains('/') => k.replace("~1", "/").replace("~0", "~"),
                _ => format!("{name} {pname}"),
            };
            let (ty, style_json) = match (pobj.get("schema"), pobj.get("content")) {
                (Some(s), _) => (self.ty(s, &format!("{pptr}/schema"), &hint, 1), false),
                (None, Some(Value::Object(c))) => match c.iter().next() {
                    Some((media, m)) => {
                        let sptr = format!("{pptr}/content/{}/schema", esc(media));
                        let t = match m.get("schema") {
                            Some(s) => self.ty(s, &sptr, &hint, 1),
                            None => Type::any(),
                        };
                        (t, true)
                    }
                    None => (Type::Primitive(Primitive::String), false),
                },
                _ => (Type::Primitive(Primitive::String), false),
            };
            let written = if style_json {
                ParamStyle::Json
            } else {
                match pobj.get("style").and_then(Value::as_str) {
                    Some("simple") => ParamStyle::Simple,
                    Some("form") => ParamStyle::Form,
                    Some("spaceDelimited") => ParamStyle::SpaceDelimited,
                    Some("pipeDelimited") => ParamStyle::PipeDelimited,
                    Some("deepObject") => ParamStyle::DeepObject,
                    Some("label") => ParamStyle::Label,
                    Some("matrix") => ParamStyle::Matrix,
                    _ => ParamStyle::default_for(location),
                }
            };
            let explode = match pobj.get("explode") {
                Some(Value::Bool(b)) => *b,
                _ => written == ParamStyle::Form || written == ParamStyle::DeepObject,
            };
            let style = if written.allowed_in(location) {
                written
            } else {
                let fallback = ParamStyle::default_for(location);
                self.diag(
                    Severity::Warning,
                    DiagnosticKind::Invalid,
                    &pptr,
                    format!(
                        "style {:?} is not allowed for a {} parameter; sent as {:?}",
                        written.as_str(),
                        location_name(location),
                        fallback.as_str()
                    ),
                );
                fallback
            };
            let pdocs = Docs {
                summary: None,
                description: pobj
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                deprecated: pobj.get("deprecated") == Some(&Value::Bool(true)),
            };
            let param = Param {
                name: pname,
                location,
                required,
                ty,
                style,
                explode,
                docs: pdocs,
                pointer: pptr,
            };
            match params
                .iter_mut()
                .find(|q| q.location == param.location && q.name == param.name)
            {
                Some(existing) => *existing = param,
                None => params.push(param),
            }
        }
        // Path placeholders without a parameter: add them so the call can be made.
        let template = PathTemplate::parse(path);
        let placeholders: Vec<&str> = template.params().collect();
        for ph in &placeholders {
            if !params
                .iter()
                .any(|p| p.location == ParamLocation::Path && p.name == *ph)
            {
                self.diag(
                    Severity::Warning,
                    DiagnosticKind::Invalid,
                    ptr,
                    format!(
                        "path parameter {ph:?} is in the path but not declared; added as a string"
                    ),
                );
                params.push(Param {
                    name: ph.to_string(),
                    location: ParamLocation::Path,
                    required: true,
                    ty: Type::Primitive(Primitive::String),
                    style: ParamStyle::Simple,
                    explode: false,
                    docs: Docs::default(),
                    pointer: ptr.to_string(),
                });
            }
        }
        // Path parameters in template order, then the rest as declared.
        params.sort_by_key(|p| match p.location {
            ParamLocation::Path => placeholders
                .iter()
                .position(|n| *n == p.name)
                .unwrap_or(placeholders.len()),
            _ => usize::MAX,
        });

        let body = match o.get("requestBody") {
            Some(b) => self.request_body(b, &format!("{ptr}/requestBody"), &name),
            None => None,
        };

        let responses = match o.get("responses") {
            Some(Value::Object(rs)) => self.responses(rs, &format!("{ptr}/responses"), &name),
            _ => Vec::new(),
        };

        // Long-running: 202 + status monitor header, or the Azure extension.
        let ms_lro = o.get("x-ms-long-running-operation") == Some(&Value::Bool(true));
        let monitor = responses.iter().find(|r| r.status == "202").and_then(|r| {
            r.headers
                .iter()
                .find(|h| STATUS_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(h)))
                .cloned()
        });
        let long_running = if monitor.is_some() || ms_lro {
            let result = responses
                .iter()
                .filter(|r| r.is_success() && r.status != "202")
                .flat_map(|r| r.contents.first())
                .find(|c| c.kind == BodyKind::Json)
                .map(|c| c.ty.clone())
                .unwrap_or_else(Type::any);
            let reason = match &monitor {
                Some(h) => format!("202 with {h} header"),
                None => "x-ms-long-running-operation".to_string(),
            };
            Some(LongRunning { reason, result })
        } else {
            None
        };

        if conditional.is_none()
            && matches!(
                method,
                Method::Put | Method::Patch | Method::Delete | Method::Post
            )
            && responses.iter().any(|r| r.status == "412")
        {
            conditional = Some(Conditional {
                header: "If-Match".into(),
                reason: "412 Precondition Failed response".into(),
            });
        }

        let success = match &long_running {
            Some(lro) => Success::Operation {
                ty: lro.result.clone(),
            },
            None => self.success(method, &responses, ptr),
        };
        let problems = responses
            .iter()
            .filter(|r| r.problem)
            .map(|r| r.status.clone())
            .collect();

        let etag = responses
            .iter()
            .filter(|r| r.is_success())
            .any(|r| r.headers.iter().any(|h| h.eq_ignore_ascii_case("etag")));
        let keyed = idempotency.is_some() || matches!(method, Method::Post | Method::Patch);
        let mut operation = Operation {
            pagination: None,
            pagination_miss: None,
            keyed,
            etag,
            name,
            operation_id,
            method,
            path: path.to_string(),
            template,
            pointer: ptr.to_string(),
            docs,
            tags,
            params,
            body,
            responses,
            success,
            idempotency,
            long_running,
            conditional,
            problems,
        };
        let paging = self.pagination(o, &operation);
        operation.pagination = paging.pagination;
        operation.pagination_miss = paging.miss;
        operation
    }

    pub(crate) fn request_body(
        &mut self,
        b: &'a Value,
        ptr: &str,
        op_name: &str,
    ) -> Option<RequestBody> {
        let (b, bptr, via) = self.deref(b, ptr.to_string())?;
        let Some(bo) = b.as_object() else {
            self.diag(
                Severity::Warning,
                DiagnosticKind::Invalid,
                &bptr,
                "request body is not an object; ignored",
            );
            return None;
        };
        let content = match bo.get("content") {
            Some(Value::Object(c)) if !c.is_empty() => c,
            _ => {
                self.diag(
                    Severity::Warning,
                    DiagnosticKind::Invalid,
                    &bptr,
                    "request body without `content`; the operation is generated without a body",
                );
                return None;
            }
        };
        let mut contents: Vec<(BodyKind, &String, Option<&Value>)> = content
            .iter()
            .map(|(m, v)| (body_kind(m), m, v.get("schema")))
            .collect();
        contents.sort_by(|a, b| {
            kind_rank(a.0, a.1)
                .cmp(&kind_rank(b.0, b.1))
                .then(a.1.cmp(b.1))
        });
        let hint = match via
            .as_deref()
            .and_then(|v| v.strip_prefix("/components/requestBodies/"))
        {
            Some(k) if !k.contains('/') => k.replace("~1", "/").replace("~0", "~"),
            _ => format!("{op_name} request"),
        };
        let mut out = Vec::with_capacity(contents.len());
        for (i, (kind, media, schema)) in contents.into_iter().enumerate() {
            let ty = match (i, kind, schema) {
                (0, BodyKind::Json | BodyKind::Form, Some(s)) => self.ty(
                    s,
                    &format!("{bptr}/content/{}/schema", esc(media)),
                    &hint,
                    1,
                ),
                _ => Type::any(),
            };
            out.push(Content {
                media_type: media.clone(),
                kind,
                ty,
            });
        }
        Some(RequestBody {
            required: bo.get("required") == Some(&Value::Bool(true)),
            contents: out,
            docs: Docs {
                summary: None,
                description: bo
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                deprecated: false,
            },
        })
    }

    fn responses(&mut self, rs: &'a Map<String, Value>, ptr: &str, op_name: &str) -> Vec<Response> {
        let mut statuses: Vec<&String> = rs.keys().filter(|k| !k.starts_with("x-")).collect();
        statuses.sort_by_key(|s| status_key(s));
        let has_2xx = statuses.iter().any(|s| s.starts_with('2'));
        let typed_count = statuses
            .iter()
            .filter(|s| s.starts_with('2') || (!has_2xx && s.eq_ignore_ascii_case("default")))
            .filter(|s| {
                let r = rs.get(s.as_str());
                let inline_json = r
                    .and_then(|r| r.get("content"))
                    .and_then(Value::as_object)
                    .is_some_and(|c| c.keys().any(|m| body_kind(m) == BodyKind::Json));
                inline_json || r.is_some_and(|r| r.get("$ref").is_some())
            })
            .count();
        let mut out = Vec::new();
        for status in statuses {
            let Some(r) = rs.get(status) else { continue };
            let rptr = format!("{ptr}/{}", esc(status));
            let Some((r, rptr, via)) = self.deref(r, rptr) else {
                out.push(Response {
                    status: status.clone(),
                    description: None,
                    contents: Vec::new(),
                    headers: Vec::new(),
                    problem: false,
                });
                continue;
            };
            let typed =
                status.starts_with('2') || (!has_2xx && status.eq_ignore_ascii_case("default"));
            let headers = r
                .get("headers")
                .and_then(Value::as_object)
                .map(|h| h.keys().cloned().collect())
                .unwrap_or_default();
            let mut contents = Vec::new();
            let mut problem = false;
            if let Some(Value::Object(c)) = r.get("content") {
                let mut items: Vec<(BodyKind, &String, Option<&Value>)> = c
                    .iter()
                    .map(|(m, v)| (body_kind(m), m, v.get("schema")))
                    .collect();
                items.sort_by(|a, b| {
                    kind_rank(a.0, a.1)
                        .cmp(&kind_rank(b.0, b.1))
                        .then(a.1.cmp(b.1))
                });
                for (i, (kind, media, schema)) in items.into_iter().enumerate() {
                    let lower = media.to_ascii_lowercase();
                    if lower.contains("problem+json") || lower.contains("problem+xml") {
                        problem = true;
                    }
                    let ty = match (i, kind, schema, typed) {
                        (0, BodyKind::Json, Some(s), true) => {
                            let hint = match via
                                .as_deref()
                                .and_then(|v| v.strip_prefix("/components/responses/"))
                            {
                                Some(k) if !k.contains('/') => {
                                    k.replace("~1", "/").replace("~0", "~")
                                }
                                _ if typed_count > 1 => format!("{op_name} response {status}"),
                                _ => format!("{op_name} response"),
                            };
                            self.ty(
                                s,
                                &format!("{rptr}/content/{}/schema", esc(media)),
                                &hint,
                                1,
                            )
                        }
                        (0, BodyKind::Json, None, true) => Type::any(),
                        (0, BodyKind::EventStream | BodyKind::JsonLines, _, true) => {
                            let cptr = format!("{rptr}/content/{}", esc(media));
                            let m = c.get(media.as_str());
                            self.stream_item(kind, m, &cptr, &format!("{op_name} item"))
                        }
                        _ => Type::any(),
                    };
                    contents.push(Content {
                        media_type: media.clone(),
                        kind,
                        ty,
                    });
                }
            }
            out.push(Response {
                status: status.clone(),
                description: r
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                contents,
                headers,
                problem,
            });
        }
        out
    }

    fn by_status(ok: &[&Response]) -> Success {
        let cases = ok
            .iter()
            .map(|r| StatusCase {
                status: r.status.clone(),
                body: match r.contents.first() {
                    None => CaseBody::Empty,
                    Some(c) => match c.kind {
                        BodyKind::Json => CaseBody::Json(c.ty.clone()),
                        BodyKind::Text => CaseBody::Text,
                        _ => CaseBody::Bytes,
                    },
                },
            })
            .collect();
        Success::ByStatus { cases }
    }

    /// The type of one item of a streamed answer: OpenAPI 3.2's
    /// `itemSchema` (for events, the JSON its `data` holds: `contentSchema`,
    /// or a `data` that is not text), else `schema` (the items of an array
    /// schema for JSON lines); `Any` when neither says.
    fn stream_item(
        &mut self,
        kind: BodyKind,
        media: Option<&'a Value>,
        ptr: &str,
        hint: &str,
    ) -> Type {
        let Some(media) = media else {
            return Type::any();
        };
        let item = media.get("itemSchema");
        if kind == BodyKind::EventStream {
            let data = item
                .and_then(|i| i.get("properties"))
                .and_then(|p| p.get("data"));
            if let Some(cs) = data.and_then(|d| d.get("contentSchema")) {
                return self.ty(
                    cs,
                    &format!("{ptr}/itemSchema/properties/data/contentSchema"),
                    hint,
                    1,
                );
            }
            if let Some(d) =
                data.filter(|d| d.get("type").and_then(Value::as_str) != Some("string"))
            {
                return self.ty(d, &format!("{ptr}/itemSchema/properties/data"), hint, 1);
            }
            return match media.get("schema") {
                Some(s) if s.get("type").and_then(Value::as_str) != Some("string") => {
                    self.ty(s, &format!("{ptr}/schema"), hint, 1)
                }
                _ => Type::any(),
            };
        }
        if let Some(i) = item {
            return self.ty(i, &format!("{ptr}/itemSchema"), hint, 1);
        }
        match media.get("schema") {
            Some(s) => match self.ty(s, &format!("{ptr}/schema"), hint, 1) {
                Type::Array(t) => *t,
                t => t,
            },
            None => Type::any(),
        }
    }

    fn success(&mut self, method: Method, responses: &[Response], ptr: &str) -> Success {
        if method == Method::Head {
            return Success::Empty;
        }
        let mut ok: Vec<&Response> = responses.iter().filter(|r| r.is_success()).collect();
        if ok.is_empty() {
            match responses
                .iter()
                .find(|r| r.status.eq_ignore_ascii_case("default"))
            {
                Some(d) if !d.problem => ok.push(d),
                _ => {
                    return Success::Json {
                        ty: Type::any(),
                        optional: false,
                    }
                }
            }
        }
        let mut types: Vec<&Type> = Vec::new();
        let mut without_body = false;
        let mut text = false;
        let mut bytes = false;
        // A stream is its operation's whole answer (the first success
        // response that is one).
        if let Some(c) = ok
            .iter()
            .filter_map(|r| r.contents.first())
            .find(|c| matches!(c.kind, BodyKind::EventStream | BodyKind::JsonLines))
        {
            return match c.kind {
                BodyKind::EventStream => Success::Events { ty: c.ty.clone() },
                _ => Success::Lines { ty: c.ty.clone() },
            };
        }
        for r in &ok {
            match r.contents.first() {
                None => without_body = true,
                Some(c) => match c.kind {
                    BodyKind::Json => {
                        if !types.contains(&&c.ty) {
                            types.push(&c.ty);
                        }
                    }
                    BodyKind::Text => text = true,
                    _ => bytes = true,
                },
            }
        }
        match types.len() {
            0 if bytes && text => Self::by_status(&ok),
            0 if bytes => Success::Bytes,
            0 if text => Success::Text,
            0 => Success::Empty,
            1 if !text && !bytes => Success::Json {
                ty: types[0].clone(),
                optional: without_body,
            },
            _ => {
                let statuses: BTreeSet<&str> = ok.iter().map(|r| r.status.as_str()).collect();
                self.diag(
                    Severity::Note,
                    DiagnosticKind::Invalid,
                    &format!("{ptr}/responses"),
                    format!("success responses {statuses:?} have different bodies; the result is chosen by status"),
                );
                Self::by_status(&ok)
            }
        }
    }
}
