//! Domains and renewals: reference §4.3. The renewal family takes `userId` in the JSON body,
//! not the query.

use serde::Serialize;
use serde_json::Value;

use super::envelope::Paging;
use super::http::Call;
use super::{CmrClient, CmrError};
use crate::types::{
    Domain, DomainAutoRenew, Page, RenewalPrice, Reply, WorkspaceCheck, WorkspaceQuery,
};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DomainsOfUser<'a> {
    user_id: &'a str,
    domains: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToggleAutoRenew<'a> {
    user_id: &'a str,
    domains: Vec<&'a str>,
    auto_renew: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Forwarding<'a> {
    user_id: &'a str,
    domain: &'a str,
    forward_to: &'a str,
}

#[derive(Serialize)]
struct DomainList<'a> {
    domains: Vec<&'a str>,
}

#[derive(Serialize)]
struct WorkspaceQueries<'a> {
    domains: &'a [WorkspaceQuery],
}

fn names(domains: &[impl AsRef<str>]) -> Vec<&str> {
    domains.iter().map(AsRef::as_ref).collect()
}

impl CmrClient {
    /// `GET /domains/by-user?userId=` — a customer's domains. A wrong userId yields an empty
    /// list, not 404.
    ///
    /// Shape inferred (cmr-api.md §4.3): confirm against the live API. Expected
    /// `data: { domains: [...] }` or a bare list.
    pub async fn user_domains(&self, user_id: &str) -> Result<Reply<Page<Domain>>, CmrError> {
        let call = Call::get("/domains/by-user").query("userId", user_id);
        self.send(call).await?.into_page("domains", Paging::Whole)
    }

    /// `POST /domains/has-workspace` (bulk form) — whether each domain already has a Google
    /// or Microsoft workspace. Run it before ordering: a registrable domain with a workspace
    /// makes the order fail later with `Workspace validation failed` (after the wallet was
    /// debited).
    ///
    /// Shape inferred (cmr-api.md §4.3): confirm against the live API. The body
    /// `{ domains: [{ domainName, serviceProvider? }] }` is the guide's; the per-item answer
    /// was not found (see [`WorkspaceCheck`]). A failed item means a workspace exists **or**
    /// its 15 s check timed out, so only [`WorkspaceCheck::is_clear`] means "no workspace";
    /// a domain missing from the answer is not clear either.
    pub async fn check_workspaces(
        &self,
        domains: &[WorkspaceQuery],
    ) -> Result<Reply<Vec<WorkspaceCheck>>, CmrError> {
        let call = Call::post("/domains/has-workspace").json(&WorkspaceQueries { domains })?;
        self.send(call).await?.into_list("domains")
    }

    /// `POST /domains/renewal-price` — price, expiry and auto-renew of each named domain.
    pub async fn domain_renewal_prices(
        &self,
        user_id: &str,
        domains: &[impl AsRef<str>],
    ) -> Result<Reply<Vec<RenewalPrice>>, CmrError> {
        let call = Call::post("/domains/renewal-price").json(&DomainsOfUser {
            user_id,
            domains: names(domains),
        })?;
        self.send(call).await?.into_list("domains")
    }

    /// `POST /domains/renew` — queues renewal (async; the domain shows `RENEWING`) and debits
    /// the wallet. ACTIVE within 45 days of expiry or GRACE_PERIOD only; never retried.
    ///
    /// Shape inferred (cmr-api.md §4.3): confirm against the live API. Body
    /// `{ userId, domains }` like its siblings; `data` is passed through.
    pub async fn renew_domains(
        &self,
        user_id: &str,
        domains: &[impl AsRef<str>],
    ) -> Result<Reply<Value>, CmrError> {
        let call = Call::post("/domains/renew").json(&DomainsOfUser {
            user_id,
            domains: names(domains),
        })?;
        self.send(call).await?.into_reply()
    }

    /// `PATCH /domains/toggle-auto-renew` — turns domain auto-renew on or off.
    pub async fn set_domain_auto_renew(
        &self,
        user_id: &str,
        domains: &[impl AsRef<str>],
        auto_renew: bool,
    ) -> Result<Reply<Vec<DomainAutoRenew>>, CmrError> {
        let body = ToggleAutoRenew {
            user_id,
            domains: names(domains),
            auto_renew,
        };
        let call = Call::patch("/domains/toggle-auto-renew").json(&body)?;
        self.send(call).await?.into_list("domains")
    }

    /// `POST /domains/domain-forwarding` — URL forwarding (async, confirmed by webhook).
    ///
    /// Shape inferred (cmr-api.md §4.3): confirm against the live API. Path and body
    /// `{ userId, domain, forwardTo }` were not found.
    pub async fn add_domain_forwarding(
        &self,
        user_id: &str,
        domain: &str,
        forward_to: &str,
    ) -> Result<Reply<Value>, CmrError> {
        self.forwarding("/domains/domain-forwarding", user_id, domain, forward_to)
            .await
    }

    /// `POST /domains/email-forwarding` — catch-all email forwarding (async; the domain's
    /// mailboxes must be ACTIVE).
    ///
    /// Shape inferred (cmr-api.md §4.3): confirm against the live API. Path and body
    /// `{ userId, domain, forwardTo }` were not found.
    pub async fn add_email_forwarding(
        &self,
        user_id: &str,
        domain: &str,
        forward_to: &str,
    ) -> Result<Reply<Value>, CmrError> {
        self.forwarding("/domains/email-forwarding", user_id, domain, forward_to)
            .await
    }

    /// Both forwarding calls share one (inferred) body shape.
    async fn forwarding(
        &self,
        path: &'static str,
        user_id: &str,
        domain: &str,
        forward_to: &str,
    ) -> Result<Reply<Value>, CmrError> {
        let body = Forwarding {
            user_id,
            domain,
            forward_to,
        };
        let call = Call::post(path).json(&body)?;
        self.send(call).await?.into_reply()
    }

    /// `DELETE /domains/remove?userId=` — removes domains; refused while a mailbox remains.
    ///
    /// Shape inferred (cmr-api.md §4.3): confirm against the live API. Path and body
    /// `{ domains }` follow `DELETE /mailboxes/remove?userId=`.
    pub async fn remove_domains(
        &self,
        user_id: &str,
        domains: &[impl AsRef<str>],
    ) -> Result<Reply<Value>, CmrError> {
        let call = Call::delete("/domains/remove")
            .query("userId", user_id)
            .json(&DomainList {
                domains: names(domains),
            })?;
        self.send(call).await?.into_reply()
    }
}
