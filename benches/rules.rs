//! Every rule over 100,000 schools with a previous period (issue 3's target: under 1 s).
//! `cargo bench --bench rules`. The figure is reported, never asserted.

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use shenhe::config::Config;
use shenhe::domain::{SchoolType, SubmissionData};
use shenhe::rules::{Previous, run};

#[path = "../tests/support/splitmix.rs"]
mod splitmix;
use splitmix::SplitMix as Rng;

const SCHOOLS: usize = 100_000;
const TYPES: [(SchoolType, &str, u64, u64); 4] = [
    (SchoolType::TeachingPoint, "21", 5, 80),
    (SchoolType::Primary, "21", 60, 2_400),
    (SchoolType::JuniorMiddle, "31", 200, 2_800),
    (SchoolType::SeniorHigh, "31", 800, 4_500),
];

/// One period of `schools` schools in 40 counties; about 1 in 200 has a problem planted.
fn period(rng: &mut Rng, schools: usize) -> Vec<SubmissionData> {
    (0..schools)
        .map(|i| {
            let (school_type, category, lo, hi) = *rng.pick(&TYPES);
            let students = rng.range(lo, hi) as u32;
            let classes = (students / rng.range(25, 45) as u32).max(1);
            let teachers = (students / rng.range(12, 20) as u32).max(1);
            let connected = !rng.chance(2);
            let mut s = SubmissionData {
                school_code: format!("{category}41{i:06}"),
                name: format!("第{i}学校"),
                county_code: Some(format!("4101{:02}", i % 40)),
                school_type: Some(school_type),
                filled: !rng.chance(3),
                classes: Some(classes),
                teachers: Some(teachers),
                students: Some(students),
                connected: Some(connected),
                bandwidth_mbps: connected.then(|| *rng.pick(&[50.0, 100.0, 200.0, 1000.0])),
                classrooms: Some(classes + 2),
                multimedia_rooms: Some(classes),
                teacher_devices: Some(teachers + 3),
                student_devices: Some(students * rng.range(6, 25) as u32 / 100 + 1),
                ..Default::default()
            };
            if rng.chance(1) && rng.chance(50) {
                s.students = Some(students * 10);
            }
            s
        })
        .collect()
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let schools = if benchmarking { SCHOOLS } else { 2_000 };
    let mut rng = Rng(0x0052_554c_4553);
    let previous = period(&mut rng, schools);
    // This period: the same schools, a few gone, figures drifting.
    let mut current = previous.clone();
    current.retain(|_| !rng.chance(1));
    for s in &mut current {
        if rng.chance(5) {
            s.students = s.students.map(|n| n * rng.range(60, 160) as u32 / 100);
        }
    }
    let settings = Config::default().rules;
    let mut found = 0;
    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group("rules_100k");
        group.sample_size(10).measurement_time(Duration::from_secs(15));
        group.bench_function("all_rules_with_previous_period", |b| {
            b.iter(|| {
                let previous = Previous { period: "2026Q2".parse().unwrap(), sheets: &previous };
                found = black_box(run(black_box(&current), Some(previous), &settings)).len();
            })
        });
        group.finish();
    }
    c.final_summary();
    println!("rules_100k: {} schools this period, {} the previous, {found} findings", current.len(), previous.len());
}
