//! TLS: the stack's certificate from ACM, its DNS validation, and the wait for it.

pub mod certificate;
pub mod certificate_validation;
pub mod validation_record;
