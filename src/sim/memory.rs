//! Reading and writing memory scattered over N: asking for it early, and
//! letting parallel tasks write an array at indices that no split into
//! slices can give them.

/// How many items ahead a pass through scattered data asks for what it will
/// read (the pass in id order, the cell list's gather of positions).
pub(crate) const PREFETCH_AHEAD: usize = 16;

/// Asks the processor to bring `value` into the cache (a hint: no effect on results).
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T) {
    prefetch_at(value as *const T);
}

/// [`prefetch`] of what `at` points to (it is not dereferenced).
#[inline(always)]
fn prefetch_at<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing the program sees and cannot fault.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// An array that the tasks of one parallel section write at distinct
/// indices, each index by one task at most (which a split into slices
/// cannot express when the indices lie scattered).
pub(crate) struct Scatter<'a, T> {
    ptr: *mut T,
    len: usize,
    _borrow: std::marker::PhantomData<&'a mut [T]>,
}

// SAFETY: a Scatter hands out `&mut T` only through `at`, whose callers
// promise that no two tasks ask for the same index; T: Send lets those
// references live on other threads.
unsafe impl<T: Send> Sync for Scatter<'_, T> {}

impl<'a, T> Scatter<'a, T> {
    pub(crate) fn new(values: &'a mut [T]) -> Self {
        Self { ptr: values.as_mut_ptr(), len: values.len(), _borrow: std::marker::PhantomData }
    }

    /// Entry `i`.
    ///
    /// # Safety
    /// No other task of the section reads or writes entry `i`, and this
    /// task holds no other reference to it.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn at(&self, i: usize) -> &mut T {
        assert!(i < self.len, "index {i} past {}", self.len);
        // SAFETY: in bounds (above); exclusive by the caller's promise.
        unsafe { &mut *self.ptr.add(i) }
    }

    /// Asks the processor for entry `i` (a hint: reads nothing).
    #[inline(always)]
    pub(crate) fn prefetch(&self, i: usize) {
        if i < self.len {
            prefetch_at(self.ptr.wrapping_add(i));
        }
    }
}
