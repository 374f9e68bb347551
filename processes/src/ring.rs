//! The result ring: a worker's frames to the parent through memory they share, so that a
//! worker hands over each result without a system call, and the result survives the worker.
//!
//! # Why
//!
//! A worker must have every result out of its own memory before it starts the next call: if
//! that call kills the process, the parent still gets the results before it, and fails only
//! the call that died (DESIGN.md §4). Through the socket that is one `send` per call, and at
//! saturation with tiny calls those sends (and the parent's work to receive each one) were
//! most of a call's cost: a system-wide `perf record` of bursts of 20 000 no-op calls on 2
//! workers put 47 % of all samples in the kernel, mostly in the socket code, 29 % in the
//! workers' side of it. Memory shared with the parent survives the worker just as the
//! socket's buffer does, and a copy into it costs no system call: such bursts take about
//! half as long per call ([`RING`](crate::tuning::RING) gives the figures).
//!
//! # The protocol
//!
//! One producer (the worker) and one consumer (the parent's manager) of a byte stream of whole
//! frames, in a ring of [`RING`](crate::tuning::RING) bytes that lives in the cancel board's
//! mapping (`board.rs`), after its cells. `tail` (written by the worker) and `head` (written
//! by the parent) count bytes since the start; the bytes `head..tail` are the frames not yet
//! taken.
//!
//! - *Push* (worker): copies whole frames after `tail` if they fit, then publishes them with a
//!   release store of `tail`.
//! - *Take* (parent): copies `head..tail` out (acquire load of `tail`) and frees them with a
//!   release store of `head`.
//! - *Wake-up*: the parent sleeps in `poll` on the sockets, which the ring cannot wake. Before
//!   it sleeps it sets `sleeping`, then (after a sequentially consistent fence) looks at the
//!   ring once more, and does not sleep if frames came. After each push the worker (after a
//!   fence of its own) takes `sleeping` back, and if it was set, sends a `NUDGE` frame through
//!   the socket. Either the parent's last look sees the frames, or the worker sees the flag:
//!   no frame waits for a parent that sleeps. The model below checks it.
//! - *Order with the socket*: frames that do not fit (a big result, a value's `BLOCK`) go
//!   through the socket, and the parent must take the two streams in the order the worker
//!   wrote them. So the worker writes frames to the socket only once the ring is empty (the
//!   parent took everything), and pushes to the ring only once the parent read every byte it
//!   wrote to the socket (`socket_read`, published by the parent after each receive, against
//!   the worker's own count). So at any time only one of the two holds frames the parent has
//!   not read, and the parent may read them in either order; it reads the socket first (then
//!   bytes a misbehaving call wrote to the socket itself come before that call's result), and
//!   takes from the ring only with nothing half received from the socket (a `NUDGE`, which
//!   may sit anywhere and is skipped, can arrive in two pieces), and once more when the
//!   socket closes.
//!
//! # What is trusted
//!
//! The parent checks what it takes: a `tail` that runs ahead of `head` by more than the ring
//! holds is a malformed stream, like a bad frame, and the worker is treated as broken. The
//! frames themselves go through the same checks as the socket's.

use crate::loom::sync::ring::{AtomicU8, AtomicU64, Ordering, fence};

/// One word on its own cache line, so that the worker's and the parent's stores do not
/// contend.
#[repr(C, align(64))]
struct Line<T>(T);

/// The ring's counters. In the board's shared mapping, whose zeroed bytes are a valid header
/// (the atomics have the layout of their integers).
#[repr(C)]
pub(crate) struct Header {
    /// Bytes pushed since the start (the worker's).
    tail: Line<AtomicU64>,
    /// Bytes taken since the start (the parent's).
    head: Line<AtomicU64>,
    /// Bytes the parent read from the socket since the start.
    socket_read: Line<AtomicU64>,
    /// The parent is about to sleep, or sleeps: a push must wake it.
    sleeping: Line<AtomicU8>,
}

impl Header {
    /// A header of a ring with nothing pushed, for a ring outside shared memory.
    #[cfg(test)]
    fn new() -> Self {
        Header {
            tail: Line(AtomicU64::new(0)),
            head: Line(AtomicU64::new(0)),
            socket_read: Line(AtomicU64::new(0)),
            sleeping: Line(AtomicU8::new(0)),
        }
    }
}

/// One side's view of a ring: its header and its `capacity` bytes of data.
pub(crate) struct Ring<'a> {
    header: &'a Header,
    data: *mut u8,
    capacity: usize,
}

impl<'a> Ring<'a> {
    /// The ring whose header is `header` and whose data are the `capacity` bytes at `data`.
    ///
    /// # Safety
    ///
    /// `data` is valid for reads and writes of `capacity` bytes for `'a`, and is written only
    /// through rings over the same header (one pushing side, one taking side).
    pub(crate) unsafe fn new(header: &'a Header, data: *mut u8, capacity: usize) -> Self {
        Ring {
            header,
            data,
            capacity,
        }
    }

    /// Worker: appends `frames` (whole frames) and publishes them; `false` if they do not fit
    /// (nothing was written).
    pub(crate) fn push(&self, frames: &[u8]) -> bool {
        // ORDERING: only this side writes `tail`.
        let tail = self.header.tail.0.load(Ordering::Relaxed);
        // ORDERING: acquire: the parent's copies out of the bytes before `head` are done.
        let head = self.header.head.0.load(Ordering::Acquire);
        let used = tail.wrapping_sub(head) as usize;
        if used > self.capacity || self.capacity - used < frames.len() {
            return false;
        }
        self.copy_in(tail, frames);
        // ORDERING: release: the bytes are written before the parent can see them.
        self.header
            .tail
            .0
            .store(tail.wrapping_add(frames.len() as u64), Ordering::Release);
        true
    }

    /// Worker, after a push: whether the parent sleeps (or is about to) and must be sent a
    /// `NUDGE`. Takes the flag back, so that one push of many wakes it.
    pub(crate) fn wake_wanted(&self) -> bool {
        // ORDERING: the fence pairs with the parent's in `will_sleep`: either this load sees
        // its flag, or its load of `tail` sees this side's push.
        fence(Ordering::SeqCst);
        self.header.sleeping.0.load(Ordering::Relaxed) != 0
            && self.header.sleeping.0.swap(0, Ordering::Relaxed) != 0
    }

    /// Worker: whether the parent took everything pushed.
    pub(crate) fn is_taken(&self) -> bool {
        // ORDERING: acquire, as in `push`; only this side writes `tail`.
        self.header.head.0.load(Ordering::Acquire) == self.header.tail.0.load(Ordering::Relaxed)
    }

    /// Worker: whether the parent read every one of the `sent` bytes the worker wrote to the
    /// socket.
    pub(crate) fn socket_caught_up(&self, sent: u64) -> bool {
        // ORDERING: a count only; the bytes themselves travel through the socket.
        self.header.socket_read.0.load(Ordering::Relaxed) == sent
    }

    /// Parent: moves the frames pushed and not yet taken to the end of `out`; how many bytes.
    /// `Err` if the worker's `tail` is not a possible one.
    pub(crate) fn take_into(&self, out: &mut Vec<u8>) -> Result<usize, String> {
        // ORDERING: only this side writes `head`.
        let head = self.header.head.0.load(Ordering::Relaxed);
        // ORDERING: acquire: the pushed bytes were written before `tail` moved.
        let tail = self.header.tail.0.load(Ordering::Acquire);
        let ready = tail.wrapping_sub(head) as usize;
        if ready > self.capacity {
            return Err(format!(
                "the result ring says {ready} bytes are waiting in {} bytes",
                self.capacity
            ));
        }
        if ready > 0 {
            self.copy_out(head, ready, out);
            // ORDERING: release: the bytes are copied out before the worker may reuse them.
            self.header.head.0.store(tail, Ordering::Release);
        }
        Ok(ready)
    }

    /// Parent: whether frames wait to be taken.
    pub(crate) fn has_frames(&self) -> bool {
        // ORDERING: a look only; `take_into` loads `tail` again, with acquire.
        self.header.tail.0.load(Ordering::Relaxed) != self.header.head.0.load(Ordering::Relaxed)
    }

    /// Parent: records that `total` bytes were read from the worker's socket since the start.
    pub(crate) fn record_socket_read(&self, total: u64) {
        // ORDERING: a count only (see `socket_caught_up`).
        self.header.socket_read.0.store(total, Ordering::Relaxed);
    }

    /// Parent, before it sleeps: sets `sleeping`; `false` (and the flag cleared) if frames came
    /// meanwhile, which must be taken first.
    pub(crate) fn will_sleep(&self) -> bool {
        self.header.sleeping.0.store(1, Ordering::Relaxed);
        // ORDERING: pairs with the worker's fence in `wake_wanted`.
        fence(Ordering::SeqCst);
        let waiting = self.has_frames();
        if waiting {
            self.awake();
        }
        !waiting
    }

    /// Parent, awake again: pushes need not wake it.
    pub(crate) fn awake(&self) {
        self.header.sleeping.0.store(0, Ordering::Relaxed);
    }

    /// Copies `bytes` to the ring from position `at` on, wrapping around.
    fn copy_in(&self, at: u64, bytes: &[u8]) {
        let start = (at % self.capacity as u64) as usize;
        let first = bytes.len().min(self.capacity - start);
        // SAFETY: `start + first <= capacity` and `bytes.len() - first <= start`, so both
        // pieces lie inside the data (the `new` contract); they are free (not between `head`
        // and `tail`), so the parent does not read them.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.data.add(start), first);
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr().add(first),
                self.data,
                bytes.len() - first,
            );
        }
    }

    /// Appends the `len` bytes from position `at` on (wrapping around) to `out`.
    fn copy_out(&self, at: u64, len: usize, out: &mut Vec<u8>) {
        let start = (at % self.capacity as u64) as usize;
        let first = len.min(self.capacity - start);
        // SAFETY: as in `copy_in`; the bytes are published (between `head` and `tail`), so
        // the worker does not write them.
        unsafe {
            out.extend_from_slice(std::slice::from_raw_parts(self.data.add(start), first));
            out.extend_from_slice(std::slice::from_raw_parts(self.data, len - first));
        }
    }
}

#[cfg(all(test, not(cfut_loom)))]
mod tests {
    use super::*;

    /// A pushing and a taking view of one ring of `capacity` bytes, and its header (the ring
    /// is leaked: the views borrow it for the rest of the test process).
    fn ring(capacity: usize) -> (Ring<'static>, Ring<'static>, &'static Header) {
        let header: &'static Header = Box::leak(Box::new(Header::new()));
        let data = Box::leak(vec![0_u8; capacity].into_boxed_slice()).as_mut_ptr();
        // SAFETY: the leaked bytes live for good; one view pushes, the other takes.
        let views = unsafe {
            (
                Ring::new(header, data, capacity),
                Ring::new(header, data, capacity),
            )
        };
        (views.0, views.1, header)
    }

    #[test]
    fn frames_come_out_in_order_across_the_wrap() {
        let (worker, parent, _) = ring(10);
        let mut out = Vec::new();
        assert!(worker.push(b"abcdef"));
        assert!(!worker.push(b"ghijk"), "11 bytes do not fit in 10");
        assert!(!worker.is_taken());
        assert_eq!(parent.take_into(&mut out), Ok(6));
        assert!(worker.is_taken());
        assert!(worker.push(b"ghijklmn"), "wraps around");
        assert_eq!(parent.take_into(&mut out), Ok(8));
        assert_eq!(out, b"abcdefghijklmn");
        assert_eq!(parent.take_into(&mut out), Ok(0));
    }

    #[test]
    fn a_sleeping_parent_is_woken_once() {
        let (worker, parent, _) = ring(16);
        assert!(parent.will_sleep());
        assert!(worker.push(b"a"));
        assert!(worker.wake_wanted());
        assert!(worker.push(b"b"));
        assert!(
            !worker.wake_wanted(),
            "the flag was taken by the first wake-up"
        );
        assert!(!parent.will_sleep(), "frames are waiting");
        assert!(
            !worker.wake_wanted(),
            "a parent that stays awake is not woken"
        );
    }

    #[test]
    fn an_impossible_tail_is_an_error() {
        let (_, parent, header) = ring(8);
        header.tail.0.store(9, Ordering::Relaxed);
        assert!(parent.take_into(&mut Vec::new()).is_err());
    }

    #[test]
    fn the_socket_count_tells_the_worker_when_the_parent_caught_up() {
        let (worker, parent, _) = ring(8);
        assert!(worker.socket_caught_up(0));
        assert!(!worker.socket_caught_up(5));
        parent.record_socket_read(5);
        assert!(worker.socket_caught_up(5));
    }
}

#[cfg(all(test, cfut_loom))]
mod model {
    //! Shown to fail on broken variants: with the parent's look at the ring moved before it
    //! sets `sleeping` in `will_sleep` (a check, then the flag), or with the fences of
    //! `will_sleep` and `wake_wanted` left out, loom reports the deadlock of a parent asleep
    //! beside a frame in the ring.

    use std::collections::VecDeque;

    use super::{Header, Ring};
    use crate::loom::sync::{Arc, Condvar, Mutex};

    /// The worker's socket as the parent's `poll` sees it: `NUDGE`s not yet read.
    struct Socket {
        nudges: Mutex<VecDeque<()>>,
        readable: Condvar,
    }

    /// The ring's data, shared by raw pointer as the mapping is (loom does not model the
    /// bytes; the counters order them).
    struct Data(*mut u8);
    // SAFETY: the two sides touch disjoint bytes, as the protocol orders them.
    unsafe impl Send for Data {}
    // SAFETY: as above.
    unsafe impl Sync for Data {}

    impl Drop for Data {
        fn drop(&mut self) {
            // SAFETY: made by `Box::into_raw` of four bytes, freed once.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.0, 4)) });
        }
    }

    /// A worker pushes two frames, nudging as the protocol says, while the parent loops:
    /// take, then decide to sleep, then wait for a `NUDGE`. Checked: the parent gets both
    /// frames, in order (a lost wake-up leaves it asleep, and loom reports the deadlock).
    #[test]
    fn no_frame_waits_for_a_sleeping_parent() {
        loom::model(|| {
            let header = Arc::new(Header::new());
            let data = Arc::new(Data(Box::into_raw(Box::new([0_u8; 4])).cast()));
            let socket = Arc::new(Socket {
                nudges: Mutex::new(VecDeque::new()),
                readable: Condvar::new(),
            });
            let worker = {
                let (header, data, socket) =
                    (Arc::clone(&header), Arc::clone(&data), Arc::clone(&socket));
                loom::thread::spawn(move || {
                    // SAFETY: the data outlive the ring; this is the one pushing side.
                    let ring = unsafe { Ring::new(&header, data.0, 4) };
                    for frame in [b"a", b"b"] {
                        assert!(ring.push(frame));
                        if ring.wake_wanted() {
                            socket.nudges.lock().push_back(());
                            socket.readable.notify_all();
                        }
                    }
                })
            };
            // SAFETY: as above; this is the one taking side.
            let ring = unsafe { Ring::new(&header, data.0, 4) };
            let mut got = Vec::new();
            while got.len() < 2 {
                ring.take_into(&mut got).expect("a well-formed ring");
                if got.len() == 2 || !ring.will_sleep() {
                    continue;
                }
                let mut nudges = socket.nudges.lock();
                while nudges.pop_front().is_none() {
                    nudges = socket.readable.wait(nudges);
                }
                drop(nudges);
                ring.awake();
            }
            assert_eq!(got, b"ab");
            worker.join().unwrap();
        });
    }
}
