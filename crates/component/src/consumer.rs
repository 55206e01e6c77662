//! How data moves between components: a [`Consumer`] takes one payload and answers when it is
//! done with it, with `Ok` or a classified [`ConsumeError`] that the receiver turns into the status
//! code upstream sends (collector-semantics.md §3).

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use pdata::{Logs, Metrics, Traces};

/// A boxed error that can cross tasks.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a consumer did not take the data. The class decides what the sender does next.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    /// The data can never be accepted (malformed, rejected by the backend): do not retry.
    /// Receivers answer gRPC `Internal` / HTTP 500 unless a more precise status is attached.
    #[error("{0}")]
    Permanent(BoxError),
    /// Try again later (backend down, queue full, memory limit): gRPC `Unavailable` / HTTP 503.
    #[error("{0}")]
    Retryable(BoxError),
    /// The backend asked to slow down: gRPC `ResourceExhausted` with `RetryInfo` / HTTP 429 with
    /// `Retry-After`.
    #[error("{error}")]
    Throttled {
        error: BoxError,
        retry_after: Duration,
    },
}

impl ConsumeError {
    pub fn permanent(e: impl Into<BoxError>) -> Self {
        ConsumeError::Permanent(e.into())
    }

    pub fn retryable(e: impl Into<BoxError>) -> Self {
        ConsumeError::Retryable(e.into())
    }

    pub fn is_permanent(&self) -> bool {
        matches!(self, ConsumeError::Permanent(_))
    }

    /// Combines the errors of several consumers (fan-out) into one, as upstream's `multierr`:
    /// permanent only when every part is permanent, so that the client retries when any branch
    /// could still succeed; the longest throttle wins.
    pub fn combine(errors: Vec<ConsumeError>) -> Option<ConsumeError> {
        if errors.len() <= 1 {
            return errors.into_iter().next();
        }
        let all_permanent = errors.iter().all(ConsumeError::is_permanent);
        let retry_after = errors
            .iter()
            .filter_map(|e| match e {
                ConsumeError::Throttled { retry_after, .. } => Some(*retry_after),
                _ => None,
            })
            .max();
        let message = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        Some(if all_permanent {
            ConsumeError::Permanent(message.into())
        } else if let Some(retry_after) = retry_after {
            ConsumeError::Throttled {
                error: message.into(),
                retry_after,
            }
        } else {
            ConsumeError::Retryable(message.into())
        })
    }
}

/// Something that takes payloads of one signal: a processor, an exporter, or a fan-out node.
pub trait Consumer<P>: Send + Sync + 'static {
    /// Whether the consumer changes the data it is given; the fan-out gives such consumers their
    /// own copy when the data is shared.
    fn mutates_data(&self) -> bool {
        false
    }

    /// Consumes one payload. The future resolves when the consumer is done with it: for a
    /// queueing exporter, when the data is queued.
    fn consume(&self, data: P) -> BoxFuture<'_, Result<(), ConsumeError>>;
}

pub type TracesConsumer = Arc<dyn Consumer<Traces>>;
pub type MetricsConsumer = Arc<dyn Consumer<Metrics>>;
pub type LogsConsumer = Arc<dyn Consumer<Logs>>;

/// A consumer of any one signal: lets factories take and return consumers without being generic.
#[derive(Clone)]
pub enum AnyConsumer {
    Traces(TracesConsumer),
    Metrics(MetricsConsumer),
    Logs(LogsConsumer),
}

impl AnyConsumer {
    pub fn signal(&self) -> crate::Signal {
        match self {
            AnyConsumer::Traces(_) => crate::Signal::Traces,
            AnyConsumer::Metrics(_) => crate::Signal::Metrics,
            AnyConsumer::Logs(_) => crate::Signal::Logs,
        }
    }

    pub fn mutates_data(&self) -> bool {
        match self {
            AnyConsumer::Traces(c) => c.mutates_data(),
            AnyConsumer::Metrics(c) => c.mutates_data(),
            AnyConsumer::Logs(c) => c.mutates_data(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_keeps_the_most_hopeful_class() {
        assert!(ConsumeError::combine(vec![]).is_none());
        let one = ConsumeError::combine(vec![ConsumeError::permanent("a")]).unwrap();
        assert!(one.is_permanent());
        let mixed = ConsumeError::combine(vec![
            ConsumeError::permanent("a"),
            ConsumeError::retryable("b"),
        ])
        .unwrap();
        assert!(matches!(mixed, ConsumeError::Retryable(_)));
        assert_eq!(mixed.to_string(), "a; b");
        let throttled = ConsumeError::combine(vec![
            ConsumeError::Throttled {
                error: "x".into(),
                retry_after: Duration::from_secs(2),
            },
            ConsumeError::Throttled {
                error: "y".into(),
                retry_after: Duration::from_secs(5),
            },
        ])
        .unwrap();
        assert!(matches!(
            throttled,
            ConsumeError::Throttled { retry_after, .. } if retry_after == Duration::from_secs(5)
        ));
    }
}
