//! Where the memory limiter's numbers come from, behind a trait so tests can drive it.
//!
//! [`AllocatorMemory`] reads jemalloc's `stats.allocated` (bytes the program holds, refreshed by
//! advancing `epoch`) and the process's resident set size. The binary installs jemalloc as the
//! global allocator; where it does not (unit tests, other builds) jemalloc's statistics stay near
//! zero, so the limiter takes the larger of the two numbers and never under-counts.

/// One measurement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryUsage {
    /// Bytes the allocator has handed out and not been given back (jemalloc `stats.allocated`).
    pub allocated: u64,
    /// Bytes of the process resident in RAM.
    pub resident: u64,
}

impl MemoryUsage {
    /// What the limits are compared with.
    pub fn measured(&self) -> u64 {
        self.allocated.max(self.resident)
    }
}

/// A source of memory measurements and the one remedy we have in place of a garbage collector.
pub trait MemorySource: Send + Sync + 'static {
    fn usage(&self) -> MemoryUsage;

    /// Asks the allocator to return the memory it keeps but no longer uses to the operating
    /// system, which lowers the resident size.
    fn purge(&self) -> Result<(), String>;
}

/// jemalloc's statistics plus `/proc/self/status`.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllocatorMemory;

impl MemorySource for AllocatorMemory {
    fn usage(&self) -> MemoryUsage {
        MemoryUsage {
            allocated: jemalloc_allocated().unwrap_or(0),
            resident: resident_bytes().unwrap_or(0),
        }
    }

    fn purge(&self) -> Result<(), String> {
        purge_unused_pages()
    }
}

/// `stats.allocated`, which jemalloc refreshes only when the epoch advances.
fn jemalloc_allocated() -> Option<u64> {
    tikv_jemalloc_ctl::epoch::advance().ok()?;
    tikv_jemalloc_ctl::stats::allocated::read()
        .ok()
        .map(|b| b as u64)
}

/// `VmRSS` from `/proc/self/status`. It is in kB, so unlike `/proc/self/statm` (in pages) it needs
/// no page-size lookup, which would take a libc call outside jemalloc's safe API.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_rss(&status)
}

pub(crate) fn parse_vm_rss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// Returns every arena's unused dirty and muzzy pages to the system.
///
/// jemalloc's direct control for this, `arena.<MALLCTL_ARENAS_ALL>.purge`, takes no value, and
/// tikv-jemalloc-ctl's safe API can only issue controls that read or write one: it answers EPERM
/// (checked). So we use the decay settings, which take a value: with an arena's
/// `dirty_decay_ms` (then `muzzy_decay_ms`) set to 0 jemalloc purges all its unused pages at
/// once; we then restore the setting read before. (Merely writing the same value back re-arms
/// decay but, in jemalloc 5.3, purges nothing until the next decay epoch; checked.) Arenas that
/// were never used are not initialised and refuse the control: nothing to purge there.
fn purge_unused_pages() -> Result<(), String> {
    use tikv_jemalloc_ctl::{Access, AsName};
    let arenas = tikv_jemalloc_ctl::arenas::narenas::read().map_err(|e| e.to_string())?;
    let mut purged_any = false;
    for arena in 0..arenas {
        for control in ["dirty_decay_ms", "muzzy_decay_ms"] {
            let key = format!("arena.{arena}.{control}\0");
            let name = key.as_bytes().name();
            let Ok(decay_ms) = Access::<isize>::read(name) else {
                continue;
            };
            let purged = Access::<isize>::write(name, 0);
            // Restore even if the purge failed, so the arena keeps its configured decay.
            Access::<isize>::write(name, decay_ms).map_err(|e| format!("{key}: {e}"))?;
            purged_any |= purged.is_ok();
        }
    }
    if purged_any || arenas == 0 {
        Ok(())
    } else {
        Err("no jemalloc arena accepted a purge".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_rss_is_read_in_kilobytes() {
        let status = "Name:\tferrocol\nVmPeak:\t  300000 kB\nVmRSS:\t   12345 kB\nThreads:\t4\n";
        assert_eq!(parse_vm_rss(status), Some(12345 * 1024));
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
    }

    #[test]
    fn measured_is_the_larger_number() {
        let u = MemoryUsage {
            allocated: 10,
            resident: 7,
        };
        assert_eq!(u.measured(), 10);
        let u = MemoryUsage {
            allocated: 0,
            resident: 7,
        };
        assert_eq!(u.measured(), 7);
    }

    #[test]
    fn the_real_source_sees_this_process() {
        // jemalloc is not the global allocator in unit tests, so only RSS is meaningful here.
        let usage = AllocatorMemory.usage();
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(usage.resident > 0);
        }
        assert!(usage.measured() >= usage.resident);
        // Purging an allocator that holds nothing still succeeds.
        AllocatorMemory.purge().unwrap();
    }
}
