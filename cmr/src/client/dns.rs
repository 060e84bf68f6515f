//! DNS records: reference §4.4. The domain must belong to `userId`.

use serde::Serialize;

use super::http::Call;
use super::{CmrClient, CmrError};
use crate::types::{DnsRecord, DnsRecordUpdate, DnsRecords, NewDnsRecord, Reply};

#[derive(Serialize)]
struct AddRecords<'a> {
    domain: &'a str,
    records: &'a [NewDnsRecord],
}

impl CmrClient {
    /// `GET /dns?userId=&domain=` — active and disabled records.
    pub async fn dns_records(
        &self,
        user_id: &str,
        domain: &str,
    ) -> Result<Reply<DnsRecords>, CmrError> {
        let call = Call::get("/dns")
            .query("userId", user_id)
            .query("domain", domain);
        self.send(call).await?.into_reply()
    }

    /// `POST /dns?userId=` — adds records; returns the created records when CMR lists them.
    ///
    /// Shape inferred (cmr-api.md §4.4): confirm against the live API. The response was not
    /// found; `data: { records: [...] }` is read when present, otherwise the list is empty.
    pub async fn add_dns_records(
        &self,
        user_id: &str,
        domain: &str,
        records: &[NewDnsRecord],
    ) -> Result<Reply<Vec<DnsRecord>>, CmrError> {
        let call = Call::post("/dns")
            .query("userId", user_id)
            .json(&AddRecords { domain, records })?;
        let reply = self.send(call).await?.into_optional::<DnsRecords>();
        Ok(reply.map(|data| data.map(|d| d.records).unwrap_or_default()))
    }

    /// `PUT /dns?userId=` — replaces a record's writable fields.
    ///
    /// Shape inferred (cmr-api.md §4.4): confirm against the live API. The updated record is
    /// returned when CMR sends it.
    pub async fn update_dns_record(
        &self,
        user_id: &str,
        update: &DnsRecordUpdate,
    ) -> Result<Reply<Option<DnsRecord>>, CmrError> {
        let call = Call::put("/dns").query("userId", user_id).json(update)?;
        Ok(self.send(call).await?.into_optional())
    }

    /// `DELETE /dns?userId=&recordId=` — deletes one record.
    ///
    /// Shape inferred (cmr-api.md §4.4): confirm against the live API (the title is plural;
    /// how several ids are passed was not found).
    pub async fn delete_dns_record(
        &self,
        user_id: &str,
        record_id: &str,
    ) -> Result<Reply<()>, CmrError> {
        let call = Call::delete("/dns")
            .query("userId", user_id)
            .query("recordId", record_id);
        Ok(self.send(call).await?.into_unit())
    }
}
