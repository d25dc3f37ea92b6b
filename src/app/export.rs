//! `e` on the review screen: what would be exported (counts, undecided schools, the window),
//! asked with the 月报文本, then the export itself after a confirm — with a reason when schools
//! are still undecided or the report goes without its 月报文本.

use std::path::PathBuf;

use super::{App, Key, KeyCode, LineEditor, Mode};
use crate::bundle::export::{self, Preview, Request};
use crate::bundle::keys;
use crate::bundle::report_text;
use crate::config::Config;
use crate::i18n::fill;

/// What the screen's export needs besides the store.
#[derive(Debug, Clone)]
pub struct ExportSettings {
    pub config: Config,
    pub keys_dir: PathBuf,
    pub out_dir: PathBuf,
    /// The kind and comment of a key made on first need.
    pub key_spec: crate::bundle::keys::KeySpec,
    /// `[export] encrypt_to`: the receivers' keys each export is also sealed to.
    pub encrypt_to: Option<PathBuf>,
}

/// The export dialog: the 月报文本 asked first (the last one offered), then the preview to
/// confirm, then the reason being typed when forcing.
#[derive(Debug, Clone)]
pub struct ExportDialog {
    pub preview: Preview,
    pub out_dir: PathBuf,
    /// Some while the auditor types or pastes the 月报文本's path.
    pub report_text_editor: Option<LineEditor>,
    /// The 月报文本 chosen and checked: its path and its entry in the bundle.
    pub report_text: Option<(PathBuf, String)>,
    /// Some while the auditor types why to export with schools undecided or no 月报文本.
    pub reason: Option<LineEditor>,
    pub error: Option<String>,
}

impl ExportDialog {
    /// Whether this export must be forced with a reason.
    pub fn needs_reason(&self) -> bool {
        !self.preview.pending.is_empty() || self.report_text.is_none() || !self.preview.units_not_on_time.is_empty()
    }
}

/// A path as typed or pasted: Windows Explorer's 复制文件地址 puts it in double quotes.
fn typed_path(text: &str) -> PathBuf {
    let t = text.trim();
    let t = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(t);
    PathBuf::from(t)
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
                None if crate::bundle::upward::Reporter::of(&settings.config).is_err() => {
                    self.error(m.export_no_county_code.clone())
                }
                None => {
                    let out_dir = settings.out_dir.clone();
                    let last = preview.last_report_text.clone().unwrap_or_default();
                    self.mode = Mode::Export(Box::new(ExportDialog {
                        preview,
                        out_dir,
                        report_text_editor: Some(LineEditor::with_text(&last)),
                        report_text: None,
                        reason: None,
                        error: None,
                    }));
                }
            },
            Err(e) => self.error(e.user_message(lang)),
        }
    }

    pub(super) fn export_key(&mut self, key: Key, mut dialog: Box<ExportDialog>) {
        let (lang, m) = (self.lang(), self.lang().msg());
        if let Some(editor) = dialog.report_text_editor.as_mut() {
            match key.code {
                KeyCode::Esc => return self.info(m.screen_cancelled.clone()),
                KeyCode::Enter if editor.is_blank() => dialog.report_text_editor = None,
                KeyCode::Enter => {
                    let path = typed_path(&editor.text());
                    match report_text::read(&path) {
                        Ok(text) => {
                            dialog.report_text = Some((path, text.entry()));
                            dialog.report_text_editor = None;
                        }
                        Err(e) => dialog.error = Some(e.user_message(lang)),
                    }
                }
                _ => {
                    if editor.edit(key) {
                        dialog.error = None;
                    }
                }
            }
            self.mode = Mode::Export(dialog);
            return;
        }
        let yes = matches!(key.code, KeyCode::Char('y' | 'Y') | KeyCode::Enter);
        let needs_reason = dialog.needs_reason();
        match dialog.reason.as_mut() {
            None if yes && !needs_reason => self.run_export(dialog, None),
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
                self.run_export(dialog, Some(reason));
            }
            Some(editor) => {
                if editor.edit(key) {
                    dialog.error = None;
                }
                self.mode = Mode::Export(dialog);
            }
        }
    }

    fn run_export(&mut self, dialog: Box<ExportDialog>, reason: Option<String>) {
        let preview = dialog.preview;
        let (lang, m) = (self.lang(), self.lang().msg());
        let Some(settings) = self.settings.export.clone() else { return };
        let request = Request {
            period: preview.period,
            out_dir: &settings.out_dir,
            force_reason: reason.as_deref(),
            report_text: dialog.report_text.as_ref().map(|(path, _)| path.as_path()),
            actor: &self.settings.actor,
            now: (self.settings.clock)(),
        };
        match export::export(
            &mut self.store,
            &settings.config,
            || keys::load_or_init(&settings.keys_dir, &settings.key_spec),
            request,
        ) {
            Ok(done) => {
                tracing::info!(period = %preview.period, sequence = done.sequence, "exported from the screen");
                self.locked = true;
                // Decisions of a reported period cannot be taken back: it is read-only now.
                self.undo.clear();
                let exported = fill(
                    &m.screen_exported,
                    &[("path", &done.path.display()), ("sequence", &done.sequence), ("bytes", &done.bytes)],
                );
                match settings.encrypt_to.as_deref().map(|file| seal(&done.path, file)) {
                    None => self.info(exported),
                    // The file to send first: the status line is one line, cut at the screen's edge.
                    Some(Ok(sealed)) => self.info(fill(
                        &m.screen_sealed,
                        &[("path", &sealed.display()), ("sequence", &done.sequence), ("bytes", &done.bytes)],
                    )),
                    // Exported and locked all the same: the plain bundle is there to seal by hand.
                    Some(Err(reason)) => self.error(format!(
                        "{exported} {}",
                        fill(&m.screen_not_sealed, &[("reason", &crate::i18n::printable(&reason))])
                    )),
                }
            }
            Err(e) => self.error(e.user_message(lang)),
        }
    }
}

/// `bundle` sealed to the keys in `file`, beside it; or why not, in words.
fn seal(bundle: &std::path::Path, file: &std::path::Path) -> Result<PathBuf, String> {
    use crate::bundle::sealed::{self, RecipientsFileProblem};
    let recipients = sealed::recipients_file(file).map_err(|problem| match problem {
        RecipientsFileProblem::Read(e) => format!("{}: {e}", file.display()),
        RecipientsFileProblem::Line(line, _) => format!("{}:{line}", file.display()),
    })?;
    sealed::seal_file(bundle, &recipients).map_err(|e| e.to_string())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::app::tests::{key, press, sample_store, settings};
    use crate::domain::ReviewState;
    use crate::i18n::Lang;
    use crate::store::Store;

    /// The sample county's screen, able to export into a temporary directory.
    pub(crate) fn exporting_app(store: Store, lang: Lang, dir: &std::path::Path) -> App {
        let (code, name, city) = crate::sample::COUNTY;
        let text = format!(
            "[county]\ncode = \"{code}\"\nname = \"{name}\"\ncity = \"{city}\"\n[auditor]\nname = \"张敏\"\nphone = \"0371-12345678\"\n"
        );
        let config = Config::from_user_toml(&text, "test.toml", lang).unwrap();
        let settings = settings(lang).with_export(&config, dir.join("keys"), dir.join("bundles"));
        let mut app = App::open(store, None, settings).unwrap();
        app.resize(19, false);
        app.refresh().unwrap();
        app
    }

    #[test]
    fn with_schools_undecided_e_asks_a_reason_then_exports_and_locks() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = exporting_app(sample_store(), Lang::Zh, dir.path());
        press(&mut app, "e");
        let Mode::Export(dialog) = &app.mode else { panic!("no export dialog: {:?}", app.status) };
        assert_eq!(dialog.preview.counts.schools, 198);
        assert!(!dialog.preview.pending.is_empty(), "the sample county has flagged schools");
        assert_eq!(dialog.preview.file_name, "410102_2026Q3_1.zip");
        assert!(dialog.report_text_editor.as_ref().is_some_and(LineEditor::is_blank), "the 月报文本 is asked first");
        key(&mut app, KeyCode::Enter);
        let Mode::Export(dialog) = &app.mode else { panic!("going without a 月报文本 keeps the dialog") };
        assert!(dialog.report_text.is_none() && dialog.needs_reason());
        press(&mut app, "y");
        key(&mut app, KeyCode::Enter);
        let Mode::Export(dialog) = &app.mode else { panic!("an empty reason does not export") };
        assert!(dialog.error.is_some());
        app.on_paste("市州要求今天先报");
        key(&mut app, KeyCode::Enter);
        assert!(matches!(app.mode, Mode::Normal));
        assert!(app.locked, "{:?}", app.status);
        let period = app.period.unwrap();
        let bundles = app.store().bundles(period).unwrap();
        assert_eq!(bundles.len(), 1);
        assert_eq!(bundles[0].forced_reason.as_deref(), Some("市州要求今天先报"));
        assert!(dir.path().join("bundles/410102_2026Q3_1.zip").exists());
        assert!(app.status.as_ref().unwrap().text.contains("410102_2026Q3_1.zip"));
        assert!(dir.path().join("keys").join(keys::PRIVATE_FILE).exists(), "the key is made on first need");

        // Read-only now: a decision is refused, and `e` says where the report went.
        let before = app.store().list(period, None).unwrap();
        press(&mut app, "a");
        assert!(app.status.as_ref().unwrap().error);
        assert_eq!(app.store().list(period, None).unwrap(), before);
        press(&mut app, "e");
        assert!(matches!(app.mode, Mode::Normal));
        assert!(app.status.as_ref().unwrap().text.contains("410102_2026Q3_1.zip"));
    }

    /// With `[export] encrypt_to` set, `e` also writes the bundle sealed to those keys, and
    /// says so; a broken keys file leaves the export done and says what went wrong.
    #[test]
    fn e_seals_the_export_to_the_encrypt_to_keys() {
        for broken in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let receiver = keys::init(&dir.path().join("city"), &keys::KeySpec::ed25519("city")).unwrap();
            let file = dir.path().join("city.pub");
            let text = if broken { "not a key\n".to_string() } else { format!("{}\n", receiver.public_line()) };
            std::fs::write(&file, text).unwrap();
            let mut app = exporting_app(sample_store(), Lang::Zh, dir.path());
            if let Some(export) = &mut app.settings.export {
                export.encrypt_to = Some(file.clone());
            }
            press(&mut app, "e");
            key(&mut app, KeyCode::Enter);
            press(&mut app, "y");
            app.on_paste("先报");
            key(&mut app, KeyCode::Enter);
            assert!(app.locked, "{:?}", app.status);
            let status = app.status.clone().unwrap();
            let sealed = dir.path().join("bundles/410102_2026Q3_1.zip.age");
            assert_eq!(sealed.exists(), !broken, "{status:?}");
            assert_eq!(status.error, broken, "{status:?}");
            if broken {
                assert!(status.text.contains("city.pub:1"), "{status:?}");
            } else {
                let own = std::fs::read_to_string(dir.path().join("city").join(keys::PRIVATE_FILE)).unwrap();
                let plain = crate::bundle::sealed::open(&std::fs::read(&sealed).unwrap(), &own, &[], 1 << 26).unwrap();
                assert_eq!(plain, std::fs::read(dir.path().join("bundles/410102_2026Q3_1.zip")).unwrap());
                assert!(status.text.contains("410102_2026Q3_1.zip.age"), "{status:?}");
            }
        }
    }

    #[test]
    fn with_every_school_decided_and_a_report_text_e_exports_after_one_yes_and_offers_the_text_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = sample_store();
        store.execute_for_tests("UPDATE submissions SET state = 'approved' WHERE state IN ('submitted', 'flagged')");
        let text = dir.path().join("九月 月报.docx");
        std::fs::write(&text, b"PK\x03\x04 a report").unwrap();
        let mut app = exporting_app(store, Lang::En, dir.path());
        press(&mut app, "e");
        let Mode::Export(dialog) = &app.mode else { panic!("no export dialog") };
        assert!(dialog.preview.pending.is_empty());
        assert_eq!(dialog.preview.counts.approved, 187);
        // A wrong file is refused where it is typed; the dialog stays.
        app.on_paste(&dir.path().join("none.docx").display().to_string());
        key(&mut app, KeyCode::Enter);
        let Mode::Export(dialog) = &app.mode else { panic!("a missing file keeps the dialog") };
        assert!(dialog.error.as_deref().is_some_and(|e| e.contains("none.docx")), "{:?}", dialog.error);
        // Windows Explorer's "copy as path" quotes it.
        for _ in 0..200 {
            key(&mut app, KeyCode::Backspace);
        }
        app.on_paste(&format!("\"{}\"", text.display()));
        key(&mut app, KeyCode::Enter);
        let Mode::Export(dialog) = &app.mode else { panic!("no export dialog") };
        assert_eq!(dialog.report_text.as_ref().map(|t| t.1.as_str()), Some("月报文本.docx"));
        assert!(!dialog.needs_reason());
        press(&mut app, "y");
        assert!(app.locked, "{:?}", app.status);
        let period = app.period.unwrap();
        let bundles = app.store().bundles(period).unwrap();
        assert_eq!((bundles.len(), bundles[0].forced_reason.as_ref()), (1, None));
        assert_eq!(bundles[0].report_text.as_deref(), Some(text.display().to_string().as_str()));
        let zip = std::fs::read(dir.path().join("bundles/410102_2026Q3_1.zip")).unwrap();
        let mut opened = crate::bundle::archive::Opened::new(&zip, crate::bundle::archive::LIMITS).unwrap();
        assert_eq!(opened.read("月报文本.docx", 1 << 20).unwrap(), b"PK\x03\x04 a report");

        // Reopened (the city sent it back): the next export offers the same file.
        app.store.reopen(period, "市州退回", "市", "2026-10-06T09:00:00+08:00").unwrap();
        app.locked = false;
        press(&mut app, "e");
        let Mode::Export(dialog) = &app.mode else { panic!("no export dialog: {:?}", app.status) };
        let offered = dialog.report_text_editor.as_ref().map(LineEditor::text);
        assert_eq!(offered, Some(text.display().to_string()));
    }

    #[test]
    fn esc_cancels_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = exporting_app(sample_store(), Lang::Zh, dir.path());
        let before = app.store().content_digest().unwrap();
        press(&mut app, "e");
        key(&mut app, KeyCode::Esc);
        press(&mut app, "ey");
        app.on_paste("原因");
        key(&mut app, KeyCode::Esc);
        assert!(matches!(app.mode, Mode::Normal));
        assert!(!app.locked);
        assert_eq!(app.store().content_digest().unwrap(), before);
        assert!(!dir.path().join("bundles").exists());
        assert_eq!(app.index.rows.iter().filter(|r| r.state == ReviewState::Approved).count(), 0);
    }
}
