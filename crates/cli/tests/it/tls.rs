//! HTTPS on the user's own domain, both ways: the domain's public zone in the account (berth
//! writes the records and waits for ACM), and DNS elsewhere (berth prints the records, builds
//! the rest, exits 3; the next `up` carries on once the user has written them).

use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, HostedZoneConfig, ResourceRecord, ResourceRecordSet, RrType,
    VpcRegion,
};

use crate::common::*;

/// A Fargate stack with one public service on `domain`, in 10.`octet`.0.0/16.
fn manifest(stack: &str, domain: &str, octet: u8) -> String {
    fargate_web(stack, octet, &format!("domain = \"{domain}\"\n"))
}

/// A private zone named `name` on `vpc`: here, the user's own DNS provider.
async fn private_zone(aws: &berth_aws::Aws, name: &str, vpc: &str) -> String {
    let made = aws
        .route53
        .create_hosted_zone()
        .name(name)
        .caller_reference(format!("{name}-private"))
        .hosted_zone_config(HostedZoneConfig::builder().private_zone(true).build())
        .vpc(
            aws_sdk_route53::types::Vpc::builder()
                .vpc_id(vpc)
                .vpc_region(VpcRegion::EuWest2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    made.hosted_zone().unwrap().id().to_string()
}

/// Every record of the zone but its own NS and SOA.
async fn records(aws: &berth_aws::Aws, zone: &str) -> Vec<(String, String)> {
    let out = aws
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .unwrap();
    out.resource_record_sets()
        .iter()
        .filter(|r| !matches!(r.r#type(), RrType::Ns | RrType::Soa))
        .map(|r| (r.r#type().as_str().to_string(), r.name().to_string()))
        .collect()
}

/// The listeners of the stack's load balancer.
async fn stack_listeners(
    aws: &berth_aws::Aws,
    stack: &str,
) -> Vec<aws_sdk_elasticloadbalancingv2::types::Listener> {
    let lbs = aws
        .elbv2
        .describe_load_balancers()
        .names(stack)
        .send()
        .await
        .unwrap();
    let arn = lbs.load_balancers()[0].load_balancer_arn().unwrap();
    let out = aws
        .elbv2
        .describe_listeners()
        .load_balancer_arn(arn)
        .send()
        .await
        .unwrap();
    out.listeners().to_vec()
}

/// The host-header values of the HTTPS listener's rules that have one.
async fn host_rules(aws: &berth_aws::Aws, stack: &str) -> Vec<Vec<String>> {
    let listeners = stack_listeners(aws, stack).await;
    let https = listeners
        .iter()
        .find(|l| l.port() == Some(443))
        .and_then(|l| l.listener_arn())
        .unwrap();
    let rules = aws
        .elbv2
        .describe_rules()
        .listener_arn(https)
        .send()
        .await
        .unwrap();
    rules
        .rules()
        .iter()
        .flat_map(|r| r.conditions())
        .filter(|c| c.field() == Some("host-header"))
        .map(|c| {
            c.host_header_config()
                .map(|h| h.values().to_vec())
                .unwrap_or_default()
        })
        .collect()
}

async fn certificates(aws: &berth_aws::Aws, domain: &str) -> Vec<String> {
    let out = aws.acm.list_certificates().send().await.unwrap();
    out.certificate_summary_list()
        .iter()
        .filter(|c| c.domain_name() == Some(domain))
        .map(|c| format!("{:?}", c.status()))
        .collect()
}

/// The stack's load balancer's listeners: (port, protocol, certificate, SSL policy, first
/// default action type).
async fn listeners(aws: &berth_aws::Aws, stack: &str) -> Vec<(i32, String, bool, String, String)> {
    let out = stack_listeners(aws, stack).await;
    let mut all: Vec<_> = out
        .iter()
        .map(|l| {
            (
                l.port().unwrap(),
                l.protocol()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                !l.certificates().is_empty(),
                if l.protocol() == Some(&ProtocolEnum::Https) {
                    l.ssl_policy().unwrap_or_default().to_string()
                } else {
                    String::new()
                },
                l.default_actions()[0]
                    .r#type()
                    .unwrap()
                    .as_str()
                    .to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

#[tokio::test]
async fn with_the_zone_in_the_account_berth_writes_the_records_and_serves_https() {
    let aws = aws().await;
    let stack = unique_stack("tlszone");
    let zone_name = format!("{stack}.test");
    let domain = format!("app.{zone_name}");
    let zone = berth_testkit::public_zone(&aws, &zone_name).await;
    // A second service on a name of its own: the certificate covers it, and its rule routes
    // by host.
    let api = format!("api.{zone_name}");
    let text = manifest(&stack, &domain, 32)
        + &format!(
            "[service.api]\nimage = \"hello:latest\"\ncpu = 256\nmemory = 512\ncount = 1\nhosts = [\"{api}\"]\n"
        );
    let m = Manifest::new(&text);

    berth(&m.path, &["up", "--yes"]).success();
    assert_eq!(certificates(&aws, &domain).await, ["Some(Issued)"]);
    assert_eq!(
        listeners(&aws, &stack).await,
        [
            (80, "HTTP".into(), false, String::new(), "redirect".into()),
            (
                443,
                "HTTPS".into(),
                true,
                "ELBSecurityPolicy-TLS13-1-2-2021-06".into(),
                "fixed-response".into()
            ),
        ]
    );
    let mut written = records(&aws, &zone).await;
    written.sort();
    let kinds: Vec<&str> = written.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(kinds, ["A", "A", "CNAME", "CNAME"], "{written:?}");
    assert_eq!(written[0].1, format!("{api}."));
    assert_eq!(written[1].1, format!("{domain}."));
    let cert = aws.acm.list_certificates().send().await.unwrap();
    let arn = cert
        .certificate_summary_list()
        .iter()
        .find(|c| c.domain_name() == Some(domain.as_str()))
        .and_then(|c| c.certificate_arn())
        .unwrap()
        .to_string();
    let detail = aws
        .acm
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .unwrap();
    let mut names = detail
        .certificate()
        .unwrap()
        .subject_alternative_names()
        .to_vec();
    names.sort();
    assert_eq!(names, [api.clone(), domain.clone()]);
    assert_eq!(host_rules(&aws, &stack).await, [vec![api.clone()]]);
    let status = berth(&m.path, &["status"]).success();
    assert!(
        status
            .stdout
            .contains(&format!("certificate {domain}: ISSUED"))
            && status.stdout.contains(&format!("https://{domain}/")),
        "{}",
        status.stdout
    );
    berth(&m.path, &["plan", "--detailed-exitcode"]).success();

    // Another name on the live stack: a new certificate, issued before the listener moves to
    // it, and only then the old one deleted (the listener holds it until it moves).
    let api2 = format!("api2.{zone_name}");
    m.rewrite(&text.replace(&format!("[\"{api}\"]"), &format!("[\"{api}\", \"{api2}\"]")));
    berth(&m.path, &["up", "--yes"]).success();
    assert_eq!(
        certificates(&aws, &domain).await,
        ["Some(Issued)"],
        "one, the new one"
    );
    let mut written = records(&aws, &zone).await;
    written.sort();
    let kinds: Vec<&str> = written.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        kinds,
        ["A", "A", "A", "CNAME", "CNAME", "CNAME"],
        "{written:?}"
    );
    berth(&m.path, &["plan", "--detailed-exitcode"]).success();

    berth(&m.path, &["down", "--yes"]).success();
    assert!(
        certificates(&aws, &domain).await.is_empty(),
        "certificate left"
    );
    assert!(records(&aws, &zone).await.is_empty(), "records left");
    assert!(leaked(&aws, &stack).await.is_empty());
    aws.route53
        .delete_hosted_zone()
        .id(zone)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn with_dns_elsewhere_berth_prints_the_records_and_carries_on_once_they_exist() {
    let aws = aws().await;
    let stack = unique_stack("tlsext");
    let domain = format!("app.{stack}.test");
    let m = Manifest::new(&manifest(&stack, &domain, 33));

    let waiting = berth(&m.path, &["up", "--yes"]);
    assert_eq!(
        waiting.code, 3,
        "exit 3: waiting on DNS\n{}",
        waiting.stderr
    );
    let line = waiting
        .stderr
        .lines()
        .find(|l| l.contains("  CNAME  "))
        .unwrap_or_else(|| panic!("no record printed:\n{}", waiting.stderr));
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (name, value) = (fields[0], fields[2]);
    assert!(name.ends_with(&format!("{domain}.")), "{line}");
    assert!(
        waiting.stderr.contains("waiting on you"),
        "{}",
        waiting.stderr
    );
    // Everything that does not need the certificate is there: the load balancer answers on
    // 80 (redirecting), 443 waits for the certificate.
    let built = listeners(&aws, &stack).await;
    assert_eq!(built.len(), 1, "{built:?}");
    assert_eq!(built[0].4, "redirect");
    let status = berth(&m.path, &["status"]).success();
    assert!(
        status.stdout.contains("PENDING_VALIDATION") && status.stdout.contains(name),
        "{}",
        status.stdout
    );

    // The user writes the record at their DNS provider: here, a private zone of the same
    // name, which berth must not take for the public one.
    let vpc = vpc_ids(&aws, &stack).await.remove(0);
    let theirs = private_zone(&aws, &format!("{stack}.test"), &vpc).await;
    let record = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::Cname)
        .ttl(300)
        .resource_records(ResourceRecord::builder().value(value).build().unwrap())
        .build()
        .unwrap();
    let change = Change::builder()
        .action(ChangeAction::Create)
        .resource_record_set(record.clone())
        .build()
        .unwrap();
    aws.route53
        .change_resource_record_sets()
        .hosted_zone_id(&theirs)
        .change_batch(ChangeBatch::builder().changes(change).build().unwrap())
        .send()
        .await
        .unwrap();

    let resumed = berth(&m.path, &["up", "--yes"]).success();
    assert!(!resumed.stderr.contains("  CNAME  "), "{}", resumed.stderr);
    assert_eq!(listeners(&aws, &stack).await.len(), 2, "HTTPS is up");
    assert_eq!(
        records(&aws, &theirs).await.len(),
        1,
        "berth wrote nothing there"
    );

    // The user's zone goes first: it is attached to the stack's VPC.
    let change = Change::builder()
        .action(ChangeAction::Delete)
        .resource_record_set(record)
        .build()
        .unwrap();
    aws.route53
        .change_resource_record_sets()
        .hosted_zone_id(&theirs)
        .change_batch(ChangeBatch::builder().changes(change).build().unwrap())
        .send()
        .await
        .unwrap();
    aws.route53
        .delete_hosted_zone()
        .id(theirs)
        .send()
        .await
        .unwrap();

    berth(&m.path, &["down", "--yes"]).success();
    assert!(
        certificates(&aws, &domain).await.is_empty(),
        "certificate left"
    );
    assert!(leaked(&aws, &stack).await.is_empty());
}
