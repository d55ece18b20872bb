//! The kernel against an independent reduction (maps of every key, row by
//! row) and the frame against the polars plan it replaces.

use std::collections::HashMap;
use std::sync::Arc;

use polars::prelude::*;
use proptest::prelude::*;

use super::partitioned::{
    AppRows, Applications, CODE_BITS, EventRows, State, deal_applications, deal_events, group,
};
use super::{KernelCells, PanelCodes};
use crate::counts::PANEL_TYPE;
use crate::counts::frame::with_reach;
use crate::counts::funnel::cells_of;
use crate::counts::hashed::{self, HashedInputs, Slice};
use crate::ingest::Profile;

/// An applications row: key (`None`: no id), check.
type AppRow = (Option<u64>, u32);
/// An event: key, check, rank, code, date.
type EventRow = (u64, u32, u8, u8, Option<&'static str>);

/// The states row by row: each event goes to the first applications row
/// of its key, else to its key's orphan.
fn reference(apps: &[AppRow], events: &[EventRow]) -> (Vec<State>, HashMap<u64, (u32, State)>) {
    let mut states = vec![State::default(); apps.len()];
    let mut first: HashMap<u64, usize> = HashMap::new();
    for (row, (key, _)) in apps.iter().enumerate() {
        let Some(key) = key else { continue };
        match first.get(key) {
            Some(&f) => {
                states[f].repeated = true;
                states[row].repeated = true;
            }
            None => {
                first.insert(*key, row);
            }
        }
    }
    let mut orphans: HashMap<u64, (u32, u32, State)> = HashMap::new();
    let add = |state: &mut State, row: usize, (_, _, rank, code, date): &EventRow| {
        state.rank = if state.n_events == 0 {
            *rank
        } else {
            state.rank.max(*rank)
        };
        state.n_events += 1;
        state.codes |= 1 << code;
        let earlier = date.is_some_and(|d| {
            state
                .first_dated()
                .is_none_or(|f| events[f].4.is_none_or(|e| d < e))
        });
        if earlier {
            state.first_on = row as u32;
        }
    };
    for (row, event) in events.iter().enumerate() {
        match first.get(&event.0) {
            Some(&app) => {
                states[app].collided |= event.1 != apps[app].1;
                add(&mut states[app], row, event);
            }
            None => {
                let entry = orphans
                    .entry(event.0)
                    .or_insert((event.1, event.1, State::default()));
                entry.0 = entry.0.min(event.1);
                entry.1 = entry.1.max(event.1);
                add(&mut entry.2, row, event);
            }
        }
    }
    let orphans = orphans
        .into_iter()
        .map(|(key, (min, max, mut state))| {
            state.collided = min != max;
            (key, (min, state))
        })
        .collect();
    (states, orphans)
}

/// The rows 0..`len` as two pieces, cut at `at` (at most `len`).
fn two_pieces(len: usize, at: usize) -> [(usize, usize); 2] {
    let cut = at.min(len);
    [(0, cut), (cut, len)]
}

/// The kernel on `apps` and `events` cut into pieces at `cuts`, with
/// 2^`bits` partitions, reading the events' dates when `dated`. The
/// events' pieces own their columns, as polars' buffers do (let go of as
/// dealt).
fn kernel(
    apps: &[AppRow],
    events: &[EventRow],
    cuts: (usize, usize),
    bits: u32,
    dated: bool,
) -> (Vec<State>, HashMap<u64, (u32, State)>) {
    let keys: Vec<u64> = apps.iter().map(|a| a.0.unwrap_or(7)).collect();
    let checks: Vec<u32> = apps.iter().map(|a| a.1).collect();
    let has: Vec<bool> = apps.iter().map(|a| a.0.is_some()).collect();
    let app_pieces = two_pieces(apps.len(), cuts.0)
        .into_iter()
        .map(|(from, to)| AppRows {
            keys: &keys[from..to],
            checks: &checks[from..to],
            has_key: Some(has[from..to].to_vec()),
        })
        .collect();
    let ek: Vec<u64> = events.iter().map(|e| e.0).collect();
    let ec: Vec<u32> = events.iter().map(|e| e.1).collect();
    let es: Vec<u32> = events
        .iter()
        .map(|e| (u32::from(e.2) << CODE_BITS) + u32::from(e.3))
        .collect();
    let event_pieces = two_pieces(events.len(), cuts.1)
        .into_iter()
        .map(|(from, to)| EventRows {
            keys: ek[from..to].to_vec(),
            checks: ec[from..to].to_vec(),
            stages: es[from..to].to_vec(),
        })
        .collect::<Vec<_>>();
    let date = |row: usize| events[row].4;
    let dealt_apps =
        deal_applications(&Applications { pieces: app_pieces }, bits).expect("in range");
    let dealt = deal_events(event_pieces, bits, dated, &|| {}).expect("in range");
    let grouped = group(dealt_apps, dealt, Some(&date), &|| {}).expect("in range");
    let orphans = grouped
        .orphans
        .iter()
        .map(|o| (o.key, (o.check, o.state)))
        .collect();
    (grouped.applications, orphans)
}

/// Keys from a small set (so ids repeat, and events miss), spread over
/// the whole 64 bits (so they fall in every partition).
fn key() -> impl Strategy<Value = u64> {
    (0u64..40).prop_map(|k| k.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn the_kernel_adds_up_what_the_rows_do(
        apps in proptest::collection::vec((proptest::option::weighted(0.9, key()), 0u32..2), 0..60),
        events in proptest::collection::vec(
            (key(), 0u32..2, 0u8..8, 0u8..16, proptest::option::of(prop_oneof![
                Just("2025-01-02"), Just("2025-01-01"), Just("2024-12-31")
            ])),
            0..200,
        ),
        cuts in (0usize..60, 0usize..200),
        bits in 0u32..4,
        dated in proptest::bool::weighted(0.8),
    ) {
        // Checks mostly agree with the key's (else every key collides).
        let apps: Vec<AppRow> = apps
            .into_iter()
            .map(|(k, c)| (k, if c == 0 { k.unwrap_or(0) as u32 } else { 1 }))
            .collect();
        let events: Vec<EventRow> = events
            .into_iter()
            .map(|(k, c, r, o, d)| (k, if c == 0 { k as u32 } else { 1 }, r, o, d))
            .collect();
        let (states, orphans) = kernel(&apps, &events, cuts, bits, dated);
        let (mut want_states, mut want_orphans) = reference(&apps, &events);
        if !dated {
            // No dates read: no first dated event.
            let undated = |s: &mut State| s.first_on = State::default().first_on;
            want_states.iter_mut().for_each(undated);
            want_orphans.values_mut().for_each(|(_, s)| undated(s));
        }
        prop_assert_eq!(states, want_states);
        prop_assert_eq!(orphans, want_orphans);
    }
}

#[test]
fn ranks_out_of_range_are_refused() {
    let (keys, checks) = ([1u64], [1u32]);
    for (stage, fits) in [(255 * 16 + 15, true), (256 * 16, false)] {
        let stages = [stage];
        let events = vec![EventRows {
            keys: &keys[..],
            checks: &checks[..],
            stages: &stages[..],
        }];
        assert_eq!(deal_events(events, 0, false, &|| {}).is_ok(), fits);
    }
}

/// A small extract with everything the frame meets: an id without
/// events, events without an application, an application without an id,
/// events out of the ladder's order, repeated stages, two dates at the
/// dated rank.
fn inputs() -> HashedInputs {
    let apps = df! {
        "application_id" => [Some("a1"), Some("a2"), Some("a3"), None, Some("a5")],
        "ethnicity" => ["White British", "Indian", "Black African", "Chinese", "Indian"],
        "organisation" => ["Trust A", "Trust B", "Trust A", "Trust B", "Trust B"],
    }
    .expect("columns of one length");
    let events = df! {
        "application_id" => ["a1", "a1", "a1", "a2", "a9", "a9", "a5", "a5"],
        "stage" => ["applied", "interviewed", "shortlisted", "applied", "applied", "offered", "interviewed", "interviewed"],
        "entered_at" => ["2025-01-01", "2025-02-03", "2025-01-20", "2025-01-02", "2025-01-05", "2025-03-01", "2025-02-10", "2025-02-09"],
    }
    .expect("columns of one length");
    let map = df! {
        "value" => ["applied", "shortlisted", "interviewed", "offered"],
        "rank" => [0i32, 1, 2, 3],
        "code" => [0u32, 1, 2, 3],
    }
    .expect("columns of one length");
    HashedInputs {
        apps: apps.lazy(),
        carry: vec!["organisation".to_string()],
        events: Some((events.lazy(), map)),
        codes: 4,
        stage_date: Some(2),
        app_rank: None,
        outcome_rank: None,
    }
}

/// The frame's rows with an id, sorted by it, in the columns both give.
fn with_ids(frame: DataFrame) -> DataFrame {
    let columns = [
        "application_id",
        "check",
        "app_rows",
        "ethnicity",
        "organisation",
        "event_rank",
        "n_events",
        "n_distinct",
        "collided",
        "stage_on",
        "app_rank",
        "outcome_rank",
    ];
    frame
        .lazy()
        .filter(col("application_id").is_not_null())
        .select(columns.map(|c| match c {
            // Categoricals compared by their text.
            "ethnicity" | "organisation" => col(c).cast(DataType::String),
            // The kernel counts in 32 bits, the plan in 64.
            "app_rows" | "n_events" | "n_distinct" => col(c).cast(DataType::UInt64),
            _ => col(c),
        }))
        .sort(["application_id"], SortMultipleOptions::default())
        .collect()
        .expect("the frame has these columns")
}

#[test]
fn the_kernel_frame_is_the_polars_plan_frame() {
    let profile = Profile::default();
    let kernel = super::frame(
        &inputs(),
        &Slice::WHOLE,
        false,
        &KernelCells::No,
        &[],
        &profile,
    )
    .expect("it runs")
    .frame
    .expect("the frame is built");
    let polars = hashed::frame(inputs(), &Slice::WHOLE)
        .collect()
        .expect("it runs");
    // The application without an id is a row of its own in both.
    let missing = |df: &DataFrame| df.column("application_id").expect("a key").null_count();
    assert_eq!((missing(&kernel), missing(&polars)), (1, 1));
    let (kernel, polars) = (with_ids(kernel), with_ids(polars));
    assert_eq!(kernel.height(), 5, "a1 a2 a3 a5 and the events' a9");
    assert!(kernel.equals_missing(&polars), "{kernel}\n{polars}");
    // The values themselves, from the rows above.
    let stage_on = kernel.column("stage_on").expect("dated");
    let n_events = kernel.column("n_events").expect("counted");
    let rank = kernel.column("event_rank").expect("ranked");
    let app_rows = kernel.column("app_rows").expect("counted");
    assert_eq!(
        n_events.u64().expect("u64").iter().flatten().sum::<u64>(),
        8
    );
    assert_eq!(rank.null_count(), 1, "a3 has no events");
    assert_eq!(app_rows.null_count(), 1, "a9 has no applications row");
    let mut dates: Vec<&str> = stage_on.str().expect("text").iter().flatten().collect();
    dates.sort();
    assert_eq!(
        dates,
        ["2025-02-03", "2025-02-09"],
        "the first date at the interview stage, of a1 and a5"
    );
}

/// A generated extract: `n` applications rows whose ids (some missing)
/// repeat when `repeats`; labels and organisations with nulls;
/// furthest-stage and outcome ranks (some null) when `ranks`; about three
/// events an application, a tenth of them for ids the applications lack.
fn generated(seed: u64, n: usize, repeats: bool, ranks: bool) -> HashedInputs {
    let mut x = seed;
    let mut next = |below: usize| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((x >> 33) as usize) % below
    };
    let labels = [
        "White British",
        "Indian",
        "Black African",
        "Chinese",
        "Not stated",
    ];
    let ids: Vec<Option<String>> = (0..n)
        .map(|i| {
            let id = if repeats { next(n * 3 / 4) } else { i };
            (next(30) != 0).then(|| format!("a{id}"))
        })
        .collect();
    let ethnicity: Vec<Option<&str>> = (0..n)
        .map(|_| (next(20) != 0).then(|| labels[next(labels.len())]))
        .collect();
    let organisation: Vec<Option<String>> = (0..n)
        .map(|_| (next(25) != 0).then(|| format!("ORG{:02}", next(15))))
        .collect();
    let mut rank = |nulls: usize| -> Vec<Option<i32>> {
        (0..n)
            .map(|_| (next(nulls) != 0).then(|| next(5) as i32))
            .collect()
    };
    let (app_rank, outcome_rank) = (rank(3), rank(2));
    let ladder = crate::taxonomy::ladder::Ladder::standard();
    let stages = ladder.stages();
    let events = 3 * n;
    let event_ids: Vec<String> = (0..events)
        .map(|_| match next(10) {
            0 => format!("e{}", next(n)),
            _ => format!("a{}", next(n)),
        })
        .collect();
    let event_stages: Vec<&str> = (0..events)
        .map(|_| stages[next(stages.len())].as_str())
        .collect();
    let mut apps = df! {
        "application_id" => ids,
        "ethnicity" => ethnicity,
        "organisation" => organisation,
    }
    .expect("columns of one length");
    if ranks {
        apps.with_column(Column::new("app_rank".into(), app_rank))
            .expect("of the same length");
        apps.with_column(Column::new("outcome_rank".into(), outcome_rank))
            .expect("of the same length");
    }
    let map = df! {
        "value" => stages,
        "rank" => [0i32, 1, 2, 3, 4],
        "code" => [0u32, 1, 2, 3, 4],
    }
    .expect("columns of one length");
    HashedInputs {
        apps: apps.lazy(),
        carry: vec!["organisation".to_string()],
        events: Some((
            df! { "application_id" => event_ids, "stage" => event_stages }
                .expect("columns of one length")
                .lazy(),
            map,
        )),
        codes: 5,
        stage_date: None,
        app_rank: ranks.then(|| col("app_rank")),
        outcome_rank: ranks.then(|| col("outcome_rank")),
    }
}

/// A funnel result's rows as text, sorted (categoricals by their text):
/// equal for the same cells in any order.
fn cell_rows(cells: DataFrame) -> Vec<String> {
    let text = cells
        .lazy()
        .with_columns([
            col("ethnicity").cast(DataType::String),
            col("organisation").cast(DataType::String),
        ])
        .collect()
        .expect("the cells have these columns");
    let mut rows: Vec<String> = (0..text.height())
        .map(|i| {
            text.columns()
                .iter()
                .map(|c| format!("{}={}", c.name(), c.get(i).expect("in range")))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn the_kernel_counts_the_cells_the_funnel_query_counts_from_its_frame() {
    let profile = Profile::default();
    let by = ["organisation".to_string()];
    for (seed, repeats, ranks) in [(1, false, false), (2, false, true), (3, true, true)] {
        let inputs = generated(seed, 3000, repeats, ranks);
        let counted = super::frame(&inputs, &Slice::WHOLE, false, &alone(&by), &[], &profile)
            .expect("it runs");
        assert!(counted.frame.is_none(), "the cells in place of the frame");
        let counted = counted.cells.expect("the keys pack into one number");
        let read = super::frame(
            &inputs,
            &Slice::WHOLE,
            false,
            &KernelCells::No,
            &[],
            &profile,
        )
        .expect("it runs");
        assert!(read.cells.is_none());
        let frame = read.frame.expect("the frame is built");
        let queried = cells_of(with_reach(frame.lazy()), true, &by)
            .collect()
            .expect("it runs");
        // A repeated applications row counts twice in app_rows.
        let app_rows: u64 = counted
            .column("app_rows")
            .and_then(|c| c.u64().map(|c| c.sum().unwrap_or(0)))
            .expect("counted");
        assert_eq!(app_rows > 3000, repeats, "seed {seed}");
        let (kernel, query) = (cell_rows(counted), cell_rows(queried));
        assert_eq!(kernel, query, "seed {seed}");
        // The kinds of cell are met: events without an application,
        // applications without an id, without a stage, collided.
        let met = |what: &str| kernel.iter().any(|r| r.contains(what));
        assert!(met("in_apps=false") && met("id_missing=true") && met("has_stage=false"));
    }
}

/// The kernel counting the cells in place of the frame.
fn alone(by: &[String]) -> KernelCells {
    KernelCells::Alone(by.to_vec())
}

#[test]
fn the_kernel_counts_by_panel_type_beside_the_frame_as_the_finished_frame_counts() {
    let profile = Profile::default();
    let keys = ["organisation".to_string(), PANEL_TYPE.to_string()];
    // Vacancies V0-V39 (a twentieth of the applications without one); the
    // first thirty have panels, of the three types in turn.
    let types = df! {
        "vacancy_id" => (0..30).map(|v| format!("V{v}")).collect::<Vec<_>>(),
        PANEL_TYPE => (0..30).map(|v| ["diverse", "all_white", "other"][v % 3]).collect::<Vec<_>>(),
    }
    .expect("columns of one length")
    .lazy()
    .with_columns([
        hashed::categorical("vacancy_id"),
        hashed::categorical(PANEL_TYPE),
    ])
    .collect()
    .expect("it runs");
    let categories = hashed::global_categorical();
    let DataType::Categorical(_, mapping) = &categories else {
        unreachable!("categorical")
    };
    let no_panel = mapping.insert_cat("no_panel").expect("a category");
    let codes = Arc::new(PanelCodes::new(&types, no_panel).expect("coded"));
    for (seed, repeats, ranks) in [(4, false, false), (5, true, true)] {
        let mut inputs = generated(seed, 3000, repeats, ranks);
        let vacancies: Vec<Option<String>> = (0..3000)
            .map(|i: usize| (i % 20 != 7).then(|| format!("V{}", (i * 7) % 40)))
            .collect();
        inputs.apps = inputs
            .apps
            .with_column(lit(Series::new("vacancy_id".into(), vacancies)).alias("vacancy_id"));
        inputs.carry.push("vacancy_id".to_string());
        let count = KernelCells::BesideFrame(keys.to_vec(), Some(Arc::clone(&codes)));
        let read =
            super::frame(&inputs, &Slice::WHOLE, false, &count, &[], &profile).expect("it runs");
        let frame = read.frame.expect("the frame is built");
        let cells = read.cells.expect("the keys pack into one number");
        // The finished frame's panel types, as `frame::Finish` joins them.
        let joined = frame
            .lazy()
            .drop(cols([PANEL_TYPE]))
            .join(
                types.clone().lazy(),
                [col("vacancy_id")],
                [col("vacancy_id")],
                JoinArgs::new(JoinType::Left),
            )
            .with_column(col(PANEL_TYPE).fill_null(lit("no_panel").cast(categories.clone())));
        let queried = cells_of(with_reach(joined), true, &keys)
            .collect()
            .expect("it runs");
        let (kernel, query) = (cell_rows(cells), cell_rows(queried));
        assert_eq!(kernel, query, "seed {seed}");
        let met = |what: &[&str]| kernel.iter().any(|r| what.iter().all(|w| r.contains(w)));
        for panel in ["diverse", "all_white", "other", "no_panel"] {
            assert!(
                met(&["in_apps=true", &format!("{PANEL_TYPE}=\"{panel}\"")]),
                "{panel}"
            );
        }
        // The ids only the events have: no vacancy, so no panel.
        assert!(met(&[
            "in_apps=false",
            &format!("{PANEL_TYPE}=\"no_panel\"")
        ]));
    }
}
