//! `file_storage` (contrib `extension/storage/filestorage`, beta): durable storage for other
//! components, here for exporters' persistent sending queues (`sending_queue::storage`).
//!
//! Upstream keeps one bbolt file per client, which never shrinks without compaction and is
//! rewritten in place. ferrocol keeps one directory per client (named as upstream names its
//! files, e.g. `exporter_otlp__traces`) holding an append-only segmented log (`log.rs`): records
//! are appended, acknowledged in a side file, and a segment is deleted once all its records are
//! acknowledged. The `compaction` keys are accepted and validated but have nothing to do.
//!
//! What it offers is [`component::storage::QueueStorage`], found by other components through
//! [`component::storage::queue_storage`].

mod config;
mod log;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use component::storage::{DurableQueue, PendingRecord, QueueStorage};
use component::{
    AnyConfig, Component, ConfigError, CreateContext, CreateError, Extension, ExtensionFactory,
    FactoryInfo, Host, Kind, Stability, StartError,
};
use futures::future::BoxFuture;
use parking_lot::Mutex;

pub use config::{CompactionConfig, DEFAULT_DIRECTORY, FileStorageConfig};
pub use log::DEFAULT_SEGMENT_SIZE;
use log::{LogOptions, SegmentLog};

/// Makes `file_storage` extensions.
pub struct FileStorageFactory;

impl FactoryInfo for FileStorageFactory {
    fn kind(&self) -> Kind {
        "file_storage"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<FileStorageConfig>(node)
    }
}

impl ExtensionFactory for FileStorageFactory {
    fn stability(&self) -> Stability {
        Stability::Beta
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
    ) -> Result<Arc<dyn Extension>, CreateError> {
        let config: &FileStorageConfig = config.get();
        Ok(Arc::new(FileStorage::new(&ctx.id.to_string(), config)))
    }
}

/// A running `file_storage`.
pub struct FileStorage {
    id: String,
    config: FileStorageConfig,
    /// What [`Extension::as_any`] hands out.
    capability: Arc<dyn QueueStorage>,
}

impl FileStorage {
    /// A store for `config`; nothing touches the disk until start (or the first open).
    pub fn new(id: &str, config: &FileStorageConfig) -> Self {
        Self::with_segment_size(id, config, DEFAULT_SEGMENT_SIZE)
    }

    /// As [`FileStorage::new`] with another segment size (tests, benches).
    pub fn with_segment_size(id: &str, config: &FileStorageConfig, segment_size: u64) -> Self {
        let store = Arc::new(Store {
            directory: PathBuf::from(&config.directory),
            options: LogOptions {
                fsync: config.fsync,
                segment_size: segment_size.max(1),
                max_size: config.max_size,
                recreate: config.recreate,
                lock_timeout: config.timeout.to_std_saturating(),
            },
            open: Arc::new(Mutex::new(HashSet::new())),
            usage: Arc::new(AtomicU64::new(0)),
        });
        FileStorage {
            id: id.to_string(),
            config: config.clone(),
            capability: store,
        }
    }

    /// The store, as other components see it.
    pub fn storage(&self) -> Arc<dyn QueueStorage> {
        self.capability.clone()
    }

    fn prepare(&self) -> Result<(), String> {
        if self.config.create_directory {
            let mode = self.config.permissions()?;
            let mut dirs = vec![&self.config.directory];
            if self.config.compaction.on_start || self.config.compaction.on_rebound {
                dirs.push(&self.config.compaction.directory);
            }
            for dir in dirs {
                create_directory(Path::new(dir), mode)?;
            }
        }
        if self.config.compaction.on_start || self.config.compaction.on_rebound {
            tracing::info!(extension = %self.id,
                "file_storage: compaction is not needed and not run: drained segments are deleted as the queue empties");
        }
        if self.config.compaction.cleanup_on_start {
            cleanup_temp_files(Path::new(&self.config.compaction.directory));
        }
        Ok(())
    }
}

fn create_directory(dir: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)
        .map_err(|e| format!("failed to create directory {}: {e}", dir.display()))
}

/// Removes upstream's compaction leftovers (`tempdb*`), as `cleanup_on_start` asks.
fn cleanup_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("tempdb") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Component for FileStorage {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move { self.prepare().map_err(StartError) })
    }

    fn shutdown(&self, _deadline: Instant) -> BoxFuture<'_, ()> {
        // Queues are closed by their owners (exporters shut down before extensions).
        Box::pin(async {})
    }
}

impl Extension for FileStorage {
    fn as_any(&self) -> &dyn std::any::Any {
        &self.capability
    }
}

/// The store shared by every queue of one extension.
struct Store {
    directory: PathBuf,
    options: LogOptions,
    /// Clients open in this process.
    open: Arc<Mutex<HashSet<String>>>,
    /// Bytes on disk across open queues, for `max_size`.
    usage: Arc<AtomicU64>,
}

/// A client name as a file name: `[A-Za-z0-9._-]` kept, anything else (and `~`) written as
/// `~` and its code point in hex, as upstream escapes its file names.
pub fn client_file_name(client: &str) -> String {
    let mut out = String::with_capacity(client.len());
    for c in client.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            out.push(c);
        } else {
            out.push_str(&format!("~{:X}", u32::from(c)));
        }
    }
    if out.is_empty() || out == "." || out == ".." {
        out = out.replace('.', "~2E");
    }
    out
}

impl QueueStorage for Store {
    fn open_queue(&self, client: &str) -> Result<Box<dyn DurableQueue>, String> {
        let name = client_file_name(client);
        if name.is_empty() {
            return Err("file_storage: a client needs a name".into());
        }
        if !self.open.lock().insert(name.clone()) {
            return Err(format!("file_storage: the queue {name:?} is already open"));
        }
        let registration = Registration {
            open: self.open.clone(),
            name: name.clone(),
        };
        let log = SegmentLog::open(
            &self.directory.join(&name),
            self.options.clone(),
            self.usage.clone(),
        )?;
        Ok(Box::new(FileQueue {
            log,
            _registration: registration,
        }))
    }
}

/// Marks a client open in this process until dropped.
struct Registration {
    open: Arc<Mutex<HashSet<String>>>,
    name: String,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.open.lock().remove(&self.name);
    }
}

struct FileQueue {
    log: SegmentLog,
    _registration: Registration,
}

impl DurableQueue for FileQueue {
    fn append(&self, record: &[u8]) -> Result<u64, String> {
        self.log.append(record)
    }
    fn pending(&self) -> Vec<PendingRecord> {
        self.log.pending()
    }
    fn read(&self, id: u64) -> Result<Vec<u8>, String> {
        self.log.read(id)
    }
    fn ack(&self, id: u64) -> Result<(), String> {
        self.log.ack(id)
    }
    fn len(&self) -> usize {
        self.log.len()
    }
    fn bytes(&self) -> u64 {
        self.log.bytes()
    }
}
