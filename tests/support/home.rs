//! One copy of shenhe for a test that drives the real binary: its SHENHE_HOME (config,
//! database, keys, logs) in a temporary folder, and a clock set per run.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

pub struct Home(pub tempfile::TempDir);

impl Home {
    /// A copy with `config` as its config.toml and no data.
    pub fn with_config(config: &str) -> Home {
        let home = Home(tempfile::tempdir().unwrap());
        std::fs::write(home.path().join("config.toml"), config).unwrap();
        home
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// A copy of this one (config, database, keys; not the logs), for a test that needs many
    /// copies of one state: a file copy is quicker than the imports that made it. The database
    /// must be closed (no shenhe running here).
    pub fn copy(&self) -> Home {
        let home = Home(tempfile::tempdir().unwrap());
        copy_dir(self.path(), home.path());
        home
    }

    fn command(&self, now: &str, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_shenhe"));
        command.args(args).env("SHENHE_HOME", self.path()).env("SHENHE_NOW", now).env_remove("LANG");
        command
    }

    /// Runs shenhe here with the clock at `now` (RFC 3339), in the default language.
    pub fn run_at(&self, now: &str, args: &[&str]) -> Output {
        self.command(now, args).output().unwrap()
    }

    /// Starts shenhe here, its output piped, and does not wait for it.
    pub fn spawn_at(&self, now: &str, args: &[&str]) -> Child {
        let mut command = self.command(now, args);
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        command.spawn().unwrap()
    }

    /// Runs shenhe and insists that it succeeds.
    pub fn ok_at(&self, now: &str, args: &[&str]) -> Output {
        let out = self.run_at(now, args);
        assert!(out.status.success(), "shenhe {args:?}: {:?}\n{}{}", out.status, stdout(&out), stderr(&out));
        out
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "logs" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(o), stderr(o)))
}

/// The names in `dir`, sorted; none when it does not exist.
pub fn names_in(dir: &Path) -> Vec<String> {
    let Ok(read) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> = read.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A path as an argument.
pub fn arg(p: &Path) -> String {
    p.display().to_string()
}

/// Files a command must refuse unread, made in `dir`: a sparse 3 GB file (the size is checked
/// before a byte is read, so no 3 GB of memory), a directory and, on Unix, `/dev/zero` (endless:
/// reading it whole never ends). Each with what the Chinese refusal says of it and the exit code:
/// 1 for the file too large (refused, as an oversized bundle always was), 2 for what is no file
/// at all (unreadable). `limit` is how the refusal shows the limit, e.g. "67108864 字节（64 MiB）".
pub fn files_refused_unread(dir: &Path, limit: &str) -> Vec<(std::path::PathBuf, String, i32)> {
    let sparse = dir.join("稀疏.zip");
    std::fs::File::create(&sparse).unwrap().set_len(3 << 30).unwrap();
    let folder = dir.join("文件夹.zip");
    std::fs::create_dir_all(&folder).unwrap();
    let mut files = vec![
        (sparse, format!("有 3221225472 字节，超过上限 {limit}"), 1),
        (folder, "不是普通文件（目录）".to_string(), 2),
    ];
    if cfg!(unix) {
        files.push((std::path::PathBuf::from("/dev/zero"), "不是普通文件（设备或管道）".to_string(), 2));
    }
    files
}
