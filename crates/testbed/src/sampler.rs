//! CPU time and resident memory of a process, read from /proc: CPU as user + system time over
//! the measured window (`/proc/<pid>/stat`, all threads), RSS sampled at an interval
//! (`/proc/<pid>/status` `VmRSS`) for its average and maximum.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

/// CPU ticks (utime + stime) from the text of `/proc/<pid>/stat`. The command name in
/// parentheses may hold spaces and parentheses, so fields are counted after the last `)`.
pub fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After ")": state is field 3, utime field 14, stime field 15 (proc(5)).
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS` in bytes from the text of `/proc/<pid>/status`.
pub fn parse_status_rss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut parts = line["VmRSS:".len()..].split_whitespace();
    let value: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") | None => Some(value * 1024),
        Some(_) => None,
    }
}

/// Clock ticks per second (`getconf CLK_TCK`); 100 on every Linux that matters when getconf
/// is missing.
pub fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// CPU seconds the process used so far.
pub fn cpu_seconds(pid: u32, ticks_per_second: u64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(parse_stat_cpu_ticks(&stat)? as f64 / ticks_per_second as f64)
}

/// Resident set size now, in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status_rss_bytes(&status)
}

/// What a process used over a window.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Usage {
    pub wall_seconds: f64,
    pub cpu_seconds: f64,
    /// Percent of one core (100 = one core busy the whole window).
    pub cpu_percent: f64,
    pub rss_avg_mib: f64,
    pub rss_max_mib: f64,
    pub samples: usize,
}

/// RSS samples folded into average and maximum.
#[derive(Clone, Debug, Default)]
pub struct RssStats {
    sum: f64,
    max: u64,
    n: usize,
}

impl RssStats {
    pub fn add(&mut self, bytes: u64) {
        self.sum += bytes as f64;
        self.max = self.max.max(bytes);
        self.n += 1;
    }

    pub fn avg_mib(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum / self.n as f64 / MIB
        }
    }

    pub fn max_mib(&self) -> f64 {
        self.max as f64 / MIB
    }
}

const MIB: f64 = 1024.0 * 1024.0;

/// Samples a process on a thread of its own from `start` until `stop`.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<RssStats>,
    pid: u32,
    ticks: u64,
    cpu_start: f64,
    started: Instant,
}

impl Sampler {
    /// Starts sampling `pid` every `interval`; fails if the process is not there.
    pub fn start(pid: u32, interval: Duration) -> std::io::Result<Sampler> {
        let ticks = clock_ticks_per_second();
        let cpu_start = cpu_seconds(pid, ticks).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no /proc/{pid}/stat: the process is gone"),
            )
        })?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("sampler-{pid}"))
            .spawn(move || {
                let mut stats = RssStats::default();
                while !flag.load(Ordering::Relaxed) {
                    match rss_bytes(pid) {
                        Some(b) => stats.add(b),
                        None => break,
                    }
                    std::thread::sleep(interval);
                }
                stats
            })?;
        Ok(Sampler {
            stop,
            thread,
            pid,
            ticks,
            cpu_start,
            started: Instant::now(),
        })
    }

    /// Ends the window and returns what the process used in it.
    pub fn stop(self) -> Usage {
        let wall = self.started.elapsed().as_secs_f64();
        let cpu_end = cpu_seconds(self.pid, self.ticks).unwrap_or(self.cpu_start);
        self.stop.store(true, Ordering::Relaxed);
        let rss = self.thread.join().unwrap_or_default();
        let cpu = (cpu_end - self.cpu_start).max(0.0);
        Usage {
            wall_seconds: wall,
            cpu_seconds: cpu,
            cpu_percent: if wall > 0.0 { cpu / wall * 100.0 } else { 0.0 },
            rss_avg_mib: rss.avg_mib(),
            rss_max_mib: rss.max_mib(),
            samples: rss.n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_cpu_ticks_survive_odd_command_names() {
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1234 0 0 0 1500 250 3 4 20 0 12 0 100 200000000 5000 18446744073709551615";
        assert_eq!(parse_stat_cpu_ticks(stat), Some(1750));
        assert_eq!(parse_stat_cpu_ticks("garbage"), None);
        assert_eq!(parse_stat_cpu_ticks("1 (x) S 1 2"), None);
    }

    #[test]
    fn status_rss_is_read_in_bytes() {
        let status = "Name:\tferrocol\nVmPeak:\t  200000 kB\nVmRSS:\t   12345 kB\nThreads:\t5\n";
        assert_eq!(parse_status_rss_bytes(status), Some(12345 * 1024));
        assert_eq!(parse_status_rss_bytes("Name:\tx\n"), None);
    }

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        assert!(rss_bytes(pid).unwrap() > 0);
        assert!(cpu_seconds(pid, clock_ticks_per_second()).is_some());
        let sampler = Sampler::start(pid, Duration::from_millis(5)).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        let usage = sampler.stop();
        assert!(usage.samples >= 1);
        assert!(usage.rss_max_mib >= usage.rss_avg_mib);
        assert!(usage.rss_avg_mib > 0.0);
    }

    #[test]
    fn rss_stats_average_and_max() {
        let mut s = RssStats::default();
        s.add(MIB as u64);
        s.add(3 * MIB as u64);
        assert_eq!(s.avg_mib(), 2.0);
        assert_eq!(s.max_mib(), 3.0);
    }

    #[test]
    fn a_missing_process_is_an_error() {
        // pid_max is at most 2^22 on Linux.
        assert!(Sampler::start(u32::MAX - 1, Duration::from_millis(5)).is_err());
    }
}
