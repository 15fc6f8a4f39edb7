//! The contract check: JSON documents against the models of the official Python SDK
//! `PureCloudPlatformClientV2` 269.0.0 (`schema/genesys-models.json`: field names, types, enums).
//!
//! A document violates its model when it has a field the model lacks, a value of the
//! wrong type (`str`, `int`, `float`, `bool`, `datetime` as ISO-8601, `list[X]`,
//! `dict(str, X)`, `object`, nested models) or a value outside a field's enum.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

const MODELS_JSON: &str = include_str!("../schema/genesys-models.json");

#[derive(Debug, Deserialize)]
struct Model {
    fields: Vec<Field>,
}

#[derive(Debug, Deserialize)]
struct Field {
    json: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    r#enum: Option<Vec<String>>,
}

fn models() -> &'static HashMap<String, Model> {
    static MODELS: OnceLock<HashMap<String, Model>> = OnceLock::new();
    // The file is part of the crate; a parse failure leaves no models, and every
    // check then reports the model as unknown rather than passing silently.
    MODELS.get_or_init(|| serde_json::from_str(MODELS_JSON).unwrap_or_default())
}

/// Every violation of `model` by `value`, each as `path: problem`; empty when it conforms.
pub fn validate(value: &Value, model: &str) -> Vec<String> {
    let mut violations = Vec::new();
    check_model(value, model, "$", &mut violations);
    violations
}

/// The values `field` of `model` may take, if the SDK gives it an enum.
pub fn enum_values(model: &str, field: &str) -> Option<&'static [String]> {
    let field = models()
        .get(model)?
        .fields
        .iter()
        .find(|f| f.json == field)?;
    field.r#enum.as_deref()
}

/// Every violation of a document whose field set is documented but has no SDK model
/// (the OAuth bodies): `fields` names each allowed field and its type.
pub fn validate_fields(value: &Value, fields: &[(&str, &str)], path: &str) -> Vec<String> {
    let Some(object) = value.as_object() else {
        return vec![format!("{path}: expected an object")];
    };
    let mut violations = Vec::new();
    for (key, item) in object {
        match fields.iter().find(|(name, _)| name == key) {
            Some((_, kind)) => check_type(item, kind, &format!("{path}.{key}"), &mut violations),
            None => violations.push(format!("{path}.{key}: field not in the documented set")),
        }
    }
    violations
}

fn check_model(value: &Value, model: &str, path: &str, out: &mut Vec<String>) {
    let Some(definition) = models().get(model) else {
        out.push(format!("{path}: unknown model {model}"));
        return;
    };
    let Some(object) = value.as_object() else {
        out.push(format!(
            "{path}: expected a {model} object, found {}",
            kind_of(value)
        ));
        return;
    };
    for (key, item) in object {
        let here = format!("{path}.{key}");
        let Some(field) = definition.fields.iter().find(|f| &f.json == key) else {
            out.push(format!("{here}: field not in model {model}"));
            continue;
        };
        check_type(item, &field.kind, &here, out);
        if let (Some(allowed), Some(text)) = (&field.r#enum, item.as_str())
            && !allowed.iter().any(|a| a == text)
        {
            out.push(format!(
                "{here}: {text:?} is not one of {model}.{key}'s values"
            ));
        }
    }
}

fn check_type(value: &Value, kind: &str, path: &str, out: &mut Vec<String>) {
    let mismatch = |out: &mut Vec<String>| {
        out.push(format!("{path}: expected {kind}, found {}", kind_of(value)))
    };
    if let Some(inner) = kind.strip_prefix("list[").and_then(|k| k.strip_suffix(']')) {
        match value.as_array() {
            Some(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, item)| check_type(item, inner, &format!("{path}[{i}]"), out)),
            None => mismatch(out),
        }
        return;
    }
    if let Some(inner) = kind
        .strip_prefix("dict(str, ")
        .and_then(|k| k.strip_suffix(')'))
    {
        match value.as_object() {
            Some(items) => items
                .iter()
                .for_each(|(k, item)| check_type(item, inner, &format!("{path}.{k}"), out)),
            None => mismatch(out),
        }
        return;
    }
    let fits = match kind {
        "str" => value.is_string(),
        "int" => value.is_i64() || value.is_u64(),
        "float" => value.is_number(),
        "bool" => value.is_boolean(),
        "object" => true,
        "datetime" => value
            .as_str()
            .is_some_and(|s| s.parse::<jiff::Timestamp>().is_ok()),
        model => {
            check_model(value, model, path, out);
            true
        }
    };
    if !fits {
        mismatch(out);
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_conforming_document_passes() {
        let skill = json!({"id": "x", "name": "Tech Support", "state": "deleted",
            "dateModified": "2025-01-20T16:40:12.000Z", "division": {"id": "d", "name": "Home"}});
        assert_eq!(validate(&skill, "RoutingSkill"), Vec::<String>::new());
    }

    #[test]
    fn an_extra_field_is_reported() {
        let violations = validate(&json!({"name": "a", "colour": "red"}), "RoutingSkill");
        assert_eq!(
            violations,
            vec!["$.colour: field not in model RoutingSkill"]
        );
    }

    #[test]
    fn wrong_types_are_reported_at_any_depth() {
        let listing = json!({"entities": [{"name": 7}], "pageSize": "25", "total": 1.5,
            "firstUri": "/a", "entities2": null});
        let violations = validate(&listing, "SkillEntityListing");
        assert!(
            violations.contains(&"$.entities[0].name: expected str, found int".to_owned()),
            "{violations:?}"
        );
        assert!(violations.contains(&"$.pageSize: expected int, found str".to_owned()));
        assert!(violations.contains(&"$.total: expected int, found float".to_owned()));
        assert_eq!(violations.len(), 4, "{violations:?}");
    }

    #[test]
    fn bad_datetimes_and_enum_values_are_reported() {
        let skill = json!({"dateModified": "yesterday", "state": "gone"});
        let violations = validate(&skill, "RoutingSkill");
        assert_eq!(violations.len(), 2, "{violations:?}");
        assert!(violations[1].contains("\"gone\" is not one of"));
    }

    #[test]
    fn dictionaries_and_unknown_models() {
        let error = json!({"messageParams": {"permissions": 3}});
        assert_eq!(
            validate(&error, "ErrorBody"),
            vec!["$.messageParams.permissions: expected str, found int"]
        );
        assert_eq!(
            validate(&json!({}), "NoSuchModel"),
            vec!["$: unknown model NoSuchModel"]
        );
        assert_eq!(
            validate_fields(&json!({"a": 1, "b": true}), &[("a", "int")], "$"),
            vec!["$.b: field not in the documented set"]
        );
    }
}
