//! How much memory the process may use at most: the cgroup memory limit (cgroup v2
//! `memory.max`, v1 `memory.limit_in_bytes`), or the machine's total memory (`MemTotal` in
//! `/proc/meminfo`) when the cgroup sets none. `limit_percentage` is a share of this.
//!
//! Every path is read below a root directory, `/` in production and a fixture tree in tests.
//!
//! Upstream reads only the limit at the top of the cgroup mount (what a container with its own
//! cgroup namespace sees). We start at the process's own cgroup from `/proc/self/cgroup` and walk
//! up to the mount, taking the smallest limit on the way, which also gives the right answer for a
//! process in a nested cgroup on a host (a systemd unit with `MemoryMax=`). Directories that do
//! not exist (a container without a cgroup namespace shows the host's path) are skipped, so the
//! mount's own limit still applies.

use std::fs;
use std::path::{Path, PathBuf};

/// Values at or above this mean "no limit": cgroup v1 reports an unlimited group as the largest
/// page-aligned i64 (9223372036854771712).
const UNLIMITED_FROM: u64 = 1 << 62;

/// The memory available to the process, in bytes, read under `root`.
pub fn total_memory(root: &Path) -> Result<u64, String> {
    match cgroup_limit(root) {
        Some(limit) => Ok(limit),
        None => mem_total(root),
    }
}

/// The cgroup memory limit, if one is set.
pub fn cgroup_limit(root: &Path) -> Option<u64> {
    let own = fs::read_to_string(root.join("proc/self/cgroup")).unwrap_or_default();
    let mount = root.join("sys/fs/cgroup");
    if mount.join("cgroup.controllers").exists() {
        // v2: one unified hierarchy, listed as `0::/path`.
        let path = own
            .lines()
            .find_map(|l| l.strip_prefix("0::"))
            .unwrap_or("/");
        smallest_limit(&mount, path, "memory.max")
    } else {
        // v1: the memory controller's own hierarchy, listed as `N:...,memory,...:/path`.
        let path = own
            .lines()
            .find_map(|l| {
                let mut parts = l.splitn(3, ':');
                let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
                controllers
                    .split(',')
                    .any(|c| c == "memory")
                    .then_some(path)
            })
            .unwrap_or("/");
        smallest_limit(&mount.join("memory"), path, "memory.limit_in_bytes")
    }
}

/// The smallest limit in `file` from `mount/path` up to `mount`.
fn smallest_limit(mount: &Path, path: &str, file: &str) -> Option<u64> {
    let mut dir: PathBuf = mount.join(path.trim_start_matches('/'));
    let mut smallest: Option<u64> = None;
    loop {
        if let Some(limit) = read_limit(&dir.join(file)) {
            smallest = Some(smallest.map_or(limit, |s| s.min(limit)));
        }
        if dir == mount || !dir.pop() || !dir.starts_with(mount) {
            break;
        }
    }
    smallest
}

/// A limit file's value; `None` when absent, unlimited (`max`, `-1`, huge) or unreadable.
fn read_limit(file: &Path) -> Option<u64> {
    let text = fs::read_to_string(file).ok()?;
    let value: u64 = text.trim().parse().ok()?;
    (value > 0 && value < UNLIMITED_FROM).then_some(value)
}

/// `MemTotal` from `/proc/meminfo`, in bytes.
fn mem_total(root: &Path) -> Result<u64, String> {
    let path = root.join("proc/meminfo");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| format!("{}: no MemTotal line", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/memory_limiter")
            .join(name)
    }

    #[test]
    fn cgroup_v2_limit_of_the_own_group() {
        // 0::/system.slice/ferrocol.service with memory.max 536870912; the parent slice is
        // larger and the mount's root has none.
        assert_eq!(total_memory(&fixture("cgroup_v2")), Ok(512 * 1024 * 1024));
    }

    #[test]
    fn cgroup_v2_smallest_limit_on_the_way_up() {
        // The group itself says `max`; its parent caps it at 256 MiB.
        assert_eq!(
            total_memory(&fixture("cgroup_v2_parent_limit")),
            Ok(256 * 1024 * 1024)
        );
    }

    #[test]
    fn cgroup_v2_namespace_sees_the_mount_root() {
        // Inside a container with a cgroup namespace: `0::/` and memory.max at the mount.
        assert_eq!(
            total_memory(&fixture("cgroup_v2_container")),
            Ok(1024 * 1024 * 1024)
        );
    }

    #[test]
    fn cgroup_v2_unlimited_falls_back_to_meminfo() {
        assert_eq!(
            total_memory(&fixture("cgroup_v2_unlimited")),
            Ok(16_303_492 * 1024)
        );
    }

    #[test]
    fn cgroup_v1_limit_in_bytes() {
        // A container without a cgroup namespace: the host path does not exist under the mount,
        // whose own limit (2 GiB) applies.
        assert_eq!(
            total_memory(&fixture("cgroup_v1")),
            Ok(2 * 1024 * 1024 * 1024)
        );
    }

    #[test]
    fn cgroup_v1_unlimited_falls_back_to_meminfo() {
        // 9223372036854771712 is v1's "no limit".
        assert_eq!(
            total_memory(&fixture("cgroup_v1_unlimited")),
            Ok(8_000_000 * 1024)
        );
    }

    #[test]
    fn no_cgroup_and_no_meminfo_is_an_error() {
        let empty = tempfile::tempdir().unwrap();
        let err = total_memory(empty.path()).unwrap_err();
        assert!(err.contains("proc/meminfo"), "{err}");
    }

    #[test]
    fn this_machine_has_some_memory() {
        if Path::new("/proc/meminfo").exists() {
            assert!(total_memory(Path::new("/")).unwrap() > 0);
        }
    }
}
