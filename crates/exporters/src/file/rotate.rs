//! Size-based rotation as lumberjack (and its fork timberjack, which upstream uses) does it: a
//! write that would take the file past `max_megabytes` first renames it to
//! `<name>-<2006-01-02T15-04-05.000><ext>` and starts a new one; then backups beyond
//! `max_backups` or older than `max_days` are removed.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Local, NaiveDateTime, Utc};

use super::config::Rotation;

/// The timestamp layout in backup names (Go layout `2006-01-02T15-04-05.000`).
const BACKUP_TIME: &str = "%Y-%m-%dT%H-%M-%S%.3f";
const MEGABYTE: u64 = 1024 * 1024;
/// lumberjack's size when `max_megabytes` is 0.
const DEFAULT_MAX_MEGABYTES: u64 = 100;

pub struct RotatingFile {
    path: PathBuf,
    max_size: u64,
    max_backups: usize,
    max_age: Option<Duration>,
    localtime: bool,
    file: Option<BufWriter<File>>,
    size: u64,
}

impl RotatingFile {
    pub fn new(path: &Path, r: &Rotation) -> Self {
        let megabytes = if r.max_megabytes > 0 {
            r.max_megabytes as u64
        } else {
            DEFAULT_MAX_MEGABYTES
        };
        RotatingFile {
            path: path.to_path_buf(),
            max_size: megabytes * MEGABYTE,
            max_backups: r.max_backups.max(0) as usize,
            max_age: (r.max_days > 0).then(|| Duration::from_secs(r.max_days as u64 * 86_400)),
            localtime: r.localtime,
            file: None,
            size: 0,
        }
    }

    #[cfg(test)]
    pub fn with_max_size(mut self, bytes: u64) -> Self {
        self.max_size = bytes;
        self
    }

    /// Opens the file now, as lumberjack does on the first write, so start reports errors.
    pub fn open(&mut self) -> io::Result<()> {
        self.open_existing_or_new(0)
    }

    pub fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        let len = data.len() as u64;
        if len > self.max_size {
            return Err(io::Error::other(format!(
                "write length {len} exceeds maximum file size {}",
                self.max_size
            )));
        }
        if self.file.is_none() {
            self.open_existing_or_new(len)?;
        }
        if self.size + len > self.max_size {
            self.rotate()?;
        }
        let file = self.file.as_mut().expect("opened above");
        file.write_all(data)?;
        self.size += len;
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }

    /// Keeps appending to an existing file while the write fits, else starts a new one.
    fn open_existing_or_new(&mut self, len: u64) -> io::Result<()> {
        match fs::metadata(&self.path) {
            Ok(meta) if meta.len() + len < self.max_size => {
                let file = OpenOptions::new().append(true).open(&self.path)?;
                self.file = Some(BufWriter::new(file));
                self.size = meta.len();
                Ok(())
            }
            Ok(_) => self.open_new(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => self.open_new(),
            Err(e) => Err(e),
        }
    }

    fn rotate(&mut self) -> io::Result<()> {
        if let Some(mut f) = self.file.take() {
            f.flush()?;
        }
        self.open_new()
    }

    /// Moves the current file aside (if any) and creates an empty one.
    fn open_new(&mut self) -> io::Result<()> {
        if self.path.exists() {
            fs::rename(&self.path, self.backup_name(SystemTime::now()))?;
        }
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&self.path)?;
        self.file = Some(BufWriter::new(file));
        self.size = 0;
        self.remove_old_backups();
        Ok(())
    }

    fn name_parts(&self) -> (PathBuf, String, String) {
        let dir = self
            .path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Go's filepath.Ext: from the last dot of the name.
        let (prefix, ext) = match name.rfind('.') {
            Some(i) => (name[..i].to_string(), name[i..].to_string()),
            None => (name.clone(), String::new()),
        };
        (dir, prefix, ext)
    }

    fn backup_name(&self, at: SystemTime) -> PathBuf {
        let (dir, prefix, ext) = self.name_parts();
        let utc: DateTime<Utc> = at.into();
        let stamp = if self.localtime {
            utc.with_timezone(&Local).format(BACKUP_TIME).to_string()
        } else {
            utc.format(BACKUP_TIME).to_string()
        };
        dir.join(format!("{prefix}-{stamp}{ext}"))
    }

    /// Backups of this file with the time in their names, newest first.
    fn backups(&self) -> Vec<(NaiveDateTime, PathBuf)> {
        let (dir, prefix, ext) = self.name_parts();
        let Ok(entries) = fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut found: Vec<_> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let stamp = name
                    .strip_prefix(&format!("{prefix}-"))?
                    .strip_suffix(&ext)?;
                let t = NaiveDateTime::parse_from_str(stamp, BACKUP_TIME).ok()?;
                Some((t, e.path()))
            })
            .collect();
        found.sort_by_key(|b| std::cmp::Reverse(b.0));
        found
    }

    fn remove_old_backups(&self) {
        if self.max_backups == 0 && self.max_age.is_none() {
            return;
        }
        let now = if self.localtime {
            Local::now().naive_local()
        } else {
            Utc::now().naive_utc()
        };
        for (i, (t, path)) in self.backups().into_iter().enumerate() {
            let too_many = self.max_backups > 0 && i >= self.max_backups;
            let too_old = self
                .max_age
                .is_some_and(|age| (now - t).to_std().is_ok_and(|elapsed| elapsed > age));
            if (too_many || too_old)
                && let Err(e) = fs::remove_file(&path)
            {
                tracing::warn!(path = %path.display(), error = %e, "failed to remove old file export backup");
            }
        }
    }
}
