//! Fault injection, for resilience tests: `BERTH_FAULTS=rate=0.2,seed=7` makes that share of
//! AWS requests fail in transit (sent to a closed port), as a flaky network or an overloaded
//! endpoint would. The request never reaches AWS, so the fault is safe to retry; the SDK's
//! own retries and the engine's must absorb it. Off unless the variable is set.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Nothing listens on port 1: the connection is refused at once.
const BLACKHOLE: &str = "http://127.0.0.1:1/";

#[derive(Clone, Debug)]
pub struct FaultInjector {
    rate: f64,
    rng: Arc<Mutex<StdRng>>,
    injected: Arc<AtomicU64>,
}

impl FaultInjector {
    /// From `BERTH_FAULTS` (`rate=0.2,seed=7`), if set.
    pub fn from_env() -> Option<FaultInjector> {
        let spec = std::env::var("BERTH_FAULTS").ok()?;
        let mut rate = 0.0;
        let mut seed = 0;
        for part in spec.split(',') {
            match part.split_once('=') {
                Some(("rate", v)) => rate = v.parse().unwrap_or(0.0),
                Some(("seed", v)) => seed = v.parse().unwrap_or(0),
                _ => {}
            }
        }
        Some(FaultInjector {
            rate,
            rng: Arc::new(Mutex::new(StdRng::seed_from_u64(seed))),
            injected: Arc::default(),
        })
    }
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }
}

impl Intercept for FaultInjector {
    fn name(&self) -> &'static str {
        "berth-fault-injector"
    }
    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self
            .rng
            .lock()
            .unwrap()
            .random_bool(self.rate.clamp(0.0, 1.0))
        {
            self.injected.fetch_add(1, Ordering::Relaxed);
            context.request_mut().set_uri(BLACKHOLE)?;
        }
        Ok(())
    }
}
