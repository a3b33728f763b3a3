//! `berth prices --refresh`: a region's prices read from the AWS Price List Query API.
//!
//! One GetProducts query per distinct place in [`RATES`] (service, filters) and one for Linux
//! on-demand instances, all at once. Each answer is pages of product documents in AWS's offer
//! format: `product.attributes.usagetype` says what is charged, and
//! `terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD` how much
//! (<https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-price-list-query-api.html>).
//! The API answers in us-east-1 (and eu-central-1, ap-south-1) only, for every region: the
//! client is built for us-east-1 (see `client.rs`).
//!
//! A rate the answer lacks, or lists at two different prices, keeps the table's figure and is
//! named in [`Prices::kept`]: a refresh never guesses.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_pricing::types::{Filter, FilterType};
use berth_engine::CloudError;
use serde::Deserialize;

use super::prices::{Listed, Prices, RATES};
use crate::error::classify;

/// Where Linux on-demand instance prices are: shared tenancy, no preinstalled software, not a
/// capacity reservation (the filters karpenter-provider-aws uses for the same prices). Each
/// product's usage type is `BoxUsage:<instance type>`.
const INSTANCES: Listed = Listed {
    service: "AmazonEC2",
    regional: true,
    filters: &[
        ("operatingSystem", "Linux"),
        ("tenancy", "Shared"),
        ("preInstalledSw", "NA"),
        ("capacitystatus", "Used"),
    ],
    usagetype: "BoxUsage",
};

/// Why a refresh changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error(
        "the AWS Price List refused or failed: {0}. Reading it needs pricing:GetProducts (any \
         region's credentials will do); the prices berth had are unchanged"
    )]
    Api(CloudError),
    #[error("the AWS Price List has no prices for {0}: is it a region code (e.g. eu-west-2)?")]
    Nothing(String),
    #[error(
        "the AWS Price List has no {missing} in {region}, and berth's table has no figure of its \
         own there to keep: nothing saved",
        missing = .missing.join(", ")
    )]
    Incomplete {
        region: String,
        missing: Vec<&'static str>,
    },
}

/// Read `region`'s prices from the Price List, dated today. `shipped` supplies what the answer
/// lacks; `on_page` hears the running count of products read.
pub async fn refresh(
    client: &aws_sdk_pricing::Client,
    region: &str,
    shipped: Option<Prices>,
    on_page: &(dyn Fn(usize) + Send + Sync),
) -> Result<Prices, RefreshError> {
    let mut places: Vec<Listed> = Vec::new();
    for listed in RATES.iter().map(|r| r.listed).chain([INSTANCES]) {
        let same = |p: &Listed| {
            (p.service, p.regional, p.filters) == (listed.service, listed.regional, listed.filters)
        };
        if !places.iter().any(same) {
            places.push(listed);
        }
    }
    let read = AtomicUsize::new(0);
    let answers = futures::future::try_join_all(
        places
            .iter()
            .map(|place| products(client, region, place, &read, on_page)),
    )
    .await
    .map_err(RefreshError::Api)?;
    read_prices(region, shipped, &answers.concat(), &today())
}

/// Today's date in UTC, `YYYY-MM-DD`.
fn today() -> String {
    let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
    let text = now
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .expect("the present is a valid date");
    text[..10].to_string()
}

/// Every product GetProducts lists at `place`, page after page.
async fn products(
    client: &aws_sdk_pricing::Client,
    region: &str,
    place: &Listed,
    read: &AtomicUsize,
    on_page: &(dyn Fn(usize) + Send + Sync),
) -> Result<Vec<Product>, CloudError> {
    let term = |field: &str, value: &str| {
        Filter::builder()
            .r#type(FilterType::TermMatch)
            .field(field)
            .value(value)
            .build()
            .expect("type, field and value are set")
    };
    let mut request = client
        .get_products()
        .service_code(place.service)
        .format_version("aws_v1")
        .max_results(100);
    if place.regional {
        request = request.filters(term("regionCode", region));
    }
    for (field, value) in place.filters {
        request = request.filters(term(field, value));
    }
    let mut pages = request.into_paginator().send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(classify)?;
        for document in page.price_list() {
            found.push(Product::parse(place.service, document)?);
        }
        let count = page.price_list().len();
        on_page(read.fetch_add(count, Ordering::Relaxed) + count);
    }
    Ok(found)
}

/// The part of a Price List product document berth reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub service: String,
    pub usagetype: String,
    pub attributes: BTreeMap<String, String>,
    /// The on-demand price per unit of its first paid tier (a free tier is skipped: the first
    /// 25 hosted zones cost $0.50 each, later ones $0.10), if it has one.
    pub usd: Option<f64>,
}

#[derive(Deserialize)]
struct Document {
    product: DocumentProduct,
    #[serde(default)]
    terms: Terms,
}

#[derive(Deserialize)]
struct DocumentProduct {
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
struct Terms {
    #[serde(rename = "OnDemand", default)]
    on_demand: BTreeMap<String, Term>,
}

#[derive(Deserialize)]
struct Term {
    #[serde(rename = "priceDimensions", default)]
    dimensions: BTreeMap<String, Dimension>,
}

#[derive(Deserialize)]
struct Dimension {
    #[serde(rename = "beginRange", default)]
    begin: String,
    #[serde(rename = "pricePerUnit", default)]
    price: BTreeMap<String, String>,
}

impl Product {
    pub fn parse(service: &str, document: &str) -> Result<Product, CloudError> {
        let document: Document = serde_json::from_str(document).map_err(|e| {
            CloudError::fatal(format!(
                "a {service} product document berth cannot read ({e}): has the Price List \
                 format changed? The prices berth had are unchanged"
            ))
        })?;
        let mut tiers: Vec<(f64, f64)> = document
            .terms
            .on_demand
            .values()
            .flat_map(|term| term.dimensions.values())
            .filter_map(|d| {
                let usd = d.price.get("USD")?.parse::<f64>().ok()?;
                let begin = d.begin.parse::<f64>().unwrap_or(0.0);
                Some((begin, usd))
            })
            .collect();
        tiers.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut attributes = document.product.attributes;
        Ok(Product {
            service: service.to_string(),
            usagetype: attributes.remove("usagetype").unwrap_or_default(),
            attributes,
            usd: tiers.into_iter().map(|t| t.1).find(|usd| *usd > 0.0),
        })
    }

    /// Whether this is `wanted`, a usage type as billed in us-east-1: elsewhere the Price List
    /// puts a region prefix in front (`EUW2-NatGateway-Hours`), and now and then in us-east-1
    /// too (`USE1-PublicIPv4:InUseAddress`). Only an upper-case prefix counts, so
    /// `SpotUsage-Fargate-GB-Hours` is not `Fargate-GB-Hours`, nor `EUW2-RegionalNatGateway-Hours`
    /// `NatGateway-Hours`.
    fn is(&self, wanted: &str) -> bool {
        self.usagetype == wanted
            || self
                .usagetype
                .split_once('-')
                .is_some_and(|(prefix, rest)| {
                    rest == wanted
                        && !prefix.is_empty()
                        && prefix
                            .bytes()
                            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                })
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }

    /// The instance type, when this is a Linux on-demand instance's hourly price.
    fn instance_type(&self) -> Option<&str> {
        if self.service != INSTANCES.service
            || self.attribute("operation") != Some("RunInstances")
            || !INSTANCES
                .filters
                .iter()
                .all(|(name, value)| self.attribute(name) == Some(*value))
            // Capacity Blocks for ML are listed next to on-demand, where the attribute exists.
            || self.attribute("marketoption").is_some_and(|m| m != "OnDemand")
        {
            return None;
        }
        let instance_type = self.attribute("instanceType")?;
        self.is(&format!("BoxUsage:{instance_type}"))
            .then_some(instance_type)
    }
}

/// The one price the products agree on; none when they are absent or disagree.
fn agreed<'a>(products: impl Iterator<Item = &'a Product>) -> Option<f64> {
    let prices: BTreeSet<u64> = products.filter_map(|p| p.usd).map(f64::to_bits).collect();
    match prices.len() {
        1 => prices.first().copied().map(f64::from_bits),
        _ => None,
    }
}

/// The prices `products` give for `region`, the rest from `shipped`.
pub fn read_prices(
    region: &str,
    shipped: Option<Prices>,
    products: &[Product],
    today: &str,
) -> Result<Prices, RefreshError> {
    // Route 53's prices are global: they answer for any region, even one that does not exist.
    if !products
        .iter()
        .any(|p| p.attribute("regionCode") == Some(region))
    {
        return Err(RefreshError::Nothing(region.to_string()));
    }
    let mut rates = shipped.as_ref().map(|p| p.rates).unwrap_or_default();
    let mut kept = Vec::new();
    for rate in &RATES {
        let listed = products
            .iter()
            .filter(|p| p.service == rate.listed.service && p.is(rate.listed.usagetype));
        match agreed(listed) {
            Some(usd) => *(rate.field)(&mut rates) = usd,
            None => kept.push(rate.label),
        }
    }
    if shipped.is_none() && !kept.is_empty() {
        return Err(RefreshError::Incomplete {
            region: region.to_string(),
            missing: kept,
        });
    }
    let mut instances = shipped.map(|p| p.instances).unwrap_or_default();
    let mut by_type: BTreeMap<&str, Vec<&Product>> = BTreeMap::new();
    for product in products {
        if let Some(instance_type) = product.instance_type() {
            by_type.entry(instance_type).or_default().push(product);
        }
    }
    for (instance_type, listed) in by_type {
        if let Some(usd) = agreed(listed.into_iter()) {
            instances.insert(instance_type.to_string(), usd);
        }
    }
    Ok(Prices {
        region: region.to_string(),
        as_of: today.to_string(),
        source: "the AWS Price List API (GetProducts)".to_string(),
        rates,
        instances,
        kept: kept.into_iter().map(str::to_string).collect(),
    })
}

#[cfg(test)]
mod tests;
