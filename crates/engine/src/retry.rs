//! Backoff with full jitter (the AWS Architecture Blog's recommendation): the nth retry waits a
//! random time up to min(cap, base * 2^n), so many clients retrying at once spread out.

use std::time::Duration;

use std::future::Future;

use rand::Rng;

use crate::error::CloudError;

/// `BERTH_TIME_SCALE`: every wait and backoff of berth's own multiplied by this factor
/// (default 1). Only for `make bench-real`, which runs a realistic emulator whose AWS durations
/// are scaled by the same factor, so the miniature run has the shape of a real one. Never set
/// it against AWS: faster polling only spends API calls.
pub fn time_scale() -> f64 {
    static SCALE: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *SCALE.get_or_init(|| {
        std::env::var("BERTH_TIME_SCALE")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|s: &f64| *s > 0.0 && *s <= 1.0)
            .unwrap_or(1.0)
    })
}

/// `d` under [`time_scale`].
pub fn scaled(d: Duration) -> Duration {
    d.mul_f64(time_scale())
}

#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// How long to wait after failed attempt number `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(20))
            .min(self.cap);
        let nanos = rand::rng().random_range(0..=ceiling.as_nanos() as u64);
        scaled(Duration::from_nanos(nanos))
    }
}

/// Run `op` until it succeeds, fails for good, or runs out of attempts; reads never delete,
/// so dependency violations are not retried here.
pub async fn retrying<T, F, Fut>(policy: &RetryPolicy, mut op: F) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CloudError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match op().await {
            Err(e) if e.is_retryable(false) && attempt < policy.max_attempts => {
                tokio::time::sleep(policy.delay(attempt)).await;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_stay_under_the_cap() {
        let p = RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
            max_attempts: 5,
        };
        for attempt in 1..30 {
            let ceiling =
                Duration::from_millis(100 * (1u64 << attempt.min(20))).min(Duration::from_secs(1));
            assert!(p.delay(attempt) <= ceiling);
        }
    }
}
