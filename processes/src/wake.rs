//! The flags of the manager's wake-up protocol (described in `state.rs`), kept apart so that
//! the loom model checks the very code the pool runs.

/// Guarded by the pool's state lock.
#[derive(Debug, Default)]
pub(crate) struct WakeFlags {
    /// The manager is (about to be) asleep in `poll`.
    sleeping: bool,
    /// A wake-up byte was written since the manager last looked.
    woken: bool,
    /// Something the manager must look at happened since its last look.
    dirty: bool,
}

impl WakeFlags {
    /// A change the manager must see was made; `true` if the caller must write a wake-up
    /// byte (at most once per sleep).
    pub(crate) fn notify(&mut self) -> bool {
        self.dirty = true;
        if self.sleeping && !self.woken {
            self.woken = true;
            true
        } else {
            false
        }
    }

    /// The manager is about to look at the state.
    pub(crate) fn look(&mut self) {
        self.sleeping = false;
        self.woken = false;
        self.dirty = false;
    }

    /// The manager found nothing to do; `true` if it may sleep (nothing changed since its
    /// look), in which case later changes write a wake-up byte.
    pub(crate) fn sleep(&mut self) -> bool {
        if self.dirty {
            false
        } else {
            self.sleeping = true;
            true
        }
    }

    /// The manager is gone: nobody is to be woken.
    pub(crate) fn retire(&mut self) {
        self.sleeping = false;
    }
}

#[cfg(all(test, cfut_loom))]
mod tests {
    use std::collections::VecDeque;

    use super::WakeFlags;
    use crate::loom::sync::{Arc, Condvar, Mutex};

    /// The manager's side of the wake-up socket: bytes written, not yet drained.
    struct Socket {
        bytes: Mutex<usize>,
        readable: Condvar,
    }

    /// Two submitters queue a call each while the manager loops look → sleep → poll: the
    /// manager always gets both calls (a lost wake-up would leave it asleep and loom would
    /// report the deadlock), and the socket never holds more than one byte.
    #[test]
    fn no_lost_wake_up() {
        loom::model(|| {
            let state = Arc::new(Mutex::new((WakeFlags::default(), VecDeque::new())));
            let socket = Arc::new(Socket {
                bytes: Mutex::new(0),
                readable: Condvar::new(),
            });
            let submitters: Vec<_> = (0..2)
                .map(|call| {
                    let state = Arc::clone(&state);
                    let socket = Arc::clone(&socket);
                    loom::thread::spawn(move || {
                        let mut guard = state.lock();
                        guard.1.push_back(call);
                        if guard.0.notify() {
                            let mut bytes = socket.bytes.lock();
                            *bytes += 1;
                            assert!(*bytes <= 1, "the wake-up socket only ever holds one byte");
                            socket.readable.notify_all();
                        }
                    })
                })
                .collect();
            let mut received = 0;
            while received < 2 {
                // As in the manager: look at the state (plan) under the lock ...
                let mut guard = state.lock();
                guard.0.look();
                received += guard.1.drain(..).count();
                drop(guard);
                if received == 2 {
                    break;
                }
                // ... work outside it (write frames, spin) ... then decide to sleep under
                // the lock again.
                if !state.lock().0.sleep() {
                    continue;
                }
                // poll(2) on the socket, then drain it.
                let mut bytes = socket.bytes.lock();
                while *bytes == 0 {
                    bytes = socket.readable.wait(bytes);
                }
                *bytes = 0;
            }
            for submitter in submitters {
                submitter.join().unwrap();
            }
        });
    }
}
