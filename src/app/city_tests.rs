//! A city's own (直属) schools on the screen: the board's 直属 line opens them for decisions,
//! while its counties' schools stay read-only.

use super::tests::{city_store, key, press, settings};
use super::*;

/// [`city_store`] with five 直属 schools of the city's own (2141010001–05, two filled).
fn city_with_own_schools(lang: Lang) -> App {
    let mut store = city_store();
    let dir = tempfile::tempdir().unwrap();
    let sheet = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/unfilled.csv")).unwrap();
    let file = dir.path().join("own.csv");
    std::fs::write(&file, sheet.replace("410102", "410100").replace("中原区", "市直属")).unwrap();
    let request = crate::import::ImportRequest {
        period: "2026Q3".parse().unwrap(),
        files: vec![file],
        sheets: Vec::new(),
        actor: "市".into(),
        at: "2026-10-07T09:00:00+08:00".into(),
        limits: Default::default(),
        held_below: Default::default(),
    };
    crate::import::import_files(&mut store, &request, &mut |_| {}).unwrap();
    let counties = [("410102", "中原区"), ("410103", "二七区"), ("410105", "金水区")]
        .map(|(code, name)| crate::config::CountyRef { code: code.into(), name: name.into() })
        .to_vec();
    let settings = Settings { city: true, counties, place: "郑州市".into(), ..settings(lang) };
    let mut app = App::open(store, None, settings).unwrap();
    app.resize(19, false);
    app.refresh().unwrap();
    app
}

fn state_of(app: &App, code: &str) -> ReviewState {
    app.store().list(app.period.unwrap(), None).unwrap().into_iter().find(|s| s.school_code == code).unwrap().state
}

#[test]
fn the_boards_own_line_opens_the_citys_schools_for_decisions() {
    let mut app = city_with_own_schools(Lang::Zh);
    let board = app.board.as_ref().unwrap();
    let names: Vec<(&str, bool)> = board.rows.iter().map(|r| (r.county.as_str(), r.own)).collect();
    assert_eq!(names, [("直属", true), ("中原区", false), ("二七区", false), ("金水区", false)]);
    assert_eq!(board.rows[0].counts.as_ref().map(|c| c.schools), Some(5));

    key(&mut app, KeyCode::Enter);
    assert!(!app.board_shown() && !app.read_only());
    assert_eq!(app.open_county_name(), Some("直属"));
    assert_eq!(app.view.len(), 5);
    assert!(app.view.iter().all(|&p| app.index.rows[p as usize].code.starts_with("21410100")), "直属 only");
    let code = app.index.rows[app.current().unwrap() as usize].code.to_string();
    let before = state_of(&app, &code);
    press(&mut app, "r");
    app.on_paste("班级数有误");
    key(&mut app, KeyCode::Enter);
    assert_eq!(state_of(&app, &code), ReviewState::Returned, "from {before:?}: decided here");

    // Back on the board, on the 直属 line; a county's schools stay the county's.
    key(&mut app, KeyCode::Esc);
    assert!(app.board_shown());
    assert_eq!(app.board.as_ref().unwrap().cursor, 0);
    press(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    assert!(app.read_only());
    let county_school = app.index.rows[app.current().unwrap() as usize].code.to_string();
    let state = state_of(&app, &county_school);
    press(&mut app, "a");
    assert!(app.status.as_ref().is_some_and(|s| s.error), "{:?}", app.status);
    assert_eq!(state_of(&app, &county_school), state);

    // The whole city: a selection of every school decides only the city's own.
    key(&mut app, KeyCode::Esc);
    press(&mut app, "G");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view.len(), 15);
    press(&mut app, "a");
    assert!(app.status.as_ref().is_some_and(|s| s.error), "read-only over the counties: {:?}", app.status);
}
