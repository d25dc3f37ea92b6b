//! Writes the demo county 中原区 (410102) into `assets/sample/`: the 2026Q2 sheet as an Excel-style
//! GB18030 CSV, the 2026Q3 sheet as an XLSX with title rows, and a README whose table of planted
//! problems is computed from the very rows written. Deterministic: run it twice, get the same bytes.
//!
//! Run with `cargo run --example make_sample`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, FormatAlign, Workbook};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[path = "../tests/support/splitmix.rs"]
mod splitmix;

/// The sample's generator: seeded, so the files come out byte for byte the same every time.
struct Rng(splitmix::SplitMix);
impl Rng {
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        self.0.range(lo.into(), hi.into()) as u32
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        *self.0.pick(xs)
    }
    fn word<'a>(&mut self, words: &'a str) -> &'a str {
        self.pick(&words.split(' ').collect::<Vec<_>>())
    }
}

const TP: &str = "教学点";
const PRI: &str = "小学";
const JUN: &str = "初级中学";
const NINE: &str = "九年一贯制学校";
const COMP: &str = "完全中学";
const SEN: &str = "高级中学";
const VOC: &str = "中等职业学校";
const SPE: &str = "特殊教育学校";
const URB: &str = "城区";
const TOWN: &str = "镇区";
const RUR: &str = "乡村";

const ROADS: &str = "伏牛路 嵩山路 桐柏路 秦岭路 工人路 建设路 中原路 棉纺路 华山路 淮河路 汝河路 \
    陇海路 航海路 须水路 化工路 友爱路 互助路 百花路 五龙口 西站路 绿东村 林山寨 三官庙 碧沙岗 冉屯路 \
    电厂路 颖河路 市场街 锦艺 外国语 莲湖 桐淮 帝湖 凯旋路 西流湖 协作路";
const TOWNS: [(&str, &str); 3] = [
    ("须水镇", "西岗 董岗 白寨 岗坡 罗庄 柳湖 河西 王垌"),
    ("石佛镇", "石佛 岗李 孙八砦 油坊 东史马 西史马 枯河 前庄"),
    ("沟赵乡", "沟赵 张五砦 老庄 双楼 邢庄 琉璃寺 红石坡 竹园"),
];
const SURNAMES: &str = "王 李 张 刘 陈 杨 赵 黄 周 吴 孙 马 朱 郭 高 罗";
const GIVEN: &str = "建国 丽娟 海涛 红霞 志强 秀英 晓东 静 敏 俊杰 雪梅 玉兰 鹏飞 春燕 亚楠 磊";

/// Chinese numerals 1..=99, as in 郑州市第十九中学.
fn cn(n: u32) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => D[n as usize].into(),
        10..=19 => format!("十{}", D[(n % 10) as usize]),
        _ => format!("{}十{}", D[(n / 10) as usize], D[(n % 10) as usize]),
    }
}

/// The two-digit category this sample puts at the head of a national code, by type.
fn category(ty: &str) -> &'static str {
    match ty {
        TP | PRI => "21",
        VOC => "36",
        SPE => "51",
        _ => "31",
    }
}

/// Minimum bandwidth (Mbps) for a type, after PRODUCT.md §4.
fn tier(ty: &str) -> u32 {
    match ty {
        TP => 4,
        PRI | SPE => 10,
        JUN | NINE => 30,
        _ => 50,
    }
}

/// The numeric indicators, in the order of `Row::n`.
const NUMS: [&str; 8] = ["classes", "teachers", "students", "bw", "classrooms", "mm", "tdev", "sdev"];

fn ix(key: &str) -> usize {
    NUMS.iter().position(|k| *k == key).unwrap_or_else(|| panic!("unknown numeric column {key}"))
}

#[derive(Clone, Default)]
struct Row {
    code: String,
    name: String,
    ty: &'static str,
    ur: &'static str,
    status: &'static str,
    filled: bool,
    /// month, day, hour, minute, second
    at: Option<[u32; 5]>,
    connected: Option<bool>,
    access: Option<&'static str>,
    wifi: Option<&'static str>,
    /// classes, teachers, students, bandwidth, classrooms, multimedia rooms, devices (see `NUMS`)
    n: [Option<u32>; 8],
    contact: String,
    phone: String,
    note: String,
    dropped: bool,
}

impl Row {
    fn get(&self, key: &str) -> Option<u32> {
        self.n[ix(key)]
    }
    /// A 未填报 row: the school sent nothing, so every indicator is empty.
    fn clear(&mut self) {
        self.n = [None; 8];
        (self.filled, self.at, self.connected, self.access, self.wifi) = (false, None, None, None, None);
        (self.contact, self.phone) = (String::new(), String::new());
    }
    /// Not connected: the national form leaves access type and bandwidth empty then.
    fn disconnect(&mut self) {
        (self.connected, self.access, self.n[ix("bw")], self.wifi) = (Some(false), None, None, Some("否"));
    }
    fn active(&self) -> bool {
        matches!(self.status, "正常" | "暂停招生")
    }

    /// Applies a planted change: space-separated `key=value` (`空` empties a number), `key*pct`
    /// (scale a number), `mm=@classrooms+4`, `code=POS:TEXT`, `cut=LEN`, `net=否`, `fill=未`,
    /// `name=上一所` (the previous planted school's name), `drop`. A `Q2:` or `Q3:` prefix limits
    /// a token to one period.
    fn patch(&mut self, patch: &'static str, q3: bool, prev_name: &str) {
        let want = if q3 { "Q3" } else { "Q2" };
        for tok in patch.split(' ').filter(|t| !t.is_empty()) {
            let tok = match tok.split_once(':') {
                Some((p, rest)) if p.starts_with('Q') => match p == want {
                    true => rest,
                    false => continue,
                },
                _ => tok,
            };
            if let Some((k, pct)) = tok.split_once('*') {
                let pct: u32 = pct.parse().expect("percent");
                self.n[ix(k)] = self.get(k).map(|v| v * pct / 100);
                continue;
            }
            let (k, v) = tok.split_once('=').unwrap_or((tok, ""));
            match k {
                "net" => self.disconnect(),
                "fill" => self.clear(),
                "drop" => self.dropped = true,
                "status" => self.status = v,
                "access" => self.access = Some(v),
                "note" => self.note = v.into(),
                "name" => self.name = prev_name.into(),
                "cut" => self.code.truncate(v.parse().expect("length")),
                "code" => {
                    let (pos, text) = v.split_once(':').expect("POS:TEXT");
                    let pos: usize = pos.parse().expect("position");
                    self.code.replace_range(pos..pos + text.len(), text);
                }
                _ if v.starts_with('@') => {
                    let (other, add) = v[1..].split_once('+').expect("@column+N");
                    let add: u32 = add.parse().expect("number");
                    self.n[ix(k)] = self.get(other).map(|o| o + add);
                }
                _ => self.n[ix(k)] = (v != "空").then(|| v.parse().expect("number")),
            }
        }
    }
}

/// What is planted where: (type, place or "" for any, what it is, patch). Each row picks a
/// different school. Problems meant to persist apply to both periods, changes only to 2026Q3.
#[rustfmt::skip]
const PLANTS: [(&str, &str, &str, &str); 56] = [
    (TP,   "",   "未接入却填了带宽", "net=否 bw=10 Q3:note=使用4G流量卡上网"),
    (PRI,  RUR,  "未接入却填了带宽", "net=否 bw=50 Q3:note=使用4G流量卡上网"),
    (JUN,  TOWN, "未接入却填了带宽", "net=否 bw=20"),
    (PRI,  URB,  "已接入、带宽空", "bw=空"),
    (NINE, RUR,  "已接入、带宽为0", "bw=0"),
    (PRI,  TOWN, "已接入、带宽空", "bw=空"),
    (PRI,  URB,  "功能室计入多媒体教室", "mm=@classrooms+4"),
    (JUN,  URB,  "功能室计入多媒体教室", "mm=@classrooms+4"),
    (SEN,  URB,  "功能室计入多媒体教室", "mm=@classrooms+4"),
    (COMP, URB,  "功能室计入多媒体教室", "mm=@classrooms+3"),
    (PRI,  RUR,  "暂停招生，无班级仍报教室终端", "status=暂停招生 classes=0 students=0 teachers=2 classrooms=6 mm=2 tdev=2 sdev=0"),
    (TP,   "",   "暂停招生，无班级仍报教室终端", "status=暂停招生 classes=0 students=0 teachers=1 classrooms=2 mm=1 tdev=1 sdev=0"),
    (JUN,  TOWN, "新校区未招生，无班级仍报教室终端", "classes=0 students=0 teachers=8 classrooms=24 mm=24 tdev=30 sdev=0"),
    (PRI,  URB,  "班级数漏填为0", "classes=0"),
    (NINE, URB,  "教师数漏填为0", "teachers=0"),
    (PRI,  TOWN, "教师数漏填为0", "teachers=0"),
    (PRI,  URB,  "学生数多打一个0（480→4800）", "classes=12 teachers=28 classrooms=14 mm=12 Q2:students=480 Q3:students=4800"),
    (JUN,  URB,  "教师数少打一个0", "teachers*10"),
    (PRI,  URB,  "学生数录入错误（班额<3）", "classes=18 students=30"),
    (TP,   RUR,  "带宽低于同类标准", "bw=2 access=ADSL"),
    (PRI,  RUR,  "带宽低于同类标准", "bw=8 access=ADSL"),
    (JUN,  TOWN, "带宽低于同类标准", "bw=20"),
    (SEN,  URB,  "带宽低于同类标准", "bw=30"),
    (PRI,  RUR,  "本期断网", "Q3:net=否 Q3:note=光缆被施工挖断，维修中"),
    (TP,   "",   "本期断网", "Q3:net=否"),
    (JUN,  URB,  "带宽1000M→100M", "Q2:bw=1000 Q3:bw=100"),
    (PRI,  URB,  "带宽100M→300M（提速）", "Q2:bw=100 Q3:bw=300 Q3:note=2026年9月宽带提速"),
    (PRI,  URB,  "部分年级迁出，学生数骤减", "Q3:students*40 Q3:note=2026年秋季部分年级迁至新校区"),
    (PRI,  RUR,  "并入村小，学生数骤增", "Q3:students*160 Q3:note=合并周边村小后学生增加"),
    (JUN,  URB,  "班级数骤增", "Q3:classes*250"),
    (NINE, URB,  "班级数骤增", "Q3:classes*180"),
    (TP,   "",   "标识码少一位", "cut=9"),
    (PRI,  RUR,  "标识码含字母O", "code=4:O"),
    (PRI,  TOWN, "本地临时编码", "code=0:ZY"),
    (SEN,  URB,  "高中用了小学类别码21", "code=0:21"),
    (PRI,  URB,  "小学用了中学类别码31", "code=0:31"),
    (TP,   "",   "重复登记（新旧两个标识码）", ""),
    (PRI,  URB,  "与另一学校同名", ""),
    (PRI,  URB,  "更名后与另一学校同名", "Q3:name=上一所"),
    (TP,   "",   "本期缺失（撤并？）", "Q3:drop"),
    (PRI,  "",   "本期缺失（撤并？）", "Q3:drop"),
    (JUN,  "",   "本期缺失（撤并？）", "Q3:drop"),
    (PRI,  RUR,  "上期已合并", "status=合并 fill=未"),
    (TP,   "",   "本期合并", "Q3:status=合并 Q3:fill=未 Q3:note=2026年8月并入邻近小学"),
    (PRI,  "",   "本期撤销", "Q3:status=撤销 Q3:fill=未 Q3:note=2026年8月撤销，学生分流"),
    (TP,   "",   "一直未通网（调度清单）", "net=否"),
    (PRI,  "",   "上期未填报", "Q2:fill=未"),
    (JUN,  "",   "上期未填报", "Q2:fill=未"),
    (PRI,  "",   "本期未填报", "Q3:fill=未 Q3:note=校长外出培训，延期填报"),
    (TP,   "",   "本期未填报", "Q3:fill=未"),
    (PRI,  "",   "本期未填报", "Q3:fill=未"),
    (JUN,  "",   "本期未填报", "Q3:fill=未"),
    (NINE, "",   "本期未填报", "Q3:fill=未"),
    (PRI,  "",   "本期未填报", "Q3:fill=未"),
    (SEN,  "",   "本期未填报", "Q3:fill=未"),
    (TP,   "",   "本期未填报", "Q3:fill=未"),
];

fn school_name(rng: &mut Rng, ty: &str, ur: &str, used: &[Row]) -> String {
    loop {
        let (town, villages) = rng.pick(&TOWNS);
        let (road, village, n) = (rng.word(ROADS), rng.word(villages), rng.range(1, 9));
        let nth = ["", "第二", "第三"][n as usize % 3];
        let name = match (ty, ur) {
            (TP, _) => format!("郑州市中原区{town}{village}教学点"),
            (PRI, URB) => format!("郑州市中原区{road}{nth}小学"),
            (PRI, TOWN) => format!("郑州市中原区{town}第{}小学", cn(n)),
            (PRI, _) => format!("郑州市中原区{town}{village}小学"),
            (JUN, TOWN) => format!("郑州市中原区{town}第{}初级中学", cn(n % 3 + 1)),
            (JUN, RUR) => format!("郑州市中原区{town}{village}中学"),
            (NINE, URB) => format!("郑州市中原区{road}学校"),
            (NINE, _) => format!("郑州市中原区{town}{village}学校"),
            (SEN, TOWN) => format!("郑州市中原区{town}高级中学"),
            (COMP, TOWN) => format!("郑州市中原区{town}中学"),
            (SEN, URB) if n < 3 => format!("郑州市中原区{road}高级中学"),
            (VOC, _) => "郑州市中原区职业教育中心".into(),
            (SPE, _) => "郑州市中原区特殊教育学校".into(),
            _ => format!("郑州市第{}中学", cn(rng.range(1, 99))),
        };
        if !used.iter().any(|r| r.name == name) {
            return name;
        }
    }
}

/// One plausible, clean school sheet for 2026Q2.
fn school(rng: &mut Rng, ty: &'static str, ur: &'static str, seq: u32, used: &[Row]) -> Row {
    // (classes, pupils per class, pupils per teacher) ranges by type and place.
    let (cl, size, ratio) = match (ty, ur) {
        (TP, _) => ((1, 4), (6, 20), (5, 9)),
        (PRI, URB) => ((18, 48), (40, 50), (15, 19)),
        (PRI, TOWN) => ((12, 30), (35, 48), (14, 18)),
        (PRI, _) => ((6, 12), (15, 35), (10, 15)),
        (JUN, _) => ((12, 36), (40, 52), (11, 14)),
        (NINE, _) => ((18, 45), (38, 50), (12, 15)),
        (VOC, _) => ((48, 48), (40, 40), (15, 15)),
        (SPE, _) => ((12, 12), (6, 10), (3, 3)),
        _ => ((24, 60), (45, 55), (11, 13)),
    };
    let classes = rng.range(cl.0, cl.1);
    let students = classes * rng.range(size.0, size.1);
    let teachers = (students / rng.range(ratio.0, ratio.1)).max(classes.min(2));
    let classrooms = classes + rng.range(0, 4);
    let mm = match rng.range(1, 100) {
        1..=4 => 0,
        5..=14 => classrooms / 2,
        _ => classrooms - rng.range(0, 1),
    };
    let bw = match (ty, ur) {
        (TP, _) => rng.pick(&[10, 20, 20, 50, 100]),
        (PRI | JUN | NINE, URB) => rng.pick(&[100, 200, 300, 300, 500, 1000]),
        (PRI, TOWN) => rng.pick(&[50, 100, 100, 200]),
        (PRI, _) => rng.pick(&[20, 50, 50, 100]),
        (JUN | NINE, _) => rng.pick(&[50, 100, 200]),
        (SPE, _) => 100,
        _ => rng.pick(&[200, 300, 500, 1000, 1000]),
    };
    let access = match rng.range(1, 100) {
        1..=25 if ur == RUR => rng.word("无线 ADSL 卫星"),
        _ => "光纤",
    };
    let tdev = teachers + rng.range(0, teachers / 5);
    let sdev = (students * rng.range(6, 25)).div_ceil(100);
    let phone = match rng.range(1, 100) {
        1..=30 => format!("0371-6{:07}", rng.range(0, 9_999_999)),
        _ => format!("1{}{:09}", rng.pick(&[3, 5, 8]), rng.range(0, 999_999_999)),
    };
    Row {
        code: format!("{}41{seq:06}", category(ty)),
        name: school_name(rng, ty, ur, used),
        ty,
        ur,
        status: "正常",
        filled: true,
        at: Some([6, rng.range(22, 30), rng.range(8, 17), rng.range(0, 59), rng.range(0, 59)]),
        connected: Some(true),
        access: Some(access),
        wifi: Some(rng.word("是 是 部分 否")),
        n: [classes, teachers, students, bw, classrooms, mm, tdev, sdev].map(Some),
        contact: format!("{}{}", rng.word(SURNAMES), rng.word(GIVEN)),
        phone,
        ..Row::default()
    }
}

/// The same school one quarter later: small drift only, so no change rule fires by accident.
fn drift(rng: &mut Rng, r: &Row) -> Row {
    let mut n = r.clone();
    let [classes, _, students, _, _, _, tdev, sdev] = &mut n.n;
    *students = students.map(|v| v * rng.range(95, 105) / 100);
    *sdev = sdev.map(|v| v * rng.range(95, 105) / 100);
    *classes = classes.map(|c| c + u32::from(c >= 12) * rng.range(0, 1));
    *tdev = tdev.map(|d| d + rng.range(0, 3));
    let (month, day) = if rng.range(1, 100) <= 85 { (9, rng.range(24, 30)) } else { (10, 1) };
    n.at = Some([month, day, rng.range(8, 17), rng.range(0, 59), rng.range(0, 59)]);
    n
}

struct Sample {
    q2: Vec<Row>,
    q3: Vec<Row>,
    /// (school code, what was planted there)
    planted: Vec<(String, &'static str)>,
}

fn build() -> Sample {
    let mut rng = Rng(splitmix::SplitMix(0x5348_454E_4845)); // "SHENHE"
    #[rustfmt::skip]
    let plan = [(TP, RUR, 14), (PRI, URB, 70), (PRI, TOWN, 20), (PRI, RUR, 16), (JUN, URB, 16),
        (JUN, TOWN, 6), (JUN, RUR, 6), (NINE, URB, 10), (NINE, TOWN, 4), (NINE, RUR, 4),
        (COMP, URB, 12), (COMP, TOWN, 2), (SEN, URB, 16), (SEN, TOWN, 2), (VOC, URB, 1), (SPE, URB, 1)];
    let (mut q2, mut seq) = (Vec::new(), 10_200);
    for (ty, ur, count) in plan {
        for _ in 0..count {
            seq += rng.range(1, 40);
            let s = school(&mut rng, ty, ur, seq, &q2);
            q2.push(s);
        }
    }
    let mut q3: Vec<Row> = q2.iter().map(|r| drift(&mut rng, r)).collect();
    let mut used = vec![false; q2.len()];
    let mut planted = Vec::new();
    let mut prev_name = String::new();
    for (ty, ur, what, patch) in PLANTS {
        let free: Vec<usize> =
            (0..q2.len()).filter(|&i| !used[i] && q2[i].ty == ty && (ur.is_empty() || q2[i].ur == ur)).collect();
        let i = rng.pick(&free);
        used[i] = true;
        q2[i].patch(patch, false, &prev_name);
        q3[i].patch(patch, true, &prev_name);
        planted.push((q3[i].code.clone(), what));
        prev_name.clone_from(&q3[i].name);
        if what.starts_with("重复登记") {
            // The same school again under a newly issued code.
            let mut twin = q3[i].clone();
            twin.code = format!("2141{:06}", seq + 7);
            twin.note = "新申领标识码，旧码待注销".into();
            planted.push((twin.code.clone(), what));
            q3.push(twin);
        }
    }
    q3.retain(|r| !r.dropped);
    q3.sort_by(|a, b| a.code.cmp(&b.code));
    for rows in [&q2, &q3] {
        let mut codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), rows.len(), "duplicate codes are a hard import error");
    }
    Sample { q2, q3, planted }
}

struct Finding {
    rule: usize,
    code: String,
    name: String,
    values: String,
}

const RULES: [(&str, &str); 16] = [
    ("bandwidth_without_connection", "未接入互联网但出口带宽>0"),
    ("connected_without_bandwidth", "已接入互联网但出口带宽为空或0"),
    ("multimedia_exceeds_classrooms", "多媒体教室数>普通教室数"),
    ("resources_without_classes", "班级数为0却填报了教室或终端"),
    ("students_without_classes_or_teachers", "有学生但班级数或教师数为0"),
    ("students_per_teacher", "生师比超出范围（>40）"),
    ("students_per_class", "班额超出范围（<3 或 >70）"),
    ("bandwidth_below_tier", "出口带宽低于同类学校标准"),
    ("connection_lost", "上期已接入、本期未接入"),
    ("bandwidth_change", "出口带宽环比变化超过50%"),
    ("students_change", "学生数环比变化超过50%"),
    ("classes_change", "班级数环比变化超过50%"),
    ("code_format", "学校标识码不符合国家10位格式"),
    ("code_type_mismatch", "标识码类别与办学类型不符"),
    ("duplicate_name", "学校名称重复"),
    ("missing_school", "上期有、本期缺失"),
];

/// What the rules of PRODUCT.md §4 should find, with the thresholds stated in the README.
fn check(prev: &[Row], cur: &[Row]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |rule: usize, r: &Row, values: String| {
        let (code, name) = (r.code.clone(), r.name.clone());
        out.push(Finding { rule, code, name, values });
    };
    for r in cur {
        if r.code.len() != 10 || !r.code.bytes().all(|b| b.is_ascii_digit()) {
            add(12, r, format!("学校标识码={}", r.code));
        } else if !r.code.starts_with(category(r.ty)) {
            add(13, r, format!("类别码={}，办学类型={}", &r.code[..2], r.ty));
        }
        if cur.iter().filter(|o| o.name == r.name).count() > 1 {
            let old = prev.iter().find(|p| p.code == r.code && p.name != r.name);
            let renamed = old.map_or(String::new(), |p| format!("（上期名称：{}）", p.name));
            add(14, r, format!("学校名称={}{renamed}", r.name));
        }
        if !r.filled || !r.active() {
            continue;
        }
        let [cl, te, st, bw, rooms, mm, tdev, sdev] = r.n.map(|v| v.unwrap_or(0));
        let bw_text = r.get("bw").map_or("空".into(), |b| b.to_string());
        match r.connected {
            Some(false) if bw > 0 => add(0, r, format!("是否接入互联网=否，出口带宽={bw}")),
            Some(true) if bw == 0 => add(1, r, format!("是否接入互联网=是，出口带宽={bw_text}")),
            Some(true) if bw < tier(r.ty) => {
                add(7, r, format!("{}，出口带宽={bw}（标准≥{}）", r.ty, tier(r.ty)));
            }
            _ => {}
        }
        if mm > rooms {
            add(2, r, format!("多媒体教室数={mm}，普通教室数={rooms}"));
        }
        if cl == 0 && rooms + mm + tdev + sdev > 0 {
            let v = format!("普通教室数={rooms}，多媒体教室数={mm}，教师终端数={tdev}，学生终端数={sdev}");
            add(3, r, format!("班级数=0，{v}"));
        }
        if st > 0 && (cl == 0 || te == 0) {
            add(4, r, format!("学生数={st}，班级数={cl}，教师数={te}"));
        }
        let ratio = |d: u32| f64::from(st) / f64::from(d);
        if te > 0 && st > 40 * te {
            add(5, r, format!("学生数={st}，教师数={te}，生师比={:.1}", ratio(te)));
        }
        if cl > 0 && st > 0 && (st < 3 * cl || st > 70 * cl) {
            add(6, r, format!("学生数={st}，班级数={cl}，班额={:.1}", ratio(cl)));
        }
        let Some(p) = prev.iter().find(|p| p.code == r.code && p.filled && p.active()) else {
            continue;
        };
        if p.connected == Some(true) && r.connected == Some(false) {
            add(8, r, format!("上期出口带宽={}，本期未接入", p.get("bw").unwrap_or(0)));
        }
        for (rule, key) in [(9, "bw"), (10, "students"), (11, "classes")] {
            if let (Some(a), Some(b)) = (p.get(key), r.get(key))
                && a > 0
                && b.abs_diff(a) * 2 > a
            {
                let pct = (f64::from(b) - f64::from(a)) / f64::from(a) * 100.0;
                add(rule, r, format!("上期={a} → 本期={b}（{pct:+.1}%）"));
            }
        }
    }
    for p in prev.iter().filter(|p| !cur.iter().any(|r| r.code == p.code)) {
        add(15, p, format!("2026Q2 有此校（{}），2026Q3 无", p.ty));
    }
    out.sort_by(|a, b| (a.rule, &a.code).cmp(&(b.rule, &b.code)));
    out
}

/// (key, CSV header, XLSX header): both spellings are valid per PRODUCT.md §3.
#[rustfmt::skip]
const COLUMNS: [(&str, &str, &str); 24] = [
    ("code", "学校标识码", "学校标识码"), ("name", "学校名称", "学校名称"),
    ("city", "所属市州", "所属市州"), ("county", "所属县区", "所属县区"),
    ("county_code", "行政区划代码", "行政区划代码"), ("ty", "办学类型", "办学类型"),
    ("ur", "城乡类型", "城乡分类"), ("status", "学校状态", "学校状态"),
    ("fill", "填报状态", "填报状态"), ("at", "填报时间", "填报时间"),
    ("classes", "班级数（个）", "班级数"), ("teachers", "教师数（人）", "教师数"),
    ("students", "学生数（人）", "学生数"), ("connected", "是否接入互联网", "是否接入互联网"),
    ("access", "接入方式", "接入方式"), ("bw", "出口带宽（M）", "出口带宽(Mbps)"),
    ("wifi", "无线网络覆盖", "无线网络覆盖"), ("classrooms", "普通教室数", "普通教室数"),
    ("mm", "多媒体教室数", "多媒体教室数"), ("tdev", "教师终端数", "教师终端数"),
    ("sdev", "学生终端数", "学生终端数"), ("contact", "填报人", "填报人"),
    ("phone", "联系电话", "联系电话"), ("note", "", "备注"),
];
/// The XLSX lists columns in another order than the CSV, the way a county's own export might.
const XLSX_ORDER: [usize; 24] = [1, 0, 5, 6, 7, 2, 3, 4, 12, 10, 11, 17, 18, 13, 14, 15, 16, 19, 20, 8, 9, 21, 22, 23];

enum Cell {
    Text(String),
    Num(u32),
}

fn cell(r: &Row, key: &str, q3: bool) -> Option<Cell> {
    let text = |s: &str| (!s.is_empty()).then(|| Cell::Text(s.into()));
    match key {
        "code" => text(&r.code),
        "name" => text(&r.name),
        "city" => text("郑州市"),
        "county" => text("中原区"),
        "county_code" => text("410102"),
        "ty" => text(r.ty),
        "ur" => text(r.ur),
        "status" => text(r.status),
        "fill" => text(if r.filled { "已填报" } else { "未填报" }),
        // One file in ISO style, the other the way Excel shows a date on Chinese Windows.
        "at" => r.at.map(|[mo, d, h, mi, s]| match q3 {
            true => Cell::Text(format!("2026-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")),
            false => Cell::Text(format!("2026/{mo}/{d}")),
        }),
        "connected" => r.connected.and_then(|c| text(if c { "是" } else { "否" })),
        "access" => r.access.and_then(text),
        "wifi" => r.wifi.and_then(text),
        "contact" => text(&r.contact),
        "phone" => text(&r.phone),
        "note" => text(&r.note),
        _ => r.get(key).map(Cell::Num),
    }
}

/// Excel on Chinese Windows: GB18030, CRLF, no BOM, no 备注 column.
fn write_csv(path: &Path, rows: &[Row]) -> Res<()> {
    let cols: Vec<_> = COLUMNS.iter().filter(|c| !c.1.is_empty()).collect();
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(cols.iter().map(|c| c.1))?;
    for r in rows {
        w.write_record(cols.iter().map(|c| match cell(r, c.0, false) {
            Some(Cell::Text(s)) => s,
            Some(Cell::Num(n)) => n.to_string(),
            None => String::new(),
        }))?;
    }
    let utf8 = String::from_utf8(w.into_inner()?)?;
    let (bytes, _, lossy) = encoding_rs::GB18030.encode(&utf8);
    assert!(!lossy, "GB18030 covers all of Unicode");
    Ok(fs::write(path, bytes)?)
}

fn write_xlsx(path: &Path, rows: &[Row]) -> Res<()> {
    let mut wb = Workbook::new();
    // A fixed creation date keeps the file byte-stable (zip entry times are fixed already).
    let fixed = ExcelDateTime::from_ymd(2026, 10, 2)?.and_hms(9, 15, 0)?;
    wb.set_properties(&DocProperties::new().set_author("中原区教育局").set_creation_datetime(&fixed));
    let title = Format::new().set_bold().set_font_size(14).set_align(FormatAlign::Center);
    let head = Format::new().set_bold().set_background_color(Color::RGB(0xDDEBF7));
    let ws = wb.add_worksheet().set_name("学校数据")?;
    let title_text = "2026年第三季度中原区中小学（含教学点）信息化数据";
    ws.merge_range(0, 0, 0, XLSX_ORDER.len() as u16 - 1, title_text, &title)?;
    ws.write_string(1, 0, "导出时间：2026-10-02 09:15")?;
    for (c, &k) in XLSX_ORDER.iter().enumerate() {
        let (c, (key, _, header)) = (c as u16, COLUMNS[k]);
        ws.write_string_with_format(2, c, header, &head)?;
        ws.set_column_width(c, if key == "name" { 36 } else { 13 })?;
        for (i, r) in rows.iter().enumerate() {
            match cell(r, key, true) {
                Some(Cell::Text(s)) => ws.write_string(3 + i as u32, c, s)?,
                Some(Cell::Num(n)) => ws.write_number(3 + i as u32, c, n)?,
                None => continue,
            };
        }
    }
    ws.set_freeze_panes(3, 2)?;
    let notes = wb.add_worksheet().set_name("说明")?;
    notes.set_column_width(0, 80)?;
    let lines = [
        "本工作簿为 shenhe 演示数据，学校名称、标识码、人员与电话均为虚构。",
        "统计口径：2026年第三季度（2026Q3），郑州市中原区（行政区划代码 410102）。",
        "“学校数据”表第1–2行为标题，第3行为表头，第4行起为数据。",
        "“备注”列为县区补充信息，不属于国家系统字段。",
        "由 examples/make_sample.rs 生成，请勿手工修改。",
    ];
    for (i, line) in lines.iter().enumerate() {
        notes.write_string(i as u32, 0, *line)?;
    }
    Ok(wb.save(path)?)
}

/// Percent rounded half up to two decimals, in integers so it is exact.
fn pct(num: usize, den: usize) -> String {
    let bp = (num * 20_000 + den) / (2 * den);
    format!("{}.{:02}%", bp / 100, bp % 100)
}

const README_HEAD: &str = r#"# 演示数据：郑州市中原区（410102）

> English: a fictitious county (中原区, 郑州市) for `shenhe demo` and tests. `2026Q2_中原区.csv` is
> the previous quarter (GB18030, CRLF, as Excel on Chinese Windows saves it); `2026Q3_中原区.xlsx`
> is the current one (two title rows, another column order, header aliases, an unknown `备注`
> column, a second sheet `说明`). Both import cleanly: no duplicate codes, every value valid for
> its column. The tables below are computed by the generator from the rows it wrote: every
> finding the §4 rules should raise on 2026Q3 with the thresholds stated, the statuses, the
> dispatch lists and the §5 figures. Regenerate with `cargo run --example make_sample`.

## 文件

| 文件 | 说明 | 学校数 |
|---|---|---|
| `2026Q2_中原区.csv` | 上期（2026Q2）：GB18030 编码，CRLF，表头带单位如 `出口带宽（M）`，填报时间如 `2026/6/28` | Q2 |
| `2026Q3_中原区.xlsx` | 本期（2026Q3）：“学校数据”表前两行为标题，列序不同，`城乡分类`、`出口带宽(Mbps)` 等别名，多一列“备注”；另有“说明”表；填报时间如 `2026-09-28 10:23:00` | Q3 |
| `README.md` | 本文件 | |

重新生成：`cargo run --example make_sample`（逐字节一致；XLSX 的创建时间固定为 2026-10-02 09:15）。

## 约定与阈值

- 标识码前两位（类别）：小学、教学点 `21`；初级中学、九年一贯制、完全中学、高级中学 `31`；中等职业学校 `36`；特殊教育学校 `51`；第3–4位为省代码 `41`。
- 带宽标准：教学点 ≥4M，小学、特教 ≥10M，初中、九年一贯制 ≥30M，高中、完中、中职 ≥50M；只查已接入且带宽>0 的学校。
- 生师比 >40、班额 <3 或 >70 为异常。环比变化 >50% 为异常，只比较两期都已填报、状态为正常/暂停招生、数值都非空的学校（未接入的学校带宽留空）。
- 合并、撤销及未填报的学校只查标识码和重名。
- 需持续存在的问题两期都埋（2026Q2 单独导入时也会报出，见下）；“本期”“骤增”“骤减”等只在 2026Q3。
- 同类学校比较（`peer_outlier`，修正 z 分数 >3.5 且偏离中位数 3 倍以上）不单独埋点：它只应报在下表已有埋点的学校上（如学生数多打一个0的学校），正常学校不应报出。

## 埋点问题（2026Q3 应报出的全部问题）

| 学校标识码 | 学校名称 | 规则 | 问题 | 数值 | 埋点说明 |
|---|---|---|---|---|---|
"#;

fn readme(s: &Sample) -> Res<String> {
    let (q2n, q3n) = (s.q2.len().to_string(), s.q3.len().to_string());
    let mut o = README_HEAD.replace("| Q2 |", &format!("| {q2n} |")).replace("| Q3 |", &format!("| {q3n} |"));
    let what = |code: &str| s.planted.iter().find(|(c, _)| c == code).map_or("", |p| p.1);
    for f in check(&s.q2, &s.q3) {
        let (key, zh) = RULES[f.rule];
        writeln!(o, "| {} | {} | `{key}` | {zh} | {} | {} |", f.code, f.name, f.values, what(&f.code))?;
    }
    o.push_str("\n2026Q2 单独导入（没有上期）时应报出：\n\n");
    let alone = check(&[], &s.q2);
    for (rule, (key, zh)) in RULES.iter().enumerate() {
        let codes: Vec<&str> = alone.iter().filter(|f| f.rule == rule).map(|f| f.code.as_str()).collect();
        if !codes.is_empty() {
            writeln!(o, "- `{key}` {zh}：{}", codes.join("、"))?;
        }
    }
    o.push_str("\n## 学校状态与未填报（2026Q3）\n\n");
    o.push_str("| 学校标识码 | 学校名称 | 学校状态 | 填报状态 | 埋点说明 |\n|---|---|---|---|---|\n");
    for r in s.q3.iter().filter(|r| !r.filled || r.status != "正常") {
        let fill = if r.filled { "已填报" } else { "未填报" };
        writeln!(o, "| {} | {} | {} | {fill} | {} |", r.code, r.name, r.status, what(&r.code))?;
    }
    let q2_unfilled: Vec<&str> = s.q2.iter().filter(|r| !r.filled).map(|r| r.code.as_str()).collect();
    writeln!(o, "\n2026Q2 未填报（含已合并）：{}。\n", q2_unfilled.join("、"))?;

    let active: Vec<&Row> = s.q3.iter().filter(|r| r.active()).collect();
    let filled = || active.iter().filter(|r| r.filled);
    let list = |f: &dyn Fn(&Row) -> bool| filled().filter(|r| f(r)).map(|r| r.code.as_str()).collect::<Vec<_>>();
    let not_conn = list(&|r| r.connected == Some(false));
    let conn = list(&|r| r.connected == Some(true));
    let under = list(&|r| r.connected == Some(true) && r.get("bw").unwrap_or(0) < 100);
    let zero_mm = list(&|r| r.get("mm") == Some(0));
    let with_mm = list(&|r| r.get("mm").unwrap_or(0) >= 1);
    let (n, fill_n, fast) = (active.len(), filled().count(), conn.len() - under.len());
    o.push_str("## 调度清单（2026Q3，正常/暂停招生且已填报的学校）\n\n");
    writeln!(o, "- 未接入互联网（{}）：{}", not_conn.len(), not_conn.join("、"))?;
    writeln!(o, "- 已接入但带宽低于100M，含带宽空或0（{}）：{}", under.len(), under.join("、"))?;
    writeln!(o, "- 无多媒体教室（{}）：{}", zero_mm.len(), zero_mm.join("、"))?;
    o.push_str("\n## 统计（2026Q3，PRODUCT.md §5）\n\n| 指标 | 数值 |\n|---|---|\n");
    let stats = [
        ("学校数 schools（正常+暂停招生）", n.to_string()),
        ("已填报 filled", fill_n.to_string()),
        ("填报率 fill_rate", pct(fill_n, n)),
        ("已填报且接入 connected", conn.len().to_string()),
        ("互联网接入率 connected_rate", pct(conn.len(), n)),
        ("带宽≥100M", fast.to_string()),
        ("bandwidth_100m_rate（all）", pct(fast, n)),
        ("bandwidth_100m_rate（connected）", pct(fast, conn.len())),
        ("multimedia_rate", pct(with_mm.len(), n)),
        ("zero_multimedia", zero_mm.len().to_string()),
    ];
    for (label, value) in stats {
        writeln!(o, "| {label} | {value} |")?;
    }
    Ok(o)
}

fn main() -> Res<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample");
    fs::create_dir_all(&dir)?;
    let s = build();
    write_csv(&dir.join("2026Q2_中原区.csv"), &s.q2)?;
    write_xlsx(&dir.join("2026Q3_中原区.xlsx"), &s.q3)?;
    fs::write(dir.join("README.md"), readme(&s)?)?;
    println!("wrote {}: 2026Q2 {} schools, 2026Q3 {} schools", dir.display(), s.q2.len(), s.q3.len());
    Ok(())
}
