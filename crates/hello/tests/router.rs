//! The router in-process, through `tower::ServiceExt::oneshot` (no socket).

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

async fn call(app: axum::Router, method: &str, uri: &str) -> (StatusCode, String, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let ctype = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = to_bytes(res.into_body(), 1 << 16).await.unwrap();
    (status, ctype, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn root_says_hello_world_as_plain_text() {
    let (status, ctype, body) = call(hello::app(), "GET", "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/plain"), "{ctype}");
    assert_eq!(body, "Hello World!");
}

#[tokio::test]
async fn healthz_says_ok() {
    let (status, _, body) = call(hello::app(), "GET", "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");
}

#[tokio::test]
async fn unknown_paths_are_404() {
    for uri in ["/nope", "/healthz/x", "/index.html"] {
        assert_eq!(
            call(hello::app(), "GET", uri).await.0,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn post_to_root_is_method_not_allowed() {
    assert_eq!(
        call(hello::app(), "POST", "/").await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn sleep_route_exists_only_when_enabled() {
    assert_eq!(
        call(hello::app(), "GET", "/sleep?ms=1").await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _, body) = call(hello::router(true), "GET", "/sleep?ms=1").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "slept"));
    assert_eq!(
        call(hello::router(true), "GET", "/sleep").await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test(start_paused = true)]
async fn slow_requests_time_out() {
    // Paused clock: the 10 s timeout fires at once, before the 60 s sleep.
    let (status, _, _) = call(hello::router(true), "GET", "/sleep?ms=60000").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[test]
fn port_parsing() {
    assert_eq!(hello::parse_port(None), Ok(8080));
    assert_eq!(hello::parse_port(Some("9000")), Ok(9000));
    for bad in ["", "abc", "0", "65536", "-1", "80x"] {
        let err = hello::parse_port(Some(bad)).unwrap_err();
        assert!(
            err.contains("invalid PORT") && err.contains("1 and 65535"),
            "{bad}: {err}"
        );
    }
}

#[tokio::test]
async fn a_callers_trace_is_continued_and_returned() {
    let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let req = Request::builder()
        .uri("/")
        .header("traceparent", caller)
        .body(Body::empty())
        .unwrap();
    let res = hello::app().oneshot(req).await.unwrap();
    let ours = res.headers()["traceparent"].to_str().unwrap();
    assert!(
        ours.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-") && ours.ends_with("-01"),
        "{ours}"
    );
    assert_ne!(ours, caller, "hello's own span as the parent");

    // Without one, a trace of its own.
    let res = hello::app()
        .oneshot(Request::builder().uri("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let fresh = res.headers()["traceparent"].to_str().unwrap();
    assert_eq!(fresh.len(), 55, "{fresh}");
}
