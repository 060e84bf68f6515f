//! Orders: reference §4.5. Orders debit the wallet; none of these calls is ever retried.

use serde::Serialize;
use serde_json::Value;

use super::http::Call;
use super::{CmrClient, CmrError};
use crate::types::{MailboxOrder, NewOrder, Order, OrderCreated, OrderStatusReport, Reply};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderRef<'a> {
    order_id: &'a str,
}

impl CmrClient {
    /// `POST /orders/json?userId=` — domains plus mailboxes.
    pub async fn create_order(
        &self,
        user_id: &str,
        order: &NewOrder,
    ) -> Result<Reply<OrderCreated>, CmrError> {
        let call = Call::post("/orders/json")
            .query("userId", user_id)
            .json(order)?;
        self.send(call).await?.into_reply()
    }

    /// `POST /orders/create-mailbox-order/json?userId=` — mailboxes on an existing domain.
    ///
    /// Shape inferred (cmr-api.md §4.5): confirm against the live API (response assumed to be
    /// the same `{ orderId }` as the domain order).
    pub async fn order_mailboxes(
        &self,
        user_id: &str,
        order: &MailboxOrder,
    ) -> Result<Reply<OrderCreated>, CmrError> {
        let call = Call::post("/orders/create-mailbox-order/json")
            .query("userId", user_id)
            .json(order)?;
        self.send(call).await?.into_reply()
    }

    /// `POST /orders/process?userId=` — processes an order created with `confirm: false`.
    ///
    /// Shape inferred (cmr-api.md §4.5): confirm against the live API. Path and body
    /// `{ orderId }` were not found.
    pub async fn process_order(
        &self,
        user_id: &str,
        order_id: &str,
    ) -> Result<Reply<Value>, CmrError> {
        let call = Call::post("/orders/process")
            .query("userId", user_id)
            .json(&OrderRef { order_id })?;
        self.send(call).await?.into_reply()
    }

    /// `GET /orders/status?userId=&orderId=` — polling fallback for webhooks.
    ///
    /// Shape inferred (cmr-api.md §4.5): confirm against the live API.
    pub async fn order_status(
        &self,
        user_id: &str,
        order_id: &str,
    ) -> Result<Reply<OrderStatusReport>, CmrError> {
        let call = Call::get("/orders/status")
            .query("userId", user_id)
            .query("orderId", order_id);
        self.send(call).await?.into_reply()
    }

    /// `GET /orders/details?userId=&orderId=` — one order in full.
    ///
    /// Shape inferred (cmr-api.md §4.5): confirm against the live API. Path and response were
    /// not found.
    pub async fn order_details(
        &self,
        user_id: &str,
        order_id: &str,
    ) -> Result<Reply<Order>, CmrError> {
        let call = Call::get("/orders/details")
            .query("userId", user_id)
            .query("orderId", order_id);
        self.send(call).await?.into_reply()
    }
}
