//! Roles and ownership: nobody reaches another account's data or an endpoint above
//! their role.

use serde_json::{Value, json};

use crate::auth_support::{PASSWORD, spawn_auth_app};

#[tokio::test]
async fn buyers_and_sellers_are_refused_on_admin_endpoints_and_anonymous_callers_are_asked_to_sign_in() {
    let app = spawn_auth_app().await;
    let buyer = app.register_buyer("buyer@example.com").await;
    let (seller, _) = app.register_seller("seller@example.com", "Parts Co").await;
    let paths = ["/api/v1/admin/audit-log", &format!("/api/v1/admin/users/{}/revoke-sessions", buyer.user_id)];
    for token in [&buyer.access, &seller.access] {
        let response = app.get_as(token, paths[0]).await;
        assert_eq!(response.status(), 403);
        let envelope: Value = response.json().await.unwrap();
        assert_eq!(envelope["error"]["code"], "FORBIDDEN");
        assert_eq!(app.post_as(token, paths[1], &json!({})).await.status(), 403);
    }
    let anonymous = app.client.get(app.url(paths[0])).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_demoted_admin_loses_access_before_the_token_expires() {
    let app = spawn_auth_app().await;
    let admin = app.admin("admin@example.com").await;
    assert_eq!(app.get_as(&admin.access, "/api/v1/admin/audit-log").await.status(), 200);
    sqlx::query("UPDATE users SET role = 'buyer' WHERE id = $1").bind(admin.user_id).execute(&app.db).await.unwrap();
    assert_eq!(app.get_as(&admin.access, "/api/v1/admin/audit-log").await.status(), 403);
}

#[tokio::test]
async fn sellers_manage_their_own_keys_and_cannot_touch_another_sellers() {
    let app = spawn_auth_app().await;
    let (alice, alice_seller) = app.register_seller("alice@example.com", "Alice Parts").await;
    let (bob, _) = app.register_seller("bob@example.com", "Bob Parts").await;

    let created = app.post_as(&bob.access, "/api/v1/seller/api-keys", &json!({"label": "warehouse system"})).await;
    assert_eq!(created.status(), 201);
    let bob_key: Value = created.json().await.unwrap();
    let bob_secret = bob_key["secret"].as_str().unwrap().to_string();
    assert!(bob_secret.starts_with("cpk_"));
    let bob_key_id = bob_key["id"].as_str().unwrap().to_string();

    // Alice cannot see, revoke or even confirm Bob's key exists.
    let alice_list: Value = app.get_as(&alice.access, "/api/v1/seller/api-keys").await.json().await.unwrap();
    assert_eq!(alice_list["data"].as_array().unwrap().len(), 0);
    let revoke = app
        .client
        .delete(app.url(&format!("/api/v1/seller/api-keys/{bob_key_id}")))
        .bearer_auth(&alice.access)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 404);
    let missing = app
        .client
        .delete(app.url(&format!("/api/v1/seller/api-keys/{}", uuid::Uuid::new_v4())))
        .bearer_auth(&alice.access)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let bob_sync = app.client.get(app.url("/api/v1/seller/listings")).bearer_auth(&bob_secret).send().await.unwrap();
    assert_eq!(bob_sync.status(), 200, "Bob's key still works");

    // Bob sees his key without its secret, and revokes it.
    let bob_list: Value = app.get_as(&bob.access, "/api/v1/seller/api-keys").await.json().await.unwrap();
    assert_eq!(bob_list["data"][0]["id"], bob_key_id.as_str());
    assert_eq!(bob_list["data"][0]["label"], "warehouse system");
    assert!(!bob_list.to_string().contains(&bob_secret));
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/seller/api-keys/{bob_key_id}")))
        .bearer_auth(&bob.access)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let after = app.client.get(app.url("/api/v1/seller/listings")).bearer_auth(&bob_secret).send().await.unwrap();
    assert_eq!(after.status(), 401);

    // A key Alice creates works for Alice's seller only.
    let alice_key: Value =
        app.post_as(&alice.access, "/api/v1/seller/api-keys", &json!({})).await.json().await.unwrap();
    let owner: uuid::Uuid = sqlx::query_scalar("SELECT seller_id FROM seller_api_keys WHERE id = $1::uuid")
        .bind(alice_key["id"].as_str().unwrap())
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(owner, alice_seller);
}

#[tokio::test]
async fn buyers_cannot_manage_api_keys() {
    let app = spawn_auth_app().await;
    let buyer = app.register_buyer("shopper@example.com").await;
    assert_eq!(app.get_as(&buyer.access, "/api/v1/seller/api-keys").await.status(), 403);
    let create = app.post_as(&buyer.access, "/api/v1/seller/api-keys", &json!({})).await;
    assert_eq!(create.status(), 403);
    assert_eq!(app.count("SELECT count(*) FROM seller_api_keys").await, 0);
}

#[tokio::test]
async fn me_answers_only_the_callers_own_account() {
    let app = spawn_auth_app().await;
    let (first, _) = app
        .register(json!({"email": "one@example.com", "phone": "0501111111", "password": PASSWORD, "name": "One"}))
        .await;
    let (second, _) = app
        .register(json!({"email": "two@example.com", "phone": "0502222222", "password": PASSWORD, "name": "Two"}))
        .await;
    let me: Value =
        app.get_as(&second.access, &format!("/api/v1/me?user_id={}", first.user_id)).await.json().await.unwrap();
    assert_eq!(me["id"], second.user_id.to_string());
    let everything = me.to_string();
    assert!(!everything.contains("one@example.com"));
    assert!(!everything.contains("501111111"));
    assert!(!everything.contains(&first.user_id.to_string()));
}

#[tokio::test]
async fn the_audit_log_is_paginated_filterable_and_free_of_secrets() {
    let app = spawn_auth_app().await;
    let admin = app.admin("auditor@example.com").await;
    let (seller, _) = app.register_seller("logged@example.com", "Logged Parts").await;
    let key: Value = app.post_as(&seller.access, "/api/v1/seller/api-keys", &json!({})).await.json().await.unwrap();
    app.login(&json!({"email": "logged@example.com", "password": "a wrong password!"})).await;

    let page: Value = app.get_as(&admin.access, "/api/v1/admin/audit-log?limit=2").await.json().await.unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(page["meta"]["limit"], 2);
    assert!(page["meta"]["total"].as_u64().unwrap() >= 5);
    assert_eq!(page["meta"]["hasNext"], true);
    let failures: Value =
        app.get_as(&admin.access, "/api/v1/admin/audit-log?event=login.failed").await.json().await.unwrap();
    assert_eq!(failures["meta"]["total"], 1);
    assert_eq!(failures["data"][0]["subject_id"], seller.user_id.to_string());
    assert_eq!(failures["data"][0]["ip"], "127.0.0.1");
    assert_eq!(failures["data"][0]["details"]["reason"], "wrong_password");

    let filtered: Value = app
        .get_as(&admin.access, &format!("/api/v1/admin/audit-log?user_id={}&event=api_key.created", seller.user_id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["meta"]["total"], 1);
    assert_eq!(filtered["data"][0]["details"]["key_id"], key["id"]);

    let everything: Vec<String> =
        sqlx::query_scalar("SELECT concat_ws(' ', event, user_agent, details::text) FROM audit_log")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let everything = everything.join("\n");
    for secret in [PASSWORD, "a wrong password!", key["secret"].as_str().unwrap(), &seller.access, &seller.refresh] {
        assert!(!everything.contains(secret), "{secret} leaked into the audit log");
    }

    let bad = app.get_as(&admin.access, "/api/v1/admin/audit-log?limit=1000").await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn an_admin_ends_a_users_sessions() {
    let app = spawn_auth_app().await;
    let admin = app.admin("ops@example.com").await;
    let user = app.register_buyer("compromised@example.com").await;
    let response =
        app.post_as(&admin.access, &format!("/api/v1/admin/users/{}/revoke-sessions", user.user_id), &json!({})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["sessions_revoked"], 1);
    let refresh = app.post("/api/v1/auth/refresh", &json!({"refresh_token": user.refresh})).await;
    assert_eq!(refresh.status(), 401);
    let unknown = app
        .post_as(&admin.access, &format!("/api/v1/admin/users/{}/revoke-sessions", uuid::Uuid::new_v4()), &json!({}))
        .await;
    assert_eq!(unknown.status(), 404);
    let actor: uuid::Uuid = sqlx::query_scalar("SELECT actor_id FROM audit_log WHERE event = 'admin.sessions_revoked'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(actor, admin.user_id);
}

#[tokio::test]
async fn appointing_an_administrator_ends_the_accounts_sessions_and_is_audited() {
    let app = spawn_auth_app().await;
    let before = app.register_buyer("appointed@example.com").await;
    cargoparts::auth::users::set_role(&app.db, "appointed@example.com", cargoparts::auth::principal::Role::Admin, None)
        .await
        .unwrap();
    assert_eq!(
        app.get_as(&before.access, "/api/v1/admin/audit-log").await.status(),
        403,
        "a token issued before the appointment does not carry the role"
    );
    let tokens = app.login_ok(&json!({"email": "appointed@example.com", "password": PASSWORD})).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = app.post("/api/v1/auth/refresh", &json!({"refresh_token": before.refresh})).await;
    assert_eq!(refresh.status(), 401, "sessions from before the change end");
    assert_eq!(app.get_as(access, "/api/v1/admin/audit-log").await.status(), 200);
    let details: Value =
        sqlx::query_scalar("SELECT details FROM audit_log WHERE event = 'admin.role_changed' AND subject_id = $1")
            .bind(before.user_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(details["role"], "admin");
}

#[tokio::test]
async fn a_seller_role_needs_an_existing_seller_record() {
    let app = spawn_auth_app().await;
    app.register_buyer("becomes-seller@example.com").await;
    let missing = cargoparts::auth::users::set_role(
        &app.db,
        "becomes-seller@example.com",
        cargoparts::auth::principal::Role::Seller,
        Some("NO-SUCH-SELLER"),
    )
    .await;
    assert!(missing.is_err());
    let (seller_id, _) = app.seller_with_key("S-EXISTING").await;
    cargoparts::auth::users::set_role(
        &app.db,
        "Becomes-Seller@example.com",
        cargoparts::auth::principal::Role::Seller,
        Some("S-EXISTING"),
    )
    .await
    .unwrap();
    let tokens = app.login_ok(&json!({"email": "becomes-seller@example.com", "password": PASSWORD})).await;
    let me: Value = app.get_as(tokens["access_token"].as_str().unwrap(), "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["role"], "seller");
    assert_eq!(me["seller_id"], seller_id.to_string());
}
