//! `cpu_hash_files` and `cpu_hash_files_processes` (s): SHA-256 of every regular file under
//! the Rust toolchain's `lib/` (`rustc --print sysroot`), one call per file, with the page
//! cache warmed first (every file read once before the first run). Each call streams its file
//! through the hash in reads of [`READ_SIZE`], as Python's `hashlib.file_digest` does (the
//! Python side calls it): the idiomatic way in both languages. Reading each file whole into
//! a buffer of its size first took almost twice as long in both, the same for each (2
//! threads, the same files, three rounds: 0.36–0.38 s in Rust and 0.36–0.38 s in Python
//! whole, 0.21 s and 0.20–0.22 s streamed).
//!
//! - `cpu_hash_files`: 2 threads. cfut's default `map`; rayon's `par_iter`; threadpool, one
//!   call per file ([`crate::peers::map_in_order`]); Python's `ThreadPoolExecutor.map` with
//!   `hashlib` (which releases the GIL while it hashes).
//! - `cpu_hash_files_processes`: 2 worker processes. cfut's default `map` on its
//!   `ProcessPoolExecutor` (one call per file) and Python's `ProcessPoolExecutor.map`
//!   (chunksize 1, its default), the path as the argument and the digest as the result.
//!
//! `serial` hashes the files one by one on the calling thread; `ideal` is the larger of its
//! total ÷ 2 and its longest file, in the same run. Every system's digests are checked against
//! the serial ones (Python's through a digest of all digests, in the sorted order of the
//! paths' bytes).

use std::fs::File;
use std::io::Read as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use cfut_combinators::MapExt;
use cfut_processes::ProcessPoolExecutor;
use cfut_threads::ThreadPoolExecutor;
use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use super::seconds;
use crate::peers::{map_in_order, rayon_pool};
use crate::report::{Contender, Report, Sample, median};

pub(super) const WORKERS: usize = 2;

/// A file's SHA-256.
type Digest = [u8; 32];

/// The size of each read of a file being hashed: `hashlib.file_digest`'s.
const READ_SIZE: usize = 256 * 1024;

/// One call: stream `path` through SHA-256.
fn hash_file(path: PathBuf) -> Digest {
    let fail = |e: std::io::Error| -> ! { panic!("read {}: {e}", path.display()) };
    let mut file = File::open(&path).unwrap_or_else(|e| fail(e));
    let mut buffer = vec![0_u8; READ_SIZE];
    let mut hasher = Sha256::new();
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return hasher.finalize().into(),
            Ok(read) => hasher.update(&buffer[..read]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => fail(e),
        }
    }
}

/// The process-pool call: the path travels as a string.
fn hash_path(path: String) -> Digest {
    hash_file(PathBuf::from(path))
}

/// The files to hash, in the sorted order of their paths' bytes, and their digests.
#[derive(Debug)]
pub(super) struct Files {
    root: PathBuf,
    paths: Vec<PathBuf>,
    digests: Vec<Digest>,
}

impl Files {
    /// Finds the toolchain's `lib/` and its files, and hashes them once (which also warms the
    /// page cache). `None`, with a note, if `rustc` cannot say where its sysroot is.
    pub(super) fn find() -> Option<Self> {
        let sysroot = match Command::new("rustc").args(["--print", "sysroot"]).output() {
            Ok(out) if out.status.success() => {
                String::from_utf8_lossy(&out.stdout).trim().to_owned()
            }
            other => {
                eprintln!("compare: `rustc --print sysroot` failed ({other:?}); no cpu_hash_files");
                return None;
            }
        };
        let root = Path::new(&sysroot).join("lib");
        let mut paths = Vec::new();
        walk(&root, &mut paths);
        paths.sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
        let digests = paths.iter().cloned().map(hash_file).collect();
        let bytes: u64 = paths
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        eprintln!(
            "compare: cpu_hash_files: {} files, {:.0} MB under {}",
            paths.len(),
            bytes as f64 / 1e6,
            root.display()
        );
        Some(Files {
            root,
            paths,
            digests,
        })
    }

    pub(super) fn root(&self) -> &Path {
        &self.root
    }

    /// The SHA-256 of every digest in order: what the Python side reports as
    /// `check cpu_hash_files`.
    fn digest_of_digests(&self) -> String {
        let mut all = Sha256::new();
        for digest in &self.digests {
            all.update(digest);
        }
        all.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Compares the Python side's digest of digests with ours; a mismatch means Python hashed
    /// other files, and its figures are not comparable.
    pub(super) fn compare_check(&self, checks: &[(String, String)]) {
        let ours = self.digest_of_digests();
        match checks.iter().find(|(name, _)| name == "cpu_hash_files") {
            Some((_, theirs)) if *theirs == ours => {}
            Some((_, theirs)) => eprintln!(
                "compare: WARNING: Python hashed other files (digest of digests {theirs}, ours \
                 {ours}): its cpu_hash_files figures are not comparable"
            ),
            None => {}
        }
    }
}

/// Every regular file under `dir` (symbolic links not followed).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&entry.path(), out);
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
}

impl Files {
    /// Seconds for one hashing of every file by `run`, which returns the digests in order
    /// (checked against the serial ones).
    fn seconds(&self, run: impl FnOnce() -> Vec<Digest>) -> Sample {
        seconds(self.paths.len(), &self.digests, run)
    }
}

/// One serial pass: its sample, and the ideal on `WORKERS` (the larger of the even share and
/// the longest file).
fn serial(files: &Files) -> (Sample, f64) {
    let mut longest = 0_f64;
    let sample = files.seconds(|| {
        files
            .paths
            .iter()
            .cloned()
            .map(|path| {
                let start = Instant::now();
                let digest = hash_file(path);
                longest = longest.max(start.elapsed().as_secs_f64());
                digest
            })
            .collect()
    });
    (sample, (sample.value / WORKERS as f64).max(longest))
}

pub(super) fn run(report: &mut Report, files: &Files) {
    let cfut = ThreadPoolExecutor::new(WORKERS).expect("cfut pool");
    let rayon = rayon_pool(WORKERS);
    let threadpool = threadpool::ThreadPool::new(WORKERS);
    let processes = ProcessPoolExecutor::new(WORKERS).expect("cfut process pool");
    // Start both worker processes outside the clock.
    let first = files
        .paths
        .first()
        .map(|p| p.to_string_lossy().into_owned());
    let warm: Vec<_> = (0..WORKERS)
        .filter_map(|_| Some(processes.submit(hash_path, first.clone()?)))
        .collect();
    for future in warm {
        future.result().expect("warm-up hash");
    }

    let mut ideals = Vec::new();
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                files.seconds(|| {
                    cfut.map(hash_file, files.paths.iter().cloned())
                        .map(|r| r.expect("hash call"))
                        .collect()
                })
            }),
        ),
        (
            "rayon",
            Box::new(|| {
                files.seconds(|| {
                    rayon.install(|| files.paths.par_iter().cloned().map(hash_file).collect())
                })
            }),
        ),
        (
            "threadpool",
            Box::new(|| {
                files.seconds(|| map_in_order(&threadpool, hash_file, files.paths.clone()))
            }),
        ),
        (
            "serial",
            Box::new(|| {
                let (sample, ideal) = serial(files);
                ideals.push(ideal);
                sample
            }),
        ),
    ];
    report.measure("cpu_hash_files", contenders);
    let ideal = median(ideals);
    report.record("cpu_hash_files", "ideal", Sample::bare(ideal));

    let contenders: Vec<Contender<'_>> = vec![(
        "cfut",
        Box::new(|| {
            files.seconds(|| {
                let paths = files.paths.iter().map(|p| p.to_string_lossy().into_owned());
                processes
                    .map(hash_path, paths)
                    .map(|r| r.expect("hash call"))
                    .collect()
            })
        }),
    )];
    report.measure("cpu_hash_files_processes", contenders);
    report.record("cpu_hash_files_processes", "ideal", Sample::bare(ideal));
}
