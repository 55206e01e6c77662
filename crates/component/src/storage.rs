//! The storage capability: what a storage extension (`file_storage`) offers to components that
//! must keep data across restarts, such as an exporter's persistent sending queue.
//!
//! A storage extension's [`Extension::as_any`] returns its `Arc<dyn QueueStorage>`, so a component
//! finds it with [`queue_storage`] without naming the extension's type.

use std::sync::Arc;

use crate::factory::Extension;

/// A store of durable queues, one per client (a component and signal).
pub trait QueueStorage: Send + Sync + 'static {
    /// Opens (or creates) the queue of `client`, a name made of safe characters such as
    /// `exporter_otlp__traces`, replaying what a previous run left. One open queue per client at
    /// a time.
    fn open_queue(&self, client: &str) -> Result<Box<dyn DurableQueue>, String>;
}

/// A record stored and not yet acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingRecord {
    pub id: u64,
    /// The record's length in bytes.
    pub len: usize,
}

/// An append-only queue of byte records that survives a crash: a record is stored from the
/// moment [`DurableQueue::append`] returns (durably so if the store fsyncs) until it is
/// acknowledged.
pub trait DurableQueue: Send + Sync + 'static {
    /// Stores a record and returns its id (ids increase in append order). Fails when the store
    /// is full or cannot write. Blocks for the write (and the fsync, when configured).
    fn append(&self, record: &[u8]) -> Result<u64, String>;
    /// Every record not yet acknowledged, in append order: what to replay after a restart.
    fn pending(&self) -> Vec<PendingRecord>;
    /// A stored, not yet acknowledged record.
    fn read(&self, id: u64) -> Result<Vec<u8>, String>;
    /// Forgets a record: it will not be replayed. Acknowledging twice is harmless.
    fn ack(&self, id: u64) -> Result<(), String>;
    /// Records stored and not acknowledged.
    fn len(&self) -> usize;
    /// Their total length in bytes.
    fn bytes(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The queue storage an extension offers, if it is a storage extension.
pub fn queue_storage(extension: &dyn Extension) -> Option<Arc<dyn QueueStorage>> {
    extension
        .as_any()
        .downcast_ref::<Arc<dyn QueueStorage>>()
        .cloned()
}
