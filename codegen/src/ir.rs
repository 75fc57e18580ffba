//! The intermediate representation: what an API is, independent of any
//! target language.
//!
//! Names in the IR are the raw names of the document (`orderId`,
//! `Order shipping_address` for an inline schema): each emitter turns them
//! into identifiers of its own language with [`crate::naming`]. Object,
//! enum and union schemas are always *declarations* ([`TypeDecl`]) referred to
//! by [`TypeId`] — inline ones are hoisted with a derived name — because all
//! three target languages need a name for them; [`Type`] covers the rest
//! (primitives, arrays, maps, nullability, untyped values).

use serde::Serialize;

use crate::error::Diagnostic;

/// A whole API.
#[derive(Debug, Clone, Serialize)]
pub struct Api {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// The `openapi` field.
    pub openapi: String,
    /// Server URLs, as written.
    pub servers: Vec<String>,
    /// Every named type; `types[i].id == TypeId(i)`.
    pub types: Vec<TypeDecl>,
    /// Every operation, in document order of paths (sorted) and methods.
    pub operations: Vec<Operation>,
    /// How many operations the document declares (for the "none dropped" check).
    pub input_operations: usize,
    /// Requests the API sends to its users: OpenAPI 3.1 `webhooks` and 3.0
    /// `callbacks`, received by a typed dispatcher.
    pub webhooks: Vec<Webhook>,
    /// Everything that was degraded, ignored or recognised, with JSON pointers.
    pub diagnostics: Vec<Diagnostic>,
}

impl Api {
    /// The declaration of a type id.
    pub fn decl(&self, id: TypeId) -> &TypeDecl {
        &self.types[id.0]
    }

    /// Follows aliases (`Alias(Ref(..))` chains) to the declaration that
    /// defines the type. Stops on cycles.
    pub fn resolve_alias(&self, id: TypeId) -> TypeId {
        let mut cur = id;
        for _ in 0..self.types.len() {
            match &self.types[cur.0].def {
                TypeDef::Alias(Type::Ref(next)) => cur = *next,
                _ => return cur,
            }
        }
        cur
    }
}

/// Index of a [`TypeDecl`] in [`Api::types`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TypeId(pub usize);

/// Where a declaration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// `#/components/schemas/<name>`.
    Component,
    /// An inline schema (or another place a `$ref` pointed to), named after its parent.
    Inline,
}

/// Documentation text, raw (Markdown/HTML as written).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Docs {
    /// `summary` or `title`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `deprecated: true`.
    pub deprecated: bool,
}

impl Docs {
    /// True when there is nothing to say.
    pub fn is_empty(&self) -> bool {
        self.summary.is_none() && self.description.is_none() && !self.deprecated
    }
}

/// A named type.
#[derive(Debug, Clone, Serialize)]
pub struct TypeDecl {
    /// Its id.
    pub id: TypeId,
    /// Raw name: the component name, or words derived from the parent
    /// (`"Order shipping_address"`), to be cased per language.
    pub name: String,
    /// Component or inline.
    pub origin: Origin,
    /// JSON pointer of the schema.
    pub pointer: String,
    /// Documentation.
    pub docs: Docs,
    /// What it is.
    pub def: TypeDef,
}

/// The definition of a named type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TypeDef {
    /// A record with named fields.
    Object(ObjectDef),
    /// A closed set of string or integer values (plus an "unknown" case for
    /// values added later).
    Enum(EnumDef),
    /// One of several types.
    Union(UnionDef),
    /// Another name for a type.
    Alias(Type),
}

/// A record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectDef {
    /// Fields, sorted by wire name.
    pub fields: Vec<Field>,
    /// Type of properties not listed in `fields`, when the schema allows and
    /// types them (`additionalProperties`).
    pub additional: Option<Type>,
}

/// A field of a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// Wire name.
    pub name: String,
    /// Type (without the optionality, which is `required`).
    pub ty: Type,
    /// Listed in `required` (and not read-only/write-only).
    pub required: bool,
    /// Documentation.
    pub docs: Docs,
}

/// An enumeration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnumDef {
    /// Strings or integers.
    pub repr: EnumRepr,
    /// Distinct values in document order.
    pub values: Vec<EnumValue>,
}

/// What an enum's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EnumRepr {
    /// JSON strings.
    String,
    /// JSON integers.
    Integer,
}

/// One value of an enum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnumValue {
    /// The value on the wire.
    pub value: EnumLiteral,
    /// A name given by the document (`x-enum-varnames`, `x-enumNames`).
    pub name: Option<String>,
    /// A description given by the document (`x-enum-descriptions`).
    pub description: Option<String>,
}

/// A wire value of an enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum EnumLiteral {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
}

/// A union (`oneOf` / `anyOf`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnionDef {
    /// The alternatives, most specific first.
    pub variants: Vec<Variant>,
    /// Set when a discriminator property selects the variant and every
    /// variant is an object with a known tag value.
    pub discriminator: Option<String>,
}

/// One alternative of a union.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variant {
    /// Raw name hint (the referenced schema's name, a title, or the kind).
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Discriminator values selecting this variant (empty when untagged).
    pub tags: Vec<String>,
}

/// A type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "of", rename_all = "lowercase")]
pub enum Type {
    /// A scalar.
    Primitive(Primitive),
    /// A list.
    Array(Box<Type>),
    /// A map from strings.
    Map(Box<Type>),
    /// A named type.
    Ref(TypeId),
    /// The value may be `null`.
    Nullable(Box<Type>),
    /// Any JSON value. `reason` is `None` when the schema allows anything on
    /// purpose, `Some` when the generator could not type it (a diagnostic
    /// says where).
    Any {
        /// Why it is untyped.
        reason: Option<String>,
    },
}

impl Type {
    /// Any value, on purpose.
    pub fn any() -> Type {
        Type::Any { reason: None }
    }

    /// Any value, because the generator could not type it.
    pub fn untyped(reason: impl Into<String>) -> Type {
        Type::Any {
            reason: Some(reason.into()),
        }
    }

    /// Wraps in [`Type::Nullable`] unless already nullable (or `Any`, which
    /// includes `null`).
    pub fn nullable(self) -> Type {
        match self {
            t @ (Type::Nullable(_) | Type::Any { .. }) => t,
            t => Type::Nullable(Box::new(t)),
        }
    }

    /// Wraps in [`Type::Nullable`] when `yes`.
    pub fn nullable_if(self, yes: bool) -> Type {
        if yes {
            self.nullable()
        } else {
            self
        }
    }

    /// The type without a [`Type::Nullable`] wrapper.
    pub fn non_null(&self) -> &Type {
        match self {
            Type::Nullable(t) => t.non_null(),
            t => t,
        }
    }
}

/// Scalars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Primitive {
    /// Text.
    String,
    /// 32-bit integer (`format: int32`).
    I32,
    /// 64-bit integer (no format or `int64`).
    I64,
    /// Floating point.
    Number,
    /// `true`/`false`.
    Boolean,
    /// Base64 text (`format: byte`).
    Bytes,
    /// Raw octets (`format: binary`); text in JSON.
    Binary,
    /// RFC 3339 date-time, as text.
    DateTime,
    /// RFC 3339 full-date, as text.
    Date,
    /// UUID, as text.
    Uuid,
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// PUT
    Put,
    /// POST
    Post,
    /// DELETE
    Delete,
    /// OPTIONS
    Options,
    /// HEAD
    Head,
    /// PATCH
    Patch,
    /// TRACE
    Trace,
}

impl Method {
    /// All methods, in the order operations are read from a path item.
    pub const ALL: [Method; 8] = [
        Method::Get,
        Method::Put,
        Method::Post,
        Method::Delete,
        Method::Options,
        Method::Head,
        Method::Patch,
        Method::Trace,
    ];

    /// The path item key (`get`).
    pub fn key(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Put => "put",
            Method::Post => "post",
            Method::Delete => "delete",
            Method::Options => "options",
            Method::Head => "head",
            Method::Patch => "patch",
            Method::Trace => "trace",
        }
    }

    /// The HTTP token (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
        }
    }
}

/// An operation.
#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    /// Raw name: the `operationId`, or `"<method> <path>"` when there is none.
    pub name: String,
    /// The `operationId` as written.
    pub operation_id: Option<String>,
    /// Method.
    pub method: Method,
    /// Path template (`/orders/{order_id}`), as written.
    pub path: String,
    /// The same template, parsed.
    pub template: PathTemplate,
    /// JSON pointer of the operation object.
    pub pointer: String,
    /// Documentation.
    pub docs: Docs,
    /// Tags.
    pub tags: Vec<String>,
    /// Parameters the caller provides (path, query, header, cookie), without
    /// the ones the core handles (`Idempotency-Key`, `If-Match`).
    pub params: Vec<Param>,
    /// The request body.
    pub body: Option<RequestBody>,
    /// Responses by status (`200`, `2XX`, `default`).
    pub responses: Vec<Response>,
    /// What a successful call returns.
    pub success: Success,
    /// Set when the document declares an idempotency-key header parameter.
    pub idempotency: Option<Idempotency>,
    /// The core attaches an idempotency key to this call: the document
    /// declares the header, or the method is POST or PATCH (keyed by default).
    /// Clients take an intent id for these operations.
    pub keyed: bool,
    /// Set when the operation is long-running (202 + status monitor).
    pub long_running: Option<LongRunning>,
    /// Set when the operation takes a precondition (`If-Match`).
    pub conditional: Option<Conditional>,
    /// Statuses answered with `application/problem+json`.
    pub problems: Vec<String>,
    /// A success response declares an `ETag` header (for a later `If-Match`).
    pub etag: bool,
    /// Set when the operation returns one page of a list that clients can
    /// iterate page by page.
    pub pagination: Option<Pagination>,
    /// Set when the operation looks paginated (a page-like query parameter or
    /// a next-page field) but no rule matched: why not, for `oncely check`.
    pub pagination_miss: Option<String>,
}

/// A parsed path template: `/orders/{order_id}/items` is the literal
/// `/orders/`, the parameter `order_id` and the literal `/items`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PathTemplate {
    /// The parts, in order.
    pub segments: Vec<Segment>,
}

/// One part of a [`PathTemplate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "lowercase")]
pub enum Segment {
    /// Text sent as written.
    Literal(String),
    /// A `{name}` placeholder.
    Param(String),
}

impl PathTemplate {
    /// Parses `path`. A `{` without a closing `}` is literal text; so is
    /// `{}` (a placeholder needs a name).
    pub fn parse(path: &str) -> PathTemplate {
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            let Some(len) = rest[open + 1..].find('}') else {
                break;
            };
            let name = &rest[open + 1..open + 1 + len];
            if name.is_empty() {
                literal.push_str(&rest[..open + 2]);
            } else {
                literal.push_str(&rest[..open]);
                if !literal.is_empty() {
                    segments.push(Segment::Literal(std::mem::take(&mut literal)));
                }
                segments.push(Segment::Param(name.to_string()));
            }
            rest = &rest[open + len + 2..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        PathTemplate { segments }
    }

    /// The placeholder names in order of first appearance, each once (a
    /// template may repeat one: the call gives its value once).
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.segments
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Segment::Param(name)
                    if !self.segments[..i]
                        .iter()
                        .any(|e| matches!(e, Segment::Param(n) if n == name)) =>
                {
                    Some(name.as_str())
                }
                _ => None,
            })
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    /// In the path template.
    Path,
    /// In the query string.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

/// How a parameter value is serialised (OpenAPI `style`), decided once in
/// lowering: a style the parameter's location does not allow is replaced by
/// the location's default there, so emitters see only styles that apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ParamStyle {
    /// `simple` (path, header).
    Simple,
    /// `form` (query, cookie).
    Form,
    /// `spaceDelimited`.
    SpaceDelimited,
    /// `pipeDelimited`.
    PipeDelimited,
    /// `deepObject`: `name[key]=value`, `name[]=item`.
    DeepObject,
    /// `label` (`.value`).
    Label,
    /// `matrix` (`;name=value`).
    Matrix,
    /// Given with `content` instead of `schema`: the value is JSON text.
    Json,
}

impl ParamStyle {
    /// The OpenAPI name (`spaceDelimited`; `json` for [`ParamStyle::Json`]).
    pub fn as_str(self) -> &'static str {
        match self {
            ParamStyle::Simple => "simple",
            ParamStyle::Form => "form",
            ParamStyle::SpaceDelimited => "spaceDelimited",
            ParamStyle::PipeDelimited => "pipeDelimited",
            ParamStyle::DeepObject => "deepObject",
            ParamStyle::Label => "label",
            ParamStyle::Matrix => "matrix",
            ParamStyle::Json => "json",
        }
    }

    /// The style of a parameter in `location` that names none.
    pub fn default_for(location: ParamLocation) -> ParamStyle {
        match location {
            ParamLocation::Path | ParamLocation::Header => ParamStyle::Simple,
            ParamLocation::Query | ParamLocation::Cookie => ParamStyle::Form,
        }
    }

    /// True when OpenAPI allows this style in `location` (a `content`
    /// parameter, [`ParamStyle::Json`], goes anywhere).
    pub fn allowed_in(self, location: ParamLocation) -> bool {
        match self {
            ParamStyle::Json => true,
            ParamStyle::Simple => matches!(location, ParamLocation::Path | ParamLocation::Header),
            ParamStyle::Label | ParamStyle::Matrix => location == ParamLocation::Path,
            ParamStyle::Form => matches!(location, ParamLocation::Query | ParamLocation::Cookie),
            ParamStyle::SpaceDelimited | ParamStyle::PipeDelimited | ParamStyle::DeepObject => {
                location == ParamLocation::Query
            }
        }
    }
}

/// A parameter.
#[derive(Debug, Clone, Serialize)]
pub struct Param {
    /// Wire name.
    pub name: String,
    /// Where it goes.
    pub location: ParamLocation,
    /// Must be given.
    pub required: bool,
    /// Its type.
    pub ty: Type,
    /// Serialisation style (one its location allows).
    pub style: ParamStyle,
    /// `explode`, as written or as the written style's default.
    pub explode: bool,
    /// Documentation.
    pub docs: Docs,
    /// JSON pointer of the parameter.
    pub pointer: String,
}

/// What a body (request or response) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyKind {
    /// JSON (`application/json`, `*/*+json`).
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/*`.
    Multipart,
    /// `text/*`.
    Text,
    /// `text/event-stream`: server-sent events.
    EventStream,
    /// Newline-delimited JSON (`application/x-ndjson`, `application/jsonl`,
    /// `application/json-lines`, `application/json-seq`).
    JsonLines,
    /// Anything else: raw bytes.
    Binary,
}

/// One media type of a body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Content {
    /// The media type as written.
    pub media_type: String,
    /// What it is.
    pub kind: BodyKind,
    /// Its type (typed for JSON and form bodies; `Any` otherwise).
    pub ty: Type,
}

/// A request body.
#[derive(Debug, Clone, Serialize)]
pub struct RequestBody {
    /// Must be sent.
    pub required: bool,
    /// Media types, the preferred one first (JSON, then form, multipart, raw).
    pub contents: Vec<Content>,
    /// Documentation.
    pub docs: Docs,
}

/// A response.
#[derive(Debug, Clone, Serialize)]
pub struct Response {
    /// `200`, `2XX` or `default`.
    pub status: String,
    /// `description`.
    pub description: Option<String>,
    /// Media types.
    pub contents: Vec<Content>,
    /// Header names.
    pub headers: Vec<String>,
    /// Answered with `application/problem+json`.
    pub problem: bool,
}

impl Response {
    /// A 2xx status (or `2XX`).
    pub fn is_success(&self) -> bool {
        self.status.starts_with('2')
    }
}

/// What a successful call returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Success {
    /// Nothing (204 and friends).
    Empty,
    /// A JSON body.
    Json {
        /// The body's type.
        ty: Type,
        /// Some 2xx answers have no body (the value may be absent).
        optional: bool,
    },
    /// Text.
    Text,
    /// Raw bytes.
    Bytes,
    /// Server-sent events, read as they arrive.
    Events {
        /// The type of each event's `data` (JSON), or `Any` when the
        /// document does not say (the data is then the raw text).
        ty: Type,
    },
    /// A stream of JSON items, one per line, read as they arrive.
    Lines {
        /// The type of one item.
        ty: Type,
    },
    /// A long-running operation handle whose final result has type `ty`.
    Operation {
        /// The final result's type.
        ty: Type,
    },
    /// Success statuses with different bodies: the status selects the type.
    ByStatus {
        /// One case per success status, in status order.
        cases: Vec<StatusCase>,
    },
}

/// One success status of [`Success::ByStatus`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusCase {
    /// `200`, `2XX` or `default`.
    pub status: String,
    /// Its body.
    pub body: CaseBody,
}

/// The body of one success status.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "type", rename_all = "lowercase")]
pub enum CaseBody {
    /// No body.
    Empty,
    /// JSON of this type.
    Json(Type),
    /// Text.
    Text,
    /// Raw bytes.
    Bytes,
}

/// The operation takes an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Idempotency {
    /// The header as named in the document.
    pub header: String,
    /// The document requires it.
    pub required: bool,
}

/// The operation is long-running.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LongRunning {
    /// Why it is recognised as such (`202 + Operation-Location`, …).
    pub reason: String,
    /// Type of the final result.
    pub result: Type,
}

/// The operation takes a precondition header.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conditional {
    /// The header (`If-Match`).
    pub header: String,
    /// Why it is recognised.
    pub reason: String,
}

/// A request the API sends: a webhook (3.1 `webhooks`) or an operation's
/// callback (3.0 `callbacks`).
#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    /// Its name: the key in `webhooks` (`order.created`), or
    /// `<operation> <callback>` for a callback.
    pub name: String,
    /// The method it is sent with.
    pub method: Method,
    /// JSON pointer of its operation object.
    pub pointer: String,
    /// Documentation.
    pub docs: Docs,
    /// The payload (the JSON request body); `Any` when it declares none.
    pub payload: Type,
    /// The payload field that names the event (`type`), when it has one.
    pub selector: Option<String>,
    /// The values of `selector` that mean this webhook (from its enum or
    /// const); empty when the schema does not say, and then the name is
    /// the value.
    pub selector_values: Vec<String>,
}

/// A list operation that pages. Serialised (with `#[serde(flatten)]` of
/// the style) it is the core's `oncely::paginate::PageSpec` JSON form, which
/// the generated Python and TypeScript clients hand to the bindings as is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pagination {
    /// Dotted path of the items array in the response body; empty when the
    /// body is the array.
    pub items: String,
    /// How the next page is asked for.
    #[serde(flatten)]
    pub style: PageStyle,
    /// The type of one item.
    #[serde(skip)]
    pub item: Type,
    /// Which rule matched (`x-pagination`, `Link response header`, …).
    #[serde(skip)]
    pub rule: String,
}

/// How the next page of a list is asked for (the core's
/// `oncely::paginate::PageStyle`, field for field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "style", rename_all = "snake_case")]
pub enum PageStyle {
    /// A body field holds the next page's token, sent back as query `param`.
    BodyCursor {
        /// Dotted path of the token in the body.
        next: String,
        /// The query parameter that takes it.
        param: String,
        /// Dotted path of a boolean that is false on the last page.
        has_more: Option<String>,
    },
    /// The last item's `id_field` is sent as `param` while `has_more` is true
    /// (Stripe's `starting_after`).
    LastItem {
        /// The query parameter (`starting_after`).
        param: String,
        /// The item field sent (`id`).
        id_field: String,
        /// Dotted path of the boolean that is false on the last page.
        has_more: String,
    },
    /// A body field holds the URL of the next page.
    NextUrl {
        /// Dotted path of the URL in the body.
        next: String,
    },
    /// The `Link` header's `rel="next"` URL.
    LinkHeader,
    /// Page numbers.
    PageNumber {
        /// The query parameter of the page number.
        param: String,
        /// The first page's number.
        first: u64,
        /// The query parameter of the page size, if any.
        size_param: Option<String>,
        /// Dotted path of the total item count in the body, if any.
        total: Option<String>,
    },
    /// Item offsets.
    Offset {
        /// The query parameter of the offset.
        param: String,
        /// The query parameter of the page size, if any.
        limit_param: Option<String>,
        /// Dotted path of the total item count in the body, if any.
        total: Option<String>,
    },
}

impl PageStyle {
    /// The query parameter a page request sets, if any (the emitters leave
    /// it to the pager on pages after the first).
    pub fn param(&self) -> Option<&str> {
        match self {
            PageStyle::BodyCursor { param, .. }
            | PageStyle::LastItem { param, .. }
            | PageStyle::PageNumber { param, .. }
            | PageStyle::Offset { param, .. } => Some(param),
            PageStyle::NextUrl { .. } | PageStyle::LinkHeader => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Segment {
        Segment::Literal(s.into())
    }

    fn param(s: &str) -> Segment {
        Segment::Param(s.into())
    }

    #[test]
    fn path_templates_parse_into_literals_and_parameters() {
        let t = PathTemplate::parse("/a/{b}/c/{d}");
        assert_eq!(t.segments, [lit("/a/"), param("b"), lit("/c/"), param("d")]);
        assert_eq!(t.params().collect::<Vec<_>>(), ["b", "d"]);
        let t = PathTemplate::parse("/{id}.{format}");
        assert_eq!(
            t.segments,
            [lit("/"), param("id"), lit("."), param("format")]
        );
    }

    #[test]
    fn odd_path_templates() {
        // A repeated name is one parameter; `{}` and an unclosed `{` are text.
        let t = PathTemplate::parse("/a/{id}/b/{id}");
        assert_eq!(t.params().collect::<Vec<_>>(), ["id"]);
        assert_eq!(PathTemplate::parse("/a/{}/b").segments, [lit("/a/{}/b")]);
        assert_eq!(
            PathTemplate::parse("/a/{x}/{b").segments,
            [lit("/a/"), param("x"), lit("/{b")]
        );
        assert!(PathTemplate::parse("").segments.is_empty());
    }

    #[test]
    fn styles_have_their_openapi_names_and_locations() {
        assert_eq!(ParamStyle::SpaceDelimited.as_str(), "spaceDelimited");
        assert_eq!(
            ParamStyle::default_for(ParamLocation::Cookie),
            ParamStyle::Form
        );
        assert!(ParamStyle::Matrix.allowed_in(ParamLocation::Path));
        assert!(!ParamStyle::Simple.allowed_in(ParamLocation::Query));
        assert!(ParamStyle::Json.allowed_in(ParamLocation::Header));
    }
}
