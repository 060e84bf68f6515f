//! Timing: series of single calls and their percentiles.

use std::future::Future;
use std::time::{Duration, Instant};

/// Times of one kind of call.
#[derive(Default, Clone)]
pub struct Series(Vec<Duration>);

impl Series {
    pub fn push(&mut self, took: Duration) {
        self.0.push(took);
    }

    /// The `p`th percentile (nearest rank), or zero for an empty series.
    pub fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    pub fn p50(&self) -> Duration {
        self.percentile(50.0)
    }

    pub fn p95(&self) -> Duration {
        self.percentile(95.0)
    }
}

/// Times `once` after itself.
pub async fn timed<T>(once: impl Future<Output = T>) -> (Duration, T) {
    let started = Instant::now();
    let value = once.await;
    (started.elapsed(), value)
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
