//! The fields of a school's sheet as the auditor reads them: a label, the value as text, and
//! which fields differ between two sheets (the detail pane's "changed" marks).

use super::SubmissionData;
use super::labels::labelled_enum;
use crate::i18n::Lang;

labelled_enum! {
    /// One known column of the sheet (PRODUCT.md §3), in the order the detail pane shows them.
    pub enum Field {
        SchoolCode = "学校标识码", "School code";
        Name = "学校名称", "Name";
        City = "所属市州", "City";
        County = "所属县区", "County";
        CountyCode = "行政区划代码", "County code";
        SchoolType = "办学类型", "School type";
        UrbanRural = "城乡类型", "Urban/rural";
        SchoolStatus = "学校状态", "School status";
        Filled = "填报状态", "Filled";
        SubmittedAt = "填报时间", "Submitted at";
        Classes = "班级数", "Classes";
        Teachers = "教师数", "Teachers";
        Students = "学生数", "Students";
        Connected = "是否接入互联网", "Connected";
        AccessType = "接入方式", "Access type";
        Bandwidth = "出口带宽(M)", "Bandwidth (Mbps)";
        Wifi = "无线网络覆盖", "Wi-Fi coverage";
        Classrooms = "普通教室数", "Classrooms";
        MultimediaRooms = "多媒体教室数", "Multimedia rooms";
        TeacherDevices = "教师终端数", "Teacher devices";
        StudentDevices = "学生终端数", "Student devices";
        ContactName = "填报人", "Contact";
        ContactPhone = "联系电话", "Phone";
    }
}

impl Field {
    /// The field's value in `s`, as text in `lang`; empty when the sheet left it blank.
    pub fn value(self, s: &SubmissionData, lang: Lang) -> String {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let number = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
        let yes_no = |v: bool| lang.msg().value_yes_no.split('/').nth(usize::from(!v)).unwrap_or_default().to_string();
        match self {
            Field::SchoolCode => s.school_code.clone(),
            Field::Name => s.name.clone(),
            Field::City => text(&s.city),
            Field::County => text(&s.county),
            Field::CountyCode => text(&s.county_code),
            Field::SchoolType => s.school_type.map(|t| t.label(lang).to_string()).unwrap_or_default(),
            Field::UrbanRural => s.urban_rural.map(|t| t.label(lang).to_string()).unwrap_or_default(),
            Field::SchoolStatus => s.school_status.map(|t| t.label(lang).to_string()).unwrap_or_default(),
            Field::Filled => yes_no(s.filled),
            Field::SubmittedAt => text(&s.submitted_at),
            Field::Classes => number(s.classes),
            Field::Teachers => number(s.teachers),
            Field::Students => number(s.students),
            Field::Connected => s.connected.map(yes_no).unwrap_or_default(),
            Field::AccessType => s.access_type.map(|t| t.label(lang).to_string()).unwrap_or_default(),
            Field::Bandwidth => s.bandwidth_mbps.map(number_text).unwrap_or_default(),
            Field::Wifi => s.wifi.map(|t| t.label(lang).to_string()).unwrap_or_default(),
            Field::Classrooms => number(s.classrooms),
            Field::MultimediaRooms => number(s.multimedia_rooms),
            Field::TeacherDevices => number(s.teacher_devices),
            Field::StudentDevices => number(s.student_devices),
            Field::ContactName => text(&s.contact_name),
            Field::ContactPhone => text(&s.contact_phone),
        }
    }
}

/// One difference between two versions of a sheet: a known field or an extra column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field's label in the language asked for, or the extra column's own header.
    pub label: String,
    pub before: String,
    pub after: String,
}

/// What differs from `before` to `after`, known fields first, then the extra columns.
pub fn changes(before: &SubmissionData, after: &SubmissionData, lang: Lang) -> Vec<FieldChange> {
    let mut out: Vec<FieldChange> = Field::ALL
        .iter()
        .filter_map(|f| {
            let (b, a) = (f.value(before, lang), f.value(after, lang));
            (b != a).then(|| FieldChange { label: f.label(lang).to_string(), before: b, after: a })
        })
        .collect();
    let extra = |s: &SubmissionData, k: &str| s.extras.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
    let mut headers: Vec<&str> = after.extras.iter().chain(&before.extras).map(|(h, _)| h.as_str()).collect();
    headers.dedup();
    let mut seen = std::collections::HashSet::new();
    for h in headers.into_iter().filter(|h| seen.insert(*h)) {
        let (b, a) = (extra(before, h).unwrap_or_default(), extra(after, h).unwrap_or_default());
        if b != a {
            out.push(FieldChange { label: h.to_string(), before: b, after: a });
        }
    }
    out
}

/// Whole numbers without decimals, others with what decimals they have, at most two:
/// 4800, 171.4, 0.14.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{n:.0}");
    }
    let text = format!("{n:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_name_the_fields_and_extras_that_differ() {
        let before = SubmissionData {
            school_code: "2141010201".into(),
            name: "伏牛路小学".into(),
            bandwidth_mbps: Some(50.0),
            connected: Some(true),
            extras: vec![("备注".into(), "新建".into())],
            ..Default::default()
        };
        let after = SubmissionData { bandwidth_mbps: Some(100.0), extras: vec![], ..before.clone() };
        let found = changes(&before, &after, Lang::Zh);
        assert_eq!(
            found,
            vec![
                FieldChange { label: "出口带宽(M)".into(), before: "50".into(), after: "100".into() },
                FieldChange { label: "备注".into(), before: "新建".into(), after: String::new() },
            ]
        );
        assert!(changes(&after, &after, Lang::En).is_empty());
        assert_eq!(Field::Connected.value(&after, Lang::Zh), "是");
        assert_eq!(Field::Connected.value(&after, Lang::En), "yes");
    }
}
