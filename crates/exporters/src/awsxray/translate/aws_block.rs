//! The `aws` block (upstream `aws.go makeAws`): where the span ran (EC2, ECS, EKS, Elastic
//! Beanstalk, from resource attributes), its log groups, the X-Ray SDK, and the AWS call it
//! made (operation, account, region, request id, queue, tables).

use aws::xray::{
    AwsData, BeanstalkMetadata, Ec2Metadata, EcsMetadata, EksMetadata, LogGroupMetadata,
    XRayMetadata, attributes as a,
};
use pdata::proto::common::v1::KeyValue;

use super::values::{Attrs, str_of, string_slice};

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Builds the block and removes the AWS call attributes from `attrs`; `None` when the resource
/// says it runs on another cloud.
pub fn make_aws(
    attrs: &mut Attrs<'_>,
    resource: &[KeyValue],
    config_log_groups: &[String],
) -> Option<AwsData> {
    let mut cloud = "";
    let mut platform = "";
    let mut account = String::new();
    let (mut zone, mut host_id, mut host_type, mut ami_id) = ("", "", "", "");
    let (mut container, mut namespace, mut deploy_id, mut version_label) = ("", "", "", "");
    let (mut sdk_name, mut sdk_language, mut sdk_version) = ("", "", "");
    let mut auto_version = false;
    let (mut container_id, mut cluster_name, mut pod) = ("", "", "");
    let (mut cluster_arn, mut container_arn, mut task_arn, mut task_family, mut launch_type) =
        ("", "", "", "", "");
    let mut log_groups: Option<Vec<String>> = None;
    let mut log_group_arns: Option<Vec<String>> = None;

    let mut seen = std::collections::HashSet::new();
    for kv in resource {
        if !seen.insert(kv.key.as_str()) {
            continue;
        }
        let Some(v) = kv.value.as_ref() else { continue };
        let s = str_of(v);
        match kv.key.as_str() {
            "cloud.provider" => cloud = s,
            "cloud.platform" => platform = s,
            "cloud.account.id" => account = s.to_string(),
            "cloud.availability_zone" => zone = s,
            "host.id" => host_id = s,
            "host.type" => host_type = s,
            "host.image.id" => ami_id = s,
            "container.name" if container.is_empty() => container = s,
            "k8s.pod.name" => pod = s,
            "service.namespace" => namespace = s,
            "service.instance.id" => deploy_id = s,
            "service.version" => version_label = s,
            "telemetry.sdk.name" => sdk_name = s,
            "telemetry.sdk.language" => sdk_language = s,
            "telemetry.sdk.version" => sdk_version = s,
            "telemetry.auto.version" => auto_version = true,
            "container.id" => container_id = s,
            "k8s.cluster.name" => cluster_name = s,
            "aws.ecs.cluster.arn" => cluster_arn = s,
            "aws.ecs.container.arn" => container_arn = s,
            "aws.ecs.task.arn" => task_arn = s,
            "aws.ecs.task.family" => task_family = s,
            "aws.ecs.launchtype" => launch_type = s,
            "aws.log.group.names" => log_groups = Some(to_list(v)),
            "aws.log.group.arns" => log_group_arns = Some(to_list(v)),
            _ => {}
        }
    }

    let operation = attrs
        .get(a::AWS_OPERATION)
        .or_else(|| attrs.get("rpc.method"))
        .map(|v| str_of(v).to_string())
        .unwrap_or_default();
    let (mut region, mut request_id, mut queue_url, mut table_name) =
        (String::new(), String::new(), String::new(), String::new());
    attrs.retain(|key, v| {
        match key {
            "rpc.method" | a::AWS_OPERATION => {}
            a::AWS_ACCOUNT => {
                if v.value.is_some() {
                    account = str_of(v).to_string();
                }
            }
            a::AWS_REGION => region = str_of(v).to_string(),
            a::AWS_REQUEST_ID | a::AWS_REQUEST_ID_2 => request_id = str_of(v).to_string(),
            a::AWS_QUEUE_URL | a::AWS_QUEUE_URL_2 => queue_url = str_of(v).to_string(),
            a::AWS_TABLE_NAME | a::AWS_TABLE_NAME_2 => table_name = str_of(v).to_string(),
            _ => return true,
        }
        false
    });
    if !cloud.is_empty() && cloud != "aws" {
        return None;
    }

    // The semantic conventions win for SQS and DynamoDB.
    if let Some(v) = attrs.get("messaging.url") {
        queue_url = str_of(v).to_string();
    }
    let mut table_names = Vec::new();
    if let Some(v) = attrs.get("aws.dynamodb.table_names") {
        match string_slice(v) {
            Some(names) if names.len() == 1 => table_name = names[0].to_string(),
            Some(names) if names.len() > 1 => {
                table_name.clear();
                table_names = names.into_iter().map(str::to_string).collect();
            }
            Some(_) => {}
            None => {
                if let Some(pdata::proto::common::v1::any_value::Value::StringValue(s)) = &v.value {
                    table_name = s.clone();
                }
            }
        }
    }

    let ec2 = (platform == "aws_ec2" || !host_id.is_empty()).then(|| Ec2Metadata {
        instance_id: opt(host_id),
        availability_zone: opt(zone),
        instance_size: opt(host_type),
        ami_id: opt(ami_id),
    });
    let ecs = (platform == "aws_ecs").then(|| EcsMetadata {
        container: opt(container),
        container_id: opt(container_id),
        availability_zone: opt(zone),
        container_arn: opt(container_arn),
        cluster_arn: opt(cluster_arn),
        task_arn: opt(task_arn),
        task_family: opt(task_family),
        launch_type: opt(launch_type),
    });
    let elastic_beanstalk =
        (platform == "aws_elastic_beanstalk" && !deploy_id.is_empty()).then(|| BeanstalkMetadata {
            environment_name: opt(namespace),
            deployment_id: Some(deploy_id.parse().unwrap_or(0)),
            version_label: opt(version_label),
        });
    let eks = (platform == "aws_eks" || !cluster_name.is_empty()).then(|| EksMetadata {
        cluster_name: opt(cluster_name),
        pod: opt(pod),
        container_id: opt(container_id),
    });

    // ARNs carry the names too, so they win; then names; then the configured names.
    let cloudwatch_logs = match (log_group_arns, log_groups) {
        (Some(arns), _) if !arns.is_empty() => arns
            .into_iter()
            .map(|arn| LogGroupMetadata {
                log_group: Some(log_group_of_arn(&arn).to_string()),
                arn: Some(arn),
            })
            .collect(),
        (_, Some(names)) if !names.is_empty() => names_only(names),
        _ => names_only(config_log_groups.to_vec()),
    };

    let sdk = if !sdk_name.is_empty() && !sdk_language.is_empty() {
        format!("{sdk_name} for {sdk_language}")
    } else {
        sdk_name.to_string()
    };
    Some(AwsData {
        account_id: opt(&account),
        elastic_beanstalk,
        cloudwatch_logs,
        ecs,
        ec2,
        eks,
        xray: Some(XRayMetadata {
            sdk: opt(&sdk),
            sdk_version: opt(sdk_version),
            auto_instrumentation: Some(auto_version),
        }),
        operation: opt(&operation),
        region: opt(&region),
        request_id: opt(&request_id),
        queue_url: opt(&queue_url),
        table_name: opt(&table_name),
        table_names,
        retries: None,
    })
}

fn names_only(names: Vec<String>) -> Vec<LogGroupMetadata> {
    names
        .into_iter()
        .map(|n| LogGroupMetadata {
            log_group: Some(n),
            arn: None,
        })
        .collect()
}

/// A string is split on `&` (the way OTEL_RESOURCE_ATTRIBUTES carries several); a slice is taken
/// as is; anything else is empty.
fn to_list(v: &pdata::proto::common::v1::AnyValue) -> Vec<String> {
    match string_slice(v) {
        Some(items) => items.into_iter().map(str::to_string).collect(),
        None => str_of(v)
            .split('&')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    }
}

/// The log group name is the 7th `:`-separated part of its ARN.
fn log_group_of_arn(arn: &str) -> &str {
    arn.split(':').nth(6).unwrap_or(arn)
}
