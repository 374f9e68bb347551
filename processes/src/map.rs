//! [`Map`], the iterator of [`ProcessPoolExecutor::map`].
//!
//! [`ProcessPoolExecutor::map`]: crate::ProcessPoolExecutor::map

use std::collections::VecDeque;
use std::fmt;

use cfut_core::{Error, Future};

use crate::task::Encoded;

/// One submitted chunk: the future of its still encoded results and how many inputs it
/// holds.
pub(crate) type Chunk = (Future<Encoded>, usize);

/// Decodes a chunk's results.
pub(crate) type Decode<T> = fn(u8, &[u8]) -> Result<Vec<Result<T, Error>>, Error>;

/// The results of [`ProcessPoolExecutor::map`], in input order.
///
/// Each `next` blocks until the chunk holding the next result is done. Dropping the iterator
/// cancels every chunk no worker has taken yet (Python's `close()` on the map generator).
///
/// # Examples
///
/// ```
/// use std::num::NonZeroUsize;
///
/// let pool = cfut_processes::ProcessPoolExecutor::new(2)?;
/// let mut doubled = pool.map(|x: u32| x * 2, 0..10, NonZeroUsize::new(4).unwrap());
/// assert_eq!(doubled.next(), Some(Ok(0)));
/// assert_eq!(doubled.by_ref().count(), 9);
/// assert_eq!(doubled.next(), None);
/// # Ok::<(), cfut_processes::BuildError>(())
/// ```
///
/// [`ProcessPoolExecutor::map`]: crate::ProcessPoolExecutor::map
pub struct Map<T> {
    chunks: VecDeque<Chunk>,
    decode: Decode<T>,
    current: std::vec::IntoIter<Result<T, Error>>,
}

impl<T> Map<T> {
    pub(crate) fn new(chunks: VecDeque<Chunk>, decode: Decode<T>) -> Self {
        Map {
            chunks,
            decode,
            current: Vec::new().into_iter(),
        }
    }
}

impl<T> Iterator for Map<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.current.next() {
                return Some(item);
            }
            let (chunk, len) = self.chunks.pop_front()?;
            self.current = match chunk
                .result()
                .and_then(|(status, bytes)| (self.decode)(status, &bytes))
            {
                Ok(results) => results.into_iter(),
                Err(error) => (0..len)
                    .map(|_| Err(error.clone()))
                    .collect::<Vec<_>>()
                    .into_iter(),
            };
        }
    }
}

impl<T> Drop for Map<T> {
    fn drop(&mut self) {
        for (chunk, _) in &self.chunks {
            chunk.cancel();
        }
    }
}

impl<T> fmt::Debug for Map<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("chunks_left", &self.chunks.len())
            .finish_non_exhaustive()
    }
}
