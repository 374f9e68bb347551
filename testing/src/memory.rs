//! Memory figures of the running process, for load tests that must show bounded memory.
//!
//! * [`peak_resident_kib`], the peak resident set size (`VmHWM`);
//! * [`resident_kib`], the current resident set size (`VmRSS`);
//! * [`reset_peak`], to measure the peak of one phase of a test;
//! * [`peak_resident_kib_of`], the peak of another process (a worker).
//!
//! They read `/proc` and return `None` (or `false`) where it does not exist (not Linux).

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

/// Resets the peak resident set size of this process to its current size (writes `5` to
/// `/proc/self/clear_refs`, Linux 4.0 and later); `true` if it could.
///
/// # Examples
///
/// ```
/// use cfut_testing::memory;
///
/// if memory::reset_peak() {
///     let big = vec![1_u8; 32 << 20];
///     assert!(memory::peak_resident_kib().unwrap() >= 32 << 10);
///     drop(big);
/// }
/// ```
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}

/// The peak resident set size of process `pid`, in KiB (`VmHWM` in `/proc/<pid>/status`);
/// `None` if the process is gone or the file does not exist.
///
/// # Examples
///
/// ```
/// let me = std::process::id();
/// assert_eq!(
///     cfut_testing::memory::peak_resident_kib_of(me).is_some(),
///     cfg!(target_os = "linux")
/// );
/// ```
pub fn peak_resident_kib_of(pid: u32) -> Option<u64> {
    status_field_of(&format!("/proc/{pid}/status"), "VmHWM:")
}

fn status_field(field: &str) -> Option<u64> {
    status_field_of("/proc/self/status", field)
}

fn status_field_of(path: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
