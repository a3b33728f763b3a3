//! The whole stack, end to end on the emulator, for the seed's EC2 manifest and the Fargate
//! one: what `up` builds is checked through the AWS SDK (security groups, IAM, IMDSv2,
//! encryption, wiring, scaling, logs, DNS), then convergence, an image change, and `down`.
//! The emulator runs no containers: rollout failure handling is tested in ecs_service.rs.

use crate::common::*;
use berth_aws::tags::stack_filter as by_stack;

async fn security_groups(aws: &berth_aws::Aws, stack: &str) -> Vec<(String, Vec<String>)> {
    let out = aws
        .ec2
        .describe_security_groups()
        .filters(by_stack(stack))
        .send()
        .await
        .unwrap();
    out.security_groups()
        .iter()
        .map(|g| {
            let name = g.group_name().unwrap().to_string();
            let mut sources: Vec<String> = g
                .ip_permissions()
                .iter()
                .flat_map(|p| {
                    let port = format!(
                        "{}-{}",
                        p.from_port().unwrap_or(0),
                        p.to_port().unwrap_or(0)
                    );
                    let cidrs = p
                        .ip_ranges()
                        .iter()
                        .map(move |r| format!("{}:{}", port, r.cidr_ip().unwrap()));
                    let port = format!(
                        "{}-{}",
                        p.from_port().unwrap_or(0),
                        p.to_port().unwrap_or(0)
                    );
                    let groups = p
                        .user_id_group_pairs()
                        .iter()
                        .map(move |r| format!("{}:{}", port, r.group_id().unwrap()));
                    cidrs.chain(groups).collect::<Vec<_>>()
                })
                .collect();
            sources.sort();
            (name, sources)
        })
        .collect()
}

/// Security groups: only the load balancer is open to the internet, and only on port 80.
async fn assert_network_security(aws: &berth_aws::Aws, stack: &str, task_ports: &str) {
    let groups = security_groups(aws, stack).await;
    let alb = groups
        .iter()
        .find(|(n, _)| n == &format!("{stack}-alb"))
        .expect("alb group");
    assert_eq!(alb.1, vec!["80-80:0.0.0.0/0".to_string()]);
    let alb_id = aws
        .ec2
        .describe_security_groups()
        .filters(by_stack(stack))
        .send()
        .await
        .unwrap();
    let alb_id = alb_id
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some(&format!("{stack}-alb")))
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let tasks = groups
        .iter()
        .find(|(n, _)| n == &format!("{stack}-tasks"))
        .expect("tasks group");
    assert_eq!(
        tasks.1,
        vec![format!("{task_ports}:{alb_id}")],
        "tasks admit only the load balancer"
    );
    for (name, sources) in &groups {
        if !name.ends_with("-alb") {
            assert!(
                sources.iter().all(|s| !s.contains("0.0.0.0/0")),
                "{name} open to the internet: {sources:?}"
            );
        }
    }
}

/// The execution role may pull from this stack's repository and write its logs, nothing else.
async fn assert_iam(aws: &berth_aws::Aws, stack: &str) {
    let iam = &aws.iam;
    let role = iam
        .get_role()
        .role_name(format!("{stack}-execution"))
        .send()
        .await
        .unwrap();
    let trust = urlencoding::decode(role.role().unwrap().assume_role_policy_document().unwrap())
        .unwrap()
        .into_owned();
    assert!(
        trust.contains("ecs-tasks.amazonaws.com") && !trust.contains("ec2.amazonaws.com"),
        "{trust}"
    );
    let policy = iam
        .get_role_policy()
        .role_name(format!("{stack}-execution"))
        .policy_name("berth")
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&urlencoding::decode(policy.policy_document()).unwrap()).unwrap();
    let repo_arn = aws
        .ecr
        .describe_repositories()
        .repository_names(stack)
        .send()
        .await
        .unwrap()
        .repositories()[0]
        .repository_arn()
        .unwrap()
        .to_string();
    for statement in doc["Statement"].as_array().unwrap() {
        let actions = one_or_many(&statement["Action"]);
        let resources = one_or_many(&statement["Resource"]);
        assert!(
            actions.iter().all(|a| !a.contains('*')),
            "wildcard action in {statement}"
        );
        for resource in resources {
            if resource == "*" {
                assert_eq!(
                    actions,
                    vec!["ecr:GetAuthorizationToken"],
                    "only the login token is account-wide"
                );
            } else if actions.iter().any(|a| a.starts_with("ecr:")) {
                assert_eq!(resource, repo_arn);
            } else if actions == ["ssm:GetParameters"] {
                // Exactly the parameters the manifest names as secrets.
                assert!(
                    resource.starts_with("arn:aws:ssm:") && resource.contains(":parameter/"),
                    "{resource}"
                );
            } else if actions == ["kms:Decrypt"] {
                // Keys of this region, and only through the stores holding the secrets.
                assert_eq!(resource, "arn:aws:kms:eu-west-2:*:key/*");
                let via = &statement["Condition"]["StringEquals"]["kms:ViaService"];
                assert_eq!(via, &serde_json::json!(["ssm.eu-west-2.amazonaws.com"]));
            } else {
                assert!(
                    resource.contains(&format!("log-group:/berth/{stack}:")),
                    "{resource}"
                );
            }
        }
    }
    let task = iam
        .list_attached_role_policies()
        .role_name(format!("{stack}-task"))
        .send()
        .await
        .unwrap();
    assert!(
        task.attached_policies().is_empty(),
        "the task role starts empty"
    );
}

/// A policy element IAM accepts as one string or a list of them.
fn one_or_many(value: &serde_json::Value) -> Vec<&str> {
    match value {
        serde_json::Value::String(one) => vec![one.as_str()],
        many => many
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect(),
    }
}

async fn assert_service_wiring(aws: &berth_aws::Aws, stack: &str) -> String {
    let elb = &aws.elbv2;
    let lb = elb
        .describe_load_balancers()
        .names(stack)
        .send()
        .await
        .unwrap()
        .load_balancers()[0]
        .clone();
    assert_eq!(lb.scheme().unwrap().as_str(), "internet-facing");
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(listeners.listeners().len(), 1);
    let listener = &listeners.listeners()[0];
    assert_eq!(listener.port(), Some(80));
    let rules = elb
        .describe_rules()
        .listener_arn(listener.listener_arn().unwrap())
        .send()
        .await
        .unwrap();
    let rule = rules
        .rules()
        .iter()
        .find(|r| r.is_default() != Some(true))
        .expect("a rule for hello");
    let tg_arn = rule.actions()[0].target_group_arn().unwrap().to_string();
    let attrs = elb
        .describe_target_group_attributes()
        .target_group_arn(&tg_arn)
        .send()
        .await
        .unwrap();
    let delay = attrs
        .attributes()
        .iter()
        .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
        .unwrap();
    assert_eq!(delay.value(), Some("10"));
    let svc = aws
        .ecs
        .describe_services()
        .cluster(stack)
        .services("hello")
        .send()
        .await
        .unwrap()
        .services()[0]
        .clone();
    assert_eq!(
        svc.load_balancers()[0].target_group_arn(),
        Some(tg_arn.as_str()),
        "listener -> rule -> target group -> service"
    );
    let breaker = svc
        .deployment_configuration()
        .unwrap()
        .deployment_circuit_breaker()
        .unwrap();
    assert!(breaker.enable() && breaker.rollback());
    assert_eq!(svc.service_registries().len(), 1, "registered in Cloud Map");
    let td = aws
        .ecs
        .describe_task_definition()
        .task_definition(svc.task_definition().unwrap())
        .send()
        .await
        .unwrap();
    let c = &td.task_definition().unwrap().container_definitions()[0];
    assert_eq!(c.readonly_root_filesystem(), Some(true));
    assert_eq!(c.user(), Some("10001:10001"));
    // No secret in plaintext: the manifest refuses secret-looking names offline, and nothing
    // berth adds itself is one.
    for kv in c.environment() {
        let name = kv.name().unwrap().to_ascii_uppercase();
        assert!(
            !["SECRET", "PASSWORD", "TOKEN", "KEY"]
                .iter()
                .any(|w| name.contains(w)),
            "plaintext secret-like variable {name} in the task definition"
        );
    }
    assert_eq!(
        c.log_configuration().unwrap().options().unwrap()["awslogs-group"],
        format!("/berth/{stack}")
    );
    // Scaling on CPU 60% and 1000 requests per target, between 2 and 6 tasks.
    let policies = aws
        .appscaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id(format!("service/{stack}/hello"))
        .send()
        .await
        .unwrap();
    let mut targets: Vec<f64> = policies
        .scaling_policies()
        .iter()
        .map(|p| {
            p.target_tracking_scaling_policy_configuration()
                .unwrap()
                .target_value()
        })
        .collect();
    targets.sort_by(f64::total_cmp);
    assert_eq!(targets, vec![60.0, 1000.0]);
    let logs = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/berth/{stack}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logs.log_groups()[0].retention_in_days(), Some(30));
    let repo = aws
        .ecr
        .describe_repositories()
        .repository_names(stack)
        .send()
        .await
        .unwrap()
        .repositories()[0]
        .clone();
    assert_eq!(repo.image_tag_mutability().unwrap().as_str(), "IMMUTABLE");
    assert!(repo.image_scanning_configuration().unwrap().scan_on_push());
    td.task_definition()
        .unwrap()
        .network_mode()
        .unwrap()
        .as_str()
        .to_string()
}

/// Convergence, an image change planned exactly, and a clean `down`.
async fn assert_lifecycle(aws: &berth_aws::Aws, stack: &str, m: &Manifest, text: &str) {
    let again = berth(&m.path, &["up", "--yes"]).success();
    assert_eq!(again.mutating_calls(), 0, "{}", again.stderr);
    assert!(
        berth(&m.path, &["plan"])
            .success()
            .stdout
            .contains("No changes")
    );

    m.rewrite(&text.replace("image = \"hello:latest\"", "image = \"hello:v2\""));
    let plan = berth(&m.path, &["plan", "-o", "json"]).success();
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let changed: Vec<(String, String)> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        vec![
            ("task/hello".into(), "update".into()),
            ("service/hello".into(), "update".into())
        ]
    );
    berth(&m.path, &["up", "--yes"]).success();
    let svc = aws
        .ecs
        .describe_services()
        .cluster(stack)
        .services("hello")
        .send()
        .await
        .unwrap()
        .services()[0]
        .clone();
    assert!(
        svc.task_definition().unwrap().ends_with(":2"),
        "a new revision: {:?}",
        svc.task_definition()
    );
    assert!(
        berth(&m.path, &["plan"])
            .success()
            .stdout
            .contains("No changes")
    );

    let down = berth(&m.path, &["down", "--yes"]).success();
    assert!(down.stderr.contains("Verified"), "{}", down.stderr);
    assert_eq!(
        leaked(aws, stack).await,
        Vec::<String>::new(),
        "left behind by down"
    );
    let ec2 = aws
        .ec2
        .describe_vpcs()
        .filters(by_stack(stack))
        .send()
        .await
        .unwrap();
    assert!(ec2.vpcs().is_empty());
}

#[tokio::test]
async fn seed_ec2_stack_up_converge_deploy_down() {
    let aws = aws().await;
    let stack = unique_stack("ec");
    // Every test of this binary runs side by side: each has its own address range.
    let text = in_range(&example("seed-ec2.toml", &stack), 16);
    let m = Manifest::new(&text);
    berth(&m.path, &["up", "--yes"]).success();

    assert_network_security(&aws, &stack, "32768-65535").await;
    assert_iam(&aws, &stack).await;
    assert_eq!(assert_service_wiring(&aws, &stack).await, "bridge");

    // Instances: IMDSv2 with hop limit 1, encrypted gp3, no public IP, SSM instead of SSH.
    let lts = aws
        .ec2
        .describe_launch_templates()
        .filters(by_stack(&stack))
        .send()
        .await
        .unwrap();
    let lt_id = lts.launch_templates()[0].launch_template_id().unwrap();
    let v = aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(lt_id)
        .versions("$Default")
        .send()
        .await
        .unwrap();
    let data = v.launch_template_versions()[0]
        .launch_template_data()
        .unwrap();
    let md = data.metadata_options().unwrap();
    assert_eq!(md.http_tokens().unwrap().as_str(), "required");
    assert_eq!(md.http_put_response_hop_limit(), Some(1));
    let ebs = data.block_device_mappings()[0].ebs().unwrap();
    assert_eq!(
        (ebs.encrypted(), ebs.volume_type().unwrap().as_str()),
        (Some(true), "gp3")
    );
    assert_eq!(
        data.network_interfaces()[0].associate_public_ip_address(),
        Some(false)
    );
    assert!(data.key_name().is_none());
    let profile = aws
        .iam
        .list_attached_role_policies()
        .role_name(format!("{stack}-instance"))
        .send()
        .await
        .unwrap();
    let mut managed: Vec<&str> = profile
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    managed.sort();
    assert_eq!(
        managed,
        vec![
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
        ]
    );
    let asg = aws
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(format!("{stack}-ecs"))
        .send()
        .await
        .unwrap();
    let asg = &asg.auto_scaling_groups()[0];
    assert_eq!((asg.min_size(), asg.max_size()), (Some(1), Some(3)));
    assert_eq!(asg.new_instances_protected_from_scale_in(), Some(true));
    let cluster = aws
        .ecs
        .describe_clusters()
        .clusters(&stack)
        .send()
        .await
        .unwrap()
        .clusters()[0]
        .clone();
    assert_eq!(cluster.capacity_providers(), &[format!("{stack}-ec2")]);

    assert_lifecycle(&aws, &stack, &m, &text).await;
}

#[tokio::test]
async fn fargate_stack_up_converge_deploy_down() {
    let aws = aws().await;
    let stack = unique_stack("fg");
    let secret = "arn:aws:ssm:eu-west-2:123456789012:parameter/hello/api-token";
    let text = in_range(&example("fargate.toml", &stack), 31)
        + &format!("\n[service.hello.secrets]\nAPI_TOKEN = \"{secret}\"\n");
    let m = Manifest::new(&text);
    berth(&m.path, &["up", "--yes"]).success();
    // The secret reaches the container by reference, never by value.
    let td = aws
        .ecs
        .describe_task_definition()
        .task_definition(format!("{stack}-hello"))
        .send()
        .await
        .unwrap();
    let c = &td.task_definition().unwrap().container_definitions()[0];
    let secrets: Vec<(&str, &str)> = c
        .secrets()
        .iter()
        .map(|s| (s.name(), s.value_from()))
        .collect();
    assert_eq!(secrets, vec![("API_TOKEN", secret)]);
    // A read-only root, and a writable /tmp: a task-scoped volume with no host path.
    assert_eq!(c.readonly_root_filesystem(), Some(true));
    let mounts: Vec<_> = c
        .mount_points()
        .iter()
        .map(|m| (m.source_volume(), m.container_path(), m.read_only()))
        .collect();
    assert_eq!(mounts, [(Some("scratch-tmp"), Some("/tmp"), Some(false))]);
    let volumes = td.task_definition().unwrap().volumes();
    assert_eq!(volumes.len(), 1);
    assert_eq!(volumes[0].name(), Some("scratch-tmp"));
    assert!(volumes[0].host().is_none(), "no host path: fresh per task");

    assert_network_security(&aws, &stack, "8080-8080").await;
    assert_iam(&aws, &stack).await;
    assert_eq!(assert_service_wiring(&aws, &stack).await, "awsvpc");
    // Tasks in the private subnets, without public IPs; no EC2 capacity at all.
    let svc = aws
        .ecs
        .describe_services()
        .cluster(&stack)
        .services("hello")
        .send()
        .await
        .unwrap()
        .services()[0]
        .clone();
    let vpc = svc
        .network_configuration()
        .unwrap()
        .awsvpc_configuration()
        .unwrap();
    assert_eq!(vpc.assign_public_ip().unwrap().as_str(), "DISABLED");
    let private = aws
        .ec2
        .describe_subnets()
        .filters(by_stack(&stack))
        .send()
        .await
        .unwrap();
    for subnet in vpc.subnets() {
        let s = private
            .subnets()
            .iter()
            .find(|s| s.subnet_id() == Some(subnet))
            .unwrap();
        assert_eq!(s.map_public_ip_on_launch(), Some(false));
    }
    assert!(
        aws.ec2
            .describe_launch_templates()
            .filters(by_stack(&stack))
            .send()
            .await
            .unwrap()
            .launch_templates()
            .is_empty()
    );

    assert_lifecycle(&aws, &stack, &m, &text).await;
}
