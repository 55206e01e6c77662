//! `file_storage` configuration: upstream's keys, defaults and validation messages (contrib
//! `extension/storage/filestorage`, collector-semantics.md §6).

use std::path::Path;

use component::ComponentConfig;
use confmap::Duration;
use serde::Deserialize;

/// Upstream's default directory on Linux.
pub const DEFAULT_DIRECTORY: &str = "/var/lib/otelcol/file_storage";

/// Where and how queues are stored.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FileStorageConfig {
    /// Holds one subdirectory per client (e.g. `exporter_otlp__traces`).
    pub directory: String,
    /// How long opening a client's queue waits for another holder to let go (upstream: the bbolt
    /// file lock timeout).
    pub timeout: Duration,
    /// Accepted for compatibility; see [`CompactionConfig`].
    pub compaction: CompactionConfig,
    /// Sync every write to disk before acknowledging it (concurrent writes share one sync).
    pub fsync: bool,
    /// Create `directory` (and `compaction::directory`) on start when missing.
    pub create_directory: bool,
    /// Octal permissions of a created directory.
    pub directory_permissions: String,
    /// On corruption, move the client's queue aside (`<dir>.backup.<unix-seconds>`) and start
    /// empty instead of failing to start.
    pub recreate: bool,
    /// Bytes the store may use on disk; 0 = unlimited. A full store refuses writes.
    pub max_size: u64,
}

/// Upstream's bbolt compaction settings. ferrocol's segmented log never needs compacting: a
/// segment is deleted as soon as every record in it is acknowledged, so disk use follows the
/// queue down. The keys are accepted and validated as upstream does; `cleanup_on_start` still
/// removes upstream's leftover `tempdb*` files from `directory`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CompactionConfig {
    pub on_start: bool,
    pub on_rebound: bool,
    pub directory: String,
    pub max_transaction_size: i64,
    pub rebound_needed_threshold_mib: i64,
    pub rebound_trigger_threshold_mib: i64,
    pub check_interval: Duration,
    pub cleanup_on_start: bool,
}

impl Default for CompactionConfig {
    fn default() -> Self {
        CompactionConfig {
            on_start: false,
            on_rebound: false,
            directory: DEFAULT_DIRECTORY.into(),
            max_transaction_size: 65536,
            rebound_needed_threshold_mib: 100,
            rebound_trigger_threshold_mib: 10,
            check_interval: Duration::from_secs(5),
            cleanup_on_start: false,
        }
    }
}

impl Default for FileStorageConfig {
    fn default() -> Self {
        FileStorageConfig {
            directory: DEFAULT_DIRECTORY.into(),
            timeout: Duration::from_secs(1),
            compaction: CompactionConfig::default(),
            fsync: false,
            create_directory: false,
            directory_permissions: "0750".into(),
            recreate: false,
            max_size: 0,
        }
    }
}

impl FileStorageConfig {
    /// The parsed `directory_permissions` (checked by `validate` when it matters).
    pub fn permissions(&self) -> Result<u32, String> {
        let bits = u32::from_str_radix(self.directory_permissions.trim_start_matches("0o"), 8)
            .map_err(|_| {
                "directory_permissions value must be a valid octal representation".to_string()
            })?;
        if bits & 0o777 != bits {
            return Err("directory_permissions contain invalid bits for file access".into());
        }
        Ok(bits)
    }
}

fn check_directory(dir: &str, create: bool) -> Result<(), String> {
    match std::fs::metadata(Path::new(dir)) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(format!("{dir} is not a directory")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if create {
                Ok(())
            } else {
                Err(format!(
                    "directory must exist: stat {dir}: no such file or directory. You can enable the create_directory option to automatically create it"
                ))
            }
        }
        Err(e) => Err(format!(
            "problem accessing configured directory: {dir}, err: stat {dir}: {e}"
        )),
    }
}

impl ComponentConfig for FileStorageConfig {
    /// Upstream's checks in upstream's order, first failure only.
    fn validate(&self) -> Result<(), String> {
        check_directory(&self.directory, self.create_directory)?;
        if self.compaction.on_start || self.compaction.on_rebound {
            check_directory(&self.compaction.directory, self.create_directory)?;
        }
        if self.compaction.max_transaction_size < 0 {
            return Err("max transaction size for compaction cannot be less than 0".into());
        }
        if self.compaction.on_rebound && self.compaction.check_interval.as_nanos() <= 0 {
            return Err(
                "compaction check interval must be positive when rebound compaction is set".into(),
            );
        }
        if self.create_directory {
            self.permissions()?;
        }
        Ok(())
    }
}
