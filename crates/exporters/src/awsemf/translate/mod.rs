//! OTLP metrics → CloudWatch Embedded Metric Format events.
//!
//! ```text
//! ExportMetricsServiceRequest
//!   └ per resource: namespace, log group/stream (placeholders), Prometheus origin
//!       └ per metric: data points → values (datapoint.rs; cumulative → delta in delta.rs)
//!           └ grouped by (namespace, timestamp, log group, log stream, type, labels)   (this file)
//!               └ one EMF event per group, ≤ 100 metrics per directive                  (emf.rs)
//! ```
//!
//! Output order is deterministic (upstream's follows Go map iteration): events in group-key
//! order, labels and metrics sorted by name, dimension sets as the full set then the rollup.

pub mod datapoint;
pub mod delta;
pub mod dimensions;
pub mod emf;
pub mod labels;
pub mod units;

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use parking_lot::Mutex;
use pdata::ExportMetricsServiceRequest;

use crate::awsemf::config::{AwsEmfConfig, Rollup};
use datapoint::{Context, Dropped, Kind, MetricValue, Point};
use delta::DeltaCalculator;
use dimensions::Declaration;
use labels::Labels;

/// The point attribute that sets a metric's `StorageResolution` (1 = high resolution).
pub const STORAGE_RESOLUTION_ATTRIBUTE: &str = "aws.emf.storage_resolution";

/// The translation settings, compiled once from the config.
pub struct Rules {
    pub namespace: String,
    pub log_group_name: String,
    pub log_stream_name: String,
    /// `otel-stream-<uuid>`: the stream when `log_stream_name` is empty.
    pub default_stream: String,
    pub rollup: Rollup,
    /// `None` without `metric_declarations`; `Some(empty)` when every declaration was invalid,
    /// which (as upstream) keeps every metric out of `_aws`.
    pub declarations: Option<Vec<Declaration>>,
    pub descriptors: HashMap<String, (String, bool)>,
    pub parse_json: Vec<String>,
    pub resource_to_telemetry: bool,
    pub detailed: bool,
    pub version_0: bool,
    pub eks_fargate: bool,
}

impl Rules {
    /// Compiles the config; invalid declarations and descriptors are dropped with a warning,
    /// as upstream's `Validate` does.
    pub fn new(config: &AwsEmfConfig, default_stream: String) -> Result<Rules, String> {
        let declarations = if config.metric_declarations.is_empty() {
            None
        } else {
            let mut valid = Vec::new();
            for d in &config.metric_declarations {
                match Declaration::compile(d) {
                    Ok(d) => valid.push(d),
                    Err(error) => tracing::warn!(%error, "Dropped metric declaration."),
                }
            }
            Some(valid)
        };
        let mut descriptors = HashMap::new();
        for d in &config.metric_descriptors {
            if d.metric_name.is_empty() {
                continue;
            }
            if units::is_cloudwatch_unit(&d.unit) {
                descriptors.insert(d.metric_name.clone(), (d.unit.clone(), d.overwrite));
            } else {
                tracing::warn!(unit = %d.unit, "Dropped unsupported metric desctriptor.");
            }
        }
        Ok(Rules {
            namespace: config.namespace.clone(),
            log_group_name: config.log_group_name.clone(),
            log_stream_name: config.log_stream_name.clone(),
            default_stream,
            rollup: config.rollup()?,
            declarations,
            descriptors,
            parse_json: config.parse_json_encoded_attr_values.clone(),
            resource_to_telemetry: config.resource_to_telemetry_conversion.enabled,
            detailed: config.detailed_metrics,
            version_0: config.is_version_0(),
            eks_fargate: config.eks_fargate_container_insights_enabled,
        })
    }

    /// The unit of `name` with OTLP unit `otel`: a descriptor wins when the unit is empty or
    /// the descriptor overwrites; else the CloudWatch translation (`""` for an unknown unit).
    fn unit(&self, name: &str, otel: &str) -> String {
        if let Some((unit, overwrite)) = self.descriptors.get(name)
            && (otel.is_empty() || *overwrite)
        {
            return unit.clone();
        }
        match units::translate(otel) {
            Some(u) => u.to_string(),
            None => {
                tracing::debug!(
                    metric = name,
                    unit = otel,
                    "unit unknown to CloudWatch: sent as \"\""
                );
                String::new()
            }
        }
    }
}

/// The grouping key: metrics that share it are written into one EMF event.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupKey {
    pub namespace: String,
    pub timestamp_ms: i64,
    pub log_group: String,
    pub log_stream: String,
    pub kind: Kind,
    pub split: usize,
    pub labels: Vec<(String, String)>,
}

/// One metric of a group.
#[derive(Clone, Debug)]
pub struct GroupedMetric {
    pub value: MetricValue,
    pub unit: String,
    pub storage_resolution: u32,
}

/// Metrics with the same labels, namespace, timestamp, destination and type.
#[derive(Debug)]
pub struct Group {
    pub labels: Labels,
    pub metrics: BTreeMap<String, GroupedMetric>,
    pub from_prometheus: bool,
}

/// One EMF event: a CloudWatch Logs event for `log_group`/`log_stream`.
#[derive(Clone, Debug, PartialEq)]
pub struct EmfEvent {
    pub log_group: String,
    pub log_stream: String,
    pub timestamp_ms: i64,
    /// The EMF JSON, one line.
    pub message: String,
    /// A hash per CloudWatch metric (namespace, name, dimension names and values) that the
    /// event's directives define, for `otelcol_exporter_awsemf_distinct_metrics`.
    pub metric_ids: Vec<u64>,
}

/// What one request became.
#[derive(Debug, Default)]
pub struct Translation {
    pub events: Vec<EmfEvent>,
    pub dropped: Dropped,
    /// Points dropped because their group already had a metric of that name.
    pub duplicates: usize,
    /// Dimension sets left out of a directive for naming more than 30 dimensions.
    pub oversized_dimension_sets: usize,
}

/// Translates requests, keeping the cumulative baselines between calls.
pub struct Translator {
    rules: Rules,
    deltas: Mutex<DeltaCalculator>,
}

impl Translator {
    pub fn new(rules: Rules, retain_initial: bool) -> Self {
        Translator {
            rules,
            deltas: Mutex::new(DeltaCalculator::new(retain_initial)),
        }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Translates with the current time for points without a timestamp.
    pub fn translate(&self, request: &ExportMetricsServiceRequest) -> Translation {
        let now_ms = chrono::Utc::now().timestamp_millis();
        self.translate_at(request, now_ms, Instant::now())
    }

    /// Translates with `now_ms` for points without a timestamp and `now` for the delta state.
    pub fn translate_at(
        &self,
        request: &ExportMetricsServiceRequest,
        now_ms: i64,
        now: Instant,
    ) -> Translation {
        let mut out = Translation::default();
        let groups = self.group(request, now_ms, now, &mut out);
        for (key, group) in &groups {
            emf::render(&self.rules, key, group, &mut out);
        }
        out
    }

    fn group(
        &self,
        request: &ExportMetricsServiceRequest,
        now_ms: i64,
        now: Instant,
        out: &mut Translation,
    ) -> BTreeMap<GroupKey, Group> {
        let rules = &self.rules;
        let mut groups: BTreeMap<GroupKey, Group> = BTreeMap::new();
        let mut points = Vec::new();
        let mut deltas = self.deltas.lock();
        for rm in &request.resource_metrics {
            let resource = rm.resource.as_ref().map_or(&[][..], |r| &r.attributes[..]);
            let mut resource_labels = Labels::new();
            labels::attributes(resource, &mut resource_labels);
            let namespace = labels::namespace(&rules.namespace, resource);
            let (log_group, group_ok) = if rules.log_group_name.is_empty() {
                (format!("/metrics/{namespace}"), true)
            } else {
                labels::replace_placeholders(&rules.log_group_name, &resource_labels)
            };
            let (log_stream, stream_ok) = if rules.log_stream_name.is_empty() {
                (rules.default_stream.clone(), true)
            } else {
                labels::replace_placeholders(&rules.log_stream_name, &resource_labels)
            };
            let from_prometheus = labels::is_from_prometheus(resource);
            for sm in &rm.scope_metrics {
                let scope_name = sm.scope.as_ref().map_or("", |s| s.name.as_str());
                let ctx = Context {
                    scope_name,
                    resource_labels: rules.resource_to_telemetry.then_some(&resource_labels),
                    namespace: &namespace,
                    log_group: &log_group,
                    log_stream: &log_stream,
                    from_prometheus,
                    detailed: rules.detailed,
                };
                for metric in &sm.metrics {
                    points.clear();
                    let Some(kind) = datapoint::points(
                        metric,
                        &ctx,
                        &mut deltas,
                        now,
                        &mut points,
                        &mut out.dropped,
                    ) else {
                        continue;
                    };
                    let unit = rules.unit(&metric.name, &metric.unit);
                    for point in points.drain(..) {
                        let Point {
                            name,
                            value,
                            mut labels,
                            timestamp_ms,
                            split,
                        } = point;
                        if rules.eks_fargate
                            && matches!(
                                labels.get("Type").map(String::as_str),
                                Some("Pod" | "Container")
                            )
                        {
                            add_kubernetes_label(&mut labels);
                        }
                        // Placeholders the resource could not fill are tried on the point.
                        let group_name = if group_ok {
                            log_group.clone()
                        } else {
                            labels::replace_placeholders(&rules.log_group_name, &labels).0
                        };
                        let stream_name = if stream_ok {
                            log_stream.clone()
                        } else {
                            labels::replace_placeholders(&rules.log_stream_name, &labels).0
                        };
                        let storage_resolution = match labels.remove(STORAGE_RESOLUTION_ATTRIBUTE) {
                            Some(v) if v.trim() == "1" => 1,
                            _ => 60,
                        };
                        let key = GroupKey {
                            namespace: namespace.clone(),
                            timestamp_ms: if timestamp_ms > 0 {
                                timestamp_ms
                            } else {
                                now_ms
                            },
                            log_group: group_name,
                            log_stream: stream_name,
                            kind,
                            split,
                            labels: labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                        };
                        let group = groups.entry(key).or_insert_with(|| Group {
                            labels,
                            metrics: BTreeMap::new(),
                            from_prometheus,
                        });
                        if group.metrics.contains_key(&name) {
                            out.duplicates += 1;
                            tracing::warn!(name = %name, labels = ?group.labels, "Duplicate metric found");
                            continue;
                        }
                        group.metrics.insert(
                            name,
                            GroupedMetric {
                                value,
                                unit: unit.clone(),
                                storage_resolution,
                            },
                        );
                    }
                }
            }
        }
        groups
    }
}

/// `eks_fargate_container_insights_enabled`: a `kubernetes` label holding, as a JSON string,
/// the pod's identity in the shape Container Insights on ECS/EC2 uses (`addKubernetesWrapper`).
fn add_kubernetes_label(labels: &mut Labels) {
    let get = |k: &str| labels.get(k).cloned().unwrap_or_default();
    let mut obj = serde_json::Map::new();
    let put = |obj: &mut serde_json::Map<String, serde_json::Value>, k: &str, v: String| {
        if !v.is_empty() {
            obj.insert(k.to_string(), serde_json::Value::String(v));
        }
    };
    put(&mut obj, "container_name", get("container"));
    let mut docker = serde_json::Map::new();
    put(&mut docker, "container_id", get("container_id"));
    if !docker.is_empty() {
        obj.insert("docker".into(), docker.into());
    }
    put(&mut obj, "host", get("NodeName"));
    let mut pod_labels = serde_json::Map::new();
    put(&mut pod_labels, "app", get("app"));
    put(
        &mut pod_labels,
        "pod-template-hash",
        get("pod-template-hash"),
    );
    if !pod_labels.is_empty() {
        obj.insert("labels".into(), pod_labels.into());
    }
    put(&mut obj, "namespace_name", get("Namespace"));
    put(&mut obj, "pod_id", get("PodId"));
    put(&mut obj, "pod_name", get("PodName"));
    let mut owners = serde_json::Map::new();
    put(&mut owners, "owner_kind", get("owner_kind"));
    put(&mut owners, "owner_name", get("owner_name"));
    if !owners.is_empty() {
        obj.insert("pod_owners".into(), owners.into());
    }
    put(&mut obj, "service_name", get("Service"));
    // Go marshals the struct in field order, which is also alphabetical here.
    let mut text = String::new();
    aws::gojson::value(
        &mut text,
        &serde_json::Value::Object(obj),
        aws::gojson::Numbers::Float64,
    );
    labels.insert("kubernetes".to_string(), text);
}
