//! Where a function is: its offset from an anchor inside the running executable, and the
//! build identity that proves a worker runs the very same executable.
//!
//! A worker is a re-execution of the parent's own executable, so every function sits at the
//! same distance from [`anchor`] in both processes (address-space randomisation shifts the
//! whole image at once). A call therefore travels as two offsets — the typed trampoline and
//! the user's function — and the worker adds them back to its own anchor. That is sound only
//! if both processes run the same build and the function lives in the executable itself
//! (not in a shared library loaded at another address): [`contains`] checks the second in the
//! parent before anything is sent, and the [`identity`] exchanged at start-up checks the first
//! before the worker runs anything.

use std::ffi::c_void;

use crate::loom::sync::OnceLock;

/// Bumped whenever the frames on the wire change meaning.
const PROTOCOL_VERSION: u64 = 1;

/// The point every function offset is measured from. Never inlined, so it has an address.
#[inline(never)]
extern "C" fn anchor() -> u64 {
    0xcf07_0a7c_4012
}

/// The address of [`anchor`] in this process.
fn anchor_address() -> usize {
    anchor as extern "C" fn() -> u64 as usize
}

/// The offset of `address` from the anchor, as sent on the wire.
pub(crate) fn offset(address: usize) -> u64 {
    address.wrapping_sub(anchor_address()) as u64
}

/// The address in this process of what sits at `offset` from the anchor.
pub(crate) fn address(offset: u64) -> usize {
    anchor_address().wrapping_add(offset as usize)
}

/// `true` if `address` lies inside the executable's own mapped image (the anchor's object).
pub(crate) fn contains(address: usize) -> bool {
    let (low, high) = *RANGE.get_or_init(find_range);
    low <= address && address < high
}

/// The lowest and highest addresses of the loadable segments of the anchor's object.
static RANGE: OnceLock<(usize, usize)> = OnceLock::new();

fn find_range() -> (usize, usize) {
    struct Search {
        target: usize,
        found: Option<(usize, usize)>,
    }

    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut c_void,
    ) -> libc::c_int {
        // SAFETY: `dl_iterate_phdr` passes a valid `info` for the duration of this call, and
        // `data` is the `&mut Search` handed to it below, not aliased elsewhere meanwhile.
        let (info, search) = unsafe { (&*info, &mut *data.cast::<Search>()) };
        if info.dlpi_phdr.is_null() {
            return 0;
        }
        // SAFETY: `dlpi_phdr` points to `dlpi_phnum` program headers of this object.
        let headers =
            unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) };
        let base = info.dlpi_addr as usize;
        let (mut low, mut high) = (usize::MAX, 0);
        for header in headers.iter().filter(|h| h.p_type == libc::PT_LOAD) {
            let start = base.wrapping_add(header.p_vaddr as usize);
            low = low.min(start);
            high = high.max(start.wrapping_add(header.p_memsz as usize));
        }
        if low <= search.target && search.target < high {
            search.found = Some((low, high));
            1
        } else {
            0
        }
    }

    let mut search = Search {
        target: anchor_address(),
        found: None,
    };
    // SAFETY: `visit` matches the callback signature and only touches `search` through the
    // pointer passed here, which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(visit), (&raw mut search).cast::<c_void>()) };
    search.found.unwrap_or((0, 0))
}

/// This build's identity: the protocol and crate versions, the executable's file identity
/// (device, inode, size, modification time), the image size and an internal offset. A parent
/// and a worker with equal identities run the same executable file.
pub(crate) fn identity() -> u64 {
    static IDENTITY: OnceLock<u64> = OnceLock::new();
    *IDENTITY.get_or_init(|| {
        use std::os::unix::fs::MetadataExt;

        let mut hash = Fnv::new();
        hash.write(PROTOCOL_VERSION);
        for byte in env!("CARGO_PKG_VERSION").bytes() {
            hash.write(u64::from(byte));
        }
        let (low, high) = *RANGE.get_or_init(find_range);
        hash.write((high - low) as u64);
        hash.write(offset(identity as fn() -> u64 as usize));
        if let Ok(meta) = std::fs::metadata("/proc/self/exe") {
            hash.write(meta.dev());
            hash.write(meta.ino());
            hash.write(meta.size());
            hash.write(meta.mtime() as u64);
            hash.write(meta.mtime_nsec() as u64);
        }
        hash.finish()
    })
}

/// 64-bit FNV-1a, enough to tell builds apart (this is an identity check, not a defence).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, value: u64) {
        for byte in value.to_le_bytes() {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> u32 {
        7
    }

    #[test]
    fn offsets_round_trip() {
        let f = local as fn() -> u32 as usize;
        assert_eq!(address(offset(f)), f);
        assert!(contains(f));
        assert!(contains(anchor_address()));
    }

    #[test]
    fn stack_and_heap_are_outside_the_image() {
        let on_stack = 0_u8;
        let on_heap = Box::new(0_u8);
        assert!(!contains(&raw const on_stack as usize));
        assert!(!contains(&raw const *on_heap as usize));
    }

    #[test]
    fn identity_is_stable() {
        assert_eq!(identity(), identity());
        assert_ne!(identity(), 0);
    }
}
