//! Reading product documents, offline. The documents are cut down from AWS's offer format
//! (only the fields berth reads, and those AWS always sends).

use super::*;

/// A product document: its usage type, other attributes (in eu-west-2 unless they say), and
/// on-demand tiers (begin, USD).
fn document(usagetype: &str, attributes: &[(&str, &str)], tiers: &[(&str, &str)]) -> String {
    let mut attrs: BTreeMap<&str, &str> = [("regionCode", "eu-west-2")].into();
    attrs.extend(attributes.iter().copied());
    attrs.insert("usagetype", usagetype);
    let dimensions: serde_json::Map<String, serde_json::Value> = tiers
        .iter()
        .enumerate()
        .map(|(i, (begin, usd))| {
            (
                format!("SKU.JRTCKXETXF.RATE{i}"),
                serde_json::json!({"unit": "Hrs", "beginRange": begin, "endRange": "Inf",
                                   "pricePerUnit": {"USD": usd}}),
            )
        })
        .collect();
    serde_json::json!({
        "product": {"productFamily": "X", "attributes": attrs, "sku": "SKU"},
        "serviceCode": "X",
        "terms": {
            "OnDemand": {"SKU.JRTCKXETXF": {"priceDimensions": dimensions, "sku": "SKU"}},
            "Reserved": {"SKU.4NA7Y494T4": {"priceDimensions": {}}},
        },
    })
    .to_string()
}

fn product(service: &str, usagetype: &str, usd: &str) -> Product {
    Product::parse(service, &document(usagetype, &[], &[("0", usd)])).unwrap()
}

fn product_in(region: &str, service: &str, usagetype: &str, usd: &str) -> Product {
    let attributes = [("regionCode", region)];
    Product::parse(service, &document(usagetype, &attributes, &[("0", usd)])).unwrap()
}

const LINUX: &[(&str, &str)] = &[
    ("operatingSystem", "Linux"),
    ("tenancy", "Shared"),
    ("preInstalledSw", "NA"),
    ("capacitystatus", "Used"),
    ("operation", "RunInstances"),
];

fn instance(instance_type: &str, extra: &[(&str, &str)], usd: &str) -> Product {
    let mut attributes = LINUX.to_vec();
    attributes.push(("instanceType", instance_type));
    attributes.extend_from_slice(extra);
    let usagetype = format!("EUW2-BoxUsage:{instance_type}");
    Product::parse(
        "AmazonEC2",
        &document(&usagetype, &attributes, &[("0", usd)]),
    )
    .unwrap()
}

/// Every rate of RATES at `usd`, as eu-west-2 lists them.
fn every_rate(usd: &str) -> Vec<Product> {
    every_rate_in("eu-west-2", "EUW2", usd)
}

fn every_rate_in(region: &str, prefix: &str, usd: &str) -> Vec<Product> {
    RATES
        .iter()
        .map(|r| {
            let usagetype = format!("{prefix}-{}", r.listed.usagetype);
            product_in(region, r.listed.service, &usagetype, usd)
        })
        .collect()
}

fn shipped() -> Option<Prices> {
    Prices::shipped("eu-west-2")
}

#[test]
fn a_usage_type_is_matched_with_or_without_its_region_prefix() {
    let is = |usagetype: &str, wanted: &str| product("S", usagetype, "1").is(wanted);
    assert!(is("NatGateway-Hours", "NatGateway-Hours"));
    assert!(is("EUW2-NatGateway-Hours", "NatGateway-Hours"));
    assert!(is("EU-NatGateway-Hours", "NatGateway-Hours"));
    assert!(is(
        "USE1-PublicIPv4:InUseAddress",
        "PublicIPv4:InUseAddress"
    ));
    assert!(is(
        "APN1-SpotUsage-Fargate-GB-Hours",
        "SpotUsage-Fargate-GB-Hours"
    ));
    // Other charges that end the same way.
    assert!(!is("EUW2-RegionalNatGateway-Hours", "NatGateway-Hours"));
    assert!(!is("SpotUsage-Fargate-GB-Hours", "Fargate-GB-Hours"));
    assert!(!is("EUW2-Fargate-ARM-GB-Hours", "Fargate-GB-Hours"));
    assert!(!is("EUW2-NatGateway-Hours-X", "NatGateway-Hours"));
}

#[test]
fn the_first_paid_tier_is_the_price() {
    // Route 53: the first 25 zones at $0.50, the rest at $0.10; tiers in any order.
    let zone = document("HostedZone", &[], &[("25", "0.10"), ("0", "0.50")]);
    assert_eq!(
        Product::parse("AmazonRoute53", &zone).unwrap().usd,
        Some(0.5)
    );
    // A free allowance first (the first 5 GB of logs, say) is not the price.
    let logs = document(
        "EUW2-DataProcessing-Bytes",
        &[],
        &[("0", "0.00"), ("5", "0.57")],
    );
    assert_eq!(
        Product::parse("AmazonCloudWatch", &logs).unwrap().usd,
        Some(0.57)
    );
    let free = document("EUW2-Free", &[], &[("0", "0.0000000000")]);
    assert_eq!(Product::parse("AmazonEC2", &free).unwrap().usd, None);
}

#[test]
fn a_document_berth_cannot_read_is_an_error_not_a_zero() {
    let err = Product::parse("AmazonEC2", "{\"terms\": {}}").unwrap_err();
    assert!(err.message.contains("AmazonEC2 product document"), "{err}");
}

#[test]
fn every_rate_found_replaces_the_table() {
    let prices = read_prices("eu-west-2", shipped(), &every_rate("0.123"), "2026-12-05").unwrap();
    for rate in &RATES {
        assert_eq!(prices.rates.get(rate), 0.123, "{}", rate.label);
    }
    assert!(prices.kept.is_empty());
    assert_eq!(prices.as_of, "2026-12-05");
    assert_eq!(prices.region, "eu-west-2");
    assert!(prices.source.contains("Price List"));
}

#[test]
fn a_rate_missing_or_listed_twice_keeps_the_tables_figure_and_says_so() {
    let table = shipped().unwrap().rates;
    let mut products: Vec<Product> = every_rate("0.123")
        .into_iter()
        .filter(|p| !p.usagetype.ends_with("SpotUsage-Fargate-GB-Hours"))
        .collect();
    // Two NAT gateway hour prices: which one applies cannot be told.
    products.push(product("AmazonEC2", "NatGateway-Hours", "0.9"));
    // The same price twice is one price.
    products.push(product("AmazonECR", "EUW2-TimedStorage-ByteHrs", "0.123"));
    let prices = read_prices("eu-west-2", shipped(), &products, "2026-12-05").unwrap();
    assert_eq!(
        prices.kept,
        ["NAT gateway", "Fargate Spot, per GB (typical)"]
    );
    assert_eq!(prices.rates.nat_gateway_hour, table.nat_gateway_hour);
    assert_eq!(
        prices.rates.fargate_spot_gb_hour,
        table.fargate_spot_gb_hour
    );
    assert_eq!(prices.rates.ecr_storage_gb_month, 0.123);
}

#[test]
fn a_rate_of_another_service_is_not_taken() {
    let mut products = every_rate("0.123");
    products.retain(|p| p.service != "AmazonECR");
    // S3 bills storage under the same usage type.
    products.push(product("AmazonS3", "EUW2-TimedStorage-ByteHrs", "0.024"));
    let prices = read_prices("eu-west-2", shipped(), &products, "2026-12-05").unwrap();
    assert_eq!(prices.kept, ["images kept (ECR), per GB-month"]);
}

#[test]
fn linux_on_demand_instances_only() {
    let mut products = every_rate("0.1");
    products.extend([
        instance("t3.small", &[], "0.0236"),
        instance("c7i.large", &[("marketoption", "OnDemand")], "0.1058"),
        // Red Hat on the same instance type, and a Capacity Block: other prices.
        instance("t3.small", &[("operation", "RunInstances:0010")], "0.0836"),
        instance(
            "p5.48xlarge",
            &[("marketoption", "CapacityBlock")],
            "31.464",
        ),
        // A usage type that is not the instance's own hour (dedicated usage).
        Product::parse(
            "AmazonEC2",
            &document(
                "EUW2-DedicatedUsage:t3.small",
                &[LINUX, &[("instanceType", "t3.small")]].concat(),
                &[("0", "0.9")],
            ),
        )
        .unwrap(),
    ]);
    let prices = read_prices("eu-west-2", shipped(), &products, "2026-12-05").unwrap();
    assert_eq!(prices.instance_hour("t3.small"), Some(0.0236));
    assert_eq!(prices.instance_hour("c7i.large"), Some(0.1058));
    assert_eq!(prices.instance_hour("p5.48xlarge"), None);
    // A type the answer lacks keeps the table's price.
    assert_eq!(
        prices.instance_hour("m5.large"),
        shipped().unwrap().instance_hour("m5.large")
    );
}

#[test]
fn no_answer_for_the_region_saves_nothing() {
    let err = read_prices("eu-wset-2", None, &[], "2026-12-05").unwrap_err();
    assert!(matches!(err, RefreshError::Nothing(_)), "{err}");
    assert!(err.to_string().contains("eu-wset-2"), "{err}");
    // Route 53 answers for any region: that alone is not the region's prices.
    let zone = document("HostedZone", &[("regionCode", "")], &[("0", "0.5")]);
    let global = [Product::parse("AmazonRoute53", &zone).unwrap()];
    let err = read_prices(
        "eu-west-3",
        Prices::shipped("eu-west-3"),
        &global,
        "2026-12-05",
    );
    assert!(matches!(err, Err(RefreshError::Nothing(_))));
}

#[test]
fn a_region_outside_the_table_needs_every_rate() {
    let mut products = every_rate_in("me-central-1", "MEC1", "0.2");
    products.retain(|p| !p.usagetype.ends_with("-HostedZone"));
    let err = read_prices("me-central-1", None, &products, "2026-12-05").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the AWS Price List has no hosted zone, per month in me-central-1, and berth's table \
         has no figure of its own there to keep: nothing saved"
    );
    let products = every_rate_in("me-central-1", "MEC1", "0.2");
    let prices = read_prices("me-central-1", None, &products, "2026-12-05").unwrap();
    assert_eq!(prices.rates.hosted_zone_month, 0.2);
    assert!(prices.instances.is_empty());
}
