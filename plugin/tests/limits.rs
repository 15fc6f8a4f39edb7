//! Undocumented Genesys limits the plugin warns about at start: a granularity no
//! Genesys report or public collector uses.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::{DEFAULT_CLIENT, config_file, once_at, sim};
use genesys_sim::SimConfig;

#[tokio::test]
async fn an_unusual_granularity_is_warned_about_and_a_usual_one_is_not() {
    let sim = sim(SimConfig::default()).await;
    for (granularity, warned) in [("5m", true), ("PT15M", false), ("1h", false)] {
        let dir = tempfile::tempdir().unwrap();
        let collect = format!("granularity = \"{granularity}\"\nlookback = \"1h\"");
        let config = config_file(&dir, &sim, DEFAULT_CLIENT, &collect);
        let (lines, stderr) = once_at(&config, sim.now(), dir.path()).await;
        assert!(!lines.is_empty(), "{granularity}: the poll still runs");
        let warning = stderr
            .lines()
            .any(|l| l.starts_with("W! collect.granularity") && l.contains("may refuse"));
        assert_eq!(warning, warned, "{granularity}: {stderr}");
    }
}
