//! The smallest reasonable pool, a peer of the thread suites (`channel-pool`), and without
//! per-call handles their floor (`channel-floor`): one crossbeam channel of boxed calls, `n`
//! threads draining it; dropping it closes the channel and joins the threads.

use std::thread::JoinHandle;

use crossbeam_channel::{Sender, unbounded};

/// A boxed call of the channel pool.
type Task = Box<dyn FnOnce() + Send + 'static>;

/// Worker threads taking boxed calls from one channel.
#[derive(Debug)]
pub(crate) struct ChannelPool {
    sender: Option<Sender<Task>>,
    threads: Vec<JoinHandle<()>>,
}

impl ChannelPool {
    pub(crate) fn new(workers: usize) -> Self {
        let (sender, receiver) = unbounded::<Task>();
        let threads = (0..workers)
            .map(|_| {
                let receiver = receiver.clone();
                std::thread::spawn(move || {
                    for task in receiver {
                        task();
                    }
                })
            })
            .collect();
        ChannelPool {
            sender: Some(sender),
            threads,
        }
    }

    /// Queues `task` (one box).
    pub(crate) fn execute(&self, task: impl FnOnce() + Send + 'static) {
        self.sender
            .as_ref()
            .expect("open until dropped")
            .send(Box::new(task))
            .expect("workers alive");
    }
}

impl Drop for ChannelPool {
    fn drop(&mut self) {
        drop(self.sender.take());
        for thread in self.threads.drain(..) {
            thread.join().expect("channel pool worker");
        }
    }
}
