//! End to end: the real binary in a pseudo-terminal, read back through a terminal emulator
//! (vt100) as the auditor sees it. Keys go in as the terminal sends them (Chinese as UTF-8
//! bytes, as an input method commits it, or as a bracketed paste); every step waits, with a
//! time limit, for the text it expects on screen, and a step that times out fails with the
//! screen as it stood.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

const NOW: &str = "2026-10-03T10:00:00+08:00";
const ROWS: u16 = 24;
const COLS: u16 = 80;
/// How long one step may take before the test gives up on it.
const STEP: Duration = Duration::from_secs(10);

/// A `SHENHE_HOME` of its own, with the fixture imported.
struct Home(tempfile::TempDir);

impl Home {
    fn with_fixture() -> Home {
        let home = Home(tempfile::tempdir().unwrap());
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/utf8.csv");
        let out = home.run(&["import", "--period", "2026Q3", &fixture.display().to_string()]);
        assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
        home
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Makes this copy 郑州市中原区's (410102), with its auditor, so that it can export.
    fn configure_county(&self) {
        std::fs::write(
            self.path().join("config.toml"),
            "[county]\ncode = \"410102\"\nname = \"中原区\"\ncity = \"郑州市\"\n[auditor]\nname = \"张敏\"\nphone = \"0371-12345678\"\n",
        )
        .unwrap();
    }

    /// The environment the binary gets, and nothing else from the test's own.
    fn env(&self) -> [(&'static str, String); 5] {
        [
            ("SHENHE_HOME", self.path().display().to_string()),
            ("SHENHE_NOW", NOW.to_string()),
            ("NO_COLOR", "1".to_string()),
            ("TERM", "xterm-256color".to_string()),
            ("USER", "e2e".to_string()),
        ]
    }

    /// Runs shenhe as an ordinary subprocess (pipes, no terminal).
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_shenhe")).args(args).env_clear().envs(self.env()).output().unwrap()
    }

    /// School code → state, as `shenhe list --json` says.
    fn states(&self) -> BTreeMap<String, String> {
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
    fn database(&self) -> PathBuf {
        let out = self.run(&["config", "path", "--lang", "en"]);
        assert!(out.status.success(), "config path failed: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let path = self.path().join("shenhe.db");
        assert!(text.contains(&path.display().to_string()), "config path does not name {}: {text}", path.display());
        path
    }

    /// Opens the review screen in an 80 × 24 pseudo-terminal.
    fn screen(&self, args: &[&str]) -> Screen {
        let pty = native_pty_system()
            .openpty(PtySize { rows: ROWS, cols: COLS, pixel_width: 0, pixel_height: 0 })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_shenhe"));
        cmd.args(args);
        cmd.env_clear();
        for (key, value) in self.env() {
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
struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the terminal got.
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    /// Kept open until the child has gone.
    _master: Box<dyn MasterPty + Send>,
}

impl Screen {
    /// The screen's text, as the user reads it.
    fn contents(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Line `row` (from 0) of the screen.
    fn line(&self, row: u16) -> String {
        let parser = self.parser.lock().unwrap();
        parser.screen().rows(0, COLS).nth(usize::from(row)).unwrap_or_default()
    }

    /// The school row drawn reversed, i.e. the highlighted one (the header bar, also
    /// reversed without colour, is above the list and not looked at).
    fn highlighted(&self) -> Option<String> {
        let parser = self.parser.lock().unwrap();
        let screen = parser.screen();
        let rows: Vec<String> = screen.rows(0, COLS).collect();
        (3..ROWS - 2).find(|&r| screen.cell(r, 2).is_some_and(|c| c.inverse())).map(|r| rows[usize::from(r)].clone())
    }

    /// Sends bytes as the terminal would on key presses.
    fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends text as a bracketed paste (the terminal's paste, or an input method's commit).
    fn paste(&mut self, text: &str) {
        self.send(&format!("\x1b[200~{text}\x1b[201~"));
    }

    /// Waits until `done` holds for the screen, or fails with what the screen shows.
    fn wait_until(&self, what: &str, done: impl Fn(&Screen) -> bool) {
        let start = Instant::now();
        while !done(self) {
            if start.elapsed() > STEP {
                panic!("timed out after {STEP:?} waiting for {what}; the screen shows:\n{}", self.contents());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the screen shows `text`.
    fn wait_for(&self, text: &str) {
        self.wait_until(&format!("{text:?}"), |s| s.contents().contains(text));
    }

    /// Waits until the status line (second to last) shows `text`.
    fn wait_for_status(&self, text: &str) {
        self.wait_for_status_parts(&[text]);
    }

    /// Waits until the status line shows each of `parts`, in order (the words around them,
    /// such as the quotation marks, are the catalog's business).
    fn wait_for_status_parts(&self, parts: &[&str]) {
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
    fn wait_for_highlight(&self, text: &str) {
        self.wait_until(&format!("the highlighted row to show {text:?}"), |s| {
            s.highlighted().is_some_and(|row| row.contains(text))
        });
    }

    /// Waits for the binary to end, and says whether it ended well.
    fn wait_for_exit(&mut self) -> portable_pty::ExitStatus {
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
    fn quit(&mut self) {
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

const RUHELU: &str = "2141010202";
const FUNIULU: &str = "2141010201";
const REASON: &str = "出口带宽填写有误，请核实后重报";

#[test]
fn review_screen_return_approve_undo_quit() {
    let home = Home::with_fixture();
    let before = home.states();
    assert_eq!(before.len(), 5, "{before:?}");
    assert_eq!(before[RUHELU], "submitted", "{before:?}");
    assert_eq!(before[FUNIULU], "submitted", "{before:?}");

    let mut s = home.screen(&[]);
    s.wait_for("学校名称");
    s.wait_until("the header, counts and column headings", |s| {
        s.line(0).contains("审核  郑州市 中原区  2026Q3")
            && s.line(1).contains("已审 0/5")
            && s.line(2).contains("标识码")
            && s.line(2).contains("学校名称")
    });
    // Frames arrive in pieces: what is not on screen yet is waited for, never asserted at once.
    s.wait_until("all five schools, on the alternate screen", |s| {
        let text = s.contents();
        ["伏牛路小学", "汝河路小学", "须水镇中心学校", "须水镇岗李小学", "须水镇西岗教学点"]
            .iter()
            .all(|n| text.contains(n))
            && s.parser.lock().unwrap().screen().alternate_screen()
    });

    // Search a Chinese name, typed as an input method commits it: UTF-8 bytes.
    s.send("/");
    s.wait_for_status("搜索：");
    s.send("汝河路");
    s.wait_for_status("搜索：汝河路");
    s.wait_for_highlight("郑州市中原区汝河路小学");
    s.send("\r");
    s.wait_for_status("找到 1 所学校");
    s.wait_for_highlight("郑州市中原区汝河路小学");

    // Return it, with a Chinese reason: half typed, half pasted.
    s.send("r");
    s.wait_for(&format!("退回重报：{RUHELU} 郑州市中原区汝河路小学"));
    s.wait_for("原因：");
    s.send("出口带宽填写有误，");
    s.wait_for("原因：出口带宽填写有误，");
    s.paste("请核实后重报");
    s.wait_for(&format!("原因：{REASON}"));
    s.send("\r");
    s.wait_for_status_parts(&[&format!("{RUHELU} 郑州市中原区汝河路小学 现为"), "退回重报", "u 撤销"]);
    s.wait_until("the counts to show one returned", |s| s.line(1).contains("< 退回重报 1"));

    // Approve another, found by its pinyin initials (伏牛路 → fnl).
    s.send("/");
    s.wait_for_status("搜索：");
    s.send("fnl");
    s.wait_for_status("搜索：fnl");
    s.wait_for_highlight("郑州市中原区伏牛路小学");
    s.send("\r");
    s.wait_for_status("找到 1 所学校");
    s.send("a");
    s.wait_for_status_parts(&[&format!("{FUNIULU} 郑州市中原区伏牛路小学 现为"), "审核通过", "u 撤销"]);
    s.wait_until("the counts to show one approved", |s| s.line(1).contains("+ 审核通过 1"));

    // Undo takes back the approval, not the return.
    s.send("u");
    s.wait_for_status_parts(&[&format!("已撤销：{FUNIULU} 郑州市中原区伏牛路小学 恢复为"), "待审核"]);
    s.wait_until("the counts to show none approved", |s| {
        s.line(1).contains("+ 审核通过 0") && s.line(1).contains("< 退回重报 1")
    });
    s.wait_for_highlight("郑州市中原区伏牛路小学");

    s.quit();
    drop(s);

    // The store holds exactly what the screen showed.
    let after = home.states();
    let mut expected = before.clone();
    expected.insert(RUHELU.to_string(), "returned".to_string());
    assert_eq!(after, expected, "before: {before:?}");

    // The log: the return with its Chinese reason, the approval and its undo, in that order.
    let db = rusqlite::Connection::open_with_flags(home.database(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the database");
    let mut stmt = db
        .prepare(
            "SELECT school_code, action, old_state, new_state, note, actor FROM review_log
             WHERE action IN ('return', 'approve', 'undo') ORDER BY id",
        )
        .unwrap();
    let log: Vec<[Option<String>; 6]> = stmt
        .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?]))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let row = |code: &str, action: &str, old: &str, new: &str, note: Option<&str>| {
        [Some(code), Some(action), Some(old), Some(new), note, Some("e2e")].map(|v| v.map(str::to_string))
    };
    assert_eq!(
        log,
        [
            row(RUHELU, "return", "submitted", "returned", Some(REASON)),
            row(FUNIULU, "approve", "submitted", "approved", None),
            row(FUNIULU, "undo", "approved", "submitted", Some("approve")),
        ]
    );
}

#[test]
fn english_screen_help_and_quit() {
    let home = Home::with_fixture();
    let mut s = home.screen(&["--lang", "en"]);
    s.wait_until("the English column headings", |s| s.line(2).contains("Code") && s.line(2).contains("Name"));
    s.wait_for("2141010205");

    s.send("?");
    s.wait_for("pinyin");
    s.wait_for("Help");
    // A lone Esc: nothing follows it, so it is not taken for the start of a sequence.
    s.send("\x1b");
    s.wait_until("the help to close", |s| !s.contents().contains("pinyin") && s.line(2).contains("Code"));

    s.quit();
}

/// `e` on the screen exports the bundle after a confirm (with a reason, since schools are
/// undecided); the header then says the period is reported, a decision is refused, and the
/// bundle verifies with the county's allowed_signers line.
#[test]
fn export_from_the_screen_then_verify() {
    let home = Home::with_fixture();
    home.configure_county();
    let mut s = home.screen(&[]);
    s.wait_for("2141010205");
    s.send("e");
    s.wait_for("导出上报包");
    s.wait_for("410102_2026Q3_1.zip");
    // The 月报文本 is asked first: a path pasted as Windows Explorer copies it, in quotes.
    s.wait_for("月报文本（.docx");
    let text = home.path().join("中原区 九月月报.docx");
    std::fs::write(&text, b"PK\x03\x04 the report").unwrap();
    s.paste(&format!("\"{}\"", text.display()));
    s.send("\r");
    s.wait_for("月报文本：月报文本.docx");
    s.send("y");
    s.wait_for("强制上报的原因");
    s.send("市州要求今天先报");
    s.send("\r");
    s.wait_for("已上报（只读）");
    s.wait_for_status("410102_2026Q3_1.zip");
    s.send("a");
    s.wait_for_status("已上报并锁定");
    s.quit();

    let bundle = home.path().join("bundles/410102_2026Q3_1.zip");
    assert!(bundle.exists(), "the bundle is in the data directory's bundles folder");
    let line = home.run(&["key", "show", "--allowed-signers"]);
    assert!(line.status.success(), "{}", String::from_utf8_lossy(&line.stderr));
    let signers = home.path().join("allowed_signers");
    std::fs::write(&signers, &line.stdout).unwrap();
    let verified =
        home.run(&["verify", "--allowed-signers", &signers.display().to_string(), &bundle.display().to_string()]);
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{said}{}", String::from_utf8_lossy(&verified.stderr));
    assert!(said.contains("市州要求今天先报"), "the forced reason travels with the bundle: {said}");
    assert!(said.contains("月报文本：月报文本.docx（原文件 中原区 九月月报.docx）"), "and the 月报文本: {said}");
}

/// A city clerk opens the screen on the city's database: the counties first, then one
/// county's schools, read-only, and back.
#[test]
fn city_screen_lists_the_counties_and_opens_one_read_only() {
    let county = Home::with_fixture();
    county.configure_county();
    let out_dir = county.path().join("out");
    let text = county.path().join("月报.pdf");
    std::fs::write(&text, b"%PDF-1.4 the report").unwrap();
    let (out_arg, text_arg) = (out_dir.display().to_string(), text.display().to_string());
    let out = county.run(&["export", "--force", "--reason", "先行上报", "--report-text", &text_arg, "--out", &out_arg]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let signers = county.run(&["key", "show", "--allowed-signers"]);

    let city = Home(tempfile::tempdir().unwrap());
    std::fs::write(
        city.path().join("config.toml"),
        "level = \"city\"\n[city]\nname = \"郑州市\"\ncounties = [{ code = \"410102\", name = \"中原区\" }, \
         { code = \"410103\", name = \"二七区\" }]\n",
    )
    .unwrap();
    std::fs::write(city.path().join("allowed_signers"), &signers.stdout).unwrap();
    let bundle = out_dir.join("410102_2026Q3_1.zip");
    let imported = city.run(&["city", "import", &bundle.display().to_string()]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stdout));
    let before = std::fs::read(city.database()).unwrap();

    let mut s = city.screen(&[]);
    s.wait_for("已收到 1/2 个县区，按时上报 1 个；未收到：二七区");
    s.wait_for_highlight("中原区（410102）  第 1 次 10-03 10:00  按时");
    s.wait_for_status("强制上报，原因：先行上报");
    // Its 月报文本, out of the stored bundle beside the city's bundles.
    s.send("t");
    let taken = city.path().join("bundles/月报文本/410102_2026Q3_1_月报文本.pdf");
    s.wait_for_status("中原区 的月报文本已取出");
    assert_eq!(std::fs::read(&taken).unwrap(), b"%PDF-1.4 the report");
    s.send("\r");
    s.wait_for("郑州市 中原区  2026Q3  市州汇总（只读）");
    s.wait_for("2141010205");
    s.send("a");
    s.wait_for_status("市州");
    s.send("\x1b");
    s.wait_for("全部县区");
    s.send("j");
    s.wait_for_highlight("二七区（410103）  未收到");
    s.send("\r");
    s.wait_for_status("二七区 还没有上报");
    s.send("t");
    s.wait_for_status("二七区（410103） 本期还没有上报");
    s.quit();
    assert_eq!(std::fs::read(city.database()).unwrap(), before, "the city's screen changes nothing");
}

/// A backup made while the screen is open (and has just written a decision) holds that
/// decision; the screen reminds about backups until one is made.
#[test]
fn backup_while_the_screen_is_open() {
    let home = Home::with_fixture();
    let mut s = home.screen(&[]);
    s.wait_for("学校名称");
    s.wait_for_status("尚未备份：shenhe backup");
    s.send("/");
    s.send("汝河路");
    s.send("\r");
    s.send("a");
    s.wait_for("已审 1/5");

    let copy = home.path().join("usb/copy.db");
    let out = home.run(&["backup", "--out", &copy.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    s.quit();
    let listed = home.run(&["--db", &copy.display().to_string(), "list", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let state = rows.as_array().unwrap().iter().find(|r| r["school_code"] == RUHELU).unwrap()["state"].clone();
    assert_eq!(state, "approved", "the copy holds the decision the screen made");

    // Opened again, the screen no longer reminds.
    let mut s = home.screen(&[]);
    s.wait_for("学校名称");
    s.wait_for_status("1/5");
    assert!(!s.contents().contains("备份"), "{}", s.contents());
    s.quit();
}

/// The screen keeps the store open while another copy of shenhe (here the command line)
/// returns a school it shows as 待审核: the command goes through, and an approval on the screen
/// afterwards does not write over the return; it is refused, saying what the school is now,
/// and the list shows it so.
#[test]
fn a_decision_on_the_screen_does_not_overwrite_one_made_meanwhile_elsewhere() {
    let home = Home::with_fixture();
    let mut s = home.screen(&[]);
    s.wait_for("郑州市中原区伏牛路小学");
    s.send("/");
    s.wait_for_status("搜索：");
    s.send("fnl");
    s.wait_for_highlight("郑州市中原区伏牛路小学");
    s.send("\r");
    s.wait_for_status("找到 1 所学校");

    let out = home.run(&["return", "--school", FUNIULU, "--reason", REASON]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));

    s.send("a");
    s.wait_for_status_parts(&[FUNIULU, "已在别处", "退回重报", "未执行"]);
    s.wait_until("the counts to show the return", |s| s.line(1).contains("< 退回重报 1"));
    s.wait_for_highlight("退回重报");
    s.quit();
    drop(s);

    assert_eq!(home.states()[FUNIULU], "returned");
    let db = rusqlite::Connection::open(home.database()).unwrap();
    let actions: Vec<String> = db
        .prepare("SELECT action FROM review_log WHERE school_code = ?1 AND action IN ('approve', 'return') ORDER BY id")
        .unwrap()
        .query_map([FUNIULU], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(actions, ["return"], "the screen's approval was not written");
}

/// The progress bar of a long import, on a terminal, names the file printable: a file name may
/// hold anything, and one holding a title-setting OSC and a colour change reached the terminal
/// raw (the summary after it was escaped).
#[test]
fn the_import_progress_bar_shows_a_hostile_file_name_printable() {
    let home = Home(tempfile::tempdir().unwrap());
    let reference = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/utf8.csv")).unwrap();
    let mut lines = reference.lines();
    let mut text = format!("{}\n", lines.next().unwrap());
    let template = lines.next().unwrap();
    while text.len() < 3 << 20 {
        let i = text.len();
        text.push_str(&template.replacen("2141010201", &format!("{:010}", 3_000_000_000u64 + i as u64), 1));
        text.push('\n');
    }
    let name = "p_\u{1b}]0;PWNED\u{7}\u{1b}[31mRED.csv";
    std::fs::write(home.path().join(name), text).unwrap();
    let mut screen = home.screen(&["import", "--period", "2026Q3", name]);
    let status = screen.wait_for_exit();
    assert!(status.success(), "{}", screen.contents());
    let raw = screen.raw.lock().unwrap().clone();
    let shown = String::from_utf8_lossy(&raw);
    assert!(!shown.contains("\u{1b}]0;PWNED") && !shown.contains("\u{1b}[31mRED"), "{shown:?}");
    assert!(shown.contains("p_\\u{1b}]0;PWNED"), "the name is shown escaped: {shown:?}");
}
