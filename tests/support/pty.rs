//! The real binary in a pseudo-terminal, read back through a terminal emulator (vt100) as
//! the auditor sees it: a `SHENHE_HOME` of its own, keys sent as the terminal sends them, and
//! every wait bounded, failing with the screen as it stood.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub const NOW: &str = "2026-10-03T10:00:00+08:00";
pub const ROWS: u16 = 24;
pub const COLS: u16 = 80;
/// How long one step may take before the test gives up on it.
pub const STEP: Duration = Duration::from_secs(10);

/// A `SHENHE_HOME` of its own, with the fixture imported.
pub struct Home(pub tempfile::TempDir);

impl Home {
    pub fn with_fixture() -> Home {
        let home = Home(tempfile::tempdir().unwrap());
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/utf8.csv");
        let out = home.run(&["import", "--period", "2026Q3", &fixture.display().to_string()]);
        assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
        home
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Makes this copy 郑州市中原区's (410102), with its auditor, so that it can export.
    pub fn configure_county(&self) {
        std::fs::write(
            self.path().join("config.toml"),
            "[county]\ncode = \"410102\"\nname = \"中原区\"\ncity = \"郑州市\"\n[auditor]\nname = \"张敏\"\nphone = \"0371-12345678\"\n",
        )
        .unwrap();
    }

    /// The environment the binary gets, and nothing else from the test's own.
    pub fn env(&self) -> [(&'static str, String); 5] {
        [
            ("SHENHE_HOME", self.path().display().to_string()),
            ("SHENHE_NOW", NOW.to_string()),
            ("NO_COLOR", "1".to_string()),
            ("TERM", "xterm-256color".to_string()),
            ("USER", "e2e".to_string()),
        ]
    }

    /// Runs shenhe as an ordinary subprocess (pipes, no terminal).
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_shenhe")).args(args).env_clear().envs(self.env()).output().unwrap()
    }

    /// School code → state, as `shenhe list --json` says.
    pub fn states(&self) -> BTreeMap<String, String> {
        let out = self.run(&["list", "--json"]);
        assert!(out.status.success(), "list failed: {}", String::from_utf8_lossy(&out.stderr));
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
        rows.as_array()
            .expect("list --json prints an array")
            .iter()
            .map(|r| (r["school_code"].as_str().unwrap().to_string(), r["state"].as_str().unwrap().to_string()))
            .collect()
    }

    /// The database file, as `shenhe config path` names it.
    pub fn database(&self) -> PathBuf {
        let out = self.run(&["config", "path", "--lang", "en"]);
        assert!(out.status.success(), "config path failed: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let path = self.path().join("shenhe.db");
        assert!(text.contains(&path.display().to_string()), "config path does not name {}: {text}", path.display());
        path
    }

    /// Opens the review screen in an 80 × 24 pseudo-terminal.
    pub fn screen(&self, args: &[&str]) -> Screen {
        self.screen_with(args, &[])
    }

    /// [`Home::screen`] with more variables in the environment.
    pub fn screen_with(&self, args: &[&str], more_env: &[(&str, &str)]) -> Screen {
        let pty = native_pty_system()
            .openpty(PtySize { rows: ROWS, cols: COLS, pixel_width: 0, pixel_height: 0 })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_shenhe"));
        cmd.args(args);
        cmd.env_clear();
        for (key, value) in self.env() {
            cmd.env(key, value);
        }
        for (key, value) in more_env {
            cmd.env(key, value);
        }
        cmd.cwd(self.path());
        let child = pty.slave.spawn_command(cmd).expect("spawn shenhe in the pty");
        drop(pty.slave);
        let parser =
            Arc::new(Mutex::new(vt100::Parser::new(NonZeroU16::new(ROWS).unwrap(), NonZeroU16::new(COLS).unwrap(), 0)));
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let feed = Arc::clone(&parser);
        let raw = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&raw);
        // Reads block, so they have a thread of their own; it ends when the child has gone.
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        feed.lock().unwrap().process(&buf[..n]);
                        record.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                }
            }
        });
        let writer = pty.master.take_writer().expect("pty writer");
        Screen { parser, raw, writer, child, _master: pty.master }
    }
}

/// The binary running in a pseudo-terminal, and what its terminal shows.
pub struct Screen {
    pub parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the terminal got.
    pub raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    /// Kept open until the child has gone.
    _master: Box<dyn MasterPty + Send>,
}

impl Screen {
    /// The screen's text, as the user reads it.
    pub fn contents(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Line `row` (from 0) of the screen.
    pub fn line(&self, row: u16) -> String {
        let parser = self.parser.lock().unwrap();
        parser.screen().rows(0, COLS).nth(usize::from(row)).unwrap_or_default()
    }

    /// The school row drawn reversed, i.e. the highlighted one (the header bar, also
    /// reversed without colour, is above the list and not looked at).
    pub fn highlighted(&self) -> Option<String> {
        let parser = self.parser.lock().unwrap();
        let screen = parser.screen();
        let rows: Vec<String> = screen.rows(0, COLS).collect();
        (3..ROWS - 2).find(|&r| screen.cell(r, 2).is_some_and(|c| c.inverse())).map(|r| rows[usize::from(r)].clone())
    }

    /// Sends bytes as the terminal would on key presses.
    pub fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends text as a bracketed paste (the terminal's paste, or an input method's commit).
    pub fn paste(&mut self, text: &str) {
        self.send(&format!("\x1b[200~{text}\x1b[201~"));
    }

    /// Waits until `done` holds for the screen, or fails with what the screen shows.
    pub fn wait_until(&self, what: &str, done: impl Fn(&Screen) -> bool) {
        let start = Instant::now();
        while !done(self) {
            if start.elapsed() > STEP {
                panic!("timed out after {STEP:?} waiting for {what}; the screen shows:\n{}", self.contents());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the screen shows `text`.
    pub fn wait_for(&self, text: &str) {
        self.wait_until(&format!("{text:?}"), |s| s.contents().contains(text));
    }

    /// Waits until the status line (second to last) shows `text`.
    pub fn wait_for_status(&self, text: &str) {
        self.wait_for_status_parts(&[text]);
    }

    /// Waits until the status line shows each of `parts`, in order (the words around them,
    /// such as the quotation marks, are the catalog's business).
    pub fn wait_for_status_parts(&self, parts: &[&str]) {
        self.wait_until(&format!("{parts:?} on the status line"), |s| {
            let line = s.line(ROWS - 2);
            let mut rest = line.as_str();
            parts.iter().all(|p| match rest.find(p) {
                Some(at) => {
                    rest = &rest[at + p.len()..];
                    true
                }
                None => false,
            })
        });
    }

    /// Waits until the highlighted school row contains `text`.
    pub fn wait_for_highlight(&self, text: &str) {
        self.wait_until(&format!("the highlighted row to show {text:?}"), |s| {
            s.highlighted().is_some_and(|row| row.contains(text))
        });
    }

    /// Waits for the binary to end, and says whether it ended well.
    pub fn wait_for_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > STEP {
                panic!("shenhe did not exit within {STEP:?}; the screen shows:\n{}", self.contents());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Quits with `q` and checks that the binary ended well and gave the terminal back.
    pub fn quit(&mut self) {
        self.send("q");
        let status = self.wait_for_exit();
        assert!(status.success(), "shenhe exited with {status:?}; the screen shows:\n{}", self.contents());
        self.wait_until("the terminal to be restored (main screen, no bracketed paste)", |s| {
            let parser = s.parser.lock().unwrap();
            !parser.screen().alternate_screen() && !parser.screen().bracketed_paste()
        });
    }
}

impl Drop for Screen {
    /// A failed test does not leave the binary running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
