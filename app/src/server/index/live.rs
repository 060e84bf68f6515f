//! What live reads saw, written to the index off the request path.
//!
//! A page that reads CMR live hands what it saw to one writer task through a bounded queue
//! and moves on: the page never waits for the index, and a burst of page loads costs one
//! database connection, not one each. When the queue is full the newest sighting is dropped:
//! the sync catches up on its next pass.

use super::store::{self, SeenBy};
use cmr::types::{Domain, Mailbox, Subscription, User};
use sqlx::PgPool;
use tokio::sync::mpsc;

/// Sightings waiting to be written, at most.
const QUEUE: usize = 256;

/// What one live read showed.
#[derive(Debug)]
pub enum Seen {
    Customers(Vec<User>),
    /// All of one customer's domains.
    CustomerDomains(String, Vec<Domain>),
    /// One customer's mailboxes.
    CustomerMailboxes(String, Vec<Mailbox>),
    Subscriptions(Vec<Subscription>),
}

/// The sending side; cheap to clone.
#[derive(Debug, Clone)]
pub struct LiveSightings {
    queue: mpsc::Sender<Seen>,
}

impl LiveSightings {
    /// Starts the writer task (inside a Tokio runtime).
    pub fn start(db: PgPool) -> LiveSightings {
        let (queue, mut seen) = mpsc::channel(QUEUE);
        tokio::spawn(async move {
            while let Some(sighting) = seen.recv().await {
                if let Err(error) = write(&db, sighting).await {
                    tracing::warn!(%error, "could not write a live read to the index");
                }
            }
        });
        LiveSightings { queue }
    }

    /// Queues `seen` for the index; drops it when the queue is full.
    pub fn remember(&self, seen: Seen) {
        if self.queue.try_send(seen).is_err() {
            tracing::debug!("index writer busy: a live sighting was dropped");
        }
    }
}

async fn write(db: &PgPool, seen: Seen) -> Result<(), sqlx::Error> {
    match seen {
        Seen::Customers(users) => store::save_customers(db, &users, SeenBy::Live).await,
        Seen::CustomerDomains(customer, domains) => {
            store::save_customer_domains(db, &customer, &domains, SeenBy::Live).await
        }
        Seen::CustomerMailboxes(customer, mailboxes) => {
            store::save_mailboxes(db, &mailboxes, Some(&customer), SeenBy::Live).await
        }
        Seen::Subscriptions(subs) => store::save_subscriptions(db, &subs, SeenBy::Live).await,
    }
}
