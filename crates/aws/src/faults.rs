//! Fault injection for resilience tests, set by `BERTH_FAULTS` and off without it.
//!
//! `BERTH_FAULTS=rate=0.2,seed=7` answers that share of AWS requests, before they leave the
//! machine, with what a bad day on AWS looks like: a throttling error in the service's own
//! protocol (`RequestLimitExceeded`, `Throttling`, `ThrottlingException`), a 500 or 503, a
//! timeout, or, for an EC2 delete, `DependencyViolation`. The request never reaches AWS, so every
//! fault is one that berth (and the SDK under it) must absorb by retrying.
//!
//! Two more switches, for the tests of a run that cannot go on:
//! - `expired`: every request is refused with 403 `ExpiredToken`, as when a session's
//!   temporary credentials run out.
//! - `kill_after=N`: the process SIGKILLs itself the moment the N-th mutating call has
//!   returned: a real crash at a chosen position, with no destructor, flush or lock release.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector,
    http_client_fn,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What one injected fault looks like on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Throttle,
    ServerError,
    Timeout,
    DependencyViolation,
    ExpiredToken,
}

/// The wire protocols of the services berth calls: each spells an error its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    /// EC2's query dialect.
    Ec2,
    /// IAM, STS, ELBv2, Auto Scaling (awsQuery) and Route 53 (restXml).
    Xml,
    /// ECS, ECR, Logs, SSM, Cloud Map, Application Auto Scaling (awsJson).
    Json,
}

#[derive(Clone, Debug)]
pub struct FaultInjector {
    rate: f64,
    expired: bool,
    kill_after: Option<u64>,
    rng: Arc<Mutex<StdRng>>,
    injected: Arc<AtomicU64>,
    mutations: Arc<AtomicU64>,
}

impl FaultInjector {
    /// From `BERTH_FAULTS` (`rate=0.2,seed=7`, `expired`, `kill_after=12`), if set.
    pub fn from_env() -> Option<FaultInjector> {
        std::env::var("BERTH_FAULTS").ok().map(|s| Self::parse(&s))
    }

    fn parse(spec: &str) -> FaultInjector {
        let mut injector = FaultInjector {
            rate: 0.0,
            expired: false,
            kill_after: None,
            rng: Arc::new(Mutex::new(StdRng::seed_from_u64(0))),
            injected: Arc::default(),
            mutations: Arc::default(),
        };
        for part in spec.split(',').map(str::trim) {
            match part.split_once('=') {
                Some(("rate", v)) => {
                    injector.rate = v.parse::<f64>().unwrap_or(0.0).clamp(0.0, 1.0)
                }
                Some(("seed", v)) => {
                    injector.rng =
                        Arc::new(Mutex::new(StdRng::seed_from_u64(v.parse().unwrap_or(0))))
                }
                Some(("kill_after", v)) => injector.kill_after = v.parse().ok(),
                None if part == "expired" => injector.expired = true,
                _ => {}
            }
        }
        injector
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }

    /// `inner` with this injector in front of every request it sends.
    pub fn wrap(&self, inner: SharedHttpClient) -> SharedHttpClient {
        let faults = self.clone();
        http_client_fn(move |settings, components| {
            SharedHttpConnector::new(FaultyConnector {
                inner: inner.http_connector(settings, components),
                faults: faults.clone(),
            })
        })
    }

    /// The fault for this request, if it gets one.
    fn pick(&self, request: &HttpRequest) -> Option<Fault> {
        if self.expired {
            return Some(Fault::ExpiredToken);
        }
        let mut rng = self.rng.lock().unwrap();
        if !rng.random_bool(self.rate) {
            return None;
        }
        let deleting = body_text(request).contains("Action=Delete");
        Some(match rng.random_range(0..4) {
            0 => Fault::ServerError,
            1 => Fault::Timeout,
            // Only a delete can be refused because something still uses the resource.
            2 if deleting && protocol(request) == Protocol::Ec2 => Fault::DependencyViolation,
            _ => Fault::Throttle,
        })
    }
}

/// The HTTPS client the SDK would build by default (rustls on aws-lc), to put faults in front
/// of: the shared configuration does not expose the one it picks.
pub fn https_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .build_https()
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    faults: FaultInjector,
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let Some(fault) = self.faults.pick(&request) else {
            return self.inner.call(request);
        };
        self.faults.injected.fetch_add(1, Ordering::Relaxed);
        if fault == Fault::Timeout {
            return HttpConnectorFuture::ready(Err(ConnectorError::timeout(
                "injected by BERTH_FAULTS: the request timed out".into(),
            )));
        }
        HttpConnectorFuture::ready(Ok(error_response(fault, protocol(&request))))
    }
}

fn body_text(request: &HttpRequest) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(request.body().bytes().unwrap_or_default())
}

fn protocol(request: &HttpRequest) -> Protocol {
    if request.headers().contains_key("x-amz-target") {
        Protocol::Json
    } else if body_text(request).contains("Version=2016-11-15") {
        Protocol::Ec2
    } else {
        Protocol::Xml
    }
}

/// The response AWS itself would send for `fault`, in the service's protocol.
fn error_response(fault: Fault, protocol: Protocol) -> HttpResponse {
    let (status, code, message) = match (fault, protocol) {
        (Fault::Throttle, Protocol::Ec2) => {
            (503, "RequestLimitExceeded", "Request limit exceeded.")
        }
        (Fault::Throttle, Protocol::Xml) => (400, "Throttling", "Rate exceeded"),
        (Fault::Throttle, Protocol::Json) => (400, "ThrottlingException", "Rate exceeded"),
        (Fault::ServerError, Protocol::Json) => (500, "InternalFailure", "Internal failure"),
        (Fault::ServerError, _) => (500, "InternalError", "An internal error has occurred"),
        (Fault::DependencyViolation, _) => (
            400,
            "DependencyViolation",
            "resource has a dependent object",
        ),
        (Fault::ExpiredToken, Protocol::Json) => (
            403,
            "ExpiredTokenException",
            "The security token included in the request is expired",
        ),
        (Fault::ExpiredToken, _) => (
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        ),
        (Fault::Timeout, _) => unreachable!("a timeout has no response"),
    };
    let (content_type, body) = match protocol {
        Protocol::Json => (
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
        ),
        Protocol::Ec2 => (
            "text/xml",
            format!(
                "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>berth-fault</RequestID></Response>"
            ),
        ),
        Protocol::Xml => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>berth-fault</RequestId></ErrorResponse>"
            ),
        ),
    };
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).expect("a valid status"),
        SdkBody::from(body),
    );
    response.headers_mut().insert("content-type", content_type);
    response
        .headers_mut()
        .insert("x-amzn-errortype", code.to_string());
    response
}

/// Counts mutating calls that completed, for `kill_after`.
impl Intercept for FaultInjector {
    fn name(&self) -> &'static str {
        "berth-fault-injector"
    }
    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(limit) = self.kill_after else {
            return Ok(());
        };
        let mutating = cfg
            .load::<Metadata>()
            .is_some_and(|m| crate::stats::is_mutating(m.name()));
        if mutating && self.mutations.fetch_add(1, Ordering::SeqCst) + 1 == limit {
            eprintln!("BERTH_FAULTS: SIGKILL after {limit} mutating calls");
            // A real SIGKILL, not an exit: nothing of berth's gets to run after it.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &std::process::id().to_string()])
                .status();
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: Option<&str>, body: &str) -> HttpRequest {
        let mut r = HttpRequest::new(SdkBody::from(body.to_string()));
        if let Some(t) = target {
            r.headers_mut().insert("x-amz-target", t.to_string());
        }
        r
    }

    #[test]
    fn parses_every_switch() {
        let f = FaultInjector::parse("rate=0.25, seed=9,kill_after=12,expired");
        assert_eq!((f.rate, f.kill_after, f.expired), (0.25, Some(12), true));
        assert_eq!(FaultInjector::parse("rate=7").rate, 1.0, "clamped");
    }

    #[test]
    fn speaks_each_service_protocol() {
        let ec2 = request(None, "Action=DeleteSubnet&Version=2016-11-15&SubnetId=s");
        let iam = request(None, "Action=CreateRole&Version=2010-05-08");
        let ecs = request(
            Some("AmazonEC2ContainerServiceV20141113.CreateService"),
            "{}",
        );
        assert_eq!(
            [protocol(&ec2), protocol(&iam), protocol(&ecs)],
            [Protocol::Ec2, Protocol::Xml, Protocol::Json]
        );
        let r = error_response(Fault::Throttle, Protocol::Ec2);
        assert_eq!(u16::from(r.status()), 503);
        let body = String::from_utf8_lossy(r.body().bytes().unwrap()).into_owned();
        assert!(body.contains("<Code>RequestLimitExceeded</Code>"), "{body}");
    }

    #[test]
    fn a_seed_gives_the_same_faults_every_time() {
        let run = || {
            let f = FaultInjector::parse("rate=0.5,seed=3");
            let ec2 = request(None, "Action=DeleteVpc&Version=2016-11-15");
            (0..64).map(|_| f.pick(&ec2)).collect::<Vec<_>>()
        };
        let faults = run();
        assert_eq!(faults, run());
        for expected in [Fault::Throttle, Fault::ServerError, Fault::Timeout] {
            assert!(
                faults.contains(&Some(expected)),
                "{expected:?} in {faults:?}"
            );
        }
        assert!(faults.contains(&Some(Fault::DependencyViolation)));
        assert!(faults.contains(&None));
    }
}
