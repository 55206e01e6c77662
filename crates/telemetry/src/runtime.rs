//! The allocator's numbers behind upstream's `otelcol_process_runtime_*` metrics, which upstream
//! reads from Go's `runtime.MemStats`. Ours come from jemalloc, the binary's global allocator:
//!
//! | Metric | Go source | Ours |
//! |---|---|---|
//! | `otelcol_process_runtime_heap_alloc_bytes` | `Alloc` | `stats.allocated` |
//! | `otelcol_process_runtime_total_alloc_bytes` | `TotalAlloc` | Σ over size classes of `nmalloc` × class size, from jemalloc's merged arena statistics |
//! | `otelcol_process_runtime_total_sys_memory_bytes` | `Sys` | `stats.mapped` |
//!
//! jemalloc has no cumulative byte counter for the whole process, and tikv-jemalloc-ctl's safe
//! API only names a few statistics (`thread.allocatedp` is per thread). Its safe `stats_print`
//! does give every statistic in jemalloc's report: per size class, how many regions the arenas
//! handed out (`nmalloc`, which includes regions handed to thread caches) and the class size.
//! Their product is the bytes allocated since start, counted at size-class granularity (as
//! `stats.allocated` counts) and at most a thread cache's worth ahead of what the program itself
//! asked for. Producing the report costs about 1–2 ms per scrape.
//!
//! When jemalloc is not the global allocator (a build without the `jemalloc` feature, unit tests)
//! its statistics describe an almost empty heap that is not ours; reporting them would be a lie
//! and reporting RSS under these names a different one, so the three metrics are left out. A
//! one-time probe decides: a 64 KiB allocation must move this thread's jemalloc counter.

use std::sync::OnceLock;

/// One reading of the allocator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimeMemory {
    /// `stats.allocated`: bytes in live allocations.
    pub heap_alloc: u64,
    /// Cumulative bytes allocated since start; `None` when jemalloc's statistics could not be
    /// read as expected.
    pub total_alloc: Option<u64>,
    /// `stats.mapped`: bytes in extents jemalloc has mapped from the system.
    pub sys: u64,
}

/// Whether the global allocator is jemalloc (checked once).
pub fn jemalloc_is_global() -> bool {
    static GLOBAL: OnceLock<bool> = OnceLock::new();
    *GLOBAL.get_or_init(|| {
        const PROBE: usize = 64 * 1024;
        let Ok(before) = tikv_jemalloc_ctl::thread::allocatedp::read() else {
            return false;
        };
        let before = before.get();
        let buf: Vec<u8> = Vec::with_capacity(PROBE);
        std::hint::black_box(&buf);
        let after = tikv_jemalloc_ctl::thread::allocatedp::read()
            .map(|p| p.get())
            .unwrap_or(before);
        drop(buf);
        after.saturating_sub(before) >= PROBE as u64
    })
}

/// The allocator's numbers, or `None` when jemalloc is not the global allocator.
pub fn read() -> Option<RuntimeMemory> {
    if !jemalloc_is_global() {
        return None;
    }
    tikv_jemalloc_ctl::epoch::advance().ok()?;
    let heap_alloc = tikv_jemalloc_ctl::stats::allocated::read().ok()? as u64;
    let sys = tikv_jemalloc_ctl::stats::mapped::read().ok()? as u64;
    Some(RuntimeMemory {
        heap_alloc,
        total_alloc: total_allocated(),
        sys,
    })
}

/// Cumulative bytes allocated, from jemalloc's statistics report (merged arenas only).
fn total_allocated() -> Option<u64> {
    let mut options = tikv_jemalloc_ctl::stats_print::Options::default();
    options.skip_per_arena = true;
    options.skip_mutex_statistics = true;
    let mut report = Vec::with_capacity(64 * 1024);
    tikv_jemalloc_ctl::stats_print::stats_print(&mut report, options).ok()?;
    total_from_report(std::str::from_utf8(&report).ok()?)
}

/// Σ `nmalloc` × size over the first (merged-arenas) `bins:` and `large:` tables of jemalloc's
/// text report. Its JSON form would be easier to read but leaves out the per-class `nmalloc` of
/// large extents. The header of each table is checked, so a jemalloc whose report looks
/// different yields `None` (the metric is left out) rather than a wrong number.
pub(crate) fn total_from_report(report: &str) -> Option<u64> {
    Some(table_bytes(report, "bins:")?.saturating_add(table_bytes(report, "large:")?))
}

fn table_bytes(report: &str, title: &str) -> Option<u64> {
    let mut lines = report.lines().skip_while(|l| {
        let mut t = l.split_whitespace();
        !(t.next() == Some(title) && t.take(4).eq(["size", "ind", "allocated", "nmalloc"]))
    });
    lines.next()?;
    let mut total = 0u64;
    for line in lines {
        let mut cols = line.split_whitespace();
        let Some(first) = cols.next() else { break };
        if first == "---" {
            continue;
        }
        let Ok(size) = first.parse::<u64>() else {
            break;
        };
        let nmalloc: u64 = cols.nth(2)?.parse().ok()?;
        total = total.saturating_add(size.saturating_mul(nmalloc));
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_nmalloc_times_class_size() {
        let report = "\
Merged arenas stats:
bins:           size ind     allocated       nmalloc (#/sec)       ndalloc (#/sec)
                   8   0          3264           408     408             0       0
                  16   1          1632           102     102             0       0
                     ---
                  48   3          4896             2     102             0       0
large:          size ind    allocated      nmalloc (#/sec)      ndalloc (#/sec)
                     ---
               28672  39        57344            2       2            0       0
                     ---
extents:        size ind       ndirty        dirty
                   8   0             1            1
arenas[0]:
bins:           size ind     allocated       nmalloc (#/sec)
                   8   0          3264        999999     408
";
        assert_eq!(
            total_from_report(report),
            Some(8 * 408 + 16 * 102 + 48 * 2 + 28672 * 2)
        );
        assert_eq!(total_from_report("bins: size ind allocated\n"), None);
    }

    #[test]
    fn unit_tests_do_not_run_on_jemalloc() {
        // This test binary keeps the system allocator, so the metrics must be left out.
        assert!(!jemalloc_is_global());
        assert_eq!(read(), None);
    }
}
