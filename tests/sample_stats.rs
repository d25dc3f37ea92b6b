//! The sample county's 2026Q3 statistics and dispatch lists equal what its generator wrote into
//! assets/sample/README.md. The figures are read from the README, so a regenerated sample keeps
//! the test honest without editing it.

#[path = "support/imported.rs"]
mod support;

use std::path::Path;

use shenhe::config::BandwidthDenominator;
use shenhe::domain::SubmissionData;
use shenhe::domain::dispatch::{DispatchEntry, DispatchLists};
use shenhe::domain::stats::{Counts, Rate};
use support::imported;

fn sample(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample").join(name)
}

fn readme() -> String {
    std::fs::read_to_string(sample("README.md")).unwrap()
}

fn imported_2026q3() -> Vec<SubmissionData> {
    imported(&sample("2026Q3_中原区.xlsx"), "2026Q3")
}

/// The value of the README's statistics row named `label`: its English key (`schools` in
/// `学校数 schools（正常+暂停招生）`) or, for rows without one, the whole label.
fn figure(readme: &str, label: &str) -> String {
    let section = &readme[readme.find("## 统计").expect("a statistics section")..];
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| ")?.strip_suffix(" |")?.split_once(" | "))
        .find(|(name, _)| *name == label || name.split(' ').any(|word| word.split('（').next() == Some(label)))
        .map(|(_, value)| value.trim_end_matches('%').to_string())
        .unwrap_or_else(|| panic!("no {label} in the README's statistics"))
}

/// The codes of the README's dispatch list whose line starts with `title`; the count in its
/// parentheses must agree with the codes listed.
fn listed(readme: &str, title: &str) -> Vec<String> {
    let line = readme.lines().find(|l| l.starts_with(&format!("- {title}"))).unwrap_or_else(|| panic!("{title}"));
    let (head, codes) = line.split_once('：').unwrap();
    let codes: Vec<String> = codes.split('、').map(|c| c.trim().to_string()).collect();
    let count = head.rsplit_once('（').unwrap().1.trim_end_matches('）');
    assert_eq!(count.parse::<usize>().unwrap(), codes.len(), "{line}");
    codes
}

fn codes(list: &[DispatchEntry]) -> Vec<String> {
    list.iter().map(|e| e.school_code.clone()).collect()
}

fn shown(rate: Option<Rate>) -> String {
    rate.map(|r| r.to_string()).unwrap()
}

#[test]
fn sample_2026q3_figures_equal_the_readme() {
    let readme = readme();
    let counts: Counts = imported_2026q3().iter().collect();
    let all = counts.figures(BandwidthDenominator::All);
    let connected = counts.figures(BandwidthDenominator::Connected);
    assert_eq!(all.schools.to_string(), figure(&readme, "schools"));
    assert_eq!(all.filled.to_string(), figure(&readme, "filled"));
    assert_eq!(all.connected.to_string(), figure(&readme, "connected"));
    assert_eq!(all.bandwidth_100m.to_string(), figure(&readme, "带宽≥100M"));
    assert_eq!(all.zero_multimedia.to_string(), figure(&readme, "zero_multimedia"));
    assert_eq!(shown(all.fill_rate), figure(&readme, "fill_rate"));
    assert_eq!(shown(all.connected_rate), figure(&readme, "connected_rate"));
    assert_eq!(shown(all.bandwidth_100m_rate), figure(&readme, "bandwidth_100m_rate（all）"));
    assert_eq!(shown(connected.bandwidth_100m_rate), figure(&readme, "bandwidth_100m_rate（connected）"));
    assert_eq!(shown(all.multimedia_rate), figure(&readme, "multimedia_rate"));
    // The figures the README states, in case a regenerated sample drops a row of its table.
    assert_eq!((all.schools, all.filled, shown(all.fill_rate)), (195, 187, "95.90".to_string()));
}

#[test]
fn sample_2026q3_dispatch_lists_equal_the_readme() {
    let readme = readme();
    let lists = DispatchLists::of(&imported_2026q3());
    assert_eq!(codes(&lists.not_connected), listed(&readme, "未接入互联网"));
    assert_eq!(codes(&lists.under_100m), listed(&readme, "已接入但带宽低于100M"));
    assert_eq!(codes(&lists.no_multimedia), listed(&readme, "无多媒体教室"));
    let sizes = (lists.not_connected.len(), lists.under_100m.len(), lists.no_multimedia.len());
    assert_eq!(sizes, (6, 29, 8));
}
