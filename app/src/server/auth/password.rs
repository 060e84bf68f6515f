//! argon2id at (at least) the OWASP-recommended parameters. Hashing is CPU-bound for ~0.1 s and
//! holds 19 MiB, so it runs on the blocking pool behind a [`PasswordGate`]: without the gate a
//! few hundred anonymous sign-ins hold gigabytes and starve everything else.

use crate::error::AppError;
use crate::server::errors::internal;
use argon2::password_hash::{rand_core::OsRng, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// 19 MiB, 2 passes, 1 lane: OWASP's minimum for argon2id.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// Longest a queued password check waits for a worker before "busy, try again".
const MAX_WAIT: Duration = Duration::from_secs(3);

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("the argon2 parameters are valid constants");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &[u8]) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2().hash_password(password, &salt)?.to_string())
}

fn verify_blocking(password: &[u8], stored: Option<&str>) -> bool {
    let phc = stored.unwrap_or_else(|| dummy_hash());
    let matches = PasswordHash::new(phc)
        .map(|parsed| argon2().verify_password(password, &parsed).is_ok())
        .unwrap_or(false);
    matches && stored.is_some()
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). Ungated: for the
/// command line and test set-up; request handlers go through [`PasswordGate::hash`].
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_blocking(password.as_bytes()))
        .await
        .map_err(|e| internal("password hashing task", e))?
        .map_err(|e| internal("password hashing", e))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_blocking(b"no account has this password").expect("hashing a constant works")
    })
}

/// At most `workers` password checks run at once and at most `queue` wait (each for at most
/// three seconds); anything beyond is answered `Busy` at once, before any memory is taken.
/// The permit travels into the blocking task, so a caller that disconnects mid-check does not
/// free a worker slot while its hash is still running.
#[derive(Clone)]
pub struct PasswordGate {
    workers: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
}

impl PasswordGate {
    pub fn new(workers: usize, queue: usize) -> PasswordGate {
        PasswordGate {
            workers: Arc::new(Semaphore::new(workers.max(1))),
            waiting: Arc::default(),
            queue,
        }
    }

    async fn enter(&self) -> Result<OwnedSemaphorePermit, AppError> {
        if let Ok(permit) = self.workers.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(AppError::Busy);
        }
        let acquired = tokio::time::timeout(MAX_WAIT, self.workers.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match acquired {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::Busy),
        }
    }

    /// Checks `password` against `stored`. With no stored hash (unknown email) it verifies
    /// against a dummy hash anyway, so both cases take the same time, and answers `false`.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        let permit = self.enter().await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            verify_blocking(password.as_bytes(), stored.as_deref())
        })
        .await
        .map_err(|e| internal("password check task", e))
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let permit = self.enter().await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            hash_blocking(password.as_bytes())
        })
        .await
        .map_err(|e| internal("password hashing task", e))?
        .map_err(|e| internal("password hashing", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_is_argon2id_with_the_owasp_parameters() {
        let gate = PasswordGate::new(1, 1);
        let phc = gate.hash("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(gate
            .verify("correct horse battery".into(), Some(phc.clone()))
            .await
            .unwrap());
        assert!(!gate
            .verify("wrong horse battery".into(), Some(phc))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        let gate = PasswordGate::new(1, 1);
        let verified = gate
            .verify("no account has this password".into(), None)
            .await
            .unwrap();
        assert!(!verified);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checks_beyond_the_workers_and_the_queue_are_refused_as_busy() {
        let gate = PasswordGate::new(1, 2);
        let stored = hash("x".into()).await.unwrap();
        let checks: Vec<_> = (0..12)
            .map(|_| {
                let (gate, stored) = (gate.clone(), stored.clone());
                tokio::spawn(async move { gate.verify("y".into(), Some(stored)).await })
            })
            .collect();
        let mut busy = 0;
        let mut done = 0;
        for check in checks {
            match check.await.unwrap() {
                Ok(verified) => {
                    assert!(!verified);
                    done += 1;
                }
                Err(AppError::Busy) => busy += 1,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert!(done >= 3, "one running and two queued get through: {done}");
        assert!(busy >= 6, "the rest are refused at once: {busy}");
        assert_eq!(done + busy, 12);
    }
}
