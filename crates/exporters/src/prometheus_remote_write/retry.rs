//! Retries of one remote-write request, as upstream's exporter does them itself (its
//! exporterhelper retry is off, so that only the failed request of a split batch is sent
//! again): exponential backoff from `retry_on_failure`, at least `Retry-After` after a 429,
//! no retry after a permanent error, and none after `max_elapsed_time` unless told to retry
//! until it succeeds (the write-ahead log's reader, which must not lose what it stored).

use std::future::Future;

use component::ConsumeError;
use helpers::RetryConfig;
use helpers::exporter::{Backoff, wrap_error};
use tokio::time::Instant;

/// Runs `attempt` until it succeeds or is given up. `forever` ignores `max_elapsed_time`.
/// The caller bounds the whole by dropping the future (shutdown).
pub(super) async fn with_retry<F, Fut>(
    config: &RetryConfig,
    forever: bool,
    exporter: &str,
    mut attempt: F,
) -> Result<(), ConsumeError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ConsumeError>>,
{
    let start = Instant::now();
    let mut backoff = Backoff::new(config);
    loop {
        let err = match attempt().await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        if err.is_permanent() {
            return Err(wrap_error(err, "Permanent error: "));
        }
        if !config.enabled && !forever {
            return Err(err);
        }
        let mut delay = backoff.next_delay();
        if let ConsumeError::Throttled { retry_after, .. } = &err {
            delay = delay.max(*retry_after);
        }
        let max_elapsed = config.max_elapsed_time.to_std_saturating();
        if !forever && !max_elapsed.is_zero() && start.elapsed() + delay > max_elapsed {
            return Err(wrap_error(err, "no more retries left: "));
        }
        tracing::info!(
            exporter, error = %err, interval = ?delay,
            "Exporting failed. Will retry the request after interval."
        );
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    fn fast() -> RetryConfig {
        RetryConfig {
            initial_interval: confmap::Duration::from_std(Duration::from_millis(1)),
            max_interval: confmap::Duration::from_std(Duration::from_millis(2)),
            ..RetryConfig::default()
        }
    }

    #[tokio::test]
    async fn retryable_errors_are_retried_and_permanent_ones_are_not() {
        let calls = AtomicUsize::new(0);
        let r = with_retry(&fast(), false, "x", || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 3 {
                    Err(ConsumeError::retryable("503"))
                } else {
                    Ok(())
                }
            }
        })
        .await;
        assert!(r.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        let calls = AtomicUsize::new(0);
        let r = with_retry(&fast(), true, "x", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(ConsumeError::permanent("out of order sample")) }
        })
        .await;
        let e = r.unwrap_err();
        assert!(e.is_permanent());
        assert_eq!(e.to_string(), "Permanent error: out of order sample");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn max_elapsed_time_gives_up_unless_forever() {
        let config = RetryConfig {
            max_elapsed_time: confmap::Duration::from_secs(1),
            max_interval: confmap::Duration::from_std(Duration::from_millis(500)),
            initial_interval: confmap::Duration::from_std(Duration::from_millis(100)),
            ..RetryConfig::default()
        };
        let e = with_retry(&config, false, "x", || async {
            Err(ConsumeError::retryable("down"))
        })
        .await
        .unwrap_err();
        assert!(e.to_string().starts_with("no more retries left: "), "{e}");
        let calls = AtomicUsize::new(0);
        let r = with_retry(&config, true, "x", || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 20 {
                    Err(ConsumeError::retryable("down"))
                } else {
                    Ok(())
                }
            }
        })
        .await;
        assert!(r.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_waits_at_least_retry_after() {
        let start = Instant::now();
        let calls = AtomicUsize::new(0);
        with_retry(&fast(), false, "x", || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    Err(ConsumeError::Throttled {
                        error: "429".into(),
                        retry_after: Duration::from_secs(7),
                    })
                } else {
                    Ok(())
                }
            }
        })
        .await
        .unwrap();
        assert!(start.elapsed() >= Duration::from_secs(7));
    }
}
