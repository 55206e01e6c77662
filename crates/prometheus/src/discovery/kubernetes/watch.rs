//! LIST then WATCH one resource (client-go's reflector, reduced): the full list is delivered
//! as [`Event::Replace`], then watch events one by one. A watch that ends is resumed from the
//! last resourceVersion seen (bookmarks included); `410 Gone` (as an HTTP status or an
//! `ERROR` event) forces a fresh LIST; other failures are retried with exponential backoff.

use std::time::Duration;

use bytes::{Buf as _, BytesMut};
use http_body_util::BodyExt as _;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::client::ApiClient;
use super::objects::KubeObject;

/// What a reflector delivers.
#[derive(Debug, Clone)]
pub enum Event<T> {
    /// The complete current content of the watched scope (after every LIST).
    Replace(Vec<T>),
    /// An object was added or changed.
    Apply(T),
    /// An object was deleted (its last known state).
    Delete(T),
}

/// One watched collection: a resource in one namespace (or all), with its selectors.
#[derive(Debug, Clone)]
pub struct Resource {
    /// `/api/v1` or `/apis/<group>/<version>`.
    pub api: &'static str,
    /// Plural resource name, e.g. `pods`.
    pub plural: &'static str,
    /// `None`: cluster-wide (all namespaces, or a cluster-scoped kind).
    pub namespace: Option<String>,
    pub label_selector: String,
    pub field_selector: String,
}

impl Resource {
    fn path(&self) -> String {
        match &self.namespace {
            Some(ns) => format!(
                "{}/namespaces/{}/{}",
                self.api,
                percent_encode(ns),
                self.plural
            ),
            None => format!("{}/{}", self.api, self.plural),
        }
    }

    fn query(&self, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = Vec::new();
        if !self.label_selector.is_empty() {
            params.push(("labelSelector", &self.label_selector));
        }
        if !self.field_selector.is_empty() {
            params.push(("fieldSelector", &self.field_selector));
        }
        params.extend_from_slice(extra);
        let mut q = String::new();
        for (i, (k, v)) in params.iter().enumerate() {
            q.push(if i == 0 { '?' } else { '&' });
            q.push_str(k);
            q.push('=');
            q.push_str(&percent_encode(v));
        }
        q
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Retry pacing after failures.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    /// client-go's reflector: 800 ms doubling up to 30 s.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(800),
            max: Duration::from_secs(30),
        }
    }
}

/// How long the server may keep a watch open before we re-watch (client-go picks 5–10 min).
const WATCH_TIMEOUT_SECONDS: &str = "300";
/// A watch still open this long after the server should have ended it is presumed dead (a
/// connection lost without a reset would otherwise hang the watch forever).
const WATCH_DEADLINE: Duration = Duration::from_secs(300 + 60);
/// Items per LIST page.
const PAGE_LIMIT: &str = "500";
/// A single watch event larger than this is refused (and the collection relisted).
const MAX_EVENT_BYTES: usize = 64 << 20;

/// A list response; items are decoded one by one so that one bad object does not lose all.
#[derive(Deserialize)]
struct List {
    #[serde(default)]
    metadata: ListMeta,
    #[serde(default)]
    items: Vec<serde_json::Value>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ListMeta {
    resource_version: String,
    #[serde(rename = "continue")]
    continue_token: String,
}

#[derive(Deserialize)]
struct WatchEvent {
    #[serde(rename = "type")]
    kind: String,
    object: serde_json::Value,
}

/// Why a watch stopped.
enum WatchEnd {
    /// The server closed the stream normally: watch again from the last version.
    Closed,
    /// The version is too old (410): LIST again.
    Gone,
    /// Something failed: back off, then watch again (or relist).
    Failed(String),
    Cancelled,
}

/// Runs the reflector until `cancel` fires or the receiver goes away.
pub async fn reflect<T: KubeObject>(
    client: ApiClient,
    resource: Resource,
    tx: mpsc::Sender<Event<T>>,
    cancel: CancellationToken,
    backoff: Backoff,
    errors: crate::discovery::DiscoveryErrors,
) {
    let mut delay = backoff.initial;
    let what = resource.path();
    'relist: loop {
        let (items, mut version) = tokio::select! {
            _ = cancel.cancelled() => return,
            r = list::<T>(&client, &resource) => match r {
                Ok(v) => v,
                Err(e) => {
                    errors.report("kubernetes");
                    tracing::warn!(resource = %what, error = %e, "Kubernetes LIST failed; retrying");
                    if !sleep(&cancel, &mut delay, backoff).await {
                        return;
                    }
                    continue 'relist;
                }
            },
        };
        if tx.send(Event::Replace(items)).await.is_err() {
            return;
        }
        delay = backoff.initial;
        loop {
            match watch(&client, &resource, &mut version, &tx, &cancel).await {
                WatchEnd::Cancelled => return,
                WatchEnd::Closed => delay = backoff.initial,
                WatchEnd::Gone => {
                    tracing::info!(resource = %what, "Kubernetes watch: resource version too old; relisting");
                    continue 'relist;
                }
                WatchEnd::Failed(e) => {
                    errors.report("kubernetes");
                    tracing::warn!(resource = %what, error = %e, "Kubernetes WATCH failed; retrying");
                    if !sleep(&cancel, &mut delay, backoff).await {
                        return;
                    }
                }
            }
        }
    }
}

/// Sleeps `delay` and doubles it; false when cancelled meanwhile.
async fn sleep(cancel: &CancellationToken, delay: &mut Duration, backoff: Backoff) -> bool {
    let d = *delay;
    *delay = (*delay * 2).min(backoff.max);
    tokio::select! {
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

/// LISTs every page; returns the objects and the collection's resourceVersion.
async fn list<T: KubeObject>(
    client: &ApiClient,
    resource: &Resource,
) -> Result<(Vec<T>, String), String> {
    let mut items = Vec::new();
    let mut token = String::new();
    loop {
        let mut extra = vec![("limit", PAGE_LIMIT)];
        if !token.is_empty() {
            extra.push(("continue", token.as_str()));
        }
        let path = format!("{}{}", resource.path(), resource.query(&extra));
        let body = client.get_body(&path).await?;
        let page: List =
            serde_json::from_slice(&body).map_err(|e| format!("GET {path}: decoding list: {e}"))?;
        for item in page.items {
            match serde_json::from_value::<T>(item) {
                Ok(o) => items.push(o),
                Err(e) => {
                    tracing::warn!(path = %path, error = %e, "Dropping an undecodable Kubernetes object")
                }
            }
        }
        if page.metadata.continue_token.is_empty() {
            return Ok((items, page.metadata.resource_version));
        }
        token = page.metadata.continue_token;
    }
}

/// One WATCH request, streamed until it ends.
async fn watch<T: KubeObject>(
    client: &ApiClient,
    resource: &Resource,
    version: &mut String,
    tx: &mpsc::Sender<Event<T>>,
    cancel: &CancellationToken,
) -> WatchEnd {
    let path = format!(
        "{}{}",
        resource.path(),
        resource.query(&[
            ("watch", "true"),
            ("resourceVersion", version.as_str()),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", WATCH_TIMEOUT_SECONDS),
        ])
    );
    let resp = tokio::select! {
        _ = cancel.cancelled() => return WatchEnd::Cancelled,
        r = client.get(&path) => match r {
            Ok(r) => r,
            Err(e) => return WatchEnd::Failed(e),
        },
    };
    if resp.status == http::StatusCode::GONE {
        return WatchEnd::Gone;
    }
    if !resp.status.is_success() {
        let body = resp
            .body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        return WatchEnd::Failed(format!(
            "GET {path}: {}: {}",
            resp.status,
            String::from_utf8_lossy(&body).trim()
        ));
    }
    let deadline = tokio::time::Instant::now() + WATCH_DEADLINE;
    let mut body = resp.body;
    let mut buf = BytesMut::new();
    loop {
        // Handle every complete line already buffered.
        while let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            let line = buf.split_to(pos + 1);
            let line = &line[..pos];
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match handle_line::<T>(line, version, tx).await {
                Ok(()) => {}
                Err(end) => return end,
            }
        }
        if buf.len() > MAX_EVENT_BYTES {
            return WatchEnd::Failed(format!("watch event larger than {MAX_EVENT_BYTES} bytes"));
        }
        let frame = tokio::select! {
            _ = cancel.cancelled() => return WatchEnd::Cancelled,
            _ = tokio::time::sleep_until(deadline) => {
                return WatchEnd::Failed(format!("watch not ended by the server after {WATCH_DEADLINE:?}"));
            }
            f = body.frame() => f,
        };
        match frame {
            None => {
                // A last event without a trailing newline.
                if !buf.iter().all(u8::is_ascii_whitespace) {
                    let line = buf.split().freeze();
                    if let Err(end) = handle_line::<T>(&line, version, tx).await {
                        return end;
                    }
                }
                return WatchEnd::Closed;
            }
            Some(Err(e)) => return WatchEnd::Failed(format!("watch stream: {e}")),
            Some(Ok(frame)) => {
                if let Ok(mut data) = frame.into_data() {
                    while data.has_remaining() {
                        let chunk = data.chunk();
                        buf.extend_from_slice(chunk);
                        let n = chunk.len();
                        data.advance(n);
                    }
                }
            }
        }
    }
}

/// Applies one watch event line; `Err` ends the watch.
async fn handle_line<T: KubeObject>(
    line: &[u8],
    version: &mut String,
    tx: &mpsc::Sender<Event<T>>,
) -> Result<(), WatchEnd> {
    let ev: WatchEvent = serde_json::from_slice(line)
        .map_err(|e| WatchEnd::Failed(format!("decoding watch event: {e}")))?;
    let object_version = ev
        .object
        .pointer("/metadata/resourceVersion")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    match ev.kind.as_str() {
        "ADDED" | "MODIFIED" | "DELETED" => {
            let obj = match serde_json::from_value::<T>(ev.object) {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(error = %e, "Dropping an undecodable Kubernetes watch event");
                    if let Some(v) = object_version {
                        *version = v;
                    }
                    return Ok(());
                }
            };
            if let Some(v) = object_version {
                *version = v;
            }
            let event = if ev.kind == "DELETED" {
                Event::Delete(obj)
            } else {
                Event::Apply(obj)
            };
            tx.send(event).await.map_err(|_| WatchEnd::Cancelled)
        }
        "BOOKMARK" => {
            if let Some(v) = object_version {
                *version = v;
            }
            Ok(())
        }
        "ERROR" => {
            // A metav1.Status; 410 means the version is too old.
            let code = ev.object.get("code").and_then(|c| c.as_u64()).unwrap_or(0);
            if code == 410 {
                Err(WatchEnd::Gone)
            } else {
                let msg = ev
                    .object
                    .get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("")
                    .to_string();
                Err(WatchEnd::Failed(format!("watch error event {code}: {msg}")))
            }
        }
        other => Err(WatchEnd::Failed(format!(
            "unknown watch event type {other:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_query_encoded() {
        let r = Resource {
            api: "/api/v1",
            plural: "pods",
            namespace: Some("ns1".into()),
            label_selector: "app in (a,b),tier!=db".into(),
            field_selector: "spec.nodeName=n1".into(),
        };
        assert_eq!(r.path(), "/api/v1/namespaces/ns1/pods");
        assert_eq!(
            r.query(&[("watch", "true")]),
            "?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb&fieldSelector=spec.nodeName%3Dn1&watch=true"
        );
    }
}
