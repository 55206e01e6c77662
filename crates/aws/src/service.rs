//! The AWS services ferrocol calls, and what each needs to be addressed and signed.

/// How to reach and sign for one AWS service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    /// The SigV4 credential-scope service name (`logs`, `xray`, `aps`).
    pub signing_name: &'static str,
    /// The first label of the regional endpoint host (`logs` → `logs.<region>.amazonaws.com`).
    pub endpoint_prefix: &'static str,
    /// The suffix of the service-specific endpoint variable `AWS_ENDPOINT_URL_<ID>` (the SDK's
    /// service id, upper snake case).
    pub env_id: &'static str,
}

impl Service {
    pub const LOGS: Service = Service {
        signing_name: "logs",
        endpoint_prefix: "logs",
        env_id: "CLOUDWATCH_LOGS",
    };
    pub const XRAY: Service = Service {
        signing_name: "xray",
        endpoint_prefix: "xray",
        env_id: "XRAY",
    };
    pub const SSM: Service = Service {
        signing_name: "ssm",
        endpoint_prefix: "ssm",
        env_id: "SSM",
    };
    pub const S3: Service = Service {
        signing_name: "s3",
        endpoint_prefix: "s3",
        env_id: "S3",
    };
    pub const STS: Service = Service {
        signing_name: "sts",
        endpoint_prefix: "sts",
        env_id: "STS",
    };
    pub const CLOUDWATCH: Service = Service {
        signing_name: "monitoring",
        endpoint_prefix: "monitoring",
        env_id: "CLOUDWATCH",
    };
    pub const ECS: Service = Service {
        signing_name: "ecs",
        endpoint_prefix: "ecs",
        env_id: "ECS",
    };
    pub const EC2: Service = Service {
        signing_name: "ec2",
        endpoint_prefix: "ec2",
        env_id: "EC2",
    };
    /// Amazon Managed Service for Prometheus (remote write goes to `aps-workspaces.<region>`).
    pub const APS: Service = Service {
        signing_name: "aps",
        endpoint_prefix: "aps-workspaces",
        env_id: "AMP",
    };
}
