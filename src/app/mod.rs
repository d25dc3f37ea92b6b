//! The review screen's state and behaviour, without the terminal (the Elm shape: this is the
//! model and its update; `ui/` is the view). Keys arrive as [`Key`]s, are resolved to
//! [`Action`]s by the [`Keymap`], and change the state; decisions are written to the store
//! before the state shows them done. Only the rows on screen are read from the store
//! ([`App::refresh`]); filtering, sorting and searching work on a compact in-memory index.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};

use crate::domain::{Period, ReportingWindow, ReviewState, WindowStatus};
use crate::i18n::Lang;
use crate::store::{ReviewIndex, RowIndicators, SchoolDetail, Store, StoreError};

mod counties;
mod decide;
pub mod editor;
pub(crate) mod export;
pub mod keymap;
mod modes;
mod opening;
pub mod search;
pub mod view;

pub use counties::CountyBoard;
pub use decide::{Confirm, Intent, Prompt};
pub use editor::LineEditor;
pub use export::{ExportDialog, ExportSettings};
pub use keymap::{Action, Key, KeyBindings, KeyCode, Keymap, KeymapError};
pub use search::{Query, SearchIndex};
pub use view::{Filter, FilterItem, SortOrder};

/// What the screen needs from the outside world, chosen once when it opens.
#[derive(Clone)]
pub struct Settings {
    pub lang: Lang,
    pub keymap: Keymap,
    /// Preset reasons for 退回重报 (config `[review] return_reasons`).
    pub return_reasons: Vec<String>,
    /// "郑州市 中原区" from the config; empty to take it from the sheets.
    pub place: String,
    /// Config `[period] window`.
    pub window: [u8; 2],
    /// Who the review log names.
    pub actor: String,
    /// The clock: `crate::clock::now` in the binary, a fixed time in tests.
    pub clock: fn() -> DateTime<FixedOffset>,
    /// Colours on (off when `NO_COLOR` is set): state is also shown by text and symbol.
    pub color: bool,
    /// The store's path, for the first-run screen.
    pub database: String,
    /// What `e` needs to export; `None` where the screen cannot export.
    pub export: Option<ExportSettings>,
    /// A city's copy: the counties' data is shown, never changed.
    pub city: bool,
    /// A province's copy: the units below are cities.
    pub province: bool,
    /// A city's counties (config `[city] counties`), for the county board.
    pub counties: Vec<crate::config::CountyRef>,
    /// Config `[backup] remind_after_days` (0: no reminder).
    pub remind_after_days: u32,
    /// Schools read for the first frame ([`App::open_first_frame`]): more than the list shows.
    pub first_page_rows: usize,
    /// Where the board's `t` writes a report's 月报文本; `None` where there is no board.
    pub report_texts_dir: Option<PathBuf>,
}

impl Settings {
    /// The settings from a (validated) config, with the real clock.
    pub fn new(config: &crate::config::Config, lang: Lang, actor: String, database: String, color: bool) -> Settings {
        let county = &config.county;
        Settings {
            lang,
            keymap: Keymap::new(&config.keys).expect("Config::load validated the keys"),
            return_reasons: config.review.return_reasons.clone(),
            // A city's screen is the city's, whatever county its first school is in.
            place: match config.level {
                crate::config::Level::City => config.city.name.trim().to_string(),
                crate::config::Level::Province => config.province.name.trim().to_string(),
                crate::config::Level::County => [county.city.as_str(), county.name.as_str()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" "),
            },
            window: config.period.window,
            actor,
            clock: crate::clock::now,
            color,
            database,
            export: None,
            city: config.level != crate::config::Level::County,
            province: config.level == crate::config::Level::Province,
            counties: config.units_below(),
            remind_after_days: config.backup.remind_after_days,
            first_page_rows: opening::FIRST_PAGE_ROWS,
            report_texts_dir: None,
        }
    }

    /// Lets `e` export, with keys from `keys_dir` and bundles into `out_dir`.
    pub fn with_export(mut self, config: &crate::config::Config, keys_dir: PathBuf, out_dir: PathBuf) -> Settings {
        let key_spec = crate::bundle::keys::KeySpec::of(config);
        self.export = Some(ExportSettings { config: config.clone(), keys_dir, out_dir, key_spec, encrypt_to: None });
        self
    }

    /// Has `e` also seal each export to the keys in `file` (`[export] encrypt_to`).
    pub fn sealing_to(mut self, file: Option<PathBuf>) -> Settings {
        if let Some(export) = &mut self.export {
            export.encrypt_to = file;
        }
        self
    }
}

/// Which pane the movement keys act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
}

/// Why the screen reminds the auditor to back up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupDue {
    /// No copy of this store was ever made.
    Never,
    /// The last copy is this many days old.
    DaysAgo(i64),
}

/// What the keyboard is talking to.
#[derive(Debug, Clone, Default)]
pub enum Mode {
    #[default]
    Normal,
    /// Typing a search; `origin` is where the cursor was, to go back on Esc.
    Search { editor: LineEditor, origin: usize },
    /// Typing a reason or note for a decision.
    Prompt(Prompt),
    /// A bulk decision waiting for yes or no.
    Confirm(Confirm),
    /// What the export would write, waiting for yes or no (and a reason when forced).
    Export(Box<ExportDialog>),
    /// The filter menu, with its highlighted line.
    Filter { items: Vec<FilterItem>, counts: Vec<usize>, cursor: usize },
    /// The sort menu, with its highlighted line.
    Sort { cursor: usize },
    /// Full help, scrolled by this many lines.
    Help { scroll: u16 },
}

/// The last search: its text and the list positions it found.
#[derive(Debug, Clone, Default)]
pub struct SearchState {
    pub query: String,
    pub matches: Vec<usize>,
}

/// One line of feedback under the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

pub struct App {
    store: Store,
    pub settings: Settings,
    /// The period on screen; `None` when the store is empty (the first-run screen).
    pub period: Option<Period>,
    /// Reported (exported) periods are read-only.
    pub locked: bool,
    /// City and county for the header.
    pub place: String,
    pub index: ReviewIndex,
    /// The names' pinyin initials, prepared on the first search.
    search_index: SearchIndex,
    /// Positions in `index.rows` of the schools the list shows, in order.
    pub view: Vec<u32>,
    /// Position in `view` of the highlighted school.
    pub cursor: usize,
    /// Position in `view` of the first row on screen.
    pub offset: usize,
    /// Rows the list has room for (set by the runner from the terminal size).
    pub list_height: usize,
    /// Wide enough to show the list and the detail side by side.
    pub wide: bool,
    /// Parallel to `index.rows`.
    pub selected: Vec<bool>,
    pub selected_count: usize,
    pub filter: Filter,
    pub sort: SortOrder,
    pub search: Option<SearchState>,
    pub focus: Focus,
    /// On a narrow screen the detail replaces the list while open.
    pub detail_open: bool,
    pub detail_scroll: u16,
    pub mode: Mode,
    /// A city's county board (`None` in a county).
    pub board: Option<CountyBoard>,
    /// Set when the last backup is older than the config allows.
    pub backup_due: Option<BackupDue>,
    undo: Vec<Vec<decide::Done>>,
    pub status: Option<Status>,
    /// Indicators of `view[offset..]`, as many as are on screen (see [`App::refresh`]).
    pub visible: Vec<RowIndicators>,
    /// The detail of the highlighted school, when a detail pane is shown.
    pub detail: Option<(u32, SchoolDetail)>,
    /// Until the whole index is read ([`App::finish_opening`]): the header's counts over the
    /// period, while `index` holds only the first page.
    opening: Option<[usize; 5]>,
    quit: bool,
}

impl App {
    /// Opens the screen on `period`, or on the newest period that is still open (else the
    /// newest), or on the first-run screen when the store holds nothing.
    pub fn open(store: Store, period: Option<Period>, settings: Settings) -> Result<App, StoreError> {
        let mut app = App::open_first_frame(store, period, settings)?;
        app.finish_opening()?;
        Ok(app)
    }

    /// [`App::open`] as far as its first frame needs: the header's counts and the first
    /// schools of the list ([`Store::first_page`]). The runner draws it, then calls
    /// [`App::finish_opening`] before the first key.
    pub fn open_first_frame(store: Store, period: Option<Period>, settings: Settings) -> Result<App, StoreError> {
        let period = match period {
            Some(p) => Some(p),
            None => {
                let periods = store.periods()?;
                let mut open = None;
                for p in &periods {
                    if !store.period_reported(*p)? {
                        open = Some(*p);
                        break;
                    }
                }
                open.or(periods.first().copied())
            }
        };
        let mut app = App {
            store,
            settings,
            period,
            locked: false,
            place: String::new(),
            index: ReviewIndex::default(),
            search_index: SearchIndex::default(),
            view: Vec::new(),
            cursor: 0,
            offset: 0,
            list_height: 10,
            wide: false,
            selected: Vec::new(),
            selected_count: 0,
            filter: Filter::default(),
            sort: SortOrder::default(),
            search: None,
            focus: Focus::List,
            detail_open: false,
            detail_scroll: 0,
            mode: Mode::Normal,
            board: None,
            backup_due: None,
            undo: Vec::new(),
            status: None,
            visible: Vec::new(),
            detail: None,
            opening: None,
            quit: false,
        };
        if let Some(p) = period {
            app.locked = app.store.period_reported(p)?;
            let first = app.store.first_page(p, app.settings.first_page_rows)?;
            app.index = first.index;
            app.opening = Some(first.counts);
            app.selected = vec![false; app.index.rows.len()];
            app.place = if app.settings.place.trim().is_empty() {
                let (city, county) = app.store.period_place(p)?;
                [city, county].into_iter().flatten().collect::<Vec<_>>().join(" ")
            } else {
                app.settings.place.clone()
            };
            app.rebuild_view();
            app.backup_due = app.backup_due()?;
            if app.settings.city && !app.settings.counties.is_empty() {
                let rows = crate::bundle::city_status::statuses(&app.store, &app.settings.counties, p)?;
                app.board = Some(CountyBoard::new(rows));
            }
        }
        Ok(app)
    }

    pub fn lang(&self) -> Lang {
        self.settings.lang
    }

    /// At a city, the list shows schools its counties reported (the board, a county, the whole
    /// city): read-only. Its 直属 schools (the list opened on them) it decides as a county does.
    pub fn read_only(&self) -> bool {
        self.settings.city && !self.filter.own
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// The store, for tests and the runner to read what was written.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Tells the app the terminal's size, as the ui lays it out.
    pub fn resize(&mut self, list_height: usize, wide: bool) {
        self.list_height = list_height.max(1);
        self.wide = wide;
        self.scroll_into_view();
    }

    /// Reads from the store what the next frame shows: the indicators of the rows on screen
    /// and, when a detail pane is shown, the highlighted school's detail.
    pub fn refresh(&mut self) -> Result<(), StoreError> {
        let end = (self.offset + self.list_height).min(self.view.len());
        self.visible.clear();
        for &pos in &self.view[self.offset.min(end)..end] {
            self.visible.push(self.store.row_indicators(self.index.rows[pos as usize].id)?);
        }
        let shown = self.wide || self.detail_open;
        match (shown, self.period, self.current()) {
            (true, Some(period), Some(pos)) => {
                if self.detail.as_ref().is_none_or(|(p, _)| *p != pos) {
                    let code = &self.index.rows[pos as usize].code;
                    self.detail = Some((pos, self.store.school_detail(period, code)?));
                }
            }
            _ => self.detail = None,
        }
        Ok(())
    }

    /// Position in `index.rows` of the highlighted school.
    pub fn current(&self) -> Option<u32> {
        self.view.get(self.cursor).copied()
    }

    /// Schools per state over the whole period (in a city, over the county or the 直属 schools
    /// the list shows), in
    /// [`ReviewState::ALL`] order.
    pub fn state_counts(&self) -> [usize; 5] {
        if let Some(counts) = self.opening {
            return counts;
        }
        let mut counts = [0; 5];
        let shown = |r: &&crate::store::IndexRow| {
            self.filter.county.is_none_or(|c| r.county == c) && (!self.filter.own || r.own)
        };
        for r in self.index.rows.iter().filter(shown) {
            counts[ReviewState::ALL.iter().position(|s| *s == r.state).unwrap_or(0)] += 1;
        }
        counts
    }

    /// Whether the last copy of the store is older than `[backup] remind_after_days`.
    fn backup_due(&self) -> Result<Option<BackupDue>, StoreError> {
        let limit = i64::from(self.settings.remind_after_days);
        if limit == 0 {
            return Ok(None);
        }
        let now = (self.settings.clock)();
        Ok(match self.store.last_backup()? {
            None => Some(BackupDue::Never),
            Some(last) => {
                let days = DateTime::parse_from_rfc3339(&last.at).map_or(i64::MAX, |at| (now - at).num_days());
                (days >= limit).then_some(BackupDue::DaysAgo(days))
            }
        })
    }

    /// Where today stands against the period's reporting window.
    pub fn window(&self) -> Option<(ReportingWindow, WindowStatus)> {
        let window = ReportingWindow::of(self.period?, self.settings.window);
        Some((window, window.status((self.settings.clock)().date_naive())))
    }

    /// A key press, in whatever mode the screen is.
    pub fn on_key(&mut self, key: Key) {
        match std::mem::take(&mut self.mode) {
            Mode::Normal => self.normal_key(key),
            Mode::Search { editor, origin } => self.search_key(key, editor, origin),
            Mode::Prompt(prompt) => self.prompt_key(key, prompt),
            Mode::Confirm(confirm) => self.confirm_key(key, confirm),
            Mode::Export(dialog) => self.export_key(key, dialog),
            Mode::Filter { items, counts, cursor } => self.filter_key(key, items, counts, cursor),
            Mode::Sort { cursor } => self.sort_key(key, cursor),
            Mode::Help { scroll } => self.help_key(key, scroll),
        }
    }

    /// Text pasted or committed by an input method in one piece.
    pub fn on_paste(&mut self, text: &str) {
        match &mut self.mode {
            Mode::Search { editor, origin } => {
                editor.insert(text);
                let (query, origin) = (editor.text(), *origin);
                self.run_search(&query, Some(origin));
            }
            Mode::Prompt(prompt) => prompt.editor.insert(text),
            Mode::Export(dialog) => {
                if let Some(editor) = dialog.report_text_editor.as_mut().or(dialog.reason.as_mut()) {
                    editor.insert(text);
                }
            }
            _ => {}
        }
    }

    fn normal_key(&mut self, key: Key) {
        self.status = None;
        if self.board_shown() {
            return self.board_key(key);
        }
        if key.code == KeyCode::Esc {
            if self.focus == Focus::Detail || self.detail_open {
                (self.focus, self.detail_open) = (Focus::List, false);
            } else if self.search.is_some() || self.board.is_none() {
                self.search = None;
            } else {
                self.show_board();
            }
            return;
        }
        let Some(action) = self.settings.keymap.action(key) else { return };
        if self.period.is_none() && !matches!(action, Action::Quit | Action::Help) {
            return;
        }
        let page = self.list_height.max(1);
        let in_detail = self.focus == Focus::Detail;
        match action {
            Action::MoveDown if in_detail => self.detail_scroll = self.detail_scroll.saturating_add(1),
            Action::MoveUp if in_detail => self.detail_scroll = self.detail_scroll.saturating_sub(1),
            Action::PageDown if in_detail => self.detail_scroll = self.detail_scroll.saturating_add(page as u16),
            Action::PageUp if in_detail => self.detail_scroll = self.detail_scroll.saturating_sub(page as u16),
            Action::First if in_detail => self.detail_scroll = 0,
            Action::MoveDown => self.move_to(self.cursor.saturating_add(1)),
            Action::MoveUp => self.move_to(self.cursor.saturating_sub(1)),
            Action::PageDown => self.move_to(self.cursor.saturating_add(page)),
            Action::PageUp => self.move_to(self.cursor.saturating_sub(page)),
            Action::First => self.move_to(0),
            Action::Last => self.move_to(usize::MAX),
            Action::Open => {
                if self.current().is_some() {
                    self.focus = Focus::Detail;
                    self.detail_open = !self.wide;
                }
            }
            Action::SwitchPane => {
                if self.current().is_some() {
                    self.focus = if self.focus == Focus::List { Focus::Detail } else { Focus::List };
                    self.detail_open = !self.wide && self.focus == Focus::Detail;
                }
            }
            Action::Search => {
                self.mode = Mode::Search { editor: LineEditor::default(), origin: self.cursor };
                self.search = None;
            }
            Action::NextMatch => self.next_match(true),
            Action::PreviousMatch => self.next_match(false),
            Action::Filter => self.open_filter_menu(),
            Action::Sort => {
                let cursor = SortOrder::ALL.iter().position(|s| *s == self.sort).unwrap_or(0);
                self.mode = Mode::Sort { cursor };
            }
            Action::Select => self.toggle_selected(),
            Action::SelectAll => self.select_all(),
            Action::Approve => self.start(Intent::Approve),
            Action::Return => self.start(Intent::Return),
            Action::Flag => self.start(Intent::Flag),
            Action::Comment => self.start(Intent::Comment),
            Action::Undo => self.undo_last(),
            Action::CancelReturn => self.cancel_return(),
            Action::Export => self.start_export(),
            // In a county's schools at a city: that county's 月报文本.
            Action::ReportText => self.take_report_text(),
            Action::Help => self.mode = Mode::Help { scroll: 0 },
            Action::Quit => self.quit = true,
        }
    }

    /// Moves the highlight to `pos` (clamped to the list).
    pub fn move_to(&mut self, pos: usize) {
        self.cursor = pos.min(self.view.len().saturating_sub(1));
        self.detail_scroll = 0;
        self.scroll_into_view();
    }

    fn scroll_into_view(&mut self) {
        let h = self.list_height.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + h {
            self.offset = self.cursor + 1 - h;
        }
        self.offset = self.offset.min(self.view.len().saturating_sub(h));
    }

    fn toggle_selected(&mut self) {
        let Some(pos) = self.current() else { return };
        let slot = &mut self.selected[pos as usize];
        *slot = !*slot;
        if *slot {
            self.selected_count += 1;
        } else {
            self.selected_count -= 1;
        }
        self.move_to(self.cursor + 1);
    }

    /// Selects every school in the list, or clears the selection if that is what it is.
    fn select_all(&mut self) {
        let all = !self.view.is_empty() && self.view.iter().all(|&p| self.selected[p as usize]);
        self.selected.iter_mut().for_each(|s| *s = false);
        self.selected_count = 0;
        if !all {
            for &p in &self.view {
                self.selected[p as usize] = true;
            }
            self.selected_count = self.view.len();
        }
    }

    /// Re-applies filter and sort, keeping the highlighted school if it is still listed.
    fn rebuild_view(&mut self) {
        let keep = self.current();
        self.view = view::build(&self.index.rows, &self.filter, self.sort);
        let pos = keep.and_then(|k| self.view.iter().position(|&p| p == k)).unwrap_or(0);
        self.offset = 0;
        self.move_to(pos);
        // The last matches are positions in the old list: search the new one afresh.
        if let Some(query) = self.search.take().map(|s| s.query) {
            self.run_search(&query, Some(self.cursor));
        }
    }

    /// Finds `query` in the list; with `from`, moves to the first match at or after it.
    fn run_search(&mut self, query: &str, from: Option<usize>) {
        if self.search_index.len() != self.index.rows.len() {
            self.search_index = SearchIndex::new(self.index.rows.iter().map(|r| &*r.name));
        }
        let prepared = Query::new(query);
        let (rows, view) = (&self.index.rows, &self.view);
        let searcher = prepared.as_ref().map(|q| self.search_index.searcher(q));
        let found = |i: &usize| {
            let pos = view[*i] as usize;
            searcher.as_ref().is_some_and(|s| s.matches(pos, &rows[pos].code, &rows[pos].name))
        };
        // Typing one more character only narrows the last matches: try those alone.
        let narrowing = match (&self.search, &prepared) {
            (Some(last), Some(q)) => Query::new(&last.query).is_some_and(|l| q.narrows(&l)),
            _ => false,
        };
        let matches: Vec<usize> = match (&self.search, narrowing) {
            (Some(last), true) => last.matches.iter().copied().filter(found).collect(),
            _ => (0..self.view.len()).filter(found).collect(),
        };
        if let Some(from) = from
            && let Some(&first) = matches.iter().find(|&&i| i >= from).or(matches.first())
        {
            self.move_to(first);
        }
        self.search = Some(SearchState { query: query.to_string(), matches });
    }

    fn next_match(&mut self, forward: bool) {
        let Some(search) = &self.search else { return };
        let m = &search.matches;
        let target = if forward {
            m.iter().find(|&&i| i > self.cursor).or(m.first())
        } else {
            m.iter().rev().find(|&&i| i < self.cursor).or(m.last())
        };
        match target.copied() {
            Some(t) => {
                let nth = m.iter().position(|&i| i == t).unwrap_or(0) + 1;
                let total = m.len();
                self.move_to(t);
                self.info(crate::i18n::fill(&self.lang().msg().screen_match_n, &[("n", &nth), ("total", &total)]));
            }
            None => self.error(self.lang().msg().screen_no_match.clone()),
        }
    }

    fn info(&mut self, text: String) {
        self.status = Some(Status { text, error: false });
    }

    fn error(&mut self, text: String) {
        self.status = Some(Status { text, error: true });
    }
}

#[cfg(test)]
mod city_tests;
#[cfg(test)]
pub(crate) mod tests;
