//! `[observations]`: the live queue state, as written in the configuration file.

use genesys_aht_contract::queue;
use serde::Deserialize;

/// `[observations]`: the live queue state from Genesys's queue observations (off by
/// default: it needs the permission `analytics:queueObservation:view`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ObservationsConfig {
    /// Query observations on every trigger, beside the conversations (default false).
    pub enabled: bool,
    /// Queue IDs to observe; empty (default): every queue of the org.
    pub queue_ids: Vec<String>,
    /// Genesys `o*` metrics (default: all that the contract names).
    #[serde(deserialize_with = "metrics")]
    pub metrics: Vec<String>,
    /// Media types of the conversation metrics; empty (default): all.
    pub media_types: Vec<String>,
}

impl Default for ObservationsConfig {
    fn default() -> Self {
        ObservationsConfig {
            enabled: false,
            queue_ids: Vec::new(),
            metrics: queue::METRICS.iter().map(|m| m.metric.to_owned()).collect(),
            media_types: Vec::new(),
        }
    }
}

/// `observations.metrics`: the contract's observation metrics, at least one, each once.
fn metrics<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    check_metrics(&names).map_err(serde::de::Error::custom)?;
    Ok(names)
}

fn check_metrics(names: &[String]) -> Result<(), String> {
    let known = || {
        queue::METRICS
            .iter()
            .map(|m| m.metric)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if names.is_empty() {
        return Err(format!("expected at least one of {}", known()));
    }
    for (i, name) in names.iter().enumerate() {
        if queue::metric_named(name).is_none() {
            return Err(format!("expected one of {}; {name:?} is not", known()));
        }
        if names[..i].contains(name) {
            return Err(format!("expected each metric once; {name:?} repeats"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ObservationsConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_mistakes_name_what_was_expected() {
        let config = parse("").expect("defaults");
        assert!(!config.enabled);
        assert_eq!(config.metrics.len(), queue::METRICS.len());
        let error = parse("metrics = [\"oWaiting\", \"tHandle\"]").expect_err("tHandle");
        assert!(error.contains("\"tHandle\" is not"), "{error}");
        let error = parse("metrics = [\"oWaiting\", \"oWaiting\"]").expect_err("repeat");
        assert!(error.contains("repeats"), "{error}");
        let error = parse("metrics = []").expect_err("empty");
        assert!(error.contains("at least one"), "{error}");
        let error = parse("queues = []").expect_err("unknown key");
        assert!(error.contains("queues"), "{error}");
    }
}
