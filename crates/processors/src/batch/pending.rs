//! The data a batcher holds between sends, kept as the encoded requests it was given.
//!
//! Merging is byte concatenation ([`Payload::merge`]): protobuf repeated fields concatenate, so
//! requests of one signal joined end to end are one valid request (DESIGN.md §3). Cutting a batch
//! at `send_batch_max_size` first uses whole requests, then whole resource records found by a
//! wire walk ([`wire::resource_records`]); only when a single resource record straddles the cut is
//! that one record decoded and divided by items ([`SplitItems`]).

use std::collections::VecDeque;
use std::ops::Range;

use bytes::{Bytes, BytesMut};
use pdata::payload::Request;
use pdata::wire::{self, Record};
use pdata::{Payload, RequestMeta};

use super::split_items::SplitItems;

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
                let (head, tail) = split_payload(front, max - taken);
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

/// Cuts `payload` after its first `owed` items (0 < owed < items).
fn split_payload<M: Request + SplitItems>(
    payload: Payload<M>,
    owed: usize,
) -> (Payload<M>, Payload<M>) {
    let bytes = payload.bytes();
    let meta = payload.meta().clone();
    let total = payload.items();
    let records = match wire::resource_records(M::KIND, &bytes) {
        Ok(records) => records,
        // Payload bytes were validated on the way in (or encoded by prost), so the walk cannot
        // fail. Should it ever, the request goes out whole, over the maximum, rather than be
        // lost or decoded here.
        Err(error) => {
            tracing::warn!(%error, "batch: could not find resource records; sending a batch above send_batch_max_size");
            return (payload, Payload::from_message(M::default(), meta));
        }
    };
    let mut before = 0;
    let straddling = records
        .iter()
        .position(|r| {
            if before + r.items > owed {
                return true;
            }
            before += r.items;
            false
        })
        .expect("a request holding more than `owed` items has a record past the cut");
    let ranges = |rs: &[Record]| rs.iter().map(|r| r.range.clone()).collect::<Vec<_>>();
    let (head_bytes, tail_bytes) = if before == owed {
        (
            concat(&bytes, &ranges(&records[..straddling])),
            concat(&bytes, &ranges(&records[straddling..])),
        )
    } else {
        let record = &records[straddling];
        match decode_and_split_record::<M>(&bytes, record, owed - before) {
            Some((head_part, tail_part)) => {
                let mut head = BytesMut::from(concat(&bytes, &ranges(&records[..straddling])));
                head.extend_from_slice(&head_part);
                let mut tail = BytesMut::from(tail_part.as_slice());
                tail.extend_from_slice(&concat(&bytes, &ranges(&records[straddling + 1..])));
                (head.freeze(), tail.freeze())
            }
            // Undecodable after a successful wire walk would be a codec bug. Sending the whole
            // record in this batch (slightly over the maximum) loses nothing.
            None => {
                tracing::warn!(
                    "batch: could not split a resource record; sending a batch above send_batch_max_size"
                );
                let head_items = before + record.items;
                return (
                    Payload::from_validated_bytes(
                        concat(&bytes, &ranges(&records[..=straddling])),
                        head_items,
                        meta.clone(),
                    ),
                    Payload::from_validated_bytes(
                        concat(&bytes, &ranges(&records[straddling + 1..])),
                        total - head_items,
                        meta.clone(),
                    ),
                );
            }
        }
    };
    (
        Payload::from_validated_bytes(head_bytes, owed, meta.clone()),
        Payload::from_validated_bytes(tail_bytes, total - owed, meta.clone()),
    )
}

/// THE ONLY PLACE `batch` DECODES ANYTHING: one resource record (not the whole request) that
/// must be cut inside to honour `send_batch_max_size` exactly. Merging, counting and cutting
/// between records all work on the encoded bytes. Returns both halves encoded, each a complete
/// field-1 record with the resource and scope repeated.
fn decode_and_split_record<M: Request + SplitItems>(
    bytes: &Bytes,
    record: &Record,
    owed: usize,
) -> Option<(Vec<u8>, Vec<u8>)> {
    // A record is a valid request on its own; going through `Payload` keeps `decode_count()`
    // honest about this decode.
    let mut one = Payload::<M>::from_validated_bytes(
        bytes.slice(record.range.clone()),
        record.items,
        RequestMeta::default(),
    );
    let message = std::mem::take(one.make_mut().ok()?);
    let (head, tail) = message.split_items(owed);
    Some((head.encode_to_vec(), tail.encode_to_vec()))
}

/// The bytes of `ranges` joined: a zero-copy slice when they are adjacent (the usual case: a
/// request without unknown top-level fields), a copy otherwise.
fn concat(bytes: &Bytes, ranges: &[Range<usize>]) -> Bytes {
    let (Some(first), Some(last)) = (ranges.first(), ranges.last()) else {
        return Bytes::new();
    };
    if ranges.windows(2).all(|w| w[0].end == w[1].start) {
        return bytes.slice(first.start..last.end);
    }
    let mut out = BytesMut::with_capacity(ranges.iter().map(|r| r.len()).sum());
    for r in ranges {
        out.extend_from_slice(&bytes[r.clone()]);
    }
    out.freeze()
}
