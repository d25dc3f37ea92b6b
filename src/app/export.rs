//! `e` on the review screen: what would be exported (counts, undecided schools, the window),
//! then the export itself after a confirm — with a reason when schools are still undecided.

use std::path::PathBuf;

use super::{App, Key, KeyCode, LineEditor, Mode};
use crate::bundle::export::{self, Preview, Request};
use crate::bundle::keys;
use crate::config::Config;
use crate::i18n::fill;

/// What the screen's export needs besides the store.
#[derive(Debug, Clone)]
pub struct ExportSettings {
    pub config: Config,
    pub keys_dir: PathBuf,
    pub out_dir: PathBuf,
    /// The comment a key made on first need carries.
    pub key_comment: String,
}

/// The export dialog: the preview, and the reason being typed when forcing.
#[derive(Debug, Clone)]
pub struct ExportDialog {
    pub preview: Preview,
    pub out_dir: PathBuf,
    /// Some while the auditor types why to export with schools undecided.
    pub reason: Option<LineEditor>,
    pub error: Option<String>,
}

impl App {
    pub(super) fn start_export(&mut self) {
        let (lang, m) = (self.lang(), self.lang().msg());
        let Some(period) = self.period else { return };
        let Some(settings) = &self.settings.export else {
            return self.error(m.screen_export_unavailable.clone());
        };
        let now = (self.settings.clock)();
        match export::preview(&self.store, &settings.config, period, now) {
            Ok(preview) => match &preview.reported {
                Some(bundle) => self.info(fill(
                    &m.screen_export_reported,
                    &[("period", &period), ("sequence", &bundle.sequence), ("path", &bundle.path)],
                )),
                None if settings.config.county.code.trim().is_empty() => self.error(m.export_no_county_code.clone()),
                None => {
                    let out_dir = settings.out_dir.clone();
                    self.mode = Mode::Export(ExportDialog { preview, out_dir, reason: None, error: None });
                }
            },
            Err(e) => self.error(e.user_message(lang)),
        }
    }

    pub(super) fn export_key(&mut self, key: Key, mut dialog: ExportDialog) {
        let m = self.lang().msg();
        let yes = matches!(key.code, KeyCode::Char('y' | 'Y') | KeyCode::Enter);
        match dialog.reason.as_mut() {
            None if yes && dialog.preview.pending.is_empty() => self.run_export(dialog.preview, None),
            None if yes => {
                dialog.reason = Some(LineEditor::default());
                self.mode = Mode::Export(dialog);
            }
            None if matches!(key.code, KeyCode::Char('n' | 'N') | KeyCode::Esc) => {
                self.info(m.screen_cancelled.clone())
            }
            None => self.mode = Mode::Export(dialog),
            Some(_) if key.code == KeyCode::Esc => self.info(m.screen_cancelled.clone()),
            Some(editor) if key.code == KeyCode::Enter && editor.is_blank() => {
                dialog.error = Some(m.screen_text_required.clone());
                self.mode = Mode::Export(dialog);
            }
            Some(editor) if key.code == KeyCode::Enter => {
                let reason = editor.text().trim().to_string();
                self.run_export(dialog.preview, Some(reason));
            }
            Some(editor) => {
                if editor.edit(key) {
                    dialog.error = None;
                }
                self.mode = Mode::Export(dialog);
            }
        }
    }

    fn run_export(&mut self, preview: Preview, reason: Option<String>) {
        let (lang, m) = (self.lang(), self.lang().msg());
        let Some(settings) = self.settings.export.clone() else { return };
        let key = match keys::load_or_init(&settings.keys_dir, &settings.key_comment) {
            Ok(key) => key,
            Err(e) => return self.error(e.user_message(lang)),
        };
        let request = Request {
            period: preview.period,
            out_dir: &settings.out_dir,
            force_reason: reason.as_deref(),
            actor: &self.settings.actor,
            now: (self.settings.clock)(),
        };
        match export::export(&mut self.store, &settings.config, &key, request) {
            Ok(done) => {
                tracing::info!(period = %preview.period, sequence = done.sequence, "exported from the screen");
                self.locked = true;
                // Decisions of a reported period cannot be taken back: it is read-only now.
                self.undo.clear();
                self.info(fill(
                    &m.screen_exported,
                    &[("path", &done.path.display()), ("sequence", &done.sequence), ("bytes", &done.bytes)],
                ));
            }
            Err(e) => self.error(e.user_message(lang)),
        }
    }
}
