//! AWS errors turned into the engine's classified [`CloudError`].

use std::error::Error as StdError;

use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use berth_engine::{CloudError, ErrorClass};

/// Rate limits and transient server faults.
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "PriorRequestNotComplete",
    "SlowDown",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "Unavailable",
];

/// Something still uses the resource being deleted. AWS holds security groups, subnets and
/// public addresses for minutes after a load balancer, NAT gateway or task is gone; IAM refuses
/// to delete a role still in an instance profile. Retried by deletes until their deadline.
const IN_USE: &[&str] = &[
    "DependencyViolation",
    "ResourceInUse",
    "ResourceInUseException",
    "ResourceInUseFault",
    "InvalidIPAddress.InUse",
    "InvalidGroup.InUse",
    "DeleteConflict",
    "ScalingActivityInProgress",
    "ScalingActivityInProgressFault",
];

/// An earlier change to the resource is still being applied: wait, then try again, whether
/// creating, updating or deleting (ECS cluster attachments, ASG instance refreshes).
const IN_PROGRESS: &[&str] = &[
    "UpdateInProgressException",
    "InstanceRefreshInProgress",
    "InstanceRefreshInProgressFault",
];

/// Eventual consistency that AWS reports as a bad request: the thing it names exists but has
/// not reached the service checking it yet. The Terraform AWS provider retries exactly these:
/// `internal/service/ecs/service.go` (retryServiceCreate: a target group whose listener rule
/// is brand new; a new account's ECS service-linked role), `internal/service/autoscaling/group.go`
/// (a launch template naming a seconds-old instance profile).
const NOT_READY_MESSAGES: &[(&str, &str)] = &[
    (
        "InvalidParameterException",
        "does not have an associated load balancer",
    ),
    (
        "InvalidParameterException",
        "Unable to assume the service linked role",
    ),
    (
        "InvalidParameterException",
        "verify that the ECS service role being passed has the proper permissions",
    ),
    // internal/service/ecs/cluster_capacity_providers.go, retryClusterCapacityProvidersPut.
    ("ClientException", "Cluster was not ACTIVE"),
    ("ValidationError", "Invalid IAM Instance Profile"),
    ("InvalidParameterValue", "Invalid IAM Instance Profile"),
];

/// Credentials that don't work: no retry, and a hint that says what to do.
const AUTH: &[&str] = &[
    "AuthFailure",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
];

/// Classify an SDK error. Ids that are not found yet right after their creation are eventual
/// consistency: callers that know a NotFound means "gone" check [`is_not_found`] first.
pub fn classify<E, R>(err: SdkError<E, R>) -> CloudError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = err.code().map(str::to_string);
    let message = err.message().map(str::to_string);
    let error = match (&err, code) {
        (
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_),
            _,
        ) => CloudError::new(
            ErrorClass::Throttled,
            None,
            format!("request failed in transit: {}", root_cause(&err)),
        ),
        (_, Some(code)) => {
            let text = message.unwrap_or_else(|| root_cause(&err));
            let class = class_of(&code, &text);
            let text = if AUTH.contains(&code.as_str()) {
                format!(
                    "{text}. Check your AWS credentials (AWS_PROFILE, `aws sso login`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
                )
            } else {
                text
            };
            CloudError::new(class, Some(code), text)
        }
        (_, None) => CloudError::fatal(root_cause(&err)),
    };
    error.during(operation_of::<E>())
}

/// `ec2:CreateVpc` for `aws_sdk_ec2::operation::create_vpc::CreateVpcError`: every SDK
/// operation has its own error type, so the type names the call without any call site
/// having to.
fn operation_of<E>() -> String {
    let path = std::any::type_name::<E>();
    let service = path
        .strip_prefix("aws_sdk_")
        .and_then(|p| p.split("::").next())
        .unwrap_or("aws");
    let name = path.rsplit("::").next().unwrap_or(path);
    let operation = name.strip_suffix("Error").unwrap_or(name);
    format!("{service}:{operation}")
}

/// One rule for every caller: what retries, what waits, what is final.
fn class_of(code: &str, message: &str) -> ErrorClass {
    if THROTTLED.contains(&code) {
        ErrorClass::Throttled
    } else if IN_USE.contains(&code) {
        ErrorClass::DependencyViolation
    } else if IN_PROGRESS.contains(&code)
        || is_not_found_code(code)
        || NOT_READY_MESSAGES
            .iter()
            .any(|(c, m)| *c == code && message.contains(m))
    {
        // A NotFound right after the create that made it is EC2's and IAM's eventual
        // consistency; callers for whom NotFound means "gone" check [`is_not_found`] first.
        ErrorClass::NotReady
    } else {
        ErrorClass::Fatal
    }
}

fn is_not_found_code(code: &str) -> bool {
    code.ends_with("NotFound")
        || code.ends_with("NotFoundException")
        || code.ends_with("NotFoundFault")
        || code == "NoSuchEntity"
}

/// Whether the provider said the resource does not exist.
pub fn is_not_found(err: &CloudError) -> bool {
    err.code.as_deref().is_some_and(is_not_found_code)
}

/// Deleting what is already gone is success.
pub fn ignore_not_found(result: Result<(), CloudError>) -> Result<(), CloudError> {
    match result {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other,
    }
}

/// The innermost error message, without the SDK's wrapper text.
pub(crate) fn root_cause(err: &(dyn StdError + 'static)) -> String {
    let mut cur = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// `result.map_err(aws_err)?` in every resource kind.
pub trait AwsResultExt<T> {
    fn aws(self) -> Result<T, CloudError>;
}

/// `call.into_paginator().items().send().all().await` in every kind: every item of every page,
/// or the first error, classified.
pub trait AllPages<T> {
    fn all(self) -> impl std::future::Future<Output = Result<Vec<T>, CloudError>> + Send;
}

impl<T, E, R> AllPages<T> for PaginationStream<Result<T, SdkError<E, R>>>
where
    T: Send + 'static,
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    async fn all(self) -> Result<Vec<T>, CloudError> {
        self.collect::<Result<Vec<T>, _>>().await.aws()
    }
}

impl<T, E, R> AwsResultExt<T> for Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    fn aws(self) -> Result<T, CloudError> {
        self.map_err(classify)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_what_real_aws_answers() {
        let cases = [
            ("RequestLimitExceeded", "", ErrorClass::Throttled),
            ("InvalidGroup.InUse", "", ErrorClass::DependencyViolation),
            ("DeleteConflict", "", ErrorClass::DependencyViolation),
            ("UpdateInProgressException", "", ErrorClass::NotReady),
            ("InstanceRefreshInProgress", "", ErrorClass::NotReady),
            ("InvalidVpcID.NotFound", "", ErrorClass::NotReady),
            ("ClusterNotFoundException", "", ErrorClass::NotReady),
            (
                "InvalidParameterException",
                "The target group with targetGroupArn arn:aws:elasticloadbalancing:eu-west-2:1:targetgroup/a/b does not have an associated load balancer.",
                ErrorClass::NotReady,
            ),
            (
                "ValidationError",
                "You must use a valid fully-formed launch template. Value (x) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
                ErrorClass::NotReady,
            ),
            ("InvalidParameterException", "bad subnet", ErrorClass::Fatal),
            ("ValidationError", "min size > max size", ErrorClass::Fatal),
            ("AccessDenied", "", ErrorClass::Fatal),
        ];
        for (code, message, class) in cases {
            assert_eq!(class_of(code, message), class, "{code}: {message}");
        }
    }

    #[test]
    fn errors_name_the_call_that_failed() {
        assert_eq!(
            operation_of::<aws_sdk_ec2::operation::create_vpc::CreateVpcError>(),
            "ec2:CreateVpc"
        );
        assert_eq!(
            operation_of::<
                aws_sdk_elasticloadbalancingv2::operation::describe_rules::DescribeRulesError,
            >(),
            "elasticloadbalancingv2:DescribeRules"
        );
        let e = CloudError::new(ErrorClass::Fatal, Some("InvalidVpcRange".into()), "bad")
            .during("ec2:CreateVpc");
        assert_eq!(e.to_string(), "ec2:CreateVpc: InvalidVpcRange: bad");
    }

    #[test]
    fn not_found_is_one_rule() {
        for code in [
            "InvalidSubnetID.NotFound",
            "NatGatewayNotFound",
            "ServiceNotFoundException",
            "LoadBalancerNotFound",
            "NoSuchEntity",
        ] {
            let e = CloudError::new(class_of(code, ""), Some(code.into()), "x");
            assert!(
                is_not_found(&e) && e.class == ErrorClass::NotReady,
                "{code}"
            );
        }
    }
}
