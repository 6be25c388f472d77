//! The shopper-facing site over HTTP: pages, languages, escaping, the content policy,
//! "my car" and its form token. The same site in a real browser is in `browser.rs`.

use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::{TestApp, ndjson, record, spawn_app};

/// A seller's listings: a Camry oil filter, a used Camry oil filter, a Sonata brake
/// pad, and a title written to attack the page.
pub async fn shop_with_listings(app: &TestApp) -> Vec<Value> {
    let (_, key) = app.seller_with_key("S1").await;
    let mut used = record("CAMRY-USED");
    used["condition"] = json!("used");
    used["price_sar"] = json!("30.00");
    used["city"] = json!("Jeddah");
    let mut pads = record("SONATA-PADS");
    pads["title"] = json!("فحمات فرامل هيونداي سوناتا 2015-2019");
    pads["category"] = json!("brake-pads");
    pads["fitment"] = json!([{"make": "Hyundai", "model": "Sonata", "year_from": 2015, "year_to": 2019}]);
    pads["oem_numbers"] = json!(["58101-C1A00"]);
    pads["brand"] = json!("Mando");
    let mut hostile = record("HOSTILE");
    hostile["title"] = json!("<script>alert('x')</script> فلتر هواء <img src=x onerror=alert(1)>");
    hostile["category"] = json!("air-filter");
    let records = vec![record("CAMRY-NEW"), used, pads, hostile];
    let response = app.post_inventory(&key, "application/x-ndjson", ndjson(&records)).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    app.wait_for_index().await;
    records
}

async fn page(app: &TestApp, path: &str) -> (reqwest::StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn listing_id(body: &str) -> String {
    let at = body.find("/listings/").expect("a link to a listing") + "/listings/".len();
    body[at..at + 36].to_string()
}

#[tokio::test]
async fn the_home_page_is_arabic_first_and_english_under_en() {
    let app = spawn_app().await;
    shop_with_listings(&app).await;

    let (status, headers, body) = page(&app, "/").await;
    assert_eq!(status, 200);
    assert_eq!(headers[CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(body.contains(r#"<html lang="ar" dir="rtl">"#), "{body}");
    assert!(body.contains("كارغو بارتس"));
    assert!(body.contains(r#"href="/en/""#), "the switch to English");
    // The popular categories, counted over the catalog.
    assert!(body.contains("فلتر زيت") && body.contains("٢ إعلان"), "{body}");

    let (status, _, body) = page(&app, "/en/").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#"<html lang="en" dir="ltr">"#));
    assert!(body.contains("Popular categories") && body.contains("Oil filter") && body.contains("2 listings"));
    assert_eq!(page(&app, "/en").await.0, 200);
}

#[tokio::test]
async fn pages_allow_no_inline_code_and_load_their_assets() {
    let app = spawn_app().await;
    let (_, headers, body) = page(&app, "/search?q=filter").await;
    let policy = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.contains("script-src 'self'") && policy.contains("style-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'") && policy.contains("form-action 'self'"));
    assert!(!body.contains("<script>") && !body.contains("style="), "no inline script or style");

    for asset in ["site.css", "site.js"] {
        let at = body.find(&format!("/assets/{}", &asset[..5])).expect("the asset is linked");
        let end = body[at..].find('"').unwrap();
        let response = app.client.get(app.url(&body[at..at + end])).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert!(response.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    }
    assert_eq!(app.client.get(app.url("/assets/site.css")).send().await.unwrap().status(), 404, "only fingerprinted");
}

#[tokio::test]
async fn results_show_the_cards_the_understanding_and_the_filters() {
    let app = spawn_app().await;
    shop_with_listings(&app).await;

    let (status, _, body) = page(
        &app,
        "/search?q=%D9%81%D9%84%D8%AA%D8%B1+%D8%B2%D9%8A%D8%AA+%D9%83%D8%A7%D9%85%D8%B1%D9%8A+%D9%A2%D9%A0%D9%A1%D9%A9",
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("٢ نتيجة"), "two Camry oil filters: {body}");
    assert!(body.contains("فلتر زيت تويوتا كامري 2018-2024"));
    assert!(!body.contains("سوناتا"), "the Sonata pads are not a Camry oil filter");
    assert!(body.contains("٤٥٫٠٠ ر.س") && body.contains("شامل الضريبة"), "price with VAT, Arabic digits");
    // What was understood, each part with a link that searches without it.
    for chip in ["<span>فلتر زيت</span>", "<span>تويوتا كامري</span>", "<span>٢٠١٩</span>"] {
        assert!(body.contains(chip), "{chip}");
    }
    // Facets with counts, a condition among them.
    assert!(body.contains(r#"name="condition" value="used""#) && body.contains("(١)"));

    let (_, _, english) = page(&app, "/en/search?q=camry+oil+filter&condition=used").await;
    assert!(english.contains("1 results") || english.contains(">1 results"), "{english}");
    assert!(english.contains("SAR 30.00") && english.contains("VAT included"));
    assert!(english.contains(r#"value="used" checked"#), "the chosen filter stays ticked");
}

#[tokio::test]
async fn a_dropped_chip_searches_without_it() {
    let app = spawn_app().await;
    shop_with_listings(&app).await;
    let (_, _, body) = page(&app, "/en/search?q=sonata+brake+pads").await;
    let chip = body.find("<span>Hyundai Sonata</span>").expect("the car is understood");
    let href_at = body[chip..].find("href=\"").unwrap() + chip + 6;
    let href = &body[href_at..href_at + body[href_at..].find('"').unwrap()];
    let href = href.replace("&amp;", "&");
    let (status, _, without_car) = page(&app, &href).await;
    assert_eq!(status, 200);
    assert!(!without_car.contains("<span>Hyundai Sonata</span>"));
    assert!(without_car.contains("<span>Brake pads</span>"), "{without_car}");
}

#[tokio::test]
async fn a_hostile_title_is_shown_as_text() {
    let app = spawn_app().await;
    shop_with_listings(&app).await;
    let (_, _, results) = page(&app, "/search?q=%D9%81%D9%84%D8%AA%D8%B1+%D9%87%D9%88%D8%A7%D8%A1").await;
    assert!(results.contains("&lt;script&gt;alert('x')&lt;/script&gt;"), "{results}");
    assert!(!results.contains("<script>alert") && !results.contains("<img src=x"));

    let (status, _, listing) = page(&app, &format!("/listings/{}", listing_id(&results))).await;
    assert_eq!(status, 200);
    assert!(
        listing.contains("&lt;script&gt;") && !listing.contains("<script>alert") && !listing.contains("<img src=x")
    );
}

#[tokio::test]
async fn a_listing_and_its_seller_have_pages_in_both_languages() {
    let app = spawn_app().await;
    shop_with_listings(&app).await;
    let (_, _, results) = page(&app, "/en/search?q=04152-YZZA1&sort=price_desc").await;
    let id = listing_id(&results);

    let (status, _, listing) = page(&app, &format!("/en/listings/{id}")).await;
    assert_eq!(status, 200);
    assert!(listing.contains("SAR 45.00") && listing.contains("In stock"));
    assert!(listing.contains("04152-YZZA1"), "part numbers");
    assert!(listing.contains("<td>Toyota Camry</td>") && listing.contains("2018–2024"), "the fitment table");
    assert!(listing.contains(" AH ("), "the Hijri date beside the Gregorian");

    let (status, _, arabic) = page(&app, &format!("/listings/{id}")).await;
    assert_eq!(status, 200);
    assert!(arabic.contains("<td>تويوتا كامري</td>") && arabic.contains("٢٠١٨–٢٠٢٤"));

    let seller_at = listing.find("/en/sellers/").unwrap() + "/en/sellers/".len();
    let seller = &listing[seller_at..seller_at + 36];
    let (status, _, profile) = page(&app, &format!("/en/sellers/{seller}")).await;
    assert_eq!(status, 200);
    assert!(profile.contains("Seller S1") && profile.contains("Listings on offer: 4"), "{profile}");
    assert!(profile.contains("This seller&#39;s parts") || profile.contains("This seller's parts"));
}

#[tokio::test]
async fn bad_input_gets_a_page_that_names_the_field() {
    let app = spawn_app().await;
    let (status, headers, body) = page(&app, "/en/search?q=x&price_min=abc").await;
    assert_eq!(status, 400);
    assert_eq!(headers[CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(body.contains("price_min"), "{body}");
    let (status, _, body) = page(&app, "/search?page=0").await;
    assert_eq!(status, 400);
    assert!(body.contains("page"));
    // Prices typed in Arabic-Indic digits are read.
    assert_eq!(page(&app, "/search?price_min=%D9%A5%D9%A0").await.0, 200);

    for path in ["/listings/not-a-uuid", "/en/listings/0190a4b2-0000-7000-8000-000000000000", "/sellers/x'%20OR%201=1"]
    {
        let (status, _, body) = page(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(body.contains("<html"), "a page, not JSON: {path}");
    }
}

fn cookie_pair(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
}

#[tokio::test]
async fn my_car_narrows_every_search_until_forgotten() {
    let app = spawn_app().await;
    shop_with_listings(&app).await;
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let home = app.client.get(app.url("/")).send().await.unwrap();
    let csrf = cookie_pair(home.headers(), "csrf").expect("the form token's cookie");
    let token = csrf.trim_start_matches("csrf=").to_string();
    let form = [
        ("csrf", token.as_str()),
        ("make", "Hyundai"),
        ("model", "Hyundai|Sonata"),
        ("year", "2017"),
        ("next", "/search"),
    ];

    // Without the cookie, or from another site, the form is refused.
    let forged = no_redirects.post(app.url("/car")).form(&form).send().await.unwrap();
    assert_eq!(forged.status(), 403);
    let cross_site = no_redirects
        .post(app.url("/car"))
        .header(COOKIE, &csrf)
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);

    let saved = no_redirects.post(app.url("/car")).header(COOKIE, &csrf).form(&form).send().await.unwrap();
    assert_eq!(saved.status(), 303);
    assert_eq!(saved.headers()[LOCATION], "/search");
    let car = cookie_pair(saved.headers(), "car").expect("the car's cookie");
    let cookies = format!("{csrf}; {car}");

    let results =
        app.client.get(app.url("/en/search")).header(COOKIE, &cookies).send().await.unwrap().text().await.unwrap();
    assert!(results.contains("Parts that fit Hyundai Sonata 2017"), "{results}");
    assert!(results.contains("1 results"), "only the Sonata's pads: {results}");
    let everything = app.client.get(app.url("/en/search?all_cars=1")).header(COOKIE, &cookies).send().await.unwrap();
    assert!(everything.text().await.unwrap().contains("4 results"));
    // A query naming another car searches for that car.
    let camry = app.client.get(app.url("/en/search?q=camry")).header(COOKIE, &cookies).send().await.unwrap();
    let camry = camry.text().await.unwrap();
    assert!(!camry.contains("Parts that fit") && camry.contains("3 results"), "{camry}");

    // Somewhere else to go back to is refused; an unknown car is refused.
    let away = [("csrf", token.as_str()), ("make", "Toyota"), ("next", "//evil.example/")];
    let response = no_redirects.post(app.url("/car")).header(COOKIE, &csrf).form(&away).send().await.unwrap();
    assert_eq!(response.headers()[LOCATION], "/");
    let unknown = [("csrf", token.as_str()), ("make", "Flintmobile"), ("next", "/")];
    let response = no_redirects.post(app.url("/car")).header(COOKIE, &csrf).form(&unknown).send().await.unwrap();
    assert_eq!(response.status(), 400);

    let forget = [("csrf", token.as_str()), ("forget", "1"), ("next", "/")];
    let forgotten = no_redirects.post(app.url("/car")).header(COOKIE, &csrf).form(&forget).send().await.unwrap();
    assert!(cookie_pair(forgotten.headers(), "car").is_some_and(|c| c == "car="), "the cookie is cleared");
}
