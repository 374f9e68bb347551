//! An owned block of bytes with the alignment of the numbers it holds: the memory of a plain
//! buffer (`Vec<u8>`, `Vec<f64>`, `String`, ...) moved between the user's value and the
//! transport without a copy.
//!
//! On the process pool's sockets a big argument or result leaves as a `BLOCK` frame written
//! straight from its `Vec` (see `wire.rs`), and arrives in a `Block` allocated once at the
//! announced size and alignment, which `recv` fills and which becomes the receiving side's
//! `Vec` as it is (see `raw::from_block`). Other transports get the same blocks through
//! [`crate::backend`] and move them as messages of their own.

use std::alloc::{self, Layout};
use std::fmt;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ptr::NonNull;

/// The bytes of a big plain buffer (a `Vec` of primitive numbers, a `String`) with the
/// alignment its numbers need: what travels beside a call's frame instead of inside it
/// ([`Call::with_blocks`](crate::backend::Call::with_blocks)).
///
/// A transport sends [`as_bytes`](Self::as_bytes) and tells the other side the
/// [`align`](Self::align)ment; the receiver allocates a block of that length and alignment
/// with [`with_capacity`](Self::with_capacity), receives into
/// [`spare_capacity_mut`](Self::spare_capacity_mut) and marks the bytes written with
/// [`grow_len`](Self::grow_len). The block then becomes the receiving side's `Vec` as it is.
///
/// (Inside: an allocation of `capacity` bytes aligned to `align`, whose first `len` bytes are
/// initialised; allocated by the global allocator with exactly the layout a `Vec` of
/// `capacity / size_of::<T>()` numbers `T` of that alignment would have.)
///
/// # Examples
///
/// ```
/// use cfut_processes::backend::Block;
///
/// // A receiver's side: room for 8 bytes aligned for `u64`s, filled by the transport.
/// let mut block = Block::with_capacity(8, 8).expect("a valid alignment");
/// for (byte, value) in block.spare_capacity_mut().iter_mut().zip(7_u64.to_le_bytes()) {
///     byte.write(value);
/// }
/// // SAFETY: the 8 spare bytes were just written.
/// unsafe { block.grow_len(8) };
/// assert_eq!((block.len(), block.align()), (8, 8));
/// assert_eq!(block.as_bytes(), 7_u64.to_le_bytes());
/// ```
pub struct Block {
    ptr: NonNull<u8>,
    len: usize,
    capacity: usize,
    align: usize,
}

// SAFETY: a `Block` owns its allocation (like a `Vec<u8>`), and shares it with nobody.
unsafe impl Send for Block {}
// SAFETY: as for a `Vec<u8>`: through `&Block` its bytes are only read.
unsafe impl Sync for Block {}

impl Block {
    /// The largest alignment a block may ask for (that of `u128`), as a log2: alignments are
    /// 1, 2, 4, 8 or 16.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_processes::backend::Block;
    ///
    /// assert!(Block::with_capacity(16, 1 << Block::MAX_ALIGN_LOG2).is_some());
    /// assert!(Block::with_capacity(16, 2 << Block::MAX_ALIGN_LOG2).is_none());
    /// ```
    pub const MAX_ALIGN_LOG2: u32 = 4;

    /// An empty block with room for `capacity` bytes aligned to `align` (a power of two up to
    /// `1 << MAX_ALIGN_LOG2`); `None` for any other alignment, or a capacity no allocation
    /// can have.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_processes::backend::Block;
    ///
    /// let block = Block::with_capacity(1024, 4).unwrap();
    /// assert!(block.is_empty());
    /// assert_eq!(block.spare_capacity_len(), 1024);
    /// assert!(Block::with_capacity(1024, 3).is_none(), "not a power of two");
    /// ```
    pub fn with_capacity(capacity: usize, align: usize) -> Option<Block> {
        if !align.is_power_of_two() || align.trailing_zeros() > Self::MAX_ALIGN_LOG2 {
            return None;
        }
        let layout = Layout::from_size_align(capacity, align).ok()?;
        let ptr = if capacity == 0 {
            // What `Vec` holds without an allocation: a dangling, aligned pointer.
            NonNull::new(align as *mut u8)?
        } else {
            // SAFETY: the layout's size is not zero.
            NonNull::new(unsafe { alloc::alloc(layout) })
                .unwrap_or_else(|| alloc::handle_alloc_error(layout))
        };
        Some(Block {
            ptr,
            len: 0,
            capacity,
            align,
        })
    }

    /// The memory of `values`, taken over without a copy.
    ///
    /// # Safety
    ///
    /// `T` must be a primitive number (no padding, no drop glue), so that its memory can be
    /// read as bytes and freed as bytes of the same layout.
    pub(crate) unsafe fn from_vec<T: Copy>(values: Vec<T>) -> Block {
        let mut values = ManuallyDrop::new(values);
        let size = size_of::<T>();
        Block {
            // SAFETY: a `Vec`'s pointer is never null.
            ptr: unsafe { NonNull::new_unchecked(values.as_mut_ptr().cast::<u8>()) },
            len: values.len() * size,
            capacity: values.capacity() * size,
            align: align_of::<T>(),
        }
    }

    /// The block as a `Vec<T>`, without a copy; `None` if its alignment is not `T`'s or its
    /// length or capacity is not a whole number of `T`s (then the block is dropped).
    ///
    /// # Safety
    ///
    /// `T` must be a primitive number, for which every bit pattern is a valid value.
    pub(crate) unsafe fn into_vec<T: Copy>(self) -> Option<Vec<T>> {
        let size = size_of::<T>();
        if self.align != align_of::<T>()
            || size == 0
            || self.len % size != 0
            || self.capacity % size != 0
        {
            return None;
        }
        let block = ManuallyDrop::new(self);
        // SAFETY: the allocation (or the dangling pointer, for capacity 0) has `T`'s alignment
        // and `capacity / size` values' size, allocated by the global allocator as a
        // `Vec<T>` of that capacity would be; the first `len` bytes are initialised and any
        // bytes are a valid `T` (the caller's guarantee).
        Some(unsafe {
            Vec::from_raw_parts(
                block.ptr.as_ptr().cast::<T>(),
                block.len / size,
                block.capacity / size,
            )
        })
    }

    /// The initialised bytes (what a transport sends).
    ///
    /// # Examples
    ///
    /// ```
    /// let block = cfut_processes::backend::Block::with_capacity(4, 1).unwrap();
    /// assert_eq!(block.as_bytes(), b"");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes()
    }

    /// The initialised bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: the first `len` bytes of the allocation are initialised.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// How many bytes are initialised.
    ///
    /// # Examples
    ///
    /// ```
    /// let block = cfut_processes::backend::Block::with_capacity(4, 1).unwrap();
    /// assert_eq!(block.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no byte is initialised.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cfut_processes::backend::Block::with_capacity(4, 1).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many more bytes fit.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cfut_processes::backend::Block::with_capacity(4, 2).unwrap().spare_capacity_len(), 4);
    /// ```
    pub fn spare_capacity_len(&self) -> usize {
        self.capacity - self.len
    }

    /// Whether every byte of the allocation is initialised.
    pub(crate) fn is_full(&self) -> bool {
        self.len == self.capacity
    }

    /// The alignment the block's numbers need (1, 2, 4, 8 or 16): the receiver allocates its
    /// block with the same.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cfut_processes::backend::Block::with_capacity(4, 2).unwrap().align(), 2);
    /// ```
    pub fn align(&self) -> usize {
        self.align
    }

    /// Appends `bytes`; at most the room left is taken. Returns how many were.
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.capacity - self.len);
        // SAFETY: `n` bytes fit after the first `len`; `bytes` cannot overlap an allocation
        // this block owns.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.as_ptr().add(self.len), n);
        }
        self.len += n;
        n
    }

    /// The room after the initialised bytes, for a transport to receive into.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut block = cfut_processes::backend::Block::with_capacity(4, 1).unwrap();
    /// assert_eq!(block.spare_capacity_mut().len(), 4);
    /// ```
    pub fn spare_capacity_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        self.spare_mut()
    }

    /// The room after the initialised bytes.
    pub(crate) fn spare_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        // SAFETY: bytes `len..capacity` lie inside the allocation, which this block owns.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.ptr.as_ptr().add(self.len).cast::<MaybeUninit<u8>>(),
                self.capacity - self.len,
            )
        }
    }

    /// Marks `n` more bytes initialised.
    ///
    /// # Safety
    ///
    /// The first `n` bytes of [`spare_capacity_mut`](Self::spare_capacity_mut) must have been
    /// written.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut block = cfut_processes::backend::Block::with_capacity(2, 1).unwrap();
    /// block.spare_capacity_mut()[0].write(9);
    /// // SAFETY: the first spare byte was just written.
    /// unsafe { block.grow_len(1) };
    /// assert_eq!(block.as_bytes(), [9]);
    /// ```
    pub unsafe fn grow_len(&mut self, n: usize) {
        debug_assert!(n <= self.capacity - self.len);
        self.len += n;
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if self.capacity != 0 {
            // SAFETY: allocated by the global allocator with this very layout (by
            // `with_capacity`, or by the `Vec` it came from).
            unsafe {
                alloc::dealloc(
                    self.ptr.as_ptr(),
                    Layout::from_size_align_unchecked(self.capacity, self.align),
                );
            }
        }
    }
}

impl fmt::Debug for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Block")
            .field("len", &self.len)
            .field("capacity", &self.capacity)
            .field("align", &self.align)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vec_goes_through_a_block_without_a_copy() {
        let values = vec![1.5_f64, -2.0, 3.25];
        let address = values.as_ptr() as usize;
        // SAFETY: f64 is a primitive number.
        let block = unsafe { Block::from_vec(values) };
        assert_eq!((block.len(), block.align()), (24, 8));
        assert_eq!(&block.bytes()[..8], 1.5_f64.to_ne_bytes());
        // SAFETY: as above.
        let back = unsafe { block.into_vec::<f64>() }.unwrap();
        assert_eq!(back, [1.5, -2.0, 3.25]);
        assert_eq!(back.as_ptr() as usize, address);
    }

    #[test]
    fn a_block_is_filled_then_becomes_a_vec_of_its_alignment_only() {
        let mut block = Block::with_capacity(8, 4).unwrap();
        assert_eq!(block.extend_from_slice(&[1, 0, 0, 0, 2]), 5);
        assert!(!block.is_full());
        let spare = block.spare_mut();
        assert_eq!(spare.len(), 3);
        for byte in spare.iter_mut() {
            byte.write(0);
        }
        // SAFETY: the 3 spare bytes were just written.
        unsafe { block.grow_len(3) };
        assert!(block.is_full());
        assert_eq!(block.extend_from_slice(&[9]), 0, "no room left");
        // SAFETY: u32 is a primitive number.
        assert_eq!(unsafe { block.into_vec::<u32>() }, Some(vec![1, 2]));

        let block = Block::with_capacity(8, 4).unwrap();
        // SAFETY: u64 is a primitive number.
        let refused = unsafe { block.into_vec::<u64>() };
        assert_eq!(refused, None, "alignment 4 is not u64's");
        assert!(Block::with_capacity(8, 3).is_none());
        assert!(Block::with_capacity(8, 32).is_none());
    }

    #[test]
    fn an_empty_block_allocates_nothing() {
        let block = Block::with_capacity(0, 16).unwrap();
        assert!(block.is_full());
        // SAFETY: u128 is a primitive number.
        let empty = unsafe { block.into_vec::<u128>() }.unwrap();
        assert!(empty.is_empty());
    }
}
