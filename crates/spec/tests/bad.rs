//! Every rule in one table: a bad manifest, the line the first problem must point at,
//! and a piece of its message.

use berth_spec::parse;

/// (case, toml, expected line, expected message substring)
const CASES: &[(&str, &str, usize, &str)] = &[
    (
        "syntax error",
        "name = \"hello\"\n\n[network\ncidr = \"10.0.0.0/16\"\n",
        3,
        "TOML syntax error",
    ),
    (
        "duplicate key",
        "name = \"hello\"\nname = \"again\"\n",
        2,
        "TOML syntax error",
    ),
    (
        "missing name",
        "region = \"eu-west-2\"\n",
        1,
        "missing field `name`",
    ),
    (
        "unknown top-level key",
        "name = \"hello\"\nregoin = \"eu-west-2\"\n",
        2,
        "unknown field `regoin`, did you mean `region`?",
    ),
    (
        "services instead of service",
        "name = \"hello\"\n[services.web]\nport = 80\n",
        2,
        "did you mean `service`?",
    ),
    (
        "unknown network key",
        "name = \"hello\"\n[network]\nnta = \"single\"\n",
        3,
        "unknown field `nta`, did you mean `nat`?",
    ),
    (
        "domain with upper case",
        "name = \"hello\"\ndomain = \"App.Example.com\"\n[service.web]\n",
        2,
        "write domain = \"app.example.com\"",
    ),
    (
        "wildcard domain",
        "name = \"hello\"\ndomain = \"*.example.com\"\n[service.web]\n",
        2,
        "is a wildcard",
    ),
    (
        "domain without a public service",
        "name = \"hello\"\ndomain = \"app.example.com\"\n[service.web]\npublic = false\n",
        2,
        "only public services have",
    ),
    (
        "certificate that is not an ARN",
        "name = \"hello\"\ncertificate = \"my-cert\"\n",
        2,
        "is not an ACM certificate ARN",
    ),
    (
        "certificate from another region",
        "name = \"hello\"\nregion = \"eu-west-2\"\ncertificate = \"arn:aws:acm:us-east-1:123456789012:certificate/abc\"\n",
        3,
        "can only use a certificate from its own region",
    ),
    (
        "relative scratch path",
        "name = \"hello\"\n[service.web]\nscratch = [\"/tmp\", \"cache\"]\n",
        3,
        "`cache` is not an absolute path below /",
    ),
    (
        "alarm threshold over 100 percent",
        "name = \"hello\"\n[service.web.alarms]\nerrors_percent = 150\n",
        3,
        "the share of 5xx answers is a percentage, 1 to 100",
    ),
    (
        "unknown alarm key",
        "name = \"hello\"\n[service.web.alarms]\nlatency = 100\n",
        3,
        "latency",
    ),
    (
        "alerts that are neither mail nor topic",
        "name = \"hello\"\nalerts = \"ops\"\n",
        2,
        "neither an e-mail address nor an SNS topic ARN",
    ),
    (
        "alerts to a topic in another region",
        "name = \"hello\"\nregion = \"eu-west-2\"\nalerts = \"arn:aws:sns:us-east-1:123456789012:ops\"\n",
        3,
        "can only notify a topic in their own region",
    ),
    (
        "tracing without a NAT gateway",
        "name = \"hello\"\n[network]\nnat = \"none\"\nendpoints = [\"s3\", \"ecr\", \"logs\"]\n[cluster]\ncapacity = \"fargate\"\n[service.web]\ntracing = true\n",
        3,
        "has tracing = true: its collector's image comes from public.ecr.aws",
    ),
    (
        "empty release command",
        "name = \"hello\"\n[service.web]\nrelease = []\n",
        3,
        "the release command is empty",
    ),
    (
        "release command as one string",
        "name = \"hello\"\n[service.web]\nrelease = \"./migrate --yes\"\n",
        3,
        "expected a list",
    ),
    (
        "empty build folder",
        "name = \"hello\"\n[service.web]\nbuild = \"\"\n",
        3,
        "`build` is empty",
    ),
    (
        "scratch path listed twice",
        "name = \"hello\"\n[service.web]\nscratch = [\"/tmp\", \"/tmp\"]\n",
        3,
        "`/tmp` is listed twice",
    ),
    (
        "hosts on a private service",
        "name = \"hello\"\n[service.web]\npublic = false\nhosts = [\"api.example.com\"]\n",
        4,
        "only a public service answers on hosts",
    ),
    (
        "one host, two services",
        "name = \"hello\"\n[service.a]\nhosts = [\"api.example.com\"]\n[service.b]\npath = \"/b\"\nhosts = [\"api.example.com\"]\n",
        6,
        "is already a host of service `a`",
    ),
    (
        "the domain as a host",
        "name = \"hello\"\ndomain = \"app.example.com\"\n[service.web]\nhosts = [\"app.example.com\"]\n",
        2,
        "is both the stack's domain and a host of service `web`",
    ),
    (
        "ci repository not owner/name",
        "name = \"hello\"\n[ci]\ngithub = \"shop\"\n",
        3,
        "is not a GitHub repository",
    ),
    (
        "ci branch and environment",
        "name = \"hello\"\n[ci]\ngithub = \"acme/shop\"\nbranch = \"main\"\nenvironment = \"prod\"\n",
        5,
        "either its branch or its GitHub environment",
    ),
    (
        "ci without github",
        "name = \"hello\"\n[ci]\nbranch = \"main\"\n",
        2,
        "write github = \"org/repo\"",
    ),
    (
        "unknown service key",
        "name = \"hello\"\n[service.web]\nhealth-check = \"/\"\n",
        3,
        "did you mean `health_check`?",
    ),
    (
        "unknown key, no suggestion",
        "name = \"hello\"\n[cluster]\nzzzzzz = 1\n",
        3,
        "valid fields in [cluster] are: capacity",
    ),
    (
        "wrong type",
        "name = 5\n",
        1,
        "expected a string, found an integer",
    ),
    (
        "number in quotes",
        "name = \"hello\"\n[service.web]\nport = \"8080\"\n",
        3,
        "drop the quotes: port = 8080",
    ),
    (
        "uppercase name",
        "name = \"Hello\"\n",
        1,
        "write e.g. name = \"hello\"",
    ),
    (
        "long name",
        "name = \"a-very-long-stack-name-indeed\"\n",
        1,
        "is 29 characters long",
    ),
    (
        "name starts with digit",
        "name = \"1abc\"\n",
        1,
        "does not start with a letter",
    ),
    (
        "name trailing dash",
        "name = \"abc-\"\n",
        1,
        "ends with `-`",
    ),
    ("name double dash", "name = \"a--b\"\n", 1, "contains `--`"),
    (
        "bad region",
        "name = \"hello\"\nregion = \"EU-West-2\"\n",
        2,
        "write region = \"eu-west-2\"",
    ),
    (
        "bad cidr",
        "name = \"hello\"\n[network]\ncidr = \"172.24.0.0\"\n",
        3,
        "has no prefix length",
    ),
    (
        "garbage cidr",
        "name = \"hello\"\n[network]\ncidr = \"big\"\n",
        3,
        "is not an IPv4 CIDR block",
    ),
    (
        "/8 cidr",
        "name = \"hello\"\n\n\n\n\n[network]\ncidr = \"172.24.0.0/8\"\n",
        7,
        "172.24.0.0/8 is too large: berth supports /16 to /24",
    ),
    (
        "/25 cidr",
        "name = \"hello\"\n[network]\ncidr = \"10.0.0.0/25\"\n",
        3,
        "is too small",
    ),
    (
        "host bits",
        "name = \"hello\"\n[network]\ncidr = \"172.24.1.0/16\"\n",
        3,
        "has host bits set: the network address of this /16 is 172.24.0.0",
    ),
    (
        "public range",
        "name = \"hello\"\n[network]\ncidr = \"8.8.0.0/16\"\n",
        3,
        "not a private address range",
    ),
    (
        "azs 0",
        "name = \"hello\"\n[network]\nazs = 0\n",
        3,
        "berth spans 1 to 6 availability zones",
    ),
    (
        "azs 7",
        "name = \"hello\"\n[network]\nazs = 7\n",
        3,
        "azs = 7 is out of range",
    ),
    (
        "azs wrong type",
        "name = \"hello\"\n[network]\nazs = true\n",
        3,
        "expected a number of zones or a list of zone names",
    ),
    (
        "duplicate az",
        "name = \"hello\"\nregion = \"eu-west-2\"\n[network]\nazs = [\"eu-west-2a\",\n  \"eu-west-2a\"]\n",
        5,
        "duplicate availability zone `eu-west-2a`",
    ),
    (
        "az not in region",
        "name = \"hello\"\nregion = \"eu-west-2\"\n[network]\nazs = [\"us-east-1a\"]\n",
        4,
        "is not an availability zone of region eu-west-2",
    ),
    (
        "az bad shape",
        "name = \"hello\"\n[network]\nazs = [\"london\"]\n",
        3,
        "is not an availability zone name",
    ),
    (
        "nat typo",
        "name = \"hello\"\n[network]\nnat = \"singel\"\n",
        3,
        "did you mean `single`?",
    ),
    (
        "bad zone",
        "name = \"hello\"\n[network]\nprivate_zone = \"my_org.local\"\n",
        3,
        "is not a DNS zone name",
    ),
    (
        "zone trailing dot",
        "name = \"hello\"\n[network]\nprivate_zone = \"myorg.local.\"\n",
        3,
        "write private_zone = \"myorg.local\"",
    ),
    (
        "endpoint typo",
        "name = \"hello\"\n[network]\nendpoints = [\"s3\", \"eccr\"]\n",
        3,
        "did you mean `ecr`?",
    ),
    (
        "endpoint duplicate",
        "name = \"hello\"\n[network]\nendpoints = [\"s3\", \"s3\"]\n",
        3,
        "duplicate endpoint `s3`",
    ),
    (
        "subnet outside vpc",
        "name = \"hello\"\n[network]\nprivate_subnets = [\"172.24.0.0/24\", \"172.24.1.0/24\"]\npublic_subnets = [\"172.24.2.0/24\", \"10.0.0.0/24\"]\n",
        4,
        "subnet 10.0.0.0/24 is outside the VPC 172.24.0.0/16",
    ),
    (
        "overlapping subnets",
        "name = \"hello\"\n[network]\nprivate_subnets = [\"172.24.0.0/24\", \"172.24.1.0/24\"]\npublic_subnets = [\"172.24.0.0/23\", \"172.24.3.0/24\"]\n",
        4,
        "overlaps network.private_subnets[0]",
    ),
    (
        "subnet count mismatch",
        "name = \"hello\"\n[network]\nazs = 3\nprivate_subnets = [\"172.24.0.0/24\", \"172.24.1.0/24\"]\npublic_subnets = [\"172.24.2.0/24\", \"172.24.3.0/24\", \"172.24.4.0/24\"]\n",
        4,
        "2 subnets listed for 3 availability zones",
    ),
    (
        "only one subnet list",
        "name = \"hello\"\n[network]\npublic_subnets = [\"172.24.2.0/24\", \"172.24.3.0/24\"]\n",
        3,
        "public_subnets is set but private_subnets is not",
    ),
    (
        "subnet /29",
        "name = \"hello\"\n[network]\nprivate_subnets = [\"172.24.0.0/29\", \"172.24.1.0/24\"]\npublic_subnets = [\"172.24.2.0/24\", \"172.24.3.0/24\"]\n",
        3,
        "berth supports /16 to /28",
    ),
    (
        "capacity typo",
        "name = \"hello\"\n[cluster]\ncapacity = \"fargat\"\n",
        3,
        "did you mean `fargate`?",
    ),
    (
        "instance_type with fargate",
        "name = \"hello\"\n[cluster]\ncapacity = \"fargate\"\ninstance_type = \"t3.small\"\n",
        4,
        "instance_type applies to EC2 capacity only",
    ),
    (
        "desired with fargate-spot",
        "name = \"hello\"\n[cluster]\ncapacity = \"fargate-spot\"\ndesired = 2\n",
        4,
        "desired applies to EC2 capacity only",
    ),
    (
        "bad instance type",
        "name = \"hello\"\n[cluster]\ninstance_type = \"T3.Small\"\n",
        3,
        "write instance_type = \"t3.small\"",
    ),
    (
        "cluster min > max",
        "name = \"hello\"\n[cluster]\nmin = 4\nmax = 2\ndesired = 2\n",
        3,
        "min = 4 is greater than max = 2",
    ),
    (
        "desired out of range",
        "name = \"hello\"\n[cluster]\nmin = 1\nmax = 3\ndesired = 5\n",
        5,
        "desired = 5 is outside min = 1 to max = 3",
    ),
    (
        "cluster max > 100",
        "name = \"hello\"\n[cluster]\nmax = 101\n",
        3,
        "max = 101 is out of range",
    ),
    (
        "bad service name",
        "name = \"hello\"\n[service.Web_1]\n",
        2,
        "`Web_1` is not a valid service name",
    ),
    (
        "bad image",
        "name = \"hello\"\n[service.web]\nimage = \"My Image:latest\"\n",
        3,
        "not a valid image reference",
    ),
    (
        "bad image uppercase repo",
        "name = \"hello\"\n[service.web]\nimage = \"Hello:latest\"\n",
        3,
        "repository `Hello` is not valid",
    ),
    (
        "bad image digest",
        "name = \"hello\"\n[service.web]\nimage = \"hello@sha256:abc\"\n",
        3,
        "is not sha256: followed by 64 lowercase hex digits",
    ),
    (
        "port 0",
        "name = \"hello\"\n[service.web]\nport = 0\n",
        3,
        "ports are 1 to 65535",
    ),
    (
        "fargate bad pair",
        "name = \"hello\"\n[cluster]\ncapacity = \"fargate\"\n[service.web]\ncpu = 512\nmemory = 512\n",
        6,
        "memory (MiB) must be one of 1024, 2048, 3072, 4096",
    ),
    (
        "fargate bad cpu",
        "name = \"hello\"\n[cluster]\ncapacity = \"fargate\"\n[service.web]\ncpu = 300\n",
        5,
        "Fargate has no 300-unit task size",
    ),
    (
        "ec2 memory too small",
        "name = \"hello\"\n[service.web]\nmemory = 4\n",
        3,
        "ECS needs at least 6 MiB",
    ),
    (
        "ec2 cpu too small",
        "name = \"hello\"\n[service.web]\ncpu = 64\n",
        3,
        "EC2 tasks have 128 to 10240 CPU units",
    ),
    (
        "count too large",
        "name = \"hello\"\n[service.web]\ncount = 1001\n",
        3,
        "a service runs 0 to 1000 tasks",
    ),
    (
        "bad health path",
        "name = \"hello\"\n[service.web]\nhealth_check = \"healthz\"\n",
        3,
        "write health_check = \"/healthz\"",
    ),
    (
        "duplicate public path",
        "name = \"hello\"\n[service.api]\npath = \"/\"\n[service.web]\npublic = true\n",
        4,
        "path `/` is already used by public service `api`",
    ),
    (
        "bad env name",
        "name = \"hello\"\n[service.web.env]\n1BAD = \"x\"\n",
        3,
        "is not a valid environment variable name",
    ),
    (
        "secret-like env",
        "name = \"hello\"\n[service.web.env]\ndb_password = \"hunter2\"\n",
        3,
        "Secrets Manager",
    ),
    (
        "api key env",
        "name = \"hello\"\n[service.web]\nenv = { STRIPE_API_KEY = \"sk\" }\n",
        3,
        "looks like a secret (its name contains KEY)",
    ),
    (
        "secret env points to secrets",
        "name = \"hello\"\n[service.web]\nenv = { DB_PASSWORD = \"hunter2\" }\n",
        3,
        "move this entry to [secrets] as DB_PASSWORD = \"arn:aws:ssm:",
    ),
    (
        "secret that is not an ARN",
        "name = \"hello\"\n[service.web.secrets]\nDB_PASSWORD = \"hunter2\"\n",
        3,
        "`hunter2` is not the ARN of an SSM parameter or a Secrets Manager secret",
    ),
    (
        "secret ARN of another service",
        "name = \"hello\"\n[service.web.secrets]\nTOKEN = \"arn:aws:s3:::bucket/token\"\n",
        3,
        "not the ARN of an SSM parameter",
    ),
    (
        "variable in env and secrets",
        "name = \"hello\"\n[service.web]\nenv = { MODE = \"a\" }\n[service.web.secrets]\nMODE = \"arn:aws:ssm:eu-west-2:123456789012:parameter/m\"\n",
        4,
        "`MODE` is in both [env] and [secrets]",
    ),
    (
        "PORT in env",
        "name = \"hello\"\n[service.web.env]\nPORT = \"9000\"\n",
        3,
        "berth sets PORT itself",
    ),
    (
        "env value not a string",
        "name = \"hello\"\n[service.web.env]\nWORKERS = 4\n",
        3,
        "put it in quotes: WORKERS = \"4\"",
    ),
    (
        "autoscaling min > max",
        "name = \"hello\"\n[service.web.autoscaling]\nmin = 5\nmax = 2\ncpu = 50\n",
        3,
        "min = 5 is greater than max = 2",
    ),
    (
        "autoscaling no target",
        "name = \"hello\"\n[service.web.autoscaling]\nmin = 1\nmax = 4\n",
        2,
        "autoscaling has no target",
    ),
    (
        "autoscaling missing max",
        "name = \"hello\"\n[service.web.autoscaling]\nmin = 1\ncpu = 50\n",
        2,
        "missing field `max`",
    ),
    (
        "autoscaling cpu > 100",
        "name = \"hello\"\n[service.web.autoscaling]\nmin = 1\nmax = 4\ncpu = 150\n",
        5,
        "the CPU target is a percentage, 1 to 100",
    ),
    (
        "requests_per_target on private",
        "name = \"hello\"\n[service.web]\npublic = false\n[service.web.autoscaling]\nmin = 1\nmax = 4\nrequests_per_target = 100\n",
        7,
        "requests_per_target needs the load balancer",
    ),
    (
        "count outside autoscaling range",
        "name = \"hello\"\n[service.web]\ncount = 10\n[service.web.autoscaling]\nmin = 1\nmax = 4\ncpu = 50\n",
        3,
        "count = 10 is outside the autoscaling range 1 to 4",
    ),
    (
        "unknown autoscaling key",
        "name = \"hello\"\n[service.web.autoscaling]\nmin = 1\nmax = 2\ncpu = 50\nmax_cpu = 3\n",
        6,
        "unknown field `max_cpu`",
    ),
    (
        "nat none without endpoints",
        "name = \"hello\"\n[network]\nnat = \"none\"\nendpoints = [\"s3\", \"ecr\"]\n[service.web]\n",
        3,
        "these are missing: \"logs\" (tasks send their logs to CloudWatch Logs), \"ecs\" (the ECS agent on the EC2 instances must reach ECS); write endpoints = [\"s3\", \"ecr\", \"logs\", \"ecs\"] or nat = \"single\"",
    ),
    (
        "nat none on ec2 without ecs",
        "name = \"hello\"\n[network]\nnat = \"none\"\nendpoints = [\"s3\", \"ecr\", \"logs\"]\n[cluster]\ncapacity = \"ec2\"\n[service.web]\n",
        3,
        "this one is missing: \"ecs\" (the ECS agent on the EC2 instances must reach ECS); write endpoints = [\"s3\", \"ecr\", \"logs\", \"ecs\"] or nat = \"single\"",
    ),
    (
        "nat none on fargate without s3",
        "name = \"hello\"\n[cluster]\ncapacity = \"fargate\"\n[network]\nendpoints = [\"logs\", \"ecr\"]\nnat = \"none\"\n[service.web]\n",
        6,
        "\"s3\" (ECR serves image layers from S3); write endpoints = [\"s3\", \"ecr\", \"logs\"] or nat = \"single\"",
    ),
    (
        "nat none with an ssm secret and no ssm endpoint",
        "name = \"hello\"\n[cluster]\ncapacity = \"fargate\"\n[network]\nnat = \"none\"\nendpoints = [\"s3\", \"ecr\", \"logs\"]\n[service.web.secrets]\nDB_PASSWORD = \"arn:aws:ssm:eu-west-2:123456789012:parameter/db/password\"\n",
        5,
        "\"ssm\" ([service.web.secrets] names an SSM parameter); write endpoints = [\"s3\", \"ecr\", \"logs\", \"ssm\"] or nat = \"single\"",
    ),
    (
        "nat none with a secrets manager secret and no secretsmanager endpoint",
        "name = \"hello\"\n[network]\nnat = \"none\"\nendpoints = [\"s3\", \"ecr\", \"logs\", \"ecs\", \"ssm\"]\n[service.web.secrets]\nDB = \"arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf\"\n",
        3,
        "\"secretsmanager\" ([service.web.secrets] names a Secrets Manager secret); write endpoints = [\"s3\", \"ecr\", \"logs\", \"ecs\", \"ssm\", \"secretsmanager\"] or nat = \"single\"",
    ),
    (
        "endpoint secrets-manager",
        "name = \"hello\"\n[network]\nendpoints = [\"secrets-manager\"]\n",
        3,
        "did you mean `secretsmanager`?",
    ),
    (
        "endpoint unknown lists every endpoint",
        "name = \"hello\"\n[network]\nendpoints = [\"xyzzy\"]\n",
        3,
        "write one of \"s3\", \"ecr\", \"logs\", \"ecs\", \"ssm\", \"secretsmanager\"",
    ),
    (
        "region in China",
        "name = \"hello\"\nregion = \"cn-north-1\"\n",
        2,
        "cn-north-1 is in the aws-cn partition (the AWS China regions), and berth supports the standard aws partition only",
    ),
    (
        "region in China (Ningxia)",
        "name = \"hello\"\nregion = \"cn-northwest-1\"\n",
        2,
        "in the aws-cn partition",
    ),
    (
        "region in GovCloud",
        "name = \"hello\"\nregion = \"us-gov-west-1\"\n",
        2,
        "us-gov-west-1 is in the aws-us-gov partition (AWS GovCloud (US)), and berth supports the standard aws partition only",
    ),
    (
        "region in an isolated partition",
        "name = \"hello\"\nregion = \"us-iso-east-1\"\n",
        2,
        "in the aws-iso partition (an isolated AWS partition)",
    ),
    (
        "berth: tag key",
        "name = \"hello\"\n[tags]\n\"berth:stack\" = \"x\"\n",
        3,
        "reserved prefix",
    ),
    (
        "aws: tag key",
        "name = \"hello\"\n[tags]\n\"AWS:foo\" = \"x\"\n",
        3,
        "reserved prefix",
    ),
    (
        "Name tag",
        "name = \"hello\"\n[tags]\nName = \"x\"\n",
        3,
        "berth sets the `Name` tag",
    ),
    (
        "service not a table",
        "name = \"hello\"\nservice = 3\n",
        2,
        "expected a table",
    ),
];

#[test]
fn bad_manifests_are_rejected_at_the_right_line() {
    assert!(CASES.len() >= 35, "keep at least 35 cases");
    let mut failures = Vec::new();
    for (case, text, line, needle) in CASES {
        match parse("berth.toml", text) {
            Ok(_) => failures.push(format!("{case}: parsed, expected an error")),
            Err(e) => {
                let hit = e.problems().iter().find(|p| p.message.contains(needle));
                match hit {
                    None => {
                        failures.push(format!("{case}: no problem mentions {needle:?}; got:\n{e}"))
                    }
                    Some(p) if p.line != *line => failures.push(format!(
                        "{case}: problem at line {}, expected line {line}: {}",
                        p.line, p.message
                    )),
                    Some(_) => {
                        // Every line of Display is `file:line:col: field: message`.
                        for l in e.to_string().lines() {
                            assert!(l.starts_with("berth.toml:"), "{case}: {l}");
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn too_many_tags() {
    let mut text = String::from("name = \"hello\"\n[tags]\n");
    for i in 0..41 {
        text.push_str(&format!("t{i} = \"v\"\n"));
    }
    let e = parse("berth.toml", &text).unwrap_err();
    let p = &e.problems()[0];
    assert!(p.message.contains("41 tags is too many"), "{e}");
    assert_eq!(p.line, 2);
}

#[test]
fn long_tag_value() {
    let text = format!("name = \"hello\"\n[tags]\nteam = \"{}\"\n", "x".repeat(257));
    let e = parse("berth.toml", &text).unwrap_err();
    assert!(
        e.problems()[0].message.contains("at most 256 characters"),
        "{e}"
    );
    assert_eq!(e.problems()[0].line, 3);
    let ok = format!("name = \"hello\"\n[tags]\nteam = \"{}\"\n", "x".repeat(256));
    parse("berth.toml", &ok).unwrap();
}

#[test]
fn display_matches_the_documented_shape() {
    let text = "name = \"hello\"\n\n\n\n\n[network]\ncidr = \"172.24.0.0/8\"\n";
    let e = parse("berth.toml", text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "berth.toml:7:8: network.cidr: 172.24.0.0/8 is too large: berth supports /16 to /24 \
         (AWS allows at most /16 for a VPC or subnet). Write e.g. cidr = \"172.24.0.0/16\""
    );
}

#[test]
fn syntax_errors_have_file_line_col() {
    let e = parse("my.toml", "name = \"hello\"\nregion = eu-west-2\n").unwrap_err();
    let s = e.to_string();
    assert!(s.starts_with("my.toml:2:"), "{s}");
    assert_eq!(e.problems()[0].field, "toml");
}

#[test]
fn all_problems_are_reported_sorted_by_line() {
    let text = r#"name = "Bad_Name"

[network]
cidr = "8.8.0.0/16"
nta = "single"

[cluster]
capacity = "fargate"
min = 1

[service.web]
cpu = 256
memory = 4096
env = { SECRET_THING = "x" }

[service.web.autoscaling]
min = 3
max = 1
cpu = 50
"#;
    let e = parse("berth.toml", text).unwrap_err();
    let got: Vec<(usize, &str)> = e
        .problems()
        .iter()
        .map(|p| (p.line, p.field.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "name"),
            (4, "network.cidr"),
            (5, "network.nta"),
            (9, "cluster.min"),
            (13, "service.web.memory"),
            (14, "service.web.env.SECRET_THING"),
            (17, "service.web.autoscaling.min"),
        ],
        "{e}"
    );
    let lines: Vec<usize> = e.problems().iter().map(|p| p.line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    assert_eq!(e.to_string().lines().count(), e.problems().len());
}

#[test]
fn diagnostic_has_a_label_per_problem() {
    use miette::Diagnostic;
    let e = parse("berth.toml", "name = \"X\"\n[network]\nnat = \"nope\"\n").unwrap_err();
    assert_eq!(e.labels().unwrap().count(), 2);
    assert!(e.source_code().is_some());
    // The fancy renderer works on it.
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, &e)
        .unwrap();
    assert!(out.contains("nat = \"nope\""), "{out}");
}

#[test]
fn nat_none_message_in_full() {
    let text = "name = \"hello\"\n[network]\nnat = \"none\"\nendpoints = [\"ecr\"]\n\
                [service.web.secrets]\nA = \"arn:aws:ssm:eu-west-2:123456789012:parameter/a\"\n\
                B = \"arn:aws:secretsmanager:eu-west-2:123456789012:secret:b-AbCdEf\"\n";
    let e = parse("berth.toml", text).unwrap_err();
    assert_eq!(e.problems().len(), 1, "{e}");
    assert_eq!(
        e.to_string(),
        "berth.toml:3:7: network.nat: nat = \"none\" leaves the private subnets no way to AWS \
         but VPC endpoints, and these are missing: \"s3\" (ECR serves image layers from S3), \
         \"logs\" (tasks send their logs to CloudWatch Logs), \"ecs\" (the ECS agent on the \
         EC2 instances must reach ECS), \"ssm\" ([service.web.secrets] names an SSM \
         parameter), \"secretsmanager\" ([service.web.secrets] names a Secrets Manager \
         secret); write endpoints = [\"s3\", \"ecr\", \"logs\", \"ecs\", \"ssm\", \
         \"secretsmanager\"] or nat = \"single\""
    );
}

#[test]
fn nat_none_suggestion_keeps_endpoints_already_listed() {
    // On Fargate no ecs endpoint is needed, but one that is listed stays in the suggestion.
    let text = "name = \"hello\"\n[cluster]\ncapacity = \"fargate\"\n[network]\nnat = \"none\"\n\
                endpoints = [\"ssm\", \"ecs\"]\n[service.web]\n";
    let e = parse("berth.toml", text).unwrap_err();
    let p = &e.problems()[0];
    assert_eq!(p.field, "network.nat");
    assert!(
        p.message.ends_with(
            "write endpoints = [\"s3\", \"ecr\", \"logs\", \"ecs\", \"ssm\"] or nat = \"single\""
        ),
        "{e}"
    );
    assert!(!p.message.contains("\"ecs\" ("), "ecs is not missing: {e}");
}

#[test]
fn region_in_another_partition_in_full() {
    let e = parse(
        "berth.toml",
        "name = \"hello\"\nregion = \"us-gov-west-1\"\n",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "berth.toml:2:10: region: us-gov-west-1 is in the aws-us-gov partition (AWS GovCloud \
         (US)), and berth supports the standard aws partition only (the ARNs, endpoint names \
         and managed policies it creates are the aws partition's); choose a region like \
         eu-west-2"
    );
    // The generic error no longer offers a GovCloud region as an example.
    let e = parse("berth.toml", "name = \"hello\"\nregion = \"london\"\n").unwrap_err();
    assert!(
        e.to_string()
            .contains("is not an AWS region name (like eu-west-2 or us-east-1)"),
        "{e}"
    );
}
