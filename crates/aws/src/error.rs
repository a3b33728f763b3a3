//! AWS errors turned into the engine's classified [`CloudError`].

use std::error::Error as StdError;

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

/// Something still uses the resource (delete) or an operation on it is still in progress.
const IN_USE: &[&str] = &[
    "DependencyViolation",
    "ResourceInUse",
    "ResourceInUseException",
    "InvalidIPAddress.InUse",
    "ResourceInUseFault",
    "ScalingActivityInProgress",
    "ScalingActivityInProgressFault",
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
    match (&err, code) {
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
            let class = class_of(&code);
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
    }
}

fn class_of(code: &str) -> ErrorClass {
    if THROTTLED.contains(&code) {
        ErrorClass::Throttled
    } else if IN_USE.contains(&code) {
        ErrorClass::DependencyViolation
    } else if code.ends_with(".NotFound") || code.ends_with("NotFound") || code == "NoSuchEntity" {
        ErrorClass::NotReady
    } else {
        ErrorClass::Fatal
    }
}

/// Whether the provider said the resource does not exist.
pub fn is_not_found(err: &CloudError) -> bool {
    err.code.as_deref().is_some_and(|c| {
        c.ends_with(".NotFound")
            || c.ends_with("NotFound")
            || c.ends_with("NotFoundException")
            || c == "NoSuchEntity"
    })
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

impl<T, E, R> AwsResultExt<T> for Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    fn aws(self) -> Result<T, CloudError> {
        self.map_err(classify)
    }
}
