//! Query filters shared by the aggregates and details queries:
//! `{type: and|or, clauses: [{type, predicates}], predicates: [...]}`.

use serde::Deserialize;

/// `and` / `or`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Junction {
    And,
    Or,
}

/// A filter (aggregates `filter`, details `segmentFilters[]` / `conversationFilters[]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Filter {
    #[serde(rename = "type")]
    pub(crate) junction: Junction,
    #[serde(default)]
    pub(crate) clauses: Vec<Clause>,
    #[serde(default)]
    pub(crate) predicates: Vec<Predicate>,
}

/// One clause of a filter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Clause {
    #[serde(rename = "type")]
    pub(crate) junction: Junction,
    #[serde(default)]
    pub(crate) predicates: Vec<Predicate>,
}

/// `matches` (default) / `exists` / `notExists`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Operator {
    #[default]
    Matches,
    Exists,
    NotExists,
}

/// One predicate. Only dimension predicates are evaluated; the other fields are
/// accepted so that a query using them gets a clear "not supported" answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Predicate {
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) dimension: Option<String>,
    #[serde(default)]
    pub(crate) operator: Operator,
    pub(crate) value: Option<String>,
    pub(crate) metric: Option<String>,
    pub(crate) range: Option<serde_json::Value>,
    pub(crate) property: Option<String>,
    pub(crate) property_type: Option<String>,
}

impl Filter {
    /// Checks every predicate names one of `supported` (dimension predicates only).
    pub(crate) fn validate(&self, supported: &[&str], known: &[String]) -> Result<(), String> {
        let all = self
            .predicates
            .iter()
            .chain(self.clauses.iter().flat_map(|c| &c.predicates));
        for predicate in all {
            predicate.validate(supported, known)?;
        }
        Ok(())
    }

    /// Whether a subject whose values for a dimension are `values(dimension)` passes.
    pub(crate) fn accepts<'a>(&self, values: &impl Fn(&str) -> Vec<&'a str>) -> bool {
        let clauses = self
            .clauses
            .iter()
            .map(|c| combine(c.junction, c.predicates.iter().map(|p| p.accepts(values))));
        let predicates = self.predicates.iter().map(|p| p.accepts(values));
        combine(self.junction, clauses.chain(predicates))
    }
}

fn combine(junction: Junction, mut results: impl Iterator<Item = bool>) -> bool {
    match junction {
        Junction::And => results.all(|r| r),
        Junction::Or => {
            let mut any_result = false;
            for result in results {
                if result {
                    return true;
                }
                any_result = true;
            }
            // An `or` with nothing in it constrains nothing.
            !any_result
        }
    }
}

impl Predicate {
    fn validate(&self, supported: &[&str], known: &[String]) -> Result<(), String> {
        if self.kind.as_deref().is_some_and(|k| k != "dimension")
            || self.metric.is_some()
            || self.property.is_some()
            || self.property_type.is_some()
            || self.range.is_some()
        {
            return Err("only dimension predicates are supported by the simulator".to_owned());
        }
        let dimension = self
            .dimension
            .as_deref()
            .ok_or("a predicate needs a dimension")?;
        if !supported.contains(&dimension) {
            return Err(if known.iter().any(|k| k == dimension) {
                format!(
                    "filter dimension {dimension:?} is not supported by the simulator (supported: {})",
                    supported.join(", ")
                )
            } else {
                format!("unknown filter dimension {dimension:?}")
            });
        }
        if self.operator == Operator::Matches && self.value.is_none() {
            return Err(format!(
                "predicate on {dimension:?} with operator matches needs a value"
            ));
        }
        Ok(())
    }

    fn accepts<'a>(&self, values: &impl Fn(&str) -> Vec<&'a str>) -> bool {
        let found = values(self.dimension.as_deref().unwrap_or_default());
        match self.operator {
            Operator::Matches => found.iter().any(|v| Some(*v) == self.value.as_deref()),
            Operator::Exists => !found.is_empty(),
            Operator::NotExists => found.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(json: serde_json::Value) -> Filter {
        serde_json::from_value(json).unwrap()
    }

    /// A session on queue `q1` requesting skills `a` and `b`, by voice.
    fn values(dimension: &str) -> Vec<&'static str> {
        match dimension {
            "queueId" => vec!["q1"],
            "requestedRoutingSkillId" => vec!["a", "b"],
            "mediaType" => vec!["voice"],
            _ => Vec::new(),
        }
    }

    fn accepts(json: serde_json::Value) -> bool {
        filter(json).accepts(&values)
    }

    #[test]
    fn matches_any_of_several_values() {
        assert!(accepts(serde_json::json!({"type": "and", "predicates": [
            {"dimension": "requestedRoutingSkillId", "value": "b"}]})));
        assert!(!accepts(serde_json::json!({"type": "and", "predicates": [
            {"dimension": "requestedRoutingSkillId", "value": "c"}]})));
    }

    #[test]
    fn exists_and_not_exists() {
        assert!(accepts(serde_json::json!({"type": "and", "predicates": [
            {"dimension": "queueId", "operator": "exists"},
            {"dimension": "direction", "operator": "notExists"}]})));
        assert!(!accepts(serde_json::json!({"type": "or", "predicates": [
            {"dimension": "queueId", "operator": "notExists"}]})));
    }

    #[test]
    fn clauses_nest_under_the_outer_junction() {
        let or_clause = serde_json::json!({"type": "and", "clauses": [{"type": "or", "predicates": [
            {"dimension": "queueId", "value": "q2"}, {"dimension": "queueId", "value": "q1"}]}],
            "predicates": [{"dimension": "mediaType", "value": "voice"}]});
        assert!(accepts(or_clause));
        let failing = serde_json::json!({"type": "and", "clauses": [{"type": "or", "predicates": [
            {"dimension": "queueId", "value": "q2"}]}],
            "predicates": [{"dimension": "mediaType", "value": "voice"}]});
        assert!(!accepts(failing));
        assert!(
            accepts(serde_json::json!({"type": "or"})),
            "an empty filter constrains nothing"
        );
    }

    #[test]
    fn validation_names_the_problem() {
        let known = vec!["queueId".to_owned(), "userId".to_owned()];
        let check = |json| filter(json).validate(&["queueId"], &known).unwrap_err();
        let unsupported = check(
            serde_json::json!({"type": "and", "predicates": [{"dimension": "userId", "value": "u"}]}),
        );
        assert!(
            unsupported.contains("not supported by the simulator"),
            "{unsupported}"
        );
        let unknown = check(
            serde_json::json!({"type": "and", "predicates": [{"dimension": "colour", "value": "u"}]}),
        );
        assert!(unknown.contains("unknown filter dimension"), "{unknown}");
        let valueless =
            check(serde_json::json!({"type": "and", "predicates": [{"dimension": "queueId"}]}));
        assert!(valueless.contains("needs a value"), "{valueless}");
    }
}
