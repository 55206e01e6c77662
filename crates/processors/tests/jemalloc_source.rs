//! The real memory source with jemalloc as the global allocator, as in the binary: its
//! `stats.allocated` follows what the program holds, and a purge hands freed pages back to the
//! system (the resident size drops).

#![cfg(target_os = "linux")]

use processors::memory_limiter::{AllocatorMemory, MemorySource};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const MIB: u64 = 1024 * 1024;

#[test]
fn allocated_tracks_the_program_and_purge_lowers_rss() {
    let source = AllocatorMemory;
    let idle = source.usage();

    // 256 MiB in 4 KiB pieces, touched so that they are resident. Small pieces live in
    // jemalloc's arenas, whose freed pages stay resident until decay or a purge (a single huge
    // block would be unmapped at once on free).
    let block: Vec<Vec<u8>> = (0..65536).map(|i| vec![i as u8; 4096]).collect();
    let holding = source.usage();
    assert!(
        holding.allocated >= idle.allocated + 256 * MIB,
        "allocated {} MiB while holding 256 MiB more than {} MiB",
        holding.allocated / MIB,
        idle.allocated / MIB
    );
    assert!(holding.resident >= 256 * MIB);
    assert_eq!(holding.measured(), holding.allocated.max(holding.resident));

    drop(std::hint::black_box(block));
    let freed = source.usage();
    assert!(freed.allocated + 200 * MIB <= holding.allocated);

    let decay_before = arena0_dirty_decay_ms();
    source.purge().expect("purge accepted");
    let purged = source.usage();
    // The purge leaves jemalloc's decay setting as it found it.
    assert_eq!(arena0_dirty_decay_ms(), decay_before);
    assert!(
        purged.resident + 128 * MIB <= holding.resident,
        "purge left RSS at {} MiB (was {} MiB while holding)",
        purged.resident / MIB,
        holding.resident / MIB
    );
}

fn arena0_dirty_decay_ms() -> isize {
    use tikv_jemalloc_ctl::{Access, AsName};
    Access::<isize>::read(b"arena.0.dirty_decay_ms\0".name()).unwrap()
}
