//! A lock that lives in AWS, so two runs of `up`/`down` on one stack never interleave, from
//! one laptop or from two CI jobs: an SSM parameter created only if absent, holding who holds
//! it. It is a lease: the run rewrites it every quarter lease while it lives (a real `up` with
//! NAT gateways, a load balancer, instances and a rollout can pass 20 minutes), and it counts
//! as expired a lease after its last write, timed by the parameter's LastModifiedDate (AWS's
//! clock, not the holder's). A lock whose run is gone (expired, or a dead process on this
//! machine) is taken over; `berth unlock --force` removes any.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_ssm::types::ParameterType;
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::AwsResultExt;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Holder {
    pub owner: String,
    pub host: String,
    pub pid: u32,
    pub command: String,
    /// Seconds since the Unix epoch, by the holder's clock: for people only.
    pub since: u64,
    /// Seconds the lock stays valid after its last renewal; 0 (an older berth) = expired.
    #[serde(default)]
    pub lease: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "stack {stack} is locked by {} on {} (pid {}, `{}`, renewed {}s ago). Wait for it to finish; if that run is dead, run `berth unlock --force` (or wait {}s, when its lease runs out)",
        holder.owner, holder.host, holder.pid, holder.command, age.as_secs(), holder.lease.saturating_sub(age.as_secs())
    )]
    Held {
        stack: String,
        holder: Holder,
        /// Since the holder last renewed it, by AWS's clock.
        age: Duration,
    },
    #[error("the stack lock ({name}): {error}")]
    Aws {
        name: String,
        error: berth_engine::CloudError,
    },
}

/// A held lock, renewed in the background until `release` (a run that dies leaves it to
/// expire, or to be taken over at once on the same machine).
pub struct StackLock {
    aws: Aws,
    name: String,
    renewal: tokio::task::JoinHandle<()>,
}

/// How long a lock outlives its last renewal by default: a crashed run on another machine
/// blocks the stack this long at most.
pub const LEASE: Duration = Duration::from_secs(300);

pub fn parameter_name(stack: &str) -> String {
    format!("/berth/{stack}/lock")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown-host".into())
}

impl Holder {
    fn me(command: &str, lease: Duration) -> Holder {
        Holder {
            owner: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            host: hostname(),
            pid: std::process::id(),
            command: command.to_string(),
            since: now(),
            lease: lease.as_secs(),
        }
    }
    /// Not renewed for a lease (by AWS's timestamp of the last write, `age`), or held by a
    /// process of this machine that no longer runs.
    fn is_stale(&self, age: Duration) -> bool {
        let dead_here = self.host == hostname()
            && !std::path::Path::new(&format!("/proc/{}", self.pid)).exists();
        age.as_secs() >= self.lease || dead_here
    }
}

impl StackLock {
    /// Take the stack's lock, held while this run lives and for `lease` after its last renewal.
    pub async fn acquire(
        aws: &Aws,
        stack: &str,
        command: &str,
        lease: Duration,
    ) -> Result<StackLock, LockError> {
        let name = parameter_name(stack);
        let me = Holder::me(command, lease);
        let value = serde_json::to_string(&me).unwrap_or_default();
        let aws_err = |error| LockError::Aws {
            name: name.clone(),
            error,
        };
        for _ in 0..2 {
            let put = aws
                .ssm
                .put_parameter()
                .name(&name)
                .value(&value)
                .r#type(ParameterType::String)
                .overwrite(false)
                .description("berth: who is changing this stack")
                .send()
                .await
                .aws();
            match put {
                Ok(_) => {
                    let renewal = tokio::spawn(renew(aws.clone(), name.clone(), me, value));
                    return Ok(StackLock {
                        aws: aws.clone(),
                        name,
                        renewal,
                    });
                }
                Err(e) if e.code.as_deref() == Some("ParameterAlreadyExists") => {
                    let Some((holder, age)) = current(aws, &name).await.map_err(aws_err)? else {
                        continue;
                    };
                    if !holder.is_stale(age) {
                        return Err(LockError::Held {
                            stack: stack.to_string(),
                            holder,
                            age,
                        });
                    }
                    remove(aws, &name).await.map_err(aws_err)?;
                }
                Err(e) => return Err(aws_err(e)),
            }
        }
        Err(LockError::Aws {
            name: name.clone(),
            error: berth_engine::CloudError::fatal("another run took the lock at the same moment"),
        })
    }

    pub async fn release(self) -> Result<(), berth_engine::CloudError> {
        self.renewal.abort();
        remove(&self.aws, &self.name).await
    }
}

/// Rewrite the lock every quarter lease while it is still ours. A renewal that fails is
/// tried again at the next tick; three missed in a row still leave the lease valid.
async fn renew(aws: Aws, name: String, me: Holder, value: String) {
    let every = Duration::from_secs(me.lease.max(4) / 4);
    loop {
        tokio::time::sleep(every).await;
        // Someone ran `unlock --force` and another run holds it now: stop, never overwrite.
        match current(&aws, &name).await {
            Ok(Some((holder, _))) if holder == me => {}
            Ok(_) => return,
            Err(_) => continue,
        }
        let _ = aws
            .ssm
            .put_parameter()
            .name(&name)
            .value(&value)
            .r#type(ParameterType::String)
            .overwrite(true)
            .send()
            .await;
    }
}

/// The lock's holder and how long ago AWS last wrote it. A value no berth can read (a newer
/// or older format) counts as expired: the lock is only ever a courtesy between runs.
async fn current(
    aws: &Aws,
    name: &str,
) -> Result<Option<(Holder, Duration)>, berth_engine::CloudError> {
    match aws.ssm.get_parameter().name(name).send().await.aws() {
        Ok(out) => {
            let Some(p) = out.parameter() else {
                return Ok(None);
            };
            let written = p.last_modified_date().map(|d| d.secs()).unwrap_or_default();
            let age = Duration::from_secs((now() as i64 - written).max(0) as u64);
            let holder = p
                .value()
                .and_then(|v| serde_json::from_str(v).ok())
                .unwrap_or_else(|| Holder {
                    owner: "unknown".into(),
                    host: "unknown".into(),
                    pid: 0,
                    command: "unreadable lock".into(),
                    since: 0,
                    lease: 0,
                });
            Ok(Some((holder, age)))
        }
        Err(e) if e.code.as_deref() == Some("ParameterNotFound") => Ok(None),
        Err(e) => Err(e),
    }
}

async fn remove(aws: &Aws, name: &str) -> Result<(), berth_engine::CloudError> {
    match aws.ssm.delete_parameter().name(name).send().await.aws() {
        Err(e) if e.code.as_deref() == Some("ParameterNotFound") => Ok(()),
        other => other.map(drop),
    }
}

/// `berth unlock --force`: remove the lock whoever holds it, and say who that was.
pub async fn force_unlock(
    aws: &Aws,
    stack: &str,
) -> Result<Option<Holder>, berth_engine::CloudError> {
    let name = parameter_name(stack);
    let holder = current(aws, &name).await?.map(|(holder, _)| holder);
    remove(aws, &name).await?;
    Ok(holder)
}
