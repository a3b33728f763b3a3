//! The IAM policies berth generates, linted with parliament (installed by `make test`) and
//! checked for least privilege: no wildcard actions, and every resource scoped to the stack
//! except the one action AWS only grants on `*` (ecr:GetAuthorizationToken).

use std::process::Command;

use berth_aws::graph::{Inputs, nodes};
use berth_engine::LogicalId;

/// What the stack's references would resolve to in a real account.
fn fake_output(id: &LogicalId, key: &str) -> Option<String> {
    Some(match (id.as_str(), key) {
        ("ecr", "arn") => "arn:aws:ecr:eu-west-2:123456789012:repository/hello".into(),
        ("logs", "arn") => "arn:aws:logs:eu-west-2:123456789012:log-group:/berth/hello".into(),
        (role, "arn") if role.starts_with("role/") => {
            format!("arn:aws:iam::123456789012:role/hello-{}", &role[5..])
        }
        _ => format!("{id}-{key}"),
    })
}

/// Secrets from both stores, one read through a JSON key, so the execution role grows the
/// statements that read them.
const SECRETS: &str = "\n[service.hello.secrets]\n\
    API_TOKEN = \"arn:aws:ssm:eu-west-2:123456789012:parameter/hello/api-token\"\n\
    DB_PASSWORD = \"arn:aws:secretsmanager:eu-west-2:123456789012:secret:hello/db-AbCdEf:password::\"\n";

fn policies(example: &str) -> Vec<(String, String)> {
    let (file, extra) = match example.strip_suffix("+secrets") {
        Some(file) => (file, SECRETS),
        None => (example, ""),
    };
    let text = std::fs::read_to_string(format!(
        "{}/../../examples/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
        + extra;
    let manifest = berth_spec::parse(example, &text).unwrap();
    let inputs = Inputs {
        public_zone: None,
        oidc_provider_elsewhere: false,
        region: "eu-west-2".into(),
        account: "123456789012".into(),
        azs: vec!["eu-west-2a".into(), "eu-west-2b".into()],
        ami: Some("ami-1".into()),
    };
    let mut out = Vec::new();
    for node in nodes(&manifest, &inputs)
        .into_iter()
        .filter(|n| n.kind == "iam_role")
    {
        // Trust policies are resource policies (no Resource element): parliament lints
        // identity policies, so trust is checked by hand in the test below.
        let trust = node.props["trust"].value.resolve(&fake_output).unwrap();
        assert_eq!(trust["Statement"].as_array().unwrap().len(), 1);
        let statement = &trust["Statement"][0];
        if node.id.as_str() == "role/deploy" {
            // Only GitHub's tokens for this repository's main branch, meant for AWS.
            assert_eq!(
                statement["Principal"]["Federated"],
                "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
            );
            assert_eq!(statement["Action"], "sts:AssumeRoleWithWebIdentity");
            let equals = &statement["Condition"]["StringEquals"];
            assert_eq!(
                equals["token.actions.githubusercontent.com:aud"],
                "sts.amazonaws.com"
            );
            assert_eq!(
                equals["token.actions.githubusercontent.com:sub"],
                "repo:acme/shop:ref:refs/heads/main",
                "{trust}"
            );
        } else {
            assert!(
                statement["Principal"]["Service"].is_string(),
                "{}: exactly one service may assume it: {trust}",
                node.id
            );
        }
        if node.id.as_str() == "role/task" {
            assert_eq!(
                trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"],
                "123456789012",
                "the task role is assumable only on this account's behalf: {trust}"
            );
        }
        let doc = node.props["inline_policy"]
            .value
            .resolve(&fake_output)
            .unwrap();
        if !doc.is_null() {
            out.push((format!("{} inline_policy", node.id), doc.to_string()));
        }
    }
    out
}

fn parliament(doc: &str) -> std::process::Output {
    // Through python3 rather than the `parliament` script, which a fresh pip install may not
    // have put on PATH yet.
    Command::new("python3")
        .args([
            "-c",
            "import sys; from parliament.cli import main; sys.exit(main(sys.argv))",
            "--string",
            doc,
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .expect(
            "parliament is not installed: `python3 -m pip install parliament` (make test does it)",
        )
}

/// The actions berth grants on `*`: the ones with no resource type in the Service
/// Authorization Reference (ListServices is narrowed to the stack's cluster by a condition).
const ONLY_ON_STAR: &[&str] = &[
    "ecr:GetAuthorizationToken",
    "ecs:DeregisterTaskDefinition",
    "ecs:DescribeTaskDefinition",
    "ecs:ListServices",
    "ecs:ListTaskDefinitions",
    "xray:GetSamplingRules",
    "xray:GetSamplingStatisticSummaries",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
];

#[test]
fn the_ci_role_can_deploy_this_stack_and_nothing_else() {
    let docs = policies("https.toml");
    let (_, doc) = docs
        .iter()
        .find(|(name, _)| name == "role/deploy inline_policy")
        .expect("a deploy role with [ci]");
    let json: serde_json::Value = serde_json::from_str(doc).unwrap();
    let statements = json["Statement"].as_array().unwrap();
    let sid = |sid: &str| statements.iter().find(|s| s["Sid"] == sid).unwrap();
    assert_eq!(
        sid("DeployStackServices")["Resource"],
        "arn:aws:ecs:eu-west-2:123456789012:service/shop/*"
    );
    assert_eq!(
        sid("ListStackServices")["Condition"]["ArnEquals"]["ecs:cluster"],
        "arn:aws:ecs:eu-west-2:123456789012:cluster/shop"
    );
    let run = sid("RunStackTasks");
    assert_eq!(
        (
            &run["Resource"],
            &run["Condition"]["ArnEquals"]["ecs:cluster"]
        ),
        (
            &serde_json::json!("arn:aws:ecs:eu-west-2:123456789012:task-definition/shop-*:*"),
            &serde_json::json!("arn:aws:ecs:eu-west-2:123456789012:cluster/shop")
        ),
        "release commands and `berth run`, on this stack's cluster only"
    );
    assert_eq!(
        sid("FollowStackTasks")["Resource"],
        "arn:aws:ecs:eu-west-2:123456789012:task/shop/*"
    );
    assert_eq!(
        sid("ReadStackAlarms")["Resource"],
        "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:shop-*"
    );
    let pass = sid("PassStackTaskRoles");
    assert_eq!(
        pass["Resource"],
        serde_json::json!([
            "arn:aws:iam::123456789012:role/hello-execution",
            "arn:aws:iam::123456789012:role/hello-task"
        ])
    );
    assert_eq!(
        pass["Condition"]["StringEquals"]["iam:PassedToService"],
        "ecs-tasks.amazonaws.com"
    );
    assert_eq!(
        sid("PushStackImages")["Resource"],
        "arn:aws:ecr:eu-west-2:123456789012:repository/hello"
    );
}

#[test]
fn generated_policies_pass_parliament_and_stay_least_privilege() {
    for example in [
        "seed-ec2.toml",
        "fargate.toml",
        "fargate.toml+secrets",
        "https.toml",
    ] {
        let docs = policies(example);
        assert!(
            docs.iter()
                .any(|(name, _)| name == "role/execution inline_policy"),
            "{example}: {docs:?}"
        );
        for (name, doc) in &docs {
            let out = parliament(doc);
            let findings = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && findings.trim().is_empty(),
                "{example} {name}: parliament: {findings}{}",
                // A missing or broken parliament says so on stderr, not as findings.
                String::from_utf8_lossy(&out.stderr)
            );
            let json: serde_json::Value = serde_json::from_str(doc).unwrap();
            for statement in json["Statement"].as_array().unwrap() {
                let actions: Vec<String> = match &statement["Action"] {
                    serde_json::Value::Array(a) => {
                        a.iter().map(|x| x.as_str().unwrap().to_string()).collect()
                    }
                    a => vec![a.as_str().unwrap().to_string()],
                };
                assert!(
                    actions.iter().all(|a| !a.contains('*')),
                    "{name}: wildcard action {actions:?}"
                );
                if statement["Resource"] == "*" {
                    assert!(
                        actions.iter().all(|a| ONLY_ON_STAR.contains(&a.as_str())),
                        "{name}: {actions:?} on `*`, but they take narrower resources"
                    );
                }
            }
        }
    }
}

#[test]
fn the_execution_role_reads_exactly_the_named_secrets() {
    let docs = policies("fargate.toml+secrets");
    let (_, doc) = docs
        .iter()
        .find(|(name, _)| name == "role/execution inline_policy")
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(doc).unwrap();
    let by_sid = |sid: &str| {
        json["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .cloned()
            .unwrap_or_else(|| panic!("no {sid} in {doc}"))
    };
    let ssm = by_sid("ReadServiceParameters");
    assert_eq!(ssm["Action"], "ssm:GetParameters");
    assert_eq!(
        ssm["Resource"],
        serde_json::json!(["arn:aws:ssm:eu-west-2:123456789012:parameter/hello/api-token"])
    );
    let sm = by_sid("ReadServiceSecrets");
    assert_eq!(
        sm["Resource"],
        serde_json::json!(["arn:aws:secretsmanager:eu-west-2:123456789012:secret:hello/db-AbCdEf"]),
        "the JSON key is not part of the resource"
    );
    let kms = by_sid("DecryptSecretsThroughTheirStore");
    assert_eq!(kms["Action"], "kms:Decrypt");
    assert_eq!(
        kms["Condition"]["StringEquals"]["kms:ViaService"],
        serde_json::json!([
            "secretsmanager.eu-west-2.amazonaws.com",
            "ssm.eu-west-2.amazonaws.com"
        ]),
        "only through the stores that hold the named secrets"
    );
    // Without secrets, no such statement at all.
    let plain = policies("fargate.toml");
    assert!(
        plain
            .iter()
            .all(|(_, d)| !d.contains("ReadService") && !d.contains("kms:"))
    );
}

#[test]
fn parliament_does_flag_a_bad_policy() {
    // The lint is real: the same check fails on a wildcard policy.
    let out = parliament(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    );
    assert!(!out.status.success() || !out.stdout.is_empty());
}
