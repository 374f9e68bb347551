//! A worker that is not the same build as its parent refuses to serve: a clear broken-pool
//! error, never a call into the wrong code. The build identity comes from the build itself
//! (the linker's build-id note), so the test makes the parent look like another build by
//! overwriting its own loaded note segment before the first pool reads the identity. Alone in
//! its binary because that changes the process's identity for good.

use std::ffi::c_void;

use cfut_core::Error;
use cfut_processes::ProcessPoolExecutor;

/// The first `PT_NOTE` segment of the main program (the first object `dl_iterate_phdr`
/// reports): its address and size.
fn note_segment() -> (usize, usize) {
    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut c_void,
    ) -> libc::c_int {
        // SAFETY: valid for this call; `data` is the `Option` passed below.
        let (info, found) = unsafe { (&*info, &mut *data.cast::<Option<(usize, usize)>>()) };
        // SAFETY: `dlpi_phdr` points to `dlpi_phnum` program headers.
        let headers =
            unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) };
        *found = headers.iter().find(|h| h.p_type == libc::PT_NOTE).map(|h| {
            (
                info.dlpi_addr as usize + h.p_vaddr as usize,
                h.p_memsz as usize,
            )
        });
        1 // the main program comes first: stop there
    }
    let mut found: Option<(usize, usize)> = None;
    // SAFETY: `visit` only writes `found`, which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(visit), (&raw mut found).cast()) };
    found.expect("the test binary has a note segment")
}

/// Makes this process's loaded notes unreadable as notes: the build id is gone from memory
/// (not from the file the workers start from).
fn erase_loaded_build_id() {
    let (start, size) = note_segment();
    // SAFETY: `sysconf` has no memory effects.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let first = start & !(page - 1);
    let length = start + size - first;
    // SAFETY: the pages hold the note segment of our own image; making them writable
    // (a private copy of the file's pages) touches nothing else.
    let made_writable = unsafe {
        libc::mprotect(
            first as *mut c_void,
            length,
            libc::PROT_READ | libc::PROT_WRITE,
        )
    };
    assert_eq!(made_writable, 0, "{}", std::io::Error::last_os_error());
    // SAFETY: `start..start + size` is the note segment, now writable; nothing reads it
    // concurrently (no pool exists yet).
    unsafe { std::ptr::write_bytes(start as *mut u8, 0xff, size) };
}

#[test]
fn a_worker_of_another_build_breaks_the_pool_with_a_clear_error() {
    erase_loaded_build_id();
    let pool = ProcessPoolExecutor::new(1).unwrap();
    match pool.submit(|x: u8| x, 1).result() {
        Err(Error::Broken { reason }) => {
            assert!(reason.contains("not the same build"), "{reason}");
            assert!(reason.contains("build id"), "{reason}");
        }
        other => panic!("expected a broken pool, got {other:?}"),
    }
    assert_eq!(pool.workers_started(), 1, "no respawn loop");
    assert!(matches!(
        pool.submit(|x: u8| x, 2).result(),
        Err(Error::Broken { .. })
    ));
}
