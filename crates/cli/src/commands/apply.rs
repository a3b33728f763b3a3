//! `plan`, `up` and `down`: one code path. `plan` is `up` without the apply step, and `down` is
//! the plan that deletes everything the stack owns.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Result, bail};
use berth_engine::{Action, Executor, Inventory, Plan, plan_destroy};

use crate::render::render_plan;

use crate::args::{Global, Output, RunArgs};
use crate::progress::{self, color_enabled};
use crate::session::Session;
use berth_aws::lock::StackLock;

/// Find what exists and diff it against the manifest: the shared start of plan and up.
async fn planned(session: &Session, run: &RunArgs) -> Result<(Inventory, Plan)> {
    let inventory = session.discover(run.parallelism.into()).await?;
    let plan = berth_engine::plan(&session.nodes, &inventory, &session.registry)?;
    let creates_vpc = plan
        .steps
        .iter()
        .any(|s| s.kind == "vpc" && s.action == Action::Create);
    let network = &session.manifest.network;
    if creates_vpc && !network.allow_overlap {
        berth_aws::overlap::check(&session.aws, &session.manifest.name, network.cidr).await?;
    }
    Ok((inventory, plan))
}

/// Run `work` holding the stack's lock, and release it whatever happens.
async fn locked<F, Fut>(session: &Session, command: &str, work: F) -> Result<ExitCode>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<ExitCode>>,
{
    let lock = StackLock::acquire(
        &session.aws,
        &session.manifest.name,
        command,
        berth_aws::lock::LEASE,
    )
    .await?;
    let result = work().await;
    if let Err(e) = lock.release().await {
        eprintln!(
            "warning: could not release the stack lock: {e}. `berth unlock --force` removes it."
        );
    }
    result
}

pub async fn plan(global: &Global, run: &RunArgs, detailed_exitcode: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let session = Session::open(global, run.refresh_ami).await?;
    let (_, plan) = planned(&session, run).await?;
    show_plan(&session, global, &plan)?;
    footer(&session, run, started);
    Ok(if detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

pub async fn up(global: &Global, run: &RunArgs, yes: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let session = Session::open(global, run.refresh_ami).await?;
    // A converged stack is left alone: no lock, no mutating call at all.
    let (_, plan) = planned(&session, run).await?;
    if !plan.has_changes() {
        show_plan(&session, global, &plan)?;
        footer(&session, run, started);
        return Ok(ExitCode::SUCCESS);
    }
    // Plan again under the lock: what is applied is what was shown.
    locked(&session, "berth up", || {
        up_locked(&session, global, run, yes)
    })
    .await
}

async fn up_locked(
    session: &Session,
    global: &Global,
    run: &RunArgs,
    yes: bool,
) -> Result<ExitCode> {
    let started = Instant::now();
    let (inventory, plan) = planned(session, run).await?;
    let question = format!("Apply these changes to stack `{}`?", session.manifest.name);
    let outcome =
        confirm_and_apply(session, global, run, &inventory, &plan, yes, &question).await?;
    footer(session, run, started);
    Ok(match outcome {
        None | Some(Outcome::Done) => ExitCode::SUCCESS,
        Some(Outcome::AwaitingUser) => ExitCode::from(crate::EXIT_AWAITING_USER),
        Some(Outcome::Failed) => ExitCode::from(crate::EXIT_FAILURE),
    })
}

pub async fn down(global: &Global, run: &RunArgs, yes: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let session = Session::open(global, run.refresh_ami).await?;
    if session.discover(run.parallelism.into()).await?.is_empty() {
        println!(
            "Nothing to delete: no resource carries berth:stack={}.",
            session.manifest.name
        );
        footer(&session, run, started);
        return Ok(ExitCode::SUCCESS);
    }
    locked(&session, "berth down", || {
        down_locked(&session, global, run, yes)
    })
    .await
}

async fn down_locked(
    session: &Session,
    global: &Global,
    run: &RunArgs,
    yes: bool,
) -> Result<ExitCode> {
    let started = Instant::now();
    let inventory = session.discover(run.parallelism.into()).await?;
    let plan = plan_destroy(&session.nodes, &inventory);
    let question = format!(
        "Delete every resource of stack `{}`?",
        session.manifest.name
    );
    let Some(outcome) =
        confirm_and_apply(session, global, run, &inventory, &plan, yes, &question).await?
    else {
        footer(session, run, started);
        return Ok(ExitCode::SUCCESS);
    };
    let ok = outcome == Outcome::Done;
    // Prove it: a fresh sweep of every kind must find nothing tagged with the stack.
    let left = session.discover(run.parallelism.into()).await?;
    if ok && left.is_empty() {
        eprintln!(
            "Verified: no resource tagged berth:stack={} remains.",
            session.manifest.name
        );
    } else if !left.is_empty() {
        let ids: Vec<String> = left
            .iter()
            .map(|(id, o)| format!("{id} ({})", o.cloud_id))
            .collect();
        eprintln!("Still present: {}. Run `berth down` again.", ids.join(", "));
    }
    footer(session, run, started);
    Ok(exit(ok && left.is_empty()))
}

/// How an apply ended.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    /// Stopped on a fault, or the user said no.
    Failed,
    /// Everything else done; the rest waits on the user (DNS validation at their provider).
    AwaitingUser,
}

/// Show the plan, ask, apply. `None` when there was nothing to do.
async fn confirm_and_apply(
    session: &Session,
    global: &Global,
    run: &RunArgs,
    inventory: &Inventory,
    plan: &Plan,
    yes: bool,
    question: &str,
) -> Result<Option<Outcome>> {
    show_plan(session, global, plan)?;
    if !plan.has_changes() {
        return Ok(None);
    }
    if !confirm(yes, question)? {
        return Ok(Some(Outcome::Failed));
    }
    Ok(Some(execute(session, run, plan, inventory, global).await?))
}

fn exit(success: bool) -> ExitCode {
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_FAILURE)
    }
}

/// The plan, with what the stack will cost a month once it is applied (a teardown's plan
/// has no cost to show: nothing is left).
fn show_plan(session: &Session, global: &Global, plan: &Plan) -> Result<()> {
    let tears_down =
        !plan.steps.is_empty() && plan.steps.iter().all(|s| s.action == Action::Delete);
    let cost = (!tears_down)
        .then(|| crate::price_cache::current(&session.aws.region))
        .flatten()
        .map(|prices| berth_aws::cost::estimate(&session.nodes, &prices));
    if cost.is_none() && !tears_down {
        eprintln!(
            "berth has no prices for {}: the plan's cost is not estimated (`berth prices \
             --refresh` reads them from the AWS Price List).",
            session.aws.region
        );
    }
    match global.output {
        Output::Json => {
            let mut json = serde_json::to_value(plan)?;
            if let (Some(cost), Some(object)) = (&cost, json.as_object_mut()) {
                object.insert("cost".into(), cost_json(cost));
            }
            println!("{}", serde_json::to_string_pretty(&json)?)
        }
        Output::Human => {
            let color = color_enabled(std::io::stdout().is_terminal(), global.no_color);
            print!("{}", render_plan(plan, cost.as_ref(), color));
        }
    }
    Ok(())
}

/// The estimate as `--output json` gives it.
pub(super) fn cost_json(cost: &berth_aws::cost::StackCost) -> serde_json::Value {
    serde_json::json!({
        "monthly_usd": (cost.total() * 100.0).round() / 100.0,
        "region": cost.region,
        "prices_as_of": cost.as_of,
        "resources": cost.items.iter().map(|e| serde_json::json!({
            "id": e.id.as_str(),
            "monthly_usd": (e.usd * 100.0).round() / 100.0,
            "basis": e.basis,
        })).collect::<Vec<_>>(),
        "usage_not_included": cost.usage,
    })
}

/// Ask on a terminal; refuse (changing nothing) without one unless `--yes` was given.
pub(super) fn confirm(yes: bool, question: &str) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "not applying: stdin is not a terminal and --yes was not given. Nothing was changed; rerun with --yes to apply"
        );
    }
    eprint!("{question} Only 'yes' is accepted: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() == "yes" {
        Ok(true)
    } else {
        eprintln!("Cancelled. Nothing was changed.");
        Ok(false)
    }
}

async fn execute(
    session: &Session,
    run: &RunArgs,
    plan: &Plan,
    inventory: &Inventory,
    global: &Global,
) -> Result<Outcome> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let view = progress::spawn(rx);
    let executor = Executor::new(session.registry.clone())
        .parallelism(run.parallelism.into())
        .op_timeout(run.timeout)
        .events(tx);
    let report = executor.apply(plan, &session.nodes, inventory).await;
    drop(executor);
    let _ = view.await;
    match global.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Output::Human => eprintln!("{}", report.render_summary()),
    }
    Ok(if report.is_success() {
        Outcome::Done
    } else if report.is_awaiting_user() {
        Outcome::AwaitingUser
    } else {
        Outcome::Failed
    })
}

/// Time and API calls, always; per-operation counts with --stats.
fn footer(session: &Session, run: &RunArgs, started: Instant) {
    let stats = &session.aws.stats;
    let retried = match stats.sdk_retries() {
        0 => String::new(),
        n => format!(", {n} retried by the SDK"),
    };
    eprintln!(
        "{:.2}s, {} AWS API calls ({} mutating{retried})",
        started.elapsed().as_secs_f64(),
        stats.total(),
        stats.mutating()
    );
    if let Some(injected) = session.aws.faults_injected() {
        eprintln!("{injected} faults injected (BERTH_FAULTS)");
    }
    if run.stats {
        for (service, operation, count) in stats.snapshot() {
            eprintln!("  {count:>5}  {service}:{operation}");
        }
    }
}
