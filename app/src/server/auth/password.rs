//! argon2id at (at least) the OWASP-recommended parameters. Hashing is CPU-bound for ~0.1 s and
//! holds 19 MiB, so request handlers hash behind a [`PasswordGate`]: without it a few hundred
//! anonymous sign-ins hold gigabytes and starve everything else. The gate's hashes run on its
//! own fixed threads (not tokio's growing blocking pool), each reusing one 19 MiB working
//! buffer, so after any burst the hashing memory is `workers × 19 MiB`.

use crate::error::AppError;
use crate::server::errors::internal;
use argon2::password_hash::{self, rand_core::OsRng, Output, ParamsString, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// 19 MiB, 2 passes, 1 lane: OWASP's minimum for argon2id.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// Longest a queued password check waits for a worker before "busy, try again".
const MAX_WAIT: Duration = Duration::from_secs(3);

fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("the argon2 parameters are valid constants")
}

thread_local! {
    /// argon2's 19 MiB of working memory, kept by each thread that hashes and reused. Freeing
    /// and re-allocating it per hash lets the allocator's dynamic mmap threshold move such
    /// blocks onto the heap, where fragmentation kept ~300 MiB after a burst of 20 hashes
    /// (measured); reused, it stays at one block per worker.
    static WORK_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// argon2 of `password` and `salt` (raw bytes) into `out`, in this thread's reused memory.
fn argon2_into(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    WORK_MEMORY.with_borrow_mut(|blocks| {
        blocks.resize(params.block_count(), Block::default());
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..])
    })
}

fn hash_blocking(password: &[u8]) -> Result<String, password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    let params = params();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_buf)?;
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(output_len, |out| {
        Ok(argon2_into(&argon, &params, password, salt_bytes, out)?)
    })?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

fn verify_blocking(password: &[u8], stored: Option<&str>) -> bool {
    let phc = stored.unwrap_or_else(|| dummy_hash());
    let check = || -> Option<bool> {
        let parsed = PasswordHash::new(phc).ok()?;
        let expected = parsed.hash?;
        let params = Params::try_from(&parsed).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let mut salt_buf = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt_buf).ok()?;
        let argon = Argon2::new(algorithm, version, params.clone());
        let actual = Output::init_with(expected.len(), |out| {
            Ok(argon2_into(&argon, &params, password, salt, out)?)
        })
        .ok()?;
        // `Output` compares in constant time.
        Some(actual == expected)
    };
    check().unwrap_or(false) && stored.is_some()
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
#[derive(Clone)]
pub struct PasswordGate {
    workers: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
    jobs: mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

impl PasswordGate {
    /// Starts `workers` hashing threads; they end when the last clone of the gate is dropped.
    pub fn new(workers: usize, queue: usize) -> PasswordGate {
        let workers = workers.max(1);
        let (jobs, inbox) = mpsc::channel::<Job>();
        let inbox = Arc::new(Mutex::new(inbox));
        for n in 0..workers {
            let inbox = Arc::clone(&inbox);
            let spawned = std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(move || loop {
                    let job = inbox.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return, // the gate is gone
                    }
                });
            if let Err(err) = spawned {
                tracing::error!(error = %err, "cannot start a password worker thread");
            }
        }
        PasswordGate {
            workers: Arc::new(Semaphore::new(workers)),
            waiting: Arc::default(),
            queue,
            jobs,
        }
    }

    /// Runs `work` on a worker thread while holding `permit`; the permit is released only when
    /// the work is done, even if the caller stopped waiting.
    async fn run<T: Send + 'static>(
        &self,
        permit: OwnedSemaphorePermit,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _permit = permit;
            let _ = done.send(work());
        });
        self.jobs
            .send(job)
            .map_err(|e| internal("password worker", e))?;
        result.await.map_err(|e| internal("password worker", e))
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
        self.run(permit, move || {
            verify_blocking(password.as_bytes(), stored.as_deref())
        })
        .await
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let permit = self.enter().await?;
        self.run(permit, move || hash_blocking(password.as_bytes()))
            .await?
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
    async fn hashes_made_by_the_argon2_crate_itself_still_verify() {
        use argon2::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        let phc = argon
            .hash_password(b"an existing password", &salt)
            .unwrap()
            .to_string();
        let gate = PasswordGate::new(1, 1);
        assert!(gate
            .verify("an existing password".into(), Some(phc.clone()))
            .await
            .unwrap());
        assert!(!gate.verify("another".into(), Some(phc)).await.unwrap());
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
