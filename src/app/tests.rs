//! The review screen's behaviour, driven by keys over the sample county, checked against what
//! the store holds afterwards.

use chrono::{DateTime, FixedOffset};

use super::*;
use crate::config::Config;
use crate::rules::Severity;

/// 3 October 2026, inside 2026Q3's reporting window (1–5 October).
pub(crate) fn fixed_clock() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-10-03T10:00:00+08:00").unwrap()
}

pub(crate) fn settings(lang: Lang) -> Settings {
    Settings {
        clock: fixed_clock,
        // The reminder has tests of its own; elsewhere it would only crowd the status line.
        remind_after_days: 0,
        ..Settings::new(&Config::default(), lang, "审核员".into(), "/tmp/shenhe.db".into(), false)
    }
}

/// The sample county (2026Q2 and 2026Q3, checked) in an in-memory store.
pub(crate) fn sample_store() -> Store {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in_memory().unwrap();
    crate::sample::load(&mut store, dir.path(), &Config::default().rules, "导入", "2026-10-02T09:00:00+08:00")
        .unwrap_or_else(|e| panic!("{}", e.user_message(Lang::En)));
    store
}

/// The screen on the sample county, as a 80×24 terminal shows it.
pub(crate) fn sample_app(lang: Lang) -> App {
    let mut app = App::open(sample_store(), None, settings(lang)).unwrap();
    app.resize(19, false);
    app.refresh().unwrap();
    app
}

pub(crate) fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.on_key(Key::plain(KeyCode::Char(c)));
    }
    app.refresh().unwrap();
}

pub(crate) fn key(app: &mut App, code: KeyCode) {
    app.on_key(Key::plain(code));
    app.refresh().unwrap();
}

fn current_code(app: &App) -> String {
    app.index.rows[app.current().unwrap() as usize].code.to_string()
}

fn state_in_store(app: &App, code: &str) -> ReviewState {
    app.store().list(app.period.unwrap(), None).unwrap().into_iter().find(|s| s.school_code == code).unwrap().state
}

/// Goes to a school by searching its code.
fn go_to(app: &mut App, code: &str) {
    press(app, "/");
    app.on_paste(code);
    key(app, KeyCode::Enter);
    assert_eq!(current_code(app), code);
}

#[test]
fn opens_on_the_newest_open_period_with_what_needs_attention_first() {
    let app = sample_app(Lang::Zh);
    assert_eq!(app.period.unwrap().to_string(), "2026Q3");
    assert_eq!(app.view.len(), 198);
    let first = &app.index.rows[app.view[0] as usize];
    assert_eq!(first.state, ReviewState::Flagged);
    assert!(first.open_errors > 0, "errors come first");
    let states: Vec<ReviewState> = app.view.iter().map(|&p| app.index.rows[p as usize].state).collect();
    let last_flagged = states.iter().rposition(|s| *s == ReviewState::Flagged).unwrap();
    let first_submitted = states.iter().position(|s| *s == ReviewState::Submitted).unwrap();
    assert!(last_flagged < first_submitted, "有疑问 before 待审核");
    assert_eq!(app.visible.len(), 19, "only the rows on screen are read");
}

#[test]
fn movement_keeps_the_highlight_on_screen() {
    let mut app = sample_app(Lang::Zh);
    press(&mut app, "jjj");
    assert_eq!((app.cursor, app.offset), (3, 0));
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.cursor, 22);
    assert!(app.offset <= 22 && 22 < app.offset + 19);
    press(&mut app, "G");
    assert_eq!((app.cursor, app.offset), (197, 198 - 19));
    press(&mut app, " ");
    assert_eq!(app.cursor, 197, "paging past the end stays on the last school");
    press(&mut app, "gk");
    assert_eq!((app.cursor, app.offset), (0, 0));
}

#[test]
fn search_finds_by_chinese_name_code_prefix_and_pinyin_initials() {
    let mut app = sample_app(Lang::Zh);
    press(&mut app, "/");
    app.on_paste("西流湖小学");
    assert_eq!(current_code(&app), "2141010585", "the highlight follows the typing");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.search.as_ref().unwrap().matches.len(), 1);

    press(&mut app, "/xlhds");
    assert_eq!(current_code(&app), "2141011085", "pinyin initials of 西流湖第三小学");
    key(&mut app, KeyCode::Enter);

    press(&mut app, "/thd");
    key(&mut app, KeyCode::Enter);
    let found = app.search.as_ref().unwrap().matches.len();
    assert!(found >= 2, "桐淮第二/第三小学…: {found}");
    let first = app.cursor;
    press(&mut app, "n");
    assert_ne!(app.cursor, first);
    press(&mut app, "N");
    assert_eq!(app.cursor, first);

    let before = app.cursor;
    press(&mut app, "/2141012");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.cursor, before, "Esc goes back to where the search started");
    assert!(app.search.is_none());
}

#[test]
fn return_takes_a_typed_chinese_reason_and_writes_it_before_showing_it() {
    let mut app = sample_app(Lang::Zh);
    go_to(&mut app, "2141010585");
    press(&mut app, "r");
    assert!(matches!(app.mode, Mode::Prompt(_)));
    key(&mut app, KeyCode::Enter);
    let Mode::Prompt(p) = &app.mode else { panic!("an empty reason keeps the prompt open") };
    assert!(p.error.is_some());
    app.on_paste("出口带宽填写有误");
    press(&mut app, "，请核实");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(state_in_store(&app, "2141010585"), ReviewState::Returned);
    let log = app.store().log_entries(app.period.unwrap()).unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.note.as_deref(), last.actor.as_str()),
        ("return", Some("出口带宽填写有误，请核实"), "审核员")
    );
    assert!(app.status.as_ref().unwrap().text.contains("退回重报"));
    assert_eq!(app.index.rows[app.view[app.cursor - 1] as usize].state, ReviewState::Returned);
}

/// `R` takes a mistaken return back on the screen: the state before, the row redrawn, the
/// log row; on a school not returned it says so and writes nothing.
#[test]
fn cancel_return_key_restores_the_state_before_the_return() {
    let mut app = sample_app(Lang::Zh);
    go_to(&mut app, "2141010585");
    let before = state_in_store(&app, "2141010585");
    let digest = app.store().content_digest().unwrap();
    press(&mut app, "R");
    assert!(app.status.as_ref().is_some_and(|s| s.error && s.text.contains("不是退回重报")), "{:?}", app.status);
    assert_eq!(app.store().content_digest().unwrap(), digest);
    press(&mut app, "r");
    app.on_paste("退错了");
    key(&mut app, KeyCode::Enter);
    go_to(&mut app, "2141010585");
    assert_eq!(state_in_store(&app, "2141010585"), ReviewState::Returned);
    press(&mut app, "R");
    assert_eq!(state_in_store(&app, "2141010585"), before);
    let row = app.index.rows.iter().find(|r| &*r.code == "2141010585").unwrap();
    assert_eq!(row.state, before, "the list shows it at once");
    assert!(app.status.as_ref().is_some_and(|s| !s.error && s.text.contains("已取消退回")), "{:?}", app.status);
    let last = app.store().log_entries(app.period.unwrap()).unwrap().pop().unwrap();
    assert_eq!(last.action, "cancel_return");
    // A county's t has nothing to take out, and says so.
    press(&mut app, "t");
    assert!(app.status.as_ref().is_some_and(|s| s.text.contains("市州")), "{:?}", app.status);
}

#[test]
fn arrow_keys_pick_a_preset_reason() {
    let mut app = sample_app(Lang::Zh);
    go_to(&mut app, "2141010585");
    press(&mut app, "r");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    let Mode::Prompt(p) = &app.mode else { panic!() };
    assert_eq!(p.editor.text(), app.settings.return_reasons[1]);
    key(&mut app, KeyCode::Enter);
    let note = app.store().log_entries(app.period.unwrap()).unwrap().pop().unwrap().note;
    assert_eq!(note.as_deref(), Some(app.settings.return_reasons[1].as_str()));
}

#[test]
fn approving_over_an_error_needs_a_note_and_undo_reopens_the_findings() {
    let mut app = sample_app(Lang::Zh);
    let code = current_code(&app);
    assert!(app.index.rows[app.current().unwrap() as usize].open_errors > 0);
    press(&mut app, "a");
    assert!(matches!(&app.mode, Mode::Prompt(p) if p.intent == Intent::Approve));
    assert_eq!(state_in_store(&app, &code), ReviewState::Flagged, "nothing written yet");
    app.on_paste("已电话核实，数据无误");
    key(&mut app, KeyCode::Enter);
    assert_eq!(state_in_store(&app, &code), ReviewState::Approved);
    let period = app.period.unwrap();
    let findings = |app: &App| -> Vec<String> {
        app.store()
            .findings(period, false)
            .unwrap()
            .into_iter()
            .filter(|f| f.school_code == code && f.severity == Severity::Error.key())
            .map(|f| f.resolution)
            .collect()
    };
    assert!(findings(&app).iter().all(|r| r == "overridden"));

    press(&mut app, "u");
    assert_eq!(state_in_store(&app, &code), ReviewState::Flagged);
    assert!(findings(&app).iter().all(|r| r == "open"), "{:?}", findings(&app));
    assert_eq!(current_code(&app), code, "undo shows the school it changed");
    let log = app.store().log_entries(period).unwrap();
    assert_eq!(log.last().unwrap().action, "undo");
    press(&mut app, "u");
    assert!(app.status.as_ref().unwrap().text.contains("没有可撤销"));
}

#[test]
fn a_school_without_errors_is_approved_in_one_key_and_the_highlight_moves_on() {
    let mut app = sample_app(Lang::Zh);
    go_to(&mut app, "2141010585");
    let at = app.cursor;
    press(&mut app, "a");
    assert_eq!(state_in_store(&app, "2141010585"), ReviewState::Approved);
    assert_eq!(app.cursor, at + 1);
    press(&mut app, "a");
    press(&mut app, "uu");
    assert_eq!(state_in_store(&app, "2141010585"), ReviewState::Submitted, "undo is repeatable");
}

#[test]
fn decisions_refuse_states_that_cannot_take_them() {
    let mut app = sample_app(Lang::Zh);
    go_to(&mut app, "2141010235");
    press(&mut app, "a");
    let status = app.status.clone().unwrap();
    assert!(status.error && status.text.contains("未填报"), "{status:?}");
    assert_eq!(state_in_store(&app, "2141010235"), ReviewState::Unfilled);
}

#[test]
fn bulk_approve_over_the_filter_confirms_the_count_and_undoes_as_one() {
    let mut app = sample_app(Lang::Zh);
    // Filter on 待审核 (the second state in the menu), select all, approve.
    press(&mut app, "Fj");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.filter.state, Some(ReviewState::Submitted));
    let submitted = app.view.len();
    assert_eq!(submitted, app.state_counts()[1]);
    press(&mut app, "X");
    assert_eq!(app.selected_count, submitted);
    press(&mut app, "a");
    let Mode::Confirm(c) = &app.mode else { panic!("bulk decisions are confirmed first") };
    assert_eq!(c.targets.len(), submitted);
    press(&mut app, "n");
    assert_eq!(app.state_counts()[4], 0, "n cancels");
    press(&mut app, "a");
    press(&mut app, "y");
    assert_eq!(app.state_counts()[4], submitted);
    let stored = app.store().list(app.period.unwrap(), Some(ReviewState::Approved)).unwrap();
    assert_eq!(stored.len(), submitted);
    assert_eq!(app.selected_count, 0);
    press(&mut app, "u");
    assert_eq!(app.store().list(app.period.unwrap(), Some(ReviewState::Approved)).unwrap().len(), 0);
}

#[test]
fn bulk_return_asks_one_reason_and_leaves_out_schools_that_cannot_be_returned() {
    let mut app = sample_app(Lang::Zh);
    go_to(&mut app, "2141010235"); // 未填报
    press(&mut app, "x");
    go_to(&mut app, "2141010585");
    press(&mut app, "x");
    press(&mut app, "r");
    let Mode::Prompt(p) = &app.mode else { panic!() };
    assert_eq!((p.targets.len(), p.skipped), (1, 1));
}

#[test]
fn flag_and_comment_are_logged_with_their_notes() {
    let mut app = sample_app(Lang::Zh);
    go_to(&mut app, "2141010585");
    press(&mut app, "c");
    app.on_paste("校长说下周补报");
    key(&mut app, KeyCode::Enter);
    assert_eq!(state_in_store(&app, "2141010585"), ReviewState::Submitted, "a comment changes no state");
    press(&mut app, "f");
    app.on_paste("学生数可疑");
    key(&mut app, KeyCode::Enter);
    assert_eq!(state_in_store(&app, "2141010585"), ReviewState::Flagged);
    let period = app.period.unwrap();
    let row = &app.index.rows[app.view[app.cursor - 1] as usize];
    assert_eq!(row.open_findings, 1, "the auditor's flag is an open finding");
    press(&mut app, "u");
    assert_eq!(state_in_store(&app, "2141010585"), ReviewState::Submitted);
    assert!(app.store().findings(period, false).unwrap().iter().all(|f| f.school_code != "2141010585"));
    let notes: Vec<Option<String>> = app
        .store()
        .log_entries(period)
        .unwrap()
        .into_iter()
        .filter(|e| e.school_code.as_deref() == Some("2141010585"))
        .map(|e| e.note)
        .collect();
    assert!(notes.contains(&Some("校长说下周补报".into())) && notes.contains(&Some("学生数可疑".into())));
}

#[test]
fn filters_combine_and_the_dispatch_lists_are_filters() {
    let mut app = sample_app(Lang::Zh);
    press(&mut app, "F");
    let Mode::Filter { items, counts, .. } = &app.mode else { panic!() };
    let list = items.iter().position(|i| *i == FilterItem::List(0)).unwrap();
    let expected = counts[list];
    for _ in 0..list {
        press(&mut app, "j");
    }
    key(&mut app, KeyCode::Enter);
    press(&mut app, "F");
    assert_eq!(app.view.len(), expected);
    assert!(app.view.iter().all(|&p| app.index.rows[p as usize].lists & 1 != 0));
    press(&mut app, "F0");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.view.len(), 198);
}

#[test]
fn sort_by_code_orders_the_list_by_code() {
    let mut app = sample_app(Lang::Zh);
    press(&mut app, "sj");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.sort, SortOrder::Code);
    let codes: Vec<&str> = app.view.iter().map(|&p| &*app.index.rows[p as usize].code).collect();
    assert!(codes.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn a_reported_period_is_read_only() {
    let store = sample_store();
    store.execute_for_tests("UPDATE periods SET status = 'reported'");
    let mut app = App::open(store, None, settings(Lang::En)).unwrap();
    app.resize(19, false);
    assert!(app.locked);
    let code = current_code(&app);
    press(&mut app, "a");
    assert!(app.status.as_ref().unwrap().error);
    assert_eq!(state_in_store(&app, &code), ReviewState::Flagged);
}

#[test]
fn an_empty_store_opens_the_first_run_screen() {
    let mut app = App::open(Store::open_in_memory().unwrap(), None, settings(Lang::Zh)).unwrap();
    assert!(app.period.is_none());
    press(&mut app, "jar");
    assert!(matches!(app.mode, Mode::Normal));
    press(&mut app, "q");
    assert!(app.should_quit());
}

#[test]
fn a_search_narrows_as_it_is_typed_and_follows_a_new_filter() {
    let mut app = sample_app(Lang::Zh);
    press(&mut app, "/");
    app.on_paste("西流");
    let wider = app.search.as_ref().unwrap().matches.len();
    app.on_paste("湖第");
    let narrower = app.search.as_ref().unwrap().matches.clone();
    assert_eq!((wider, narrower.len()), (4, 2), "西流湖 schools, then 西流湖第二/第三小学");
    key(&mut app, KeyCode::Backspace);
    assert_eq!(app.search.as_ref().unwrap().matches.len(), 4, "a shorter query searches afresh");
    key(&mut app, KeyCode::Enter);
    // Only the flagged ones: the matches are positions in the new list.
    press(&mut app, "Fjj");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Esc);
    let matches = app.search.as_ref().unwrap().matches.clone();
    assert_eq!(matches.len(), 1);
    assert_eq!(&*app.index.rows[app.view[matches[0]] as usize].name, "郑州市中原区西流湖学校");
}

#[test]
fn a_citys_screen_shows_the_counties_data_and_changes_nothing() {
    let settings = Settings { city: true, ..settings(Lang::Zh) };
    let mut app = App::open(sample_store(), None, settings).unwrap();
    app.resize(19, false);
    let before = app.store().content_digest().unwrap();
    press(&mut app, "a");
    assert!(app.status.as_ref().unwrap().error);
    press(&mut app, "rfce");
    assert!(matches!(app.mode, Mode::Normal), "no prompt opens");
    assert_eq!(app.store().content_digest().unwrap(), before);
    press(&mut app, "/");
    app.on_paste("fnl");
    key(&mut app, KeyCode::Enter);
    assert!(app.search.as_ref().is_some_and(|s| !s.matches.is_empty()), "search works as in a county");
}

/// 中原区 and 二七区 (five schools each, from `unfilled.csv`) in a city's store, with a bundle
/// on record for each: 中原区's first report, forced and on time, 二七区's second, late. The
/// config's third county, 金水区, has not reported.
pub(crate) fn city_store() -> Store {
    use crate::bundle::manifest::{Auditor, Forced, Manifest, Signer, StateCounts, Window};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let sheet = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/unfilled.csv")).unwrap();
    for (code, name, sequence, inside_window) in [("410102", "中原区", 1, true), ("410103", "二七区", 2, false)] {
        let file = dir.path().join(format!("{code}.csv"));
        std::fs::write(&file, sheet.replace("410102", code).replace("中原区", name)).unwrap();
        let request = crate::import::ImportRequest {
            period: "2026Q3".parse().unwrap(),
            files: vec![file],
            sheets: Vec::new(),
            actor: "市".into(),
            at: "2026-10-06T09:00:00+08:00".into(),
            limits: Default::default(),
            held_below: Default::default(),
        };
        crate::import::import_files(&mut store, &request, &mut |_| {}).unwrap();
        let created_at = if inside_window { "2026-10-05T16:20:00+08:00" } else { "2026-10-08T09:05:00+08:00" };
        let manifest = Manifest {
            format: crate::bundle::manifest::FORMAT.into(),
            county_code: code.into(),
            county: name.into(),
            city: "郑州市".into(),
            period: "2026Q3".into(),
            sequence,
            replaces: None,
            auditor: Auditor { name: "审核员".into(), phone: "0371-1".into() },
            created_at: created_at.into(),
            tool: "shenhe".into(),
            counts: StateCounts { schools: 5, unfilled: 3, submitted: 2, flagged: 0, returned: 0, approved: 0 },
            window: Window { first: "2026-10-01".into(), last: "2026-10-05".into() },
            inside_window,
            forced: inside_window.then(|| Forced { reason: "先行上报".into(), pending: Vec::new() }),
            report_text: (!inside_window).then(|| crate::bundle::manifest::ReportTextRef {
                path: "月报文本.docx".into(),
                name: "九月月报.docx".into(),
            }),
            signer: Signer { public_key: String::new(), fingerprint: "SHA256:x".into(), user_id: None },
            files: Vec::new(),
            level: None,
            units: Vec::new(),
        };
        let record = crate::store::CityBundle {
            county_code: code.into(),
            period: "2026Q3".into(),
            sequence,
            sha256: format!("{code}{sequence}"),
            file_name: format!("{code}_2026Q3_{sequence}.zip"),
            created_at: created_at.into(),
            received_at: "2026-10-09T09:00:00+08:00".into(),
            inside_window,
            signer: "SHA256:x".into(),
            manifest: String::from_utf8(manifest.to_bytes()).unwrap(),
        };
        store.receive_city_bundle(&record, b"zip").unwrap();
        // As `city import` does: the county's report carries its schools.
        let codes: Vec<String> = (1..=5).map(|i| format!("21{code}0{i}")).collect();
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        let mut batch = store.begin_import("2026Q3".parse().unwrap(), "2026-10-09T09:00:00+08:00", "市").unwrap();
        batch.claim_schools(code, sequence, &codes).unwrap();
        batch.commit("[]").unwrap();
    }
    store
}

/// The city's screen over [`city_store`], as a 80×24 terminal shows it.
pub(crate) fn city_app(lang: Lang) -> App {
    let counties = [("410102", "中原区"), ("410103", "二七区"), ("410105", "金水区")]
        .map(|(code, name)| crate::config::CountyRef { code: code.into(), name: name.into() })
        .to_vec();
    let settings = Settings { city: true, counties, place: "郑州市".into(), ..settings(lang) };
    let mut app = App::open(city_store(), None, settings).unwrap();
    app.resize(19, false);
    app.refresh().unwrap();
    app
}

#[test]
fn a_city_opens_on_its_counties_and_each_countys_schools_read_only() {
    let mut app = city_app(Lang::Zh);
    let board = app.board.as_ref().expect("a city opens on its counties");
    assert!(app.board_shown());
    let received: Vec<(&str, bool, Option<u32>)> =
        board.rows.iter().map(|r| (r.county.as_str(), r.received, r.sequence)).collect();
    assert_eq!(received, [("中原区", true, Some(1)), ("二七区", true, Some(2)), ("金水区", false, None)]);
    assert_eq!(board.rows[1].inside_window, Some(false), "二七区 reported late");

    // 二七区: its five schools, read-only, with the search and the detail of a county.
    let before = app.store().content_digest().unwrap();
    press(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    assert!(!app.board_shown());
    assert_eq!(app.view.len(), 5);
    assert!(app.view.iter().all(|&p| app.index.rows[p as usize].code.starts_with("21410103")), "二七区's schools only");
    assert_eq!(app.open_county_name(), Some("二七区"));
    assert_eq!(app.state_counts().iter().sum::<usize>(), 5, "the header counts the county's schools");
    press(&mut app, "a");
    assert!(app.status.as_ref().unwrap().error, "no decision in a city");
    press(&mut app, "/");
    app.on_paste("21410103");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.search.as_ref().unwrap().matches.len(), 5);
    key(&mut app, KeyCode::Enter);
    assert!(app.detail_open && app.detail.is_some(), "the detail opens");
    assert_eq!(app.store().content_digest().unwrap(), before);

    // Esc closes the detail, then the search, then goes back to the board on 二七区.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert!(!app.board_shown() && app.search.is_none());
    key(&mut app, KeyCode::Esc);
    assert!(app.board_shown());
    assert_eq!(app.board.as_ref().unwrap().cursor, 1);

    // 金水区 has sent nothing: it says so and stays on the board.
    press(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    assert!(app.board_shown());
    assert!(app.status.as_ref().is_some_and(|s| s.error && s.text.contains("金水区 还没有上报")), "{:?}", app.status);

    // The last line is the whole city.
    press(&mut app, "G");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view.len(), 10);
    assert_eq!(app.open_county_name(), None);
    press(&mut app, "q");
    assert!(app.should_quit());
}

#[test]
fn a_city_filters_its_list_by_county() {
    let mut app = city_app(Lang::Zh);
    press(&mut app, "G");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view.len(), 10, "the whole city");
    press(&mut app, "F");
    let Mode::Filter { items, counts, .. } = &app.mode else { panic!("no filter menu") };
    assert_eq!(&items[..2], [FilterItem::County(0), FilterItem::County(1)], "the counties come first");
    assert_eq!(&counts[..2], [5, 5]);
    press(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.view.len(), 5);
    assert!(app.view.iter().all(|&p| app.index.rows[p as usize].code.starts_with("21410103")), "二七区's schools only");
    assert_eq!(app.open_county_name(), Some("二七区"), "the header names the county the filter chose");
}
