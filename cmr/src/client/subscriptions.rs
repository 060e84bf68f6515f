//! Mailbox subscriptions: reference §4.7. Partner-level: no `userId`.

use serde::Serialize;
use serde_json::Value;

use super::http::Call;
use super::{CmrClient, CmrError};
use crate::types::{CancelTarget, Page, Reply, Subscription, SubscriptionQuery};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RenewBody<'a> {
    subscription_ids: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToggleBody<'a> {
    subscription_id: &'a str,
    auto_renew: bool,
}

impl CmrClient {
    /// `GET /subscriptions` — filtered, paginated (CMR's `limit` defaults to 50 here).
    pub async fn subscriptions(
        &self,
        query: &SubscriptionQuery,
    ) -> Result<Reply<Page<Subscription>>, CmrError> {
        let call = Call::get("/subscriptions")
            .query_opt("status", query.status.as_ref().map(|s| s.as_str()))
            .query_opt(
                "componentSubscriptionId",
                query.component_subscription_id.as_deref(),
            )
            .query_opt("domain", query.domain.as_deref());
        self.send_paged(call, "subscriptions", query.page, query.limit)
            .await
    }

    /// `POST /subscriptions/renew-subscriptions` — queues renewals and debits the wallet.
    /// Blocked while the linked domain is in GRACE_PERIOD or EXPIRED (renew the domain first).
    pub async fn renew_subscriptions(
        &self,
        subscription_ids: &[impl AsRef<str>],
    ) -> Result<Reply<()>, CmrError> {
        let body = RenewBody {
            subscription_ids: subscription_ids.iter().map(AsRef::as_ref).collect(),
        };
        let call = Call::post("/subscriptions/renew-subscriptions").json(&body)?;
        Ok(self.send(call).await?.into_unit())
    }

    /// `POST /subscriptions/toggle-autorenewal` — stops or resumes future renewals without
    /// cancelling the current period.
    ///
    /// Shape inferred (cmr-api.md §4.7): confirm against the live API. Body
    /// `{ subscriptionId, autoRenew }` was not found.
    pub async fn set_subscription_auto_renew(
        &self,
        subscription_id: &str,
        auto_renew: bool,
    ) -> Result<Reply<Value>, CmrError> {
        let body = ToggleBody {
            subscription_id,
            auto_renew,
        };
        let call = Call::post("/subscriptions/toggle-autorenewal").json(&body)?;
        self.send(call).await?.into_reply()
    }

    /// `POST /subscriptions/cancel` — immediate and permanent: the workspace is deleted.
    pub async fn cancel_subscription(&self, target: &CancelTarget) -> Result<Reply<()>, CmrError> {
        let call = Call::post("/subscriptions/cancel").json(target)?;
        Ok(self.send(call).await?.into_unit())
    }
}
