//! Counts every AWS API request in one place: an SDK interceptor installed on every client.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Requests sent, per service and operation. Counted per HTTP attempt, so SDK-level retries
/// show up as the calls they really are.
#[derive(Clone, Debug, Default)]
pub struct ApiStats {
    calls: Arc<Mutex<BTreeMap<(String, String), u64>>>,
    retries: Arc<AtomicU64>,
}

impl ApiStats {
    /// Requests the SDK sent again after a throttle, a 5xx or a failure in transit.
    pub fn sdk_retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }
    pub fn total(&self) -> u64 {
        self.calls.lock().unwrap().values().sum()
    }
    /// Calls that may change something: everything but Describe*, List*, Get* and friends.
    pub fn mutating(&self) -> u64 {
        self.snapshot()
            .into_iter()
            .filter(|(_, op, _)| is_mutating(op))
            .map(|(_, _, n)| n)
            .sum()
    }
    /// `(service, operation, count)`, sorted.
    pub fn snapshot(&self) -> Vec<(String, String, u64)> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .map(|((s, o), n)| (s.clone(), o.clone(), *n))
            .collect()
    }
    pub fn reset(&self) {
        self.calls.lock().unwrap().clear();
        self.retries.store(0, Ordering::Relaxed);
    }
    fn record(&self, service: &str, operation: &str) {
        *self
            .calls
            .lock()
            .unwrap()
            .entry((service.to_string(), operation.to_string()))
            .or_default() += 1;
    }
}

/// Read-only operations by their name's verb.
pub fn is_mutating(operation: &str) -> bool {
    const READ: [&str; 4] = ["Describe", "List", "Get", "Search"];
    !READ.iter().any(|verb| operation.starts_with(verb))
}

impl Intercept for ApiStats {
    fn name(&self) -> &'static str {
        "berth-api-stats"
    }
    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(meta) = cfg.load::<Metadata>() {
            self.record(meta.service(), meta.name());
        }
        if cfg
            .load::<RequestAttempts>()
            .is_some_and(|a| a.attempts() > 1)
        {
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}
