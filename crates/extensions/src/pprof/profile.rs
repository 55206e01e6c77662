//! The pprof profile format (`github.com/google/pprof/proto/profile.proto`), the fields we
//! write, and the CPU profile built from pprof-rs samples. Encoded with the workspace's prost,
//! so pprof-rs needs none of its own protobuf codecs.

use std::collections::HashMap;
use std::io::Write;
use std::time::UNIX_EPOCH;

use flate2::Compression;
use flate2::write::GzEncoder;
use prost::Message;

#[derive(Clone, PartialEq, Message)]
pub struct Profile {
    #[prost(message, repeated, tag = "1")]
    pub sample_type: Vec<ValueType>,
    #[prost(message, repeated, tag = "2")]
    pub sample: Vec<Sample>,
    #[prost(message, repeated, tag = "3")]
    pub mapping: Vec<Mapping>,
    #[prost(message, repeated, tag = "4")]
    pub location: Vec<Location>,
    #[prost(message, repeated, tag = "5")]
    pub function: Vec<Function>,
    #[prost(string, repeated, tag = "6")]
    pub string_table: Vec<String>,
    #[prost(int64, tag = "9")]
    pub time_nanos: i64,
    #[prost(int64, tag = "10")]
    pub duration_nanos: i64,
    #[prost(message, optional, tag = "11")]
    pub period_type: Option<ValueType>,
    #[prost(int64, tag = "12")]
    pub period: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct ValueType {
    #[prost(int64, tag = "1")]
    pub r#type: i64,
    #[prost(int64, tag = "2")]
    pub unit: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct Sample {
    #[prost(uint64, repeated, tag = "1")]
    pub location_id: Vec<u64>,
    #[prost(int64, repeated, tag = "2")]
    pub value: Vec<i64>,
    #[prost(message, repeated, tag = "3")]
    pub label: Vec<Label>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Label {
    #[prost(int64, tag = "1")]
    pub key: i64,
    #[prost(int64, tag = "2")]
    pub str: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct Mapping {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(int64, tag = "5")]
    pub filename: i64,
    #[prost(bool, tag = "7")]
    pub has_functions: bool,
    #[prost(bool, tag = "8")]
    pub has_filenames: bool,
    #[prost(bool, tag = "9")]
    pub has_line_numbers: bool,
    #[prost(bool, tag = "10")]
    pub has_inline_frames: bool,
}

#[derive(Clone, PartialEq, Message)]
pub struct Location {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(uint64, tag = "2")]
    pub mapping_id: u64,
    #[prost(uint64, tag = "3")]
    pub address: u64,
    #[prost(message, repeated, tag = "4")]
    pub line: Vec<Line>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Line {
    #[prost(uint64, tag = "1")]
    pub function_id: u64,
    #[prost(int64, tag = "2")]
    pub line: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct Function {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(int64, tag = "2")]
    pub name: i64,
    #[prost(int64, tag = "3")]
    pub system_name: i64,
    #[prost(int64, tag = "4")]
    pub filename: i64,
}

/// The string table: index 0 is always "".
struct Strings {
    table: Vec<String>,
    index: HashMap<String, i64>,
}

impl Strings {
    fn new() -> Self {
        Strings {
            table: vec![String::new()],
            index: HashMap::from([(String::new(), 0)]),
        }
    }

    fn id(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.table.len() as i64;
        self.table.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

/// A CPU profile as Go writes one: sample types `samples/count` and `cpu/nanoseconds`, period
/// type `cpu/nanoseconds`, the sampling period, start time and duration; each sample carries its
/// thread's name as the `thread` label. Stacks are already symbolized (each location lists its
/// function, file and line, inlined frames first), so `pprof` needs neither the binary nor a
/// symbol server.
pub fn cpu_profile(report: &pprof::Report) -> Profile {
    let mut strings = Strings::new();
    let frequency = i64::from(report.timing.frequency.max(1));
    let period = 1_000_000_000 / frequency;
    let samples = strings.id("samples");
    let count = strings.id("count");
    let cpu = strings.id("cpu");
    let nanoseconds = strings.id("nanoseconds");
    let thread = strings.id("thread");
    let binary = std::env::current_exe()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mapping = Mapping {
        id: 1,
        filename: strings.id(&binary),
        has_functions: true,
        has_filenames: true,
        has_line_numbers: true,
        has_inline_frames: true,
    };

    let mut functions: Vec<Function> = Vec::new();
    let mut function_ids: HashMap<(String, String), u64> = HashMap::new();
    let mut locations: Vec<Location> = Vec::new();
    let mut location_ids: HashMap<Vec<(u64, i64)>, u64> = HashMap::new();
    let mut profile_samples = Vec::with_capacity(report.data.len());

    for (frames, &n) in &report.data {
        let mut stack = Vec::with_capacity(frames.frames.len());
        for frame in &frames.frames {
            // One address; several symbols when calls were inlined into it, innermost first.
            let lines: Vec<(u64, i64)> = frame
                .iter()
                .map(|symbol| {
                    let name = symbol.name();
                    let file = symbol.filename().into_owned();
                    let key = (name, file);
                    let id = match function_ids.get(&key) {
                        Some(&id) => id,
                        None => {
                            let id = functions.len() as u64 + 1;
                            functions.push(Function {
                                id,
                                name: strings.id(&key.0),
                                system_name: strings.id(&symbol.sys_name()),
                                filename: strings.id(&key.1),
                            });
                            function_ids.insert(key, id);
                            id
                        }
                    };
                    (id, i64::from(symbol.lineno()))
                })
                .collect();
            if lines.is_empty() {
                continue;
            }
            let id = match location_ids.get(&lines) {
                Some(&id) => id,
                None => {
                    let id = locations.len() as u64 + 1;
                    locations.push(Location {
                        id,
                        mapping_id: 1,
                        address: 0,
                        line: lines
                            .iter()
                            .map(|&(function_id, line)| Line { function_id, line })
                            .collect(),
                    });
                    location_ids.insert(lines, id);
                    id
                }
            };
            stack.push(id);
        }
        let n = n as i64;
        profile_samples.push(Sample {
            location_id: stack,
            value: vec![n, n * period],
            label: vec![Label {
                key: thread,
                str: strings.id(&frames.thread_name_or_id()),
            }],
        });
    }

    Profile {
        sample_type: vec![
            ValueType {
                r#type: samples,
                unit: count,
            },
            ValueType {
                r#type: cpu,
                unit: nanoseconds,
            },
        ],
        sample: profile_samples,
        mapping: vec![mapping],
        location: locations,
        function: functions,
        string_table: strings.table,
        time_nanos: report
            .timing
            .start_time
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0),
        duration_nanos: report.timing.duration.as_nanos() as i64,
        period_type: Some(ValueType {
            r#type: cpu,
            unit: nanoseconds,
        }),
        period,
    }
}

/// The protobuf, gzip-compressed, as Go's `runtime/pprof` writes every profile.
pub fn gzip(profile: &Profile) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(&profile.encode_to_vec());
    gz.finish().unwrap_or_default()
}
