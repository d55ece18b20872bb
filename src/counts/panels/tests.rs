//! The panel types and the panels' pair numbers, on rows written out here.

use super::*;
use crate::taxonomy::grouping::Scheme;

/// The panel types do not depend on the order of the cells (counting
/// sorts them, but a caller need not): shuffled and sorted give the
/// same map.
#[test]
fn panel_types_do_not_depend_on_the_order_of_the_cells() {
    let taxonomy = Taxonomy::plain(Scheme::wres());
    let cell = |vacancy: &str, stage: u8, label: Option<&str>| PanelCell {
        vacancy: vacancy.into(),
        stage,
        label: label.map(Arc::from),
        sex: None,
        members: 1,
    };
    let mut cells = vec![
        cell("V2", 2, Some("White British")),
        cell("V1", 2, Some("White British")),
        cell("V3", 2, None),
        cell("V2", 2, Some("Indian")),
        cell("V1", 1, Some("Indian")),
        cell("V1", 2, Some("White Irish")),
        cell("V3", 2, Some("White British")),
    ];
    let shuffled = panel_types(&cells, Some(2), &taxonomy);
    cells.sort_by(|a, b| (&a.vacancy, a.stage).cmp(&(&b.vacancy, b.stage)));
    assert_eq!(panel_types(&cells, Some(2), &taxonomy), shuffled);
    // V1's stage-1 member is not on its stage-2 panel.
    let expected: BTreeMap<Arc<str>, PanelType> = [
        ("V1", PanelType::AllWhite),
        ("V2", PanelType::Diverse),
        ("V3", PanelType::Other),
    ]
    .into_iter()
    .map(|(v, t)| (Arc::from(v), t))
    .collect();
    assert_eq!(shuffled, expected);
}

/// A (vacancy, member) pair's number is the same whether the ids come
/// as text (the panels' file) or as categoricals (a slice's frame and
/// scores), differs when the ids swap or change, and is null when an
/// id is; the panel's pairs hold only its own.
#[test]
fn pair_numbers_are_exact_and_the_same_from_text_or_categoricals() {
    let frame = |vacancy: &[Option<&str>], member: &[Option<&str>]| {
        df!("vacancy_id" => vacancy, "member_id" => member).unwrap()
    };
    let vacancies = [Some("V1"), Some("V2"), Some("V1"), None, Some("V2")];
    let members = [Some("V2"), Some("V1"), Some("A1"), Some("A1"), None];
    let text = frame(&vacancies, &members);
    let categorical = text
        .clone()
        .lazy()
        .with_columns([
            hashed::categorical("vacancy_id"),
            hashed::categorical("member_id"),
        ])
        .collect()
        .unwrap();
    assert!(
        categorical
            .column("member_id")
            .unwrap()
            .dtype()
            .is_categorical()
    );
    let pairs = |df: &DataFrame| -> Vec<Option<u64>> {
        let out = df
            .clone()
            .lazy()
            .select([pair_key("vacancy_id", "member_id")])
            .collect()
            .unwrap();
        out.column("pair").unwrap().u64().unwrap().iter().collect()
    };
    let from_text = pairs(&text);
    assert_eq!(from_text, pairs(&categorical));
    // (V1, V2) and (V2, V1): the same two ids, swapped.
    assert_ne!(from_text[0], from_text[1]);
    assert_ne!(from_text[0], from_text[2]);
    assert_eq!(from_text[3], None);
    assert_eq!(from_text[4], None);

    // The panel holds (V1, A1) only.
    let panel = PanelPairs {
        pairs: Arc::new(from_text[2].into_iter().collect()),
        categories: hashed::global_categorical(),
    };
    let held = categorical
        .lazy()
        .select([panel.holds(pair_key("vacancy_id", "member_id"))])
        .collect()
        .unwrap();
    let held: Vec<Option<bool>> = held
        .column("pair")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(
        held,
        [
            Some(false),
            Some(false),
            Some(true),
            Some(false),
            Some(false)
        ]
    );
}

#[test]
fn panel_types_from_member_classes() {
    let white = Class::Group(0);
    let bme = Class::Group(1);
    assert_eq!(panel_type([(white, 2), (bme, 1)], 0), PanelType::Diverse);
    assert_eq!(panel_type([(white, 3)], 0), PanelType::AllWhite);
    assert_eq!(
        panel_type([(white, 2), (Class::NotKnown, 1)], 0),
        PanelType::Other
    );
    assert_eq!(
        panel_type([(bme, 1), (Class::Declined, 1)], 0),
        PanelType::Diverse
    );
    assert_eq!(panel_type([], 0), PanelType::NoPanel);
    for t in PanelType::ALL {
        assert_eq!(PanelType::from_name(t.name()), Some(t));
    }
}
