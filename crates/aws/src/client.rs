//! One `SdkConfig` from the standard credential and region chain, and every client built from it
//! with the call-counting interceptor.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[cfg(feature = "faults")]
use crate::faults::FaultInjector;
use crate::stats::ApiStats;

/// Where to connect: flags override the manifest, which overrides the environment's chain.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
}

/// Every AWS client berth uses, sharing one configuration and one [`ApiStats`].
#[derive(Clone, Debug)]
pub struct Aws {
    pub region: String,
    /// The account the credentials belong to, once [`Aws::account`] has proved them.
    pub account_id: String,
    pub stats: ApiStats,
    /// Set only by `BERTH_FAULTS`, for resilience tests; not in release builds at all.
    #[cfg(feature = "faults")]
    pub faults: Option<FaultInjector>,
    pub ec2: aws_sdk_ec2::Client,
    pub servicediscovery: aws_sdk_servicediscovery::Client,
    pub route53: aws_sdk_route53::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub sts: aws_sdk_sts::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub iam: aws_sdk_iam::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub appscaling: aws_sdk_applicationautoscaling::Client,
    pub acm: aws_sdk_acm::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sns: aws_sdk_sns::Client,
    /// The Price List, in us-east-1 whatever the stack's region (`berth prices --refresh`).
    pub pricing: aws_sdk_pricing::Client,
}

/// A problem with the connection itself, in one sentence.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "no AWS region: set `region` in berth.toml, pass --region, or export AWS_REGION (e.g. AWS_REGION=eu-west-2)"
    )]
    NoRegion,
    #[error(
        "cannot reach AWS in {region}: {reason}. Check the region name and your network (or AWS_ENDPOINT_URL, if set); nothing was changed"
    )]
    Unreachable { region: String, reason: String },
    #[error("AWS credentials not usable in {region}: {reason}. {hint}")]
    Credentials {
        region: String,
        reason: String,
        hint: &'static str,
    },
}

const CREDENTIALS_HINT: &str = "Set AWS_PROFILE (and run `aws sso login` for SSO profiles), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
const EXPIRED_HINT: &str = "They are temporary credentials that have run out: run `aws sso login` (SSO profiles) or export fresh ones, then rerun; nothing was changed";

/// A client of one service from the shared configuration, with the call counter (and the
/// fault injector, when a resilience test asks for one).
macro_rules! client {
    ($krate:ident, $shared:expr, $interceptors:expr) => {{ client!($krate, $shared, $interceptors, |config| config) }};
    ($krate:ident, $shared:expr, $interceptors:expr, $adjust:expr) => {{
        let mut config = $adjust($krate::config::Builder::from($shared));
        for interceptor in $interceptors {
            config.push_interceptor(interceptor.clone());
        }
        $krate::Client::from_conf(config.build())
    }};
}

/// Deadlines for every call, so one that never answers can't hang a run that holds the
/// stack's lock: 30 s per attempt (the slowest berth calls, DescribeServices on a busy
/// cluster or a 100-task DescribeTasks, take a few seconds), 2 min for all attempts.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(10))
        .operation_attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_secs(120))
        .build()
}

impl Aws {
    /// Requests the fault injector answered, when it is compiled in (tests) and switched on.
    pub fn faults_injected(&self) -> Option<u64> {
        #[cfg(feature = "faults")]
        return self.faults.as_ref().map(FaultInjector::injected);
        #[cfg(not(feature = "faults"))]
        None
    }

    /// Load the shared configuration. Makes no API call.
    pub async fn connect(options: &ConnectOptions) -> Result<Aws, ConnectError> {
        // Five attempts with the SDK's jittered exponential backoff (the CLI's default is three):
        // the calls made before the engine's own retries take over (credentials, zones, AMI,
        // lock) must survive a throttling burst too.
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(5))
            .timeout_config(timeouts());
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        #[allow(unused_mut)] // changed only by the fault injector
        let mut shared = loader.load().await;
        let stats = ApiStats::default();
        #[allow(unused_mut)]
        let mut interceptors = vec![SharedInterceptor::new(stats.clone())];
        #[cfg(feature = "faults")]
        let faults = FaultInjector::from_env();
        #[cfg(feature = "faults")]
        if let Some(faults) = &faults {
            shared = shared
                .into_builder()
                .http_client(faults.wrap(crate::faults::https_client()))
                .build();
            interceptors.push(SharedInterceptor::new(faults.clone()));
        }
        let region = shared
            .region()
            .map(|r| r.to_string())
            .ok_or(ConnectError::NoRegion)?;
        Ok(Aws {
            region,
            account_id: String::new(),
            ec2: client!(aws_sdk_ec2, &shared, &interceptors),
            servicediscovery: client!(aws_sdk_servicediscovery, &shared, &interceptors),
            route53: client!(aws_sdk_route53, &shared, &interceptors),
            acm: client!(aws_sdk_acm, &shared, &interceptors),
            cloudwatch: client!(aws_sdk_cloudwatch, &shared, &interceptors),
            sns: client!(aws_sdk_sns, &shared, &interceptors),
            // Its endpoints are us-east-1, eu-central-1 and ap-south-1 only, and each answers
            // for every region.
            pricing: client!(
                aws_sdk_pricing,
                &shared,
                &interceptors,
                |config: aws_sdk_pricing::config::Builder| config.region(Region::new("us-east-1"))
            ),
            ssm: client!(aws_sdk_ssm, &shared, &interceptors),
            sts: client!(aws_sdk_sts, &shared, &interceptors),
            ecs: client!(aws_sdk_ecs, &shared, &interceptors),
            iam: client!(aws_sdk_iam, &shared, &interceptors),
            elbv2: client!(aws_sdk_elasticloadbalancingv2, &shared, &interceptors),
            autoscaling: client!(aws_sdk_autoscaling, &shared, &interceptors),
            ecr: client!(aws_sdk_ecr, &shared, &interceptors),
            logs: client!(aws_sdk_cloudwatchlogs, &shared, &interceptors),
            appscaling: client!(aws_sdk_applicationautoscaling, &shared, &interceptors),
            stats,
            #[cfg(feature = "faults")]
            faults,
        })
    }

    /// Prove the credentials work before planning anything (one STS call), and return the
    /// account id. A missing or expired credential becomes one sentence, not an SDK dump.
    pub async fn account(&mut self) -> Result<String, ConnectError> {
        match self.sts.get_caller_identity().send().await {
            Ok(out) => {
                self.account_id = out.account().unwrap_or_default().to_string();
                Ok(self.account_id.clone())
            }
            Err(SdkError::DispatchFailure(failure)) => {
                // The chain's report lists every provider it tried: its first line says it.
                let reason = failure
                    .as_connector_error()
                    .map(|e| crate::error::root_cause(e))
                    .unwrap_or_default();
                let reason = reason.lines().next().unwrap_or_default();
                let reason = reason.trim_end_matches(" Attempted:").trim_end_matches('.');
                let reason = reason.to_string();
                let region = self.region.clone();
                Err(if failure.is_io() || failure.is_timeout() {
                    ConnectError::Unreachable { region, reason }
                } else {
                    ConnectError::Credentials {
                        region,
                        reason,
                        hint: CREDENTIALS_HINT,
                    }
                })
            }
            Err(err) => {
                let expired = matches!(
                    err.code(),
                    Some("ExpiredToken" | "ExpiredTokenException" | "RequestExpired")
                );
                let reason = match (err.code(), err.message()) {
                    (Some(code), Some(msg)) => format!("{code}: {msg}"),
                    _ => crate::error::classify(err).message,
                };
                Err(ConnectError::Credentials {
                    region: self.region.clone(),
                    reason,
                    hint: if expired {
                        EXPIRED_HINT
                    } else {
                        CREDENTIALS_HINT
                    },
                })
            }
        }
    }

    /// The availability zones the region offers, in name order.
    pub async fn availability_zones(&self) -> Result<Vec<String>, berth_engine::CloudError> {
        use crate::error::AwsResultExt;
        let out = self
            .ec2
            .describe_availability_zones()
            .filters(crate::tags::filter("state", "available"))
            // Local Zones and Wavelength Zones are listed too once opted in; they lack NAT
            // gateways, ALBs and most instance types.
            .filters(crate::tags::filter("zone-type", "availability-zone"))
            .send()
            .await
            .aws()?;
        let mut names: Vec<String> = out
            .availability_zones()
            .iter()
            .filter_map(|z| z.zone_name().map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }
}
