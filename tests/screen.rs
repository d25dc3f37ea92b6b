//! End to end: the real binary in a pseudo-terminal, read back through a terminal emulator
//! (vt100) as the auditor sees it. Keys go in as the terminal sends them (Chinese as UTF-8
//! bytes, as an input method commits it, or as a bracketed paste); every step waits, with a
//! time limit, for the text it expects on screen, and a step that times out fails with the
//! screen as it stood.

#[path = "support/pty.rs"]
mod pty;
use std::path::Path;

use pty::Home;

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

#[test]
fn a_panic_on_the_screen_gives_the_terminal_back_as_it_was() {
    let home = Home::with_fixture();
    let mut screen = home.screen_with(&[], &[("SHENHE_TEST_PANIC", "1")]);
    let status = screen.wait_for_exit();
    assert!(!status.success(), "a panic is a failure");
    let parser = screen.parser.lock().unwrap();
    let terminal = parser.screen();
    assert!(!terminal.alternate_screen(), "back on the main screen:\n{}", terminal.contents());
    assert!(!terminal.hide_cursor(), "the cursor is shown again");
    assert!(!terminal.bracketed_paste(), "bracketed paste is off again");
    assert!(terminal.contents().contains("SHENHE_TEST_PANIC is set"), "the panic is shown:\n{}", terminal.contents());
}
