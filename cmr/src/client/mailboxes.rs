//! Mailboxes: reference §4.6.

use serde::Serialize;

use super::envelope::Paging;
use super::http::Call;
use super::{CmrClient, CmrError};
use crate::types::{
    Mailbox, MailboxAdminDetails, MailboxUpdate, MailboxUpdateResult, Page, PageQuery, Reply,
};

#[derive(Serialize)]
#[serde(untagged)]
enum MailboxData<'a> {
    One(&'a MailboxUpdate),
    Many(&'a [MailboxUpdate]),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateBody<'a> {
    mailbox_data: MailboxData<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MailboxRef<'a> {
    mailbox_id: &'a str,
}

impl CmrClient {
    /// `GET /mailboxes` — every mailbox of the partner account.
    ///
    /// Shape inferred (cmr-api.md §4.6): confirm against the live API (paging parameters and
    /// fields were not found; `data: { mailboxes, pagination }` or a bare list is read, the
    /// latter with an unknown total).
    pub async fn all_mailboxes(&self, page: &PageQuery) -> Result<Reply<Page<Mailbox>>, CmrError> {
        let call = Call::get("/mailboxes");
        self.send_paged(call, "mailboxes", page.page, page.limit)
            .await
    }

    /// `GET /mailboxes/single?userId=` — every mailbox of one customer (despite the name).
    ///
    /// Shape inferred (cmr-api.md §4.6): confirm against the live API.
    pub async fn user_mailboxes(&self, user_id: &str) -> Result<Reply<Page<Mailbox>>, CmrError> {
        let call = Call::get("/mailboxes/single").query("userId", user_id);
        self.send(call).await?.into_page("mailboxes", Paging::Whole)
    }

    /// `GET /mailboxes/mailbox?mailboxId=` — one mailbox.
    ///
    /// Shape inferred (cmr-api.md §4.6): confirm against the live API.
    pub async fn mailbox(&self, mailbox_id: &str) -> Result<Reply<Mailbox>, CmrError> {
        let call = Call::get("/mailboxes/mailbox").query("mailboxId", mailbox_id);
        self.send(call).await?.into_reply()
    }

    /// `GET /mailboxes/admin-mailbox-details?userId=&mailboxId=` — may contain credentials:
    /// never log the result.
    ///
    /// Shape inferred (cmr-api.md §4.6): confirm against the live API.
    pub async fn mailbox_admin_details(
        &self,
        user_id: &str,
        mailbox_id: &str,
    ) -> Result<Reply<MailboxAdminDetails>, CmrError> {
        let call = Call::get("/mailboxes/admin-mailbox-details")
            .query("userId", user_id)
            .query("mailboxId", mailbox_id);
        self.send(call).await?.into_reply()
    }

    /// `PATCH /mailboxes/update-mailbox-details?userId=` — one update is sent as an object,
    /// several as an array. Async ("will update shortly"); for several, the per-item results.
    pub async fn update_mailbox_details(
        &self,
        user_id: &str,
        updates: &[MailboxUpdate],
    ) -> Result<Reply<Vec<MailboxUpdateResult>>, CmrError> {
        let mailbox_data = match updates {
            [] => {
                return Err(CmrError::InvalidRequest {
                    message: "no mailbox updates given".into(),
                })
            }
            [one] => MailboxData::One(one),
            many => MailboxData::Many(many),
        };
        let call = Call::patch("/mailboxes/update-mailbox-details")
            .query("userId", user_id)
            .json(&UpdateBody { mailbox_data })?;
        let reply = self
            .send(call)
            .await?
            .into_optional::<Vec<MailboxUpdateResult>>();
        Ok(reply.map(Option::unwrap_or_default))
    }

    /// `DELETE /mailboxes/remove?userId=` with `{ mailboxId }` — permanent; only earlier than
    /// 24 h before the subscription expires.
    pub async fn remove_mailbox(
        &self,
        user_id: &str,
        mailbox_id: &str,
    ) -> Result<Reply<()>, CmrError> {
        let call = Call::delete("/mailboxes/remove")
            .query("userId", user_id)
            .json(&MailboxRef { mailbox_id })?;
        Ok(self.send(call).await?.into_unit())
    }
}
