//! The session store. tower-sessions' Postgres store saves with an upsert, so a request that
//! was in flight when its session was ended (sign-out, password change elsewhere, expiry)
//! would write the row back at its end and bring the session back to life. Here `save` only
//! updates a row that still exists: once deleted, a session stays deleted.

use async_trait::async_trait;
use sqlx::PgPool;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, ExpiredDeletion, Result, SessionStore};
use tower_sessions_sqlx_store::PostgresStore;

#[derive(Clone, Debug)]
pub struct FinalStore {
    inner: PostgresStore,
    db: PgPool,
}

impl FinalStore {
    /// Uses tower-sessions' own table (`tower_sessions.session`), creating it if needed.
    pub async fn new(db: PgPool) -> std::result::Result<FinalStore, sqlx::Error> {
        let inner = PostgresStore::new(db.clone());
        inner.migrate().await?;
        Ok(FinalStore { inner, db })
    }
}

#[async_trait]
impl SessionStore for FinalStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        self.inner.create(record).await
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let data = rmp_serde::to_vec(record).map_err(|e| Error::Encode(e.to_string()))?;
        sqlx::query(
            r#"UPDATE "tower_sessions"."session" SET data = $2, expiry_date = $3 WHERE id = $1"#,
        )
        .bind(record.id.to_string())
        .bind(data)
        .bind(record.expiry_date)
        .execute(&self.db)
        .await
        .map_err(|e| Error::Backend(e.to_string()))?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        self.inner.load(id).await
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.inner.delete(id).await
    }
}

#[async_trait]
impl ExpiredDeletion for FinalStore {
    async fn delete_expired(&self) -> Result<()> {
        self.inner.delete_expired().await
    }
}
