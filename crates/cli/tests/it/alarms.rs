//! Every service's alarms: made with the stack, its ECS deployment alarms (rolling back),
//! notifying the alerts topic; quoted with their datapoints when they fire.

use crate::common::*;

fn dimension(name: &str, value: &str) -> aws_sdk_cloudwatch::types::Dimension {
    aws_sdk_cloudwatch::types::Dimension::builder()
        .name(name)
        .value(value)
        .build()
}

#[tokio::test]
async fn alarms_gate_deployments_and_mail_the_alerts_address() {
    let aws = aws().await;
    let stack = unique_stack("alm");
    let text = fargate_web(&stack, 40, "alerts = \"ops@example.com\"\n")
        + "[service.web.alarms]\np99_ms = 800\n";
    let m = Manifest::new(&text);
    berth(&m.path, &["up", "--yes"]).success();
    let plan = berth(&m.path, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "converged\n{}{}", plan.stdout, plan.stderr);
    // What it costs, said even when nothing changes: Fargate in eu-west-2, one 0.25 vCPU /
    // 0.5 GB task (730 h × (0.25 × $0.04656 + 0.5 × $0.00511) = $10.36), among the rest.
    assert!(
        plan.stdout.contains("Estimated cost: $") && plan.stdout.contains("(eu-west-2, prices of"),
        "{}",
        plan.stdout
    );
    let json = berth(&m.path, &["plan", "--output", "json"]).success();
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let service = json["cost"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "service/web")
        .expect("the service priced");
    assert_eq!(service["monthly_usd"], 10.36);

    let alarms = aws
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(format!("{stack}-"))
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = alarms
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name())
        .collect();
    names.sort();
    let suffixes = ["cpu", "errors", "latency", "memory", "unhealthy"];
    let expected: Vec<String> = suffixes
        .iter()
        .map(|s| format!("{stack}-web-{s}"))
        .collect();
    assert_eq!(names, expected);
    let latency = alarms
        .metric_alarms()
        .iter()
        .find(|a| a.alarm_name().is_some_and(|n| n.ends_with("-latency")))
        .unwrap();
    assert_eq!(latency.threshold(), Some(0.8), "p99_ms = 800, in seconds");

    // The topic: the address subscribed, every alarm notifying it.
    let topics = aws.sns.list_topics().send().await.unwrap();
    let topic = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .find(|arn| arn.ends_with(&format!(":{stack}-alerts")))
        .expect("the alerts topic")
        .to_string();
    let subscriptions = aws
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    let endpoints: Vec<&str> = subscriptions
        .subscriptions()
        .iter()
        .filter_map(|s| s.endpoint())
        .collect();
    assert_eq!(endpoints, ["ops@example.com"]);
    for alarm in alarms.metric_alarms() {
        assert_eq!(
            alarm.alarm_actions(),
            std::slice::from_ref(&topic),
            "{alarm:?}"
        );
    }

    // ECS rolls a deployment back when any of them fires.
    let services = aws
        .ecs
        .describe_services()
        .cluster(&stack)
        .services("web")
        .send()
        .await
        .unwrap();
    let gate = services.services()[0]
        .deployment_configuration()
        .and_then(|d| d.alarms())
        .expect("deployment alarms");
    assert!(gate.enable() && gate.rollback());
    let mut gated = gate.alarm_names().to_vec();
    gated.sort();
    assert_eq!(gated, expected);

    // A firing alarm is quoted with CloudWatch's reason, which carries its datapoints.
    let reason = "Threshold Crossed: 3 out of the last 3 datapoints [12.5 (05/12/26 21:41:00)] \
                  were greater than the threshold (5.0)";
    aws.cloudwatch
        .set_alarm_state()
        .alarm_name(&expected[1])
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason(reason)
        .send()
        .await
        .unwrap();
    let firing = berth_aws::alarm::firing(&aws, &expected).await.unwrap();
    assert_eq!(firing, [format!("{}: {reason}", expected[1])]);

    // status: the last hour per service (here CPU, 30 -> 10 % over half an hour) and the
    // dashboard, which names the service's metrics.
    let now = std::time::SystemTime::now();
    for (minutes_ago, value) in [
        (31, 30.0),
        (26, 40.0),
        (21, 50.0),
        (16, 35.0),
        (11, 20.0),
        (6, 10.0),
    ] {
        let at = now - std::time::Duration::from_secs(minutes_ago * 60);
        aws.cloudwatch
            .put_metric_data()
            .namespace("AWS/ECS")
            .metric_data(
                aws_sdk_cloudwatch::types::MetricDatum::builder()
                    .metric_name("CPUUtilization")
                    .dimensions(dimension("ClusterName", &stack))
                    .dimensions(dimension("ServiceName", "web"))
                    .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from(at))
                    .value(value)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let status = berth(&m.path, &["status"]).success();
    let hour = status
        .stdout
        .lines()
        .find(|l| l.starts_with("  last hour "))
        .unwrap_or_else(|| panic!("{}", status.stdout));
    assert!(
        hour.contains("cpu 10.0% ▅▆█▅▃▁") && hour.contains("requests -"),
        "{hour}"
    );
    assert!(
        status
            .stdout
            .contains(&format!("#dashboards/dashboard/berth-{stack}")),
        "{}",
        status.stdout
    );
    let board = aws
        .cloudwatch
        .get_dashboard()
        .dashboard_name(format!("berth-{stack}"))
        .send()
        .await
        .unwrap();
    let body = board.dashboard_body().unwrap();
    assert!(
        body.contains("\"web: p99 latency (s)\"") && body.contains("TargetResponseTime"),
        "{body}"
    );

    // A new address: subscribed in place, the topic kept.
    m.rewrite(&text.replace("ops@example.com", "oncall@example.com"));
    let up = berth(&m.path, &["up", "--yes"]).success();
    assert!(up.stdout.contains("~ alerts"), "{}", up.stdout);
    let subscriptions = aws
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    assert!(
        subscriptions
            .subscriptions()
            .iter()
            .any(|s| s.endpoint() == Some("oncall@example.com")),
        "{subscriptions:?}"
    );

    berth(&m.path, &["down", "--yes"]).success();
    assert!(leaked(&aws, &stack).await.is_empty());
}
