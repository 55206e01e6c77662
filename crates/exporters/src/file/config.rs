//! `file` configuration (contrib `exporter/fileexporter/config.go`, `factory.go`).

use component::ComponentConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// The file to write; required.
    pub path: String,
    /// Append to an existing file instead of truncating it.
    pub append: bool,
    /// Size-based rotation, as lumberjack does it. Absent = no rotation (upstream drops the
    /// default rotation section unless the key is set).
    pub rotation: Option<Rotation>,
    /// `json` (OTLP JSON, one request per line) or `proto` (length-prefixed protobuf).
    pub format: String,
    /// An encoding extension id; ferrocol has none yet, so this is refused when set.
    pub encoding: Option<String>,
    /// `zstd` or empty.
    pub compression: String,
    /// How often buffered output is flushed; `0` means upstream's default of 1s.
    pub flush_interval: confmap::Duration,
    pub group_by: GroupBy,
    /// Create the file's parent directory on start.
    pub create_directory: bool,
    /// Octal mode for created directories (default `0755`); needs `create_directory`.
    pub directory_permissions: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Rotation {
    /// Size in MiB before the file is rotated; `0` means lumberjack's 100.
    pub max_megabytes: i64,
    /// Remove backups older than this many days; `0` keeps them regardless of age.
    pub max_days: i64,
    /// Keep at most this many backups; `0` keeps all.
    pub max_backups: i64,
    /// Name backups in local time instead of UTC.
    pub localtime: bool,
}

impl Default for Rotation {
    fn default() -> Self {
        Rotation {
            max_megabytes: 0,
            max_days: 0,
            max_backups: 100,
            localtime: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct GroupBy {
    pub enabled: bool,
    pub resource_attribute: String,
    pub max_open_files: i64,
}

impl Default for GroupBy {
    fn default() -> Self {
        GroupBy {
            enabled: false,
            resource_attribute: "fileexporter.path_segment".into(),
            max_open_files: 100,
        }
    }
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            path: String::new(),
            append: false,
            rotation: None,
            format: "json".into(),
            encoding: None,
            compression: String::new(),
            flush_interval: confmap::Duration::from_std(std::time::Duration::ZERO),
            group_by: GroupBy::default(),
            create_directory: false,
            directory_permissions: String::new(),
        }
    }
}

impl FileConfig {
    /// The effective flush interval: upstream turns an unset (zero) interval into 1s.
    pub fn flush_every(&self) -> std::time::Duration {
        let every = self.flush_interval.to_std_saturating();
        if every.is_zero() {
            std::time::Duration::from_secs(1)
        } else {
            every
        }
    }

    pub fn is_proto(&self) -> bool {
        self.format == "proto"
    }

    /// Protobuf, and JSON once compressed, are written as length-prefixed frames; plain JSON as
    /// lines (upstream `buildExportFunc`).
    pub fn framed(&self) -> bool {
        self.is_proto() || !self.compression.is_empty()
    }

    /// The parsed `directory_permissions`, or 0o755.
    pub fn directory_mode(&self) -> u32 {
        u32::from_str_radix(&self.directory_permissions, 8).unwrap_or(0o755)
    }
}

impl ComponentConfig for FileConfig {
    fn validate(&self) -> Result<(), String> {
        // Upstream's checks and messages, in its order.
        if self.path.is_empty() {
            return Err("path must be non-empty".into());
        }
        if self.append && !self.compression.is_empty() {
            return Err("append and compression enabled at the same time is not supported".into());
        }
        if self.append && self.rotation.is_some() {
            return Err("append and rotation enabled at the same time is not supported".into());
        }
        if self.format != "json" && self.format != "proto" {
            return Err("format type is not supported".into());
        }
        if !self.compression.is_empty() && self.compression != "zstd" {
            return Err("compression is not supported".into());
        }
        if self.flush_interval.to_std().is_none() {
            return Err("flush_interval must be larger than zero".into());
        }
        if self.group_by.enabled {
            let parts: Vec<&str> = self.path.split('*').collect();
            if parts.len() != 2 {
                return Err("path must contain exactly one * when group_by is enabled".into());
            }
            if parts[0].is_empty() {
                return Err("path must not start with * when group_by is enabled".into());
            }
            if self.group_by.resource_attribute.is_empty() {
                return Err("resource_attribute must not be empty when group_by is enabled".into());
            }
            return Err("group_by is not supported by ferrocol's file exporter yet".into());
        }
        if self.create_directory {
            if !self.directory_permissions.is_empty() {
                let mode = u32::from_str_radix(&self.directory_permissions, 8).map_err(|_| {
                    "directory_permissions value must be a valid octal representation".to_string()
                })?;
                if mode & 0o777 != mode {
                    return Err("directory_permissions contain invalid bits for file access".into());
                }
            }
        } else if !self.directory_permissions.is_empty() {
            return Err("directory_permissions requires create_directory to be true".into());
        }
        if let Some(id) = &self.encoding {
            return Err(format!(
                "encoding {id:?}: encoding extensions are not supported by ferrocol yet; use format"
            ));
        }
        Ok(())
    }
}
