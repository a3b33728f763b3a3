//! Errors from a cloud call, classified so the executor knows whether to retry.

use std::fmt;
use std::time::Duration;

/// What kind of failure a cloud call met, which decides the retry policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Rate limited (Throttling, RequestLimitExceeded, 5xx): retry with backoff.
    Throttled,
    /// Eventual consistency: a fresh resource not yet visible or usable (IAM role not yet
    /// assumable, an id not yet found). Retry until the deadline.
    NotReady,
    /// Something still depends on the resource being deleted. Retry deletes until the deadline.
    DependencyViolation,
    /// Retrying would not help: bad request, access denied, quota, conflict.
    Fatal,
    /// Waiting on something only the user can do outside AWS (a DNS record at their own
    /// provider): not retried, not a fault. Everything that does not depend on it is still
    /// done, and the next run carries on from there.
    AwaitingUser,
}

/// A failed cloud operation: its class, the provider's error code and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct CloudError {
    pub class: ErrorClass,
    /// The provider's error code, e.g. `DependencyViolation`, when it gave one.
    pub code: Option<String>,
    pub message: String,
    /// The call that failed, e.g. `ec2:CreateVpc`, when the error came from one.
    pub operation: Option<String>,
}

impl CloudError {
    pub fn new(class: ErrorClass, code: Option<String>, message: impl Into<String>) -> Self {
        Self {
            class,
            code,
            message: message.into(),
            operation: None,
        }
    }
    /// The same error, naming the call that met it.
    pub fn during(mut self, operation: impl Into<String>) -> Self {
        self.operation = Some(operation.into());
        self
    }
    pub fn fatal(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Fatal, None, message)
    }
    pub fn awaiting_user(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::AwaitingUser, None, message)
    }
    pub fn not_ready(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::NotReady, None, message)
    }
    /// A deadline ran out while waiting for `what`.
    pub fn timed_out(what: &str, after: Duration, last_state: &str) -> Self {
        Self::fatal(format!(
            "timed out after {}s waiting for {what} (last state: {last_state})",
            after.as_secs()
        ))
    }
    /// Whether the executor should try again (deletes also retry dependency violations).
    pub fn is_retryable(&self, deleting: bool) -> bool {
        match self.class {
            ErrorClass::Throttled | ErrorClass::NotReady => true,
            ErrorClass::DependencyViolation => deleting,
            ErrorClass::Fatal | ErrorClass::AwaitingUser => false,
        }
    }
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(operation) = &self.operation {
            write!(f, "{operation}: ")?;
        }
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}
