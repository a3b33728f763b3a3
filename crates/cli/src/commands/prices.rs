//! `berth prices`: the prices `plan` and `status` estimate with, for one region, with their
//! date and source: what the numbers are based on is never hidden. `--refresh` reads them anew
//! from the AWS Price List API and keeps them on this machine (see `price_cache`).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use berth_aws::cost::prices::{AS_OF, RATES, regions};
use berth_aws::cost::{HOURS_PER_MONTH, Prices, price_list};
use berth_aws::{Aws, ConnectOptions};
use indicatif::{ProgressBar, ProgressDrawTarget};

use crate::args::{Global, Output};
use crate::price_cache;

/// The region: --region (or BERTH_REGION), else the manifest's, else AWS_REGION.
pub async fn run(global: &Global, refresh: bool) -> Result<ExitCode> {
    let from_manifest = || {
        let text = std::fs::read_to_string(&global.file).ok()?;
        berth_spec::parse("", &text).ok()?.region
    };
    let region = global
        .region
        .clone()
        .or_else(from_manifest)
        .or_else(|| std::env::var("AWS_REGION").ok());
    let Some(region) = region else {
        bail!("which region? pass --region REGION (e.g. --region eu-west-2)");
    };
    // A refresh shows what it read and saved; otherwise the saved copy, else the table.
    let prices = match refresh {
        true => Some(refresh_prices(global, &region).await?),
        false => price_cache::current(&region),
    };
    let Some(p) = prices else {
        let known: Vec<&str> = regions().collect();
        bail!(
            "berth has no prices for {region}: `berth prices --refresh` reads them from the AWS \
             Price List; berth's own table has {}",
            known.join(", ")
        );
    };
    if global.output == Output::Json {
        let rates = |hourly: bool| -> serde_json::Map<String, serde_json::Value> {
            RATES
                .iter()
                .filter(|r| r.hourly == hourly)
                .map(|r| (r.label.to_string(), p.rates.get(r).into()))
                .collect()
        };
        let json = serde_json::json!({
            "region": p.region,
            "as_of": p.as_of,
            "source": p.source,
            "hourly": rates(true),
            "other": rates(false),
            "instances_hourly": p.instances,
            "kept_from_table": p.kept,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_table(&p);
    Ok(ExitCode::SUCCESS)
}

/// Read the region's prices from the Price List and keep them; a failure changes nothing.
async fn refresh_prices(global: &Global, region: &str) -> Result<Prices> {
    let options = ConnectOptions {
        region: Some(region.to_string()),
        profile: global.profile.clone(),
    };
    let mut aws = Aws::connect(&options).await?;
    aws.account().await?;
    let started = Instant::now();
    let bar = ProgressBar::new_spinner();
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_message("reading the AWS Price List");
    bar.enable_steady_tick(Duration::from_millis(120));
    let on_page = |products: usize| {
        bar.set_message(format!("reading the AWS Price List: {products} products"));
    };
    let shipped = Prices::shipped(region);
    let refreshed = price_list::refresh(&aws.pricing, region, shipped, &on_page).await;
    bar.finish_and_clear();
    let prices = refreshed?;
    let path = price_cache::save(&prices)?;
    eprintln!(
        "Read {region}'s prices from the AWS Price List in {:.1}s ({} calls), {} instance types; \
         saved in {}.",
        started.elapsed().as_secs_f64(),
        aws.stats.total(),
        prices.instances.len(),
        path.display()
    );
    if !prices.kept.is_empty() {
        eprintln!(
            "Not in the Price List's answer (or listed at two prices), so kept from berth's \
             table of {AS_OF}: {}.",
            prices.kept.join(", ")
        );
    }
    Ok(prices)
}

/// The most instance types the human table lists.
const INSTANCES_SHOWN: usize = 40;

fn print_table(p: &Prices) {
    println!(
        "List prices in {} (USD, on demand), as of {}.\nSource: {}.\n",
        p.region, p.as_of, p.source
    );
    let mark = |label: &str| match p.kept.iter().any(|k| k == label) {
        true => " *",
        false => "",
    };
    println!(
        "{:<40} {:>10} {:>14}",
        "BY THE HOUR", "HOUR", "MONTH (730 h)"
    );
    for rate in RATES.iter().filter(|r| r.hourly) {
        let value = p.rates.get(rate);
        let what = format!("{}{}", rate.label, mark(rate.label));
        println!("{what:<40} {value:>10} {:>14.2}", value * HOURS_PER_MONTH);
    }
    println!(
        "\n{:<40} {:>10}",
        "BY USE (named in plans, not added up)", "USD"
    );
    for rate in RATES.iter().filter(|r| !r.hourly) {
        let what = format!("{}{}", rate.label, mark(rate.label));
        println!("{what:<40} {:>10}", p.rates.get(rate));
    }
    println!(
        "\n{:<40} {:>10} {:>14}",
        "EC2 INSTANCES", "HOUR", "MONTH (730 h)"
    );
    // A refresh prices every instance type (hundreds): the table's common ones are shown.
    let table = Prices::shipped(&p.region);
    let common = |kind: &String| {
        table
            .as_ref()
            .is_none_or(|t| t.instances.contains_key(kind))
    };
    let shown: Vec<_> = p
        .instances
        .iter()
        .filter(|(kind, _)| common(kind))
        .take(INSTANCES_SHOWN)
        .collect();
    for (kind, rate) in &shown {
        println!("{kind:<40} {rate:>10} {:>14.2}", *rate * HOURS_PER_MONTH);
    }
    if p.instances.len() > shown.len() {
        println!(
            "... and {} more (`berth prices --output json` lists every one)",
            p.instances.len() - shown.len()
        );
    }
    if !p.kept.is_empty() {
        println!("\n* not in the Price List's answer: berth's table's figure of {AS_OF}");
    }
    println!(
        "\nEstimates from list prices, never a bill: no free tier, Savings Plans, reservations, \
         taxes or data transfer."
    );
}
