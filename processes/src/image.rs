//! Where a function is: its offset from an anchor inside the running executable, and the
//! build identity that proves a worker runs the very same build.
//!
//! A worker is a re-execution of the parent's own executable, so every function sits at the
//! same distance from [`anchor`] in both processes (address-space randomisation shifts the
//! whole image at once). A call therefore travels as two offsets — the typed trampoline and
//! the user's function — and the worker adds them back to its own anchor. That is sound only
//! if both processes run the same build and the function lives in the executable itself
//! (not in a shared library loaded at another address): [`contains`] checks the second in the
//! parent before anything is sent (and again in the worker before it jumps), and the
//! [`identity`] exchanged at start-up checks the first before the worker runs anything.
//!
//! The identity comes from the build itself, not from the file: the ELF `NT_GNU_BUILD_ID`
//! note the linker writes (read from the loaded program headers), or where a binary has
//! none, a hash of the bytes of its loaded executable segments. So a copy of the binary at
//! another path, or on another machine (what a cluster backend runs), has the same identity.

use std::ffi::c_void;

use crate::loom::sync::OnceLock;

/// Bumped whenever the frames on the wire change meaning.
const PROTOCOL_VERSION: u64 = 2;

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

/// `true` if `address` lies inside one of the executable segments (`PF_X`) of the running
/// executable (the anchor's object): where the code of its functions is. Data, the stack, the
/// heap and shared libraries are outside.
pub(crate) fn contains(address: usize) -> bool {
    image()
        .code
        .iter()
        .any(|&(low, high)| low <= address && address < high)
}

/// What the loaded program headers say about the executable.
#[derive(Debug)]
struct Image {
    /// The executable segments, `[low, high)` addresses.
    code: Vec<(usize, usize)>,
    /// The `NT_GNU_BUILD_ID` note's descriptor, if the binary has one.
    build_id: Option<&'static [u8]>,
}

fn image() -> &'static Image {
    static IMAGE: OnceLock<Image> = OnceLock::new();
    IMAGE.get_or_init(find_image)
}

/// A `PT_NOTE` segment found by `dl_iterate_phdr`: address, size, alignment.
type NoteSegment = (usize, usize, usize);

fn find_image() -> Image {
    /// At most this many segments of each kind are recorded (executables have a handful).
    const MAX_SEGMENTS: usize = 16;

    struct Search {
        target: usize,
        found: bool,
        code: [(usize, usize); MAX_SEGMENTS],
        code_len: usize,
        notes: [NoteSegment; MAX_SEGMENTS],
        notes_len: usize,
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
        let range = |header: &libc::Elf64_Phdr| {
            let start = base.wrapping_add(header.p_vaddr as usize);
            (start, start.wrapping_add(header.p_memsz as usize))
        };
        let executable = |header: &&libc::Elf64_Phdr| {
            header.p_type == libc::PT_LOAD && header.p_flags & libc::PF_X != 0
        };
        if !headers.iter().filter(executable).any(|header| {
            let (low, high) = range(header);
            low <= search.target && search.target < high
        }) {
            return 0;
        }
        // The anchor's object: record its code and note segments (no allocation in here).
        search.found = true;
        for header in headers.iter().filter(executable).take(MAX_SEGMENTS) {
            search.code[search.code_len] = range(header);
            search.code_len += 1;
        }
        for header in headers
            .iter()
            .filter(|h| h.p_type == libc::PT_NOTE)
            .take(MAX_SEGMENTS)
        {
            let (start, end) = range(header);
            search.notes[search.notes_len] = (start, end - start, header.p_align as usize);
            search.notes_len += 1;
        }
        1
    }

    let mut search = Search {
        target: anchor_address(),
        found: false,
        code: [(0, 0); MAX_SEGMENTS],
        code_len: 0,
        notes: [(0, 0, 0); MAX_SEGMENTS],
        notes_len: 0,
    };
    // SAFETY: `visit` matches the callback signature and only touches `search` through the
    // pointer passed here, which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(visit), (&raw mut search).cast::<c_void>()) };
    if !search.found {
        return Image {
            code: Vec::new(),
            build_id: None,
        };
    }
    let build_id = search.notes[..search.notes_len]
        .iter()
        .find_map(|&(start, size, align)| {
            // SAFETY: a `PT_NOTE` segment of the executable lies inside one of its loaded,
            // readable segments, mapped for the life of the process.
            let notes: &'static [u8] =
                unsafe { std::slice::from_raw_parts(start as *const u8, size) };
            gnu_build_id(notes, align)
        });
    Image {
        code: search.code[..search.code_len].to_vec(),
        build_id,
    }
}

/// `NT_GNU_BUILD_ID`, the note type of the linker's build id.
const NT_GNU_BUILD_ID: u32 = 3;

/// The descriptor of the `NT_GNU_BUILD_ID` note owned by `"GNU"` in `notes` (a `PT_NOTE`
/// segment's bytes, entries padded to `align`), if there is one.
fn gnu_build_id(notes: &[u8], align: usize) -> Option<&[u8]> {
    let pad = |n: usize| n.checked_next_multiple_of(align.max(4));
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_ne_bytes(
            notes.get(at..at.checked_add(4)?)?.try_into().ok()?,
        ))
    };
    let mut at = 0;
    while at < notes.len() {
        let name_size = word(at)? as usize;
        let desc_size = word(at + 4)? as usize;
        let kind = word(at + 8)?;
        let name_at = at + 12;
        let desc_at = name_at.checked_add(pad(name_size)?)?;
        let next = desc_at.checked_add(pad(desc_size)?)?;
        let name = notes.get(name_at..name_at.checked_add(name_size)?)?;
        let desc = notes.get(desc_at..desc_at.checked_add(desc_size)?)?;
        if kind == NT_GNU_BUILD_ID && name == b"GNU\0" && !desc.is_empty() {
            return Some(desc);
        }
        at = next;
    }
    None
}

/// This build's identity: the protocol and crate versions, and the linker's build id — or,
/// in a binary without one, a hash of its executable segments' bytes. Equal identities mean
/// the same build, wherever each copy of the binary lies.
pub(crate) fn identity() -> u64 {
    static IDENTITY: OnceLock<u64> = OnceLock::new();
    *IDENTITY.get_or_init(|| {
        let mut hash = Fnv::new();
        hash.write(PROTOCOL_VERSION);
        hash.bytes(env!("CARGO_PKG_VERSION").as_bytes());
        let image = image();
        match image.build_id {
            Some(id) => {
                hash.write(1);
                hash.bytes(id);
            }
            None => {
                hash.write(2);
                for &(low, high) in &image.code {
                    // SAFETY: an executable segment of the running executable is mapped
                    // (readable: Linux maps code `r-x`) for the life of the process.
                    let code = unsafe { std::slice::from_raw_parts(low as *const u8, high - low) };
                    hash.bytes(code);
                }
            }
        }
        hash.finish()
    })
}

/// The linker's build id of the running executable, if it has one.
pub(crate) fn build_id() -> Option<&'static [u8]> {
    image().build_id
}

/// 64-bit FNV-1a (over words for long inputs), enough to tell builds apart (this is an identity check, not a defence).
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

    /// Hashes `bytes` (a length, then eight bytes at a time).
    fn bytes(&mut self, bytes: &[u8]) {
        self.write(bytes.len() as u64);
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.0 ^= u64::from_le_bytes(word.try_into().expect("8 bytes"));
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        for &byte in words.remainder() {
            self.write(u64::from(byte));
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

    static DATA: [u8; 4] = [1, 2, 3, 4];

    #[test]
    fn offsets_round_trip() {
        let f = local as fn() -> u32 as usize;
        assert_eq!(address(offset(f)), f);
        assert!(contains(f));
        assert!(contains(anchor_address()));
    }

    #[test]
    fn stack_heap_and_data_are_outside_the_code() {
        let on_stack = 0_u8;
        let on_heap = Box::new(0_u8);
        assert!(!contains(&raw const on_stack as usize));
        assert!(!contains(&raw const *on_heap as usize));
        // A static lies in a loadable segment of the image, but not an executable one.
        assert!(!contains(DATA.as_ptr() as usize));
        assert!(!contains(PROTOCOL_VERSION.to_le_bytes().as_ptr() as usize));
    }

    #[test]
    fn identity_is_stable() {
        assert_eq!(identity(), identity());
        assert_ne!(identity(), 0);
    }

    /// The build id as the file on disk carries it, found through the file's own program
    /// headers (file offsets) rather than the loaded ones.
    fn build_id_on_disk() -> Option<Vec<u8>> {
        let file = std::fs::read("/proc/self/exe").unwrap();
        let u16_at = |at: usize| usize::from(u16::from_le_bytes([file[at], file[at + 1]]));
        let u64_at = |at: usize| u64::from_le_bytes(file[at..at + 8].try_into().unwrap()) as usize;
        assert_eq!(&file[..4], b"\x7fELF");
        let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
        (0..phnum).find_map(|i| {
            let header = phoff + i * phentsize;
            let kind = u32::from_le_bytes(file[header..header + 4].try_into().unwrap());
            if kind != libc::PT_NOTE {
                return None;
            }
            let (offset, size, align) =
                (u64_at(header + 8), u64_at(header + 32), u64_at(header + 48));
            gnu_build_id(&file[offset..offset + size], align).map(<[u8]>::to_vec)
        })
    }

    #[test]
    fn the_build_id_is_the_one_the_linker_wrote() {
        let on_disk = build_id_on_disk();
        assert_eq!(build_id().map(<[u8]>::to_vec), on_disk);
        // This toolchain (rustc through the system C linker) writes one by default.
        assert!(on_disk.is_some_and(|id| id.len() >= 8));
    }

    #[test]
    fn notes_are_parsed_with_their_padding_and_bounds() {
        let mut notes = Vec::new();
        for (name, kind, desc) in [
            (&b"XYZ\0"[..], 3_u32, &[9_u8; 5][..]),
            (b"GNU\0", 3, &[1, 2, 3]),
        ] {
            notes.extend_from_slice(&(name.len() as u32).to_ne_bytes());
            notes.extend_from_slice(&(desc.len() as u32).to_ne_bytes());
            notes.extend_from_slice(&kind.to_ne_bytes());
            notes.extend_from_slice(name);
            notes.extend_from_slice(desc);
            notes.resize(notes.len().next_multiple_of(4), 0);
        }
        assert_eq!(gnu_build_id(&notes, 4), Some(&[1_u8, 2, 3][..]));
        // Truncated or absurd sizes are not a panic, just no build id.
        for cut in 0..notes.len() - 4 {
            let _ = gnu_build_id(&notes[..cut], 4);
        }
        let mut absurd = notes.clone();
        absurd[4..8].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert_eq!(gnu_build_id(&absurd, 4), None);
    }

    /// Run by [`a_copy_elsewhere_has_the_same_identity`] in a copy of this test binary.
    const PRINT_IDENTITY: &str = "CFUT_TEST_PRINT_IDENTITY";

    #[test]
    fn a_copy_elsewhere_has_the_same_identity() {
        use std::time::{Duration, SystemTime};

        if std::env::var_os(PRINT_IDENTITY).is_some() {
            println!("identity={:#x}", identity());
            return;
        }
        let dir = std::env::temp_dir().join(format!("cfut-identity-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let copy = dir.join("copy");
        std::fs::copy("/proc/self/exe", &copy).unwrap();
        let file = std::fs::File::options().write(true).open(&copy).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(86_400))
            .unwrap();
        drop(file);
        let output = std::process::Command::new(&copy)
            .args([
                "--exact",
                "image::tests::a_copy_elsewhere_has_the_same_identity",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(PRINT_IDENTITY, "1")
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .find_map(|line| line.split_once("identity=").map(|(_, id)| id.trim()))
            .unwrap_or_else(|| panic!("no identity printed: {stdout}"));
        assert_eq!(line, format!("{:#x}", identity()));
    }
}
