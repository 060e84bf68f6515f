//! The background sync that fills the index and keeps it fresh.
//!
//! - **Within its share.** At most `per_second` calls a second (default 2 of CMR's 5), each
//!   marked as background work, so the shared budget serves every person's call first.
//! - **One instance at a time.** The sync's row in `index_sync` carries a lease (holder,
//!   held until); every step renews it, and only the holder's writes land. Another instance
//!   takes over once a lease runs out (a crash, a restart, a lost connection).
//! - **Resumes where it stopped.** A pass is a list of steps (customer pages, subscription
//!   pages, mailbox pages, then each customer's domains); the next step is kept in the row and
//!   moved on in the same statement that records a step's result, so a restart repeats at most
//!   the step that was in flight.
//! - **Never wrong about what is gone.** See [`store::mark_gone`].

use super::store::{self, SeenBy};
use crate::error::AppError;
use cmr::client::{in_background, CmrClient};
use cmr::types::{PageQuery, SubscriptionQuery, UserListQuery};
use cmr::CmrError;
use sqlx::PgPool;
use std::time::Duration;
use time::OffsetDateTime;

/// Items per page for the partner-wide lists (CMR's maximum).
pub const PAGE: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncSettings {
    /// `CMR_INDEX_SYNC_PER_SECOND`: the sync's share of the budget; 0 turns it off.
    pub per_second: u32,
    /// `CMR_INDEX_PASS_MINUTES`: a new pass starts this long after the last one finished.
    pub pass_every: Duration,
    /// How long a holder keeps the sync without renewing.
    pub lease: Duration,
}

impl Default for SyncSettings {
    fn default() -> SyncSettings {
        SyncSettings {
            per_second: 2,
            pass_every: Duration::from_secs(15 * 60),
            lease: Duration::from_secs(30),
        }
    }
}

/// The phases of a pass, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Customers,
    Subscriptions,
    Mailboxes,
    Domains,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Phase::Customers => "customers",
            Phase::Subscriptions => "subscriptions",
            Phase::Mailboxes => "mailboxes",
            Phase::Domains => "domains",
        }
    }

    fn parse(raw: &str) -> Phase {
        match raw {
            "subscriptions" => Phase::Subscriptions,
            "mailboxes" => Phase::Mailboxes,
            "domains" => Phase::Domains,
            _ => Phase::Customers,
        }
    }
}

/// What a step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Another instance holds the sync.
    NotHolder,
    /// No pass is due yet.
    Idle,
    /// One CMR call made and recorded.
    Worked,
    /// The pass just finished (this step made no CMR call).
    PassFinished,
    /// The shared budget had no room for background work in time; tried again later.
    Deferred,
    /// CMR answered with an error or not at all; recorded, to be tried again.
    Failed(String),
}

#[derive(sqlx::FromRow)]
struct Held {
    pass_started_at: Option<OffsetDateTime>,
    phase: Option<String>,
    cursor: Option<String>,
    last_full_pass_at: Option<OffsetDateTime>,
    previous_pass_started_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
}

/// Where a step leaves the pass: the next step, and how many calls the pass still needs as
/// far as is known (for the progress bar).
struct Next {
    phase: Phase,
    cursor: String,
    calls_left: i64,
}

pub struct Syncer {
    db: PgPool,
    cmr: CmrClient,
    settings: SyncSettings,
    holder: String,
}

impl Syncer {
    pub fn new(db: PgPool, cmr: CmrClient, settings: SyncSettings) -> Syncer {
        Syncer {
            db,
            cmr,
            settings,
            holder: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Runs steps for as long as the process lives, at most `per_second` calls a second.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let spacing = Duration::from_secs(1) / self.settings.per_second.max(1);
            let mut failures = 0u32;
            loop {
                let started = tokio::time::Instant::now();
                let pause = match self.step().await {
                    Ok(Step::Worked | Step::PassFinished) => {
                        failures = 0;
                        spacing
                    }
                    Ok(Step::Idle | Step::NotHolder) => Duration::from_secs(5).max(spacing),
                    Ok(Step::Deferred) => Duration::from_secs(1).max(spacing),
                    Ok(Step::Failed(_)) | Err(_) => {
                        // 2 s, 4 s, … up to a minute: CMR or the database is having trouble.
                        failures = (failures + 1).min(5);
                        Duration::from_secs(1 << failures).min(Duration::from_secs(60))
                    }
                };
                tokio::time::sleep_until(started + pause).await;
            }
        })
    }

    /// Takes or renews the lease; the pass's state when this instance holds it.
    async fn hold(&self) -> Result<Option<Held>, sqlx::Error> {
        sqlx::query_as(
            "UPDATE index_sync
                SET holder = $1, held_until = now() + $2 * interval '1 millisecond'
              WHERE holder IS NULL OR holder = $1 OR held_until < now()
          RETURNING pass_started_at, phase, cursor, last_full_pass_at,
                    previous_pass_started_at, now() AS now",
        )
        .bind(&self.holder)
        .bind(self.settings.lease.as_millis() as f64)
        .fetch_optional(&self.db)
        .await
    }

    /// Lets another instance take over at once (a clean shutdown).
    pub async fn release(&self) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE index_sync SET holder = NULL, held_until = NULL WHERE holder = $1")
            .bind(&self.holder)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// One step of the sync: at most one CMR call and its writes.
    pub async fn step(&self) -> Result<Step, sqlx::Error> {
        let Some(held) = self.hold().await? else {
            return Ok(Step::NotHolder);
        };
        let (pass_started_at, phase, cursor) = match held.pass_started_at {
            Some(at) => (
                at,
                Phase::parse(held.phase.as_deref().unwrap_or("customers")),
                held.cursor.unwrap_or_default(),
            ),
            None => {
                let due = held.last_full_pass_at.is_none_or(|last| {
                    (held.now - last).unsigned_abs() >= self.settings.pass_every
                });
                if !due {
                    return Ok(Step::Idle);
                }
                (self.begin_pass().await?, Phase::Customers, "1".to_string())
            }
        };
        match in_background(self.call(phase, &cursor)).await {
            Ok(Some(next)) => {
                self.advance(&next).await?;
                Ok(Step::Worked)
            }
            Ok(None) => {
                self.finish_pass(pass_started_at, held.previous_pass_started_at)
                    .await?;
                // Freshness: the index is as old as the time since this moment.
                metrics::gauge!("index_last_pass_finished_timestamp_seconds")
                    .set(time::OffsetDateTime::now_utc().unix_timestamp() as f64);
                Ok(Step::PassFinished)
            }
            Err(StepError::Db(err)) => Err(err),
            // The budget had no room for background work in time: people come first.
            Err(StepError::Cmr(CmrError::Busy { .. })) => Ok(Step::Deferred),
            Err(StepError::Cmr(err)) => {
                let message = AppError::from(err).to_string();
                tracing::warn!(phase = phase.as_str(), error = %message, "index sync step failed");
                sqlx::query(
                    "UPDATE index_sync SET errors = errors + 1, last_error = $2,
                            last_error_at = now()
                      WHERE holder = $1",
                )
                .bind(&self.holder)
                .bind(&message)
                .execute(&self.db)
                .await?;
                Ok(Step::Failed(message))
            }
        }
    }

    async fn begin_pass(&self) -> Result<OffsetDateTime, sqlx::Error> {
        let started: OffsetDateTime = sqlx::query_scalar(
            "UPDATE index_sync
                SET pass_started_at = now(), phase = 'customers', cursor = '1',
                    calls_done = 0, calls_expected = 4
              WHERE holder = $1
          RETURNING pass_started_at",
        )
        .bind(&self.holder)
        .fetch_one(&self.db)
        .await?;
        tracing::info!("index sync: a pass begins");
        Ok(started)
    }

    /// Makes this step's CMR call and records what it showed; `None` when the pass has no
    /// step left.
    async fn call(&self, phase: Phase, cursor: &str) -> Result<Option<Next>, StepError> {
        let page: u32 = cursor.parse().unwrap_or(1).max(1);
        // The pages after this one, and the phases after this one (one page each until their
        // first page says more), and a call per customer.
        let later = |phase: Phase, customers: i64| -> i64 {
            match phase {
                Phase::Customers => 2 + customers,
                Phase::Subscriptions => 1 + customers,
                Phase::Mailboxes => customers,
                Phase::Domains => 0,
            }
        };
        // Only the paged phases estimate what follows them; the domains phase counts its own.
        let customers = if phase == Phase::Domains {
            0
        } else {
            store::live_customers(&self.db).await?
        };
        let next_paged = |has_next: bool, total_pages: Option<u32>, after: Phase| {
            let pages_left = i64::from(total_pages.unwrap_or(page + 1).saturating_sub(page));
            if has_next {
                Next {
                    phase,
                    cursor: (page + 1).to_string(),
                    calls_left: pages_left.max(1) + later(phase, customers),
                }
            } else {
                let first = if after == Phase::Domains { "" } else { "1" };
                Next {
                    phase: after,
                    cursor: first.to_string(),
                    calls_left: later(phase, customers),
                }
            }
        };
        let query = PageQuery {
            page: Some(page),
            limit: Some(PAGE),
        };
        match phase {
            Phase::Customers => {
                let users = self
                    .cmr
                    .list_users(&UserListQuery {
                        page: Some(page),
                        limit: Some(PAGE),
                        search: None,
                    })
                    .await?
                    .data;
                store::save_customers(&self.db, &users.items, SeenBy::Sync).await?;
                let more = users.pagination.has_next() && !users.items.is_empty();
                Ok(Some(next_paged(
                    more,
                    users.pagination.total_pages,
                    Phase::Subscriptions,
                )))
            }
            Phase::Subscriptions => {
                let subs = self
                    .cmr
                    .subscriptions(&SubscriptionQuery {
                        page: Some(page),
                        limit: Some(PAGE),
                        ..Default::default()
                    })
                    .await?
                    .data;
                store::save_subscriptions(&self.db, &subs.items, SeenBy::Sync).await?;
                let more = subs.pagination.has_next() && !subs.items.is_empty();
                Ok(Some(next_paged(
                    more,
                    subs.pagination.total_pages,
                    Phase::Mailboxes,
                )))
            }
            Phase::Mailboxes => {
                let boxes = self.cmr.all_mailboxes(&query).await?.data;
                store::save_mailboxes(&self.db, &boxes.items, None, SeenBy::Sync).await?;
                let more = boxes.pagination.has_next() && !boxes.items.is_empty();
                Ok(Some(next_paged(
                    more,
                    boxes.pagination.total_pages,
                    Phase::Domains,
                )))
            }
            Phase::Domains => {
                let Some(customer) = store::customers_after(&self.db, cursor, 1).await?.pop()
                else {
                    return Ok(None);
                };
                // A customer deleted since the customers phase has no domains left.
                let domains = match self.cmr.user_domains(&customer).await {
                    Ok(reply) => reply.data.items,
                    Err(CmrError::NotFound { .. }) => Vec::new(),
                    Err(err) => return Err(err.into()),
                };
                store::save_customer_domains(&self.db, &customer, &domains, SeenBy::Sync).await?;
                let left: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM index_customers WHERE gone_at IS NULL AND id > $1",
                )
                .bind(&customer)
                .fetch_one(&self.db)
                .await?;
                Ok(Some(Next {
                    phase: Phase::Domains,
                    cursor: customer,
                    calls_left: left,
                }))
            }
        }
    }

    async fn advance(&self, next: &Next) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE index_sync
                SET phase = $2, cursor = $3, calls_done = calls_done + 1,
                    calls_expected = calls_done + 1 + $4
              WHERE holder = $1",
        )
        .bind(&self.holder)
        .bind(next.phase.as_str())
        .bind(&next.cursor)
        .bind(next.calls_left)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    async fn finish_pass(
        &self,
        pass_started_at: OffsetDateTime,
        previous: Option<OffsetDateTime>,
    ) -> Result<(), sqlx::Error> {
        let gone = match previous {
            Some(previous) => store::mark_gone(&self.db, previous).await?,
            None => 0,
        };
        sqlx::query(
            "UPDATE index_sync
                SET previous_pass_started_at = pass_started_at, pass_started_at = NULL,
                    phase = NULL, cursor = NULL, last_full_pass_at = now(),
                    last_pass_seconds = extract(epoch FROM now() - pass_started_at),
                    last_pass_calls = calls_done, calls_expected = calls_done
              WHERE holder = $1 AND pass_started_at = $2",
        )
        .bind(&self.holder)
        .bind(pass_started_at)
        .execute(&self.db)
        .await?;
        tracing::info!(gone, "index sync: a pass finished");
        Ok(())
    }
}

/// A step fails on CMR (recorded and retried) or on the database (the step's caller sees it).
#[derive(Debug)]
enum StepError {
    Cmr(CmrError),
    Db(sqlx::Error),
}

impl From<CmrError> for StepError {
    fn from(err: CmrError) -> StepError {
        StepError::Cmr(err)
    }
}

impl From<sqlx::Error> for StepError {
    fn from(err: sqlx::Error) -> StepError {
        StepError::Db(err)
    }
}
