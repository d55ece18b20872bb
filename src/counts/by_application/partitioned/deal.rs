//! The kernel's counting sort: rows dealt into partitions by their
//! key's top bits, on two threads, each piece of rows let go of once
//! dealt.

use std::mem::MaybeUninit;
use std::thread;

use super::Release;

/// Items dealt into partitions: partition p's are `items[starts[p]..starts[p + 1]]`.
pub(super) struct Dealt<T> {
    pub items: Vec<T>,
    pub starts: Vec<usize>,
}

impl<T> Dealt<T> {
    pub fn of(&self, p: usize) -> &[T] {
        &self.items[self.starts[p]..self.starts[p + 1]]
    }
}

/// Deals the rows of `pieces` (of `len` rows each; those `keep` keeps)
/// into 2^`bits` partitions by `partition`, each as `item` makes it (from
/// its piece, its index in the piece, and its row among all), keeping
/// their order within a partition (a counting sort). The pieces are cut in
/// two halves, dealt on two threads, each into its own share of every
/// partition (the first half's first). Each piece is let go of once dealt
/// and its memory `release`d, so pieces that own their rows are not held
/// beside all the dealt items; and the items' memory is written once, not
/// cleared first, so a page is taken only as it is written.
pub(super) fn deal<P: Send + Sync, T: Copy + Send>(
    mut pieces: Vec<P>,
    bits: u32,
    len: impl Fn(&P) -> usize,
    keep: impl Fn(&P, usize) -> bool + Sync,
    partition: impl Fn(&P, usize) -> usize + Sync,
    item: impl Fn(&P, usize, usize) -> T + Sync,
    release: Release,
) -> Dealt<T> {
    let partitions = 1usize << bits;
    let mut offsets = vec![0usize];
    for piece in &pieces {
        offsets.push(offsets[offsets.len() - 1] + len(piece));
    }
    let cut = halfway(&offsets);
    let halves = [0..cut, cut..pieces.len()];
    let counts = both(|h| {
        let mut counts = vec![0usize; partitions];
        for p in halves[h].clone() {
            let piece = &pieces[p];
            for i in 0..offsets[p + 1] - offsets[p] {
                if keep(piece, i) {
                    counts[partition(piece, i)] += 1;
                }
            }
        }
        counts
    });
    let mut starts = vec![0usize; partitions + 1];
    for p in 0..partitions {
        starts[p + 1] = starts[p] + counts[0][p] + counts[1][p];
    }
    let total = starts[partitions];
    let mut items: Vec<T> = Vec::with_capacity(total);
    // Each half's share of each partition, in turn.
    let mut shares: [Vec<&mut [MaybeUninit<T>]>; 2] = [Vec::new(), Vec::new()];
    let mut rest = &mut items.spare_capacity_mut()[..total];
    for (first, second) in counts[0].iter().zip(&counts[1]) {
        for (share, n) in shares.iter_mut().zip([first, second]) {
            let (mine, after) = rest.split_at_mut(*n);
            share.push(mine);
            rest = after;
        }
    }
    let [first, second] = shares;
    let second_pieces = pieces.split_off(cut);
    let fill = |pieces: Vec<P>, from: usize, mut share: Vec<&mut [MaybeUninit<T>]>| {
        let mut next = vec![0usize; partitions];
        for (p, piece) in (from..).zip(pieces) {
            for i in 0..offsets[p + 1] - offsets[p] {
                if keep(&piece, i) {
                    let part = partition(&piece, i);
                    share[part][next[part]].write(item(&piece, i, offsets[p] + i));
                    next[part] += 1;
                }
            }
            drop(piece);
            release();
        }
        next
    };
    let filled = thread::scope(|scope| {
        let other = scope.spawn(|| fill(second_pieces, cut, second));
        let first = fill(pieces, 0, first);
        [
            first,
            other.join().expect("the dealing thread does not panic"),
        ]
    });
    // Each half wrote as many items to each partition as it counted, into
    // a share of that many.
    assert_eq!(filled, counts, "the pieces' rows changed while dealt");
    // SAFETY: the shares cover items[..total] without overlap, and every
    // item of each was written (the assertion above).
    unsafe { items.set_len(total) };
    Dealt { items, starts }
}

/// Where pieces ending at `offsets` (the first 0) are cut in two halves:
/// at the end of a piece, as near as can be to half of all the rows.
fn halfway(offsets: &[usize]) -> usize {
    let half = offsets[offsets.len() - 1] / 2;
    (0..offsets.len())
        .min_by_key(|&i| offsets[i].abs_diff(half))
        .expect("at least the offset 0")
}

/// `work(0)` and `work(1)`, on two threads.
fn both<R: Send>(work: impl Fn(usize) -> R + Sync) -> [R; 2] {
    thread::scope(|scope| {
        let other = scope.spawn(|| work(1));
        let first = work(0);
        [
            first,
            other.join().expect("the second thread does not panic"),
        ]
    })
}
