//! Reads from CMR, shared: identical concurrent reads make one upstream call (the others wait
//! for its answer), and an answer is kept for a short, per-kind time so twenty staff opening
//! the same profile cost CMR one set of calls, not twenty. CMR allows 5 calls per second for
//! the whole partner; this is what keeps busy mornings inside it.
//!
//! Rules: an error is shared with the callers already waiting for it but never kept; the
//! dashboard's own writes drop what they change ([`ReadCache::invalidate`]); a page's refresh
//! control asks for a fresh read ([`Freshness::Live`]); money decisions and the edit form's
//! re-read before merging never go through here. The cache holds at most `capacity` answers.

use cmr::CmrError;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::OnceCell;
use tokio::time::Instant;

/// What is read, and so how long an answer may be reused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReadKey {
    Wallet,
    /// One page of the customer list: (page, search).
    Customers(u32, String),
    Customer(String),
    CustomerDomains(String),
    CustomerMailboxes(String),
    /// The first page of the partner's subscriptions (profiles filter it by customer).
    Subscriptions,
    /// The home page's totals.
    CustomerTotal,
    SubscriptionTotal,
    MailboxTotal,
}

impl ReadKey {
    /// The kind of data, as the metrics name it (never the ids).
    pub fn kind(&self) -> &'static str {
        match self {
            ReadKey::Wallet => "wallet",
            ReadKey::Customers(..) => "customers",
            ReadKey::Customer(_) => "customer",
            ReadKey::CustomerDomains(_) => "customer_domains",
            ReadKey::CustomerMailboxes(_) => "customer_mailboxes",
            ReadKey::Subscriptions => "subscriptions",
            ReadKey::CustomerTotal => "customer_total",
            ReadKey::SubscriptionTotal => "subscription_total",
            ReadKey::MailboxTotal => "mailbox_total",
        }
    }

    /// How long an answer stays good enough to show without a fresh read.
    pub fn ttl(&self) -> Duration {
        match self {
            ReadKey::Wallet => Duration::from_secs(30),
            ReadKey::Customer(_) => Duration::from_secs(15),
            ReadKey::Customers(..)
            | ReadKey::CustomerDomains(_)
            | ReadKey::CustomerMailboxes(_)
            | ReadKey::Subscriptions => Duration::from_secs(30),
            ReadKey::CustomerTotal | ReadKey::SubscriptionTotal | ReadKey::MailboxTotal => {
                Duration::from_secs(60)
            }
        }
    }

    /// Whether this key shows anything about customer `id` (for invalidation after a write).
    fn concerns_customer(&self, id: &str) -> bool {
        match self {
            ReadKey::Customer(c) | ReadKey::CustomerDomains(c) | ReadKey::CustomerMailboxes(c) => {
                c == id
            }
            ReadKey::Customers(..) | ReadKey::CustomerTotal | ReadKey::Subscriptions => true,
            ReadKey::Wallet | ReadKey::SubscriptionTotal | ReadKey::MailboxTotal => false,
        }
    }
}

/// Whether a read may be answered from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// A kept answer younger than its key's time to live will do.
    Cached,
    /// Read CMR now (a staff member pressed "refresh"); joins a read already under way.
    Live,
}

impl Freshness {
    /// From a server function's `fresh` argument (the refresh link sets it).
    pub fn asked(fresh: Option<bool>) -> Freshness {
        if fresh == Some(true) {
            Freshness::Live
        } else {
            Freshness::Cached
        }
    }
}

/// A value and when CMR gave it (seconds since the Unix epoch, for "fetched 12 s ago").
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<T> {
    pub value: T,
    pub fetched_at: i64,
}

type Answer = Result<(Arc<dyn Any + Send + Sync>, Instant, i64), CmrError>;

struct Entry {
    answer: OnceCell<Answer>,
    ttl: Duration,
}

impl Entry {
    /// Still under way, or answered and young enough.
    fn usable(&self, now: Instant) -> bool {
        match self.answer.get() {
            None => true,
            Some(Ok((_, at, _))) => now.duration_since(*at) < self.ttl,
            Some(Err(_)) => false,
        }
    }
}

pub struct ReadCache {
    entries: Mutex<HashMap<ReadKey, Arc<Entry>>>,
    capacity: usize,
}

impl Default for ReadCache {
    fn default() -> Self {
        ReadCache::new(2_000)
    }
}

impl ReadCache {
    pub fn new(capacity: usize) -> ReadCache {
        ReadCache {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The answer for `key`: kept, joined (a read under way), or read now with `fetch`.
    pub async fn read<T, F, Fut>(
        &self,
        key: ReadKey,
        freshness: Freshness,
        fetch: F,
    ) -> Result<Fetched<T>, CmrError>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, CmrError>>,
    {
        let entry = self.entry_for(&key, freshness);
        let fetched = std::sync::atomic::AtomicBool::new(false);
        let answer = entry
            .answer
            .get_or_init(|| async {
                fetched.store(true, std::sync::atomic::Ordering::Relaxed);
                let value = fetch().await?;
                let shared: Arc<dyn Any + Send + Sync> = Arc::new(value);
                Ok((shared, Instant::now(), unix_now()))
            })
            .await;
        // A kept answer and a read joined while under way both spared a CMR call.
        let result = if fetched.into_inner() { "miss" } else { "hit" };
        metrics::counter!("read_cache_total", "kind" => key.kind(), "result" => result)
            .increment(1);
        match answer {
            Ok((value, _, fetched_at)) => match value.downcast_ref::<T>() {
                Some(value) => Ok(Fetched {
                    value: value.clone(),
                    fetched_at: *fetched_at,
                }),
                // One key, one type: only a programming error gets here. Read through.
                None => Err(CmrError::InvalidRequest {
                    message: format!("read cache: {key:?} holds another type"),
                }),
            },
            Err(e) => {
                self.forget_failed(&key, &entry);
                Err(e.clone())
            }
        }
    }

    /// Drops every kept answer that shows customer `id` (their profile, their lists, and the
    /// lists and totals they appear in).
    pub fn invalidate_customer(&self, id: &str) {
        self.lock().retain(|key, _| !key.concerns_customer(id));
    }

    /// Drops every kept answer.
    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ReadKey, Arc<Entry>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The entry this read waits on: the kept one when usable, else a new one in its place.
    fn entry_for(&self, key: &ReadKey, freshness: Freshness) -> Arc<Entry> {
        let now = Instant::now();
        let mut entries = self.lock();
        if let Some(entry) = entries.get(key) {
            let under_way = entry.answer.get().is_none();
            if under_way || (freshness == Freshness::Cached && entry.usable(now)) {
                return entry.clone();
            }
        }
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            entries.retain(|_, e| e.usable(now));
            if entries.len() >= self.capacity {
                // Still full of live answers: drop the oldest.
                let oldest = entries
                    .iter()
                    .filter_map(|(k, e)| match e.answer.get() {
                        Some(Ok((_, at, _))) => Some((k.clone(), *at)),
                        _ => None,
                    })
                    .min_by_key(|(_, at)| *at)
                    .map(|(k, _)| k);
                if let Some(oldest) = oldest {
                    entries.remove(&oldest);
                }
            }
        }
        let entry = Arc::new(Entry {
            answer: OnceCell::new(),
            ttl: key.ttl(),
        });
        entries.insert(key.clone(), entry.clone());
        entry
    }

    /// A failed read is not kept: the next caller tries again. (Only this entry: a newer one
    /// may already have taken its place.)
    fn forget_failed(&self, key: &ReadKey, failed: &Arc<Entry>) {
        let mut entries = self.lock();
        if entries.get(key).is_some_and(|e| Arc::ptr_eq(e, failed)) {
            entries.remove(key);
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counting() -> (Arc<AtomicUsize>, impl Fn() -> Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let handle = calls.clone();
        (calls, move || handle.clone())
    }

    async fn slow_read(calls: Arc<AtomicUsize>, value: u32) -> Result<u32, CmrError> {
        calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(value)
    }

    #[tokio::test(start_paused = true)]
    async fn twenty_identical_concurrent_reads_make_one_call() {
        let cache = Arc::new(ReadCache::default());
        let (calls, handle) = counting();
        let reads: Vec<_> = (0..20)
            .map(|_| {
                let (cache, calls) = (cache.clone(), handle());
                tokio::spawn(async move {
                    cache
                        .read(ReadKey::Wallet, Freshness::Cached, || slow_read(calls, 7))
                        .await
                })
            })
            .collect();
        for read in reads {
            assert_eq!(read.await.unwrap().unwrap().value, 7);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_is_kept_for_its_time_to_live_then_read_again() {
        let cache = ReadCache::default();
        let (calls, handle) = counting();
        let key = ReadKey::Customer("U1".into());
        let first = cache
            .read(key.clone(), Freshness::Cached, || slow_read(handle(), 1))
            .await
            .unwrap();
        tokio::time::advance(Duration::from_secs(10)).await;
        let kept = cache
            .read(key.clone(), Freshness::Cached, || slow_read(handle(), 2))
            .await
            .unwrap();
        assert_eq!((kept.value, kept.fetched_at), (1, first.fetched_at));
        tokio::time::advance(key.ttl()).await;
        let again = cache
            .read(key, Freshness::Cached, || slow_read(handle(), 3))
            .await
            .unwrap();
        assert_eq!(again.value, 3);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_live_read_bypasses_a_kept_answer() {
        let cache = ReadCache::default();
        let (calls, handle) = counting();
        let read = |freshness, value| {
            let calls = handle();
            cache.read(ReadKey::Wallet, freshness, move || slow_read(calls, value))
        };
        assert_eq!(read(Freshness::Cached, 1).await.unwrap().value, 1);
        assert_eq!(read(Freshness::Live, 2).await.unwrap().value, 2);
        assert_eq!(read(Freshness::Cached, 3).await.unwrap().value, 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_is_shared_with_waiters_but_never_kept() {
        let cache = Arc::new(ReadCache::default());
        let (calls, handle) = counting();
        let failing = |calls: Arc<AtomicUsize>| async move {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err::<u32, _>(CmrError::Timeout)
        };
        let reads: Vec<_> = (0..5)
            .map(|_| {
                let (cache, calls) = (cache.clone(), handle());
                tokio::spawn(async move {
                    cache
                        .read(ReadKey::Wallet, Freshness::Cached, || failing(calls))
                        .await
                })
            })
            .collect();
        for read in reads {
            assert_eq!(read.await.unwrap(), Err(CmrError::Timeout));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one call for the waiters");
        assert!(cache.is_empty(), "the failure was not kept");
        let next = cache
            .read(ReadKey::Wallet, Freshness::Cached, || {
                slow_read(handle(), 9)
            })
            .await;
        assert_eq!(next.unwrap().value, 9);
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_drops_what_shows_the_customer_and_nothing_else() {
        let cache = ReadCache::default();
        let (_, handle) = counting();
        for key in [
            ReadKey::Customer("A".into()),
            ReadKey::CustomerDomains("A".into()),
            ReadKey::Customer("B".into()),
            ReadKey::Customers(1, String::new()),
            ReadKey::Wallet,
        ] {
            cache
                .read(key, Freshness::Cached, || slow_read(handle(), 1))
                .await
                .unwrap();
        }
        cache.invalidate_customer("A");
        let mut left: Vec<_> = cache.lock().keys().cloned().collect();
        left.sort_by_key(|k| format!("{k:?}"));
        assert_eq!(left, [ReadKey::Customer("B".into()), ReadKey::Wallet]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_that_gives_up_hands_the_read_to_the_next() {
        let cache = Arc::new(ReadCache::default());
        let (calls, handle) = counting();
        let first = {
            let (cache, calls) = (cache.clone(), handle());
            tokio::spawn(async move {
                cache
                    .read(ReadKey::Wallet, Freshness::Cached, || slow_read(calls, 1))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        first.abort();
        let second = cache
            .read(ReadKey::Wallet, Freshness::Cached, || {
                slow_read(handle(), 2)
            })
            .await;
        assert_eq!(second.unwrap().value, 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn the_cache_never_holds_more_than_its_capacity() {
        let cache = ReadCache::new(3);
        let (_, handle) = counting();
        for n in 0..10 {
            cache
                .read(ReadKey::Customer(n.to_string()), Freshness::Cached, || {
                    slow_read(handle(), n)
                })
                .await
                .unwrap();
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        assert_eq!(cache.len(), 3);
        assert!(cache.lock().contains_key(&ReadKey::Customer("9".into())));
    }
}
