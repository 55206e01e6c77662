//! The data a batcher holds between sends, kept as the encoded requests it was given.
//!
//! Merging is byte concatenation ([`Payload::merge`]): protobuf repeated fields concatenate, so
//! requests of one signal joined end to end are one valid request (DESIGN.md §3). Cutting a batch
//! at `send_batch_max_size` first uses whole requests, then whole resource records found by a
//! wire walk; only when a single resource record straddles the cut is that one record decoded and
//! divided by items. The cutting is [`pdata::split`], shared with the exporter helper's queue
//! batching.

use std::collections::VecDeque;

use pdata::payload::Request;
use pdata::split::{SplitItems, split_payload};
use pdata::{Payload, RequestMeta};

/// Requests waiting to be sent, in arrival order.
pub struct PendingBatch<M: Request> {
    parts: VecDeque<Payload<M>>,
    items: usize,
}

impl<M: Request + SplitItems> Default for PendingBatch<M> {
    fn default() -> Self {
        PendingBatch {
            parts: VecDeque::new(),
            items: 0,
        }
    }
}

impl<M: Request + SplitItems> PendingBatch<M> {
    /// Adds a request. Requests without items carry nothing to batch and are dropped, as
    /// upstream's batcher does.
    pub fn push(&mut self, payload: Payload<M>) {
        let n = payload.items();
        if n == 0 {
            return;
        }
        self.items += n;
        self.parts.push_back(payload);
    }

    /// Items waiting.
    pub fn items(&self) -> usize {
        self.items
    }

    /// Removes the next batch to send: everything when `max` is 0 or not exceeded, otherwise
    /// exactly `max` items. The batch carries `meta` (the batcher's metadata, as upstream exports
    /// with the batcher's client info). Returns the batch and its item count.
    pub fn take(&mut self, max: usize, meta: &RequestMeta) -> Option<(Payload<M>, usize)> {
        if self.items == 0 {
            return None;
        }
        let mut out = Vec::new();
        let mut taken = 0;
        if max == 0 || self.items <= max {
            out.extend(self.parts.drain(..));
            taken = self.items;
        } else {
            while let Some(front) = self.parts.pop_front() {
                let n = front.items();
                if taken + n <= max {
                    taken += n;
                    out.push(front);
                    if taken == max {
                        break;
                    }
                    continue;
                }
                let split = split_payload(front, max - taken);
                if let Some(why) = split.inexact {
                    // Payload bytes were validated on the way in (or encoded by prost), so this
                    // is a codec bug; the batch goes out above the maximum rather than be lost.
                    tracing::warn!("batch: {why}; sending a batch above send_batch_max_size");
                }
                let (head, tail) = (split.head, split.tail);
                taken += head.items();
                out.push(head);
                self.parts.push_front(tail);
                break;
            }
        }
        self.items -= taken;
        Some((join(out, meta), taken))
    }
}

/// Joins requests into one carrying `meta`. A lone encoded request is re-labelled without
/// copying its bytes; several are concatenated.
fn join<M: Request>(parts: Vec<Payload<M>>, meta: &RequestMeta) -> Payload<M> {
    let merged = if parts.len() == 1 {
        parts.into_iter().next()
    } else {
        Payload::merge(parts)
    }
    .expect("take() never joins an empty list");
    // `merge` keeps the first request's metadata; the batch belongs to the batcher instead.
    Payload::from_validated_bytes(merged.bytes(), merged.items(), meta.clone())
}
