//! Seller verification: documents with invalid numbers or files are refused naming the
//! field; valid ones are stored privately (never under /media) and read back only by
//! their seller and administrators; the review queue leads to the verified seller.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::auth_support::{AuthApp, Session, spawn_auth_app_with};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const IBAN: &str = "SA03 8000 0000 6080 1016 7519";

async fn spawn_kyc_app() -> AuthApp {
    spawn_auth_app_with(|settings| settings.rate_limit.auth.limit = 100).await
}

fn form(kind: &str, number: (&str, &str), expires_on: Option<&str>, file: &[u8]) -> Form {
    let mut form = Form::new().text("type", kind.to_string()).text(number.0.to_string(), number.1.to_string());
    if let Some(date) = expires_on {
        form = form.text("expires_on", date.to_string());
    }
    form.part("file", Part::bytes(file.to_vec()).file_name("document.pdf").mime_str("application/pdf").unwrap())
}

async fn upload(app: &AuthApp, seller: &Session, form: Form) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/seller/kyc/documents"))
        .bearer_auth(&seller.access)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn field_of(response: reqwest::Response) -> String {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 400, "{body}");
    body["error"]["details"][0]["field"].as_str().unwrap_or_default().to_string()
}

async fn review(app: &AuthApp, admin: &Session, id: &str, body: Value) -> reqwest::Response {
    app.post_as(&admin.access, &format!("/api/v1/admin/kyc/documents/{id}/review"), &body).await
}

async fn verification(app: &AuthApp, seller: &Session) -> Value {
    let response = app.get_as(&seller.access, "/api/v1/seller/kyc").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn invalid_numbers_and_files_are_refused_naming_the_field() {
    let app = spawn_kyc_app().await;
    let (seller, _) = app.register_seller("kyc-bad@example.com", "Bad Papers").await;
    let wrong_iban = form("bank_letter", ("iban", "SA03 8000 0000 6080 1016 7518"), None, PDF);
    assert_eq!(field_of(upload(&app, &seller, wrong_iban).await).await, "iban");
    let short_cr = form("commercial_registration", ("cr_number", "101012345"), Some("2030-01-01"), PDF);
    assert_eq!(field_of(upload(&app, &seller, short_cr).await).await, "cr_number");
    let wrong_vat = form("vat_certificate", ("vat_number", "410122393500003"), None, PDF);
    assert_eq!(field_of(upload(&app, &seller, wrong_vat).await).await, "vat_number");
    let script = form("bank_letter", ("iban", IBAN), None, b"<script>alert(1)</script>");
    assert_eq!(field_of(upload(&app, &seller, script).await).await, "file");
    let expired = form("commercial_registration", ("cr_number", "1010123456"), Some("2020-01-01"), PDF);
    assert_eq!(field_of(upload(&app, &seller, expired).await).await, "expires_on");
    let buyer = app.register_buyer("kyc-buyer@example.com").await;
    let refused = upload(&app, &buyer, form("bank_letter", ("iban", IBAN), None, PDF)).await;
    assert_eq!(refused.status(), 403, "only sellers have documents");
    assert!(files_under(app.documents_dir()).is_empty(), "nothing refused is kept");
}

#[tokio::test]
async fn three_approved_documents_make_a_verified_seller_and_the_files_stay_private() {
    let app = spawn_kyc_app().await;
    let (seller, seller_id) = app.register_seller("kyc@example.com", "Verified Parts").await;
    let (other, _) = app.register_seller("kyc-other@example.com", "Other Parts").await;
    let admin = app.admin("kyc-admin@example.com").await;

    let mut ids = Vec::new();
    for form in [
        form("commercial_registration", ("cr_number", "١٠١٠١٢٣٤٥٦"), Some("2030-06-30"), PDF),
        form("vat_certificate", ("vat_number", "310122393500003"), None, PDF),
        form("bank_letter", ("iban", IBAN), None, PDF),
    ] {
        let response = upload(&app, &seller, form).await;
        assert_eq!(response.status(), 201);
        let document: Value = response.json().await.unwrap();
        assert_eq!(document["status"], "pending");
        ids.push(document["id"].as_str().unwrap().to_string());
    }
    let status = verification(&app, &seller).await;
    assert_eq!(status["verified"], false);
    assert_eq!(status["documents"].as_array().unwrap().len(), 3);

    // The files are in the private store, under no public URL, for the seller and admins only.
    let stored = files_under(app.documents_dir());
    assert_eq!(stored.len(), 3, "{stored:?}");
    assert!(files_under(app.media_dir()).is_empty(), "nothing private lands in the media store");
    let file_path = format!("/api/v1/seller/kyc/documents/{}/file", ids[2]);
    let own = app.get_as(&seller.access, &file_path).await;
    assert_eq!(own.status(), 200);
    assert_eq!(own.headers()["cache-control"], "private, no-store");
    assert_eq!(own.bytes().await.unwrap().as_ref(), PDF);
    assert_eq!(app.get_as(&other.access, &file_path).await.status(), 404, "another seller finds nothing");
    let relative = stored[0].strip_prefix(app.documents_dir()).unwrap().to_string_lossy().to_string();
    let public = app.client.get(app.url(&format!("/media/{relative}"))).send().await.unwrap();
    assert_eq!(public.status(), 404);
    let as_admin = app.get_as(&admin.access, &format!("/api/v1/admin/kyc/documents/{}/file", ids[0])).await;
    assert_eq!(as_admin.status(), 200);
    // The numbers are sealed at rest.
    let sealed: Vec<String> =
        sqlx::query_scalar("SELECT number_sealed FROM seller_documents").fetch_all(&app.db).await.unwrap();
    assert!(sealed.iter().all(|s| !s.contains("1010123456") && !s.contains("SA0380000000608010167519")));

    // The queue shows the numbers in full to the reviewer; sellers cannot see it.
    let queue: Value = app.get_as(&admin.access, "/api/v1/admin/kyc/documents").await.json().await.unwrap();
    let numbers: Vec<&str> = queue["data"].as_array().unwrap().iter().map(|d| d["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["1010123456", "310122393500003", "SA0380000000608010167519"]);
    assert_eq!(app.get_as(&seller.access, "/api/v1/admin/kyc/documents").await.status(), 403);

    // A rejection needs a reason, which the seller reads; a new letter replaces it.
    assert_eq!(field_of(review(&app, &admin, &ids[2], json!({"decision": "reject"})).await).await, "reason");
    let rejected =
        review(&app, &admin, &ids[2], json!({"decision": "reject", "reason": "The letter is not stamped"})).await;
    assert_eq!(rejected.status(), 200);
    let again = review(&app, &admin, &ids[2], json!({"decision": "approve"})).await;
    assert_eq!(again.status(), 409, "a decided document stays decided");
    let status = verification(&app, &seller).await;
    let letter = status["documents"].as_array().unwrap().iter().find(|d| d["type"] == "bank_letter").unwrap().clone();
    assert_eq!(
        (letter["status"].as_str(), letter["reason"].as_str()),
        (Some("rejected"), Some("The letter is not stamped"))
    );
    assert!(status["flags"].as_array().unwrap().contains(&json!("rejected_bank_letter")));
    let replaced = upload(&app, &seller, form("bank_letter", ("iban", IBAN), None, PDF)).await;
    let letter: Value = replaced.json().await.unwrap();

    for id in [&ids[0], &ids[1], &letter["id"].as_str().unwrap().to_string()] {
        assert_eq!(review(&app, &admin, id, json!({"decision": "approve"})).await.status(), 200);
    }
    let status = verification(&app, &seller).await;
    assert_eq!(status["verified"], true, "{status}");
    assert_eq!(status["flags"], json!([]));
    let verified: i64 =
        sqlx::query_scalar("SELECT count(*) FROM event_outbox WHERE topic = 'seller.verified' AND subject_id = $1")
            .bind(seller_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(verified, 1);
    let reviews: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE event = 'kyc.document_reviewed'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(reviews, 4);
}

/// Verifies `seller` by uploading its three documents and approving them.
async fn verify(app: &AuthApp, seller: &Session, admin: &Session) {
    for form in [
        form("commercial_registration", ("cr_number", "1010123456"), Some("2030-06-30"), PDF),
        form("vat_certificate", ("vat_number", "310122393500003"), None, PDF),
        form("bank_letter", ("iban", IBAN), None, PDF),
    ] {
        let document: Value = upload(app, seller, form).await.json().await.unwrap();
        let id = document["id"].as_str().unwrap();
        assert_eq!(review(app, admin, id, json!({"decision": "approve"})).await.status(), 200);
    }
}

#[tokio::test]
async fn a_verified_seller_is_told_shows_its_badge_ranks_first_among_equals_and_loses_it_when_the_registration_expires()
{
    let sendgrid = crate::auth_support::sendgrid().await;
    let app = crate::auth_support::spawn_mailing_app(&sendgrid, |_| {}).await;
    let (seller, seller_id) = app.register_seller("badge@example.com", "Badge Parts").await;
    let (_, plain_id) = app.register_seller("plain@example.com", "Plain Parts").await;
    let admin = app.admin("badge-admin@example.com").await;
    for (id, sku) in [(plain_id, "PLAIN-1"), (seller_id, "BADGE-1")] {
        let key = cargoparts::catalog::api_keys::issue_key(&app.db, id, Some("test")).await.unwrap().secret;
        let posted = app
            .post_inventory(&key, "application/x-ndjson", crate::helpers::ndjson(&[crate::helpers::record(sku)]))
            .await;
        assert_eq!(posted.status(), 200);
    }
    verify(&app, &seller, &admin).await;
    app.wait_for_index().await;

    // Two listings alike in every word: the verified seller's comes first, with its badge.
    let found = app.search(&[("q", "فلتر زيت كامري")]).await;
    let hits: Vec<(&str, bool)> = found["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["sku"].as_str().unwrap(), h["seller"]["verified"].as_bool().unwrap()))
        .collect();
    assert_eq!(hits, [("BADGE-1", true), ("PLAIN-1", false)]);
    let only = app.search(&[("q", "فلتر زيت كامري"), ("verified", "true")]).await;
    assert_eq!(only["data"].as_array().unwrap().len(), 1);
    let profile: Value =
        app.client.get(app.url(&format!("/api/v1/sellers/{seller_id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(profile["verified"], true);

    // The seller's account is told.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let told = crate::auth_support::emails(&sendgrid).await.into_iter().any(|e| {
            e["subject"].as_str().unwrap().contains("تم توثيق متجرك")
                && e["personalizations"][0]["to"][0]["email"] == "badge@example.com"
        });
        if told {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the seller was not told");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // The registration runs out: the badge goes, everywhere.
    sqlx::query(
        "UPDATE seller_documents SET expires_on = '2026-01-01' WHERE seller_id = $1 AND expires_on IS NOT NULL",
    )
    .bind(seller_id)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query("UPDATE sellers SET cr_expires_on = '2026-01-01' WHERE id = $1")
        .bind(seller_id)
        .execute(&app.db)
        .await
        .unwrap();
    let lapsed = cargoparts::kyc::documents::lapse_expired(&app.db, chrono::Utc::now()).await.unwrap();
    assert_eq!(lapsed, 1);
    let status = verification(&app, &seller).await;
    assert_eq!((status["verified"].as_bool(), status["flags"][0].as_str()), (Some(false), Some("cr_expired")));
    app.wait_for_index().await;
    let only = app.search(&[("q", "فلتر زيت كامري"), ("verified", "true")]).await;
    assert!(only["data"].as_array().unwrap().is_empty(), "{only}");
    let unverified: i64 =
        sqlx::query_scalar("SELECT count(*) FROM event_outbox WHERE topic = 'seller.unverified' AND subject_id = $1")
            .bind(seller_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(unverified, 1);
}
