//! The funnel's cells counted from the kernel's states: in place of the
//! per-application frame when the funnel query is the only query over it
//! (an audit without exits, panels or scores; `rung counts`), else beside
//! it, keyed by the vacancies' panel types too (see `PanelCodes`).
//!
//! The frame would be built (a dozen columns of every application), its
//! reach flags computed and then grouped by polars into some 0.2M cells:
//! in the 10M national funnel the grouping alone was about 7% of the CPU
//! (perf: `TotalIndexMap::entry`, `update_groups_while_evicting`). Here
//! each application's keys are packed as the funnel query packs them
//! ([`PackedKey`]) and its values added into its cell straight away; the
//! result has the funnel query's columns, types and values (the tests
//! hold the two to each other).

use polars::prelude::*;

use super::partitioned::{Grouped, State};
use crate::counts::funnel::{FUNNEL_VALUES, funnel_keys};
use crate::counts::packed_key::PackedKey;
use crate::counts::text_codes::codes;

/// Rows packed at a time: their keys stay in the cache between the
/// columns' sweeps.
const BLOCK: usize = 8192;

/// How many rows ahead a cell's slot is prefetched.
const PREFETCH_AHEAD: usize = 16;

/// The funnel's keys the kernel computes (three flags and the stage
/// reached); the others are the applications' columns.
const COMPUTED: [&str; 4] = ["in_apps", "id_missing", "has_stage", "reached"];

/// The packing of the funnel's keys over `apps` (the kernel's read of the
/// applications) by `by`, or `None` when they do not fit one number
/// (then the frame is built and grouped by polars).
pub(super) fn packing(apps: &DataFrame, by: &[String]) -> Option<PackedKey> {
    let names = funnel_keys(by);
    let mut schema = Schema::default();
    for &name in &names {
        let dtype = match name {
            "reached" => DataType::Int32,
            flag if COMPUTED.contains(&flag) => DataType::Boolean,
            _ => apps.column(name).ok()?.dtype().clone(),
        };
        schema.insert(name.into(), dtype);
    }
    PackedKey::new(&schema, &names, &[("reached", 8)])
}

/// A cell's values, in the order of [`FUNNEL_VALUES`]. (In 32 bits: a
/// slice holds fewer rows than that, see `partitioned::TOO_MANY_ROWS`.)
type Values = [u32; 5];

/// A slot of [`Cells`]: a packed key and its cell's values (32 bytes,
/// so a lookup mostly touches one cache line).
#[derive(Clone, Copy)]
struct Slot {
    key: u64,
    values: Values,
}

/// No cell: a packed key never has every bit set (a null key's value
/// bits are clear).
const EMPTY: u64 = u64::MAX;

/// Cells by packed key, in an open-addressing table (linear probing, at
/// most 5/8 full): a map of keys to indices beside a vector of values
/// took two lookups a row, each likely a miss in the cache, and was an
/// eighth of the 10M national funnel's CPU.
struct Cells {
    slots: Vec<Slot>,
    len: usize,
    /// A sum passed 32 bits (more rows than a slice may hold).
    overflowed: bool,
}

impl Cells {
    fn new() -> Cells {
        Cells {
            slots: vec![
                Slot {
                    key: EMPTY,
                    values: [0; 5]
                };
                1 << 12
            ],
            len: 0,
            overflowed: false,
        }
    }

    fn add(&mut self, key: u64, values: Values) {
        let mask = self.slots.len() - 1;
        let mut i = Self::home(key, mask);
        loop {
            let slot = &mut self.slots[i];
            if slot.key == key {
                for (sum, v) in slot.values.iter_mut().zip(values) {
                    let (added, over) = sum.overflowing_add(v);
                    *sum = added;
                    self.overflowed |= over;
                }
                return;
            }
            if slot.key == EMPTY {
                *slot = Slot { key, values };
                self.len += 1;
                if self.len * 8 > self.slots.len() * 5 {
                    self.grow();
                }
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Asks for the cache line of `key`'s home slot, to be added soon.
    fn prefetch(&self, key: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let slot = &self.slots[Self::home(key, self.slots.len() - 1)];
            // SAFETY: a prefetch reads nothing and faults on nothing; the
            // address is a slot's.
            unsafe { _mm_prefetch::<_MM_HINT_T0>((slot as *const Slot).cast::<i8>()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = key;
    }

    /// The slot a key is looked for from: its hash's top bits.
    fn home(key: u64, mask: usize) -> usize {
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize & mask
    }

    fn grow(&mut self) {
        let larger = vec![
            Slot {
                key: EMPTY,
                values: [0; 5]
            };
            self.slots.len() * 2
        ];
        let old = std::mem::replace(&mut self.slots, larger);
        self.len = 0;
        for slot in old.into_iter().filter(|s| s.key != EMPTY) {
            self.add(slot.key, slot.values);
        }
    }

    fn merge(&mut self, other: Cells) {
        self.overflowed |= other.overflowed;
        for slot in other.slots.into_iter().filter(|s| s.key != EMPTY) {
            self.add(slot.key, slot.values);
        }
    }

    /// The cells, in no particular order.
    fn into_cells(self) -> impl Iterator<Item = Slot> {
        self.slots.into_iter().filter(|s| s.key != EMPTY)
    }
}

/// The error for a key that does not fit its bits: a category made after
/// the packing was planned, or a rank past a byte.
fn outgrown(name: &str) -> PolarsError {
    polars_err!(ComputeError: "the funnel's key '{name}' outgrew the bits planned for it")
}

/// The funnel query's result on the frame the kernel's `grouped` states
/// and `apps` would make (the applications rows' states in their order,
/// then the ids only the events have), as [`packing`] packs its keys. The
/// ids only the events have are null in every column of the applications
/// but `orphans`' one, which the frame gives them as this code (the panel
/// type of a vacancy without a panel).
pub(super) fn funnel_cells(
    apps: &DataFrame,
    grouped: &Grouped,
    by: &[String],
    packing: &PackedKey,
    orphans: Option<(&str, u32)>,
) -> PolarsResult<DataFrame> {
    let names = funnel_keys(by);
    let field = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .expect("a key of the funnel")
    };
    // The key columns the applications give: their codes, in the order of
    // the packing's fields.
    let coded: Vec<(usize, UInt32Chunked)> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| !COMPUTED.contains(n))
        .map(|(i, n)| Ok((i, codes(apps.column(n)?)?)))
        .collect::<PolarsResult<_>>()?;
    let rank = |name: &str| -> PolarsResult<Option<Int32Chunked>> {
        match apps.column(name) {
            Ok(c) => Ok(Some(
                c.as_materialized_series()
                    .cast(&DataType::Int32)?
                    .i32()?
                    .clone(),
            )),
            Err(_) => Ok(None),
        }
    };
    let (app_rank, outcome_rank) = (rank("app_rank")?, rank("outcome_rank")?);
    let id_missing = apps.column("id_missing")?.bool()?;
    let fields = Fields {
        in_apps: field("in_apps"),
        id_missing: field("id_missing"),
        has_stage: field("has_stage"),
        reached: field("reached"),
    };
    let rows = apps.height();
    if grouped.applications.len() != rows {
        polars_bail!(ComputeError: "the kernel's states are not the applications rows'");
    }
    // What the flags an applications row always has add to its key.
    let in_apps = packing.part(fields.in_apps, Some(1)).expect("a flag fits");
    let missing =
        [Some(0), Some(1)].map(|v| packing.part(fields.id_missing, v).expect("a flag fits"));
    let sweep = |from: usize, to: usize| -> PolarsResult<Cells> {
        let mut cells = Cells::new();
        let mut keys = vec![0u64; BLOCK];
        let mut ranks: Vec<(Option<i32>, Option<i32>)> = vec![(None, None); BLOCK];
        let mut start = from;
        while start < to {
            let len = BLOCK.min(to - start);
            let keys = &mut keys[..len];
            let ranks = &mut ranks[..len];
            keys.fill(in_apps);
            for (key, id_missing) in keys
                .iter_mut()
                .zip(id_missing.slice(start as i64, len).iter())
            {
                *key += missing[usize::from(id_missing == Some(true))];
            }
            for (i, codes) in &coded {
                let codes = codes.slice(start as i64, len);
                for (key, code) in keys.iter_mut().zip(codes.iter()) {
                    *key += packing
                        .part(*i, code.map(u64::from))
                        .ok_or_else(|| outgrown(names[*i]))?;
                }
            }
            ranks.fill((None, None));
            for (column, which) in [(&app_rank, 0), (&outcome_rank, 1)] {
                let Some(column) = column else { continue };
                let values = column.slice(start as i64, len);
                for (r, v) in ranks.iter_mut().zip(values.iter()) {
                    match which {
                        0 => r.0 = v,
                        _ => r.1 = v,
                    }
                }
            }
            let states = &grouped.applications[start..start + len];
            for ((key, state), (app_rank, outcome_rank)) in keys.iter_mut().zip(states).zip(ranks) {
                let event_rank = (state.n_events > 0).then_some(i32::from(state.rank));
                *key += fields.reach(packing, event_rank, *app_rank, *outcome_rank)?;
            }
            // Each cell's slot is asked of the memory a few rows ahead of
            // its adding: the table outgrows the core's caches, and a row
            // waited on a miss.
            for (i, (key, state)) in keys.iter().zip(states).enumerate() {
                if let Some(ahead) = keys.get(i + PREFETCH_AHEAD) {
                    cells.prefetch(*ahead);
                }
                let app_rows = if state.repeated { 2 } else { 1 };
                cells.add(*key, values(state, app_rows));
            }
            start += len;
        }
        Ok(cells)
    };
    let half = rows / 2;
    let (cells, other) = std::thread::scope(|scope| {
        let other = scope.spawn(|| sweep(half, rows));
        (
            sweep(0, half),
            other.join().expect("the counting thread does not panic"),
        )
    });
    let mut cells = cells?;
    cells.merge(other?);
    // The ids only the events have: no applications row (so not in the
    // applications, with no label or breakdown values), an id, a stage.
    let no_app = packing.part(fields.in_apps, Some(0)).expect("a flag fits")
        + packing
            .part(fields.id_missing, Some(0))
            .expect("a flag fits")
        + coded
            .iter()
            .map(|(i, _)| {
                let code = orphans
                    .filter(|(name, _)| names[*i] == *name)
                    .map(|(_, code)| u64::from(code));
                packing.part(*i, code).ok_or_else(|| outgrown(names[*i]))
            })
            .sum::<PolarsResult<u64>>()?;
    for orphan in &grouped.orphans {
        let event_rank = Some(i32::from(orphan.state.rank));
        let key = no_app + fields.reach(packing, event_rank, None, None)?;
        cells.add(key, values(&orphan.state, 0));
    }
    if cells.overflowed {
        polars_bail!(ComputeError: "more than 4,294,967,295 rows in one slice's cell: give a smaller --memory");
    }
    let cells: Vec<Slot> = cells.into_cells().collect();
    let keys: Vec<u64> = cells.iter().map(|c| c.key).collect();
    let columns = FUNNEL_VALUES
        .iter()
        .enumerate()
        .map(|(v, name)| {
            let values = cells.iter().map(|c| u64::from(c.values[v])).collect();
            UInt64Chunked::from_vec((*name).into(), values).into_column()
        })
        .collect();
    packing.unpacked(&keys, columns)
}

/// An application's (or orphan's) values, with its applications rows.
fn values(state: &State, app_rows: u32) -> Values {
    [
        u32::from(state.collided),
        1,
        app_rows,
        state.n_events,
        state.distinct_codes(),
    ]
}

/// The packing's fields the kernel computes rather than reads.
struct Fields {
    in_apps: usize,
    id_missing: usize,
    has_stage: usize,
    reached: usize,
}

impl Fields {
    /// What `has_stage` and `reached` add to a key, as the frame's reach
    /// flags compute them (`frame::with_reach`): a stage from the events,
    /// else furthest_stage, else applied; raised by the outcome.
    fn reach(
        &self,
        packing: &PackedKey,
        event_rank: Option<i32>,
        app_rank: Option<i32>,
        outcome_rank: Option<i32>,
    ) -> PolarsResult<u64> {
        let has_stage = event_rank.is_some() || app_rank.is_some() || outcome_rank.is_some();
        let base = event_rank.or(app_rank).unwrap_or(0);
        let reached = match outcome_rank {
            Some(outcome) if outcome > base => outcome,
            _ => base,
        };
        let reached = u64::try_from(reached).map_err(|_| outgrown("reached"))?;
        Ok(packing
            .part(self.has_stage, Some(u64::from(has_stage)))
            .expect("a flag fits")
            + packing
                .part(self.reached, Some(reached))
                .ok_or_else(|| outgrown("reached"))?)
    }
}
