//! Undocumented Genesys limits the plugin warns about at start: a granularity no
//! Genesys report or public collector uses.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestConfig, once_at, sim};
use genesys_sim::SimConfig;

#[tokio::test]
async fn an_unusual_granularity_is_warned_about_and_a_usual_one_is_not() {
    let sim = sim(SimConfig::default()).await;
    for (granularity, warned) in [("5m", true), ("PT15M", false), ("1h", false)] {
        let dir = tempfile::tempdir().unwrap();
        let config = TestConfig::new(&sim.base_url())
            .collect("granularity", granularity)
            .collect("lookback", "1h")
            .write(&dir);
        let (lines, stderr) = once_at(&config, sim.now(), dir.path()).await;
        assert!(!lines.is_empty(), "{granularity}: the poll still runs");
        let warning = stderr
            .lines()
            .any(|l| l.starts_with("W! collect.granularity") && l.contains("may refuse"));
        assert_eq!(warning, warned, "{granularity}: {stderr}");
    }
}
