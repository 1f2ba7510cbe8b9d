//! Buffers of doubles that start on a cache line: the network kernel loads and stores whole
//! AVX-512 registers (64 bytes) at multiples of eight doubles from a buffer's start, and from a
//! start the allocator places on 16 bytes every one of them straddles two cache lines.

use std::ops::{Deref, DerefMut};

/// Eight doubles on a 64-byte boundary: the unit a [`Lines`] is allocated in.
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, align(64))]
struct Line([f64; 8]);

/// `len` doubles starting on a cache line, read and written as a slice.
#[derive(Debug, Clone)]
pub(super) struct Lines {
    lines: Vec<Line>,
    len: usize,
}

impl Lines {
    /// `len` zeros.
    pub(super) fn zeros(len: usize) -> Self {
        Self {
            lines: vec![Line::default(); len.div_ceil(8)],
            len,
        }
    }
}

impl Deref for Lines {
    type Target = [f64];

    #[inline(always)]
    fn deref(&self) -> &[f64] {
        &bytemuck::cast_slice(&self.lines)[..self.len]
    }
}

impl DerefMut for Lines {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [f64] {
        &mut bytemuck::cast_slice_mut(&mut self.lines)[..self.len]
    }
}
