//! CPU profiles: pprof-rs samples every thread's stack on SIGPROF (`setitimer(ITIMER_PROF)`,
//! CPU time, as Go's profiler), 100 times a second as Go does.

use pprof::{ProfilerGuard, ProfilerGuardBuilder};

use super::profile;

/// Samples per second of CPU time (Go: `runtime.SetCPUProfileRate(100)`).
pub const HZ: i32 = 100;

/// Go's error text when a profile is requested while one runs.
pub const IN_USE: &str = "cpu profiling already in use";

/// A running CPU profile; dropping it stops the profiler.
pub struct CpuProfile(ProfilerGuard<'static>);

impl CpuProfile {
    /// Starts the process-wide profiler; fails when it already runs (a `save_to_file` profile
    /// or another request).
    pub fn start() -> Result<CpuProfile, String> {
        ProfilerGuardBuilder::default()
            .frequency(HZ)
            // Unwinding through these from a signal handler can deadlock (pprof-rs' advice).
            .blocklist(&["libc", "libgcc", "pthread", "vdso"])
            .build()
            .map(CpuProfile)
            .map_err(|e| match e {
                pprof::Error::Running => IN_USE.to_string(),
                e => e.to_string(),
            })
    }

    /// Stops profiling and returns the gzip-compressed pprof protobuf. Symbolizing takes a
    /// while (it reads the binary's debug info), so it runs on a blocking thread.
    pub async fn finish(self) -> Result<Vec<u8>, String> {
        tokio::task::spawn_blocking(move || {
            let report = self.0.report().build().map_err(|e| e.to_string())?;
            drop(self);
            Ok(profile::gzip(&profile::cpu_profile(&report)))
        })
        .await
        .map_err(|e| format!("profiling task failed: {e}"))?
    }
}
