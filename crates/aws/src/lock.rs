//! A lock that lives in AWS, so two runs of `up`/`down` on one stack never interleave, from
//! one laptop or from two CI jobs: an SSM parameter created only if absent, holding who holds
//! it and until when. A lock whose run is gone (expired, or a dead process on this machine) is
//! taken over; `berth unlock --force` removes any.

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
    /// Seconds since the Unix epoch.
    pub since: u64,
    pub expires: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "stack {stack} is locked by {} on {} (pid {}, `{}`, {}s ago). Wait for it to finish; if that run is dead, run `berth unlock --force`",
        holder.owner, holder.host, holder.pid, holder.command, now().saturating_sub(holder.since)
    )]
    Held { stack: String, holder: Holder },
    #[error("the stack lock ({name}): {error}")]
    Aws {
        name: String,
        error: berth_engine::CloudError,
    },
}

/// A held lock; `release` it when done (a run that dies leaves it to expire or be taken over).
pub struct StackLock {
    aws: Aws,
    name: String,
}

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
    fn me(command: &str, ttl: Duration) -> Holder {
        let since = now();
        Holder {
            owner: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            host: hostname(),
            pid: std::process::id(),
            command: command.to_string(),
            since,
            expires: since + ttl.as_secs(),
        }
    }
    /// Expired, or held by a process of this machine that no longer runs.
    fn is_stale(&self) -> bool {
        let dead_here = self.host == hostname()
            && !std::path::Path::new(&format!("/proc/{}", self.pid)).exists();
        self.expires <= now() || dead_here
    }
}

impl StackLock {
    /// Take the stack's lock for `ttl` (the run's own deadline plus a margin).
    pub async fn acquire(
        aws: &Aws,
        stack: &str,
        command: &str,
        ttl: Duration,
    ) -> Result<StackLock, LockError> {
        let name = parameter_name(stack);
        let me = Holder::me(command, ttl);
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
                    return Ok(StackLock {
                        aws: aws.clone(),
                        name,
                    });
                }
                Err(e) if e.code.as_deref() == Some("ParameterAlreadyExists") => {
                    let Some(holder) = current(aws, &name).await.map_err(aws_err)? else {
                        continue;
                    };
                    if !holder.is_stale() {
                        return Err(LockError::Held {
                            stack: stack.to_string(),
                            holder,
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
        remove(&self.aws, &self.name).await
    }
}

async fn current(aws: &Aws, name: &str) -> Result<Option<Holder>, berth_engine::CloudError> {
    match aws.ssm.get_parameter().name(name).send().await.aws() {
        Ok(out) => Ok(out
            .parameter()
            .and_then(|p| p.value())
            .and_then(|v| serde_json::from_str(v).ok())),
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
    let holder = current(aws, &name).await?;
    remove(aws, &name).await?;
    Ok(holder)
}
