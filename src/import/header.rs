//! Matching a sheet's header cells to the known columns of PRODUCT.md §3.

use unicode_normalization::UnicodeNormalization;

/// A column shenhe understands. Any other column is kept as an extra.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    SchoolCode,
    Name,
    City,
    County,
    CountyCode,
    SchoolType,
    UrbanRural,
    SchoolStatus,
    FillStatus,
    SubmittedAt,
    Classes,
    Teachers,
    Students,
    Connected,
    AccessType,
    Bandwidth,
    Wifi,
    Classrooms,
    MultimediaRooms,
    TeacherDevices,
    StudentDevices,
    ContactName,
    ContactPhone,
}

impl Column {
    pub const ALL: [Column; 23] = [
        Column::SchoolCode,
        Column::Name,
        Column::City,
        Column::County,
        Column::CountyCode,
        Column::SchoolType,
        Column::UrbanRural,
        Column::SchoolStatus,
        Column::FillStatus,
        Column::SubmittedAt,
        Column::Classes,
        Column::Teachers,
        Column::Students,
        Column::Connected,
        Column::AccessType,
        Column::Bandwidth,
        Column::Wifi,
        Column::Classrooms,
        Column::MultimediaRooms,
        Column::TeacherDevices,
        Column::StudentDevices,
        Column::ContactName,
        Column::ContactPhone,
    ];

    /// The columns without which a row means nothing.
    pub const REQUIRED: [Column; 2] = [Column::SchoolCode, Column::Name];

    /// (English key, Chinese header, aliases)
    fn spellings(self) -> (&'static str, &'static str, &'static [&'static str]) {
        match self {
            Column::SchoolCode => ("school_code", "学校标识码", &[]),
            Column::Name => ("name", "学校名称", &[]),
            Column::City => ("city", "所属市州", &[]),
            Column::County => ("county", "所属县区", &[]),
            Column::CountyCode => ("county_code", "行政区划代码", &[]),
            Column::SchoolType => ("school_type", "办学类型", &["学校类型"]),
            Column::UrbanRural => ("urban_rural", "城乡类型", &["城乡分类"]),
            Column::SchoolStatus => ("school_status", "学校状态", &[]),
            Column::FillStatus => ("fill_status", "填报状态", &[]),
            Column::SubmittedAt => ("submitted_at", "填报时间", &[]),
            Column::Classes => ("classes", "班级数", &[]),
            Column::Teachers => ("teachers", "教师数", &[]),
            Column::Students => ("students", "学生数", &[]),
            Column::Connected => ("connected", "是否接入互联网", &[]),
            Column::AccessType => ("access_type", "接入方式", &[]),
            Column::Bandwidth => ("bandwidth_mbps", "出口带宽", &[]),
            Column::Wifi => ("wifi", "无线网络覆盖", &[]),
            Column::Classrooms => ("classrooms", "普通教室数", &["教室数"]),
            Column::MultimediaRooms => ("multimedia_rooms", "多媒体教室数", &[]),
            Column::TeacherDevices => ("teacher_devices", "教师终端数", &[]),
            Column::StudentDevices => ("student_devices", "学生终端数", &[]),
            Column::ContactName => ("contact_name", "填报人", &[]),
            Column::ContactPhone => ("contact_phone", "联系电话", &[]),
        }
    }

    pub fn key(self) -> &'static str {
        self.spellings().0
    }

    /// The Chinese header, as the national system writes it.
    pub fn header_zh(self) -> &'static str {
        self.spellings().1
    }

    /// Finds the column a header cell names, if any.
    pub fn from_header(cell: &str) -> Option<Column> {
        let wanted = normalize_header(cell);
        if wanted.is_empty() {
            return None;
        }
        Column::ALL.into_iter().find(|c| {
            let (key, zh, aliases) = c.spellings();
            wanted == key || wanted == zh || aliases.contains(&wanted.as_str())
        })
    }
}

/// NFKC (full-width → half-width), whitespace removed, ASCII lower-cased, and a trailing
/// bracketed unit dropped: `出口带宽（M）`, `出口带宽(Mbps)` and `出口 带宽` are one column.
pub fn normalize_header(cell: &str) -> String {
    let mut s: String = cell.nfkc().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    if s.ends_with(')')
        && let Some(open) = s.rfind('(')
        && open > 0
    {
        s.truncate(open);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_spellings_match_one_column() {
        for cell in ["出口带宽", "出口带宽（M）", "出口带宽(Mbps)", " 出口 带宽 ", "bandwidth_mbps", "BANDWIDTH_MBPS"]
        {
            assert_eq!(Column::from_header(cell), Some(Column::Bandwidth), "{cell}");
        }
        assert_eq!(Column::from_header("学校类型"), Some(Column::SchoolType));
        assert_eq!(Column::from_header("城乡分类"), Some(Column::UrbanRural));
        assert_eq!(Column::from_header("教室数"), Some(Column::Classrooms));
        assert_eq!(Column::from_header("多媒体教室数(间)"), Some(Column::MultimediaRooms));
        assert_eq!(Column::from_header("学 校 名 称"), Some(Column::Name));
    }

    #[test]
    fn unknown_and_empty_headers_match_nothing() {
        assert_eq!(Column::from_header("备注"), None);
        assert_eq!(Column::from_header(""), None);
        assert_eq!(Column::from_header("(M)"), None);
    }
}
