//! The append-only segmented log behind one client's durable queue.
//!
//! ```text
//! <directory>/<client>/
//!   LOCK                        held (flock) while a process has the queue open
//!   seg-00000000000000000000.log  records: len u32 LE | crc32(body) u32 LE | body
//!   seg-00000000000000000000.ack  ids of its acknowledged records: u64 LE each
//!   seg-00000000000000001234.log  the next segment, named after its first record id
//! ```
//!
//! - A record's id is its segment's first id plus its index in the segment, so ids cost no
//!   bytes. Appends go to the newest segment; a segment is closed once the next record would
//!   take it past the segment size, and a new one begins.
//! - A segment is deleted (its `.log`, then its `.ack`) as soon as every record in it is
//!   acknowledged, the newest one included, so the disk use shrinks as the queue drains: there is
//!   nothing to compact.
//! - Durability: with `fsync`, [`SegmentLog::append`] returns only after an `fdatasync` that
//!   covers the record. Concurrent appends share one: the first waiter syncs everything written
//!   so far while the others wait for it (group commit). A segment is synced before the next one
//!   begins, and the directory after a segment file is created. Acknowledgements are never
//!   synced: a lost acknowledgement means a record is sent again (at least once), never lost.
//! - Replay on open: each segment is read and every record's checksum checked. A record cut
//!   short at the end of the newest segment (the process died while writing it) is truncated
//!   away with a WARN. Anything else that does not check out is corruption: with `recreate` the
//!   client directory is moved aside to `<dir>.backup.<unix-seconds>` (ERROR) and the queue starts
//!   empty; without it, opening fails naming the file.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar};
use std::time::{Duration, Instant};

use component::storage::PendingRecord;
use parking_lot::Mutex;

/// Bytes before each record's body: its length and its checksum.
pub(crate) const HEADER: usize = 8;
/// The largest record accepted: a longer length field can only be corruption.
pub(crate) const MAX_RECORD: usize = 1 << 30;
/// Segment files are closed once they reach about this size.
pub const DEFAULT_SEGMENT_SIZE: u64 = 8 << 20;

/// How a log behaves, from the extension's config.
#[derive(Clone, Debug)]
pub(crate) struct LogOptions {
    pub(crate) fsync: bool,
    pub(crate) segment_size: u64,
    /// Bytes on disk the whole store may use; 0 = unlimited.
    pub(crate) max_size: u64,
    pub(crate) recreate: bool,
    /// How long to wait for another holder of the queue to let go.
    pub(crate) lock_timeout: Duration,
}

struct Segment {
    first: u64,
    log_path: PathBuf,
    ack_path: PathBuf,
    file: Arc<File>,
    /// (offset of the header, body length) of each record.
    records: Vec<(u64, u32)>,
    acked: Vec<bool>,
    acked_count: usize,
    /// Bytes of the `.log` file.
    size: u64,
    ack_file: Option<File>,
    ack_size: u64,
}

impl Segment {
    fn disk_bytes(&self) -> u64 {
        self.size + self.ack_size
    }
    fn fully_acked(&self) -> bool {
        self.acked_count == self.records.len()
    }
}

struct State {
    segments: BTreeMap<u64, Segment>,
    /// The first id of the segment appends go to; `None` before the first append of this run
    /// and after the newest segment was deleted.
    active: Option<u64>,
    next_id: u64,
    pending: usize,
    pending_bytes: u64,
    /// Appends written so far (a sequence for group commit).
    written: u64,
}

#[derive(Default)]
struct Commit {
    /// Appends known to be on disk.
    durable: u64,
    syncing: bool,
}

/// One client's queue on disk.
pub(crate) struct SegmentLog {
    dir: PathBuf,
    options: LogOptions,
    state: Mutex<State>,
    commit: std::sync::Mutex<Commit>,
    committed: Condvar,
    /// Bytes on disk of every open log of the store, for `max_size`.
    usage: Arc<AtomicU64>,
    /// Held for the flock on `LOCK`.
    _lock: File,
}

/// What replay found wrong, with where.
struct Corrupt {
    path: PathBuf,
    why: String,
}

impl SegmentLog {
    /// Opens `dir` (created if missing; its parent must exist) and replays it.
    pub(crate) fn open(
        dir: &Path,
        options: LogOptions,
        usage: Arc<AtomicU64>,
    ) -> Result<SegmentLog, String> {
        create_dir(dir)?;
        let mut lock = lock_dir(dir, options.lock_timeout)?;
        let state = match replay(dir) {
            Ok(state) => state,
            Err(Corrupt { path, why }) if options.recreate => {
                let backup = backup_name(dir);
                // The lock travels with the directory; it is released and a new one taken.
                std::fs::rename(dir, &backup).map_err(|e| {
                    format!(
                        "file_storage: {} is corrupt ({why}) and could not be moved aside: {e}",
                        path.display()
                    )
                })?;
                drop(lock);
                tracing::error!(
                    file = %path.display(), error = %why, backup = %backup.display(),
                    "file_storage: the queue is corrupt; moved it aside and starting with an empty queue (recreate: true)"
                );
                create_dir(dir)?;
                lock = lock_dir(dir, options.lock_timeout)?;
                replay(dir).map_err(|c| {
                    format!("file_storage: {} is corrupt: {}", c.path.display(), c.why)
                })?
            }
            Err(Corrupt { path, why }) => {
                return Err(format!(
                    "file_storage: {} is corrupt: {why}; set `recreate: true` to move the queue aside and start empty",
                    path.display()
                ));
            }
        };
        let on_disk: u64 = state.segments.values().map(Segment::disk_bytes).sum();
        usage.fetch_add(on_disk, Ordering::SeqCst);
        Ok(SegmentLog {
            dir: dir.to_path_buf(),
            options,
            state: Mutex::new(state),
            commit: std::sync::Mutex::new(Commit::default()),
            committed: Condvar::new(),
            usage,
            _lock: lock,
        })
    }

    /// Stores a record; durable on return when `fsync` is set.
    pub(crate) fn append(&self, body: &[u8]) -> Result<u64, String> {
        if body.len() > MAX_RECORD {
            return Err(format!(
                "file_storage: a record of {} bytes is larger than the {MAX_RECORD}-byte limit",
                body.len()
            ));
        }
        let len = (HEADER + body.len()) as u64;
        let mut record = Vec::with_capacity(HEADER + body.len());
        record.extend_from_slice(&(body.len() as u32).to_le_bytes());
        record.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
        record.extend_from_slice(body);

        let mut st = self.state.lock();
        self.reserve(len)?;
        let reserved = Reserved {
            usage: &self.usage,
            bytes: len,
        };
        let first = self.active_segment(&mut st, len)?;
        let seg = st
            .segments
            .get_mut(&first)
            .ok_or("file_storage: the active segment vanished")?;
        let offset = seg.size;
        if let Err(e) = (&*seg.file).write_all(&record) {
            let error = format!(
                "file_storage: failed to write to {}: {e}",
                seg.log_path.display()
            );
            // Cut a partial write off so that the next record starts on a boundary; if even
            // that fails, start a new segment (replay reports the damaged tail).
            if seg.file.set_len(offset).is_err() {
                st.active = None;
            }
            return Err(error);
        }
        reserved.keep();
        seg.size += len;
        let id = seg.first + seg.records.len() as u64;
        seg.records.push((offset, body.len() as u32));
        seg.acked.push(false);
        st.next_id = id + 1;
        st.pending += 1;
        st.pending_bytes += body.len() as u64;
        st.written += 1;
        let seq = st.written;
        drop(st);
        if self.options.fsync {
            self.wait_durable(seq)?;
        }
        Ok(id)
    }

    /// Takes `len` bytes of the store's `max_size`, or refuses.
    fn reserve(&self, len: u64) -> Result<(), String> {
        if self.options.max_size == 0 {
            self.usage.fetch_add(len, Ordering::SeqCst);
            return Ok(());
        }
        let max = self.options.max_size;
        self.usage
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                (used + len <= max).then_some(used + len)
            })
            .map(|_| ())
            .map_err(|used| {
                format!(
                    "file_storage: the storage is full: {used} of max_size {max} bytes used, a record of {len} bytes does not fit"
                )
            })
    }

    /// The segment to append `len` bytes to, starting a new one when needed.
    fn active_segment(&self, st: &mut State, len: u64) -> Result<u64, String> {
        if let Some(first) = st.active
            && let Some(seg) = st.segments.get(&first)
        {
            if seg.records.is_empty() || seg.size + len <= self.options.segment_size {
                return Ok(first);
            }
            if seg.fully_acked() {
                // Drained while it was being appended to: it goes now.
                if let Some(seg) = st.segments.remove(&first) {
                    self.usage.fetch_sub(seg.disk_bytes(), Ordering::SeqCst);
                    delete_segment(&seg);
                }
            } else if self.options.fsync {
                // Close it: on disk before anything in the next segment is.
                seg.file.sync_data().map_err(|e| {
                    format!(
                        "file_storage: failed to sync {}: {e}",
                        seg.log_path.display()
                    )
                })?;
            }
        }
        let first = st.next_id;
        let (log_path, ack_path) = segment_paths(&self.dir, first);
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(&log_path)
            .map_err(|e| format!("file_storage: failed to create {}: {e}", log_path.display()))?;
        if self.options.fsync {
            sync_dir(&self.dir)?;
        }
        st.segments.insert(
            first,
            Segment {
                first,
                log_path,
                ack_path,
                file: Arc::new(file),
                records: Vec::new(),
                acked: Vec::new(),
                acked_count: 0,
                size: 0,
                ack_file: None,
                ack_size: 0,
            },
        );
        st.active = Some(first);
        Ok(first)
    }

    /// Group commit: returns once append `seq` is on disk. The first caller to find no sync
    /// running syncs everything written so far; later callers wait for it.
    fn wait_durable(&self, seq: u64) -> Result<(), String> {
        let mut c = self.commit.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if c.durable >= seq {
                return Ok(());
            }
            if c.syncing {
                c = self.committed.wait(c).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            c.syncing = true;
            drop(c);
            let (target, file) = {
                let st = self.state.lock();
                let file = st
                    .active
                    .and_then(|a| st.segments.get(&a))
                    .map(|s| (s.file.clone(), s.log_path.clone()));
                (st.written, file)
            };
            // No active segment: it was deleted, fully acknowledged, so nothing is owed.
            let result = match &file {
                Some((file, path)) => file
                    .sync_data()
                    .map_err(|e| format!("file_storage: failed to sync {}: {e}", path.display())),
                None => Ok(()),
            };
            c = self.commit.lock().unwrap_or_else(|p| p.into_inner());
            c.syncing = false;
            if result.is_ok() {
                c.durable = c.durable.max(target);
            }
            self.committed.notify_all();
            result?;
        }
    }

    /// Unacknowledged records in order.
    pub(crate) fn pending(&self) -> Vec<PendingRecord> {
        let st = self.state.lock();
        st.segments
            .values()
            .flat_map(|s| {
                s.records
                    .iter()
                    .zip(&s.acked)
                    .enumerate()
                    .filter(|(_, (_, acked))| !**acked)
                    .map(|(i, ((_, len), _))| PendingRecord {
                        id: s.first + i as u64,
                        len: *len as usize,
                    })
            })
            .collect()
    }

    /// Reads a stored record, checking its checksum.
    pub(crate) fn read(&self, id: u64) -> Result<Vec<u8>, String> {
        let (file, path, offset, len) = {
            let st = self.state.lock();
            let (seg, index) = locate(&st, id).ok_or_else(|| unknown(id))?;
            if seg.acked[index] {
                return Err(format!("file_storage: record {id} was acknowledged"));
            }
            let (offset, len) = seg.records[index];
            (seg.file.clone(), seg.log_path.clone(), offset, len)
        };
        let mut buf = vec![0; HEADER + len as usize];
        file.read_exact_at(&mut buf, offset)
            .map_err(|e| format!("file_storage: failed to read {}: {e}", path.display()))?;
        let (header, body) = buf.split_at(HEADER);
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if crc32fast::hash(body) != crc {
            return Err(format!(
                "file_storage: record {id} in {} fails its checksum",
                path.display()
            ));
        }
        buf.drain(..HEADER);
        Ok(buf)
    }

    /// Acknowledges a record; deletes its segment when that was the last one pending there.
    pub(crate) fn ack(&self, id: u64) -> Result<(), String> {
        let mut st = self.state.lock();
        let Some((seg, index)) = locate(&st, id) else {
            // Already acknowledged and its segment deleted, or never stored.
            return if id < st.next_id {
                Ok(())
            } else {
                Err(unknown(id))
            };
        };
        if seg.acked[index] {
            return Ok(());
        }
        let first = seg.first;
        let len = u64::from(seg.records[index].1);
        let is_active = st.active == Some(first);
        let seg = st.segments.get_mut(&first).ok_or_else(|| unknown(id))?;
        seg.acked[index] = true;
        seg.acked_count += 1;
        // The segment being appended to stays until it is full, so that a queue that keeps up
        // does not create and delete a file per request; it goes when the next one begins.
        let delete = seg.fully_acked() && !(is_active && seg.size < self.options.segment_size);
        let mut result = Ok(());
        if !delete {
            result = record_ack(seg, id);
            if result.is_ok() {
                seg.ack_size += 8;
                self.usage.fetch_add(8, Ordering::SeqCst);
            }
        }
        st.pending -= 1;
        st.pending_bytes -= len;
        if delete && let Some(seg) = st.segments.remove(&first) {
            if st.active == Some(first) {
                st.active = None;
            }
            self.usage.fetch_sub(seg.disk_bytes(), Ordering::SeqCst);
            drop(st);
            delete_segment(&seg);
        }
        result
    }

    pub(crate) fn len(&self) -> usize {
        self.state.lock().pending
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.state.lock().pending_bytes
    }

    /// Segment files on disk (for tests and the bench).
    #[cfg(test)]
    pub(crate) fn segment_count(&self) -> usize {
        self.state.lock().segments.len()
    }
}

impl Drop for SegmentLog {
    fn drop(&mut self) {
        let st = self.state.lock();
        let on_disk: u64 = st.segments.values().map(Segment::disk_bytes).sum();
        self.usage.fetch_sub(on_disk, Ordering::SeqCst);
    }
}

/// Gives reserved `max_size` bytes back unless kept.
struct Reserved<'a> {
    usage: &'a AtomicU64,
    bytes: u64,
}

impl Reserved<'_> {
    fn keep(mut self) {
        self.bytes = 0;
    }
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.usage.fetch_sub(self.bytes, Ordering::SeqCst);
        }
    }
}

fn unknown(id: u64) -> String {
    format!("file_storage: no stored record {id}")
}

fn locate(st: &State, id: u64) -> Option<(&Segment, usize)> {
    let (_, seg) = st.segments.range(..=id).next_back()?;
    let index = usize::try_from(id - seg.first).ok()?;
    (index < seg.records.len()).then_some((seg, index))
}

fn record_ack(seg: &mut Segment, id: u64) -> Result<(), String> {
    if seg.ack_file.is_none() {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&seg.ack_path)
            .map_err(|e| {
                format!(
                    "file_storage: failed to open {}: {e}",
                    seg.ack_path.display()
                )
            })?;
        seg.ack_file = Some(file);
    }
    let Some(file) = seg.ack_file.as_mut() else {
        return Ok(());
    };
    file.write_all(&id.to_le_bytes()).map_err(|e| {
        format!(
            "file_storage: failed to write {}: {e}",
            seg.ack_path.display()
        )
    })
}

fn delete_segment(seg: &Segment) {
    // The log first: a leftover `.ack` without its log is cleaned up at the next open, while a
    // leftover log without its acknowledgements would be sent again.
    for path in [&seg.log_path, &seg.ack_path] {
        if let Err(e) = std::fs::remove_file(path)
            && e.kind() != ErrorKind::NotFound
        {
            tracing::warn!(file = %path.display(), error = %e, "file_storage: failed to delete a drained segment");
        }
    }
}

fn segment_paths(dir: &Path, first: u64) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("seg-{first:020}.log")),
        dir.join(format!("seg-{first:020}.ack")),
    )
}

fn create_dir(dir: &Path) -> Result<(), String> {
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(format!(
            "file_storage: failed to create {}: {e}",
            dir.display()
        )),
    }
}

fn sync_dir(dir: &Path) -> Result<(), String> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| format!("file_storage: failed to sync {}: {e}", dir.display()))
}

/// Takes the exclusive lock on `dir/LOCK`, waiting up to `timeout` for another holder.
fn lock_dir(dir: &Path, timeout: Duration) -> Result<File, String> {
    let path = dir.join("LOCK");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("file_storage: failed to open {}: {e}", path.display()))?;
    let deadline = Instant::now() + timeout;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(format!(
                    "file_storage: timeout: {} is locked by another user of the queue",
                    path.display()
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!(
                    "file_storage: failed to lock {}: {e}",
                    path.display()
                ));
            }
        }
    }
}

fn backup_name(dir: &Path) -> PathBuf {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let base = format!("{}.backup.{now}", dir.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    candidate
}

/// Parses a segment file name `seg-<20 digits>.<ext>`.
fn parse_name(name: &str) -> Option<(u64, &str)> {
    let rest = name.strip_prefix("seg-")?;
    let (number, ext) = rest.split_once('.')?;
    if number.len() != 20 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((number.parse().ok()?, ext))
}

/// Reads the directory back into memory: every segment's records (checked), their
/// acknowledgements, and deletes what is fully acknowledged.
fn replay(dir: &Path) -> Result<State, Corrupt> {
    let io = |path: &Path, e: std::io::Error| Corrupt {
        path: path.to_path_buf(),
        why: format!("cannot be read: {e}"),
    };
    let mut logs = Vec::new();
    let mut acks = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let entry = entry.map_err(|e| io(dir, e))?;
        let name = entry.file_name();
        let Some((first, ext)) = name.to_str().and_then(parse_name) else {
            continue;
        };
        match ext {
            "log" => logs.push(first),
            "ack" => acks.push(first),
            _ => {}
        }
    }
    logs.sort_unstable();
    let mut segments = BTreeMap::new();
    let mut next_id = 0;
    let count = logs.len();
    for (i, first) in logs.into_iter().enumerate() {
        let newest = i + 1 == count;
        let (log_path, ack_path) = segment_paths(dir, first);
        if first < next_id {
            return Err(Corrupt {
                path: log_path,
                why: format!("its first record id {first} overlaps the previous segment"),
            });
        }
        let data = std::fs::read(&log_path).map_err(|e| io(&log_path, e))?;
        let (records, good) = match scan(&data) {
            Scan::Clean(records) => (records, data.len() as u64),
            Scan::Torn { records, at, why } if newest => {
                tracing::warn!(
                    file = %log_path.display(), offset = at, bytes = data.len() as u64 - at, reason = why,
                    "file_storage: truncating a torn record at the end of the queue: the collector stopped while writing it"
                );
                let file = OpenOptions::new()
                    .write(true)
                    .open(&log_path)
                    .map_err(|e| io(&log_path, e))?;
                file.set_len(at).map_err(|e| io(&log_path, e))?;
                (records, at)
            }
            Scan::Torn { at, why, .. } => {
                return Err(Corrupt {
                    path: log_path,
                    why: format!("{why} at offset {at}, in a segment that is not the newest"),
                });
            }
            Scan::Corrupt { at, why } => {
                return Err(Corrupt {
                    path: log_path,
                    why: format!("{why} at offset {at}"),
                });
            }
        };
        next_id = first + records.len() as u64;
        let mut acked = vec![false; records.len()];
        let mut acked_count = 0;
        let mut ack_size = 0;
        match std::fs::read(&ack_path) {
            Ok(bytes) => {
                ack_size = bytes.len() as u64;
                for chunk in bytes.chunks_exact(8) {
                    let mut id = [0; 8];
                    id.copy_from_slice(chunk);
                    let id = u64::from_le_bytes(id);
                    // A torn last entry is ignored; an id outside the segment cannot be one of
                    // its acknowledgements and is ignored too (its record is sent again).
                    if let Some(slot) = id
                        .checked_sub(first)
                        .and_then(|k| usize::try_from(k).ok())
                        .and_then(|k| acked.get_mut(k))
                        && !*slot
                    {
                        *slot = true;
                        acked_count += 1;
                    }
                }
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(io(&ack_path, e)),
        }
        let file = OpenOptions::new()
            .read(true)
            .open(&log_path)
            .map_err(|e| io(&log_path, e))?;
        let seg = Segment {
            first,
            log_path,
            ack_path,
            file: Arc::new(file),
            records,
            acked,
            acked_count,
            size: good,
            ack_file: None,
            ack_size,
        };
        if seg.fully_acked() {
            delete_segment(&seg);
        } else {
            segments.insert(first, seg);
        }
    }
    // Acknowledgements whose log is gone (deleted just before a crash).
    for first in acks {
        if !segments.contains_key(&first) {
            let (log_path, ack_path) = segment_paths(dir, first);
            if !log_path.exists() {
                let _ = std::fs::remove_file(ack_path);
            }
        }
    }
    let (pending, pending_bytes) = segments
        .values()
        .flat_map(|s| s.records.iter().zip(&s.acked))
        .filter(|(_, acked)| !**acked)
        .fold((0, 0), |(n, b), ((_, len), _)| (n + 1, b + u64::from(*len)));
    Ok(State {
        segments,
        active: None,
        next_id,
        pending,
        pending_bytes,
        written: 0,
    })
}

enum Scan {
    Clean(Vec<(u64, u32)>),
    /// The data ends inside a record (or its last record fails its checksum): what a crash
    /// while appending leaves.
    Torn {
        records: Vec<(u64, u32)>,
        at: u64,
        why: &'static str,
    },
    Corrupt {
        at: u64,
        why: &'static str,
    },
}

/// Walks the records of one segment file.
fn scan(data: &[u8]) -> Scan {
    let mut records = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let at = pos as u64;
        let Some(header) = data.get(pos..pos + HEADER) else {
            return Scan::Torn {
                records,
                at,
                why: "a record header is cut short",
            };
        };
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if len as usize > MAX_RECORD {
            return Scan::Corrupt {
                at,
                why: "a record length is impossibly large",
            };
        }
        let end = pos + HEADER + len as usize;
        let Some(body) = data.get(pos + HEADER..end) else {
            return Scan::Torn {
                records,
                at,
                why: "a record body is cut short",
            };
        };
        if crc32fast::hash(body) != crc {
            if end == data.len() {
                return Scan::Torn {
                    records,
                    at,
                    why: "the last record fails its checksum",
                };
            }
            return Scan::Corrupt {
                at,
                why: "a record fails its checksum",
            };
        }
        records.push((at, len));
        pos = end;
    }
    Scan::Clean(records)
}
