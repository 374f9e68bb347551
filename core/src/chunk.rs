//! [`ChunkResults`]: the outcome of one chunk of calls, decoded by the thread that consumes it.

use crate::Error;

/// The outcome of one chunk of calls, one result per element, possibly still encoded: a
/// process pool hands the bytes over and the thread that consumes the map decodes them, so
/// that the pool's own thread only moves bytes.
///
/// # Examples
///
/// ```
/// use cfut_core::{ChunkResults, Error};
///
/// let ready = ChunkResults::ready(vec![Ok(1), Err(Error::Cancelled)]);
/// assert_eq!(ready.decode(), Ok(vec![Ok(1), Err(Error::Cancelled)]));
/// let later = ChunkResults::deferred(|| Ok(vec![Ok(2_u8)]));
/// assert_eq!(later.decode(), Ok(vec![Ok(2)]));
/// ```
pub struct ChunkResults<T>(ChunkInner<T>);

type Decoder<T> = Box<dyn FnOnce() -> Result<Vec<Result<T, Error>>, Error> + Send>;

enum ChunkInner<T> {
    Ready(Vec<Result<T, Error>>),
    Deferred(Decoder<T>),
}

impl<T> ChunkResults<T> {
    /// Results already decoded.
    ///
    /// # Examples
    ///
    /// ```
    /// let chunk = cfut_core::ChunkResults::ready(vec![Ok("a")]);
    /// assert_eq!(chunk.decode().unwrap().len(), 1);
    /// ```
    pub fn ready(results: Vec<Result<T, Error>>) -> Self {
        ChunkResults(ChunkInner::Ready(results))
    }

    /// Results that `decode` computes, on the thread that calls it. An `Err` fails every
    /// element of the chunk.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{ChunkResults, Error};
    ///
    /// let broken = ChunkResults::<u8>::deferred(|| Err(Error::Cancelled));
    /// assert_eq!(broken.decode(), Err(Error::Cancelled));
    /// ```
    pub fn deferred(
        decode: impl FnOnce() -> Result<Vec<Result<T, Error>>, Error> + Send + 'static,
    ) -> Self {
        ChunkResults(ChunkInner::Deferred(Box::new(decode)))
    }

    /// The results, one per element, in order.
    ///
    /// # Examples
    ///
    /// See [`ChunkResults`].
    pub fn decode(self) -> Result<Vec<Result<T, Error>>, Error> {
        match self.0 {
            ChunkInner::Ready(results) => Ok(results),
            ChunkInner::Deferred(decode) => decode(),
        }
    }
}

impl<T> std::fmt::Debug for ChunkResults<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.0 {
            ChunkInner::Ready(_) => "ready",
            ChunkInner::Deferred(_) => "deferred",
        };
        f.debug_tuple("ChunkResults").field(&state).finish()
    }
}
