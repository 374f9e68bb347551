//! [`Inputs`]: a `map`'s input iterator behind one virtual call per group, not per input.
//!
//! A `map` keeps its inputs as a trait object (its type names only `A` and `T`). Taken one
//! `next()` at a time, a group of 2048 no-op calls cost 2048 virtual calls, each through the
//! box into the iterator's own `next` (`Box<I>::next` and `Range::next` were a fifth of the
//! samples of `perf record` on `map_100k_grouped`, on the thread that reads the results too).
//! [`Inputs::take_into`] moves up to `n` inputs in one call, a loop compiled for the
//! iterator's own type.

/// An input iterator that can hand over many inputs in one call.
pub(crate) trait Inputs<A>: Iterator<Item = A> {
    /// Appends up to `n` inputs to `out` (fewer once the iterator is exhausted).
    fn take_into(&mut self, n: usize, out: &mut Vec<A>);
}

impl<I: Iterator> Inputs<I::Item> for I {
    fn take_into(&mut self, n: usize, out: &mut Vec<I::Item>) {
        out.extend(self.by_ref().take(n));
    }
}

#[cfg(test)]
mod tests {
    use super::Inputs;

    #[test]
    fn takes_up_to_n_then_what_is_left() {
        let mut inputs: Box<dyn Inputs<u32>> = Box::new(0..5);
        let mut out = Vec::new();
        inputs.take_into(3, &mut out);
        assert_eq!(out, [0, 1, 2]);
        inputs.take_into(3, &mut out);
        assert_eq!(out, [0, 1, 2, 3, 4]);
        assert_eq!(inputs.next(), None);
    }
}
