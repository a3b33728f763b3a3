//! The engine against the in-memory fake cloud: ordering, parallelism, convergence, diffs,
//! orphans, duplicates, retries, partial failure, crash-resume and destroy.

use std::time::Duration;

use berth_engine::fake::{FakeCloud, Op};
use berth_engine::*;

const STACK: &str = "demo";

fn node(kind: &'static str, id: &str) -> Node {
    Node::new(kind, id, STACK, &Tags::new())
}

/// vpc <- subnet <- route table (and a NAT on the subnet): the shape of a real network.
fn network() -> Vec<Node> {
    vec![
        node("vpc", "vpc").immutable("cidr", "10.0.0.0/16"),
        node("subnet", "subnet/a")
            .immutable("vpc_id", Value::refer("vpc", "id"))
            .immutable("cidr", "10.0.0.0/24"),
        node("subnet", "subnet/b")
            .immutable("vpc_id", Value::refer("vpc", "id"))
            .immutable("cidr", "10.0.1.0/24"),
        node("nat", "nat/a").immutable("subnet_id", Value::refer("subnet/a", "id")),
        node("rt", "rt/a")
            .immutable("vpc_id", Value::refer("vpc", "id"))
            .prop("route", Value::refer("nat/a", "id"))
            .prop(
                "subnets",
                Value::Set(vec![
                    Value::refer("subnet/a", "id"),
                    Value::refer("subnet/b", "id"),
                ]),
            ),
    ]
}

/// The kinds, each with the properties whose references hold their target in the fake (AWS
/// refuses to delete a subnet a NAT gateway is in).
fn registry(cloud: &FakeCloud) -> Registry {
    let mut r = Registry::new();
    r.register(cloud.kind("vpc", &[], &["cidr"]));
    r.register(cloud.kind("subnet", &["vpc"], &["cidr", "vpc_id"]));
    r.register(cloud.kind("nat", &["subnet"], &["subnet_id"]));
    r.register(cloud.kind("rt", &["vpc", "subnet", "nat"], &["vpc_id"]));
    r.register(cloud.kind("thing", &[], &[]));
    r.register(cloud.versioned_kind("taskdef", &[]));
    r.register(cloud.kind("service", &["taskdef"], &[]));
    r
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(5),
        max_attempts: 6,
    }
}

async fn plan_for(cloud: &FakeCloud, nodes: &[Node]) -> Plan {
    let reg = registry(cloud);
    let inv = discover(&reg, STACK, 4).await.unwrap();
    plan(nodes, &inv, &reg).unwrap()
}

async fn up(cloud: &FakeCloud, nodes: &[Node]) -> Report {
    let reg = registry(cloud);
    let inv = discover(&reg, STACK, 4).await.unwrap();
    let p = plan(nodes, &inv, &reg).unwrap();
    Executor::new(reg)
        .retry(fast())
        .apply(&p, nodes, &inv)
        .await
}

async fn down(cloud: &FakeCloud, nodes: &[Node]) -> Report {
    let reg = registry(cloud);
    let inv = discover(&reg, STACK, 4).await.unwrap();
    Executor::new(reg)
        .retry(fast())
        .apply(&plan_destroy(nodes, &inv), nodes, &inv)
        .await
}

fn position(log: &[(String, Op)], id: &str, op: Op) -> usize {
    log.iter()
        .position(|(i, o)| i == id && *o == op)
        .unwrap_or_else(|| panic!("{id} {op:?} never called"))
}

#[tokio::test]
async fn creates_in_dependency_order_and_deletes_in_reverse() {
    let cloud = FakeCloud::new();
    let report = up(&cloud, &network()).await;
    assert!(report.is_success(), "{}", report.render_summary());
    assert_eq!(report.created, 5);
    let log = cloud.log();
    assert!(position(&log, "vpc", Op::Create) < position(&log, "subnet/a", Op::Create));
    assert!(position(&log, "subnet/a", Op::Create) < position(&log, "nat/a", Op::Create));
    assert!(position(&log, "nat/a", Op::Create) < position(&log, "rt/a", Op::Create));
    assert!(position(&log, "subnet/b", Op::Create) < position(&log, "rt/a", Op::Create));

    let report = down(&cloud, &[]).await; // no nodes: kind order alone must be enough
    assert!(report.is_success(), "{}", report.render_summary());
    assert_eq!(report.deleted, 5);
    assert!(cloud.is_empty());
    let log = cloud.log();
    assert!(position(&log, "rt/a", Op::Delete) < position(&log, "nat/a", Op::Delete));
    assert!(position(&log, "nat/a", Op::Delete) < position(&log, "subnet/a", Op::Delete));
    assert!(position(&log, "subnet/b", Op::Delete) < position(&log, "vpc", Op::Delete));
}

#[tokio::test]
async fn runs_independent_nodes_in_parallel_up_to_the_limit() {
    let cloud = FakeCloud::new();
    let nodes: Vec<Node> = (0..20)
        .map(|i| node("thing", &format!("thing/{i}")))
        .collect();
    for i in 0..20 {
        cloud.set_latency(&format!("thing/{i}"), Duration::from_millis(50));
    }
    let reg = registry(&cloud);
    let inv = discover(&reg, STACK, 4).await.unwrap();
    let p = plan(&nodes, &inv, &reg).unwrap();
    let started = std::time::Instant::now();
    let report = Executor::new(reg)
        .parallelism(10)
        .apply(&p, &nodes, &inv)
        .await;
    assert!(report.is_success());
    assert_eq!(
        cloud.max_in_flight(),
        10,
        "exactly the limit at once, never more"
    );
    // Two waves of 50 ms, not twenty.
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn starts_a_node_as_soon_as_its_own_dependencies_are_done() {
    let cloud = FakeCloud::new();
    // A slow, unrelated branch must not hold back subnet/a's dependants.
    let mut nodes = network();
    nodes.push(node("thing", "slow"));
    cloud.set_latency("slow", Duration::from_millis(300));
    let report = up(&cloud, &nodes).await;
    assert!(report.is_success());
    let log = cloud.log();
    let nat = position(&log, "nat/a", Op::Create);
    let rt = position(&log, "rt/a", Op::Create);
    // The whole chain ran while `slow` was in flight: `slow` started before and logged first,
    // but the executor did not wait for it to finish.
    assert!(position(&log, "slow", Op::Create) < nat && nat < rt);
    assert!(report.elapsed < Duration::from_millis(600));
}

#[tokio::test]
async fn converges_and_a_second_apply_changes_nothing() {
    let cloud = FakeCloud::new();
    assert!(up(&cloud, &network()).await.is_success());
    let p = plan_for(&cloud, &network()).await;
    assert!(!p.has_changes(), "{p:?}");
    let before = cloud.mutations();
    let report = up(&cloud, &network()).await;
    assert_eq!(cloud.mutations(), before, "no create, update or delete");
    assert_eq!(report.unchanged, 5);
}

#[tokio::test]
async fn plans_updates_field_by_field_and_replaces_immutable_changes() {
    let cloud = FakeCloud::new();
    up(&cloud, &network()).await;
    let mut nodes = network();
    nodes[4] = nodes[4]
        .clone()
        .prop("subnets", Value::Set(vec![Value::refer("subnet/a", "id")]));
    let p = plan_for(&cloud, &nodes).await;
    let step = p.step(&"rt/a".into()).unwrap();
    let Action::Update(changes) = &step.action else {
        panic!("{:?}", step.action)
    };
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].field, Field::Prop("subnets".into()));
    assert_eq!(
        changes[0].old.as_ref().unwrap().as_array().unwrap().len(),
        2
    );
    assert_eq!(
        changes[0].new.as_ref().unwrap().as_array().unwrap().len(),
        1
    );

    // A new subnet CIDR replaces the subnet, and the NAT, whose immutable subnet_id refers to
    // it, is replaced too; the route table's (mutable) route is an update.
    let mut nodes = network();
    nodes[1] = nodes[1].clone().immutable("cidr", "10.0.9.0/24");
    let p = plan_for(&cloud, &nodes).await;
    assert!(matches!(
        p.step(&"subnet/a".into()).unwrap().action,
        Action::Replace(_)
    ));
    assert!(matches!(
        p.step(&"nat/a".into()).unwrap().action,
        Action::Replace(_)
    ));
    let rt = &p.step(&"rt/a".into()).unwrap().action;
    assert!(
        matches!(rt, Action::Update(c) if c.iter().any(|c| c.field == Field::Prop("route".into()) && c.new.is_none()))
    );
    assert_eq!(p.summary().replace, 2);
    let report = up(&cloud, &nodes).await;
    assert!(report.is_success(), "{}", report.render_summary());
    assert_eq!(report.replaced, 2);
    assert!(!plan_for(&cloud, &nodes).await.has_changes());
    assert!(cloud.count_by_id().values().all(|n| *n == 1));
}

#[tokio::test]
async fn an_updated_revision_updates_its_dependants() {
    let cloud = FakeCloud::new();
    let nodes = |image: &str| {
        vec![
            node("taskdef", "task/web").prop("image", image),
            node("service", "service/web").prop("task", Value::refer("task/web", "arn")),
        ]
    };
    up(&cloud, &nodes("web:1")).await;
    let p = plan_for(&cloud, &nodes("web:2")).await;
    assert!(
        matches!(
            p.step(&"service/web".into()).unwrap().action,
            Action::Update(_)
        ),
        "{p:?}"
    );
    let report = up(&cloud, &nodes("web:2")).await;
    assert_eq!(report.updated, 2);
    assert!(!plan_for(&cloud, &nodes("web:2")).await.has_changes());
}

#[tokio::test]
async fn plans_tag_changes() {
    let cloud = FakeCloud::new();
    up(&cloud, &network()).await;
    let tags = Tags::from([("team".to_string(), "infra".to_string())]);
    let mut nodes = network();
    nodes[0] = Node::new("vpc", "vpc", STACK, &tags).immutable("cidr", "10.0.0.0/16");
    let p = plan_for(&cloud, &nodes).await;
    let Action::Update(c) = &p.step(&"vpc".into()).unwrap().action else {
        panic!()
    };
    assert_eq!(
        c,
        &vec![FieldChange {
            field: Field::Tag("team".into()),
            old: None,
            new: Some("infra".into()),
            replaces: false,
        }]
    );
    // Tag-only changes of a dependency don't ripple into its dependants.
    assert_eq!(p.summary().update, 1);
    up(&cloud, &nodes).await;
    let p = plan_for(&cloud, &network()).await;
    let Action::Update(c) = &p.step(&"vpc".into()).unwrap().action else {
        panic!()
    };
    assert_eq!(
        c,
        &vec![FieldChange {
            field: Field::Tag("team".into()),
            old: Some("infra".into()),
            new: None,
            replaces: false,
        }]
    );
}

#[tokio::test]
async fn deletes_what_left_the_manifest_in_kind_order() {
    let cloud = FakeCloud::new();
    up(&cloud, &network()).await;
    let nodes: Vec<Node> = network()
        .into_iter()
        .filter(|n| n.id.as_str() != "nat/a")
        .map(|mut n| {
            if n.props.contains_key("route") {
                n = n.prop("route", "");
            }
            n
        })
        .collect();
    let p = plan_for(&cloud, &nodes).await;
    assert_eq!(p.step(&"nat/a".into()).unwrap().action, Action::Delete);
    let report = up(&cloud, &nodes).await;
    assert!(report.is_success(), "{}", report.render_summary());
    assert_eq!((report.deleted, report.updated), (1, 1));
    assert!(!cloud.count_by_id().contains_key("nat/a"));
    // The route table moved off the NAT gateway before the gateway went.
    let log = cloud.log();
    assert!(position(&log, "rt/a", Op::Update) < position(&log, "nat/a", Op::Delete));
}

#[tokio::test]
async fn two_resources_with_one_logical_id_are_an_error_naming_both() {
    let cloud = FakeCloud::new();
    let a = cloud.insert("vpc", "vpc", STACK);
    let b = cloud.insert("vpc", "vpc", STACK);
    let err = discover(&registry(&cloud), STACK, 4)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&a) && err.contains(&b) && err.contains("vpc"),
        "{err}"
    );
}

#[tokio::test]
async fn retries_throttling_and_counts_it() {
    let cloud = FakeCloud::new();
    cloud.fail(Op::Create, None, ErrorClass::Throttled, 3);
    let report = up(&cloud, &network()).await;
    assert!(report.is_success(), "{}", report.render_summary());
    assert_eq!(report.retries, 3);
    assert!(report.render_summary().contains("3 retries"));
    assert!(!plan_for(&cloud, &network()).await.has_changes());
}

#[tokio::test]
async fn a_fatal_error_stops_new_work_and_reports_what_was_not_done() {
    let cloud = FakeCloud::new();
    cloud.fail(Op::Create, Some("subnet/a"), ErrorClass::Fatal, 1);
    let report = up(&cloud, &network()).await;
    assert!(!report.is_success());
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].id.as_str(), "subnet/a");
    let mut not_started: Vec<&str> = report.not_started.iter().map(|i| i.as_str()).collect();
    not_started.sort();
    assert_eq!(not_started, vec!["nat/a", "rt/a"]);
    let summary = report.render_summary();
    assert!(
        summary.contains("subnet/a: create failed")
            && summary.contains("run the same command again"),
        "{summary}"
    );
    // The rerun picks up where it stopped.
    assert!(up(&cloud, &network()).await.is_success());
    assert!(!plan_for(&cloud, &network()).await.has_changes());
}

#[tokio::test]
async fn waits_for_a_resource_that_is_not_ready_until_its_deadline_then_gives_up() {
    let cloud = FakeCloud::new();
    cloud.fail(Op::Create, Some("vpc"), ErrorClass::NotReady, 10_000);
    let reg = registry(&cloud);
    let inv = discover(&reg, STACK, 4).await.unwrap();
    let p = plan(&network(), &inv, &reg).unwrap();
    let started = std::time::Instant::now();
    let report = Executor::new(reg)
        .retry(fast())
        .op_timeout(Duration::from_millis(300))
        .apply(&p, &network(), &inv)
        .await;
    assert_eq!(report.failed.len(), 1);
    // Not ready is eventual consistency: more attempts than the throttling budget, bounded by
    // the deadline and nothing else.
    assert!(report.retries > fast().max_attempts, "{}", report.retries);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        report.failed[0]
            .to_string()
            .starts_with("vpc: create failed"),
        "{}",
        report.failed[0]
    );
}

#[tokio::test]
async fn gives_up_on_throttling_after_its_attempts() {
    let cloud = FakeCloud::new();
    cloud.fail(Op::Create, Some("vpc"), ErrorClass::Throttled, 100);
    let report = up(&cloud, &network()).await;
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.retries, fast().max_attempts - 1);
}

#[tokio::test]
async fn an_ordering_edge_without_a_reference_is_respected_both_ways() {
    let cloud = FakeCloud::new();
    let mut nodes = network();
    // A NAT gateway needs the internet gateway attached, yet names nothing of it.
    nodes.push(node("thing", "igw"));
    let nat = nodes.iter_mut().find(|n| n.id.as_str() == "nat/a").unwrap();
    *nat = nat.clone().after("igw");
    cloud.set_latency("igw", Duration::from_millis(50));
    assert!(up(&cloud, &nodes).await.is_success());
    let log = cloud.log();
    assert!(position(&log, "igw", Op::Create) < position(&log, "nat/a", Op::Create));
    assert!(!plan_for(&cloud, &nodes).await.has_changes());
    assert!(down(&cloud, &nodes).await.is_success());
    let log = cloud.log();
    assert!(position(&log, "nat/a", Op::Delete) < position(&log, "igw", Op::Delete));
}

#[tokio::test]
async fn retries_dependency_violations_while_deleting() {
    let cloud = FakeCloud::new();
    up(&cloud, &network()).await;
    // Without kind order the subnet's delete may run first and meet the NAT still using it.
    cloud.fail(Op::Delete, Some("vpc"), ErrorClass::DependencyViolation, 2);
    let report = down(&cloud, &network()).await;
    assert!(report.is_success(), "{}", report.render_summary());
    assert_eq!(report.retries, 2);
    assert!(cloud.is_empty());
}

#[tokio::test]
async fn resumes_after_a_crash_at_every_position() {
    let ids: Vec<String> = network().iter().map(|n| n.id.to_string()).collect();
    let mut retries = 0;
    for crashed in &ids {
        let cloud = FakeCloud::new();
        cloud.crash_after_create(crashed);
        let first = up(&cloud, &network()).await;
        assert!(!first.is_success(), "crash at {crashed} must fail the run");
        let second = up(&cloud, &network()).await;
        assert!(
            second.is_success(),
            "resume after crash at {crashed}: {}",
            second.render_summary()
        );
        assert!(
            cloud.count_by_id().values().all(|n| *n == 1),
            "duplicates after crash at {crashed}: {:?}",
            cloud.count_by_id()
        );
        assert_eq!(cloud.len(), ids.len());
        assert!(
            !plan_for(&cloud, &network()).await.has_changes(),
            "plan not empty after crash at {crashed}"
        );
        assert!(down(&cloud, &network()).await.is_success());
        assert!(cloud.is_empty());
        retries += u64::from(first.retries + second.retries);
    }
    // A row of `make reliability`'s table: every position converged, nothing leaked.
    println!(
        "RELIABILITY\tcrash after each create, then up (fake cloud)\t{n}\t{n}\t0\t{retries}",
        n = ids.len()
    );
}

#[tokio::test]
async fn destroy_removes_orphans_too() {
    let cloud = FakeCloud::new();
    up(&cloud, &network()).await;
    cloud.insert("subnet", "subnet/old", STACK);
    cloud.insert("subnet", "subnet/other-stack", "other");
    let report = down(&cloud, &network()).await;
    assert!(report.is_success(), "{}", report.render_summary());
    assert_eq!(report.deleted, 6);
    assert_eq!(
        cloud.count_by_id().keys().collect::<Vec<_>>(),
        vec!["subnet/other-stack"],
        "another stack's resource is never touched"
    );
}

#[tokio::test]
async fn a_resource_made_by_hand_with_the_stack_tag_is_reported_left_alone_then_deleted_by_down() {
    let cloud = FakeCloud::new();
    up(&cloud, &network()).await;
    let by_hand = cloud.insert_by_hand("subnet", STACK);
    let p = plan_for(&cloud, &network()).await;
    assert!(!p.has_changes(), "up must not plan to delete it: {p:?}");
    assert_eq!(
        p.unmanaged,
        vec![Unmanaged {
            kind: "subnet",
            cloud_id: by_hand.clone(),
            name: Some("made-by-hand".into()),
        }]
    );
    assert!(up(&cloud, &network()).await.is_success());
    assert!(cloud.len() == 6, "up left it in place");
    let report = down(&cloud, &network()).await;
    assert!(report.is_success(), "{}", report.render_summary());
    assert_eq!(report.deleted, 6, "down deletes it with the rest");
    assert!(cloud.is_empty());
}

#[test]
fn rejects_cycles_and_unknown_references() {
    let cloud = FakeCloud::new();
    let reg = registry(&cloud);
    let inv = Inventory::default();
    let cyclic = vec![
        node("thing", "a").prop("x", Value::refer("b", "id")),
        node("thing", "b").prop("x", Value::refer("a", "id")),
    ];
    let err = plan(&cyclic, &inv, &reg).unwrap_err().to_string();
    assert!(
        err.contains("cycle") && err.contains("a -> b -> a"),
        "{err}"
    );
    let dangling = vec![node("thing", "a").prop("x", Value::refer("nope", "id"))];
    assert!(
        plan(&dangling, &inv, &reg)
            .unwrap_err()
            .to_string()
            .contains("nope")
    );
}

#[tokio::test]
async fn a_retried_create_finds_what_the_failed_attempt_made() {
    let cloud = FakeCloud::new();
    cloud.fail_after_create("subnet/a", ErrorClass::Throttled);
    let report = up(&cloud, &network()).await;
    assert!(report.is_success(), "{}", report.render_summary());
    assert_eq!(report.retries, 1);
    assert_eq!(
        cloud.count_by_id()["subnet/a"],
        1,
        "the retry adopted the subnet instead of making another"
    );
    assert_eq!(
        cloud.calls("subnet", Op::Create),
        2,
        "one create per subnet: the retry only looked"
    );
    assert!(!plan_for(&cloud, &network()).await.has_changes());
}

#[tokio::test]
async fn create_only_properties_are_never_compared() {
    let cloud = FakeCloud::new();
    let nodes = |n: u32| vec![node("thing", "svc").create_only("count", n)];
    up(&cloud, &nodes(2)).await;
    // The count changed outside berth (autoscaling): no drift, no update.
    assert!(!plan_for(&cloud, &nodes(5)).await.has_changes());
}

#[test]
fn a_properties_struct_round_trips_and_rejects_what_it_does_not_declare() {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Props {
        cidr: String,
        public: bool,
    }
    let written = Props {
        cidr: "10.0.0.0/24".into(),
        public: true,
    };
    let found = Observed::new("thing", "a", "id-1").with_props(&written);
    assert_eq!(found.props["public"], true, "a bool stays a bool");
    assert_eq!(found.typed::<Props>().unwrap(), written);

    let extra = found.clone().prop("typo", "x");
    let err = extra.typed::<Props>().unwrap_err().to_string();
    assert!(
        err.contains("a:") && err.contains("unknown field `typo`"),
        "{err}"
    );
    let wrong = found.prop("public", "yes");
    let err = wrong.typed::<Props>().unwrap_err().to_string();
    assert!(err.contains("expected a boolean"), "{err}");
}

#[tokio::test]
async fn waiting_on_the_user_stops_only_what_depends_on_it() {
    let cloud = FakeCloud::new();
    cloud.fail(Op::Create, Some("subnet/a"), ErrorClass::AwaitingUser, 1);
    let report = up(&cloud, &network()).await;
    assert!(report.is_awaiting_user(), "{}", report.render_summary());
    let mut not_started: Vec<&str> = report.not_started.iter().map(|i| i.as_str()).collect();
    not_started.sort();
    assert_eq!(
        not_started,
        vec!["nat/a", "rt/a"],
        "only its dependants wait"
    );
    assert_eq!(cloud.len(), 2, "the rest was made: vpc, subnet/b");
    let summary = report.render_summary();
    assert!(
        summary.contains("waiting:     subnet/a") && summary.contains("carries on"),
        "{summary}"
    );
    assert!(up(&cloud, &network()).await.is_success());
    assert!(!plan_for(&cloud, &network()).await.has_changes());
}
