//! Every shipped dashboard type-checks against Grafana's published dashboard model
//! (`Dashboard` from npm's `@grafana/schema`, with `tsc`; dashboards/check/check.js),
//! and the check refuses a dashboard with a mistake in it. Grafana itself does not
//! run here; the interval variable's `auto` settings, absent from the published
//! schema, are the one part left unchecked.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn check_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dashboards/check")
}

fn check(files: &[PathBuf]) -> Output {
    let dir = check_dir();
    assert!(
        dir.join("node_modules/@grafana/schema").is_dir()
            && dir.join("node_modules/typescript").is_dir(),
        "{} has no node_modules: run `npm ci` there (scripts/test does)",
        dir.display()
    );
    Command::new("node")
        .arg(dir.join("check.js"))
        .args(files)
        .output()
        .expect("node runs")
}

#[test]
fn the_shipped_dashboards_match_grafanas_dashboard_types() {
    let out = check(&[]);
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    for name in [
        "genesys-aht-sidecar.json",
        "genesys-aht-influxql.json",
        "genesys-aht-flux.json",
    ] {
        assert!(text.contains(&format!("{name}: OK")), "{text}");
    }
}

#[test]
fn a_dashboard_with_a_mistake_is_refused() {
    let path = check_dir().join("../genesys-aht-sidecar.json");
    let mut dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    dashboard["templating"]["list"][1]["type"] = "querry".into();
    dashboard["panels"][0]["gridPos"]["w"] = "wide".into();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, dashboard.to_string()).unwrap();
    let out = check(&[bad]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        text.contains("\"querry\"") && text.contains("VariableType"),
        "{text}"
    );
    assert!(text.contains("not assignable to type 'number'"), "{text}");
}
