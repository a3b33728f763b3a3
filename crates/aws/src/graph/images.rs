//! Image references: what a service's `image` means in the stack.

use crate::names::{self, out};
use berth_engine::Value;

use super::refer;

/// A bare image name (no registry) lives in the stack's own repository, under its tag.
pub fn image_ref(image: &str) -> Value {
    // `team/app:1`, `ghcr.io/x/y:1`, `123.dkr.ecr.../repo:1`: used as written.
    if image.contains('/') {
        return Value::from(image);
    }
    let tag = image
        .split_once('@')
        .map(|(_, d)| format!("@{d}"))
        .or_else(|| image.split_once(':').map(|(_, t)| format!(":{t}")));
    Value::Concat(vec![
        refer(names::repository(), out::URL),
        Value::from(tag.unwrap_or_else(|| ":latest".into())),
    ])
}
