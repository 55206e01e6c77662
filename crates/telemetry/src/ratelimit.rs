//! Rate limiting for the log lines that report dropped or refused data.
//!
//! DESIGN §4: every drop is counted (always, in a self-metric) and logged once, rate-limited, so
//! that an outage that refuses thousands of requests a second produces a readable log rather than
//! a flood. Each drop site owns a [`DropLog`]; the first event logs at once, later ones at most
//! once per interval, and the line that does get through carries how many events (and items) were
//! held back since the previous one, so the log still adds up.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// How often one site may log a drop.
pub const DROP_LOG_INTERVAL: Duration = Duration::from_secs(1);

/// One drop log site's limiter.
#[derive(Debug)]
pub struct DropLog {
    interval: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    last: Option<Instant>,
    held_events: u64,
    held_items: u64,
}

/// What was held back since the previous line, to be logged with the current one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Suppressed {
    /// Events not logged since the previous line.
    pub events: u64,
    /// Items in those events.
    pub items: u64,
}

impl Default for DropLog {
    fn default() -> Self {
        DropLog::new(DROP_LOG_INTERVAL)
    }
}

impl DropLog {
    pub fn new(interval: Duration) -> Self {
        DropLog {
            interval,
            state: Mutex::new(State::default()),
        }
    }

    /// Records an event of `items`: `Some` when it should be logged now (with what was held back
    /// before it), `None` when it is held back.
    pub fn admit(&self, items: u64) -> Option<Suppressed> {
        self.admit_at(Instant::now(), items)
    }

    fn admit_at(&self, now: Instant, items: u64) -> Option<Suppressed> {
        let mut st = self.state.lock();
        let due = st
            .last
            .is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if !due {
            st.held_events += 1;
            st.held_items += items;
            return None;
        }
        st.last = Some(now);
        Some(Suppressed {
            events: std::mem::take(&mut st.held_events),
            items: std::mem::take(&mut st.held_items),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_logs_then_once_per_interval_with_the_held_back_counts() {
        let log = DropLog::new(Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(log.admit_at(t0, 10), Some(Suppressed::default()));
        assert_eq!(log.admit_at(t0 + Duration::from_millis(10), 5), None);
        assert_eq!(log.admit_at(t0 + Duration::from_millis(900), 7), None);
        assert_eq!(
            log.admit_at(t0 + Duration::from_millis(1000), 1),
            Some(Suppressed {
                events: 2,
                items: 12
            })
        );
        assert_eq!(log.admit_at(t0 + Duration::from_millis(1500), 1), None);
    }
}
