//! Arabic first: every error answered in Arabic unless the request prefers English,
//! with the same code and the same field names either way.

use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_LANGUAGE, VARY};
use serde_json::{Value, json};

use crate::helpers::{TestApp, ndjson, record, spawn_app};

fn has_arabic(text: &str) -> bool {
    text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

/// The answer to `request` in `language`, with the language it says it is in.
async fn answer(request: reqwest::RequestBuilder, language: Option<&str>) -> (u16, Option<String>, Value) {
    let request = match language {
        Some(language) => request.header(ACCEPT_LANGUAGE, language),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_language = response.headers().get(CONTENT_LANGUAGE).map(|v| v.to_str().unwrap().to_string());
    let vary: Vec<String> =
        response.headers().get_all(VARY).iter().map(|v| v.to_str().unwrap().to_lowercase()).collect();
    assert!(vary.iter().any(|v| v.contains("accept-language")), "Vary: {vary:?}");
    (status, content_language, response.json().await.unwrap())
}

async fn registration_with_bad_fields(app: &TestApp, language: Option<&str>) -> (u16, Option<String>, Value) {
    let bad = json!({"email": "not-an-email", "password": "short", "name": "Noura", "role": "buyer"});
    // A client without default headers: what a browser or a phone sends.
    let client = reqwest::Client::new();
    answer(client.post(app.url("/api/v1/auth/register")).json(&bad), language).await
}

#[tokio::test]
async fn english_and_arabic_give_the_same_code_and_fields_in_two_languages() {
    let app = spawn_app().await;
    let (status_en, language_en, english) = registration_with_bad_fields(&app, Some("en-US,en;q=0.9")).await;
    let (status_ar, language_ar, arabic) = registration_with_bad_fields(&app, Some("ar-SA")).await;
    assert_eq!((status_en, status_ar), (400, 400));
    assert_eq!((language_en.as_deref(), language_ar.as_deref()), (Some("en"), Some("ar")));
    assert_eq!(english["error"]["code"], "VALIDATION_FAILED");
    assert_eq!(english["error"]["code"], arabic["error"]["code"]);
    let fields = |body: &Value| -> Vec<String> {
        body["error"]["details"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(fields(&english), fields(&arabic), "field names stay machine-readable");
    assert!(fields(&english).contains(&"email".to_string()), "{english}");
    let english_message = english["error"]["message"].as_str().unwrap();
    let arabic_message = arabic["error"]["message"].as_str().unwrap();
    assert!(!has_arabic(english_message) && english_message.starts_with("invalid"), "{english_message}");
    assert!(has_arabic(arabic_message), "{arabic_message}");
    for (english, arabic) in
        english["error"]["details"].as_array().unwrap().iter().zip(arabic["error"]["details"].as_array().unwrap())
    {
        let (english, arabic) = (english["reason"].as_str().unwrap(), arabic["reason"].as_str().unwrap());
        assert!(!has_arabic(english), "{english}");
        assert!(has_arabic(arabic), "no Arabic for {english:?}: {arabic:?}");
    }
    let email_reason = |body: &Value| {
        body["error"]["details"].as_array().unwrap().iter().find(|f| f["field"] == "email").unwrap()["reason"].clone()
    };
    assert_eq!(email_reason(&english), "must be a valid email address");
    assert_eq!(email_reason(&arabic), "يجب أن يكون بريدًا إلكترونيًا صحيحًا");
}

#[tokio::test]
async fn arabic_is_the_default_and_english_is_chosen_by_preference() {
    let app = spawn_app().await;
    for header in [None, Some("*"), Some("fr-FR, de;q=0.9"), Some("ar;q=0.9, en;q=0.4")] {
        let (_, language, body) = registration_with_bad_fields(&app, header).await;
        assert_eq!(language.as_deref(), Some("ar"), "{header:?}");
        assert!(has_arabic(body["error"]["message"].as_str().unwrap()), "{header:?}: {body}");
    }
    let (_, language, body) = registration_with_bad_fields(&app, Some("fr, en-GB;q=0.8, ar;q=0.5")).await;
    assert_eq!(language.as_deref(), Some("en"));
    assert!(!has_arabic(body["error"]["message"].as_str().unwrap()), "{body}");
}

#[tokio::test]
async fn errors_of_every_layer_answer_in_arabic() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    // A domain error from a handler.
    let listing = app.url(&format!("/api/v1/listings/{}", uuid::Uuid::new_v4()));
    let (status, _, body) = answer(client.get(&listing), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("NOT_FOUND")));
    assert_eq!(body["error"]["message"], "لم يُعثر على الإعلان");
    let (_, _, english) = answer(client.get(&listing), Some("en")).await;
    assert_eq!(english["error"]["message"], "listing not found");
    // The router's fallback.
    let (status, _, body) = answer(client.get(app.url("/api/v1/no-such-thing")), None).await;
    assert_eq!((status, body["error"]["message"].as_str()), (404, Some("لم يُعثر على المسار")));
    // A query parameter out of its range: the reason in Arabic, the field as named.
    let (status, _, body) = answer(client.get(app.url("/api/v1/search?q=filter&limit=500")), None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "limit");
    assert!(has_arabic(body["error"]["details"][0]["reason"].as_str().unwrap()), "{body}");
    // Malformed JSON, as serde describes it.
    let malformed =
        client.post(app.url("/api/v1/auth/login")).header("content-type", "application/json").body("{\"email\": ");
    let (status, _, body) = answer(malformed, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("BAD_REQUEST")));
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with("JSON غير سليم: انتهى النص قبل اكتمال القيمة"),
        "{body}"
    );
    assert_eq!(body["error"]["details"]["line"], 1, "the position stays machine-readable");
}

#[tokio::test]
async fn the_reasons_of_rejected_feed_lines_are_in_the_sellers_language() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("lang-seller").await;
    let mut bad = record("BAD-1");
    bad["price_sar"] = json!("-5");
    let body = ndjson(&[record("GOOD-1"), bad]);
    let sync = |language: &'static str| {
        reqwest::Client::new()
            .post(app.url("/api/v1/seller/inventory"))
            .bearer_auth(&key)
            .header("content-type", "application/x-ndjson")
            .header(ACCEPT_LANGUAGE, language)
            .body(body.clone())
    };
    let (status, language, arabic) = answer(sync("ar"), None).await;
    assert_eq!((status, language.as_deref()), (207, Some("ar")), "{arabic}");
    let (_, _, english) = answer(sync("en"), None).await;
    let rejected = |report: &Value| report["rejected"][0].clone();
    assert_eq!(rejected(&arabic)["field"], rejected(&english)["field"]);
    assert_eq!(rejected(&arabic)["sku"], "BAD-1");
    assert_eq!(rejected(&english)["reason"], "must be greater than 0");
    assert_eq!(rejected(&arabic)["reason"], "يجب أن يكون أكبر من صفر");
}

#[tokio::test]
async fn an_account_takes_the_language_it_registered_in_unless_it_says_another() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let register = |email: &str, language: Option<&str>, locale: Option<&str>| {
        let mut body = json!({"email": email, "password": "correct horse battery", "name": "Sara"});
        if let Some(locale) = locale {
            body["locale"] = json!(locale);
        }
        let request = client.post(app.url("/api/v1/auth/register")).json(&body);
        match language {
            Some(language) => request.header(ACCEPT_LANGUAGE, language),
            None => request,
        }
    };
    for (email, language, locale, expected) in [
        ("default@example.com", None, None, "ar"),
        ("english@example.com", Some("en-GB,en;q=0.9"), None, "en"),
        ("chosen@example.com", Some("en"), Some("ar"), "ar"),
    ] {
        let created: Value = register(email, language, locale).send().await.unwrap().json().await.unwrap();
        assert_eq!(created["user"]["locale"], expected, "{email}: {created}");
    }
}
