//! The running sums' partitions: one partition's cells, and a slice's
//! rows dealt into the partitions by the top bits of their key's hash (see
//! [`super::RunningSums`]).

use hashbrown::HashTable;

/// A null key's word (its null bit says it is null).
const NULL_WORD: u32 = 0;

/// Cells to a block: a block's records and sums are a few kilobytes each.
const BLOCK: usize = 256;

/// One partition's cells, in blocks of [`BLOCK`] cells that are filled
/// and never moved: a partition's vectors grown and shrunk as slices
/// added cells left the memory they moved from to the allocator, which
/// kept it, and the 10M audit's resident memory grew 150 MB by its last
/// slice.
#[derive(Default)]
pub(super) struct Cells {
    /// Each cell's key words (a null is `NULL_WORD`) and then its null
    /// keys, one bit per key column: `width` words a cell.
    records: Vec<Vec<u32>>,
    /// Each cell's sums, `n_sums` a cell.
    totals: Vec<Vec<u64>>,
    /// How many cells.
    len: usize,
    /// Cell numbers by the hash of their key.
    table: HashTable<u32>,
}

impl Cells {
    /// How many cells.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Lets go of the look-up table, when only the cells are read.
    pub(super) fn drop_table(&mut self) {
        self.table = HashTable::new();
    }

    /// The cells' key records, of `width` words, in the order they came.
    pub(super) fn records(&self, width: usize) -> impl Iterator<Item = &[u32]> {
        self.records.iter().flat_map(move |b| b.chunks_exact(width))
    }

    /// The cells' sums, `n_sums` a cell, in the order they came.
    pub(super) fn totals(&self, n_sums: usize) -> impl Iterator<Item = &[u64]> {
        self.totals.iter().flat_map(move |b| b.chunks_exact(n_sums))
    }

    /// Adds one row, of key `record` (its `hash_words` is `hash`) and sums
    /// `values` (Float64 bits where `floats` says), to its cell, a new one
    /// if it has none.
    pub(super) fn add(&mut self, hash: u64, record: &[u32], values: &[u64], floats: &[bool]) {
        let (width, n_sums) = (record.len(), values.len());
        let hash = in_partition(hash);
        let found = self.table.find(hash, |&cell| {
            same(record_of(&self.records, cell, width), record)
        });
        match found {
            Some(&cell) => {
                let (cell, at) = (cell as usize, (cell as usize % BLOCK) * n_sums);
                let totals = &mut self.totals[cell / BLOCK][at..at + n_sums];
                for ((total, &value), &float) in totals.iter_mut().zip(values).zip(floats) {
                    *total = match float {
                        true => (f64::from_bits(*total) + f64::from_bits(value)).to_bits(),
                        false => *total + value,
                    };
                }
            }
            None => {
                if self.len.is_multiple_of(BLOCK) {
                    self.records.push(Vec::with_capacity(BLOCK * width));
                    self.totals.push(Vec::with_capacity(BLOCK * n_sums));
                }
                let block = self.len / BLOCK;
                self.records[block].extend_from_slice(record);
                self.totals[block].extend_from_slice(values);
                let cell = self.len as u32;
                self.len += 1;
                let (records, table) = (&self.records, &mut self.table);
                table.insert_unique(hash, cell, |&c| {
                    in_partition(hash_words(record_of(records, c, width)))
                });
            }
        }
    }
}

/// Cell `cell`'s key record, of `width` words, in `records` (blocks of
/// [`BLOCK`] cells).
fn record_of(records: &[Vec<u32>], cell: u32, width: usize) -> &[u32] {
    let cell = cell as usize;
    let at = (cell % BLOCK) * width;
    &records[cell / BLOCK][at..at + width]
}

/// The hash of a cell's record (key words and null bits).
fn hash_words(words: &[u32]) -> u64 {
    let mut h = 0u64;
    for &w in words {
        h = (h ^ u64::from(w))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
    h ^ (h >> 32)
}

/// The hash a partition's table files a cell by. The partition is the
/// hash's top bits, which the table would read too (hashbrown tags each
/// slot with the top seven): turned so they are the middle bits, which
/// neither reads.
fn in_partition(hash: u64) -> u64 {
    hash.rotate_left(32)
}

/// Whether two records are the same words: compared in a loop (a record
/// is a few words; `==` on slices calls `memcmp`, a tenth of the adding's
/// time).
fn same(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// One slice's rows dealt into partitions: each row's record (see
/// [`Cells`]), its sums and its hash, partition after partition, rows in
/// their order within each.
pub(super) struct Dealt {
    width: usize,
    n_sums: usize,
    records: Vec<u32>,
    values: Vec<u64>,
    hashes: Vec<u64>,
    /// Where each partition's rows start, and the end.
    starts: Vec<usize>,
}

impl Dealt {
    /// Deals the `height` rows of `key_words` (a column's words each) and
    /// `values` (a sum's each) into `parts` partitions, by the top bits of
    /// their hash.
    pub(super) fn deal(
        key_words: &[Vec<Option<u32>>],
        values: &[Vec<u64>],
        height: usize,
        parts: usize,
    ) -> Dealt {
        let width = key_words.len() + 1;
        let bits = parts.trailing_zeros();
        let part_of = |hash: u64| match bits {
            0 => 0,
            _ => (hash >> (64 - bits)) as usize,
        };
        // The records in the rows' order, and the partitions' sizes.
        let mut records = vec![0u32; height * width];
        let mut hashes = Vec::with_capacity(height);
        let mut starts = vec![0usize; parts + 1];
        for (row, record) in records.chunks_exact_mut(width).enumerate() {
            let mut nulls = 0u32;
            for (k, column) in key_words.iter().enumerate() {
                record[k] = match column[row] {
                    Some(w) => w,
                    None => {
                        nulls |= 1 << k;
                        NULL_WORD
                    }
                };
            }
            record[width - 1] = nulls;
            let hash = hash_words(record);
            hashes.push(hash);
            starts[part_of(hash) + 1] += 1;
        }
        for p in 0..parts {
            starts[p + 1] += starts[p];
        }
        // Then moved to their partitions' places.
        let n_sums = values.len();
        let mut dealt = Dealt {
            width,
            n_sums,
            records: vec![0u32; height * width],
            values: vec![0u64; height * n_sums],
            hashes: vec![0u64; height],
            starts,
        };
        let mut next = dealt.starts.clone();
        for (row, &hash) in hashes.iter().enumerate() {
            let p = part_of(hash);
            let to = next[p];
            next[p] += 1;
            dealt.records[to * width..(to + 1) * width]
                .copy_from_slice(&records[row * width..(row + 1) * width]);
            for (s, column) in values.iter().enumerate() {
                dealt.values[to * n_sums + s] = column[row];
            }
            dealt.hashes[to] = hash;
        }
        dealt
    }

    /// Partition `p`'s rows: each one's hash, record and sums.
    pub(super) fn rows(&self, p: usize) -> impl Iterator<Item = (u64, &[u32], &[u64])> {
        let (width, n_sums) = (self.width, self.n_sums);
        (self.starts[p]..self.starts[p + 1]).map(move |row| {
            (
                self.hashes[row],
                &self.records[row * width..(row + 1) * width],
                &self.values[row * n_sums..(row + 1) * n_sums],
            )
        })
    }
}
