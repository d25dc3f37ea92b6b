//! Opening the screen in two steps: the first frame from the first page of the list and the
//! header's counts, then the whole index (ARCHITECTURE.md, "The first frame").

use super::App;
use crate::store::StoreError;

/// Schools read for the first frame: more rows than any terminal shows.
pub const FIRST_PAGE_ROWS: usize = 256;

impl App {
    /// Reads the whole index after the first frame: the list, its counts and everything the
    /// keys work on. The highlight stays on the school it was on. Does nothing the second time.
    pub fn finish_opening(&mut self) -> Result<(), StoreError> {
        if self.opening.take().is_none() {
            return Ok(());
        }
        let Some(period) = self.period else { return Ok(()) };
        let highlighted = self.current().map(|i| self.index.rows[i as usize].code.clone());
        let offset_from_cursor = self.cursor.saturating_sub(self.offset);
        self.index = self.store.review_index(period)?;
        // The search's index is by position in the rows: made afresh at the next search.
        self.search_index = super::SearchIndex::default();
        self.selected = vec![false; self.index.rows.len()];
        self.selected_count = 0;
        self.view = super::view::build(&self.index.rows, &self.filter, self.sort);
        let at = highlighted
            .and_then(|code| self.index.rows.binary_search_by(|r| r.code.cmp(&code)).ok())
            .and_then(|row| self.view.iter().position(|&v| v as usize == row))
            .unwrap_or(0);
        self.offset = at.saturating_sub(offset_from_cursor);
        self.move_to(at);
        Ok(())
    }

    /// How many schools the list holds (the first frame's "1 / N" before the whole index is
    /// read).
    pub fn list_total(&self) -> usize {
        match self.opening {
            Some(counts) => counts.iter().sum(),
            None => self.view.len(),
        }
    }
}
