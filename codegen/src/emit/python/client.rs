//! `client.py`: `<Name>Client` and `Async<Name>Client`, one method per
//! operation, planned once ([`MethodPlan`]) and written for both.

use std::fmt::Write as _;

use super::ctx::{docstring, lit, module_header, untyped_reason, value_name, Ctx, BUILTINS};
use crate::emit::common::docs_paragraphs;
use crate::ir::{BodyKind, CaseBody, Operation, Param, ParamLocation, Success};
use crate::naming::Scope;

/// Local names of the generated method bodies, which arguments must not take.
const METHOD_LOCALS: &[&str] = &[
    "self",
    "query",
    "header_values",
    "cookies",
    "response",
    "headers",
    "body",
    "intent_id",
    "idempotency_key",
    "timeout",
    "deadline",
    "retry",
    "if_match",
    "content_type",
    "m",
    "oncely",
    "Any",
    "Mapping",
    "max_pages",
    "max_items",
    "resume_from",
];

/// One operation's method, rendered once for both clients.
struct MethodPlan {
    name: String,
    signature: Vec<String>,
    docs: Vec<String>,
    prelude: String,
    call_args: Vec<String>,
    /// `Some(result type)` for operations, else the return annotation.
    ret_sync: String,
    ret_async: String,
    finish: Finish,
}

enum Finish {
    /// `return <expr with {r}>` after `response = ...request(...)`.
    Response(String),
    /// `request(...)` and return nothing.
    Nothing,
    /// `return ...request_operation(..., decoder=...)`.
    Operation(String),
    /// Statements using `response`.
    Statements(String),
    /// `return _s.Events(...stream_events(...), decoder)` or the lines
    /// twin; holds the decoder of one item (and, for events whose data is
    /// not JSON, `parse_json=False`).
    Stream(StreamKind, String),
    /// `return _s.Pages(...pages(method, path, spec, ...), decoder)` (the
    /// spec is the third call argument); holds the decoder of one item.
    Pages(String),
}

/// Which stream a streamed answer is.
#[derive(Clone, Copy)]
enum StreamKind {
    /// Server-sent events.
    Events,
    /// JSON lines.
    Lines,
}

/// The text of `client.py`.
pub(super) fn client_py(ctx: &Ctx<'_>) -> String {
    let mut method_scope = Scope::with_reserved(["client", "close", "base_url"]);
    let mut plans: Vec<MethodPlan> = Vec::new();
    for op in &ctx.api.operations {
        plans.push(plan(ctx, op, &mut method_scope));
        if let Some(p) = &op.pagination {
            plans.push(pages_plan(ctx, op, p, &mut method_scope));
        }
    }
    let mut out = String::with_capacity(128 * 1024);
    module_header(&mut out, "Clients", ctx.api);
    let uses_cast = plans
        .iter()
        .any(|p| matches!(&p.finish, Finish::Statements(s) if s.contains("cast(")));
    let typing = if uses_cast { "Any, cast" } else { "Any" };
    // A document without operations still gets its (empty) clients; their
    // imports are then unused.
    let unused = if plans.is_empty() {
        "  # noqa: F401"
    } else {
        ""
    };
    let _ = write!(
        out,
        "from collections.abc import Mapping{unused}\nfrom typing import {typing}\n\nimport oncely\n\n"
    );
    let _ = write!(
        out,
        "from . import _support as _s{unused}\nfrom . import models as m{unused}\n\n"
    );
    let default = ctx
        .api
        .servers
        .iter()
        .find(|s| s.starts_with("http://") || s.starts_with("https://"))
        .map(|s| lit(s.trim_end_matches('/')))
        .unwrap_or_else(|| "None".into());
    let _ = writeln!(out, "#: The first server of the document (`None` when it names none).\nDEFAULT_BASE_URL: str | None = {default}");
    for (class, native, is_async) in [
        (&ctx.client, "Client", false),
        (&ctx.async_client, "AsyncClient", true),
    ] {
        let _ = writeln!(out, "\n\nclass {class}:");
        docstring(
            &mut out,
            "    ",
            &[
                format!(
                    "{} {}{}: one method per operation.",
                    ctx.api.title,
                    ctx.api.version,
                    if is_async { ", asyncio" } else { "" }
                ),
                "Calls go through the oncely core: idempotency keys, retries, `202` polling and problem details (`oncely.ProblemError`).".into(),
            ],
        );
        let _ = writeln!(
            out,
            "\n    def __init__(\n        self,\n        base_url: str | None = None,\n        *,\n        client: oncely.{native} | None = None,\n        **options: Any,\n    ) -> None:"
        );
        let _ = writeln!(out, "        \"\"\"Wraps `client`, or builds an `oncely.{native}(base_url, **options)`.\"\"\"");
        let _ = writeln!(
            out,
            "        if client is None:\n            url = base_url or DEFAULT_BASE_URL\n            if url is None:\n                raise ValueError(\"base_url is required: the API document names no server\")\n            client = oncely.{native}(url, **options)\n        self.client = client"
        );
        for p in &plans {
            method(&mut out, p, is_async);
        }
    }
    out
}

fn plan(ctx: &Ctx<'_>, op: &Operation, method_scope: &mut Scope) -> MethodPlan {
    let name = value_name(method_scope, &op.name, "operation", &[]);
    let mut args_scope = Scope::with_reserved(METHOD_LOCALS.iter().copied());
    let mut signature: Vec<String> = Vec::new();
    let mut arg_docs: Vec<String> = Vec::new();
    let mut prelude = String::new();
    let mut call_args: Vec<String> = vec![lit(op.method.as_str()), lit(&op.path)];

    // Path parameters: positional, in template order.
    let mut path_pairs = Vec::new();
    for var in op.template.params() {
        let param = op
            .params
            .iter()
            .find(|p| p.location == ParamLocation::Path && p.name == var);
        let arg = value_name(&mut args_scope, var, "param", BUILTINS);
        let ty = param
            .map(|p| ctx.ann(&p.ty, "m."))
            .unwrap_or_else(|| "str".into());
        let ty = if ty == "Any" {
            "str | int".to_string()
        } else {
            ty
        };
        signature.push(format!("{arg}: {ty}"));
        if let Some(d) = param.and_then(|p| p.docs.description.clone().or(p.docs.summary.clone())) {
            arg_docs.push(format!("{arg}: {}", d.replace('\n', " ")));
        }
        path_pairs.push(format!("{}: _s.simple({arg})", lit(var)));
    }
    if !path_pairs.is_empty() {
        call_args.push(format!("path_params={{{}}}", path_pairs.join(", ")));
    }

    // The body: positional after the path parameters.
    if let Some((b, c)) = op
        .body
        .as_ref()
        .and_then(|b| b.contents.first().map(|c| (b, c)))
    {
        let ty = match c.kind {
            BodyKind::Json | BodyKind::Form => ctx.ann(&c.ty, "m."),
            _ => "bytes | str".into(),
        };
        if b.required {
            signature.push(format!("body: {ty}"));
        } else {
            let ty = if ty == "Any" || ty.ends_with("| None") {
                ty
            } else {
                format!("{ty} | None")
            };
            signature.push(format!("body: {ty} = None"));
        }
        if let Some(d) = b.docs.description.clone() {
            arg_docs.push(format!("body: {}", d.replace('\n', " ")));
        }
        match c.kind {
            BodyKind::Json => call_args.push("json=_s.to_json(body)".into()),
            BodyKind::Form => call_args.push("data=_s.to_json(body)".into()),
            _ => {
                let ct = if c.media_type.contains('*') {
                    "application/octet-stream"
                } else {
                    c.media_type.as_str()
                };
                call_args.push("content=_s.raw(body)".into());
                call_args.push(format!("content_type=content_type or {}", lit(ct)));
            }
        }
    }
    let raw_body = op
        .body
        .as_ref()
        .and_then(|b| b.contents.first())
        .is_some_and(|c| !matches!(c.kind, BodyKind::Json | BodyKind::Form));

    // Everything else: keyword-only.
    signature.push("*".into());
    let others: Vec<&Param> = op
        .params
        .iter()
        .filter(|p| p.location != ParamLocation::Path)
        .collect();
    let (mut query, mut headers, mut cookies) = (false, false, false);
    for p in others
        .iter()
        .filter(|p| p.required)
        .chain(others.iter().filter(|p| !p.required))
    {
        let arg = value_name(&mut args_scope, &p.name, "param", BUILTINS);
        let mut ty = ctx.ann(&p.ty, "m.");
        let note = untyped_reason(&p.ty)
            .map(|r| format!(" (untyped: {r})"))
            .unwrap_or_default();
        if p.required {
            signature.push(format!("{arg}: {ty}"));
        } else {
            if ty != "Any" && !ty.ends_with("| None") {
                ty.push_str(" | None");
            }
            signature.push(format!("{arg}: {ty} = None"));
        }
        let d = p
            .docs
            .description
            .clone()
            .or(p.docs.summary.clone())
            .unwrap_or_default();
        let location = match p.location {
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
            ParamLocation::Cookie => "cookie",
            ParamLocation::Path => "path",
        };
        arg_docs.push(
            format!(
                "{arg}: {} (`{}` {location}){note}",
                d.replace('\n', " "),
                p.name
            )
            .replace(":  (", ": ("),
        );
        let line = match p.location {
            ParamLocation::Query => {
                query = true;
                format!(
                    "_s.query(query, {}, {arg}, {}, {})",
                    lit(&p.name),
                    lit(p.style.as_str()),
                    if p.explode { "True" } else { "False" }
                )
            }
            ParamLocation::Header => {
                headers = true;
                format!("_s.header(header_values, {}, {arg})", lit(&p.name))
            }
            ParamLocation::Cookie => {
                cookies = true;
                format!("_s.cookie(cookies, {}, {arg})", lit(&p.name))
            }
            ParamLocation::Path => continue,
        };
        let _ = writeln!(prelude, "        {line}");
    }
    if query {
        prelude.insert_str(0, "        query: list[tuple[str, str]] = []\n");
        call_args.push("params=query".into());
    }
    if headers || cookies {
        prelude.insert_str(
            0,
            "        header_values: dict[str, str] = {}\n        cookies: list[str] = []\n",
        );
        call_args.push("headers=_s.headers(header_values, cookies, headers)".into());
    } else {
        call_args.push("headers=headers".into());
    }
    if op.conditional.is_some() {
        signature.push("if_match: str | None = None".into());
        arg_docs.push("if_match: the `ETag` the update is based on; a changed resource raises `oncely.PreconditionFailedError`.".into());
        call_args.push("if_match=if_match".into());
    }
    if raw_body {
        signature.push("content_type: str | None = None".into());
        call_args.push("content_type".into());
        call_args.retain(|a| a != "content_type");
    }
    let keyed = op.keyed;
    if keyed {
        signature.push("intent_id: str | None = None".into());
        signature.push("idempotency_key: str | None = None".into());
        arg_docs.push("intent_id: names the intent; the same intent sends the same idempotency key, even after a restart.".into());
        arg_docs.push("idempotency_key: an idempotency key to use verbatim.".into());
        call_args.push("intent_id=intent_id".into());
        call_args.push("idempotency_key=idempotency_key".into());
    }
    signature.push("headers: Mapping[str, str] | None = None".into());
    signature.push("timeout: float | None = None".into());
    signature.push("deadline: float | None = None".into());
    signature.push("retry: oncely.RetryPolicy | int | None = None".into());
    arg_docs.push("headers, timeout, deadline, retry: extra headers and per-call limits (see `oncely.Client.request`).".into());
    call_args.push("timeout=timeout".into());
    call_args.push("deadline=deadline".into());
    call_args.push("retry=retry".into());

    // The result.
    let (ret, finish) = match &op.success {
        Success::Empty => ("None".to_string(), Finish::Nothing),
        Success::Json { ty, optional } => {
            let mut t = ctx.ann(ty, "m.");
            let mut d = ctx.dec(ty, "m.");
            if *optional && t != "Any" && !t.ends_with("| None") {
                t.push_str(" | None");
                d = format!("_s.nullable({d})");
            }
            let expr = if t == "Any" {
                "response.json()".to_string()
            } else {
                format!("{d}(response.json())")
            };
            (t, Finish::Response(expr))
        }
        Success::Text => ("str".into(), Finish::Response("response.text".into())),
        Success::Bytes => ("bytes".into(), Finish::Response("response.content".into())),
        Success::Events { ty } | Success::Lines { ty } => {
            let item = ctx.ann(ty, "m.");
            let events = matches!(op.success, Success::Events { .. });
            let decoder = if item == "Any" {
                if events {
                    "_s.string, parse_json=False".to_string()
                } else {
                    "_s.any_value".to_string()
                }
            } else {
                ctx.dec(ty, "m.")
            };
            let (item, kind) = if events {
                (
                    if item == "Any" {
                        "str".to_string()
                    } else {
                        item
                    },
                    StreamKind::Events,
                )
            } else {
                (item, StreamKind::Lines)
            };
            (item, Finish::Stream(kind, decoder))
        }
        Success::Operation { ty } => (ctx.ann(ty, "m."), Finish::Operation(ctx.dec(ty, "m."))),
        Success::ByStatus { cases } => by_status(ctx, cases),
    };
    let (ret_sync, ret_async) = match &finish {
        Finish::Operation(_) => (
            format!("oncely.Operation[{ret}]"),
            format!("oncely.AsyncOperation[{ret}]"),
        ),
        Finish::Stream(StreamKind::Events, _) => (
            format!("_s.Events[{ret}]"),
            format!("_s.AsyncEvents[{ret}]"),
        ),
        Finish::Stream(StreamKind::Lines, _) => {
            (format!("_s.Lines[{ret}]"), format!("_s.AsyncLines[{ret}]"))
        }
        _ => (ret.clone(), ret),
    };

    let mut docs = docs_paragraphs(&op.docs);
    let mut facts = vec![format!("`{} {}`", op.method.as_str(), op.path)];
    if keyed {
        facts.push("sent with an idempotency key".into());
    }
    if op.long_running.is_some() {
        facts.push("long-running: returns an operation to `wait()` on".into());
    }
    if !op.problems.is_empty() {
        facts.push(format!(
            "problems ({}) raise `oncely.ProblemError`",
            op.problems.join(", ")
        ));
    }
    docs.push(facts.join("; ") + ".");
    if !arg_docs.is_empty() {
        let mut args = String::from("Args:");
        for a in &arg_docs {
            let _ = write!(args, "\n    {a}");
        }
        docs.push(args);
    }
    MethodPlan {
        name,
        signature,
        docs,
        prelude,
        call_args,
        ret_sync,
        ret_async,
        finish,
    }
}

/// The `…_pages` method of a paginated list operation: the operation's own
/// arguments, plus where to resume and when to stop.
fn pages_plan(
    ctx: &Ctx<'_>,
    op: &Operation,
    pagination: &crate::ir::Pagination,
    method_scope: &mut Scope,
) -> MethodPlan {
    let mut p = plan(ctx, op, method_scope);
    // Pages re-send the query: an optional body (as some documents declare
    // on `GET`) is not sent.
    p.signature
        .retain(|a| !a.starts_with("body:") && !a.starts_with("content_type:"));
    p.call_args.retain(|a| {
        !["json=", "data=", "content=", "content_type="]
            .iter()
            .any(|k| a.starts_with(k))
    });
    p.name = value_name(
        method_scope,
        &format!("{} pages", op.name),
        "operation_pages",
        &[],
    );
    let item = ctx.ann(&pagination.item, "m.");
    let decoder = if item == "Any" {
        "_s.any_value".to_string()
    } else {
        ctx.dec(&pagination.item, "m.")
    };
    p.ret_sync = format!("_s.Pages[{item}]");
    p.ret_async = format!("_s.AsyncPages[{item}]");
    let spec = serde_json::to_value(pagination).unwrap_or_default();
    p.call_args.insert(2, py_literal(&spec));
    p.call_args.push("max_pages=max_pages".into());
    p.call_args.push("max_items=max_items".into());
    p.call_args.push("cursor=resume_from".into());
    if !p.signature.iter().any(|s| s == "*") {
        p.signature.push("*".into());
    }
    p.signature.push("max_pages: int | None = None".into());
    p.signature.push("max_items: int | None = None".into());
    p.signature.push("resume_from: str | None = None".into());
    let base = p.docs.first().cloned();
    p.docs = vec![
        format!(
            "Every page of `{}`, fetched as it is iterated (`for page in ...`, or `.items()` for every item). Pages by {}.",
            op.method.as_str().to_owned() + " " + &op.path,
            pagination.rule
        ),
        "Each page is an ordinary oncely call (retries, budget, breaker). `cursor` is where the next page starts; pass it as `resume_from` to continue a reader that stopped. `max_pages` / `max_items` stop early.".into(),
    ];
    if let Some(b) = base {
        p.docs.push(b);
    }
    p.finish = Finish::Pages(decoder);
    p
}

/// A JSON value as a Python literal.
fn py_literal(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => lit(s),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(py_literal).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{}: {}", lit(k), py_literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The return type and statements of an operation whose success statuses
/// have different bodies.
fn by_status(ctx: &Ctx<'_>, cases: &[crate::ir::StatusCase]) -> (String, Finish) {
    let mut types: Vec<String> = Vec::new();
    let mut stmts = String::new();
    let mut default: Option<String> = None;
    for c in cases {
        let (t, expr) = match &c.body {
            CaseBody::Empty => ("None".to_string(), "None".to_string()),
            CaseBody::Json(t) => {
                let ann = ctx.ann(t, "m.");
                let expr = if ann == "Any" {
                    "response.json()".to_string()
                } else {
                    format!("{}(response.json())", ctx.dec(t, "m."))
                };
                (ann, expr)
            }
            CaseBody::Text => ("str".into(), "response.text".into()),
            CaseBody::Bytes => ("bytes".into(), "response.content".into()),
        };
        if !types.contains(&t) {
            types.push(t);
        }
        if c.status.chars().all(|ch| ch.is_ascii_digit()) {
            let _ = writeln!(
                stmts,
                "        if response.status == {}:\n            return {expr}",
                c.status
            );
        } else if let Some(first) = c.status.chars().next().filter(|ch| ch.is_ascii_digit()) {
            let _ = writeln!(
                stmts,
                "        if response.status // 100 == {first}:\n            return {expr}"
            );
        } else {
            default = Some(expr);
        }
    }
    let ret = if types.iter().any(|t| t == "Any") {
        "Any".to_string()
    } else {
        types.join(" | ")
    };
    let fallback = default.unwrap_or_else(|| {
        if ret == "Any" {
            "response.json()".into()
        } else {
            format!("cast({}, response.json())", lit(&ret))
        }
    });
    let _ = writeln!(stmts, "        return {fallback}");
    (ret, Finish::Statements(stmts))
}

fn method(out: &mut String, p: &MethodPlan, is_async: bool) {
    let (def, aw, ret) = if is_async {
        ("async def", "await ", &p.ret_async)
    } else {
        ("def", "", &p.ret_sync)
    };
    // Pages are fetched as they are iterated: the method itself only builds
    // the iterator, in both clients. (A stream's method is awaited in the
    // asyncio client, as the operation's own method.)
    let def = if matches!(p.finish, Finish::Pages(_)) {
        "def"
    } else {
        def
    };
    let _ = writeln!(out, "\n    {def} {}(", p.name);
    out.push_str("        self,\n");
    let mut sig = p.signature.clone();
    if sig.last().is_some_and(|s| s == "*") {
        sig.pop();
    }
    for s in &sig {
        let _ = writeln!(out, "        {s},");
    }
    let _ = writeln!(out, "    ) -> {ret}:");
    docstring(out, "        ", &p.docs);
    out.push_str(&p.prelude);
    let args = p
        .call_args
        .iter()
        .map(|a| format!("            {a},\n"))
        .collect::<String>();
    match &p.finish {
        Finish::Nothing => {
            let _ = write!(out, "        {aw}self.client.request(\n{args}        )\n");
        }
        Finish::Response(expr) => {
            let _ = write!(out, "        response = {aw}self.client.request(\n{args}        )\n        return {expr}\n");
        }
        Finish::Statements(stmts) => {
            let _ = write!(
                out,
                "        response = {aw}self.client.request(\n{args}        )\n{stmts}"
            );
        }
        Finish::Operation(decoder) => {
            let _ = write!(
                out,
                "        return {aw}self.client.request_operation(\n{args}            decoder={decoder},\n        )\n"
            );
        }
        Finish::Stream(kind, decoder) => {
            let (class, call) = match (kind, is_async) {
                (StreamKind::Events, false) => ("Events", "stream_events"),
                (StreamKind::Events, true) => ("AsyncEvents", "stream_events"),
                (StreamKind::Lines, false) => ("Lines", "stream_lines"),
                (StreamKind::Lines, true) => ("AsyncLines", "stream_lines"),
            };
            let _ = write!(
                out,
                "        return _s.{class}(\n            self.client.{call}(\n{}            ),\n            {decoder},\n        )\n",
                p.call_args
                    .iter()
                    .map(|a| format!("                {a},\n"))
                    .collect::<String>()
            );
        }
        Finish::Pages(decoder) => {
            let class = if is_async { "AsyncPages" } else { "Pages" };
            let _ = write!(
                out,
                "        return _s.{class}(\n            self.client.pages(\n{}            ),\n            {decoder},\n        )\n",
                p.call_args
                    .iter()
                    .map(|a| format!("                {a},\n"))
                    .collect::<String>()
            );
        }
    }
}
