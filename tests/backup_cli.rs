//! Copies of the store and the ways a store can be lost, from the command line: `backup` and
//! `restore` (checked copies, the replaced store kept), a damaged store refused and never
//! written, a full disk and a read-only folder during import, export and backup (a clear
//! error, the store as it was, no partial file).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "support/home.rs"]
mod home;
use home::{Home, arg, json, stderr, stdout};

const NOW: &str = "2026-10-03T10:00:00+08:00";
const APPROVED: &str = "2141010202";

impl Home {
    /// 中原区 (its config, so it can export) with `utf8.csv` imported as 2026Q3 and one school
    /// approved.
    fn county() -> Home {
        let home = Home::with_config(
            "[county]\ncode = \"410102\"\nname = \"中原区\"\ncity = \"郑州市\"\n[auditor]\nname = \"张敏\"\nphone = \"0371-1\"\n",
        );
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/utf8.csv");
        home.ok_at(NOW, &["import", &arg(&fixture), "--period", "2026Q3"]);
        home.ok_at(NOW, &["approve", "--school", APPROVED]);
        home
    }

    fn database(&self) -> PathBuf {
        self.path().join("shenhe.db")
    }

    /// School code → state.
    fn states(&self) -> Vec<(String, String)> {
        let rows = json(&self.ok_at(NOW, &["list", "--json"]));
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| (r["school_code"].as_str().unwrap().to_string(), r["state"].as_str().unwrap().to_string()))
            .collect()
    }

    /// The database file and its WAL, byte for byte.
    fn store_bytes(&self) -> Vec<Vec<u8>> {
        ["shenhe.db", "shenhe.db-wal"].iter().map(|n| std::fs::read(self.path().join(n)).unwrap_or_default()).collect()
    }
}

fn state_of(states: &[(String, String)], code: &str) -> String {
    states.iter().find(|(c, _)| c == code).map(|(_, s)| s.clone()).unwrap()
}

#[test]
fn restore_brings_back_the_copy_and_keeps_the_store_it_replaces() {
    let home = Home::county();
    let copy = home.path().join("usb/copy.db");
    let made = json(&home.ok_at(NOW, &["backup", "--out", &arg(&copy), "--json"]));
    assert_eq!(made["backup"], arg(&copy));
    assert_eq!(made["schools"], 5);
    assert_eq!(made["bytes"], std::fs::metadata(&copy).unwrap().len());
    // One self-contained file: no WAL beside it to lose on the way.
    let names: Vec<_> = std::fs::read_dir(copy.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["copy.db"]);

    home.ok_at(NOW, &["return", "--school", APPROVED, "--reason", "学生数有误"]);
    assert_eq!(state_of(&home.states(), APPROVED), "returned");
    let out = home.ok_at(NOW, &["restore", &arg(&copy)]);
    assert!(stdout(&out).contains("已从") && stdout(&out).contains("共 5 所学校"), "{}", stdout(&out));
    assert_eq!(state_of(&home.states(), APPROVED), "approved", "the copy's decisions are back");

    // The replaced store is kept and still holds the return.
    let kept = home.path().join("backups/before-restore-2026-10-03-10-00-00.db");
    assert!(stdout(&out).contains(&arg(&kept)), "{}", stdout(&out));
    let replaced = home.ok_at(NOW, &["--db", &arg(&kept), "list", "--json"]);
    assert!(stdout(&replaced).contains("returned"), "{}", stdout(&replaced));

    // A backup with the default name, into the data directory.
    let out = home.ok_at(NOW, &["backup"]);
    assert!(home.path().join("backups/shenhe-20261003-100000.db").exists(), "{}", stdout(&out));
}

#[test]
fn restore_refuses_what_is_not_a_whole_shenhe_store_and_changes_nothing() {
    let home = Home::county();
    let good = home.path().join("good.db");
    home.ok_at(NOW, &["backup", "--out", &arg(&good)]);
    let bytes = std::fs::read(&good).unwrap();

    let text = home.path().join("notes.txt");
    std::fs::write(&text, "不是数据库").unwrap();
    let empty = home.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();
    let half = home.path().join("half.db");
    std::fs::write(&half, &bytes[..bytes.len() / 2]).unwrap();
    // A b-tree page whose header is garbage: SQLite's check finds it.
    let mangled = home.path().join("mangled.db");
    let mut m = bytes.clone();
    let page = 16_384;
    m[page..page + 64].fill(0xA5);
    std::fs::write(&mangled, &m).unwrap();
    let foreign = home.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let newer = home.path().join("newer.db");
    std::fs::copy(&good, &newer).unwrap();
    rusqlite::Connection::open(&newer).unwrap().execute_batch("PRAGMA user_version = 99;").unwrap();

    let before = (home.store_bytes(), home.states());
    for (file, says) in [
        (&text, "不是 shenhe 的数据库或备份"),
        (&empty, "不是 shenhe 的数据库或备份"),
        (&half, "已损坏"),
        (&mangled, "已损坏"),
        (&foreign, "不是 shenhe 的数据库或备份"),
        (&newer, "99"),
        (&home.path().join("missing.db"), "missing.db"),
        (&home.database(), "就是当前的数据库"),
    ] {
        let out = home.run_at(NOW, &["restore", &arg(file)]);
        assert!(!out.status.success(), "{} was restored", file.display());
        assert!(stderr(&out).contains(says), "{}: {}", file.display(), stderr(&out));
        assert_eq!((home.store_bytes(), home.states()), before, "{} changed the store", file.display());
    }
    assert!(!home.path().join("backups").exists(), "nothing kept: nothing was replaced");
}

/// A copy someone has worked on: a trigger that turns every return into an approval, one on
/// `backups` that fires when the restore is noted, and the review log's append-only triggers
/// dropped. SQLite would run all of it inside shenhe.
fn forged_copy(home: &Home) -> PathBuf {
    let copy = home.path().join("forged.db");
    home.ok_at(NOW, &["backup", "--out", &arg(&copy)]);
    rusqlite::Connection::open(&copy)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER forge AFTER INSERT ON review_log WHEN NEW.action = 'return'
               BEGIN UPDATE submissions SET state = 'approved' WHERE school_code = NEW.school_code; END;
             CREATE TRIGGER on_restore AFTER INSERT ON backups
               BEGIN UPDATE submissions SET state = 'approved'; END;
             DROP TRIGGER review_log_no_update;
             DROP TRIGGER review_log_no_delete;",
        )
        .unwrap();
    copy
}

#[test]
fn restore_refuses_a_copy_carrying_schema_objects_the_migrations_do_not_make() {
    let home = Home::county();
    let forged = forged_copy(&home);
    // A view in place of the registry, alone.
    let view = home.path().join("view.db");
    home.ok_at(NOW, &["backup", "--out", &arg(&view)]);
    rusqlite::Connection::open(&view)
        .unwrap()
        .execute_batch("DROP VIEW schools; CREATE VIEW schools AS SELECT school_code AS code FROM submissions;")
        .unwrap();
    // Only the dropped triggers.
    let unguarded = home.path().join("unguarded.db");
    home.ok_at(NOW, &["backup", "--out", &arg(&unguarded)]);
    rusqlite::Connection::open(&unguarded).unwrap().execute_batch("DROP TRIGGER review_log_no_delete;").unwrap();

    let before = (home.store_bytes(), home.states());
    for (file, says) in [
        (&forged, "多了触发器“forge”"),
        (&view, "视图“schools”的定义被改动过"),
        (&unguarded, "缺少触发器“review_log_no_delete”"),
    ] {
        let out = home.run_at(NOW, &["restore", &arg(file)]);
        assert_eq!(out.status.code(), Some(1), "{} was restored: {}", file.display(), stdout(&out));
        assert!(stderr(&out).contains(says) && stderr(&out).contains("当前数据库未改动"), "{}", stderr(&out));
        assert_eq!((home.store_bytes(), home.states()), before, "{} changed the store", file.display());
    }
    assert!(!home.path().join("backups").exists(), "refused before anything was replaced or kept");
    let english = home.run_at(NOW, &["--lang", "en", "restore", &arg(&forged)]);
    assert!(stderr(&english).contains("an extra trigger \"forge\""), "{}", stderr(&english));

    // Later decisions are what they say: a return stays a return.
    home.ok_at(NOW, &["return", "--school", APPROVED, "--reason", "学生数有误"]);
    assert_eq!(state_of(&home.states(), APPROVED), "returned");
}

#[test]
fn restore_refuses_a_copy_whose_version_claims_what_its_tables_are_not() {
    let home = Home::county();
    // Schema 4 claimed, only the three tables every shenhe store has.
    let thin = home.path().join("thin.db");
    rusqlite::Connection::open(&thin)
        .unwrap()
        .execute_batch(
            "CREATE TABLE periods (id TEXT PRIMARY KEY); CREATE TABLE submissions (school_code TEXT);
             CREATE TABLE review_log (id INTEGER PRIMARY KEY); PRAGMA user_version = 4;",
        )
        .unwrap();
    // A real copy whose version was set back to 0: every later open would migrate over it.
    let reset = home.path().join("reset.db");
    home.ok_at(NOW, &["backup", "--out", &arg(&reset)]);
    rusqlite::Connection::open(&reset).unwrap().execute_batch("PRAGMA user_version = 0;").unwrap();

    let before = (home.store_bytes(), home.states());
    for file in [&thin, &reset] {
        let out = home.run_at(NOW, &["restore", &arg(file)]);
        assert_eq!(out.status.code(), Some(1), "{} was restored: {}", file.display(), stdout(&out));
        assert!(stderr(&out).contains("数据库结构与 shenhe"), "{}", stderr(&out));
        assert_eq!((home.store_bytes(), home.states()), before, "{} changed the store", file.display());
        // The store still works: no migration SQL, no missing table.
        let list = home.ok_at(NOW, &["list"]);
        assert!(stderr(&list).is_empty(), "{}", stderr(&list));
    }
}

#[test]
fn after_every_restore_the_review_log_is_append_only() {
    let home = Home::county();
    let copy = home.path().join("copy.db");
    home.ok_at(NOW, &["backup", "--out", &arg(&copy)]);
    home.ok_at(NOW, &["restore", &arg(&copy)]);
    // And over a damaged store, which is moved aside rather than copied into.
    damage(&home);
    home.ok_at(NOW, &["restore", &arg(&copy)]);
    let db = rusqlite::Connection::open(home.database()).unwrap();
    let triggers: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(triggers, ["review_log_no_delete", "review_log_no_update"]);
    assert!(db.execute("UPDATE review_log SET note = 'forged'", []).is_err());
    assert!(db.execute("DELETE FROM review_log", []).is_err());
}

#[test]
fn backup_never_writes_over_the_store_or_someone_elses_file() {
    let home = Home::county();
    let before = home.store_bytes();
    let out = home.run_at(NOW, &["backup", "--out", &arg(&home.database())]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let doc = home.path().join("报告.docx");
    std::fs::write(&doc, "文档").unwrap();
    let out = home.run_at(NOW, &["backup", "--out", &arg(&doc)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("不是 shenhe 的备份：不覆盖"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&doc).unwrap(), "文档".as_bytes());
    assert_eq!(home.store_bytes(), before);
    // A newer copy replaces an older one of the same name.
    let copy = home.path().join("copy.db");
    home.ok_at(NOW, &["backup", "--out", &arg(&copy)]);
    home.ok_at(NOW, &["return", "--school", APPROVED, "--reason", "学生数有误"]);
    home.ok_at(NOW, &["backup", "--out", &arg(&copy)]);
    let listed = home.ok_at(NOW, &["--db", &arg(&copy), "list", "--json"]);
    assert!(stdout(&listed).contains("returned"), "{}", stdout(&listed));
}

/// Truncates the store to half, as a failing disk or an interrupted copy leaves it.
fn damage(home: &Home) -> Vec<u8> {
    let db = home.database();
    // Fold the WAL into the file first, so the damage is in the file itself.
    rusqlite::Connection::open(&db).unwrap().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    let _ = std::fs::remove_file(home.path().join("shenhe.db-wal"));
    let _ = std::fs::remove_file(home.path().join("shenhe.db-shm"));
    let bytes = std::fs::read(&db).unwrap();
    let damaged = bytes[..bytes.len() / 2].to_vec();
    std::fs::write(&db, &damaged).unwrap();
    damaged
}

#[test]
fn a_damaged_store_is_refused_never_written_and_restore_moves_it_aside() {
    let home = Home::county();
    let copy = home.path().join("copy.db");
    home.ok_at(NOW, &["backup", "--out", &arg(&copy)]);
    let damaged = damage(&home);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/utf8.csv");
    for args in [
        vec!["list"],
        vec!["approve", "--school", "2141010201"],
        vec!["import", &arg(&fixture), "--period", "2026Q2"],
        vec!["export", "--force", "--reason", "先报"],
        vec!["backup", "--out", "x.db"],
        vec![],
    ] {
        let out = home.run_at(NOW, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("已损坏") && stderr(&out).contains("shenhe restore"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(std::fs::read(home.database()).unwrap(), damaged, "{args:?} wrote to the damaged store");
    }
    assert!(!home.path().join("x.db").exists());
    let english = home.run_at(NOW, &["--lang", "en", "list"]);
    assert!(stderr(&english).contains("is damaged"), "{}", stderr(&english));

    let out = home.ok_at(NOW, &["restore", &arg(&copy)]);
    assert!(stdout(&out).contains("原来的数据库已损坏，已原样移到"), "{}", stdout(&out));
    let kept = home.path().join("backups/damaged-2026-10-03-10-00-00.db");
    assert_eq!(std::fs::read(&kept).unwrap(), damaged, "the damaged store is kept as it was");
    assert_eq!(state_of(&home.states(), APPROVED), "approved");
}

#[cfg(target_os = "linux")] // a tmpfs in a mount namespace of its own
/// Runs shenhe on a copy of the home placed on a disk that is full after `spare_kb` more
/// kilobytes (a small tmpfs in a mount namespace of its own), then copies what the disk holds
/// afterwards to `after` (relative to the home) for the test to look at.
fn on_full_disk(home: &Home, spare_kb: u64, after: &str, args: &[&str]) -> (Output, PathBuf) {
    let full = home.path().join("full");
    let after = home.path().join(after);
    std::fs::create_dir_all(&full).unwrap();
    std::fs::create_dir_all(&after).unwrap();
    let copied = ["shenhe.db", "shenhe.db-wal", "config.toml"].map(|n| home.path().join(n));
    let used: u64 = copied.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len().div_ceil(4096) * 4).sum();
    let script = format!(
        "set -e; mount -t tmpfs -o size={size}k shenhe-full '{full}'; \
         for f in shenhe.db shenhe.db-wal config.toml; do [ -e \"$SRC/$f\" ] && cp \"$SRC/$f\" '{full}/'; done; \
         mkdir '{full}/out'; set +e; SHENHE_HOME='{full}' \"$0\" \"$@\"; rc=$?; cp -a '{full}/.' '{after}/'; exit $rc",
        size = used + spare_kb,
        full = full.display(),
        after = after.display(),
    );
    let args: Vec<String> = args.iter().map(|a| a.replace("{disk}", &arg(&full))).collect();
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .arg(env!("CARGO_BIN_EXE_shenhe"))
        .args(&args)
        .env("SRC", home.path())
        .env("SHENHE_NOW", NOW)
        .env_remove("LANG")
        .output()
        .unwrap();
    (out, after)
}

#[cfg(target_os = "linux")] // a tmpfs in a mount namespace of its own
fn needs_mount_namespace() {
    let probe = Command::new("unshare").args(["-m", "true"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "this test needs `unshare -m` (util-linux, with the right to make a mount namespace): {probe:?}"
    );
}

#[cfg(target_os = "linux")] // a tmpfs in a mount namespace of its own
/// The list of schools and states in the store under `dir`.
fn states_in(dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_shenhe"))
        .args(["--db", &arg(&dir.join("shenhe.db")), "list", "--json"])
        .env("SHENHE_HOME", dir)
        .env("SHENHE_NOW", NOW)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[cfg(target_os = "linux")] // a tmpfs in a mount namespace of its own
#[test]
fn a_full_disk_during_import_export_and_backup_changes_nothing_and_leaves_no_partial_file() {
    needs_mount_namespace();
    let home = Home::county();
    let before = states_in(home.path());

    // A quarter's sheet of 3,000 schools does not fit in what is left.
    let big = home.path().join("big.csv");
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/utf8.csv")).unwrap();
    let header = header.lines().next().unwrap().to_string();
    let columns = header.split(',').count();
    let mut sheet = header.clone();
    for i in 0..3_000 {
        let mut row = vec![String::new(); columns];
        row[0] = format!("21410199{i:04}");
        row[1] = format!("郑州市中原区第{i}小学");
        sheet.push_str(&format!("\n{}", row.join(",")));
    }
    std::fs::write(&big, sheet).unwrap();
    let (out, after) = on_full_disk(&home, 96, "after-import", &["import", &arg(&big), "--period", "2026Q2"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("磁盘已满"), "{}", stderr(&out));
    assert_eq!(states_in(&after), before, "the import left a trace");

    // The bundle cannot be written: the period stays open, no zip, whole or partial.
    let (out, after) =
        on_full_disk(&home, 44, "after-export", &["export", "--force", "--reason", "先报", "--out", "{disk}/out"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("磁盘已满") || stderr(&out).contains("No space"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(after.join("out")).unwrap().count(), 0, "no bundle, whole or partial");
    assert_eq!(states_in(&after), before);
    assert!(!stdout(&home.ok_at(NOW, &["--db", &arg(&after.join("shenhe.db")), "list"])).contains("已上报"));

    // Nor the copy.
    let (out, after) = on_full_disk(&home, 96, "after-backup", &["backup", "--out", "{disk}/copy.db"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("copy.db"), "names the copy: {}", stderr(&out));
    let left: Vec<_> = std::fs::read_dir(&after).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!left.iter().any(|n| n.to_string_lossy().contains("copy.db")), "{left:?}");
    assert_eq!(states_in(&after), before);
}

#[cfg(target_os = "linux")] // a tmpfs in a mount namespace of its own
/// `sh` prefix: a mount namespace of the process's own where `dir` is read-only, as on a
/// write-protected USB stick (root ignores permission bits, so chmod would not do).
fn read_only(dir: &Path) -> String {
    format!("mount --bind -o ro '{0}' '{0}'", dir.display())
}

#[cfg(target_os = "linux")] // a tmpfs in a mount namespace of its own
#[test]
fn a_read_only_folder_gives_a_clear_error_and_changes_nothing() {
    needs_mount_namespace();
    let home = Home::county();
    let ro = home.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let before = (home.store_bytes(), home.states());
    let run = |inner: &str, args: &[&str]| {
        let mut all = vec!["-m", "sh", "-c", "exec \"$0\" \"$@\""];
        let script = format!("{}; exec \"$0\" \"$@\"", inner);
        all[3] = &script;
        let out = Command::new("unshare")
            .args(&all)
            .arg(env!("CARGO_BIN_EXE_shenhe"))
            .args(args)
            .env("SHENHE_HOME", home.path())
            .env("SHENHE_NOW", NOW)
            .env_remove("LANG")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}{}", stdout(&out), stderr(&out));
        out
    };
    let out = run(&read_only(&ro), &["backup", "--out", &arg(&ro.join("copy.db"))]);
    assert!(stderr(&out).contains("copy.db"), "names the file: {}", stderr(&out));
    let out = run(&read_only(&ro), &["export", "--force", "--reason", "先报", "--out", &arg(&ro)]);
    assert!(stderr(&out).contains(&arg(&ro)), "names the folder: {}", stderr(&out));
    // The database's own folder read-only: a decision is refused, clearly.
    let out = run(&read_only(home.path()), &["approve", "--school", "2141010201"]);
    assert!(stdout(&out).contains("无法写入") || stderr(&out).contains("无法写入"), "{}{}", stdout(&out), stderr(&out));
    assert_eq!((home.store_bytes(), home.states()), before);
    assert_eq!(std::fs::read_dir(&ro).unwrap().count(), 0);
}

#[test]
fn check_store_reads_the_whole_file_and_names_damage_it_finds() {
    let home = Home::county();
    let out = home.ok_at(NOW, &["check-store"]);
    assert!(stdout(&out).contains("数据库完好"), "{}", stdout(&out));
    let checked = json(&home.ok_at(NOW, &["check-store", "--json"]));
    assert_eq!(checked["ok"], true);
    assert_eq!(checked["previous"]["why"], "asked", "the first run is recorded: {checked}");
    let english = home.ok_at(NOW, &["--lang", "en", "check-store"]);
    assert!(stdout(&english).contains("The store is whole"), "{}", stdout(&english));

    let damaged = damage(&home);
    let out = home.run_at(NOW, &["check-store"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("已损坏") && stderr(&out).contains("shenhe restore"), "{}", stderr(&out));
    assert_eq!(std::fs::read(home.database()).unwrap(), damaged, "nothing written to the damaged store");
}
