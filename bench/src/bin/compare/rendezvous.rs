//! Two calls in two worker processes that wait for each other, through a named pipe: opening
//! a FIFO for reading blocks until another process opens it for writing, and the other way
//! round. A process pool finishes the pair only with both of its workers running.

use std::ffi::CString;
use std::io::{Read as _, Write as _};
use std::os::unix::ffi::OsStrExt as _;
use std::path::PathBuf;

/// A FIFO in the temporary directory, removed on drop.
#[derive(Debug)]
pub(crate) struct Fifo {
    path: PathBuf,
}

impl Fifo {
    pub(crate) fn new() -> Self {
        let path = std::env::temp_dir().join(format!("cfut-compare-{}.fifo", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let c_path = CString::new(path.as_os_str().as_bytes()).expect("no NUL in a temp path");
        // SAFETY: a valid NUL-terminated path.
        let rc = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
        assert_eq!(
            rc,
            0,
            "mkfifo {}: {}",
            path.display(),
            std::io::Error::last_os_error()
        );
        Fifo { path }
    }

    /// The arguments of the two calls of [`meet`].
    pub(crate) fn pair(&self) -> [(String, bool); 2] {
        let path = self.path.to_str().expect("UTF-8 temp path").to_owned();
        [(path.clone(), true), (path, false)]
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One side of the meeting: the reader opens the FIFO and reads the byte the writer sends.
/// Each open blocks until the other side's call runs.
pub(crate) fn meet((path, reader): (String, bool)) -> bool {
    if reader {
        let mut byte = [0_u8];
        std::fs::File::open(&path)
            .and_then(|mut fifo| fifo.read_exact(&mut byte))
            .expect("read the meeting FIFO");
        byte[0] == 1
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|mut fifo| fifo.write_all(&[1]))
            .expect("write the meeting FIFO");
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_sides_meet() {
        let fifo = Fifo::new();
        let [reader, writer] = fifo.pair();
        let other = std::thread::spawn(move || meet(writer));
        assert!(meet(reader), "the reader got the writer's byte");
        assert!(other.join().expect("writer side"));
    }
}
