//! One slice's applications rows and stage events grouped by the 64-bit
//! hash of their id, in rung's own hash tables.
//!
//! polars' generic grouping of the stacked rows (a table of every key,
//! one reduction per column) was a third of the counting pass's CPU. Here
//! the rows are dealt into partitions by the top bits of their key, so
//! each partition's table stays in cache; an application's state is a few
//! bytes; and the two halves of the partitions are grouped on two
//! threads. Under the hashed plan each application has one row, so the
//! applications rows are the groups: their columns need no reduction, and
//! only what the events add is computed here.

use std::ops::Deref;
use std::thread;

use deal::{Dealt, deal};

mod deal;

/// An event's stage comes as its rank shifted by this many bits, plus
/// its code: codes are below 2^CODE_BITS (a bit each in the state's
/// `codes`); more take the exact plan.
pub(crate) const CODE_BITS: u32 = 4;

/// No row: the state's `first_on` before an event with a date is met.
const NONE: u32 = u32::MAX;

/// At most this many applications to a partition, about: their table
/// (16 bytes a slot, half full) and states stay within a core's cache.
const APPLICATIONS_A_PARTITION: usize = 4096;

/// At most this many partitions: dealing rows into more write streams
/// than this thrashes the TLB, and the partitions' tables outgrow the
/// cache a little instead.
const MAX_PARTITION_BITS: u32 = 11;

/// The applications rows of one slice, in pieces (the chunks polars
/// read them in: taken as they are, not copied into one).
pub(crate) struct Applications<'a> {
    pub pieces: Vec<AppRows<'a>>,
}

/// A piece of the applications rows.
pub(crate) struct AppRows<'a> {
    /// Each row's key (the hash of its id); ignored where `has_key` is
    /// false.
    pub keys: &'a [u64],
    /// Each row's second hash of its id.
    pub checks: &'a [u32],
    /// Whether a row has an id (`None`: all have).
    pub has_key: Option<Vec<bool>>,
}

/// Hands freed memory back to the system (or does nothing): called as
/// the kernel lets large parts go, when the memory budget counts on it.
pub(crate) type Release<'a> = &'a (dyn Fn() + Sync);

/// An event's date by its row among all the pieces' (for an event at the
/// dated rank that has one).
pub(crate) type DateOf<'a> = dyn Fn(usize) -> Option<&'a str> + Sync + 'a;

/// A piece of the stage events: its columns borrowed (`&[u64]`), or
/// held (polars' buffers), and then let go of as soon as it is dealt.
pub(crate) struct EventRows<K, C> {
    pub keys: K,
    pub checks: C,
    /// The stage's ladder rank shifted left by [`CODE_BITS`], plus its
    /// code.
    pub stages: C,
}

impl<K: Deref<Target = [u64]>, C: Deref<Target = [u32]>> EventRows<K, C> {
    /// The piece with its columns borrowed.
    fn borrowed(&self) -> EventRows<&[u64], &[u32]> {
        EventRows {
            keys: &self.keys,
            checks: &self.checks,
            stages: &self.stages,
        }
    }
}

/// What an application's events add up to (or an id's that only the
/// events have).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct State {
    /// Its events.
    pub n_events: u32,
    /// The event row with the earliest date, or `NONE`.
    pub first_on: u32,
    /// One bit per stage code among its events.
    pub codes: u16,
    /// The highest rank among its events (when it has any).
    pub rank: u8,
    /// An event's second hash differs from the application's (or from
    /// another event's): two ids share the key.
    pub collided: bool,
    /// Another applications row has its key.
    pub repeated: bool,
}

impl Default for State {
    fn default() -> State {
        State {
            n_events: 0,
            first_on: NONE,
            codes: 0,
            rank: 0,
            collided: false,
            repeated: false,
        }
    }
}

impl State {
    /// The event row with the earliest date, if any event had one.
    pub fn first_dated(&self) -> Option<usize> {
        (self.first_on != NONE).then_some(self.first_on as usize)
    }

    /// The number of distinct stage codes among its events.
    pub fn distinct_codes(&self) -> u32 {
        self.codes.count_ones()
    }

    fn add(&mut self, event: &Packed, row: u32, date: Option<&DateOf>) {
        self.rank = match self.n_events {
            0 => event.rank,
            _ => self.rank.max(event.rank),
        };
        self.n_events += 1;
        self.codes |= 1 << event.code;
        if let Some(date) = date
            && let Some(on) = date(row as usize)
        {
            let earlier = match self.first_dated() {
                None => true,
                Some(first) => date(first).is_none_or(|d| on < d),
            };
            if earlier {
                self.first_on = row;
            }
        }
    }
}

/// An id only the events have.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Orphan {
    pub key: u64,
    /// The smallest second hash among its events.
    pub check: u32,
    pub state: State,
}

/// The grouping's result.
pub(crate) struct Grouped {
    /// Each applications row's state, in their order (default for rows
    /// without an id).
    pub applications: Vec<State>,
    /// The ids only the events have, in no particular order.
    pub orphans: Vec<Orphan>,
}

/// An applications row dealt into its partition.
#[derive(Clone, Copy, Default)]
struct App {
    key: u64,
    check: u32,
    row: u32,
}

/// An event dealt into its partition, with what the grouping reads of it:
/// 14 bytes, not 16 (unaligned, which costs x86 nothing measurable).
#[derive(Clone, Copy, Default)]
#[repr(C, packed)]
struct Packed {
    key: u64,
    check: u32,
    rank: u8,
    code: u8,
}

/// The events dealt into partitions (see [`deal_events`]).
pub(crate) struct DealtEvents {
    bits: u32,
    packed: Dealt<Packed>,
    /// Their row numbers, in the same order, for their dates.
    rows: Option<Dealt<u32>>,
}

/// Deals the events into 2^`bits` partitions, letting go of each piece
/// once it is dealt (and `release`-ing its memory), with their row
/// numbers when `dated`. Errors (as text) when a rank is out of the range
/// the state holds, or there are more rows than 32-bit row numbers reach.
pub(crate) fn deal_events<K, C>(
    pieces: Vec<EventRows<K, C>>,
    bits: u32,
    dated: bool,
    release: Release,
) -> Result<DealtEvents, String>
where
    K: Deref<Target = [u64]> + Send + Sync,
    C: Deref<Target = [u32]> + Send + Sync,
{
    if pieces.iter().map(|p| p.keys.len()).sum::<usize>() > NONE as usize {
        return Err(TOO_MANY_ROWS.to_string());
    }
    for piece in &pieces {
        if let Some(stage) = piece.stages.iter().find(|s| **s >> CODE_BITS > 255) {
            return Err(format!("stage rank {} out of range", stage >> CODE_BITS));
        }
    }
    // The row numbers are dealt apart (they would take a half more memory
    // in each packed event): the pieces are let go of with the second.
    let (packed, rows) = match dated {
        false => (deal_packed(pieces, bits, release), None),
        true => {
            let borrowed = pieces.iter().map(EventRows::borrowed).collect();
            let packed = deal_packed(borrowed, bits, release);
            let rows = deal(
                pieces,
                bits,
                |p| p.keys.len(),
                |_, _| true,
                |p, i| partition_of(p.keys[i], bits),
                |_, _, row| row as u32,
                release,
            );
            (packed, Some(rows))
        }
    };
    Ok(DealtEvents { bits, packed, rows })
}

/// The events of `pieces` packed and dealt (their ranks in range).
fn deal_packed<K, C>(pieces: Vec<EventRows<K, C>>, bits: u32, release: Release) -> Dealt<Packed>
where
    K: Deref<Target = [u64]> + Send + Sync,
    C: Deref<Target = [u32]> + Send + Sync,
{
    deal(
        pieces,
        bits,
        |p| p.keys.len(),
        |_, _| true,
        |p, i| partition_of(p.keys[i], bits),
        |p, i, _| Packed {
            key: p.keys[i],
            check: p.checks[i],
            rank: (p.stages[i] >> CODE_BITS) as u8,
            code: (p.stages[i] & ((1 << CODE_BITS) - 1)) as u8,
        },
        release,
    )
}

const TOO_MANY_ROWS: &str = "more than 4,294,967,295 rows in one slice: give a smaller --memory";

/// The partition of `key`, of 2^`bits`: its top bits.
fn partition_of(key: u64, bits: u32) -> usize {
    match bits {
        0 => 0,
        _ => (key >> (64 - bits)) as usize,
    }
}

/// The applications rows dealt into partitions (see
/// [`deal_applications`]).
pub(crate) struct DealtApplications {
    dealt: Dealt<App>,
    /// The applications rows, with an id or not.
    rows: usize,
}

/// Deals the applications rows with an id into 2^`bits` partitions (their
/// columns can be let go of after). Errors (as text) when there are more
/// rows than 32-bit row numbers reach.
pub(crate) fn deal_applications(
    apps: &Applications,
    bits: u32,
) -> Result<DealtApplications, String> {
    let rows: usize = apps.pieces.iter().map(|p| p.keys.len()).sum();
    if rows > NONE as usize {
        return Err(TOO_MANY_ROWS.to_string());
    }
    let dealt = deal(
        apps.pieces.iter().collect(),
        bits,
        |p| p.keys.len(),
        |p, i| p.has_key.as_ref().is_none_or(|has| has[i]),
        |p, i| partition_of(p.keys[i], bits),
        |p, i, row| App {
            key: p.keys[i],
            check: p.checks[i],
            row: row as u32,
        },
        &|| {},
    );
    Ok(DealtApplications { dealt, rows })
}

/// Groups the dealt applications rows and events by key (both dealt into
/// as many partitions); `date` gives an event's date by its row, when the
/// events were dealt with theirs. The events' memory is `release`d once
/// they are added up.
pub(crate) fn group(
    apps: DealtApplications,
    events: DealtEvents,
    date: Option<&DateOf>,
    release: Release,
) -> Result<Grouped, String> {
    let bits = events.bits;
    let DealtApplications {
        dealt: dealt_apps,
        rows: app_rows,
    } = apps;
    if dealt_apps.starts.len() != (1 << bits) + 1 {
        return Err("applications and events dealt into different partitions".to_string());
    }
    let mut states = vec![State::default(); dealt_apps.items.len()];
    // Two halves of the partitions, one on each core: their applications
    // (and so their states) and events are contiguous.
    let partitions = 1usize << bits;
    let half = partitions / 2;
    let (first, second) = states.split_at_mut(dealt_apps.starts[half]);
    let date = match events.rows {
        Some(_) => date,
        None => None,
    };
    let orphans = thread::scope(|scope| {
        let (apps, dealt) = (&dealt_apps, (&events.packed, events.rows.as_ref()));
        let work = move |range: std::ops::Range<usize>, states: &mut [State]| {
            group_partitions(range, apps, dealt, date, states)
        };
        let other = scope.spawn(move || work(half..partitions, second));
        let mut orphans = work(0..half, first);
        orphans.extend(other.join().expect("the grouping thread does not panic"));
        orphans
    });
    // The events are added up: their memory (16 bytes an event) is let go
    // of before the states' copy below is made, not after. (At 10M
    // national applications in one slice the peak was here: 1.51 GB.)
    drop(events);
    release();
    // Back in the applications' order, each half of the rows on its own
    // thread.
    let mut applications = vec![State::default(); app_rows];
    let (low, high) = applications.split_at_mut(app_rows / 2);
    let put_back = |into: &mut [State], from: usize| {
        for (app, state) in dealt_apps.items.iter().zip(&states) {
            if let Some(slot) = (app.row as usize)
                .checked_sub(from)
                .and_then(|r| into.get_mut(r))
            {
                *slot = *state;
            }
        }
    };
    thread::scope(|scope| {
        let other = scope.spawn(|| put_back(high, app_rows / 2));
        put_back(low, 0);
        other.join().expect("the thread does not panic");
    });
    Ok(Grouped {
        applications,
        orphans,
    })
}

/// How many top bits of the key pick a row's partition.
pub(crate) fn partition_bits(applications: usize) -> u32 {
    let wanted = applications.div_ceil(APPLICATIONS_A_PARTITION).max(1);
    wanted
        .next_power_of_two()
        .trailing_zeros()
        .min(MAX_PARTITION_BITS)
}

/// Groups partitions `range`, whose applications' states are `states`;
/// returns their orphans.
fn group_partitions(
    range: std::ops::Range<usize>,
    apps: &Dealt<App>,
    (dealt, rows): (&Dealt<Packed>, Option<&Dealt<u32>>),
    date: Option<&DateOf>,
    states: &mut [State],
) -> Vec<Orphan> {
    let mut table = Table::default();
    let mut orphans: Vec<Orphan> = Vec::new();
    let base = apps.starts[range.start];
    for p in range {
        let members = apps.of(p);
        let start = apps.starts[p] - base;
        let states = &mut states[start..start + members.len()];
        table.reset(members.len());
        for (slot, app) in members.iter().enumerate() {
            match table.find_or_insert(app.key, slot as u32) {
                None => {}
                Some(first) => {
                    // A repeated key: counted as repeated, which sends the
                    // count to the exact plan.
                    states[first as usize].repeated = true;
                    states[slot].repeated = true;
                }
            }
        }
        let first_orphan = orphans.len();
        let rows = rows.map(|rows| rows.of(p));
        for (i, event) in dealt.of(p).iter().enumerate() {
            let row = rows.map_or(NONE, |rows| rows[i]);
            let next = (members.len() + orphans.len() - first_orphan) as u32;
            match table.find_or_insert(event.key, next) {
                Some(slot) if (slot as usize) < members.len() => {
                    let app = &members[slot as usize];
                    let state = &mut states[slot as usize];
                    state.collided |= event.check != app.check;
                    state.add(event, row, date);
                }
                Some(slot) => {
                    let orphan = &mut orphans[first_orphan + slot as usize - members.len()];
                    orphan.state.collided |= event.check != orphan.check;
                    orphan.check = orphan.check.min(event.check);
                    orphan.state.add(event, row, date);
                }
                None => {
                    let mut state = State::default();
                    state.add(event, row, date);
                    orphans.push(Orphan {
                        key: event.key,
                        check: event.check,
                        state,
                    });
                }
            }
        }
    }
    orphans
}

/// An open-addressing table of keys to slots (linear probing), kept
/// at most half full.
#[derive(Default)]
struct Table {
    keys: Vec<u64>,
    slots: Vec<u32>,
    len: usize,
}

impl Table {
    /// Empties the table, sized for `expected` keys.
    fn reset(&mut self, expected: usize) {
        let capacity = (expected * 2).max(16).next_power_of_two();
        if self.slots.len() != capacity {
            self.keys = vec![0; capacity];
            self.slots = vec![NONE; capacity];
        } else {
            self.slots.fill(NONE);
        }
        self.len = 0;
    }

    /// The slot of `key`, or `None` after inserting it with `slot`.
    fn find_or_insert(&mut self, key: u64, slot: u32) -> Option<u32> {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = (key as usize) & mask;
        loop {
            match self.slots[i] {
                NONE => {
                    self.keys[i] = key;
                    self.slots[i] = slot;
                    self.len += 1;
                    return None;
                }
                found if self.keys[i] == key => return Some(found),
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let keys = std::mem::take(&mut self.keys);
        let slots = std::mem::take(&mut self.slots);
        let capacity = slots.len() * 2;
        self.keys = vec![0; capacity];
        self.slots = vec![NONE; capacity];
        self.len = 0;
        for (key, slot) in keys.into_iter().zip(slots) {
            if slot != NONE {
                self.find_or_insert(key, slot);
            }
        }
    }
}
