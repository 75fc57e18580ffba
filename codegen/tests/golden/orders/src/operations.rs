//! The operations of the API, as methods of the client.

impl crate::OrdersClient {
    /// Get the status of a long-running operation
    ///
    /// While the operation runs, the response carries `Retry-After` (and
    /// `retry-after-ms` when the server is configured for it): poll again
    /// after that long. Terminal states are `succeeded`, `failed` and
    /// `canceled`.
    ///
    /// `GET /operations/{operation_id}` (operation `getOperation`).
    ///
    /// Errors `404`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `operation_id`: Operation id.
    pub async fn get_operation(
        &self,
        operation_id: &str,
    ) -> ::std::result::Result<crate::models::OperationStatus, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::GET, "/operations/{operation_id}");
        let rb = rb.path_param("operation_id", operation_id);
        rb.send_json::<crate::models::OperationStatus>().await
    }

    /// Create an order
    ///
    /// Creates an order in status `pending`. Requires an `Idempotency-Key`.
    ///
    /// `POST /orders` (operation `createOrder`).
    ///
    /// Idempotent: the core sends `Idempotency-Key` on every attempt, derived from `intent_id` when given.
    ///
    /// Errors `400`, `409`, `415`, `422`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn create_order(
        &self,
        body: &crate::models::CreateOrderRequest,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<crate::models::Order, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/orders");
        let rb = rb.json(body);
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_json::<crate::models::Order>().await
    }

    /// `create_order` that also returns the answer's `ETag` (for `if_match` on a later update).
    ///
    /// `POST /orders` (operation `createOrder`).
    ///
    /// Idempotent: the core sends `Idempotency-Key` on every attempt, derived from `intent_id` when given.
    ///
    /// Errors `400`, `409`, `415`, `422`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn create_order_with_etag(
        &self,
        body: &crate::models::CreateOrderRequest,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<(crate::models::Order, ::std::option::Option<::std::string::String>), ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/orders");
        let rb = rb.json(body);
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        let response = rb.send().await?;
        let etag = response.etag().map(::std::borrow::ToOwned::to_owned);
        let body: crate::models::Order = response.json()?;
        ::std::result::Result::Ok((body, etag))
    }

    /// Get an order
    ///
    /// `GET /orders/{order_id}` (operation `getOrder`).
    ///
    /// Errors `404`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `order_id`: Order id.
    pub async fn get_order(
        &self,
        order_id: &str,
    ) -> ::std::result::Result<crate::models::Order, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::GET, "/orders/{order_id}");
        let rb = rb.path_param("order_id", order_id);
        rb.send_json::<crate::models::Order>().await
    }

    /// `get_order` that also returns the answer's `ETag` (for `if_match` on a later update).
    ///
    /// `GET /orders/{order_id}` (operation `getOrder`).
    ///
    /// Errors `404`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `order_id`: Order id.
    pub async fn get_order_with_etag(
        &self,
        order_id: &str,
    ) -> ::std::result::Result<(crate::models::Order, ::std::option::Option<::std::string::String>), ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::GET, "/orders/{order_id}");
        let rb = rb.path_param("order_id", order_id);
        let response = rb.send().await?;
        let etag = response.etag().map(::std::borrow::ToOwned::to_owned);
        let body: crate::models::Order = response.json()?;
        ::std::result::Result::Ok((body, etag))
    }

    /// Update an order (conditional)
    ///
    /// Merge-patch style update: absent fields are kept, `note: null` clears
    /// the note. Conditional: `If-Match` with the order's current `ETag` is
    /// required (`428` without it, `412` when the order changed since).
    /// A cancelled order cannot be updated (`409`).
    ///
    /// `PATCH /orders/{order_id}` (operation `updateOrder`).
    ///
    /// Idempotent: the core sends `Idempotency-Key` on every attempt, derived from `intent_id` when given.
    ///
    /// Errors `400`, `404`, `409`, `412`, `415`, `422`, `428`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `order_id`: Order id.
    /// - `if_match`: Precondition: the entity tag the resource must still have (sent as `If-Match`).
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn update_order(
        &self,
        order_id: &str,
        body: &crate::models::UpdateOrderRequest,
        if_match: ::std::option::Option<&str>,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<crate::models::Order, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::PATCH, "/orders/{order_id}");
        let rb = rb.path_param("order_id", order_id);
        let rb = rb.json(body);
        let rb = match if_match {
            Some(v) => rb.header("If-Match", v),
            None => rb,
        };
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_json::<crate::models::Order>().await
    }

    /// `update_order` that also returns the answer's `ETag` (for `if_match` on a later update).
    ///
    /// `PATCH /orders/{order_id}` (operation `updateOrder`).
    ///
    /// Idempotent: the core sends `Idempotency-Key` on every attempt, derived from `intent_id` when given.
    ///
    /// Errors `400`, `404`, `409`, `412`, `415`, `422`, `428`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `order_id`: Order id.
    /// - `if_match`: Precondition: the entity tag the resource must still have (sent as `If-Match`).
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn update_order_with_etag(
        &self,
        order_id: &str,
        body: &crate::models::UpdateOrderRequest,
        if_match: ::std::option::Option<&str>,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<(crate::models::Order, ::std::option::Option<::std::string::String>), ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::PATCH, "/orders/{order_id}");
        let rb = rb.path_param("order_id", order_id);
        let rb = rb.json(body);
        let rb = match if_match {
            Some(v) => rb.header("If-Match", v),
            None => rb,
        };
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        let response = rb.send().await?;
        let etag = response.etag().map(::std::borrow::ToOwned::to_owned);
        let body: crate::models::Order = response.json()?;
        ::std::result::Result::Ok((body, etag))
    }

    /// Cancel an order
    ///
    /// Cancels the order and any of its running shipment operations (they end
    /// `canceled`). Cancelling a cancelled order succeeds without a second
    /// side effect. Requires an `Idempotency-Key`.
    ///
    /// `POST /orders/{order_id}/cancel` (operation `cancelOrder`).
    ///
    /// Idempotent: the core sends `Idempotency-Key` on every attempt, derived from `intent_id` when given.
    ///
    /// Errors `400`, `404`, `409`, `422`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `order_id`: Order id.
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn cancel_order(
        &self,
        order_id: &str,
        body: ::std::option::Option<&crate::models::CancelOrderRequest>,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<crate::models::Order, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/orders/{order_id}/cancel");
        let rb = rb.path_param("order_id", order_id);
        let rb = match body {
            Some(v) => rb.json(v),
            None => rb,
        };
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_json::<crate::models::Order>().await
    }

    /// `cancel_order` that also returns the answer's `ETag` (for `if_match` on a later update).
    ///
    /// `POST /orders/{order_id}/cancel` (operation `cancelOrder`).
    ///
    /// Idempotent: the core sends `Idempotency-Key` on every attempt, derived from `intent_id` when given.
    ///
    /// Errors `400`, `404`, `409`, `422`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `order_id`: Order id.
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn cancel_order_with_etag(
        &self,
        order_id: &str,
        body: ::std::option::Option<&crate::models::CancelOrderRequest>,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<(crate::models::Order, ::std::option::Option<::std::string::String>), ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/orders/{order_id}/cancel");
        let rb = rb.path_param("order_id", order_id);
        let rb = match body {
            Some(v) => rb.json(v),
            None => rb,
        };
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        let response = rb.send().await?;
        let etag = response.etag().map(::std::borrow::ToOwned::to_owned);
        let body: crate::models::Order = response.json()?;
        ::std::result::Result::Ok((body, etag))
    }

    /// Authorize a payment
    ///
    /// Authorizes `amount` (integer minor units) in the order's currency.
    /// Requires an `Idempotency-Key`. The payment method token
    /// `pm_card_declined` is always declined with `402` (a permanent failure
    /// whose problem is stored and replayed for the same key).
    /// Compensation: `voidPayment`.
    ///
    /// `POST /orders/{order_id}/payments` (operation `authorizePayment`).
    ///
    /// Idempotent: the core sends `Idempotency-Key` on every attempt, derived from `intent_id` when given.
    ///
    /// Errors `400`, `402`, `404`, `409`, `422`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `order_id`: Order id.
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn authorize_payment(
        &self,
        order_id: &str,
        body: &crate::models::AuthorizePaymentRequest,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<crate::models::Payment, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/orders/{order_id}/payments");
        let rb = rb.path_param("order_id", order_id);
        let rb = rb.json(body);
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_json::<crate::models::Payment>().await
    }

    /// Void a payment
    ///
    /// Voids the authorization. Voiding a voided payment returns it again
    /// without a second side effect. Requires an `Idempotency-Key`.
    ///
    /// `POST /orders/{order_id}/payments/{payment_id}/void` (operation `voidPayment`).
    ///
    /// Idempotent: the core sends `Idempotency-Key` on every attempt, derived from `intent_id` when given.
    ///
    /// Errors `400`, `404`, `409`, `422`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `order_id`: Order id.
    /// - `payment_id`: Payment id.
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn void_payment(
        &self,
        order_id: &str,
        payment_id: &str,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<crate::models::Payment, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/orders/{order_id}/payments/{payment_id}/void");
        let rb = rb.path_param("order_id", order_id);
        let rb = rb.path_param("payment_id", payment_id);
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_json::<crate::models::Payment>().await
    }

    /// Reserve inventory for an order
    ///
    /// Reserves stock for the given items (default: all items of the order).
    /// Requires an `Idempotency-Key`. Compensation: `releaseReservation`.
    ///
    /// `POST /orders/{order_id}/reservations` (operation `reserveInventory`).
    ///
    /// Idempotent: the core sends `Idempotency-Key` on every attempt, derived from `intent_id` when given.
    ///
    /// Errors `400`, `404`, `409`, `422`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `order_id`: Order id.
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn reserve_inventory(
        &self,
        order_id: &str,
        body: ::std::option::Option<&crate::models::CreateReservationRequest>,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<crate::models::Reservation, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/orders/{order_id}/reservations");
        let rb = rb.path_param("order_id", order_id);
        let rb = match body {
            Some(v) => rb.json(v),
            None => rb,
        };
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_json::<crate::models::Reservation>().await
    }

    /// Release a reservation
    ///
    /// Releases the reservation. Idempotent by nature: releasing a released
    /// reservation returns it again (`200`) without a second side effect.
    /// Takes an optional `Idempotency-Key`.
    ///
    /// `DELETE /orders/{order_id}/reservations/{reservation_id}` (operation `releaseReservation`).
    ///
    /// Idempotent: the core sends `Idempotency-Key` on every attempt, derived from `intent_id` when given.
    ///
    /// Errors `400`, `404`, `409`, `422`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `order_id`: Order id.
    /// - `reservation_id`: Reservation id.
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn release_reservation(
        &self,
        order_id: &str,
        reservation_id: &str,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<::std::option::Option<crate::models::Reservation>, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::DELETE, "/orders/{order_id}/reservations/{reservation_id}");
        let rb = rb.path_param("order_id", order_id);
        let rb = rb.path_param("reservation_id", reservation_id);
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_json::<::std::option::Option<crate::models::Reservation>>().await
    }

    /// Request a shipment (long-running)
    ///
    /// Starts a shipment and answers `202 Accepted` with `Location` pointing
    /// at the operation's status resource (`getOperation`) and `Retry-After`.
    /// The operation ends `succeeded` with the `Shipment` as `result`,
    /// `failed` with a problem as `error`, or `canceled` when the order is
    /// cancelled first. Requires an `Idempotency-Key`.
    ///
    /// `POST /orders/{order_id}/shipments` (operation `requestShipment`).
    ///
    /// Idempotent: the core sends `Idempotency-Key` on every attempt, derived from `intent_id` when given.
    ///
    /// Long-running (202 with Location header; result typed from the status monitor's OperationStatus.result): returns an `oncely::Operation`; `wait()` polls it to the end.
    ///
    /// Errors `400`, `404`, `409`, `422`, `429`, `500`, `503`, `default` come as problem details (`oncely::Error::Problem`).
    ///
    /// Arguments:
    ///
    /// - `order_id`: Order id.
    /// - `intent_id`: Stable id of this intent: calls with the same id use the same idempotency key, across retries and restarts.
    pub async fn request_shipment(
        &self,
        order_id: &str,
        body: ::std::option::Option<&crate::models::ShipmentRequest>,
        intent_id: ::std::option::Option<&str>,
    ) -> ::std::result::Result<::oncely::Operation<crate::models::Shipment>, ::oncely::Error> {
        let rb = self.inner.request(::oncely::Method::POST, "/orders/{order_id}/shipments");
        let rb = rb.path_param("order_id", order_id);
        let rb = match body {
            Some(v) => rb.json(v),
            None => rb,
        };
        let rb = rb.idempotent(true);
        let rb = match intent_id {
            Some(v) => rb.intent_id(v),
            None => rb,
        };
        rb.send_operation::<crate::models::Shipment>().await
    }
}
