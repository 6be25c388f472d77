//! Security headers and the OpenAPI description of the auth endpoints.

use serde_json::Value;

use crate::auth_support::spawn_auth_app;

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_auth_app().await;
    for (path, json) in [
        ("/api/v1/categories", true),
        ("/api/v1/no-such-route", true),
        ("/api/v1/me", true),
        ("/api/health", true),
        ("/api/docs", false),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["strict-transport-security"], "max-age=63072000; includeSubDomains", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["cross-origin-opener-policy"], "same-origin", "{path}");
        assert_eq!(headers.contains_key("content-security-policy"), json, "{path}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_auth_endpoints_and_the_bearer_scheme() {
    let app = spawn_auth_app().await;
    let document: Value = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let scheme = &document["components"]["securitySchemes"]["bearer_jwt"];
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");
    let paths = document["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/mfa/verify", "post"),
        ("/api/v1/auth/otp/request", "post"),
        ("/api/v1/auth/otp/verify", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me", "patch"),
        ("/api/v1/me", "delete"),
        ("/api/v1/me/export", "get"),
        ("/api/v1/me/password", "post"),
        ("/api/v1/me/mfa/totp", "post"),
        ("/api/v1/me/mfa/totp/confirm", "post"),
        ("/api/v1/me/mfa/totp/disable", "post"),
        ("/api/v1/me/mfa/recovery-codes", "post"),
        ("/api/v1/seller/api-keys", "get"),
        ("/api/v1/seller/api-keys", "post"),
        ("/api/v1/seller/api-keys/{id}", "delete"),
        ("/api/v1/admin/audit-log", "get"),
        ("/api/v1/admin/users/{id}/revoke-sessions", "post"),
        // The catalog's paths survive the merge.
        ("/api/v1/seller/inventory", "post"),
        ("/api/v1/listings/{id}", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    let me = &paths["/api/v1/me"]["get"];
    assert_eq!(me["security"][0]["bearer_jwt"], serde_json::json!([]));
    let tags: Vec<&str> = document["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    for tag in ["auth", "account", "seller-keys", "admin", "catalog"] {
        assert!(tags.contains(&tag), "{tag} in {tags:?}");
    }
}
