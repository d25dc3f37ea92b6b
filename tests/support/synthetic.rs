//! A synthetic province for the benchmarks: real Henan counties, the school types with their
//! shares, code categories (those the default config expects) and sizes, and Chinese school
//! names as county sheets write them.
#![allow(dead_code)]

use std::fmt::Write as _;

use crate::splitmix::SplitMix as Rng;

/// (city, county, county code): real Henan divisions.
pub const COUNTIES: &[(&str, &str, &str)] = &[
    ("郑州市", "中原区", "410102"),
    ("郑州市", "二七区", "410103"),
    ("郑州市", "金水区", "410105"),
    ("郑州市", "巩义市", "410181"),
    ("郑州市", "登封市", "410185"),
    ("开封市", "杞县", "410221"),
    ("开封市", "兰考县", "410225"),
    ("洛阳市", "孟津区", "410308"),
    ("洛阳市", "洛龙区", "410311"),
    ("洛阳市", "栾川县", "410324"),
    ("洛阳市", "嵩县", "410325"),
    ("平顶山市", "鲁山县", "410423"),
    ("安阳市", "林州市", "410581"),
    ("新乡市", "辉县市", "410782"),
    ("南阳市", "宛城区", "411302"),
    ("南阳市", "卧龙区", "411303"),
    ("南阳市", "南召县", "411321"),
    ("南阳市", "方城县", "411322"),
    ("南阳市", "西峡县", "411323"),
    ("信阳市", "光山县", "411522"),
    ("周口市", "太康县", "411627"),
    ("驻马店市", "泌阳县", "411726"),
];

/// Syllables that make up place names: 桐柏, 红旗, 陈庄…
pub const PLACE: &[&str] = &[
    "桐", "柏", "红", "旗", "建", "设", "东", "西", "南", "北", "新", "华", "育", "才", "文", "化", "民", "主", "陈",
    "王", "李", "张", "庄", "河", "山", "石", "桥", "岗", "营", "寨", "楼", "店", "集", "沟", "湾", "坪", "峪", "林",
    "杨", "柳", "槐", "枣", "花", "园", "光", "明", "振", "兴", "和", "平", "安", "宁", "永", "丰", "裕", "隆", "长",
    "重", "乐", "朝", "阳", "伏", "牛", "汝", "须", "水", "嵩", "伊", "洛",
];
pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗",
];
pub const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞",
    "平", "刚", "桂", "英", "建", "国", "红", "梅", "志", "华", "玉",
];
/// 无线网络覆盖.
pub const WIFI: &[&str] = &["是", "是", "部分", "否"];
pub const ORDINALS: &[&str] =
    &["第一", "第二", "第三", "第四", "第五", "第六", "第七", "第八", "第九", "第十", "第十一"];

/// One 办学类型 and how schools of that type look.
pub struct Kind {
    pub label: &'static str,
    /// Share of all schools, in ‰.
    pub permille: u64,
    /// The first two digits of the school code (those the default config expects).
    pub category: &'static str,
    pub students: (u64, u64),
    pub name_endings: &'static [&'static str],
}

pub const KINDS: &[Kind] = &[
    Kind { label: "教学点", permille: 150, category: "21", students: (5, 80), name_endings: &["教学点"] },
    Kind {
        label: "小学",
        permille: 450,
        category: "21",
        students: (60, 2_400),
        name_endings: &["小学", "中心小学", "完全小学", "实验小学"],
    },
    Kind {
        label: "初级中学",
        permille: 200,
        category: "31",
        students: (200, 2_800),
        name_endings: &["初级中学", "中学", "实验中学"],
    },
    Kind {
        label: "九年一贯制学校",
        permille: 100,
        category: "31",
        students: (300, 3_000),
        name_endings: &["九年一贯制学校", "学校"],
    },
    Kind {
        label: "高级中学",
        permille: 50,
        category: "31",
        students: (800, 4_500),
        name_endings: &["高级中学", "高中"],
    },
    Kind {
        label: "完全中学",
        permille: 50,
        category: "31",
        students: (900, 4_000),
        name_endings: &["中学", "完全中学"],
    },
];

pub fn place(rng: &mut Rng) -> String {
    let n = if rng.chance(80) { 2 } else { 3 };
    (0..n).map(|_| *rng.pick(PLACE)).collect()
}

/// A school name as sheets write them: 郑州市中原区第三小学, 嵩县陈庄乡红旗村教学点, 金水区桐柏路小学.
/// Some names still repeat (the `duplicate_name` rule finds them), as in real sheets.
pub fn school_name(rng: &mut Rng, city: &str, county: &str, ending: &str, kind: &str) -> String {
    // Always the county: 第三小学 alone would name a school in every county.
    let prefix = if rng.chance(40) { format!("{city}{county}") } else { county.to_string() };
    match kind {
        "教学点" => format!("{prefix}{}乡{}村{ending}", place(rng), place(rng)),
        // A county has one 第三中学: ordinals are rare among 4,500 schools a county.
        _ if rng.chance(2) => format!("{prefix}{}{ending}", rng.pick(ORDINALS)),
        _ if rng.chance(50) => format!("{prefix}{}{}{ending}", place(rng), rng.pick(&["路", "镇", "乡", "街道"])),
        _ => format!("{prefix}{}{ending}", place(rng)),
    }
}

/// A 办学类型, drawn by the shares of `KINDS`.
pub fn draw_kind(rng: &mut Rng) -> &'static Kind {
    let mut share = rng.range(0, 999);
    KINDS
        .iter()
        .find(|k| {
            let hit = share < k.permille;
            share = share.saturating_sub(k.permille);
            hit
        })
        .unwrap_or(&KINDS[1])
}

/// A 填报人 and a mobile number, as sheets give them.
pub fn contact(rng: &mut Rng) -> (String, String) {
    let name =
        format!("{}{}{}", rng.pick(SURNAMES), rng.pick(GIVEN), if rng.chance(60) { rng.pick(GIVEN) } else { "" });
    let phone = format!(
        "1{}{:08}",
        rng.pick(&["35", "37", "38", "39", "50", "52", "58", "77", "86", "88"]),
        rng.range(0, 99_999_999)
    );
    (name, phone)
}

/// A school's place and kind: (city, county, county code), its 办学类型 (drawn by the shares
/// of `KINDS`), and a name for it.
pub fn draw_school(rng: &mut Rng) -> ((&'static str, &'static str, &'static str), &'static Kind, String) {
    let (city, county, county_code) = *rng.pick(COUNTIES);
    let kind = draw_kind(rng);
    let ending = *rng.pick(kind.name_endings);
    let name = school_name(rng, city, county, ending, kind.label);
    ((city, county, county_code), kind, name)
}

/// 是否接入互联网, 接入方式 and 出口带宽 as a sheet gives them; a bandwidth of 0 is left empty
/// (the mistake the checks find in a connected school).
fn link(connected: bool, bandwidth: u64) -> (&'static str, &'static str, String) {
    match (connected, bandwidth) {
        (true, 0) => ("是", "光纤", String::new()),
        (true, b) => ("是", "光纤", b.to_string()),
        (false, _) => ("否", "", String::new()),
    }
}

/// The columns of a county's sheet, as the import reads them.
pub const HEADER: &str = "学校标识码,学校名称,所属市州,所属县区,行政区划代码,办学类型,城乡类型,学校状态,填报状态,填报时间,\
班级数,教师数,学生数,是否接入互联网,接入方式,出口带宽,无线网络覆盖,普通教室数,多媒体教室数,教师终端数,学生终端数,填报人,联系电话";

/// One quarter's sheet of `schools` schools of `county` (city, county, code), as the county's
/// schools fill it in: about 3% 未填报, and the mistakes the checks are there to find planted
/// here and there.
pub fn county_sheet(county: (&str, &str, &str), schools: usize, seed: u64) -> String {
    numbered_county_sheet(county, schools, seed, 0)
}

/// [`county_sheet`] with the 6-digit sequence of the school codes starting at `first`: the
/// counties of one city take distinct ranges, as national codes are distinct (a city refuses a
/// school another county has reported).
pub fn numbered_county_sheet(county: (&str, &str, &str), schools: usize, seed: u64, first: usize) -> String {
    let (city, county, county_code) = county;
    let mut rng = Rng(seed);
    let mut out = String::with_capacity(schools * 260);
    out.push_str(HEADER);
    out.push('\n');
    for i in 0..schools {
        let kind = draw_kind(&mut rng);
        let &Kind { label, category, students: (lo, hi), name_endings, .. } = kind;
        let ending = *rng.pick(name_endings);
        let name = school_name(&mut rng, city, county, ending, label);
        let urban = if label == "教学点" { "乡村" } else { rng.pick(&["城区", "镇区", "乡村", "乡村"]) };
        let code = first + i;
        let _ = write!(out, "{category}41{code:06},{name},{city},{county},{county_code},{label},{urban},正常");
        if rng.chance(3) {
            // 填报状态, then 填报时间 and the 13 columns after it empty.
            out.push_str(",未填报");
            out.push_str(&",".repeat(14));
            out.push('\n');
            continue;
        }
        let students = rng.range(lo, hi);
        let classes = (students / rng.range(30, 50)).max(1);
        let teachers = (students / rng.range(12, 20)).max(1);
        let classrooms = classes + rng.range(0, 4);
        let mut multimedia = classrooms.saturating_sub(rng.range(0, 3));
        if rng.chance(1) {
            multimedia = classrooms + rng.range(1, 5);
        }
        let connected = !rng.chance(2);
        let mut bandwidth =
            if rng.chance(3) { *rng.pick(&[4, 8, 10, 20]) } else { *rng.pick(&[100, 200, 300, 500, 1000]) };
        if connected && rng.chance(1) {
            bandwidth = 0;
        }
        let (connected, access, bandwidth) = link(connected, bandwidth);
        let wifi = rng.pick(WIFI);
        let submitted = format!(
            "2026-09-{:02} {:02}:{:02}:{:02}",
            rng.range(1, 28),
            rng.range(8, 21),
            rng.range(0, 59),
            rng.range(0, 59)
        );
        let (contact, phone) = contact(&mut rng);
        let _ = writeln!(
            out,
            ",已填报,{submitted},{classes},{teachers},{students},{connected},{access},{bandwidth},{wifi},\
             {classrooms},{multimedia},{},{},{contact},{phone}",
            teachers + rng.range(0, 10),
            students / rng.range(5, 15),
        );
    }
    out
}

/// Month `month` (1-based) of a year of monthly sheets of `schools` schools of `county`, as
/// real months look: each school keeps its type, name, contact and links from month to month,
/// its figures drift by a few percent, a few upgrade their line, about 3% leave a month
/// unfilled and the planted mistakes of [`county_sheet`] come and go. Independent draws
/// (a `county_sheet` per month) would instead change every school every month, and the checks
/// against the previous month would open findings for most of them.
pub fn county_month_sheet(county: (&str, &str, &str), schools: usize, seed: u64, month: u32) -> String {
    let (city, county, county_code) = county;
    let mut out = String::with_capacity(schools * 260);
    out.push_str(HEADER);
    out.push('\n');
    for i in 0..schools {
        // What the school is: the same every month.
        let school_seed = seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rng = Rng(school_seed);
        let kind = draw_kind(&mut rng);
        let &Kind { label, category, students: (lo, hi), name_endings, .. } = kind;
        let ending = *rng.pick(name_endings);
        let name = school_name(&mut rng, city, county, ending, label);
        let urban = if label == "教学点" { "乡村" } else { rng.pick(&["城区", "镇区", "乡村", "乡村"]) };
        let base_students = rng.range(lo, hi);
        let per_class = rng.range(30, 50);
        let per_teacher = rng.range(12, 20);
        let spare_rooms = rng.range(0, 4);
        let plain_rooms = rng.range(0, 3);
        let connected = !rng.chance(2);
        let tier = if rng.chance(3) { rng.range(0, 3) } else { rng.range(4, 8) };
        let wifi = rng.pick(WIFI);
        let extra_terminals = rng.range(0, 10);
        let per_terminal = rng.range(5, 15);
        let (contact, phone) = contact(&mut rng);

        // What this month's sheet says.
        let mut rng = Rng(school_seed ^ u64::from(month).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let _ = write!(out, "{category}41{i:06},{name},{city},{county},{county_code},{label},{urban},正常");
        if rng.chance(3) {
            out.push_str(",未填报");
            out.push_str(&",".repeat(14));
            out.push('\n');
            continue;
        }
        // Up to ±3% a month around the school's size, never below one.
        let students = (base_students * rng.range(97, 103) / 100).max(1);
        let classes = (students / per_class).max(1);
        let teachers = (students / per_teacher).max(1);
        let classrooms = classes + spare_rooms;
        let mut multimedia = classrooms.saturating_sub(plain_rooms);
        if rng.chance(1) {
            multimedia = classrooms + rng.range(1, 5);
        }
        // One line in a hundred moves up a tier over the year (by the month it happens in).
        let tiers = [4, 8, 10, 20, 100, 200, 300, 500, 1000];
        let upgraded = (1..=month).filter(|m| Rng(school_seed ^ u64::from(*m)).chance(1)).count() as u64;
        let mut bandwidth = tiers[usize::try_from((tier + upgraded).min(8)).unwrap_or(8)];
        if connected && rng.chance(1) {
            bandwidth = 0;
        }
        let (connected, access, bandwidth) = link(connected, bandwidth);
        let submitted = format!(
            "2026-{:02}-{:02} {:02}:{:02}:{:02}",
            (month - 1) % 12 + 1,
            rng.range(1, 28),
            rng.range(8, 21),
            rng.range(0, 59),
            rng.range(0, 59)
        );
        let _ = writeln!(
            out,
            ",已填报,{submitted},{classes},{teachers},{students},{connected},{access},{bandwidth},{wifi},\
             {classrooms},{multimedia},{},{},{contact},{phone}",
            teachers + extra_terminals,
            students / per_terminal,
        );
    }
    out
}
