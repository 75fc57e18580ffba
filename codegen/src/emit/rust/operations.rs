//! `src/operations.rs`: one async method per operation on the client, and a
//! `…Params` struct for operations with many optional parameters.

use std::fmt::Write;

use super::ctx::{primitive, variant_in, Ctx};
use super::text::{code, lit, write_doc};
use crate::emit::common::docs_text;
use crate::ir::{
    BodyKind, CaseBody, Operation, PageStyle, Pagination, Param, ParamLocation, ParamStyle,
    Primitive, RequestBody, StatusCase, Success, Type,
};
use crate::naming::{ident, rust, Case, Scope};

const MODELS: &str = "crate::models::";

/// More optional parameters than this go into a `…Params` struct.
const MAX_POSITIONAL_OPTIONAL: usize = 2;

/// Names the generated method bodies use for themselves.
const RESERVED_ARGS: &[&str] = &[
    "self",
    "body",
    "intent_id",
    "if_match",
    "params",
    "rb",
    "content_type",
    "form",
    "v",
];

/// How a parameter value is passed.
#[derive(Clone)]
enum Pass {
    /// `&str` / `String`.
    Str,
    /// A `Copy` scalar (`i64`, `f64`, `bool`).
    Copy(&'static str),
    /// `&[T]` / `Vec<T>`.
    Slice(String),
    /// `&T` / `T`.
    Ref(String),
}

fn pass(ctx: &Ctx<'_>, t: &Type) -> Pass {
    match t.non_null() {
        Type::Primitive(p) => match p {
            Primitive::I32 | Primitive::I64 | Primitive::Number | Primitive::Boolean => {
                Pass::Copy(primitive(*p))
            }
            _ => Pass::Str,
        },
        Type::Array(inner) => Pass::Slice(ctx.ty(inner, MODELS)),
        t => Pass::Ref(ctx.ty(t, MODELS)),
    }
}

impl Pass {
    fn borrowed(&self) -> String {
        match self {
            Pass::Str => "&str".into(),
            Pass::Copy(t) => (*t).into(),
            Pass::Slice(t) => format!("&[{t}]"),
            Pass::Ref(t) => format!("&{t}"),
        }
    }

    fn owned(&self) -> String {
        match self {
            Pass::Str => "::std::string::String".into(),
            Pass::Copy(t) => (*t).into(),
            Pass::Slice(t) => format!("::std::vec::Vec<{t}>"),
            Pass::Ref(t) => t.clone(),
        }
    }

    /// Converts `&Owned` (bound as `v`) to the borrowed form.
    fn borrow_owned(&self) -> &'static str {
        match self {
            Pass::Str => "v.as_str()",
            Pass::Copy(_) => "*v",
            Pass::Slice(_) => "v.as_slice()",
            Pass::Ref(_) => "v",
        }
    }

    fn is_scalar(&self) -> bool {
        matches!(self, Pass::Str | Pass::Copy(_))
    }
}

/// The expression that adds parameter `p` with value `v` (borrowed form) to `rb`.
fn apply(p: &Param, pass: &Pass, v: &str) -> String {
    let name = lit(&p.name);
    let scalar = pass.is_scalar() && p.style != ParamStyle::Json;
    let text = if p.style == ParamStyle::Json {
        format!("crate::support::json_text({v})")
    } else {
        format!("crate::support::simple({v})")
    };
    match p.location {
        ParamLocation::Path if scalar => format!("rb.path_param({name}, {v})"),
        ParamLocation::Path => format!("rb.path_param({name}, {text})"),
        ParamLocation::Header if scalar => format!("rb.header({name}, {v})"),
        ParamLocation::Header => format!("rb.header({name}, {text})"),
        ParamLocation::Cookie if scalar => format!("rb.cookie({name}, {v})"),
        ParamLocation::Cookie => format!("rb.cookie({name}, {text})"),
        ParamLocation::Query => {
            // Lowering leaves only the query's own styles (and JSON) here.
            let style = match p.style {
                ParamStyle::SpaceDelimited => "SpaceDelimited",
                ParamStyle::PipeDelimited => "PipeDelimited",
                ParamStyle::DeepObject => "DeepObject",
                ParamStyle::Json => "Json",
                ParamStyle::Form | ParamStyle::Simple | ParamStyle::Label | ParamStyle::Matrix => {
                    "Form"
                }
            };
            if scalar && p.style != ParamStyle::DeepObject {
                format!("rb.query({name}, {v})")
            } else {
                format!(
                    "crate::support::query(rb, {name}, {v}, crate::support::Style::{style}, {})",
                    p.explode
                )
            }
        }
    }
}

struct Arg {
    name: String,
    ty: String,
    doc: Option<String>,
}

/// The parts of a method that depend on its body.
struct BodyPlan {
    arg: Vec<Arg>,
    stmt: String,
}

fn body_plan(ctx: &Ctx<'_>, body: &RequestBody, raw: bool) -> Option<BodyPlan> {
    let first = body.contents.first()?;
    let desc = body.docs.description.clone();
    let media: Vec<String> = body.contents.iter().map(|c| code(&c.media_type)).collect();
    if raw {
        return Some(BodyPlan {
            arg: vec![
                Arg {
                    name: "body".into(),
                    ty: "impl ::std::convert::Into<::oncely::Bytes>".into(),
                    doc: Some(format!("The encoded body ({}).", media.join(", "))),
                },
                Arg {
                    name: "content_type".into(),
                    ty: "&str".into(),
                    doc: Some("Its media type.".into()),
                },
            ],
            stmt: "let rb = rb.body(body, content_type);".into(),
        });
    }
    let (ty, call) = match first.kind {
        BodyKind::Json => (ctx.ty(&first.ty, MODELS), "json"),
        BodyKind::Form => (ctx.ty(&first.ty, MODELS), "form"),
        BodyKind::Multipart => {
            let (ty, stmt) = if body.required {
                (
                    "::oncely::Multipart".to_string(),
                    "let rb = rb.multipart(form);".to_string(),
                )
            } else {
                (
                    "::std::option::Option<::oncely::Multipart>".to_string(),
                    "let rb = match form {\n            Some(v) => rb.multipart(v),\n            None => rb,\n        };".to_string(),
                )
            };
            return Some(BodyPlan {
                arg: vec![Arg {
                    name: "form".into(),
                    ty,
                    doc: Some(format!("The form ({}).", code(&first.media_type))),
                }],
                stmt,
            });
        }
        BodyKind::Binary | BodyKind::Text | BodyKind::EventStream | BodyKind::JsonLines => {
            let wildcard = first.media_type.contains('*');
            let mut args = vec![Arg {
                name: "body".into(),
                ty: if body.required {
                    "impl ::std::convert::Into<::oncely::Bytes>".into()
                } else {
                    "::std::option::Option<::oncely::Bytes>".into()
                },
                doc: desc
                    .clone()
                    .or_else(|| Some(format!("The body ({}).", code(&first.media_type)))),
            }];
            let ct = if wildcard {
                args.push(Arg {
                    name: "content_type".into(),
                    ty: "&str".into(),
                    doc: Some(format!(
                        "The body's media type ({}).",
                        code(&first.media_type)
                    )),
                });
                "content_type".to_string()
            } else {
                lit(&first.media_type)
            };
            let stmt = if body.required {
                format!("let rb = rb.body(body, {ct});")
            } else {
                format!(
                    "let rb = match body {{\n            Some(v) => rb.body(v, {ct}),\n            None => rb,\n        }};"
                )
            };
            return Some(BodyPlan { arg: args, stmt });
        }
    };
    let (aty, stmt) = if body.required {
        (format!("&{ty}"), format!("let rb = rb.{call}(body);"))
    } else {
        (
            format!("::std::option::Option<&{ty}>"),
            format!(
                "let rb = match body {{\n            Some(v) => rb.{call}(v),\n            None => rb,\n        }};"
            ),
        )
    };
    Some(BodyPlan {
        arg: vec![Arg {
            name: "body".into(),
            ty: aty,
            doc: desc,
        }],
        stmt,
    })
}

/// The enum of an operation whose success statuses have different bodies
/// (written to `structs`), and the expression that decodes the answer into it.
fn by_status(
    ctx: &Ctx<'_>,
    structs: &mut String,
    name: &str,
    method: &str,
    cases: &[StatusCase],
) -> String {
    let mut scope = Scope::with_reserved(["Other"]);
    let mut variants = String::new();
    let mut exact = String::new();
    let mut ranges = String::new();
    let mut default = String::new();
    for c in cases {
        let vname = variant_in(&mut scope, &format!("status {}", c.status), "Status");
        let (payload, decode) = match &c.body {
            CaseBody::Empty => (None, format!("::std::result::Result::Ok({name}::{vname})")),
            CaseBody::Json(t) => (
                Some(ctx.ty(t, MODELS)),
                format!("response.json().map({name}::{vname})"),
            ),
            CaseBody::Text => (
                Some("::std::string::String".to_string()),
                format!("response.text().map({name}::{vname})"),
            ),
            CaseBody::Bytes => (
                Some("::oncely::Bytes".to_string()),
                format!("::std::result::Result::Ok({name}::{vname}(response.bytes().clone()))"),
            ),
        };
        let _ = writeln!(variants, "    /// Status {}.", code(&c.status));
        match payload {
            Some(p) => {
                let _ = writeln!(variants, "    {vname}({p}),");
            }
            None => {
                let _ = writeln!(variants, "    {vname},");
            }
        }
        match c.status.as_bytes() {
            [d, b'X' | b'x', b'X' | b'x'] if d.is_ascii_digit() => {
                let base = u16::from(d - b'0') * 100;
                let _ = writeln!(ranges, "            {}..={} => {decode},", base, base + 99);
            }
            _ if c.status.eq_ignore_ascii_case("default") => {
                let _ = writeln!(default, "            _ => {decode},");
            }
            _ => {
                let _ = writeln!(exact, "            {} => {decode},", c.status);
            }
        }
    }
    let _ = writeln!(
        structs,
        "/// What {} answers, by success status.\n\
         #[derive(Debug, Clone, PartialEq)]\n\
         pub enum {name} {{\n{variants}\
         \x20   /// A success status the document does not list.\n\
         \x20   Other {{\n\
         \x20       /// The status.\n\
         \x20       status: u16,\n\
         \x20       /// The body.\n\
         \x20       body: ::oncely::Bytes,\n\
         \x20   }},\n}}\n",
        code(method)
    );
    if default.is_empty() {
        default = format!(
            "            status => ::std::result::Result::Ok({name}::Other {{\n                status,\n                body: response.bytes().clone(),\n            }}),\n"
        );
    }
    format!(
        "let response = rb.send().await?;\n        match response.status() {{\n{exact}{ranges}{default}        }}"
    )
}

/// Return type and final expression of a method.
fn result(ctx: &Ctx<'_>, success: &Success) -> (String, String) {
    match success {
        Success::ByStatus { .. } => ("()".into(), "rb.send_empty().await".into()),
        Success::Empty => ("()".into(), "rb.send_empty().await".into()),
        Success::Json { ty, optional } => {
            let t = match (optional, ty) {
                (true, Type::Any { .. } | Type::Nullable(_)) | (false, _) => ctx.ty(ty, MODELS),
                (true, t) => format!("::std::option::Option<{}>", ctx.ty(t, MODELS)),
            };
            (t.clone(), format!("rb.send_json::<{t}>().await"))
        }
        Success::Text => (
            "::std::string::String".into(),
            "let response = rb.send().await?;\n        response.text()".into(),
        ),
        Success::Bytes => (
            "::oncely::Bytes".into(),
            "let response = rb.send().await?;\n        ::std::result::Result::Ok(response.bytes().clone())".into(),
        ),
        Success::Operation { ty } => {
            let t = ctx.ty(ty, MODELS);
            (
                format!("::oncely::Operation<{t}>"),
                format!("rb.send_operation::<{t}>().await"),
            )
        }
        Success::Events { ty: Type::Any { .. } } => (
            "::oncely::EventStream".into(),
            "rb.send_events().await".into(),
        ),
        Success::Events { ty } => {
            let t = ctx.ty(ty, MODELS);
            (
                format!("::oncely::stream::JsonEvents<{t}>"),
                format!("rb.send_events().await.map(::oncely::EventStream::json::<{t}>)"),
            )
        }
        Success::Lines { ty } => {
            let t = ctx.ty(ty, MODELS);
            (
                format!("::oncely::JsonLines<{t}>"),
                format!("rb.send_lines::<{t}>().await"),
            )
        }
    }
}

pub(crate) fn emit(ctx: &Ctx<'_>, client: &str) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let mut structs = String::new();
    out.push_str("//! The operations of the API, as methods of the client.\n\n");
    let mut methods = Scope::with_reserved(["new", "inner"]);
    let mut struct_scope = Scope::with_reserved([client]);
    let _ = writeln!(out, "impl crate::{client} {{");
    let mut first = true;
    for op in &ctx.api.operations {
        let name = rust::snake_in(&mut methods, &op.name, "operation");
        if !first {
            out.push('\n');
        }
        first = false;
        let raw_variant = op.body.as_ref().filter(|b| b.contents.len() > 1).map(|_| {
            rust::snake_in(
                &mut methods,
                &format!("{} with body", rust::unraw(&name)),
                "operation_with_body",
            )
        });
        let etag_variant = (op.etag && matches!(op.success, Success::Json { .. })).then(|| {
            rust::snake_in(
                &mut methods,
                &format!("{} with etag", rust::unraw(&name)),
                "operation_with_etag",
            )
        });
        let params_struct = {
            let optional = op.params.iter().filter(|p| !p.required).count();
            if optional > MAX_POSITIONAL_OPTIONAL {
                let base = ident(rust::unraw(&name), Case::UpperCamel, "Operation", "Op");
                Some(struct_scope.unique(&format!("{base}Params"), ""))
            } else {
                None
            }
        };
        let response_enum = match &op.success {
            Success::ByStatus { cases } => {
                let base = ident(rust::unraw(&name), Case::UpperCamel, "Operation", "Op");
                let ename = struct_scope.unique(&format!("{base}Response"), "");
                let expr = by_status(ctx, &mut structs, &ename, rust::unraw(&name), cases);
                Some((ename, expr))
            }
            _ => None,
        };
        let plan = Plan {
            name: &name,
            params_struct: params_struct.as_deref(),
            response: response_enum.as_ref(),
        };
        method(ctx, &mut out, &mut structs, op, &plan, Variant::Typed);
        if let Some(etag) = etag_variant {
            out.push('\n');
            let plan = Plan {
                name: &etag,
                ..plan
            };
            method(ctx, &mut out, &mut structs, op, &plan, Variant::WithEtag);
        }
        if let Some(raw) = raw_variant {
            out.push('\n');
            let plan = Plan { name: &raw, ..plan };
            method(ctx, &mut out, &mut structs, op, &plan, Variant::RawBody);
        }
        if op.pagination.is_some() {
            for (suffix, variant) in [("pages", Variant::Pages), ("items", Variant::Items)] {
                let paged = rust::snake_in(
                    &mut methods,
                    &format!("{} {suffix}", rust::unraw(&name)),
                    &format!("operation_{suffix}"),
                );
                out.push('\n');
                let plan = Plan {
                    name: &paged,
                    ..plan
                };
                method(ctx, &mut out, &mut structs, op, &plan, variant);
            }
        }
    }
    out.push_str("}\n");
    if !structs.is_empty() {
        out.push('\n');
        out.push_str(&structs);
    }
    out
}

/// Names decided for one method.
#[derive(Clone, Copy)]
struct Plan<'p> {
    name: &'p str,
    params_struct: Option<&'p str>,
    /// The by-status response enum and its decoding expression.
    response: Option<&'p (String, String)>,
}

/// Which method of an operation is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// The typed method.
    Typed,
    /// The typed method, also returning the `ETag` of the answer.
    WithEtag,
    /// `…_with_body`: any media type, raw bytes.
    RawBody,
    /// `…_pages`: every page of a paginated list (`oncely::paginate::Pages`).
    Pages,
    /// `…_items`: every item of a paginated list, page after page.
    Items,
}

/// The core's page spec of a paginated operation, as a Rust expression.
fn page_spec(p: &Pagination) -> String {
    let s = |v: &str| format!("{}.into()", lit(v));
    let o = |v: &Option<String>| match v {
        Some(v) => format!("::std::option::Option::Some({})", s(v)),
        None => "::std::option::Option::None".into(),
    };
    let style = match &p.style {
        PageStyle::BodyCursor {
            next,
            param,
            has_more,
        } => format!(
            "BodyCursor {{ next: {}, param: {}, has_more: {} }}",
            s(next),
            s(param),
            o(has_more)
        ),
        PageStyle::LastItem {
            param,
            id_field,
            has_more,
        } => format!(
            "LastItem {{ param: {}, id_field: {}, has_more: {} }}",
            s(param),
            s(id_field),
            s(has_more)
        ),
        PageStyle::NextUrl { next } => format!("NextUrl {{ next: {} }}", s(next)),
        PageStyle::LinkHeader => "LinkHeader".into(),
        PageStyle::PageNumber {
            param,
            first,
            size_param,
            total,
        } => format!(
            "PageNumber {{ param: {}, first: {first}, size_param: {}, total: {} }}",
            s(param),
            o(size_param),
            o(total)
        ),
        PageStyle::Offset {
            param,
            limit_param,
            total,
        } => format!(
            "Offset {{ param: {}, limit_param: {}, total: {} }}",
            s(param),
            o(limit_param),
            o(total)
        ),
    };
    format!(
        "::oncely::paginate::PageSpec {{ items: {}, style: ::oncely::paginate::PageStyle::{style} }}",
        s(&p.items)
    )
}

fn method(
    ctx: &Ctx<'_>,
    out: &mut String,
    structs: &mut String,
    op: &Operation,
    plan: &Plan<'_>,
    variant: Variant,
) {
    let raw_body = variant == Variant::RawBody;
    let name = plan.name;
    let params_struct = plan.params_struct;
    let mut scope = Scope::with_reserved(RESERVED_ARGS.iter().copied());
    let mut args: Vec<Arg> = Vec::new();
    let mut stmts: Vec<String> = Vec::new();

    // Required parameters, positional.
    for p in op.params.iter().filter(|p| p.required) {
        let pa = pass(ctx, &p.ty);
        let arg = rust::snake_in(&mut scope, &p.name, "param");
        stmts.push(format!("let rb = {};", apply(p, &pa, &arg)));
        args.push(Arg {
            name: arg,
            ty: pa.borrowed(),
            doc: param_doc(p),
        });
    }
    // The body.
    if let Some(plan) = op.body.as_ref().and_then(|b| body_plan(ctx, b, raw_body)) {
        args.extend(plan.arg);
        stmts.push(plan.stmt);
    }
    // Optional parameters: positional, or a struct.
    let optional: Vec<&Param> = op.params.iter().filter(|p| !p.required).collect();
    match params_struct {
        Some(sname) if !optional.is_empty() => {
            let mut fscope = Scope::new();
            let mut fields = String::new();
            for p in &optional {
                let pa = pass(ctx, &p.ty);
                let f = rust::snake_in(&mut fscope, &p.name, "param");
                let mut paras = Vec::new();
                if let Some(d) = param_doc(p) {
                    paras.push(d);
                }
                paras.push(format!(
                    "{} parameter {}.",
                    location_word(p.location),
                    code(&p.name)
                ));
                write_doc(&mut fields, "    ", &paras);
                let _ = writeln!(
                    fields,
                    "    pub {f}: ::std::option::Option<{}>,",
                    pa.owned()
                );
                stmts.push(format!(
                    "let rb = match &params.{f} {{\n            Some(v) => {},\n            None => rb,\n        }};",
                    apply(p, &pa, pa.borrow_owned())
                ));
            }
            // Written once, with the typed method; the other methods of the
            // operation take the same struct.
            if variant == Variant::Typed {
                let _ = writeln!(
                    structs,
                    "/// Optional parameters of {}.\n\
                     #[derive(Debug, Clone, Default)]\n\
                     pub struct {sname} {{\n{fields}}}\n",
                    code(rust::unraw(name)),
                );
            }
            args.push(Arg {
                name: "params".into(),
                ty: format!("&{sname}"),
                doc: Some(format!(
                    "Optional parameters (`{sname}::default()` for none)."
                )),
            });
        }
        _ => {
            for p in &optional {
                let pa = pass(ctx, &p.ty);
                let arg = rust::snake_in(&mut scope, &p.name, "param");
                stmts.push(format!(
                    "let rb = match {arg} {{\n            Some(v) => {},\n            None => rb,\n        }};",
                    apply(p, &pa, "v")
                ));
                args.push(Arg {
                    name: arg,
                    ty: format!("::std::option::Option<{}>", pa.borrowed()),
                    doc: param_doc(p),
                });
            }
        }
    }
    if let Some(c) = &op.conditional {
        args.push(Arg {
            name: "if_match".into(),
            ty: "::std::option::Option<&str>".into(),
            doc: Some(format!(
                "Precondition: the entity tag the resource must still have (sent as {}).",
                code(&c.header)
            )),
        });
        stmts.push(format!(
            "let rb = match if_match {{\n            Some(v) => rb.header({}, v),\n            None => rb,\n        }};",
            lit(&c.header)
        ));
    }
    if op.keyed {
        args.push(Arg {
            name: "intent_id".into(),
            ty: "::std::option::Option<&str>".into(),
            doc: Some("Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.".into()),
        });
        if op.idempotency.is_some() {
            stmts.push("let rb = rb.idempotent(true);".into());
        }
        stmts.push(
            "let rb = match intent_id {\n            Some(v) => rb.intent_id(v),\n            None => rb,\n        };"
                .into(),
        );
    }

    let paged = op
        .pagination
        .as_ref()
        .filter(|_| matches!(variant, Variant::Pages | Variant::Items));
    let (ret, tail) = match (plan.response, variant, &op.success) {
        (_, Variant::Pages | Variant::Items, _) if paged.is_some() => {
            let p = paged.expect("checked");
            let item = ctx.ty(&p.item, MODELS);
            let pages = format!("rb.pages::<{item}>({})", page_spec(p));
            if variant == Variant::Pages {
                (format!("::oncely::paginate::Pages<{item}>"), pages)
            } else {
                (
                    format!("impl ::oncely::stream::Stream<Item = ::std::result::Result<{item}, ::oncely::Error>>"),
                    format!("{pages}.into_items()"),
                )
            }
        }
        (Some((ename, expr)), _, _) => (ename.clone(), expr.clone()),
        (None, Variant::WithEtag, Success::Json { .. }) => {
            let (t, _) = result(ctx, &op.success);
            (
                format!("({t}, ::std::option::Option<::std::string::String>)"),
                format!(
                    "let response = rb.send().await?;\n        let etag = response.etag().map(::std::borrow::ToOwned::to_owned);\n        let body: {t} = response.json()?;\n        ::std::result::Result::Ok((body, etag))"
                ),
            )
        }
        _ => result(ctx, &op.success),
    };

    // Docs.
    let mut paras: Vec<String> = Vec::new();
    if variant == Variant::WithEtag {
        paras.push(format!(
            "{} that also returns the answer's `ETag` (for `if_match` on a later update).",
            code(rust::unraw(name).trim_end_matches("_with_etag"))
        ));
    } else if let Some(p) = paged {
        let base = code(
            rust::unraw(name)
                .trim_end_matches("_pages")
                .trim_end_matches("_items"),
        );
        paras.push(if variant == Variant::Pages {
            format!("Every page of {base}, fetched as they are read: `next_page().await`, or `into_stream()` / `into_items()`. Each page is an ordinary call (retries, budget, breaker); `cursor()` is where the next page starts, and `resume_from(cursor)` continues a reader that stopped; `max_pages` / `max_items` stop early.")
        } else {
            format!("Every item of {base}, page after page (a stream; see the `_pages` method to resume or limit).")
        });
        paras.push(format!("Pages by {}.", p.rule));
    } else if raw_body {
        paras.push(format!(
            "{} with a body of any media type the operation accepts.",
            code(rust::unraw(name).trim_end_matches("_with_body"))
        ));
    } else {
        paras.extend(docs_text(&op.docs));
    }
    let mut facts = code(&format!("{} {}", op.method.as_str(), op.path));
    if let Some(id) = &op.operation_id {
        let _ = write!(facts, " (operation {})", code(id));
    }
    facts.push('.');
    paras.push(facts);
    if op.docs.deprecated {
        paras.push("Deprecated.".into());
    }
    match &op.idempotency {
        Some(i) => paras.push(format!(
            "Idempotent: the core sends {} on every attempt, derived from `intent_id` when given.",
            code(&i.header)
        )),
        None if op.keyed => paras.push(
            "Keyed: the core sends an idempotency key on every attempt (derived from `intent_id` when given) and records the outcome, so a repeated intent is not sent twice.".into(),
        ),
        None => {}
    }
    if let Some(l) = &op.long_running {
        paras.push(format!(
            "Long-running ({}): returns an `oncely::Operation`; `wait()` polls it to the end.",
            l.reason
        ));
    }
    if !op.problems.is_empty() {
        paras.push(format!(
            "Errors {} come as problem details (`oncely::Error::Problem`).",
            op.problems
                .iter()
                .map(|s| code(s))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let documented: Vec<String> = args
        .iter()
        .filter_map(|a| {
            a.doc
                .as_ref()
                .map(|d| format!("- `{}`: {}", rust::unraw(&a.name), d.replace('\n', " ")))
        })
        .collect();
    if !documented.is_empty() {
        paras.push(format!("Arguments:\n\n{}", documented.join("\n")));
    }
    write_doc(out, "    ", &paras);

    // Signature.
    let asyncness = if paged.is_some() { "" } else { "async " };
    let _ = write!(out, "    pub {asyncness}fn {name}(\n        &self,\n");
    for a in &args {
        let _ = writeln!(out, "        {}: {},", a.name, a.ty);
    }
    if paged.is_some() {
        let _ = writeln!(out, "    ) -> {ret} {{");
    } else {
        let _ = writeln!(
            out,
            "    ) -> ::std::result::Result<{ret}, ::oncely::Error> {{"
        );
    }
    let _ = writeln!(
        out,
        "        let rb = self.inner.request(::oncely::Method::{}, {});",
        op.method.as_str(),
        lit(&op.path)
    );
    for s in &stmts {
        let _ = writeln!(out, "        {s}");
    }
    let _ = writeln!(out, "        {tail}\n    }}");
}

fn location_word(l: ParamLocation) -> &'static str {
    match l {
        ParamLocation::Path => "Path",
        ParamLocation::Query => "Query",
        ParamLocation::Header => "Header",
        ParamLocation::Cookie => "Cookie",
    }
}

fn param_doc(p: &Param) -> Option<String> {
    p.docs.description.clone()
}
