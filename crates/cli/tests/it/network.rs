//! `berth up | plan | status | down` of a network stack, end to end: the real binary, the real
//! AWS SDK, the moto emulator. Assertions look at AWS itself, not at berth's output alone.

use std::collections::BTreeMap;

use crate::common::*;
use berth_aws::tags::stack_filter as by_stack;

fn manifest(stack: &str, nat: &str, team: &str) -> String {
    format!(
        r#"name = "{stack}"
region = "eu-west-2"
[tags]
team = "{team}"
[network]
cidr = "172.24.0.0/16"
azs = ["eu-west-2a", "eu-west-2b"]
nat = "{nat}"
private_zone = "{stack}.local"
"#
    )
}

fn tag_map(tags: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect()
}

/// Every EC2 network resource of the stack, counted per kind.
async fn ec2_counts(aws: &berth_aws::Aws, stack: &str) -> BTreeMap<&'static str, usize> {
    let ec2 = &aws.ec2;
    let f = || by_stack(stack);
    let vpcs = ec2
        .describe_vpcs()
        .filters(f())
        .send()
        .await
        .unwrap()
        .vpcs()
        .len();
    let subnets = ec2
        .describe_subnets()
        .filters(f())
        .send()
        .await
        .unwrap()
        .subnets()
        .len();
    let igws = ec2
        .describe_internet_gateways()
        .filters(f())
        .send()
        .await
        .unwrap()
        .internet_gateways()
        .len();
    let eips = ec2
        .describe_addresses()
        .filters(f())
        .send()
        .await
        .unwrap()
        .addresses()
        .len();
    let nats = ec2
        .describe_nat_gateways()
        .filter(f())
        .send()
        .await
        .unwrap()
        .nat_gateways()
        .iter()
        .filter(|n| n.state().map(|s| s.as_str()) != Some("deleted"))
        .count();
    let rts = ec2
        .describe_route_tables()
        .filters(f())
        .send()
        .await
        .unwrap()
        .route_tables()
        .len();
    BTreeMap::from([
        ("vpc", vpcs),
        ("subnet", subnets),
        ("igw", igws),
        ("eip", eips),
        ("nat", nats),
        ("route_table", rts),
    ])
}

async fn namespaces(
    aws: &berth_aws::Aws,
    name: &str,
) -> Vec<aws_sdk_servicediscovery::types::NamespaceSummary> {
    let out = aws.servicediscovery.list_namespaces().send().await.unwrap();
    out.namespaces()
        .iter()
        .filter(|n| n.name() == Some(name))
        .cloned()
        .collect()
}

#[tokio::test]
async fn network_lifecycle_up_converge_change_drift_down() {
    let aws = aws().await;
    let stack = unique_stack("net");
    let m = Manifest::new(&manifest(&stack, "single", "platform"));

    // up builds exactly the seed's network.
    let up = berth(&m.path, &["up", "--yes"]).success();
    assert!(up.stderr.contains("Apply complete"), "{}", up.stderr);
    let counts = ec2_counts(&aws, &stack).await;
    let expected = BTreeMap::from([
        ("vpc", 1),
        ("subnet", 4),
        ("igw", 1),
        ("eip", 1),
        ("nat", 1),
        ("route_table", 3),
    ]);
    assert_eq!(counts, expected);

    let vpc = aws
        .ec2
        .describe_vpcs()
        .filters(by_stack(&stack))
        .send()
        .await
        .unwrap()
        .vpcs()[0]
        .clone();
    let vpc_id = vpc.vpc_id().unwrap().to_string();
    assert_eq!(vpc.cidr_block(), Some("172.24.0.0/16"));
    let tags = tag_map(vpc.tags());
    assert_eq!(tags["berth:stack"], stack);
    assert_eq!(tags["berth:id"], "vpc");
    assert_eq!(tags["team"], "platform");
    assert_eq!(tags["Name"], format!("{stack}-vpc"));

    let subnets = aws
        .ec2
        .describe_subnets()
        .filters(by_stack(&stack))
        .send()
        .await
        .unwrap();
    let mut layout: Vec<(String, String, String, bool)> = subnets
        .subnets()
        .iter()
        .map(|s| {
            let id = tag_map(s.tags())["berth:id"].clone();
            (
                id,
                s.cidr_block().unwrap().into(),
                s.availability_zone().unwrap().into(),
                s.map_public_ip_on_launch().unwrap(),
            )
        })
        .collect();
    layout.sort();
    // The seed's exact layout: private .0/.1, public .2/.3, only public subnets map public IPs.
    assert_eq!(
        layout,
        vec![
            (
                "subnet/private-a".into(),
                "172.24.0.0/24".into(),
                "eu-west-2a".into(),
                false
            ),
            (
                "subnet/private-b".into(),
                "172.24.1.0/24".into(),
                "eu-west-2b".into(),
                false
            ),
            (
                "subnet/public-a".into(),
                "172.24.2.0/24".into(),
                "eu-west-2a".into(),
                true
            ),
            (
                "subnet/public-b".into(),
                "172.24.3.0/24".into(),
                "eu-west-2b".into(),
                true
            ),
        ]
    );
    let subnet_id = |logical: &str| {
        subnets
            .subnets()
            .iter()
            .find(|s| tag_map(s.tags())["berth:id"] == logical)
            .unwrap()
            .subnet_id()
            .unwrap()
            .to_string()
    };

    let igw = aws
        .ec2
        .describe_internet_gateways()
        .filters(by_stack(&stack))
        .send()
        .await
        .unwrap()
        .internet_gateways()[0]
        .clone();
    assert_eq!(igw.attachments()[0].vpc_id(), Some(vpc_id.as_str()));
    let nat = aws
        .ec2
        .describe_nat_gateways()
        .filter(by_stack(&stack))
        .send()
        .await
        .unwrap()
        .nat_gateways()[0]
        .clone();
    assert_eq!(nat.subnet_id(), Some(subnet_id("subnet/public-a").as_str()));

    // Routes: public -> IGW for both public subnets; each private table -> the NAT.
    let rts = aws
        .ec2
        .describe_route_tables()
        .filters(by_stack(&stack))
        .send()
        .await
        .unwrap();
    for rt in rts.route_tables() {
        let id = tag_map(rt.tags())["berth:id"].clone();
        let default = rt
            .routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            .expect("default route");
        let mut assoc: Vec<String> = rt
            .associations()
            .iter()
            .filter_map(|a| a.subnet_id().map(str::to_string))
            .collect();
        assoc.sort();
        match id.as_str() {
            "rt/public" => {
                assert_eq!(default.gateway_id(), igw.internet_gateway_id());
                let mut want = vec![subnet_id("subnet/public-a"), subnet_id("subnet/public-b")];
                want.sort();
                assert_eq!(assoc, want);
            }
            "rt/private-a" | "rt/private-b" => {
                assert_eq!(default.nat_gateway_id(), nat.nat_gateway_id());
                assert_eq!(assoc, vec![subnet_id(&id.replace("rt/", "subnet/"))]);
            }
            other => panic!("unexpected route table {other}"),
        }
    }

    // The private zone is a Cloud Map namespace whose hosted zone is attached to the VPC.
    let zone = format!("{stack}.local");
    let ns = namespaces(&aws, &zone).await;
    assert_eq!(ns.len(), 1, "one namespace {zone}");
    let ns = aws
        .servicediscovery
        .get_namespace()
        .id(ns[0].id().unwrap())
        .send()
        .await
        .unwrap();
    let hz = ns
        .namespace()
        .unwrap()
        .properties()
        .unwrap()
        .dns_properties()
        .unwrap()
        .hosted_zone_id()
        .unwrap()
        .to_string();
    let hz = aws
        .route53
        .get_hosted_zone()
        .id(hz.trim_start_matches("/hostedzone/"))
        .send()
        .await
        .unwrap();
    assert!(
        hz.vpcs()
            .iter()
            .any(|v| v.vpc_id() == Some(vpc_id.as_str())),
        "zone attached to the VPC"
    );

    // Converged: plan is empty (detailed exit 0) and a second up mutates nothing.
    let plan = berth(&m.path, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
    let again = berth(&m.path, &["up", "--yes"]).success();
    assert_eq!(again.mutating_calls(), 0, "{}", again.stderr);

    // A tag change plans exactly tag updates, and applies.
    m.rewrite(&manifest(&stack, "single", "infra"));
    let plan = berth(&m.path, &["plan", "--detailed-exitcode", "-o", "json"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    for change in json["changes"].as_array().unwrap() {
        if change["action"] == "no-op" {
            continue;
        }
        assert_eq!(change["action"], "update", "{change}");
        let fields: Vec<&str> = change["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, vec!["tags.team"], "{change}");
    }
    berth(&m.path, &["up", "--yes"]).success();
    let vpc = aws
        .ec2
        .describe_vpcs()
        .filters(by_stack(&stack))
        .send()
        .await
        .unwrap()
        .vpcs()[0]
        .clone();
    assert_eq!(tag_map(vpc.tags())["team"], "infra");

    // NAT single -> per-az: a second EIP + NAT, and the zone-b private route moves to it.
    m.rewrite(&manifest(&stack, "per-az", "infra"));
    let plan = berth(&m.path, &["plan"]).success();
    assert!(
        plan.stdout.contains("nat/b")
            && plan.stdout.contains("eip/nat-b")
            && plan.stdout.contains("rt/private-b"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("2 to create, 1 to update, 0 to replace, 0 to delete"),
        "{}",
        plan.stdout
    );
    berth(&m.path, &["up", "--yes"]).success();
    assert_eq!(ec2_counts(&aws, &stack).await["nat"], 2);
    assert!(
        berth(&m.path, &["plan"])
            .success()
            .stdout
            .contains("No changes")
    );

    // Drift: the internet gateway deleted behind berth's back shows in status, and up restores it.
    let igw_id = igw.internet_gateway_id().unwrap();
    aws.ec2
        .detach_internet_gateway()
        .internet_gateway_id(igw_id)
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();
    aws.ec2
        .delete_internet_gateway()
        .internet_gateway_id(igw_id)
        .send()
        .await
        .unwrap();
    let status = berth(&m.path, &["status"]).success();
    let igw_row = status
        .stdout
        .lines()
        .find(|l| l.starts_with("igw "))
        .expect("igw row");
    assert!(igw_row.contains("missing"), "{}", status.stdout);
    berth(&m.path, &["up", "--yes"]).success();
    assert_eq!(ec2_counts(&aws, &stack).await["igw"], 1);
    assert!(
        berth(&m.path, &["plan"])
            .success()
            .stdout
            .contains("No changes")
    );

    // down removes everything, proves it, and a second down has nothing to do.
    let down = berth(&m.path, &["down", "--yes"]).success();
    assert!(down.stderr.contains("Verified"), "{}", down.stderr);
    let left: usize = ec2_counts(&aws, &stack).await.values().sum();
    assert_eq!(left, 0, "{:?}", ec2_counts(&aws, &stack).await);
    assert!(
        namespaces(&aws, &zone).await.is_empty(),
        "namespace left behind"
    );
    let again = berth(&m.path, &["down", "--yes"]).success();
    assert!(
        again.stdout.contains("Nothing to delete"),
        "{}",
        again.stdout
    );
    assert_eq!(again.mutating_calls(), 0);
}

#[tokio::test]
async fn two_stacks_do_not_see_each_other() {
    let aws = aws().await;
    let (a, b) = (unique_stack("twoa"), unique_stack("twob"));
    let ma = Manifest::new(&in_range(&manifest(&a, "none", "a"), 25));
    let mb = Manifest::new(&in_range(&manifest(&b, "none", "b"), 26));
    berth(&ma.path, &["up", "--yes"]).success();
    berth(&mb.path, &["up", "--yes"]).success();
    assert!(
        berth(&ma.path, &["plan"])
            .success()
            .stdout
            .contains("No changes")
    );
    berth(&ma.path, &["down", "--yes"]).success();
    assert_eq!(ec2_counts(&aws, &a).await.values().sum::<usize>(), 0);
    // B is untouched by A's down.
    assert_eq!(ec2_counts(&aws, &b).await["subnet"], 4);
    assert!(
        berth(&mb.path, &["plan"])
            .success()
            .stdout
            .contains("No changes")
    );
    berth(&mb.path, &["down", "--yes"]).success();
}

#[tokio::test]
async fn killed_up_resumes_without_duplicates() {
    let aws = aws().await;
    let stack = unique_stack("kill");
    let m = Manifest::new(&in_range(&manifest(&stack, "per-az", "k"), 27));
    // SIGKILL berth as soon as the first resource exists: the run stops partway.
    let mut child = berth_command(&m.path, &["up", "--yes"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        if !vpc_ids(&aws, &stack).await.is_empty() || started.elapsed().as_secs() > 60 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial: usize = ec2_counts(&aws, &stack).await.values().sum();
    assert!(partial >= 1, "the run made something before it was killed");

    berth(&m.path, &["up", "--yes"]).success();
    let counts = ec2_counts(&aws, &stack).await;
    let expected = BTreeMap::from([
        ("vpc", 1),
        ("subnet", 4),
        ("igw", 1),
        ("eip", 2),
        ("nat", 2),
        ("route_table", 3),
    ]);
    assert_eq!(
        counts, expected,
        "exactly one of each after the rerun (partial run had {partial})"
    );
    assert!(
        berth(&m.path, &["plan"])
            .success()
            .stdout
            .contains("No changes")
    );
    berth(&m.path, &["down", "--yes"]).success();
    assert_eq!(ec2_counts(&aws, &stack).await.values().sum::<usize>(), 0);
}

#[tokio::test]
async fn a_resource_made_by_hand_with_the_stack_tag_is_reported_and_only_down_deletes_it() {
    let aws = aws().await;
    let stack = unique_stack("hand");
    let m = Manifest::new(&in_range(&manifest(&stack, "none", "h"), 28));
    berth(&m.path, &["up", "--yes"]).success();
    let vpc = vpc_ids(&aws, &stack).await.remove(0);
    // Someone adds a security group by hand and copies the stack tag, but not berth:id.
    let by_hand = aws
        .ec2
        .create_security_group()
        .vpc_id(&vpc)
        .group_name("debug-by-hand")
        .description("made outside berth")
        .tag_specifications(berth_aws::tags::ec2_tag_spec(
            aws_sdk_ec2::types::ResourceType::SecurityGroup,
            &BTreeMap::from([
                ("berth:stack".to_string(), stack.clone()),
                ("Name".to_string(), "debug-by-hand".to_string()),
            ]),
        ))
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();

    let plan = berth(&m.path, &["plan"]).success();
    assert!(
        plan.stdout.contains("No changes")
            && plan
                .stdout
                .contains(&format!("? security_group {by_hand} \"debug-by-hand\"")),
        "reported, not planned for deletion: {}",
        plan.stdout
    );
    let up = berth(&m.path, &["up", "--yes"]).success();
    assert_eq!(up.mutating_calls(), 0, "up leaves it alone: {}", up.stderr);

    let down = berth(&m.path, &["down", "--yes"]).success();
    assert!(
        down.stdout
            .contains(&format!("unmanaged/security_group/{by_hand}")),
        "down lists it: {}",
        down.stdout
    );
    assert_eq!(ec2_counts(&aws, &stack).await.values().sum::<usize>(), 0);
    let gone = aws
        .ec2
        .describe_security_groups()
        .group_ids(&by_hand)
        .send()
        .await;
    assert!(
        gone.map(|o| o.security_groups().is_empty()).unwrap_or(true),
        "down deleted {by_hand}"
    );
}

#[tokio::test]
async fn a_vpc_overlapping_another_stacks_is_refused_before_anything_is_made() {
    let aws = aws().await;
    let (a, b) = (unique_stack("ovla"), unique_stack("ovlb"));
    let ma = Manifest::new(&in_range(&manifest(&a, "none", "a"), 23));
    berth(&ma.path, &["up", "--yes"]).success();
    // B asks for half of A's range.
    let b_text = manifest(&b, "none", "b").replace("172.24.0.0/16", "172.23.128.0/17");
    let mb = Manifest::new(&b_text);
    for args in [&["plan"][..], &["up", "--yes"]] {
        let out = berth(&mb.path, args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("network.cidr 172.23.128.0/17 overlaps vpc-")
                && out
                    .stderr
                    .contains(&format!("(172.23.0.0/16) of stack `{a}`"))
                && out.stderr.contains("e.g. cidr = \"10.")
                && out.stderr.contains("allow_overlap = true"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert_eq!(ec2_counts(&aws, &b).await.values().sum::<usize>(), 0);
    // Said on purpose: allowed.
    mb.rewrite(&b_text.replace("[network]\n", "[network]\nallow_overlap = true\n"));
    assert!(
        berth(&mb.path, &["plan"])
            .success()
            .stdout
            .contains("+ vpc")
    );
    berth(&ma.path, &["down", "--yes"]).success();
}
