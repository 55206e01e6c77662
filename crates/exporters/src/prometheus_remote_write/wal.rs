//! The write-ahead log (`wal:`): translated, compressed write requests are stored here before
//! they are sent, and survive a crash or restart.
//!
//! ```text
//! <wal.directory>/prom_remotewrite/
//!   00000000000000000000.wal   records: len u32 LE | crc32(body) u32 LE | body
//!   00000000000000000347.wal   the next segment, named after the index of its first record
//!   read-index                 u64 LE: the first record not yet sent (replaced by rename)
//! ```
//!
//! A record's body is `points u32 LE` (the OTLP points it carries, for accounting) followed by
//! the snappy-compressed `WriteRequest`. Appends are `fdatasync`ed before [`Wal::append`]
//! returns. The reader moves `read-index` forward as requests are sent (not synced: after a
//! crash a request may be sent twice, never lost — Prometheus accepts an identical sample
//! again). Segments entirely before the read index are deleted every `truncate_frequency`.
//! Opening checks every record's checksum: a record cut short at the end of the newest segment
//! (a crash while writing) is cut away with a warning; any other damage fails the start.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

const HEADER: usize = 8;
const MAX_RECORD: usize = 1 << 30;
/// A segment is closed once it passes this size.
const SEGMENT_SIZE: u64 = 8 << 20;
const READ_INDEX: &str = "read-index";

struct Segment {
    first: u64,
    path: PathBuf,
    file: File,
    /// Offset of each record's header and its body length.
    records: Vec<(u64, u32)>,
    size: u64,
}

impl Segment {
    fn end(&self) -> u64 {
        self.first + self.records.len() as u64
    }
}

struct State {
    segments: Vec<Segment>,
    /// The first record not yet sent.
    read_index: u64,
    /// The index the next appended record gets.
    next_index: u64,
}

/// One stored request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Record {
    pub index: u64,
    pub points: u32,
    pub body: Vec<u8>,
}

pub(super) struct Wal {
    dir: PathBuf,
    state: Mutex<State>,
    /// Woken on every append, for the reader.
    pub(super) appended: tokio::sync::Notify,
}

fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}.wal"))
}

fn io(what: &str, path: &Path, e: std::io::Error) -> String {
    format!("wal: {what} {}: {e}", path.display())
}

impl Wal {
    /// Opens (or creates) the log under `directory`, checking what a previous run left.
    pub(super) fn open(directory: &Path) -> Result<Wal, String> {
        let dir = directory.join("prom_remotewrite");
        std::fs::create_dir_all(&dir).map_err(|e| io("cannot create", &dir, e))?;
        let mut firsts: Vec<u64> = std::fs::read_dir(&dir)
            .map_err(|e| io("cannot list", &dir, e))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".wal"))
                    .and_then(|n| n.parse().ok())
            })
            .collect();
        firsts.sort_unstable();
        let count = firsts.len();
        let mut segments = Vec::with_capacity(count);
        for (i, first) in firsts.into_iter().enumerate() {
            segments.push(load_segment(&dir, first, i + 1 == count)?);
        }
        let next_index = segments.last().map_or(0, Segment::end);
        let first_index = segments.first().map_or(0, |s| s.first);
        let read_index = match std::fs::read(dir.join(READ_INDEX)) {
            Ok(b) if b.len() == 8 => u64::from_le_bytes(b.try_into().unwrap_or_default()),
            _ => first_index,
        }
        .clamp(first_index, next_index);
        if segments.is_empty() {
            segments.push(new_segment(&dir, next_index)?);
        }
        let wal = Wal {
            dir,
            state: Mutex::new(State {
                segments,
                read_index,
                next_index,
            }),
            appended: tokio::sync::Notify::new(),
        };
        Ok(wal)
    }

    /// Records stored and not yet sent.
    pub(super) fn pending(&self) -> u64 {
        let s = self.state.lock();
        s.next_index - s.read_index
    }

    /// Stores `records` (points, compressed request) durably; returns once synced.
    pub(super) fn append(&self, records: &[(u32, Vec<u8>)]) -> Result<(), String> {
        if records.is_empty() {
            return Ok(());
        }
        let mut s = self.state.lock();
        for (points, body) in records {
            let needs_new = s.segments.last().is_none_or(|seg| seg.size >= SEGMENT_SIZE);
            if needs_new {
                if let Some(seg) = s.segments.last() {
                    seg.file
                        .sync_data()
                        .map_err(|e| io("cannot sync", &seg.path, e))?;
                }
                let next = s.next_index;
                let seg = new_segment(&self.dir, next)?;
                s.segments.push(seg);
            }
            let mut frame = Vec::with_capacity(HEADER + 4 + body.len());
            let body_len = (4 + body.len()) as u32;
            let mut payload = Vec::with_capacity(4 + body.len());
            payload.extend_from_slice(&points.to_le_bytes());
            payload.extend_from_slice(body);
            frame.extend_from_slice(&body_len.to_le_bytes());
            frame.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
            frame.extend_from_slice(&payload);
            let seg = s.segments.last_mut().expect("a segment was just ensured");
            seg.file
                .write_all_at(&frame, seg.size)
                .map_err(|e| io("cannot write", &seg.path, e))?;
            seg.records.push((seg.size, body_len));
            seg.size += frame.len() as u64;
            s.next_index += 1;
        }
        let seg = s.segments.last().expect("appended to a segment");
        seg.file
            .sync_data()
            .map_err(|e| io("cannot sync", &seg.path, e))?;
        drop(s);
        self.appended.notify_one();
        Ok(())
    }

    /// Up to `max` records from the read index on, oldest first.
    pub(super) fn read_batch(&self, max: usize) -> Result<Vec<Record>, String> {
        let s = self.state.lock();
        let mut out = Vec::new();
        let mut index = s.read_index;
        for seg in &s.segments {
            while index >= seg.first && index < seg.end() && out.len() < max {
                let (offset, len) = seg.records[(index - seg.first) as usize];
                let mut buf = vec![0u8; len as usize];
                seg.file
                    .read_exact_at(&mut buf, offset + HEADER as u64)
                    .map_err(|e| io("cannot read", &seg.path, e))?;
                let points = u32::from_le_bytes(buf[..4].try_into().unwrap_or_default());
                buf.drain(..4);
                out.push(Record {
                    index,
                    points,
                    body: buf,
                });
                index += 1;
            }
        }
        Ok(out)
    }

    /// Marks every record before `index` as sent.
    pub(super) fn commit(&self, index: u64) -> Result<(), String> {
        let mut s = self.state.lock();
        if index <= s.read_index {
            return Ok(());
        }
        s.read_index = index.min(s.next_index);
        let tmp = self.dir.join(format!("{READ_INDEX}.tmp"));
        std::fs::write(&tmp, s.read_index.to_le_bytes())
            .map_err(|e| io("cannot write", &tmp, e))?;
        std::fs::rename(&tmp, self.dir.join(READ_INDEX)).map_err(|e| io("cannot replace", &tmp, e))
    }

    /// Deletes the segments whose records were all sent. The newest segment is kept (it takes
    /// the appends) unless it is entirely sent, in which case a fresh one replaces it.
    pub(super) fn truncate(&self) -> Result<usize, String> {
        let mut s = self.state.lock();
        let read = s.read_index;
        let last_done = s
            .segments
            .last()
            .is_some_and(|seg| !seg.records.is_empty() && seg.end() <= read);
        if last_done {
            let next = s.next_index;
            let seg = new_segment(&self.dir, next)?;
            s.segments.push(seg);
        }
        let mut removed = 0;
        while s.segments.len() > 1 && s.segments[0].end() <= read {
            let seg = s.segments.remove(0);
            std::fs::remove_file(&seg.path).map_err(|e| io("cannot delete", &seg.path, e))?;
            removed += 1;
        }
        Ok(removed)
    }

    #[cfg(test)]
    fn segment_count(&self) -> usize {
        self.state.lock().segments.len()
    }
}

fn new_segment(dir: &Path, first: u64) -> Result<Segment, String> {
    let path = segment_path(dir, first);
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| io("cannot create", &path, e))?;
    // The new file's name must survive a crash too.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(Segment {
        first,
        path,
        file,
        records: Vec::new(),
        size: 0,
    })
}

fn load_segment(dir: &Path, first: u64, newest: bool) -> Result<Segment, String> {
    let path = segment_path(dir, first);
    let data = std::fs::read(&path).map_err(|e| io("cannot read", &path, e))?;
    let mut records = Vec::new();
    let mut offset = 0usize;
    while offset < data.len() {
        let problem = (|| {
            let header = data.get(offset..offset + HEADER)?;
            let len = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
            let crc = u32::from_le_bytes(header[4..].try_into().ok()?);
            if !(4..=MAX_RECORD).contains(&len) {
                return None;
            }
            let body = data.get(offset + HEADER..offset + HEADER + len)?;
            (crc32fast::hash(body) == crc).then_some(len)
        })();
        match problem {
            Some(len) => {
                records.push((offset as u64, len as u32));
                offset += HEADER + len;
            }
            None if newest => {
                tracing::warn!(
                    file = %path.display(), offset, dropped_bytes = data.len() - offset,
                    "wal: cutting an incomplete record from the end of the log (the process stopped while writing it)"
                );
                break;
            }
            None => {
                return Err(format!(
                    "wal: {} is corrupt at offset {offset}",
                    path.display()
                ));
            }
        }
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| io("cannot open", &path, e))?;
    if offset < data.len() {
        file.set_len(offset as u64)
            .map_err(|e| io("cannot truncate", &path, e))?;
    }
    Ok(Segment {
        first,
        path,
        file,
        records,
        size: offset as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: u8) -> (u32, Vec<u8>) {
        (u32::from(i), vec![i; 100 + i as usize])
    }

    #[test]
    fn records_survive_reopening_and_the_read_index_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        {
            let wal = Wal::open(dir.path()).unwrap();
            wal.append(&[rec(1), rec(2), rec(3)]).unwrap();
            let batch = wal.read_batch(2).unwrap();
            assert_eq!(batch.len(), 2);
            assert_eq!(
                batch[1],
                Record {
                    index: 1,
                    points: 2,
                    body: rec(2).1
                }
            );
            wal.commit(2).unwrap();
        }
        let wal = Wal::open(dir.path()).unwrap();
        assert_eq!(wal.pending(), 1);
        let batch = wal.read_batch(10).unwrap();
        assert_eq!(
            batch,
            vec![Record {
                index: 2,
                points: 3,
                body: rec(3).1
            }]
        );
        wal.append(&[rec(4)]).unwrap();
        assert_eq!(wal.read_batch(10).unwrap().len(), 2);
    }

    #[test]
    fn a_torn_tail_is_cut_and_damage_elsewhere_fails() {
        let dir = tempfile::tempdir().unwrap();
        {
            let wal = Wal::open(dir.path()).unwrap();
            wal.append(&[rec(1), rec(2)]).unwrap();
        }
        let seg = dir
            .path()
            .join("prom_remotewrite")
            .join(format!("{:020}.wal", 0));
        let len = std::fs::metadata(&seg).unwrap().len();
        // Half of the second record is lost.
        OpenOptions::new()
            .write(true)
            .open(&seg)
            .unwrap()
            .set_len(len - 50)
            .unwrap();
        {
            let wal = Wal::open(dir.path()).unwrap();
            assert_eq!(wal.read_batch(10).unwrap().len(), 1);
            wal.append(&[rec(3)]).unwrap();
            let all = wal.read_batch(10).unwrap();
            assert_eq!(all.iter().map(|r| r.points).collect::<Vec<_>>(), vec![1, 3]);
        }
        // Flip a byte in the first record of a segment that is not the newest.
        let wal = Wal::open(dir.path()).unwrap();
        {
            let mut s = wal.state.lock();
            let next = s.next_index;
            s.segments.push(new_segment(&wal.dir, next).unwrap());
        }
        drop(wal);
        let mut data = std::fs::read(&seg).unwrap();
        data[HEADER + 10] ^= 0xff;
        std::fs::write(&seg, data).unwrap();
        let err = Wal::open(dir.path()).err().unwrap();
        assert!(err.contains("is corrupt at offset 0"), "{err}");
    }

    #[test]
    fn sent_segments_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let wal = Wal::open(dir.path()).unwrap();
        let big = vec![7u8; (SEGMENT_SIZE / 2 + 1) as usize];
        for _ in 0..5 {
            wal.append(&[(1, big.clone())]).unwrap();
        }
        assert_eq!(wal.segment_count(), 3);
        wal.commit(3).unwrap();
        assert_eq!(wal.truncate().unwrap(), 1);
        assert_eq!(wal.read_batch(10).unwrap().len(), 2);
        wal.commit(5).unwrap();
        wal.truncate().unwrap();
        assert_eq!(wal.segment_count(), 1);
        assert_eq!(wal.pending(), 0);
        drop(wal);
        // Reopened, the log is empty and keeps numbering from where it was.
        let wal = Wal::open(dir.path()).unwrap();
        assert_eq!(wal.pending(), 0);
        wal.append(&[rec(9)]).unwrap();
        assert_eq!(wal.read_batch(1).unwrap()[0].index, 5);
    }
}
