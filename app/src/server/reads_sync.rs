//! Keeps every instance's read cache honest about changes made on another instance: a change
//! announces its target on a PostgreSQL channel, and each instance listens and drops what it
//! kept of that target. The read cache's short time to live stays the backstop: a missed
//! announcement (the listening connection dropped) costs at most that long, and a reconnect
//! drops everything kept, since announcements may have been missed meanwhile.

use super::reads::ReadCache;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

const CHANNEL: &str = "cmr_admin_reads";

/// What a change made stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    Customer(String),
    Everything,
}

impl Stale {
    fn payload(&self) -> String {
        match self {
            Stale::Customer(id) => format!("customer:{id}"),
            Stale::Everything => "*".into(),
        }
    }

    fn parse(payload: &str) -> Stale {
        match payload.strip_prefix("customer:") {
            Some(id) => Stale::Customer(id.to_string()),
            None => Stale::Everything,
        }
    }

    pub fn apply(&self, reads: &ReadCache) {
        match self {
            Stale::Customer(id) => reads.invalidate_customer(id),
            Stale::Everything => reads.clear(),
        }
    }
}

/// Drops what this instance kept and tells the others to do the same. Best effort: a failed
/// announcement is logged, and the other instances' time to live bounds the staleness.
pub async fn announce(db: &PgPool, reads: &ReadCache, stale: Stale) {
    stale.apply(reads);
    let sent = sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(stale.payload())
        .execute(db)
        .await;
    if let Err(error) = sent {
        tracing::warn!(%error, "could not tell other instances what a change made stale");
    }
}

/// Listens for other instances' announcements for as long as the process runs.
pub fn listen(db: PgPool, reads: Arc<ReadCache>) {
    tokio::spawn(async move {
        loop {
            match follow(&db, &reads).await {
                Ok(()) => {}
                Err(error) => tracing::warn!(%error, "read-cache announcements interrupted"),
            }
            // Announcements may have been missed while not listening.
            reads.clear();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn follow(db: &PgPool, reads: &ReadCache) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(db).await?;
    listener.listen(CHANNEL).await?;
    loop {
        // `None`: the connection was lost (and will be re-established by the next call).
        match listener.try_recv().await? {
            Some(note) => Stale::parse(note.payload()).apply(reads),
            None => reads.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announcement_names_what_it_made_stale() {
        for stale in [Stale::Customer("U:1".into()), Stale::Everything] {
            assert_eq!(Stale::parse(&stale.payload()), stale);
        }
    }
}
