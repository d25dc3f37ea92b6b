//! One copy of shenhe for a test that drives the real binary: its SHENHE_HOME (config,
//! database, keys, logs) in a temporary folder, and a clock set per run.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

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

    /// Runs shenhe here with the clock at `now` (RFC 3339), in the default language.
    pub fn run_at(&self, now: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_shenhe"))
            .args(args)
            .env("SHENHE_HOME", self.path())
            .env("SHENHE_NOW", now)
            .env_remove("LANG")
            .output()
            .unwrap()
    }

    /// Runs shenhe and insists that it succeeds.
    pub fn ok_at(&self, now: &str, args: &[&str]) -> Output {
        let out = self.run_at(now, args);
        assert!(out.status.success(), "shenhe {args:?}: {:?}\n{}{}", out.status, stdout(&out), stderr(&out));
        out
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

/// A path as an argument.
pub fn arg(p: &Path) -> String {
    p.display().to_string()
}
