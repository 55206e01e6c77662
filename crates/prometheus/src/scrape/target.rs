//! A scrape target: the URL, interval and timeout a kept target's labels say, and where in
//! the interval its scrapes fall.

use std::sync::Arc;
use std::time::Duration;

use crate::discovery::{ADDRESS_LABEL, LabelSet};
use crate::duration::PromDuration;

use super::batch::TargetInfo;

/// One target to scrape, built from its post-relabel labels.
#[derive(Debug, Clone)]
pub struct ScrapeTarget {
    pub info: Arc<TargetInfo>,
    /// Every post-relabel label, `__`-prefixed ones included: the target's identity.
    pub labels: LabelSet,
    pub interval: Duration,
    pub timeout: Duration,
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `url.PathEscape`-like escaping of a path, keeping `/`.
fn path_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'/'
            | b'$'
            | b'&'
            | b'+'
            | b','
            | b':'
            | b';'
            | b'='
            | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl ScrapeTarget {
    /// `labels` are an active target's post-relabel labels; `params` the job's `params`
    /// (a `__param_<name>` label replaces the first value of `<name>`, as Prometheus'
    /// `Target.URL`).
    pub fn new(
        job: &str,
        labels: LabelSet,
        discovered: LabelSet,
        params: &[(String, Vec<String>)],
    ) -> Result<Self, String> {
        let get = |n: &str| labels.get(n).map(String::as_str).unwrap_or("");
        let mut query: Vec<(String, Vec<String>)> = params.to_vec();
        for (name, value) in &labels {
            let Some(param) = name.strip_prefix("__param_") else {
                continue;
            };
            match query.iter_mut().find(|(k, _)| k == param) {
                Some((_, values)) if !values.is_empty() => values[0] = value.clone(),
                Some((_, values)) => values.push(value.clone()),
                None => query.push((param.to_string(), vec![value.clone()])),
            }
        }
        // Go's `url.Values.Encode` sorts by key.
        query.sort_by(|a, b| a.0.cmp(&b.0));
        let mut url = format!(
            "{}://{}{}",
            get("__scheme__"),
            get(ADDRESS_LABEL),
            path_escape(get("__metrics_path__"))
        );
        let mut sep = '?';
        for (k, values) in &query {
            for v in values {
                url.push(sep);
                sep = '&';
                url.push_str(&query_escape(k));
                url.push('=');
                url.push_str(&query_escape(v));
            }
        }
        let interval = PromDuration::parse(get("__scrape_interval__"))
            .map_err(|e| format!("error parsing scrape interval: {e}"))?
            .0;
        let timeout = PromDuration::parse(get("__scrape_timeout__"))
            .map_err(|e| format!("error parsing scrape timeout: {e}"))?
            .0;
        let public: LabelSet = labels
            .iter()
            .filter(|(n, _)| !n.starts_with("__"))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        Ok(ScrapeTarget {
            info: Arc::new(TargetInfo {
                job: job.to_string(),
                labels: public,
                discovered_labels: discovered,
                url,
            }),
            labels,
            interval,
            timeout,
        })
    }

    /// FNV-1a of the labels and the URL (Prometheus hashes the same inputs with xxhash).
    pub fn hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for &b in bytes {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0000_01b3);
        };
        for (n, v) in &self.labels {
            feed(n.as_bytes());
            feed(v.as_bytes());
        }
        feed(self.info.url.as_bytes());
        h
    }

    /// Prometheus' `Target.offset`: the wait from `now_nanos` (since the epoch) until this
    /// target's slot in the interval. Slots are pinned to absolute time, so every collector
    /// scrapes a target at the same phase, and targets spread over the interval by hash.
    pub fn offset(&self, now_nanos: u128, seed: u64) -> Duration {
        let interval = self.interval.as_nanos().max(1);
        let base = interval - now_nanos % interval;
        let offset = u128::from(self.hash() ^ seed) % interval;
        let mut next = base + offset;
        if next > interval {
            next -= interval;
        }
        Duration::from_nanos(next as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn target(extra: &[(&str, &str)]) -> ScrapeTarget {
        let mut labels = ls(&[
            ("__address__", "127.0.0.1:9100"),
            ("__scheme__", "http"),
            ("__metrics_path__", "/metrics"),
            ("__scrape_interval__", "15s"),
            ("__scrape_timeout__", "10s"),
            ("job", "node"),
            ("instance", "127.0.0.1:9100"),
        ]);
        labels.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        ScrapeTarget::new("node", labels, LabelSet::new(), &[]).unwrap()
    }

    #[test]
    fn url_and_public_labels() {
        let t = target(&[]);
        assert_eq!(t.info.url, "http://127.0.0.1:9100/metrics");
        assert_eq!(t.interval, Duration::from_secs(15));
        assert_eq!(t.timeout, Duration::from_secs(10));
        assert_eq!(
            t.info.labels,
            ls(&[("instance", "127.0.0.1:9100"), ("job", "node")])
        );
    }

    #[test]
    fn params_from_config_and_labels() {
        let mut labels = target(&[("__param_target", "a b&c")]).labels;
        labels.insert("__metrics_path__".into(), "/probe".into());
        let params = vec![
            ("module".to_string(), vec!["http_2xx".to_string()]),
            ("target".to_string(), vec!["x".to_string(), "y".to_string()]),
        ];
        let t = ScrapeTarget::new("j", labels, LabelSet::new(), &params).unwrap();
        assert_eq!(
            t.info.url,
            "http://127.0.0.1:9100/probe?module=http_2xx&target=a+b%26c&target=y"
        );
    }

    #[test]
    fn offsets_spread_within_the_interval_and_are_pinned_to_absolute_time() {
        let interval = Duration::from_secs(15).as_nanos();
        let mut offsets = Vec::new();
        for i in 0..50 {
            let t = target(&[("n", &i.to_string())]);
            let now = 1_700_000_000_123_456_789u128;
            let o = t.offset(now, 0).as_nanos();
            assert!(o <= interval, "{o}");
            // The slot is a fixed phase of absolute time: one interval later gives the same
            // wait, and the scrape lands at the same phase.
            assert_eq!(t.offset(now + interval, 0).as_nanos(), o);
            assert_eq!((now + o) % interval, u128::from(t.hash()) % interval);
            offsets.push(o);
        }
        offsets.sort_unstable();
        offsets.dedup();
        assert!(offsets.len() > 45, "targets spread over the interval");
        // A different seed moves the slot.
        let t = target(&[]);
        assert_ne!(t.offset(0, 0), t.offset(0, 12345));
    }
}
