//! The operations of the API, as methods of the client.

impl crate::KitchenSinkClient {
    /// `PATCH /2fa/{$id}` (operation `2fa-update.v2`).
    ///
    /// Keyed: the core sends an idempotency key on every attempt (derived from `intent_id` when given) and records the outcome, so a repeated intent is not sent twice.
    ///
    /// Arguments:
    ///
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn n2fa_update_v2(
        &self,
        id: i64,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<(), ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::PATCH, "/2fa/{$id}");
        let rb = rb.path_param("$id", id);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_empty().await
    }

    /// `GET /files/{name}` (operation `downloadFile`).
    pub async fn download_file(
        &self,
        name: &str,
    ) -> ::std::result::Result<::oncely::Bytes, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::GET, "/files/{name}");
        let rb = rb.path_param("name", name);
        let response = rb.send().await?;
        ::std::result::Result::Ok(response.bytes().clone())
    }

    /// `PUT /files/{name}` (operation `uploadFile`).
    ///
    /// Arguments:
    ///
    /// - `body`: The body (`application/octet-stream`).
    pub async fn upload_file(
        &self,
        name: &str,
        body: impl ::std::convert::Into<::oncely::Bytes>,
    ) -> ::std::result::Result<::std::string::String, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::PUT, "/files/{name}");
        let rb = rb.path_param("name", name);
        let rb = rb.body(body, "application/octet-stream");
        let response = rb.send().await?;
        response.text()
    }

    /// `POST /images` (operation `uploadImage`).
    ///
    /// Keyed: the core sends an idempotency key on every attempt (derived from `intent_id` when given) and records the outcome, so a repeated intent is not sent twice.
    ///
    /// Arguments:
    ///
    /// - `body`: The body (`image/*`).
    /// - `content_type`: The body's media type (`image/*`).
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn upload_image(
        &self,
        body: ::std::option::Option<::oncely::Bytes>,
        content_type: &str,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<(), ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/images");
        let rb = match body {
            Some(v) => rb.body(v, content_type),
            None => rb,
        };
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_empty().await
    }

    /// `GET /names` (operation `type`).
    pub async fn r#type(
        &self,
    ) -> ::std::result::Result<(), ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::GET, "/names");
        rb.send_empty().await
    }

    /// `PUT /names` (operation `type`).
    ///
    /// Arguments:
    ///
    /// - `params`: Optional parameters (`Type2Params::default()` for none).
    pub async fn type_2(
        &self,
        params: &Type2Params,
    ) -> ::std::result::Result<(), ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::PUT, "/names");
        let rb = match &params.self_ {
            Some(v) => rb.query("self", v.as_str()),
            None => rb,
        };
        let rb = match &params.body {
            Some(v) => rb.query("body", v.as_str()),
            None => rb,
        };
        let rb = match &params.rb {
            Some(v) => rb.query("rb", v.as_str()),
            None => rb,
        };
        rb.send_empty().await
    }

    /// `POST /names` (operation `new`).
    ///
    /// Keyed: the core sends an idempotency key on every attempt (derived from `intent_id` when given) and records the outcome, so a repeated intent is not sent twice.
    ///
    /// Arguments:
    ///
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn new_2(
        &self,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<(), ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/names");
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_empty().await
    }

    /// List things with every kind of query parameter
    ///
    /// `GET /things` (operation `listThings`).
    ///
    /// Errors `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `params`: Optional parameters (`ListThingsParams::default()` for none).
    pub async fn list_things(
        &self,
        params: &ListThingsParams,
    ) -> ::std::result::Result<::std::vec::Vec<crate::models::Thing>, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::GET, "/things");
        let rb = match &params.limit {
            Some(v) => rb.query("limit", *v),
            None => rb,
        };
        let rb = match &params.offset {
            Some(v) => rb.query("offset", *v),
            None => rb,
        };
        let rb = match &params.tags {
            Some(v) => crate::support::query(rb, "tags", v.as_slice(), crate::support::Style::Form, true),
            None => rb,
        };
        let rb = match &params.ids {
            Some(v) => crate::support::query(rb, "ids", v.as_slice(), crate::support::Style::Form, false),
            None => rb,
        };
        let rb = match &params.expand {
            Some(v) => crate::support::query(rb, "expand", v.as_slice(), crate::support::Style::DeepObject, true),
            None => rb,
        };
        let rb = match &params.metadata {
            Some(v) => crate::support::query(rb, "metadata", v, crate::support::Style::DeepObject, true),
            None => rb,
        };
        let rb = match &params.created {
            Some(v) => crate::support::query(rb, "created", v, crate::support::Style::DeepObject, true),
            None => rb,
        };
        let rb = match &params.sort {
            Some(v) => crate::support::query(rb, "sort", v, crate::support::Style::Form, true),
            None => rb,
        };
        let rb = match &params.pipes {
            Some(v) => crate::support::query(rb, "pipes", v.as_slice(), crate::support::Style::PipeDelimited, false),
            None => rb,
        };
        let rb = match &params.x_trace_id {
            Some(v) => rb.header("X-Trace-Id", v.as_str()),
            None => rb,
        };
        let rb = match &params.session {
            Some(v) => rb.cookie("session", v.as_str()),
            None => rb,
        };
        let rb = match &params.filter {
            Some(v) => crate::support::query(rb, "filter", v, crate::support::Style::Json, false),
            None => rb,
        };
        rb.send_json::<::std::vec::Vec<crate::models::Thing>>().await
    }

    /// Every page of `list_things`, fetched as they are read: `next_page().await`, or `into_stream()` / `into_items()`. Each page is an ordinary call (retries, budget, breaker); `cursor()` is where the next page starts, and `resume_from(cursor)` continues a reader that stopped; `max_pages` / `max_items` stop early.
    ///
    /// Pages by `offset` offset.
    ///
    /// `GET /things` (operation `listThings`).
    ///
    /// Errors `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `params`: Optional parameters (`ListThingsParams::default()` for none).
    pub fn list_things_pages(
        &self,
        params: &ListThingsParams,
    ) -> ::oncely::paginate::Pages<crate::models::Thing> {
        let rb = self.inner.request(::oncely::Method::GET, "/things");
        let rb = match &params.limit {
            Some(v) => rb.query("limit", *v),
            None => rb,
        };
        let rb = match &params.offset {
            Some(v) => rb.query("offset", *v),
            None => rb,
        };
        let rb = match &params.tags {
            Some(v) => crate::support::query(rb, "tags", v.as_slice(), crate::support::Style::Form, true),
            None => rb,
        };
        let rb = match &params.ids {
            Some(v) => crate::support::query(rb, "ids", v.as_slice(), crate::support::Style::Form, false),
            None => rb,
        };
        let rb = match &params.expand {
            Some(v) => crate::support::query(rb, "expand", v.as_slice(), crate::support::Style::DeepObject, true),
            None => rb,
        };
        let rb = match &params.metadata {
            Some(v) => crate::support::query(rb, "metadata", v, crate::support::Style::DeepObject, true),
            None => rb,
        };
        let rb = match &params.created {
            Some(v) => crate::support::query(rb, "created", v, crate::support::Style::DeepObject, true),
            None => rb,
        };
        let rb = match &params.sort {
            Some(v) => crate::support::query(rb, "sort", v, crate::support::Style::Form, true),
            None => rb,
        };
        let rb = match &params.pipes {
            Some(v) => crate::support::query(rb, "pipes", v.as_slice(), crate::support::Style::PipeDelimited, false),
            None => rb,
        };
        let rb = match &params.x_trace_id {
            Some(v) => rb.header("X-Trace-Id", v.as_str()),
            None => rb,
        };
        let rb = match &params.session {
            Some(v) => rb.cookie("session", v.as_str()),
            None => rb,
        };
        let rb = match &params.filter {
            Some(v) => crate::support::query(rb, "filter", v, crate::support::Style::Json, false),
            None => rb,
        };
        rb.pages::<crate::models::Thing>(::oncely::paginate::PageSpec { items: "".into(), style: ::oncely::paginate::PageStyle::Offset { param: "offset".into(), limit_param: ::std::option::Option::Some("limit".into()), total: ::std::option::Option::None } })
    }

    /// Every item of `list_things`, page after page (a stream; see the `_pages` method to resume or limit).
    ///
    /// Pages by `offset` offset.
    ///
    /// `GET /things` (operation `listThings`).
    ///
    /// Errors `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `params`: Optional parameters (`ListThingsParams::default()` for none).
    pub fn list_things_items(
        &self,
        params: &ListThingsParams,
    ) -> impl ::oncely::stream::Stream<Item = ::std::result::Result<crate::models::Thing, ::oncely::Error>> {
        let rb = self.inner.request(::oncely::Method::GET, "/things");
        let rb = match &params.limit {
            Some(v) => rb.query("limit", *v),
            None => rb,
        };
        let rb = match &params.offset {
            Some(v) => rb.query("offset", *v),
            None => rb,
        };
        let rb = match &params.tags {
            Some(v) => crate::support::query(rb, "tags", v.as_slice(), crate::support::Style::Form, true),
            None => rb,
        };
        let rb = match &params.ids {
            Some(v) => crate::support::query(rb, "ids", v.as_slice(), crate::support::Style::Form, false),
            None => rb,
        };
        let rb = match &params.expand {
            Some(v) => crate::support::query(rb, "expand", v.as_slice(), crate::support::Style::DeepObject, true),
            None => rb,
        };
        let rb = match &params.metadata {
            Some(v) => crate::support::query(rb, "metadata", v, crate::support::Style::DeepObject, true),
            None => rb,
        };
        let rb = match &params.created {
            Some(v) => crate::support::query(rb, "created", v, crate::support::Style::DeepObject, true),
            None => rb,
        };
        let rb = match &params.sort {
            Some(v) => crate::support::query(rb, "sort", v, crate::support::Style::Form, true),
            None => rb,
        };
        let rb = match &params.pipes {
            Some(v) => crate::support::query(rb, "pipes", v.as_slice(), crate::support::Style::PipeDelimited, false),
            None => rb,
        };
        let rb = match &params.x_trace_id {
            Some(v) => rb.header("X-Trace-Id", v.as_str()),
            None => rb,
        };
        let rb = match &params.session {
            Some(v) => rb.cookie("session", v.as_str()),
            None => rb,
        };
        let rb = match &params.filter {
            Some(v) => crate::support::query(rb, "filter", v, crate::support::Style::Json, false),
            None => rb,
        };
        rb.pages::<crate::models::Thing>(::oncely::paginate::PageSpec { items: "".into(), style: ::oncely::paginate::PageStyle::Offset { param: "offset".into(), limit_param: ::std::option::Option::Some("limit".into()), total: ::std::option::Option::None } }).into_items()
    }

    /// `POST /things` (operation `createThing`).
    ///
    /// Idempotent: the core sends `idempotency-key` on every attempt, derived from `intent_id` when given.
    ///
    /// Errors `422` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn create_thing(
        &self,
        body: &crate::models::NewThing,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<crate::models::Thing, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/things");
        let rb = rb.json(body);
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_json::<crate::models::Thing>().await
    }

    /// `create_thing` with a body of any media type the operation accepts.
    ///
    /// `POST /things` (operation `createThing`).
    ///
    /// Idempotent: the core sends `idempotency-key` on every attempt, derived from `intent_id` when given.
    ///
    /// Errors `422` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `body`: The encoded body (`application/json`, `application/x-www-form-urlencoded`, `multipart/form-data`).
    /// - `content_type`: Its media type.
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn create_thing_with_body(
        &self,
        body: impl ::std::convert::Into<::oncely::Bytes>,
        content_type: &str,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<crate::models::Thing, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/things");
        let rb = rb.body(body, content_type);
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_json::<crate::models::Thing>().await
    }

    /// `GET /things/{thing_id}` (operation `getThing`).
    pub async fn get_thing(
        &self,
        thing_id: &str,
    ) -> ::std::result::Result<crate::models::Thing, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::GET, "/things/{thing_id}");
        let rb = rb.path_param("thing_id", thing_id);
        rb.send_json::<crate::models::Thing>().await
    }

    /// `PUT /things/{thing_id}` (operation `replaceThing`).
    ///
    /// Arguments:
    ///
    /// - `if_match`: Precondition: the entity tag the resource must still have (sent as `If-Match`).
    pub async fn replace_thing(
        &self,
        thing_id: &str,
        body: ::std::option::Option<&crate::models::NewThing>,
        if_match: ::std::option::Option<&str>,
    ) -> ::std::result::Result<::std::option::Option<crate::models::Thing>, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::PUT, "/things/{thing_id}");
        let rb = rb.path_param("thing_id", thing_id);
        let rb = match body {
            Some(v) => rb.json(v),
            None => rb,
        };
        let rb = match if_match {
            Some(v) => rb.header("If-Match", v),
            None => rb,
        };
        rb.send_json::<::std::option::Option<crate::models::Thing>>().await
    }

    /// `DELETE /things/{thing_id}`.
    pub async fn delete_things_thing_id(
        &self,
        thing_id: &str,
    ) -> ::std::result::Result<(), ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::DELETE, "/things/{thing_id}");
        let rb = rb.path_param("thing_id", thing_id);
        rb.send_empty().await
    }

    /// `POST /things/{thing_id}/export` (operation `exportThing`).
    ///
    /// Keyed: the core sends an idempotency key on every attempt (derived from `intent_id` when given) and records the outcome, so a repeated intent is not sent twice.
    ///
    /// Long-running (202 with Operation-Location header): returns an `oncely::Operation`; `wait()` polls it to the end.
    ///
    /// Arguments:
    ///
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn export_thing(
        &self,
        thing_id: &str,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<::oncely::Operation<crate::models::ExportThingResponse>, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/things/{thing_id}/export");
        let rb = rb.path_param("thing_id", thing_id);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_operation::<crate::models::ExportThingResponse>().await
    }

    /// `POST /things/{thing_id}/rebuild` (operation `rebuildThing`).
    ///
    /// Keyed: the core sends an idempotency key on every attempt (derived from `intent_id` when given) and records the outcome, so a repeated intent is not sent twice.
    ///
    /// Long-running (x-ms-long-running-operation): returns an `oncely::Operation`; `wait()` polls it to the end.
    ///
    /// Arguments:
    ///
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn rebuild_thing(
        &self,
        thing_id: &str,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<::oncely::Operation<::serde_json::Value>, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/things/{thing_id}/rebuild");
        let rb = rb.path_param("thing_id", thing_id);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_operation::<::serde_json::Value>().await
    }

    /// Different bodies by status.
    ///
    /// `GET /things/{thing_id}/stats` (operation `thingStats`).
    pub async fn thing_stats(
        &self,
        thing_id: &str,
    ) -> ::std::result::Result<ThingStatsResponse, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::GET, "/things/{thing_id}/stats");
        let rb = rb.path_param("thing_id", thing_id);
        let response = rb.send().await?;
        match response.status() {
            200 => response.json().map(ThingStatsResponse::Status200),
            202 => response.json().map(ThingStatsResponse::Status202),
            204 => ::std::result::Result::Ok(ThingStatsResponse::Status204),
            status => ::std::result::Result::Ok(ThingStatsResponse::Other {
                status,
                body: response.bytes().clone(),
            }),
        }
    }

    /// `GET /undeclared/{id}/{other}`.
    pub async fn get_undeclared_id_other(
        &self,
        id: &str,
        other: &str,
    ) -> ::std::result::Result<crate::models::Thing, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::GET, "/undeclared/{id}/{other}");
        let rb = rb.path_param("id", id);
        let rb = rb.path_param("other", other);
        rb.send_json::<crate::models::Thing>().await
    }
}

/// Optional parameters of `type_2`.
#[derive(Debug, Clone, Default)]
pub struct Type2Params {
    /// Query parameter `self`.
    pub self_: ::std::option::Option<::std::string::String>,
    /// Query parameter `body`.
    pub body: ::std::option::Option<::std::string::String>,
    /// Query parameter `rb`.
    pub rb: ::std::option::Option<::std::string::String>,
}

/// Optional parameters of `list_things`.
#[derive(Debug, Clone, Default)]
pub struct ListThingsParams {
    /// Query parameter `limit`.
    pub limit: ::std::option::Option<i32>,
    /// Query parameter `offset`.
    pub offset: ::std::option::Option<i64>,
    /// Query parameter `tags`.
    pub tags: ::std::option::Option<::std::vec::Vec<::std::string::String>>,
    /// Query parameter `ids`.
    pub ids: ::std::option::Option<::std::vec::Vec<i64>>,
    /// Query parameter `expand`.
    pub expand: ::std::option::Option<::std::vec::Vec<::std::string::String>>,
    /// Query parameter `metadata`.
    pub metadata: ::std::option::Option<::std::collections::BTreeMap<::std::string::String, ::std::string::String>>,
    /// Query parameter `created`.
    pub created: ::std::option::Option<crate::models::ListThingsCreated>,
    /// Query parameter `sort`.
    pub sort: ::std::option::Option<crate::models::SortOrder>,
    /// Query parameter `pipes`.
    pub pipes: ::std::option::Option<::std::vec::Vec<::std::string::String>>,
    /// Header parameter `X-Trace-Id`.
    pub x_trace_id: ::std::option::Option<::std::string::String>,
    /// Cookie parameter `session`.
    pub session: ::std::option::Option<::std::string::String>,
    /// Query parameter `filter`.
    pub filter: ::std::option::Option<crate::models::ListThingsFilter>,
}

/// What `thing_stats` answers, by success status.
#[derive(Debug, Clone, PartialEq)]
pub enum ThingStatsResponse {
    /// Status `200`.
    Status200(::std::vec::Vec<i64>),
    /// Status `202`.
    Status202(::serde_json::Map<::std::string::String, ::serde_json::Value>),
    /// Status `204`.
    Status204,
    /// A success status the document does not list.
    Other {
        /// The status.
        status: u16,
        /// The body.
        body: ::oncely::Bytes,
    },
}

