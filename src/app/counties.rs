//! A city's county board: the screen a city clerk opens on. One line per county of the config
//! (received or missing, which report, on time or late, schools by state) and a last line for
//! the whole city, and first, when the city has any, a 直属 line for the schools it reviews
//! itself; Enter shows that county's schools in the ordinary list (read-only, with the same
//! search, filters and detail) or the 直属 schools (decided here as a county decides its
//! own), Esc in the list comes back here.

use super::{Action, App, Focus, Key};
use crate::bundle::city_status::CountyStatus;
use crate::i18n::fill;

/// The board's lines and highlight; `shown` while it stands in place of the school list.
#[derive(Debug, Clone)]
pub struct CountyBoard {
    pub rows: Vec<CountyStatus>,
    /// In `0..=rows.len()`: `rows.len()` is the whole city.
    pub cursor: usize,
    pub shown: bool,
    /// At a province, a city's counties opened from the cities' board: that board, and the
    /// city (code, name) this one is of.
    pub parent: Option<Box<CountyBoard>>,
    pub city: Option<(String, String)>,
}

impl CountyBoard {
    pub fn new(rows: Vec<CountyStatus>) -> CountyBoard {
        CountyBoard { rows, cursor: 0, shown: true, parent: None, city: None }
    }

    /// The highlighted county; `None` on the whole-city line.
    pub fn current(&self) -> Option<&CountyStatus> {
        self.rows.get(self.cursor)
    }

    fn last(&self) -> usize {
        self.rows.len()
    }
}

impl App {
    /// Keys while the board is shown: movement, Enter, help and quit.
    pub(super) fn board_key(&mut self, key: Key) {
        let Some(board) = self.board.as_mut() else { return };
        let page = self.list_height.max(1);
        // Back from a city's counties to the cities.
        if key.code == super::KeyCode::Esc {
            if let Some(parent) = board.parent.take() {
                let at =
                    board.city.as_ref().and_then(|(code, _)| parent.rows.iter().position(|r| r.county_code == *code));
                *board = *parent;
                board.cursor = at.unwrap_or(board.cursor);
            }
            return;
        }
        match self.settings.keymap.action(key) {
            Some(Action::MoveDown) => board.cursor = (board.cursor + 1).min(board.last()),
            Some(Action::MoveUp) => board.cursor = board.cursor.saturating_sub(1),
            Some(Action::PageDown) => board.cursor = (board.cursor + page).min(board.last()),
            Some(Action::PageUp) => board.cursor = board.cursor.saturating_sub(page),
            Some(Action::First) => board.cursor = 0,
            Some(Action::Last) => board.cursor = board.last(),
            Some(Action::Open) => self.open_county(),
            Some(Action::ReportText) => self.take_report_text(),
            Some(Action::Help) => self.mode = super::Mode::Help { scroll: 0 },
            Some(Action::Quit) => self.quit = true,
            _ => {}
        }
    }

    /// At a province, the highlighted city's counties, on a board of their own.
    fn open_city(&mut self) {
        let (Some(board), Some(period)) = (self.board.as_mut(), self.period) else { return };
        let Some(row) = board.current().cloned() else { return };
        let m = self.settings.lang.msg();
        let rows = match crate::bundle::city_status::city_rows(&self.store, period, &row.county_code) {
            Ok(rows) => rows,
            Err(e) => return self.error(e.user_message(self.settings.lang)),
        };
        let parent = std::mem::replace(board, CountyBoard::new(rows));
        board.parent = Some(Box::new(parent));
        board.city = Some((row.county_code.clone(), row.county.clone()));
        self.info(fill(&m.ui_board_city_opened, &[("city", &crate::i18n::printable(&row.county))]));
    }

    /// Shows the highlighted county's schools (or the whole city's) in the list.
    fn open_county(&mut self) {
        let Some(board) = self.board.as_ref() else { return };
        let m = self.lang().msg();
        let city = board.city.clone();
        let province_top = self.settings.province && city.is_none();
        if province_top && board.current().is_some_and(|r| !r.own && r.received) {
            return self.open_city();
        }
        // Inside a city's counties: only that city's schools.
        let unit = city.as_ref().and_then(|(code, _)| self.index.units.iter().position(|u| **u == **code));
        let unit = unit.map(|u| u8::try_from(u).unwrap_or(u8::MAX));
        if city.is_some() && unit.is_none() {
            let name = city.map(|c| c.1).unwrap_or_default();
            return self.error(fill(&m.ui_board_no_schools, &[("county", &name)]));
        }
        let own = board.current().is_some_and(|r| r.own) && city.is_none();
        let code_of = |code: &str| self.index.counties.iter().position(|(c, _)| **c == *code).map(|p| p as u8);
        let (county, text) = match board.current() {
            None => (None, city.as_ref().map_or_else(|| m.ui_board_all.clone(), |c| c.1.clone())),
            // A city's 直属 schools at a province: those of its report in its own code.
            Some(row) if row.own && city.is_some() => match code_of(&row.county_code) {
                Some(pos) => (
                    Some(pos),
                    format!("{} {}", city.as_ref().map(|c| c.1.as_str()).unwrap_or_default(), m.ui_board_own),
                ),
                None => {
                    self.error(fill(&m.ui_board_no_schools, &[("county", &m.ui_board_own)]));
                    return;
                }
            },
            Some(row) if row.own => (None, m.ui_board_own.clone()),
            Some(row) if !row.received => {
                self.error(fill(&m.ui_board_not_received, &[("county", &crate::i18n::printable(&row.county))]));
                return;
            }
            Some(row) => match self.index.counties.iter().position(|(code, _)| **code == *row.county_code) {
                Some(pos) => (Some(pos as u8), row.county.clone()),
                None => {
                    self.error(fill(&m.ui_board_no_schools, &[("county", &crate::i18n::printable(&row.county))]));
                    return;
                }
            },
        };
        (self.filter.county, self.filter.own, self.filter.unit) = (county, own, unit);
        self.rebuild_view();
        self.move_to(0);
        (self.focus, self.detail_open) = (Focus::List, false);
        if let Some(board) = self.board.as_mut() {
            board.shown = false;
        }
        let opened = if own { &m.ui_board_opened_own } else { &m.ui_board_opened };
        self.info(fill(opened, &[("county", &crate::i18n::printable(&text)), ("count", &self.view.len())]));
    }

    /// Writes the highlighted county's 月报文本 out of its report and says where.
    pub(super) fn take_report_text(&mut self) {
        let (lang, m) = (self.lang(), self.lang().msg());
        let (Some(board), Some(period), Some(dir)) =
            (self.board.as_ref(), self.period, &self.settings.report_texts_dir)
        else {
            // A county's own 月报文本 goes up with its export (`e`); there is none to take out.
            return self.info(m.ui_report_text_city_only.clone());
        };
        let Some(row) = board.current().filter(|r| !r.own) else {
            return self.error(m.ui_board_report_text_pick.clone());
        };
        let county = row.county.clone();
        let label = format!("{}（{}）", row.county, row.county_code);
        match crate::bundle::report_text::extract(&self.store, period, &row.county_code, &label, dir) {
            Ok(done) => self.info(fill(
                &m.city_report_text_written,
                &[("county", &county), ("path", &done.path.display()), ("name", &done.name), ("bytes", &done.bytes)],
            )),
            Err(e) => self.error(e.user_message(lang)),
        }
    }

    /// Back from the list to the board, on the county the list showed.
    pub(super) fn show_board(&mut self) {
        let code = self.filter.county.and_then(|c| self.index.counties.get(usize::from(c))).map(|(code, _)| code);
        let own = self.filter.own;
        let Some(board) = self.board.as_mut() else { return };
        board.cursor = match code {
            _ if own => board.rows.iter().position(|r| r.own),
            Some(code) => board.rows.iter().position(|r| !r.own && *r.county_code == **code),
            None => None,
        }
        .unwrap_or(board.rows.len());
        board.shown = true;
        self.search = None;
    }

    /// Whether the board stands in place of the list.
    pub fn board_shown(&self) -> bool {
        self.board.as_ref().is_some_and(|b| b.shown)
    }

    /// The county whose schools the list shows, in a city (for the header).
    pub fn open_county_name(&self) -> Option<&str> {
        self.board.as_ref()?;
        if self.filter.own {
            return Some(&self.lang().msg().ui_board_own);
        }
        self.filter.county.and_then(|c| self.index.counties.get(usize::from(c))).map(|(_, name)| &**name)
    }
}
