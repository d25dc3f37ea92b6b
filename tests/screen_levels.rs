//! The province's screen in a pseudo-terminal at 80×24, in Chinese and in English: the cities
//! first, Enter opens a city's counties, Enter again a county's schools (read-only), Esc goes
//! back one step at a time. The reports come up the line with the real binary: a county's to
//! its city, the city's to the province.

use std::path::Path;

#[path = "support/pty.rs"]
mod pty;
use pty::Home;

fn ok(home: &Home, args: &[&str]) -> String {
    let out = home.run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn home_with(config: &str, keys: &str) -> Home {
    let home = Home(tempfile::tempdir().unwrap());
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    std::fs::write(home.path().join("allowed_signers"), keys).unwrap();
    home
}

/// 河南省 holding 郑州市's report, which carries 中原区's; 开封市 has not reported.
fn province() -> Home {
    let county = Home::with_fixture();
    county.configure_county();
    let out = |h: &Home| h.path().join("out").display().to_string();
    ok(&county, &["export", "--force", "--reason", "先行上报", "--out", &out(&county)]);
    let city = home_with(
        "level = \"city\"\n[city]\nname = \"郑州市\"\ncode = \"410100\"\nprovince = \"河南省\"\n\
         counties = [{ code = \"410102\", name = \"中原区\" }, { code = \"410103\", name = \"二七区\" }]\n\
         [auditor]\nname = \"市审核员\"\nphone = \"0371-2\"\n",
        &ok(&county, &["key", "show", "--allowed-signers"]),
    );
    let bundle = Path::new(&out(&county)).join("410102_2026Q3_1.zip").display().to_string();
    ok(&city, &["receive", &bundle]);
    ok(&city, &["export", "--force", "--reason", "二七区未报", "--out", &out(&city)]);
    let province = home_with(
        "level = \"province\"\n[province]\nname = \"河南省\"\ncode = \"410000\"\n\
         cities = [{ code = \"410100\", name = \"郑州市\" }, { code = \"410200\", name = \"开封市\" }]\n",
        &ok(&city, &["key", "show", "--allowed-signers"]),
    );
    let report = Path::new(&out(&city)).join("410100_2026Q3_1.zip").display().to_string();
    ok(&province, &["receive", &report]);
    province
}

#[test]
fn the_province_drills_down_from_cities_to_counties_to_schools() {
    let province = province();
    let before = std::fs::read(province.database()).unwrap();
    let mut s = province.screen(&[]);
    s.wait_for("已收到 1/2 个市州，按时上报 0 个；未收到：开封市");
    s.wait_for("市（州）");
    s.wait_for_highlight("郑州市（410100）  第 1 次");
    s.send("\r");
    s.wait_for("郑州市：已收到 1/2 个县区");
    s.wait_for_highlight("中原区（410102）  第 1 次 10-03 10:00  按时");
    s.send("\r");
    s.wait_for("河南省 中原区  2026Q3  全省汇总（只读）");
    s.wait_for("2141010205");
    s.send("a");
    s.wait_for_status("只读");
    s.send("\x1b");
    s.wait_for("郑州市：已收到 1/2 个县区");
    s.send("j");
    s.wait_for_highlight("二七区（410103）  未收到");
    s.send("\x1b");
    s.wait_for("已收到 1/2 个市州");
    s.wait_for_highlight("郑州市（410100）");
    s.send("j");
    s.wait_for_highlight("开封市（410200）  未收到");
    s.quit();
    assert_eq!(std::fs::read(province.database()).unwrap(), before, "the province's screen changes nothing");
}

#[test]
fn the_province_screen_in_english() {
    let province = province();
    let mut s = province.screen(&["--lang", "en"]);
    s.wait_for("Received 1 of 2 cities, 0 on time; missing: 开封市");
    s.send("\r");
    s.wait_for("郑州市：Received 1 of 2 counties");
    s.send("\r");
    s.wait_for("Province (read-only)");
    s.wait_for("2141010205");
    s.send("\x1b");
    s.wait_for("郑州市：Received 1 of 2 counties");
    s.send("\x1b");
    s.wait_for("Received 1 of 2 cities");
    s.quit();
}
