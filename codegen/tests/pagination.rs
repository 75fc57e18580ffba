//! Paginated list operations: each detection rule, the explicit extensions,
//! and the operations reported as looking paginated without a rule.

mod common;

use common::{ir, op};
use oncely_codegen::ir::{PageStyle, Primitive, Type};

/// A document with one `GET /things` operation (`listThings`) whose query
/// parameters, response headers and body schema are given.
fn list_op(params: &str, headers: &str, schema: &str, extra: &str) -> String {
    format!(
        r#"{{"openapi": "3.0.3", "info": {{"title": "T", "version": "1"}},
  "paths": {{"/things": {{"get": {{"operationId": "listThings", "parameters": [{params}], {extra}
    "responses": {{"200": {{"description": "ok", "headers": {{{headers}}},
      "content": {{"application/json": {{"schema": {schema}}}}}}}}}}}}}}},
  "components": {{"schemas": {{"Thing": {{"type": "object", "properties": {{"id": {{"type": "string"}}}}}}}}}}}}"#
    )
}

fn q(name: &str, ty: &str) -> String {
    format!(r#"{{"name": "{name}", "in": "query", "schema": {{"type": "{ty}"}}}}"#)
}

const THINGS: &str = r##"{"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}"##;

fn paged(doc: &str) -> oncely_codegen::ir::Pagination {
    let api = ir(doc);
    let o = op(&api, "listThings");
    o.pagination
        .clone()
        .unwrap_or_else(|| panic!("not paginated: {:?}", o.pagination_miss))
}

fn missed(doc: &str) -> String {
    let api = ir(doc);
    let o = op(&api, "listThings");
    assert!(o.pagination.is_none(), "paginated: {:?}", o.pagination);
    o.pagination_miss
        .clone()
        .expect("reported as looking paginated")
}

fn object(fields: &str) -> String {
    format!(r#"{{"type": "object", "properties": {{{fields}}}}}"#)
}

#[test]
fn stripe_lists_page_by_the_last_items_id() {
    let body = object(&format!(
        r#""object": {{"type": "string"}}, "data": {THINGS}, "has_more": {{"type": "boolean"}}"#
    ));
    let p = paged(&list_op(
        &[q("limit", "integer"), q("starting_after", "string")].join(","),
        "",
        &body,
        "",
    ));
    assert_eq!(p.items, "data");
    assert_eq!(
        p.style,
        PageStyle::LastItem {
            param: "starting_after".into(),
            id_field: "id".into(),
            has_more: "has_more".into()
        }
    );
    assert!(matches!(p.item, Type::Ref(_)), "items typed: {:?}", p.item);
}

#[test]
fn a_link_header_pages_by_its_next_url() {
    let p = paged(&list_op(
        &[q("per_page", "integer"), q("page", "integer")].join(","),
        r#""Link": {"schema": {"type": "string"}}"#,
        THINGS,
        "",
    ));
    assert_eq!(p.items, "");
    assert_eq!(p.style, PageStyle::LinkHeader);
}

#[test]
fn a_next_token_pairs_with_the_parameter_of_the_same_meaning() {
    let cases = [
        (
            "pageToken",
            r#""nextPageToken": {"type": "string"}"#,
            "nextPageToken",
        ),
        (
            "NextToken",
            r#""NextToken": {"type": "string"}"#,
            "NextToken",
        ),
        (
            "nextToken",
            r#""NextToken": {"type": "string"}"#,
            "NextToken",
        ),
        (
            "cursor",
            r#""next_cursor": {"type": "string"}"#,
            "next_cursor",
        ),
        (
            "cursor",
            r#""response_metadata": {"type": "object", "properties": {"next_cursor": {"type": "string"}}}"#,
            "response_metadata.next_cursor",
        ),
        (
            "pagination_token",
            r#""meta": {"type": "object", "properties": {"next_token": {"type": "string"}}}"#,
            "meta.next_token",
        ),
        (
            "marker",
            r#""NextMarker": {"type": "string"}"#,
            "NextMarker",
        ),
    ];
    for (param, field, path) in cases {
        let body = object(&format!(r#""items": {THINGS}, {field}"#));
        let p = paged(&list_op(&q(param, "string"), "", &body, ""));
        assert_eq!(p.items, "items", "{param}");
        assert_eq!(
            p.style,
            PageStyle::BodyCursor {
                next: path.into(),
                param: param.into(),
                has_more: None
            },
            "{param} / {field}"
        );
    }
}

#[test]
fn relay_page_info_pages_by_the_end_cursor_while_it_has_a_next_page() {
    let body = object(&format!(
        r#""nodes": {THINGS}, "pageInfo": {{"type": "object", "properties": {{"endCursor": {{"type": "string"}}, "hasNextPage": {{"type": "boolean"}}}}}}"#
    ));
    let p = paged(&list_op(&q("after", "string"), "", &body, ""));
    assert_eq!(
        p.style,
        PageStyle::BodyCursor {
            next: "pageInfo.endCursor".into(),
            param: "after".into(),
            has_more: Some("pageInfo.hasNextPage".into())
        }
    );
    assert_eq!(p.items, "nodes");
}

#[test]
fn a_next_url_in_the_body_is_followed() {
    let cases = [
        (r#""next": {"type": "string", "nullable": true}"#, "next"),
        (r#""nextLink": {"type": "string"}"#, "nextLink"),
        (
            r#""links": {"type": "object", "properties": {"next": {"type": "string"}}}"#,
            "links.next",
        ),
        (
            r#""_links": {"type": "object", "properties": {"next": {"type": "object", "properties": {"href": {"type": "string"}}}}}"#,
            "_links.next.href",
        ),
    ];
    for (field, path) in cases {
        let body = object(&format!(r#""results": {THINGS}, {field}"#));
        let p = paged(&list_op(&q("cursor", "string"), "", &body, ""));
        assert_eq!(p.style, PageStyle::NextUrl { next: path.into() }, "{field}");
        assert_eq!(p.items, "results");
    }
}

#[test]
fn page_numbers_start_where_the_parameter_says() {
    let body = object(&format!(
        r#""entries": {THINGS}, "total_count": {{"type": "integer"}}"#
    ));
    let p = paged(&list_op(
        &[q("page", "integer"), q("page_size", "integer")].join(","),
        "",
        &body,
        "",
    ));
    assert_eq!(
        p.style,
        PageStyle::PageNumber {
            param: "page".into(),
            first: 1,
            size_param: Some("page_size".into()),
            total: Some("total_count".into())
        }
    );
    let zero = r#"{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 0}}"#;
    let p = paged(&list_op(zero, "", THINGS, ""));
    assert!(matches!(p.style, PageStyle::PageNumber { first: 0, .. }));
    // JSON:API's bracketed names.
    let p = paged(&list_op(&q("page[number]", "integer"), "", THINGS, ""));
    assert!(matches!(p.style, PageStyle::PageNumber { ref param, .. } if param == "page[number]"));
}

#[test]
fn integer_offsets_page_by_the_items_received() {
    let p = paged(&list_op(
        &[q("offset", "integer"), q("limit", "integer")].join(","),
        "",
        THINGS,
        "",
    ));
    assert_eq!(
        p.style,
        PageStyle::Offset {
            param: "offset".into(),
            limit_param: Some("limit".into()),
            total: None
        }
    );
}

#[test]
fn the_items_are_the_array_named_like_items_or_like_the_resource() {
    // Two arrays: the one named like the path's last segment.
    let body = object(&format!(
        r#""things": {THINGS}, "unreachable": {{"type": "array", "items": {{"type": "string"}}}}, "nextPageToken": {{"type": "string"}}"#
    ));
    assert_eq!(
        paged(&list_op(&q("pageToken", "string"), "", &body, "")).items,
        "things"
    );
    // Nested in a container.
    let body = object(&format!(
        r#""data": {{"type": "object", "properties": {{"rows": {THINGS}}}}}, "next": {{"type": "string"}}"#
    ));
    assert_eq!(paged(&list_op("", "", &body, "")).items, "data.rows");
}

#[test]
fn extensions_override_detection() {
    // oncely's own: the core's page spec form.
    let ext = r#""x-pagination": {"style": "body_cursor", "items": "rows", "next": "cursor.next", "param": "from"},"#;
    let body = object(&format!(r#""rows": {THINGS}"#));
    let p = paged(&list_op(&q("from", "string"), "", &body, ext));
    assert_eq!(p.rule, "x-pagination");
    assert_eq!(p.items, "rows");
    assert!(matches!(p.item, Type::Ref(_)));
    // Turned off: no pagination and no report, even with every signal.
    let off = r#""x-pagination": false,"#;
    let api = ir(&list_op(
        &q("page", "integer"),
        r#""Link": {"schema": {"type": "string"}}"#,
        THINGS,
        off,
    ));
    let o = op(&api, "listThings");
    assert!(o.pagination.is_none() && o.pagination_miss.is_none());
    // Azure.
    let body = object(&format!(
        r#""value": {THINGS}, "nextLink": {{"type": "string"}}"#
    ));
    let p = paged(&list_op(
        "",
        "",
        &body,
        r#""x-ms-pageable": {"nextLinkName": "nextLink"},"#,
    ));
    assert_eq!(p.items, "value");
    assert_eq!(
        p.style,
        PageStyle::NextUrl {
            next: "nextLink".into()
        }
    );
    // A malformed extension is a warning and a report, not a guess.
    let api = ir(&list_op(
        &q("page", "integer"),
        "",
        THINGS,
        r#""x-pagination": {"style": "sideways"},"#,
    ));
    let o = op(&api, "listThings");
    assert!(o.pagination.is_none());
    assert!(o
        .pagination_miss
        .as_deref()
        .unwrap_or("")
        .contains("sideways"));
    assert!(api
        .diagnostics
        .iter()
        .any(|d| d.pointer.ends_with("x-pagination") && d.message.contains("sideways")));
}

#[test]
fn operations_that_look_paginated_without_a_rule_are_reported() {
    // A page token the response never returns.
    let why = missed(&list_op(&q("pageToken", "string"), "", THINGS, ""));
    assert!(why.contains("pageToken"), "{why}");
    // A page parameter but no list in the answer.
    let why = missed(&list_op(
        &q("page", "integer"),
        "",
        &object(r#""name": {"type": "string"}"#),
        "",
    ));
    assert!(why.contains("no array field"), "{why}");
    // Plain operations are neither.
    let api = ir(&list_op(&q("q", "string"), "", THINGS, ""));
    let o = op(&api, "listThings");
    assert!(o.pagination.is_none() && o.pagination_miss.is_none());
}

#[test]
fn a_text_page_parameter_is_not_a_page_number() {
    let why = missed(&list_op(&q("page", "string"), "", THINGS, ""));
    assert!(why.contains("no rule matched"), "{why}");
    let p = paged(&list_op(&q("offset", "integer"), "", THINGS, ""));
    assert!(matches!(p.item, Type::Ref(_)) || p.item == Type::Primitive(Primitive::String));
}
