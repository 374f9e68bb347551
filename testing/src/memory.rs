//! Memory figures of the running process, for load tests that must show bounded memory.
//!
//! * [`peak_resident_kib`], the peak resident set size (`VmHWM`);
//! * [`resident_kib`], the current resident set size (`VmRSS`).
//!
//! Both read `/proc/self/status` and return `None` where it does not exist (not Linux).

/// The peak resident set size of this process so far, in KiB (`VmHWM` in
/// `/proc/self/status`); `None` where that file does not exist.
///
/// # Examples
///
/// ```
/// if cfg!(target_os = "linux") {
///     assert!(cfut_testing::memory::peak_resident_kib().unwrap() > 0);
/// }
/// ```
pub fn peak_resident_kib() -> Option<u64> {
    status_field("VmHWM:")
}

/// The current resident set size of this process, in KiB (`VmRSS` in `/proc/self/status`);
/// `None` where that file does not exist.
///
/// # Examples
///
/// ```
/// if cfg!(target_os = "linux") {
///     assert!(cfut_testing::memory::resident_kib().unwrap() > 0);
/// }
/// ```
pub fn resident_kib() -> Option<u64> {
    status_field("VmRSS:")
}

fn status_field(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
