//! The shipped manifests parse, and what they parse to (defaults and derived subnets
//! included) is pinned by snapshots.

use berth_spec::{Azs, Capacity, Endpoint, NatMode, example, parse};

fn load(path: &str) -> String {
    let full = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

#[test]
fn seed_ec2() {
    let m = parse("seed-ec2.toml", &load("examples/seed-ec2.toml")).unwrap();
    // The seed's exact network layout.
    let s = |v: &[ipnet::Ipv4Net]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(
        s(&m.network.private_subnets),
        ["172.24.0.0/24", "172.24.1.0/24"]
    );
    assert_eq!(
        s(&m.network.public_subnets),
        ["172.24.2.0/24", "172.24.3.0/24"]
    );
    assert_eq!(m.network.azs.count(), 2);
    assert_eq!(m.cluster.capacity, Capacity::Ec2);
    insta::assert_json_snapshot!(m);
}

#[test]
fn fargate() {
    let m = parse("fargate.toml", &load("examples/fargate.toml")).unwrap();
    assert!(m.cluster.capacity.is_fargate());
    assert_eq!(
        m.network.endpoints,
        [Endpoint::S3, Endpoint::Ecr, Endpoint::Logs]
    );
    insta::assert_json_snapshot!(m);
}

#[test]
fn network_only() {
    let m = parse("network.toml", &load("examples/network.toml")).unwrap();
    assert!(m.services.is_empty());
    assert_eq!(m.network.nat, NatMode::PerAz);
    insta::assert_json_snapshot!(m);
}

#[test]
fn init_example() {
    let m = parse("berth.toml", example()).unwrap();
    insta::assert_json_snapshot!(m);
}

#[test]
fn minimal_manifest_gets_every_default() {
    let m = parse("berth.toml", "name = \"hello\"\n").unwrap();
    assert_eq!(m.network.cidr.to_string(), "172.24.0.0/16");
    assert_eq!(m.network.azs, Azs::Count(2));
    assert_eq!(m.network.nat, NatMode::Single);
    assert_eq!(m.network.private_zone.as_deref(), Some("myorg.local"));
    assert!(m.network.endpoints.is_empty());
    assert_eq!(m.network.private_subnets.len(), 2);
    assert_eq!(m.cluster.instance_type, "t3.small");
    assert_eq!((m.cluster.min, m.cluster.max, m.cluster.desired), (1, 3, 1));
    assert!(m.services.is_empty());
    insta::assert_json_snapshot!(m);
}

#[test]
fn service_defaults_and_empty_strings() {
    let text = "name = \"hello\"\n[network]\nprivate_zone = \"\"\n[cluster]\nssh_key = \"\"\n[service.web]\n";
    let m = parse("berth.toml", text).unwrap();
    assert_eq!(m.network.private_zone, None);
    assert_eq!(m.cluster.ssh_key, None);
    let web = &m.services["web"];
    assert_eq!(web.name, "web");
    assert_eq!(web.image, None);
    assert_eq!(
        (web.port, web.cpu, web.memory, web.count),
        (8080, 256, 512, 2)
    );
    assert_eq!(
        (web.health_check.as_str(), web.path.as_str()),
        ("/healthz", "/")
    );
    assert!(web.public);
    assert!(web.autoscaling.is_none());
    assert_eq!(
        web.scratch,
        ["/tmp"],
        "a writable /tmp unless told otherwise"
    );
    let none = parse("b", "name = \"hello\"\n[service.web]\nscratch = []\n").unwrap();
    assert!(none.services["web"].scratch.is_empty());
    assert_eq!(web.build, None, "the manifest's own folder");
    assert!(web.release.is_empty(), "no release command unless told");
    let released = parse(
        "c",
        "name = \"hello\"\n[service.web]\nbuild = \"./web\"\nrelease = [\"./migrate\", \"--yes\"]\n",
    )
    .unwrap();
    let web = &released.services["web"];
    assert_eq!(web.build.as_deref(), Some("./web"));
    assert_eq!(web.release, ["./migrate", "--yes"]);
    assert_eq!(
        web.alarms,
        berth_spec::Alarms::default(),
        "alarms are always on"
    );
    let tuned = parse(
        "d",
        "name = \"hello\"\nalerts = \"ops@example.com\"\n[service.web.alarms]\np99_ms = 500\ncpu_percent = 80\n",
    )
    .unwrap();
    let alarms = &tuned.services["web"].alarms;
    assert_eq!(
        (alarms.p99_ms, alarms.cpu_percent, alarms.errors_percent),
        (500, 80, 5)
    );
    assert_eq!(
        tuned.alerts,
        Some(berth_spec::Alerts::Email("ops@example.com".into()))
    );
}

#[test]
fn derived_subnets_follow_the_documented_rule() {
    // /20 VPC, 3 AZs: blocks of /28.
    let m = parse(
        "b",
        "name = \"x\"\n[network]\ncidr = \"10.1.0.0/24\"\nazs = 6\n",
    )
    .unwrap();
    let s = |v: &[ipnet::Ipv4Net]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(
        s(&m.network.private_subnets),
        [
            "10.1.0.0/28",
            "10.1.0.16/28",
            "10.1.0.32/28",
            "10.1.0.48/28",
            "10.1.0.64/28",
            "10.1.0.80/28"
        ]
    );
    assert_eq!(s(&m.network.public_subnets)[0], "10.1.0.96/28");
    let m = parse(
        "b",
        "name = \"x\"\n[network]\ncidr = \"10.8.0.0/20\"\nazs = 3\n",
    )
    .unwrap();
    assert_eq!(
        s(&m.network.private_subnets),
        ["10.8.0.0/28", "10.8.0.16/28", "10.8.0.32/28"]
    );
    assert_eq!(
        s(&m.network.public_subnets),
        ["10.8.0.48/28", "10.8.0.64/28", "10.8.0.80/28"]
    );
}

#[test]
fn fargate_pairs() {
    assert_eq!(
        berth_spec::fargate_memory_options(256),
        Some(vec![512, 1024, 2048])
    );
    assert_eq!(berth_spec::fargate_memory_options(300), None);
    for (cpu, mem) in [
        (512, 4096),
        (1024, 8192),
        (4096, 30720),
        (8192, 61440),
        (16384, 122880),
    ] {
        let text = format!(
            "name = \"x\"\n[cluster]\ncapacity = \"fargate\"\n[service.web]\ncpu = {cpu}\nmemory = {mem}\n"
        );
        parse("b", &text).unwrap_or_else(|e| panic!("{cpu}/{mem}: {e}"));
    }
    let e = parse(
        "b",
        "name = \"x\"\n[cluster]\ncapacity = \"fargate\"\n[service.web]\ncpu = 8192\nmemory = 20000\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("16384, 20480, 24576"), "{e}");
}

#[test]
fn nat_none_with_endpoints_and_images() {
    let text = r#"name = "x"
[network]
nat = "none"
endpoints = ["s3", "ecr", "logs", "ecs"]
[service.a]
image = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/team/a:1.0"
path = "/a"
[service.b]
image = "localhost:5000/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
public = false
[service.c]
image = "ghcr.io/org/c"
path = "/c"
"#;
    parse("b", text).unwrap();
}

#[test]
fn nat_none_with_every_endpoint_it_needs() {
    // EC2 capacity (the default) and secrets in both stores: all six endpoints.
    let text = r#"name = "x"
region = "eu-west-2"
[network]
nat = "none"
endpoints = ["s3", "ecr", "logs", "ecs", "ssm", "secretsmanager"]
[service.web]
image = "hello:latest"
[service.web.secrets]
DB_PASSWORD = "arn:aws:ssm:eu-west-2:123456789012:parameter/web/db-password"
API_TOKEN = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:web/api-AbCdEf"
"#;
    let m = parse("b", text).unwrap();
    assert_eq!(m.network.endpoints, Endpoint::ALL);
    let services: Vec<&str> = m
        .network
        .endpoints
        .iter()
        .flat_map(|e| e.interface_services())
        .copied()
        .collect();
    assert_eq!(
        services,
        [
            "ecr.api",
            "ecr.dkr",
            "logs",
            "ecs",
            "ecs-agent",
            "ecs-telemetry",
            "ssm",
            "secretsmanager"
        ]
    );

    // EC2 without secrets: the line the error suggests, in any order.
    let text = "name = \"x\"\n[network]\nnat = \"none\"\nendpoints = [\"ecs\", \"logs\", \"ecr\", \"s3\"]\n[service.web]\n";
    parse("b", text).unwrap();

    // Fargate: no ECS agent of ours, so no ecs endpoint.
    let text = "name = \"x\"\n[cluster]\ncapacity = \"fargate-spot\"\n[network]\nnat = \"none\"\nendpoints = [\"s3\", \"ecr\", \"logs\"]\n[service.web]\n";
    parse("b", text).unwrap();

    // No services, nothing to reach AWS: no endpoints needed.
    parse("b", "name = \"x\"\n[network]\nnat = \"none\"\n").unwrap();
}

#[test]
fn graviton_and_partition_helpers_are_exported() {
    assert!(berth_spec::is_arm64_instance_type("t4g.small"));
    assert!(!berth_spec::is_arm64_instance_type("t3.small"));
    assert!(berth_spec::unsupported_region("cn-north-1").is_some());
    assert!(berth_spec::unsupported_region("eu-west-2").is_none());
}

#[test]
fn ci_names_the_token_subject_it_trusts() {
    let ci = |extra: &str| {
        let text = format!("name = \"x\"\n[ci]\ngithub = \"acme/shop\"\n{extra}");
        parse("b", &text).unwrap().ci.unwrap().subject()
    };
    assert_eq!(ci(""), "repo:acme/shop:*");
    assert_eq!(
        ci("branch = \"main\"\n"),
        "repo:acme/shop:ref:refs/heads/main"
    );
    assert_eq!(
        ci("environment = \"prod\"\n"),
        "repo:acme/shop:environment:prod"
    );
}
