//! What one school reports for one period (PRODUCT.md §3).

use serde::Serialize;

use super::labels::labelled_enum;

labelled_enum! {
    /// 办学类型.
    pub enum SchoolType {
        TeachingPoint = "教学点", "teaching point";
        Primary = "小学", "primary";
        JuniorMiddle = "初级中学", "junior middle", "初中";
        NineYear = "九年一贯制学校", "nine-year", "九年一贯制";
        SeniorHigh = "高级中学", "senior high", "高中";
        Complete = "完全中学", "complete middle";
        TwelveYear = "十二年一贯制学校", "twelve-year", "十二年一贯制";
        Vocational = "中等职业学校", "vocational", "中职";
        Special = "特殊教育学校", "special education", "特教学校";
    }
}

labelled_enum! {
    /// 城乡类型.
    pub enum UrbanRural {
        Urban = "城区", "urban";
        Town = "镇区", "town";
        Rural = "乡村", "rural";
    }
}

labelled_enum! {
    /// 学校状态. Merged and revoked schools are outside every rate.
    pub enum SchoolStatus {
        Normal = "正常", "normal";
        Suspended = "暂停招生", "suspended";
        Merged = "合并", "merged", "被合并", "已合并";
        Revoked = "撤销", "revoked", "已撤销";
    }
}

labelled_enum! {
    /// 接入方式.
    pub enum AccessType {
        Fibre = "光纤", "fibre", "fiber";
        Adsl = "ADSL", "ADSL";
        Wireless = "无线", "wireless";
        Satellite = "卫星", "satellite";
        Other = "其他", "other";
    }
}

labelled_enum! {
    /// 无线网络覆盖.
    pub enum WifiCoverage {
        Full = "是", "yes";
        None = "否", "no";
        Partial = "部分", "partial";
    }
}

impl SchoolType {
    /// A short name for narrow tables: at most three Chinese characters or eight letters.
    pub fn short_label(self, lang: crate::i18n::Lang) -> &'static str {
        let (zh, en) = match self {
            SchoolType::TeachingPoint => ("教学点", "Point"),
            SchoolType::Primary => ("小学", "Primary"),
            SchoolType::JuniorMiddle => ("初中", "Junior"),
            SchoolType::NineYear => ("九年制", "9-year"),
            SchoolType::SeniorHigh => ("高中", "Senior"),
            SchoolType::Complete => ("完中", "Complete"),
            SchoolType::TwelveYear => ("十二年", "12-year"),
            SchoolType::Vocational => ("中职", "Vocation"),
            SchoolType::Special => ("特教", "Special"),
        };
        match lang {
            crate::i18n::Lang::Zh => zh,
            crate::i18n::Lang::En => en,
        }
    }
}

impl SchoolStatus {
    /// Merged and revoked schools are left out of every statistic (PRODUCT.md §5).
    pub fn is_active(self) -> bool {
        matches!(self, SchoolStatus::Normal | SchoolStatus::Suspended)
    }
}

/// One school's sheet for one period, as read from a file and kept as a revision.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SubmissionData {
    pub school_code: String,
    pub name: String,
    pub city: Option<String>,
    pub county: Option<String>,
    pub county_code: Option<String>,
    pub school_type: Option<SchoolType>,
    pub urban_rural: Option<UrbanRural>,
    /// Empty in the sheet means 正常.
    pub school_status: Option<SchoolStatus>,
    /// 已填报; false when the sheet says 未填报 or every indicator is empty.
    pub filled: bool,
    /// Normalised to `YYYY-MM-DD HH:MM:SS` (or `YYYY-MM-DD` when the sheet gave no time).
    pub submitted_at: Option<String>,
    pub classes: Option<u32>,
    pub teachers: Option<u32>,
    pub students: Option<u32>,
    pub connected: Option<bool>,
    pub access_type: Option<AccessType>,
    pub bandwidth_mbps: Option<f64>,
    pub wifi: Option<WifiCoverage>,
    pub classrooms: Option<u32>,
    pub multimedia_rooms: Option<u32>,
    pub teacher_devices: Option<u32>,
    pub student_devices: Option<u32>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// Columns shenhe does not know, in file order: kept and carried in the bundle.
    pub extras: Vec<(String, String)>,
}

impl SubmissionData {
    pub fn status(&self) -> SchoolStatus {
        self.school_status.unwrap_or(SchoolStatus::Normal)
    }

    /// True when the sheet gives none of the indicators (PRODUCT.md §3: such a row is 未填报).
    pub fn indicators_empty(&self) -> bool {
        self.classes.is_none()
            && self.teachers.is_none()
            && self.students.is_none()
            && self.connected.is_none()
            && self.access_type.is_none()
            && self.bandwidth_mbps.is_none()
            && self.wifi.is_none()
            && self.classrooms.is_none()
            && self.multimedia_rooms.is_none()
            && self.teacher_devices.is_none()
            && self.student_devices.is_none()
    }

    /// A stable text form of the data (not of where it came from): two rows with the same
    /// canonical form are the same revision, whatever file format or column order they came in.
    pub fn canonical(&self) -> String {
        let mut out = Vec::with_capacity(512);
        self.write_canonical(&mut out);
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// [`SubmissionData::canonical`], written to `out` (the hash takes it without a string of
    /// its own for every row of an import).
    fn write_canonical(&self, out: &mut impl std::io::Write) {
        #[derive(Serialize)]
        struct Canonical<'a> {
            school_code: &'a str,
            name: &'a str,
            city: &'a Option<String>,
            county: &'a Option<String>,
            county_code: &'a Option<String>,
            school_type: Option<&'static str>,
            urban_rural: Option<&'static str>,
            school_status: Option<&'static str>,
            filled: bool,
            submitted_at: &'a Option<String>,
            numbers: [Option<u32>; 7],
            connected: Option<bool>,
            access_type: Option<&'static str>,
            bandwidth_mbps: Option<f64>,
            wifi: Option<&'static str>,
            contact: [&'a Option<String>; 2],
            extras: std::collections::BTreeMap<&'a str, &'a str>,
        }
        let c = Canonical {
            school_code: &self.school_code,
            name: &self.name,
            city: &self.city,
            county: &self.county,
            county_code: &self.county_code,
            school_type: self.school_type.map(SchoolType::label_zh),
            urban_rural: self.urban_rural.map(UrbanRural::label_zh),
            school_status: self.school_status.map(SchoolStatus::label_zh),
            filled: self.filled,
            submitted_at: &self.submitted_at,
            numbers: [
                self.classes,
                self.teachers,
                self.students,
                self.classrooms,
                self.multimedia_rooms,
                self.teacher_devices,
                self.student_devices,
            ],
            connected: self.connected,
            access_type: self.access_type.map(AccessType::label_zh),
            bandwidth_mbps: self.bandwidth_mbps,
            wifi: self.wifi.map(WifiCoverage::label_zh),
            contact: [&self.contact_name, &self.contact_phone],
            extras: self.extras.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.as_str(), v.as_str())).collect(),
        };
        serde_json::to_writer(out, &c).expect("plain data always serialises");
    }

    /// SHA-256 of the canonical form: what tells one revision from the next.
    pub fn content_hash(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        /// The hasher as a writer, through a buffer (serde_json writes a few bytes at a time).
        struct Hashing(Sha256);
        impl std::io::Write for Hashing {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.update(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut hashing = std::io::BufWriter::with_capacity(512, Hashing(Sha256::new()));
        self.write_canonical(&mut hashing);
        let Ok(Hashing(hasher)) = hashing.into_inner() else { unreachable!("hashing never fails") };
        hasher.finalize().into()
    }
}

/// Whether a code has the national shape: 10 digits, 2-digit category + 2-digit province +
/// 6-digit sequence. Other codes are accepted with a warning (PRODUCT.md §3).
pub fn is_national_code(code: &str) -> bool {
    code.len() == 10 && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_in_both_languages_and_aliases() {
        assert_eq!(SchoolType::parse("小学"), Some(SchoolType::Primary));
        assert_eq!(SchoolType::parse("初中"), Some(SchoolType::JuniorMiddle));
        assert_eq!(SchoolType::parse("Senior High"), Some(SchoolType::SeniorHigh));
        assert_eq!(SchoolType::parse("大学"), None);
        assert_eq!(AccessType::parse("adsl"), Some(AccessType::Adsl));
        assert_eq!(SchoolStatus::parse(" 撤销 "), Some(SchoolStatus::Revoked));
    }

    #[test]
    fn the_hash_is_the_hash_of_the_canonical_form_as_stores_already_hold_it() {
        use sha2::{Digest, Sha256};
        let d = SubmissionData {
            school_code: "2141010201".into(),
            name: "伏牛路小学 \"一校\"".into(),
            bandwidth_mbps: Some(100.5),
            extras: vec![("备注".into(), "新建".into())],
            ..Default::default()
        };
        let expected: [u8; 32] = Sha256::digest(d.canonical().as_bytes()).into();
        assert_eq!(d.content_hash(), expected);
        assert!(
            d.canonical().starts_with(r#"{"school_code":"2141010201","name":"伏牛路小学 \"一校\"""#),
            "{}",
            d.canonical()
        );
    }

    #[test]
    fn canonical_form_ignores_extra_column_order_and_empty_extras() {
        let mut a = SubmissionData {
            school_code: "2141010201".into(),
            name: "须水一小".into(),
            extras: vec![("备注".into(), "x".into()), ("校长".into(), "王".into())],
            ..Default::default()
        };
        let mut b = a.clone();
        b.extras.reverse();
        b.extras.push(("空列".into(), String::new()));
        assert_eq!(a.canonical(), b.canonical());
        a.students = Some(1);
        assert_ne!(a.canonical(), b.canonical());
    }

    #[test]
    fn national_code_shape() {
        assert!(is_national_code("2141010201"));
        assert!(!is_national_code("214101020"));
        assert!(!is_national_code("21410102A1"));
    }
}
