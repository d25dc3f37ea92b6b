//! The review screen rendered to a fixed-size `TestBackend`, driven by keys, checked as a
//! user sees it: whole-screen snapshots (insta) at 80×24 and 120×40, in Chinese and English,
//! and the alignment of Chinese names.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use unicode_width::UnicodeWidthStr;

use crate::app::tests::{key, press, sample_app, settings};
use crate::app::{App, KeyCode, Settings};
use crate::i18n::Lang;
use crate::store::Store;

/// Draws `app` as the runner does on a `width` × `height` terminal and returns the screen,
/// one string per line (a double-width character is one character on its line).
fn screen(app: &mut App, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let size = terminal.size().unwrap();
    app.resize(super::list_height(size), super::is_wide(size.width));
    app.refresh().unwrap();
    terminal.draw(|f| super::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    (0..height)
        .map(|y| {
            let mut line = String::new();
            let mut x = 0;
            while x < width {
                let symbol = buffer[(x, y)].symbol();
                line.push_str(symbol);
                x += symbol.width().max(1) as u16;
            }
            line.trim_end().to_string()
        })
        .collect()
}

fn text(lines: &[String]) -> String {
    lines.join("\n")
}

#[test]
fn list_at_80x24_in_chinese() {
    let mut app = sample_app(Lang::Zh);
    insta::assert_snapshot!(text(&screen(&mut app, 80, 24)));
}

#[test]
fn list_at_80x24_in_english() {
    let mut app = sample_app(Lang::En);
    insta::assert_snapshot!(text(&screen(&mut app, 80, 24)));
}

#[test]
fn detail_at_80x24_replaces_the_list() {
    let mut app = sample_app(Lang::Zh);
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(text(&screen(&mut app, 80, 24)));
}

#[test]
fn list_and_detail_side_by_side_at_120x40() {
    let mut app = sample_app(Lang::Zh);
    press(&mut app, "j");
    insta::assert_snapshot!(text(&screen(&mut app, 120, 40)));
}

#[test]
fn detail_in_english_at_120x40_with_changes_and_a_decision_in_the_log() {
    let mut app = sample_app(Lang::En);
    press(&mut app, "/");
    app.on_paste("2141011495");
    key(&mut app, KeyCode::Enter);
    press(&mut app, "c");
    app.on_paste("called the head teacher");
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(text(&screen(&mut app, 120, 40)));
}

#[test]
fn return_prompt_with_presets() {
    let mut app = sample_app(Lang::Zh);
    press(&mut app, "r");
    key(&mut app, KeyCode::Down);
    insta::assert_snapshot!(text(&screen(&mut app, 80, 24)));
}

#[test]
fn filter_menu() {
    let mut app = sample_app(Lang::Zh);
    press(&mut app, "F");
    insta::assert_snapshot!(text(&screen(&mut app, 80, 24)));
}

#[test]
fn bulk_confirm_says_how_many() {
    let mut app = sample_app(Lang::Zh);
    press(&mut app, "xxx");
    press(&mut app, "r");
    app.on_paste("数据有误");
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(text(&screen(&mut app, 80, 24)));
}

#[test]
fn export_dialog_shows_counts_undecided_schools_and_the_window() {
    // Nothing is exported here, so nothing is written under this (fixed, for the snapshot) path.
    let dir = std::path::Path::new("/srv/shenhe/a-long-folder-name-for-the-bundles-of-the-county/usb");
    for lang in [Lang::Zh, Lang::En] {
        let mut app = crate::app::export::tests::exporting_app(crate::app::tests::sample_store(), lang, dir);
        press(&mut app, "e");
        app.on_paste("D:\\县区资料\\2026年第三季度\\教育信息化数据审核月报（中原区）定稿.docx");
        insta::assert_snapshot!(format!("export_dialog_{lang:?}"), text(&screen(&mut app, 80, 24)));
        for _ in 0..80 {
            key(&mut app, KeyCode::Backspace);
        }
        key(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(format!("export_confirm_{lang:?}"), text(&screen(&mut app, 80, 24)));
        press(&mut app, "y");
        insta::assert_snapshot!(format!("export_reason_{lang:?}"), text(&screen(&mut app, 80, 24)));
    }
}

/// A help line wider than the help at 80 columns is wrapped by the paragraph, and scrolled
/// past, a double-width character of it lands on the border: every line must fit as written.
#[test]
fn every_help_line_fits_the_help_at_80_columns() {
    use unicode_width::UnicodeWidthStr;
    for lang in [Lang::Zh, Lang::En] {
        let app = sample_app(lang);
        for line in super::dialogs::help_lines(&app, super::theme::Theme { color: false }) {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            assert!(text.width() <= 80 - 4 - 2, "{lang:?}: {} columns: {text}", text.width());
        }
    }
}

#[test]
fn help_lists_the_bound_keys() {
    let mut app = sample_app(Lang::Zh);
    press(&mut app, "?");
    insta::assert_snapshot!(text(&screen(&mut app, 80, 24)));
}

#[test]
fn search_line_shows_the_query_and_the_count() {
    let mut app = sample_app(Lang::Zh);
    press(&mut app, "/");
    app.on_paste("西流湖");
    let lines = screen(&mut app, 80, 24);
    assert!(lines[22].starts_with("搜索：西流湖") && lines[22].contains("(4)"), "{}", lines[22]);
}

#[test]
fn first_run_screen_says_how_to_import() {
    let mut app = App::open(Store::open_in_memory().unwrap(), None, settings(Lang::Zh)).unwrap();
    let lines = screen(&mut app, 80, 24);
    let all = text(&lines);
    assert!(all.contains("shenhe import --period 2026Q3") && all.contains("shenhe demo"), "{all}");
    insta::assert_snapshot!(all);
}

/// The part of `line` from display column `col` on; `None` if `col` falls inside a character.
fn from_column(line: &str, col: usize) -> Option<&str> {
    let mut used = 0;
    for (at, c) in line.char_indices() {
        if used == col {
            return Some(&line[at..]);
        }
        used += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used > col {
            return None;
        }
    }
    (used == col).then_some("")
}

/// Chinese names of any length, and every column after them, start at the same column on
/// every row, and no name is cut inside a character.
#[test]
fn chinese_names_and_the_columns_after_them_line_up() {
    for (width, height) in [(80, 24), (100, 30), (120, 40)] {
        let mut app = sample_app(Lang::Zh);
        let lines = screen(&mut app, width, height);
        let header = &lines[2];
        let column = |needle: &str| header[..header.find(needle).unwrap()].width();
        let (code_col, name_col, type_col, state_col) =
            (column("标识码"), column("学校名称"), column("类型"), column("状态"));
        for (i, &pos) in app.view[app.offset..app.offset + app.visible.len()].iter().enumerate() {
            let row = &app.index.rows[pos as usize];
            let line = &lines[3 + i];
            assert!(from_column(line, code_col).unwrap().starts_with(&*row.code), "{width}: {line}");
            let label = row.school_type.unwrap().short_label(Lang::Zh);
            let at_type = from_column(line, type_col).unwrap_or_else(|| panic!("{width}: misaligned {line}"));
            assert!(at_type.starts_with(label), "{width}: type column of {line}");
            let at_state = from_column(line, state_col).unwrap_or_else(|| panic!("{width}: misaligned {line}"));
            assert!(at_state.starts_with(crate::ui::theme::symbol(row.state)), "{width}: state column of {line}");
            // The name cell holds the name, or its start followed by `~`: never half a character.
            let name_cell = from_column(line, name_col).unwrap();
            let cell = name_cell[..name_cell.len() - at_type.len()].trim_end();
            let shown = cell.strip_suffix('~').unwrap_or(cell);
            assert!(row.name.starts_with(shown) && !shown.is_empty(), "{width}: {cell:?} vs {}", row.name);
        }
    }
}

#[test]
fn a_citys_county_board_and_a_countys_list_at_80x24() {
    for lang in [Lang::Zh, Lang::En] {
        let mut app = crate::app::tests::city_app(lang);
        let board = screen(&mut app, 80, 24);
        // The counts (right-aligned) end under their headings: 中原区, 二七区 and the total.
        let heading = &board[2];
        for line in [&board[3], &board[4], &board[6]] {
            assert_eq!(line.width(), heading.width(), "{line:?} against {heading:?}");
        }
        insta::assert_snapshot!(format!("city_board_{lang:?}"), text(&board));
        press(&mut app, "j");
        key(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(format!("city_county_list_{lang:?}"), text(&screen(&mut app, 80, 24)));
    }
}

#[test]
fn the_status_line_reminds_when_the_last_backup_is_too_old() {
    for lang in [Lang::Zh, Lang::En] {
        let settings = crate::app::Settings { remind_after_days: 7, ..settings(lang) };
        let store = crate::app::tests::sample_store();
        let dir = tempfile::tempdir().unwrap();
        let mut app = App::open(store, None, settings.clone()).unwrap();
        let never = screen(&mut app, 80, 24);
        let expected = match lang {
            Lang::Zh => "! 尚未备份：shenhe backup",
            Lang::En => "! never backed up: shenhe backup",
        };
        assert!(never[22].starts_with(&format!(" {expected}")), "{:?}", never[22]);
        assert!(never[22].ends_with("1/198"), "the position stays in view: {:?}", never[22]);

        // A copy made 9 days before the screen's clock (3 October): still reminded, with the age.
        let store = crate::app::tests::sample_store();
        store.backup_to(&dir.path().join("old.db"), false).unwrap();
        store.record_backup("2026-09-24T09:00:00+08:00", false, &dir.path().join("old.db"), 1).unwrap();
        let mut app = App::open(store, None, settings.clone()).unwrap();
        let old = screen(&mut app, 80, 24);
        assert!(old[22].contains('9') && old[22].contains("shenhe backup"), "{:?}", old[22]);
        insta::assert_snapshot!(format!("backup_reminder_{lang:?}"), old[22].clone());

        // One made yesterday: no reminder.
        let store = crate::app::tests::sample_store();
        store.record_backup("2026-10-02T18:00:00+08:00", false, &dir.path().join("new.db"), 1).unwrap();
        let mut app = App::open(store, None, settings).unwrap();
        let fresh = screen(&mut app, 80, 24);
        assert!(!fresh[22].contains("backup"), "{:?}", fresh[22]);
    }
}

/// The sample county with schools in every state: flagged ones approved over their findings
/// and returned, submitted ones approved, one flagged by hand.
fn sample_store_in_every_state() -> Store {
    use crate::domain::ReviewState::{Approved, Flagged, Returned, Submitted};
    use crate::store::Decision;
    let mut store = crate::app::tests::sample_store();
    let period = store.periods().unwrap()[0];
    let listed = store.list(period, None).unwrap();
    let of = |state| listed.iter().filter(move |s| s.state == state).map(|s| s.school_code.clone());
    let decision = |code: &'static str, expected, new_state, note| Decision {
        period,
        school_code: code,
        action: "test",
        expected,
        new_state,
        note,
        actor: "审核员",
        at: "2026-10-03T10:00:00+08:00",
    };
    let leak = |code: String| -> &'static str { Box::leak(code.into_boxed_str()) };
    for code in of(Flagged).take(3).map(leak) {
        store.approve_overriding(&decision(code, Flagged, Approved, Some("核实无误"))).unwrap();
    }
    for code in of(Flagged).skip(3).take(2).map(leak) {
        store.decide(&decision(code, Flagged, Returned, Some("学生数与上期相差太大"))).unwrap();
    }
    for code in of(Submitted).take(20).map(leak) {
        store.decide(&decision(code, Submitted, Approved, None)).unwrap();
    }
    let code = leak(of(Submitted).nth(30).unwrap());
    store.flag(&decision(code, Submitted, Flagged, Some("电话核实"))).unwrap();
    store
}

#[test]
fn the_first_frame_from_the_first_page_is_the_frame_of_the_whole_index() {
    for lang in [Lang::Zh, Lang::En] {
        for (width, height) in [(80, 24), (120, 40), (200, 70)] {
            // As many as the list shows: which schools come first is then the first page's
            // choice, not only its order.
            let rows = super::list_height(ratatui::layout::Size::new(width, height));
            let settings = Settings { first_page_rows: rows, ..settings(lang) };
            let mut first = App::open_first_frame(sample_store_in_every_state(), None, settings.clone()).unwrap();
            assert!(first.index.rows.len() < first.list_total(), "the first frame is drawn from part of the list");
            let drawn = screen(&mut first, width, height);
            let mut whole = App::open(sample_store_in_every_state(), None, settings).unwrap();
            assert_eq!(drawn, screen(&mut whole, width, height), "{lang:?} {width}x{height}");
            first.finish_opening().unwrap();
            assert_eq!(drawn, screen(&mut first, width, height), "after the whole index is read");
            assert_eq!(first.view.len(), whole.view.len());
            // And the keys work on the whole list.
            key(&mut first, KeyCode::End);
            key(&mut whole, KeyCode::End);
            assert_eq!(screen(&mut first, width, height), screen(&mut whole, width, height));
        }
    }
}
