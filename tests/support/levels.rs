//! A county and a city of 郑州市 as the city tests build them: the county with its five schools
//! imported, the city trusting the counties' keys, exports at a given time.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use super::home::{Home, arg, json, stdout};

pub const NOW: &str = "2026-10-03T10:00:00+08:00";
/// After the window (1–5 October): a report made then is late.
pub const LATE: &str = "2026-10-08T10:00:00+08:00";
pub const PERIOD: &str = "2026Q3";

impl Home {
    /// A county with `unfilled.csv` made its own (its code in the school codes and the county
    /// columns) imported as 2026Q3: five schools, two filled and undecided.
    pub fn county(code: &str, name: &str) -> Home {
        Home::county_of(code, name, "郑州市")
    }

    /// [`Home::county`] of the city named `city`.
    pub fn county_of(code: &str, name: &str, city: &str) -> Home {
        let home = Home::with_config(&format!(
            "[county]\ncode = \"{code}\"\nname = \"{name}\"\ncity = \"{city}\"\n[auditor]\nname = \"审核员{code}\"\nphone = \"0371-1\"\n"
        ));
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/unfilled.csv");
        let text = std::fs::read_to_string(fixture).unwrap().replace("410102", code).replace("中原区", name);
        let sheet = home.path().join("sheet.csv");
        std::fs::write(&sheet, text).unwrap();
        home.ok_at(NOW, &["import", &sheet.display().to_string(), "--period", PERIOD]);
        home
    }

    /// 郑州市 with three counties, trusting `keys` (allowed_signers lines) beside its config.
    pub fn city(keys: &str) -> Home {
        let home = Home::with_config(
            "level = \"city\"\n[city]\nname = \"郑州市\"\ncounties = [{ code = \"410102\", name = \"中原区\" }, \
             { code = \"410103\", name = \"二七区\" }, { code = \"410105\", name = \"金水区\" }]\n",
        );
        std::fs::write(home.path().join("allowed_signers"), keys).unwrap();
        home
    }

    /// Exports (forced: two schools are undecided) at `now` and returns the bundle's path.
    pub fn export(&self, now: &str) -> PathBuf {
        let dir = arg(&self.path().join("out"));
        let out = self.ok_at(now, &["export", "--force", "--reason", "先行上报", "--out", &dir, "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        PathBuf::from(v["bundle"].as_str().unwrap())
    }

    /// Exports at `now` with a 月报文本 (forced still: two schools are undecided).
    pub fn export_with_text(&self, now: &str, text: &Path) -> PathBuf {
        let dir = arg(&self.path().join("out"));
        let args = ["export", "--force", "--reason", "先行上报", "--report-text", &arg(text), "--out", &dir, "--json"];
        let v = json(&self.ok_at(now, &args));
        PathBuf::from(v["bundle"].as_str().unwrap())
    }

    pub fn allowed_signers(&self) -> String {
        stdout(&self.ok_at(NOW, &["key", "show", "--allowed-signers"]))
    }

    /// A city of 河南省 reporting up: `code`, `name`, its counties, its own reporting days
    /// (6–10) and its auditor, trusting `keys` for its counties.
    pub fn city_of(code: &str, name: &str, counties: &[(&str, &str)], keys: &str) -> Home {
        let list: Vec<String> = counties.iter().map(|(c, n)| format!("{{ code = \"{c}\", name = \"{n}\" }}")).collect();
        let home = Home::with_config(&format!(
            "level = \"city\"\n[city]\nname = \"{name}\"\ncode = \"{code}\"\nprovince = \"河南省\"\ncounties = [{}]\n\
             [auditor]\nname = \"市审核员\"\nphone = \"0371-2\"\n[period]\nwindow = [6, 10]\n",
            list.join(", ")
        ));
        std::fs::write(home.path().join("allowed_signers"), keys).unwrap();
        home
    }

    /// The city's report at `now`: forced (its counties are not all in on time, or its own
    /// schools undecided), with a 月报文本.
    pub fn city_export(&self, now: &str) -> PathBuf {
        let text = self.path().join("月报.txt");
        std::fs::write(&text, "本月工作情况").unwrap();
        self.export_with_text(now, &text)
    }

    /// 河南省 receiving `cities` (a TOML list), trusting `keys`, its own days 11–15.
    pub fn province(cities: &str, keys: &str) -> Home {
        let home = Home::with_config(&format!(
            "level = \"province\"\n[province]\nname = \"河南省\"\ncode = \"410000\"\ncities = {cities}\n\
             [period]\nwindow = [11, 15]\n"
        ));
        std::fs::write(home.path().join("allowed_signers"), keys).unwrap();
        home
    }
}
