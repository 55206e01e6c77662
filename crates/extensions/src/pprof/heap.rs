//! Heap profiles from jemalloc's sampling heap profiler (built with the `heap-profiling`
//! feature), converted to pprof by `jemalloc_pprof`.
//!
//! jemalloc must have been started with profiling available: `prof:true` in its configuration,
//! which ferrocol's jemalloc reads from `_RJEM_MALLOC_CONF` at run time (or from
//! `JEMALLOC_SYS_WITH_MALLOC_CONF` at build time). `prof_active:false` keeps sampling off until
//! a `pprof` extension starts; while one runs, jemalloc records a stack for about one
//! allocation per `2^lg_prof_sample` bytes (default 19: 512 KiB, Go's `MemProfileRate`).

/// How to make heap profiles available, for the error texts.
pub const HOW: &str = "run ferrocol with _RJEM_MALLOC_CONF=prof:true,prof_active:false \
                       (or build it with JEMALLOC_SYS_WITH_MALLOC_CONF=prof:true,prof_active:false)";

/// Turns sampling on for as long as the extension runs. Returns whether it could.
pub async fn activate() -> Result<(), String> {
    let Some(ctl) = jemalloc_pprof::PROF_CTL.as_ref() else {
        return Err(format!("jemalloc heap profiling is not enabled: {HOW}"));
    };
    let mut ctl = ctl.lock().await;
    if ctl.activated() {
        return Ok(());
    }
    ctl.activate().map_err(|e| e.to_string())
}

/// Turns sampling off again and forgets the samples.
pub async fn deactivate() {
    if let Some(ctl) = jemalloc_pprof::PROF_CTL.as_ref() {
        let mut ctl = ctl.lock().await;
        if ctl.activated()
            && let Err(e) = ctl.deactivate()
        {
            tracing::warn!(error = %e, "could not deactivate jemalloc heap profiling");
        }
    }
}

/// The in-use heap as a gzip-compressed pprof profile (`inuse_space/bytes`), symbolized.
pub async fn dump() -> Result<Vec<u8>, String> {
    let Some(ctl) = jemalloc_pprof::PROF_CTL.as_ref() else {
        return Err(format!("jemalloc heap profiling is not enabled: {HOW}"));
    };
    let mut ctl = ctl.clone().lock_owned().await;
    if !ctl.activated() {
        return Err("jemalloc heap profiling is not active".to_string());
    }
    // Dumping writes and parses a file and symbolizes every stack: a blocking job.
    tokio::task::spawn_blocking(move || ctl.dump_pprof().map_err(|e| e.to_string()))
        .await
        .map_err(|e| format!("heap profiling task failed: {e}"))?
}
