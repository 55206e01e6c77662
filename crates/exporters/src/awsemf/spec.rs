//! A checker for the rules of the CloudWatch Embedded Metric Format specification
//! (`CloudWatch_Embedded_Metric_Format_Specification.html`), used by the tests on every event
//! the translator writes, so that a translation bug that CloudWatch would silently ignore fails
//! a test instead.
//!
//! Checked: the root is an object; version 1 has `_aws` with an integer `Timestamp` (ms) and a
//! `CloudWatchMetrics` array (version 0, the older agent format, has them at the top level with
//! a string `Timestamp`); every directive has a non-empty `Namespace` string, `Dimensions` as
//! arrays of at most 30 strings each naming a top-level string member, and `Metrics` with at
//! most 100 definitions, each a unique `Name` naming a top-level numeric member (a number, an
//! array of numbers, or a statistic-set / values-and-counts object), a `Unit` from CloudWatch's
//! set (or empty) and a `StorageResolution` of 1 or 60.

use serde_json::{Map, Value};

use super::translate::dimensions::MAX_DIMENSIONS;
use super::translate::emf::MAX_METRICS_PER_DIRECTIVE;
use super::translate::units::is_cloudwatch_unit;

/// Checks one EMF event; the error names the first rule broken.
pub fn validate(event: &str) -> Result<(), String> {
    let root: Value = serde_json::from_str(event).map_err(|e| format!("not JSON: {e}"))?;
    let root = root.as_object().ok_or("the root is not an object")?;
    let directives = match (root.get("_aws"), root.get("CloudWatchMetrics")) {
        (Some(aws), _) => {
            let aws = aws.as_object().ok_or("_aws is not an object")?;
            match aws.get("Timestamp") {
                Some(Value::Number(n)) if n.is_u64() => {}
                other => {
                    return Err(format!(
                        "_aws.Timestamp is not a non-negative integer: {other:?}"
                    ));
                }
            }
            aws.get("CloudWatchMetrics")
                .ok_or("_aws.CloudWatchMetrics is missing")?
        }
        (None, Some(cwm)) => {
            match root.get("Timestamp") {
                Some(Value::String(s)) if s.parse::<u64>().is_ok() => {}
                other => {
                    return Err(format!(
                        "Timestamp (version 0) is not a millisecond string: {other:?}"
                    ));
                }
            }
            cwm
        }
        // A plain log event (every metric filtered out): nothing to extract, nothing to check.
        (None, None) => return Ok(()),
    };
    let directives = directives
        .as_array()
        .ok_or("CloudWatchMetrics is not an array")?;
    for (i, d) in directives.iter().enumerate() {
        directive(root, d).map_err(|e| format!("CloudWatchMetrics[{i}]: {e}"))?;
    }
    Ok(())
}

fn directive(root: &Map<String, Value>, d: &Value) -> Result<(), String> {
    let d = d.as_object().ok_or("not an object")?;
    match d.get("Namespace") {
        Some(Value::String(ns)) if !ns.is_empty() && ns.len() <= 1024 => {}
        other => return Err(format!("Namespace is not a non-empty string: {other:?}")),
    }
    let sets = d
        .get("Dimensions")
        .and_then(Value::as_array)
        .ok_or("Dimensions is not an array")?;
    for (i, set) in sets.iter().enumerate() {
        let set = set
            .as_array()
            .ok_or_else(|| format!("Dimensions[{i}] is not an array"))?;
        if set.len() > MAX_DIMENSIONS {
            return Err(format!(
                "Dimensions[{i}] has {} dimensions (at most {MAX_DIMENSIONS})",
                set.len()
            ));
        }
        for dim in set {
            let name = dim
                .as_str()
                .ok_or_else(|| format!("Dimensions[{i}] holds a non-string {dim}"))?;
            match root.get(name) {
                Some(Value::String(_)) => {}
                other => {
                    return Err(format!(
                        "dimension {name:?} is not a string member of the root: {other:?}"
                    ));
                }
            }
        }
    }
    let metrics = d
        .get("Metrics")
        .and_then(Value::as_array)
        .ok_or("Metrics is not an array")?;
    if metrics.len() > MAX_METRICS_PER_DIRECTIVE {
        return Err(format!(
            "Metrics has {} definitions (at most {MAX_METRICS_PER_DIRECTIVE})",
            metrics.len()
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for m in metrics {
        let m = m
            .as_object()
            .ok_or("a metric definition is not an object")?;
        let name = match m.get("Name") {
            Some(Value::String(n)) if !n.is_empty() && n.len() <= 1024 => n,
            other => return Err(format!("metric Name is not a non-empty string: {other:?}")),
        };
        if !seen.insert(name) {
            return Err(format!("metric {name:?} is defined twice"));
        }
        match m.get("Unit") {
            None => {}
            Some(Value::String(u)) if u.is_empty() || is_cloudwatch_unit(u) => {}
            Some(other) => return Err(format!("metric {name:?} has an invalid Unit {other}")),
        }
        match m.get("StorageResolution") {
            None => {}
            Some(v) if v.as_u64() == Some(1) || v.as_u64() == Some(60) => {}
            Some(other) => {
                return Err(format!(
                    "metric {name:?} has StorageResolution {other} (1 or 60)"
                ));
            }
        }
        let value = root
            .get(name.as_str())
            .ok_or_else(|| format!("metric {name:?} has no member in the root"))?;
        target_value(value).map_err(|e| format!("metric {name:?}: {e}"))?;
    }
    Ok(())
}

/// A metric member: a number, an array of at most 100 numbers, a statistic set
/// `{Max, Min, Count, Sum}`, or that with `Values`/`Counts` of equal length (at most 100).
fn target_value(v: &Value) -> Result<(), String> {
    match v {
        Value::Number(_) => Ok(()),
        Value::Array(items) => {
            if items.len() > 100 {
                return Err(format!("{} values (at most 100)", items.len()));
            }
            if items.iter().all(Value::is_number) {
                Ok(())
            } else {
                Err("an array holding a non-number".into())
            }
        }
        Value::Object(o) => {
            for k in ["Max", "Min", "Count", "Sum"] {
                if !o.get(k).is_some_and(Value::is_number) {
                    return Err(format!("statistic set without a numeric {k}"));
                }
            }
            match (o.get("Values"), o.get("Counts")) {
                (None, None) => Ok(()),
                (Some(Value::Array(vs)), Some(Value::Array(cs))) => {
                    if vs.len() != cs.len() {
                        return Err("Values and Counts differ in length".into());
                    }
                    if vs.len() > 100 {
                        return Err(format!("{} Values (at most 100)", vs.len()));
                    }
                    if vs.iter().chain(cs).all(Value::is_number) {
                        Ok(())
                    } else {
                        Err("Values or Counts hold a non-number".into())
                    }
                }
                _ => Err("Values without Counts, or the reverse".into()),
            }
        }
        other => Err(format!("not a number, array or statistic set: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn accepts_upstreams_example_and_rejects_each_broken_rule() {
        let good = r#"{"OTelLib":"cloudwatch-otel","Version":"1","_aws":{"CloudWatchMetrics":[{"Namespace":"test-emf","Dimensions":[["OTelLib"],["OTelLib","spanName"]],"Metrics":[{"Name":"spanCounter","Unit":"Count","StorageResolution":1}]}],"Timestamp":1596151098037},"spanCounter":0,"spanName":"test"}"#;
        assert_eq!(validate(good), Ok(()));
        let v0 = r#"{"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[[]],"Metrics":[{"Name":"m","Unit":"","StorageResolution":60}]}],"Timestamp":"1596151098037","Version":"0","m":{"Max":1,"Min":0,"Count":2,"Sum":1}}"#;
        assert_eq!(validate(v0), Ok(()));
        let broken = [
            good.replace("1596151098037", "\"x\""),
            good.replace("\"Namespace\":\"test-emf\"", "\"Namespace\":\"\""),
            good.replace("[\"OTelLib\"],", "[\"Missing\"],"),
            good.replace("\"Unit\":\"Count\"", "\"Unit\":\"Cel\""),
            good.replace("\"StorageResolution\":1", "\"StorageResolution\":5"),
            good.replace("\"spanCounter\":0", "\"spanCounter\":\"0\""),
            good.replace("\"spanName\":\"test\"", "\"spanName\":3"),
        ];
        for b in &broken {
            assert!(validate(b).is_err(), "accepted: {b}");
        }
        let dims: Vec<String> = (0..31).map(|i| format!("\"d{i}\"")).collect();
        let members: String = (0..31).map(|i| format!(",\"d{i}\":\"v\"")).collect();
        let wide = format!(
            r#"{{"_aws":{{"Timestamp":1,"CloudWatchMetrics":[{{"Namespace":"n","Dimensions":[[{}]],"Metrics":[{{"Name":"m"}}]}}]}},"m":1{members}}}"#,
            dims.join(",")
        );
        assert!(validate(&wide).unwrap_err().contains("31 dimensions"));
        let names: Vec<String> = (0..101).map(|i| format!("{{\"Name\":\"m{i}\"}}")).collect();
        let values: String = (0..101).map(|i| format!(",\"m{i}\":1")).collect();
        let many = format!(
            r#"{{"_aws":{{"Timestamp":1,"CloudWatchMetrics":[{{"Namespace":"n","Dimensions":[[]],"Metrics":[{}]}}]}}{values}}}"#,
            names.join(",")
        );
        assert!(validate(&many).unwrap_err().contains("101 definitions"));
    }
}
