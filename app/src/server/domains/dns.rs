//! A domain's DNS: the zone as CMR holds it, and saving an edited zone. Saving checks every
//! record (the same rules the editor applies as staff type), refuses when a record being
//! changed or removed changed at CMR since the editor opened, then sends the difference one
//! change at a time (removals, changes, additions), each one CMR call and one audit entry,
//! and stops at the first failure so the report says exactly what went through.

use super::{domain_name, owner};
use crate::error::AppError;
use crate::model::dns::{
    check, describe, diff, normalise, same_record, ChangeLine, DnsZone, RecordDraft, SaveReport,
    ZoneRecord,
};
use crate::model::{Role, StaffView};
use crate::server::audit::{Change, Target};
use crate::server::customers::{is_on, read_domains, read_mailboxes};
use crate::server::mutation::{audited, Attempt};
use crate::server::reads::Freshness;
use crate::server::AppState;
use cmr::types::{DnsRecord, DnsRecordUpdate, NewDnsRecord, RecordType};
use std::collections::BTreeMap;

/// Records one save may hold.
const MAX_RECORDS: usize = 500;

fn zone_record(r: &DnsRecord) -> ZoneRecord {
    ZoneRecord {
        draft: RecordDraft::from_record(r),
        ttl: r.ttl,
    }
}

/// The zone, read from CMR now (the editor starts from what CMR holds).
#[tracing::instrument(name = "dns.zone", skip_all, fields(target = %name))]
pub async fn zone(state: &AppState, staff: &StaffView, name: &str) -> Result<DnsZone, AppError> {
    let name = domain_name(name)?;
    let owner = owner(state, &name).await?;
    let (records, domains, mailboxes) = tokio::join!(
        state.cmr.dns_records(&owner, &name),
        read_domains(state, &owner, Freshness::Cached),
        read_mailboxes(state, &owner, Freshness::Cached),
    );
    let records = records?.data;
    let provider = domains.ok().and_then(|d| {
        d.value
            .into_iter()
            .find(|d| d.domain_name.eq_ignore_ascii_case(&name))
            .and_then(|d| d.service_provider)
            .map(|p| p.as_str().to_string())
            .filter(|p| !p.is_empty())
    });
    let sending = mailboxes.is_ok_and(|m| m.value.iter().any(|m| is_on(&m.email, &name)));
    Ok(DnsZone {
        domain: name,
        customer_id: owner,
        provider,
        sending,
        records: records.records.iter().map(zone_record).collect(),
        disabled: records.disabled_records.iter().map(zone_record).collect(),
        fetched_at: state.clock.now().unix_timestamp(),
        can_edit: staff.role.allows(Role::Editor),
    })
}

/// Checks every edited record against the rest; the errors are keyed `records[i].field`.
fn checked(domain: &str, edited: &[RecordDraft]) -> Result<Vec<RecordDraft>, AppError> {
    if edited.len() > MAX_RECORDS {
        return Err(AppError::invalid(
            "records",
            format!("A zone may hold at most {MAX_RECORDS} records here."),
        ));
    }
    let mut problems = BTreeMap::new();
    let mut records = Vec::with_capacity(edited.len());
    for (i, draft) in edited.iter().enumerate() {
        let others: Vec<RecordDraft> = edited
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, r)| r.clone())
            .collect();
        match check(domain, draft, &others) {
            Ok(record) => records.push(record),
            Err(found) => {
                for p in found {
                    problems
                        .entry(format!("records[{i}].{}", p.field))
                        .or_insert(p.message);
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(records)
    } else {
        Err(AppError::Invalid(problems))
    }
}

/// Saves the edited zone: see the module's notes. `seen` is the zone the editor opened with.
#[tracing::instrument(name = "dns.save", skip_all, fields(target = %name))]
pub async fn save(
    state: &AppState,
    staff: &StaffView,
    name: &str,
    seen: Vec<RecordDraft>,
    edited: Vec<RecordDraft>,
) -> Result<SaveReport, AppError> {
    let name = domain_name(name)?;
    let edited = checked(&name, &edited)?;
    let seen: Vec<RecordDraft> = seen.iter().map(|r| normalise(&name, r)).collect();
    let changes = diff(&seen, &edited);
    if changes.is_empty() {
        return Ok(SaveReport::default());
    }
    let owner = owner(state, &name).await?;
    let live: Vec<RecordDraft> = state
        .cmr
        .dns_records(&owner, &name)
        .await?
        .data
        .records
        .iter()
        .map(|r| normalise(&name, &RecordDraft::from_record(r)))
        .collect();
    let at_cmr = |id: &Option<String>| live.iter().find(|l| l.record_id == *id);
    for before in changes
        .removed
        .iter()
        .chain(changes.changed.iter().map(|(b, _)| b))
    {
        if at_cmr(&before.record_id).is_some_and(|now| !same_record(now, before)) {
            return Err(AppError::Rejected(format!(
                "{} changed at CMR since the editor opened. Nothing was saved: reload the DNS \
                 records and make the change again.",
                describe(before)
            )));
        }
    }
    let mut steps: Vec<Step> = Vec::with_capacity(changes.len());
    steps.extend(changes.removed.into_iter().map(Step::Remove));
    steps.extend(changes.changed.into_iter().map(|(b, a)| Step::Change(b, a)));
    steps.extend(changes.added.into_iter().map(Step::Add));
    let mut report = SaveReport::default();
    let mut stopped = false;
    for step in steps {
        let label = step.label();
        if stopped {
            report.not_sent.push(label);
            continue;
        }
        let result = match &step {
            // Already as asked (a second click, someone else): nothing to send.
            Step::Remove(r) if at_cmr(&r.record_id).is_none() => Ok(()),
            Step::Add(r) if live.iter().any(|l| same_record(l, r)) => Ok(()),
            _ => step.send(state, staff, &owner, &name).await,
        };
        stopped = result.is_err();
        report.sent.push(ChangeLine {
            label,
            result: result.map_err(|e| e.to_string()),
        });
    }
    Ok(report)
}

/// One change of a save.
enum Step {
    Remove(RecordDraft),
    Change(RecordDraft, RecordDraft),
    Add(RecordDraft),
}

impl Step {
    fn label(&self) -> String {
        match self {
            Step::Remove(r) => format!("Remove {}", describe(r)),
            Step::Change(b, a) => format!("Change {} to {}", describe(b), describe(a)),
            Step::Add(r) => format!("Add {}", describe(r)),
        }
    }

    /// One CMR call, audited.
    async fn send(
        &self,
        state: &AppState,
        staff: &StaffView,
        owner: &str,
        domain: &str,
    ) -> Result<(), AppError> {
        let priority =
            |r: &RecordDraft| (r.record_type == RecordType::Mx).then(|| r.priority.clone());
        let fields = |r: Option<&RecordDraft>| {
            let get = |f: fn(&RecordDraft) -> String| r.map(f).unwrap_or_default();
            [
                ("host", get(|r| r.host.clone())),
                ("type", get(|r| r.record_type.as_str().to_string())),
                ("value", get(|r| r.value.clone())),
                ("priority", get(|r| r.priority.clone())),
            ]
        };
        let changes = |before: Option<&RecordDraft>, after: Option<&RecordDraft>| {
            fields(before)
                .into_iter()
                .zip(fields(after))
                .filter(|((_, b), (_, a))| b != a)
                .map(|((field, b), (_, a))| Change::new(field, b, a))
                .collect()
        };
        match self {
            Step::Remove(r) => {
                let id = r.record_id.clone().unwrap_or_default();
                let attempt = Attempt {
                    staff,
                    action: "dns.delete",
                    target: Target::DnsRecord {
                        domain,
                        record: &id,
                    },
                    changes: changes(Some(r), None),
                };
                let result = state.cmr.delete_dns_record(owner, &id).await;
                audited(state, attempt, result).await.map(drop)
            }
            Step::Change(before, after) => {
                let id = before.record_id.clone().unwrap_or_default();
                let update = DnsRecordUpdate {
                    record_id: id.clone(),
                    domain: domain.to_string(),
                    host: after.host.clone(),
                    value: after.value.clone(),
                    record_type: after.record_type.clone(),
                    priority: priority(after),
                };
                let attempt = Attempt {
                    staff,
                    action: "dns.update",
                    target: Target::DnsRecord {
                        domain,
                        record: &id,
                    },
                    changes: changes(Some(before), Some(after)),
                };
                let result = state.cmr.update_dns_record(owner, &update).await;
                audited(state, attempt, result).await.map(drop)
            }
            Step::Add(r) => {
                let record = NewDnsRecord {
                    host: r.host.clone(),
                    value: r.value.clone(),
                    record_type: r.record_type.clone(),
                    priority: priority(r),
                    excluded_dmarc_tags: (!r.excluded_dmarc_tags.is_empty())
                        .then(|| r.excluded_dmarc_tags.clone()),
                };
                let attempt = Attempt {
                    staff,
                    action: "dns.add",
                    target: Target::DnsRecord {
                        domain,
                        record: "new",
                    },
                    changes: changes(None, Some(r)),
                };
                let result = state.cmr.add_dns_records(owner, domain, &[record]).await;
                audited(state, attempt, result).await.map(drop)
            }
        }
    }
}
