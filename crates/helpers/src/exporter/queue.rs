//! The bounded sending queue.
//!
//! Its size counts payloads waiting *and* being sent (a slot is released only when the send is
//! over), as upstream's memory queue does, so `queue_size` bounds the memory an exporter holds.
//! A persistent queue uses it as the in-memory index of what is stored: entries carry their
//! record id, and their payload only while it is cached in memory.

use std::collections::VecDeque;

use component::ConsumeError;
use parking_lot::Mutex;
use pdata::payload::{Payload, Request};
use telemetry::metrics::Gauge;
use tokio::sync::{Notify, oneshot};
use tokio_util::sync::CancellationToken;

/// One queued payload.
pub(crate) struct Entry<M: Request> {
    /// The data; `None` for a stored entry not held in memory (read back when it is sent).
    pub(crate) payload: Option<Payload<M>>,
    /// The record id in the persistent queue's storage.
    pub(crate) stored: Option<u64>,
    /// Items (spans, points, records) in the payload, for the self-metrics.
    pub(crate) items: usize,
    /// Its size under the queue's sizer.
    pub(crate) size: u64,
    /// Where to report the outcome when the caller waits for it (`wait_for_result`).
    pub(crate) done: Option<oneshot::Sender<Result<(), ConsumeError>>>,
    /// Bytes of the payload counted in the persistent queue's memory cache.
    pub(crate) cached: usize,
}

/// Why an offer was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No room, and the queue does not block.
    Full,
    /// The payload alone is larger than the whole queue: it can never fit.
    TooLarge,
    /// The queue is shutting down.
    Closed,
}

struct State<M: Request> {
    entries: VecDeque<Entry<M>>,
    /// Sum of the sizes of queued and in-flight entries.
    size: u64,
    closed: bool,
}

pub(crate) struct Queue<M: Request> {
    state: Mutex<State<M>>,
    capacity: u64,
    block_on_overflow: bool,
    readable: Notify,
    space: Notify,
    size_gauge: Gauge,
}

impl<M: Request> Queue<M> {
    pub(crate) fn new(capacity: u64, block_on_overflow: bool, size_gauge: Gauge) -> Self {
        size_gauge.set(0);
        Queue {
            state: Mutex::new(State {
                entries: VecDeque::new(),
                size: 0,
                closed: false,
            }),
            capacity,
            block_on_overflow,
            readable: Notify::new(),
            space: Notify::new(),
            size_gauge,
        }
    }

    /// Takes room for `size` without adding an entry yet (the persistent queue stores the data
    /// in between), waiting for room when the queue blocks on overflow. The room is given back
    /// with [`Queue::release`] or filled with [`Queue::push_reserved`].
    pub(crate) async fn reserve(&self, size: u64) -> Result<(), Refusal> {
        if size > self.capacity {
            return Err(Refusal::TooLarge);
        }
        loop {
            let space = self.space.notified();
            tokio::pin!(space);
            space.as_mut().enable();
            {
                let mut st = self.state.lock();
                if st.closed {
                    return Err(Refusal::Closed);
                }
                if st.size + size <= self.capacity {
                    st.size += size;
                    self.size_gauge.set(st.size as i64);
                    return Ok(());
                }
                if !self.block_on_overflow {
                    return Err(Refusal::Full);
                }
            }
            space.await;
        }
    }

    /// Adds an entry whose room was reserved, even when the queue is closed (its data is
    /// already stored, and it counts in the queue until it is popped or taken).
    pub(crate) fn push_reserved(&self, entry: Entry<M>) {
        self.state.lock().entries.push_back(entry);
        self.readable.notify_one();
    }

    /// Adds an entry over the capacity if need be: stored data replayed at start, or data put
    /// back, which is in the queue whether or not there is room.
    pub(crate) fn push_forced(&self, entry: Entry<M>) {
        {
            let mut st = self.state.lock();
            st.size += entry.size;
            self.size_gauge.set(st.size as i64);
            st.entries.push_back(entry);
        }
        self.readable.notify_one();
    }

    /// Puts entries taken but not sent back at the front, in their order; their room was never
    /// released.
    pub(crate) fn unpop(&self, entries: Vec<Entry<M>>) {
        if entries.is_empty() {
            return;
        }
        {
            let mut st = self.state.lock();
            for e in entries.into_iter().rev() {
                st.entries.push_front(e);
            }
        }
        self.readable.notify_one();
    }

    /// Adds an entry, waiting for room when the queue blocks on overflow. A refused entry is
    /// handed back with the reason.
    pub(crate) async fn offer(&self, entry: Entry<M>) -> Result<(), (Refusal, Entry<M>)> {
        if entry.size > self.capacity {
            return Err((Refusal::TooLarge, entry));
        }
        loop {
            let space = self.space.notified();
            tokio::pin!(space);
            // Register before looking, so a release between the look and the wait is not missed.
            space.as_mut().enable();
            {
                let mut st = self.state.lock();
                if st.closed {
                    return Err((Refusal::Closed, entry));
                }
                if st.size + entry.size <= self.capacity {
                    st.size += entry.size;
                    self.size_gauge.set(st.size as i64);
                    st.entries.push_back(entry);
                    drop(st);
                    self.readable.notify_one();
                    return Ok(());
                }
                if !self.block_on_overflow {
                    return Err((Refusal::Full, entry));
                }
            }
            space.await;
        }
    }

    /// The next entry; `None` once the queue is closed and empty, when `stop` is cancelled, or
    /// at `until`.
    pub(crate) async fn pop_until(
        &self,
        stop: &CancellationToken,
        until: Option<tokio::time::Instant>,
    ) -> Option<Entry<M>> {
        let timeout = async {
            match until {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(timeout);
        loop {
            if stop.is_cancelled() {
                return None;
            }
            let readable = self.readable.notified();
            tokio::pin!(readable);
            readable.as_mut().enable();
            {
                let mut st = self.state.lock();
                if let Some(entry) = st.entries.pop_front() {
                    let more = !st.entries.is_empty();
                    drop(st);
                    if more {
                        // Pass the wake-up on: one notification may stand for several pushes.
                        self.readable.notify_one();
                    }
                    return Some(entry);
                }
                if st.closed {
                    return None;
                }
            }
            tokio::select! {
                () = stop.cancelled() => return None,
                () = &mut timeout => return None,
                () = &mut readable => {}
            }
        }
    }

    /// Gives back the room an entry took, once its send is over.
    pub(crate) fn release(&self, size: u64) {
        {
            let mut st = self.state.lock();
            st.size = st.size.saturating_sub(size);
            self.size_gauge.set(st.size as i64);
        }
        self.space.notify_waiters();
    }

    /// Refuses new entries from now on, and wakes everyone waiting so they can see it.
    pub(crate) fn close(&self) {
        self.state.lock().closed = true;
        self.space.notify_waiters();
        self.readable.notify_waiters();
    }

    /// Takes every entry still waiting (at the shutdown deadline), releasing their room.
    pub(crate) fn take_all(&self) -> Vec<Entry<M>> {
        let mut st = self.state.lock();
        let taken: Vec<_> = st.entries.drain(..).collect();
        let freed: u64 = taken.iter().map(|e| e.size).sum();
        st.size = st.size.saturating_sub(freed);
        self.size_gauge.set(st.size as i64);
        taken
    }

    /// The current size (waiting and in flight), in sizer units.
    pub(crate) fn size(&self) -> u64 {
        self.state.lock().size
    }
}
