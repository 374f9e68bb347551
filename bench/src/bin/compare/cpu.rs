//! CPU time of this process and of every process it started: the `cpu_per_call` column and
//! `idle_cpu_pct`, so that a pool that spins is charged for it.
//!
//! The total is `getrusage(RUSAGE_SELF)` (every thread of this process, exited ones
//! included) + `getrusage(RUSAGE_CHILDREN)` (children already reaped) + the on-CPU time of
//! every live descendant (its threads' `/proc/PID/task/TID/schedstat`, in nanoseconds; a
//! process pool's workers, the floors' echo children). bench/python/harness.py does the same for
//! the Python side.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::report::Sample;

/// User + system CPU of this process, its reaped children and its live descendants, read at
/// the start of a region: this process's own part last, so the scan of `/proc` is not
/// charged to the region.
fn tree_cpu_at_start() -> Duration {
    let descendants = live_descendants_cpu();
    own_cpu() + descendants
}

/// As [`tree_cpu_at_start`], read at the end of a region: this process's own part first.
fn tree_cpu_at_end() -> Duration {
    let own = own_cpu();
    own + live_descendants_cpu()
}

fn own_cpu() -> Duration {
    rusage(libc::RUSAGE_SELF) + rusage(libc::RUSAGE_CHILDREN)
}

fn rusage(who: libc::c_int) -> Duration {
    // SAFETY: `usage` is a plain C struct that getrusage fills; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid `who` and a pointer to a live, writable rusage.
    let rc = unsafe { libc::getrusage(who, &mut usage) };
    assert_eq!(rc, 0, "getrusage");
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// The process ids of this process's live descendants (children, grandchildren, …), zombies
/// included, from the parent field of every `/proc/PID/stat`.
pub(crate) fn descendants() -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue; // exited meanwhile
        };
        // The command name (field 2) is in parentheses and may contain anything.
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let ppid = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![std::process::id()];
    while let Some(parent) = frontier.pop() {
        for &child in children.get(&parent).map_or(&[][..], Vec::as_slice) {
            found.push(child);
            frontier.push(child);
        }
    }
    found
}

fn live_descendants_cpu() -> Duration {
    let mut total = 0_u64;
    for pid in descendants() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            if let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) {
                total += text
                    .split_whitespace()
                    .next()
                    .and_then(|ns| ns.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    Duration::from_nanos(total)
}

/// A timed region: wall time and the CPU of the process tree from [`Meter::start`] to
/// [`Meter::stop`].
#[derive(Debug)]
pub(crate) struct Meter {
    wall: Instant,
    cpu: Duration,
}

impl Meter {
    pub(crate) fn start() -> Self {
        let cpu = tree_cpu_at_start();
        Meter {
            wall: Instant::now(),
            cpu,
        }
    }

    /// The wall time since `start`, and the CPU µs per call over `calls` calls.
    pub(crate) fn stop(self, calls: usize) -> (Duration, f64) {
        let wall = self.wall.elapsed();
        let cpu = tree_cpu_at_end().saturating_sub(self.cpu);
        (wall, cpu.as_secs_f64() * 1e6 / calls as f64)
    }
}

/// `idle_cpu_pct`: after `burst` (which leaves a pool with nothing to do), the CPU the
/// process tree uses in the next second, in percent of one core.
pub(crate) fn idle_after(burst: impl FnOnce()) -> Sample {
    burst();
    let meter = Meter::start();
    std::thread::sleep(Duration::from_secs(1));
    let (wall, cpu_us) = meter.stop(1);
    Sample::bare(cpu_us / 1e6 / wall.as_secs_f64() * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_is_a_descendant_until_reaped() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("start sleep");
        assert!(descendants().contains(&child.id()));
        child.kill().expect("kill sleep");
        child.wait().expect("reap sleep");
        assert!(!descendants().contains(&child.id()));
    }

    #[test]
    fn cpu_spent_in_the_region_is_counted() {
        let meter = Meter::start();
        let mut x = 0_u64;
        // Spin until the process's own CPU clock has moved by 20 ms.
        let start = own_cpu();
        while own_cpu() - start < Duration::from_millis(20) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let (_, cpu_us) = meter.stop(1);
        assert!(cpu_us >= 20_000.0, "{cpu_us} µs");
    }
}
