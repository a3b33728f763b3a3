//! IAM policy documents as data: JSON values with references where they name the stack's own
//! resources, compared by the engine like any other property.

use crate::names::{self, out};
use std::collections::BTreeSet;

use berth_engine::{Json, Value};
use berth_spec::Manifest;
use serde_json::json;

use super::refer;

/// The execution role's only permissions: pull from the stack's repository, write its logs,
/// and read exactly the secrets the services name. `ecr:GetAuthorizationToken` is
/// account-wide by AWS's design and cannot be scoped.
pub(super) fn execution_policy(m: &Manifest, region: &str) -> Value {
    let statement = |sid: &str, action: Json, resource: Value| {
        Value::Object(vec![
            ("Action", Value::Lit(action)),
            ("Effect", "Allow".into()),
            ("Resource", resource),
            ("Sid", sid.into()),
        ])
    };
    let mut statements = vec![
        statement("EcrLogin", json!("ecr:GetAuthorizationToken"), "*".into()),
        statement(
            "PullStackImages",
            json!([
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer"
            ]),
            refer(names::repository(), out::ARN),
        ),
        statement(
            "WriteStackLogs",
            json!(["logs:CreateLogStream", "logs:PutLogEvents"]),
            Value::Concat(vec![refer(names::log_group(), out::ARN), ":*".into()]),
        ),
    ];
    statements.extend(secret_statements(m, region).into_iter().map(Value::Lit));
    Value::Object(vec![
        ("Statement", Value::List(statements)),
        ("Version", "2012-10-17".into()),
    ])
}

/// The CI role's only permissions: what `berth deploy`, `rollback` and `logs` need on this
/// stack, nothing more. Push to and read its repository; register its task definitions, and
/// read and list task definitions (actions with no resource type in the Service Authorization
/// Reference, so `*` is the only resource they take); list (on its cluster only), read and
/// update its services; pass its two task roles to ECS alone; read its logs.
/// The task role's own policy: X-Ray's write calls when a service traces (its collector sends
/// as the task), otherwise none. X-Ray's calls take no resource but `*`.
pub(super) fn task_policy(m: &Manifest) -> Option<Value> {
    m.services.values().any(|s| s.tracing).then(|| {
        Value::Lit(json!({
            "Statement": [{
                "Action": [
                    "xray:GetSamplingRules",
                    "xray:GetSamplingStatisticSummaries",
                    "xray:GetSamplingTargets",
                    "xray:PutTelemetryRecords",
                    "xray:PutTraceSegments"
                ],
                "Effect": "Allow",
                "Resource": "*",
                "Sid": "SendTraces"
            }],
            "Version": "2012-10-17"
        }))
    })
}

pub(super) fn ci_policy(m: &Manifest, region: &str, account: &str) -> Value {
    let statement = |sid: &str, action: Json, resource: Value| {
        Value::Object(vec![
            ("Action", Value::Lit(action)),
            ("Effect", "Allow".into()),
            ("Resource", resource),
            ("Sid", sid.into()),
        ])
    };
    let stack = &m.name;
    let ecs = |what: &str| format!("arn:aws:ecs:{region}:{account}:{what}");
    let pass = Value::Object(vec![
        ("Action", "iam:PassRole".into()),
        (
            "Condition",
            Value::Lit(json!({"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}})),
        ),
        ("Effect", "Allow".into()),
        (
            "Resource",
            Value::List(vec![
                refer(names::role("execution"), out::ARN),
                refer(names::role("task"), out::ARN),
            ]),
        ),
        ("Sid", "PassStackTaskRoles".into()),
    ]);
    let statements = vec![
        statement("EcrLogin", json!("ecr:GetAuthorizationToken"), "*".into()),
        statement(
            "PushStackImages",
            json!([
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:DescribeImages",
                "ecr:DescribeRepositories",
                "ecr:GetLifecyclePolicy",
                "ecr:InitiateLayerUpload",
                "ecr:ListTagsForResource",
                "ecr:PutImage",
                "ecr:UploadLayerPart"
            ]),
            refer(names::repository(), out::ARN),
        ),
        statement(
            "ReadTaskDefinitions",
            json!([
                "ecs:DeregisterTaskDefinition",
                "ecs:DescribeTaskDefinition",
                "ecs:ListTaskDefinitions"
            ]),
            "*".into(),
        ),
        // Registering tags the revision (berth:stack), which needs TagResource on it too.
        statement(
            "RegisterStackTaskDefinitions",
            json!(["ecs:RegisterTaskDefinition", "ecs:TagResource"]),
            Value::from(ecs(&format!("task-definition/{stack}-*:*")).as_str()),
        ),
        statement(
            "DeployStackServices",
            json!(["ecs:DescribeServices", "ecs:UpdateService"]),
            Value::from(ecs(&format!("service/{stack}/*")).as_str()),
        ),
        // `berth run` and release commands: the stack's task definitions, on its cluster only.
        Value::Lit(json!({
            "Action": "ecs:RunTask",
            "Condition": {"ArnEquals": {"ecs:cluster": ecs(&format!("cluster/{stack}"))}},
            "Effect": "Allow",
            "Resource": ecs(&format!("task-definition/{stack}-*:*")),
            "Sid": "RunStackTasks",
        })),
        statement(
            "FollowStackTasks",
            json!("ecs:DescribeTasks"),
            Value::from(ecs(&format!("task/{stack}/*")).as_str()),
        ),
        // A failed deploy quotes the deployment alarms that fired.
        statement(
            "ReadStackAlarms",
            json!("cloudwatch:DescribeAlarms"),
            Value::from(format!("arn:aws:cloudwatch:{region}:{account}:alarm:{stack}-*").as_str()),
        ),
        // ListServices has no resource type: scoped to the cluster by its condition key.
        Value::Lit(json!({
            "Action": "ecs:ListServices",
            "Condition": {"ArnEquals": {"ecs:cluster": ecs(&format!("cluster/{stack}"))}},
            "Effect": "Allow",
            "Resource": "*",
            "Sid": "ListStackServices",
        })),
        statement(
            "ReadStackLogs",
            json!([
                "logs:DescribeLogStreams",
                "logs:FilterLogEvents",
                "logs:GetLogEvents"
            ]),
            Value::List(vec![
                refer(names::log_group(), out::ARN),
                Value::Concat(vec![refer(names::log_group(), out::ARN), ":*".into()]),
            ]),
        ),
        pass,
    ];
    Value::Object(vec![
        ("Statement", Value::List(statements)),
        ("Version", "2012-10-17".into()),
    ])
}

/// The statements that let ECS read the services' secrets, one per store, or none; and
/// decrypt them when they are under a customer-managed KMS key (AWS-managed keys need no
/// grant). The secret's ARN does not name its key, so the grant is on any key of the region,
/// only through the stores that hold the secrets (`kms:ViaService`): the role still reads
/// nothing but the secrets named above.
fn secret_statements(m: &Manifest, region: &str) -> Vec<Json> {
    let arns: BTreeSet<&str> = m
        .services
        .values()
        .flat_map(|s| s.secrets.values().map(String::as_str))
        .collect();
    let store = |service: &str, action: &str, sid: &str| {
        let resources: BTreeSet<&str> = arns
            .iter()
            .copied()
            .filter(|a| a.split(':').nth(2) == Some(service))
            // A Secrets Manager reference may name a JSON key after the secret's own ARN.
            .map(|a| match a.match_indices(':').nth(6) {
                Some((end, _)) if service == "secretsmanager" => &a[..end],
                _ => a,
            })
            .collect();
        (!resources.is_empty()).then(
            || json!({"Action": action, "Effect": "Allow", "Resource": resources, "Sid": sid}),
        )
    };
    let mut out: Vec<Json> = [
        store("ssm", "ssm:GetParameters", "ReadServiceParameters"),
        store(
            "secretsmanager",
            "secretsmanager:GetSecretValue",
            "ReadServiceSecrets",
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let via: BTreeSet<String> = arns
        .iter()
        .filter_map(|a| a.split(':').nth(2))
        .map(|service| format!("{service}.{region}.amazonaws.com"))
        .collect();
    if !via.is_empty() {
        out.push(json!({
            "Action": "kms:Decrypt",
            "Condition": {"StringEquals": {"kms:ViaService": via}},
            "Effect": "Allow",
            "Resource": format!("arn:aws:kms:{region}:*:key/*"),
            "Sid": "DecryptSecretsThroughTheirStore",
        }));
    }
    out
}
