//! Configuration: the commented defaults in `config.example.toml` (embedded), with the user's
//! file merged over them. An unknown key or a bad value is an error naming the key and the file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::app::{KeyBindings, Keymap};
use crate::domain::PeriodKind;
use crate::i18n::{Lang, fill};
use crate::import::limits::SheetLimits;
use crate::rules::RuleSettings;

/// The defaults, and the documentation of every key.
pub const DEFAULT_TOML: &str = include_str!("../config.example.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub lang: Lang,
    pub level: Level,
    pub county: County,
    pub auditor: Auditor,
    pub period: PeriodConfig,
    pub stats: Stats,
    pub rules: RuleSettings,
    pub review: Review,
    pub export: Export,
    pub backup: Backup,
    pub keys: KeyBindings,
    pub city: City,
    pub province: Province,
    pub circular: Circular,
    pub limits: SheetLimits,
}

/// The circular's text (`report --text`): its thresholds and its sentences, with the figures
/// and lists in `{placeholders}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circular {
    pub active_low: f64,
    pub connected_low: f64,
    pub bandwidth_low: f64,
    pub multimedia_low: f64,
    /// Said for an empty list.
    pub none: String,
    pub fill: String,
    pub active: String,
    pub network: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    County,
    City,
    Province,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct County {
    pub code: String,
    pub name: String,
    pub city: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auditor {
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodConfig {
    pub kind: PeriodKind,
    pub window: [u8; 2],
}

/// The review screen's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Preset reasons offered when returning a school (退回重报).
    pub return_reasons: Vec<String>,
}

/// Where the reports to the city go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// Empty: the `bundles` folder in the data directory.
    pub dir: String,
    /// A file of the receiver's public keys, one a line (`ssh-ed25519 …` or `age1…`), relative
    /// to the config's folder: `shenhe export` also writes the bundle encrypted to them. Empty: none.
    pub encrypt_to: String,
}

/// Copies of the store (`shenhe backup`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// The screen reminds the auditor when the last copy is older than this; 0: never.
    pub remind_after_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    pub bandwidth_denominator: BandwidthDenominator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandwidthDenominator {
    All,
    Connected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct City {
    pub name: String,
    /// The city's code (e.g. 410100): the principal its reports to the province are signed as.
    pub code: String,
    /// The province it reports to: the signer of the province's return notices.
    pub province: String,
    pub counties: Vec<CountyRef>,
    pub trusted_keys: String,
    /// The counties' reporting days (of the month after the period): a county's report is on
    /// time (主动上报) when it was made inside them and received by the end of them or of the
    /// city's own `[period] window`, whichever is later.
    pub county_window: [u8; 2],
}

/// A province's copy: the cities it receives, and how it judges them on time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Province {
    pub name: String,
    pub code: String,
    pub cities: Vec<CityRef>,
    pub trusted_keys: String,
    /// The cities' reporting days: a city's report is on time (主动上报) when it was made inside
    /// them and received by the end of them or of the province's own `[period] window`.
    pub city_window: [u8; 2],
}

/// A city of the province. Its counties are the codes that share its first four digits, and
/// those listed here (a 省直管县 such as 济源 reported through it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CityRef {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub counties: Vec<String>,
}

impl CityRef {
    /// Whether `county_code` is one of this city's counties.
    pub fn has_county(&self, county_code: &str) -> bool {
        let prefix = |c: &str| c.get(..4).map(str::to_string);
        (prefix(county_code).is_some() && prefix(county_code) == prefix(&self.code))
            || self.counties.iter().any(|c| c == county_code)
    }
}

impl Config {
    /// The units this level receives reports from: a city's counties, a province's cities (as
    /// code and name); none at a county.
    pub fn units_below(&self) -> Vec<CountyRef> {
        match self.level {
            Level::County => Vec::new(),
            Level::City => self.city.counties.clone(),
            Level::Province => {
                self.province.cities.iter().map(|c| CountyRef { code: c.code.clone(), name: c.name.clone() }).collect()
            }
        }
    }

    /// The reporting days of the units below (the county window at a city, the city window at a
    /// province).
    pub fn units_window(&self) -> [u8; 2] {
        match self.level {
            Level::Province => self.province.city_window,
            _ => self.city.county_window,
        }
    }

    /// The name this copy signs return notices as: the city's or the province's.
    pub fn sender_name(&self) -> String {
        match self.level {
            Level::Province => self.province.name.trim().to_string(),
            _ => self.city.name.trim().to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountyRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Read(String),
    #[error("{0}")]
    Invalid(String),
}

impl Default for Config {
    fn default() -> Self {
        toml::from_str(DEFAULT_TOML).expect("the embedded default config is valid (tested)")
    }
}

impl Config {
    /// Loads the defaults with `path` merged over them; a missing file means "all defaults".
    pub fn load(path: &Path, lang: Lang) -> Result<Config, ConfigError> {
        let m = lang.msg();
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(ConfigError::Read(fill(&m.config_unreadable, &[("file", &shown), ("reason", &e)])));
            }
        };
        Config::from_user_toml(&text, &shown, lang)
    }

    /// Merges `text` (the user's file, shown as `file` in errors) over the defaults.
    pub fn from_user_toml(text: &str, file: &str, lang: Lang) -> Result<Config, ConfigError> {
        let m = lang.msg();
        let invalid =
            |reason: String| ConfigError::Invalid(fill(&m.config_invalid, &[("file", &file), ("reason", &reason)]));
        let user: toml::Table = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut merged: toml::Table = toml::from_str(DEFAULT_TOML).expect("valid defaults");
        merge(&mut merged, user, "", lang).map_err(invalid)?;
        let config: Config = toml::Value::Table(merged).try_into().map_err(|e: toml::de::Error| {
            let key = first_bad_key(&toml::from_str(text).unwrap_or_default());
            invalid(fill(&m.config_bad_key, &[("key", &key.unwrap_or_default()), ("reason", &e.message())]))
        })?;
        config.validate(lang).map_err(invalid)?;
        Ok(config)
    }

    fn validate(&self, lang: Lang) -> Result<(), String> {
        let m = lang.msg();
        let code = &self.county.code;
        let six_digits = |c: &str| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit());
        if !code.is_empty() && !six_digits(code) {
            return Err(fill(
                &m.config_bad_value,
                &[("key", &"county.code"), ("value", code), ("expected", &m.expected_county_code)],
            ));
        }
        for (key, [from, to]) in
            [("period.window", self.period.window), ("city.county_window", self.city.county_window)]
        {
            if !(1 <= from && from <= to && to <= 28) {
                let value = format!("[{from}, {to}]");
                return Err(fill(
                    &m.config_bad_value,
                    &[("key", &key), ("value", &value), ("expected", &m.expected_window)],
                ));
            }
        }
        if let Some((key, value, expected)) = self.rules.problem() {
            let expected = match expected {
                "school_type" => fill(&m.expected_one_of, &[("choices", &crate::domain::SchoolType::choices_zh())]),
                "range" => m.expected_range.clone(),
                "factor" => m.expected_factor.clone(),
                _ => m.expected_positive.clone(),
            };
            return Err(fill(&m.config_bad_value, &[("key", &key), ("value", &value), ("expected", &expected)]));
        }
        if let Some((key, value, range)) = self.limits.problem() {
            let expected = fill(&m.expected_between, &[("range", &range)]);
            return Err(fill(&m.config_bad_value, &[("key", &key), ("value", &value), ("expected", &expected)]));
        }
        if let Err(e) = Keymap::new(&self.keys) {
            return Err(e.user_message(lang));
        }
        // GM/T 0003 counts the user id's length in bits in two bytes.
        let id = self.keys.sm2_user_id.trim();
        let too_long = id.len() > crate::bundle::keys::sm2::MAX_USER_ID_BYTES;
        if too_long || id.chars().any(char::is_control) || id == crate::bundle::keys::RETURN_NAMESPACE {
            let expected = fill(&m.expected_sm2_user_id, &[("max", &crate::bundle::keys::sm2::MAX_USER_ID_BYTES)]);
            let shown: String = crate::i18n::printable(id).chars().take(40).collect();
            return Err(fill(
                &m.config_bad_value,
                &[("key", &"keys.sm2_user_id"), ("value", &shown), ("expected", &expected)],
            ));
        }
        for c in &self.city.counties {
            if !six_digits(&c.code) {
                return Err(fill(
                    &m.config_bad_value,
                    &[("key", &"city.counties.code"), ("value", &c.code), ("expected", &m.expected_county_code)],
                ));
            }
        }
        Ok(())
    }
}

/// Lays `user` over `base`, table by table. Every user key must exist in the defaults, which
/// document every key: so a typo is reported with its full dotted name.
fn merge(base: &mut toml::Table, user: toml::Table, prefix: &str, lang: Lang) -> Result<(), String> {
    for (key, value) in user {
        let dotted = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match (base.get_mut(&key), value) {
            (None, _) => return Err(fill(&lang.msg().config_unknown_key, &[("key", &dotted)])),
            (Some(toml::Value::Table(b)), toml::Value::Table(u)) => merge(b, u, &dotted, lang)?,
            (Some(slot), v) => *slot = v,
        }
    }
    Ok(())
}

/// The dotted name of the user's key whose value the config cannot take: each user value is
/// tried alone over the defaults (serde's own error does not say where it was).
fn first_bad_key(user: &toml::Table) -> Option<String> {
    fn leaves(t: &toml::Table, prefix: &str, out: &mut Vec<(Vec<String>, toml::Value)>) {
        for (k, v) in t {
            let mut path: Vec<String> = prefix.split('.').filter(|p| !p.is_empty()).map(String::from).collect();
            path.push(k.clone());
            match v {
                toml::Value::Table(inner) => leaves(inner, &path.join("."), out),
                other => out.push((path, other.clone())),
            }
        }
    }
    let mut user_leaves = Vec::new();
    leaves(user, "", &mut user_leaves);
    let defaults: toml::Table = toml::from_str(DEFAULT_TOML).expect("valid defaults");
    user_leaves.into_iter().find_map(|(path, value)| {
        let mut trial = defaults.clone();
        let mut slot = &mut trial;
        for part in &path[..path.len() - 1] {
            slot = slot.get_mut(part)?.as_table_mut()?;
        }
        slot.insert(path[path.len() - 1].clone(), value);
        toml::Value::Table(trial).try_into::<Config>().is_err().then(|| path.join("."))
    })
}

/// Where shenhe keeps its files. `SHENHE_HOME=DIR` puts all of them under DIR.
#[derive(Debug, Clone, Serialize)]
pub struct Paths {
    pub config: PathBuf,
    pub database: PathBuf,
    pub data_dir: PathBuf,
    pub keys_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl Paths {
    /// Where bundles go: `[export] dir`, else `bundles` in the data directory.
    pub fn bundles_dir(&self, config: &Config) -> PathBuf {
        match config.export.dir.trim() {
            "" => self.data_dir.join("bundles"),
            dir => PathBuf::from(dir),
        }
    }

    /// Where `shenhe backup` puts copies by default, and `restore` keeps the store it replaces.
    pub fn backups_dir(&self) -> PathBuf {
        self.data_dir.join("backups")
    }

    /// The receivers' keys every export is encrypted to (`[export] encrypt_to`), if set.
    pub fn encrypt_to(&self, config: &Config) -> Option<PathBuf> {
        let file = Path::new(config.export.encrypt_to.trim());
        match self.config.parent() {
            _ if file.as_os_str().is_empty() => None,
            Some(dir) if file.is_relative() => Some(dir.join(file)),
            _ => Some(file.to_path_buf()),
        }
    }

    /// The city's trusted keys file: `[city] trusted_keys`, relative to the config's folder.
    pub fn trusted_keys(&self, config: &Config) -> PathBuf {
        let file = match config.level {
            Level::Province => config.province.trusted_keys.trim(),
            _ => config.city.trusted_keys.trim(),
        };
        let file = Path::new(file);
        match self.config.parent() {
            Some(dir) if file.is_relative() => dir.join(file),
            _ => file.to_path_buf(),
        }
    }

    /// Resolves the paths from `SHENHE_HOME` (if set) or the platform's directories,
    /// then applies `--config` and `--db`.
    pub fn resolve(home: Option<PathBuf>, config: Option<PathBuf>, db: Option<PathBuf>) -> Result<Paths, ConfigError> {
        let (config_dir, data_dir) = match home {
            Some(home) => (home.clone(), home),
            None => {
                let dirs = directories::ProjectDirs::from("cn", "shenhe", "shenhe")
                    .ok_or_else(|| ConfigError::Read("no home directory: set SHENHE_HOME=DIR".into()))?;
                (dirs.config_dir().to_path_buf(), dirs.data_dir().to_path_buf())
            }
        };
        Ok(Paths {
            config: config.unwrap_or_else(|| config_dir.join("config.toml")),
            database: db.unwrap_or_else(|| data_dir.join("shenhe.db")),
            keys_dir: data_dir.join("keys"),
            log_dir: data_dir.join("logs"),
            data_dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_parse() {
        let c = Config::default();
        assert_eq!(c.lang, Lang::Zh);
        assert_eq!(c.level, Level::County);
        assert_eq!(c.period.window, [1, 5]);
        assert_eq!(c.stats.bandwidth_denominator, BandwidthDenominator::All);
    }

    #[test]
    fn user_file_overrides_only_what_it_sets() {
        let c = Config::from_user_toml("[county]\ncode = \"410102\"\nname = \"中原区\"\n", "u.toml", Lang::Zh).unwrap();
        assert_eq!(c.county.code, "410102");
        assert_eq!(c.county.city, "");
        assert_eq!(c.period.kind, PeriodKind::Quarter);
    }

    #[test]
    fn unknown_key_is_named_with_its_table_and_file() {
        let e = Config::from_user_toml("[county]\nnmae = \"x\"\n", "/tmp/my.toml", Lang::En).unwrap_err().to_string();
        assert!(e.contains("county.nmae"), "{e}");
        assert!(e.contains("/tmp/my.toml"), "{e}");
    }

    #[test]
    fn bad_values_are_refused_with_the_key() {
        for (text, key) in [
            ("[county]\ncode = \"41010\"", "county.code"),
            ("[period]\nwindow = [5, 1]", "period.window"),
            ("[stats]\nbandwidth_denominator = \"some\"", "bandwidth_denominator"),
            ("lang = \"fr\"", "fr"),
        ] {
            let e = Config::from_user_toml(text, "c.toml", Lang::En).unwrap_err().to_string();
            assert!(e.contains(key), "{text}: {e}");
        }
    }

    #[test]
    fn product_example_config_is_accepted() {
        let text = r#"
lang = "zh"
[county]
code = "410102"
name = "中原区"
city = "郑州市"
[auditor]
name = "张敏"
phone = "0371-12345678"
[period]
kind = "quarter"
window = [1, 5]
[stats]
bandwidth_denominator = "connected"
"#;
        let c = Config::from_user_toml(text, "c.toml", Lang::Zh).unwrap();
        assert_eq!(c.stats.bandwidth_denominator, BandwidthDenominator::Connected);
        let city = "level = \"city\"\n[city]\nname = \"白城市\"\ncounties = [{ code = \"220821\", name = \"镇赉县\" }]\ntrusted_keys = \"allowed_signers\"\n";
        let c = Config::from_user_toml(city, "c.toml", Lang::Zh).unwrap();
        assert_eq!(c.level, Level::City);
        assert_eq!(c.city.counties[0].name, "镇赉县");
    }

    #[test]
    fn rule_settings_merge_per_key_and_bad_ones_are_named() {
        let c = Config::from_user_toml("[rules.students_per_teacher]\nmax = 25\n", "c.toml", Lang::En).unwrap();
        assert_eq!(c.rules.students_per_teacher.max, 25.0);
        assert!(c.rules.students_per_teacher.enabled, "the other keys keep their defaults");
        let c =
            Config::from_user_toml("[rules.bandwidth_below_tier.tiers]\n\"小学\" = 20\n", "c.toml", Lang::En).unwrap();
        assert_eq!(c.rules.tier(crate::domain::SchoolType::Primary), Some(20.0));
        assert_eq!(c.rules.tier(crate::domain::SchoolType::TeachingPoint), Some(4.0));
        for (text, key) in [
            ("[rules.students_per_class]\nmaxx = 3", "rules.students_per_class.maxx"),
            ("[rules.nonsense]\nenabled = false", "rules.nonsense"),
            ("[rules.duplicate_name]\nseverity = \"fatal\"", "rules.duplicate_name.severity"),
            ("[rules.students_per_class]\nmin = 80", "rules.students_per_class"),
            ("[rules.classes_change]\nmax_change_percent = 0", "rules.classes_change.max_change_percent"),
            ("[rules.bandwidth_below_tier.tiers]\n\"大学\" = 100", "大学"),
        ] {
            let e = Config::from_user_toml(text, "c.toml", Lang::En).unwrap_err().to_string();
            assert!(e.contains(key), "{text}: {e}");
        }
    }

    #[test]
    fn shenhe_home_puts_everything_under_one_directory() {
        let p = Paths::resolve(Some("/usb/shenhe".into()), None, None).unwrap();
        for path in [&p.config, &p.database, &p.keys_dir, &p.log_dir] {
            assert!(path.starts_with("/usb/shenhe"), "{}", path.display());
        }
        let p = Paths::resolve(Some("/usb".into()), Some("/etc/c.toml".into()), Some("/d.db".into())).unwrap();
        assert_eq!(p.config, PathBuf::from("/etc/c.toml"));
        assert_eq!(p.database, PathBuf::from("/d.db"));
    }

    /// Found in review: a user id past GM/T 0003's limit made every export fail with only
    /// "signature error"; it is the config's error, naming the key.
    #[test]
    fn the_sm2_user_id_is_checked_when_the_config_is_read() {
        let text = |id: &str| format!("[keys]\nalgorithm = \"sm2\"\nsm2_user_id = \"{id}\"\n");
        assert!(Config::from_user_toml(&text("shenhe-410102"), "c.toml", Lang::Zh).is_ok());
        for bad in ["x".repeat(8192), "a\\u0007b".to_string()] {
            let e = Config::from_user_toml(&text(&bad), "c.toml", Lang::Zh).unwrap_err();
            assert!(format!("{e:?}").contains("keys.sm2_user_id"), "{e:?}");
        }
    }
}
