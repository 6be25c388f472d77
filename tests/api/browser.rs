//! The site in a real browser: Debian's headless chromium driven through chromedriver
//! (WebDriver). A shopper searches the way people type, filters, opens a listing,
//! saves a car, switches language; a hostile title stays text. The screenshots the
//! README shows are taken here, into `docs/screenshots/`.
//!
//! `scripts/services` installs `chromium` and `chromium-driver`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cargoparts::catalog::import::{self, ImportOptions, RawLine};
use cargoparts::cli::demo_catalog::DemoCatalog;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};
use crate::storefront::shop_with_listings;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PHONE: (u32, u32) = (390, 844);
const DESKTOP: (u32, u32) = (1280, 900);

/// A chromedriver of its own and one headless chromium session; both end with it.
struct Browser {
    client: Client,
    driver: Child,
}

impl Browser {
    async fn open((width, height): (u32, u32)) -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "browser tests need Debian's chromium and chromium-driver: run scripts/services"
        );
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{url}/status")).await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not answer");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--hide-scrollbars", "--force-device-scale-factor=1",
                    format!("--window-size={width},{height}"),
                    // Hermetic: nothing but the app on loopback resolves (the demo's
                    // photo links fail at once and show the placeholder).
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                ]
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .expect("a chromium session");
        client.set_window_size(width, height).await.unwrap();
        Browser { client, driver }
    }

    async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }

    async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.unwrap() {
            out.push(element.text().await.unwrap());
        }
        out
    }

    /// Waits until the address contains `part` (a form the script submitted).
    async fn wait_for_url(&self, part: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let url = self.client.current_url().await.unwrap();
            if url.as_str().contains(part) {
                return;
            }
            if Instant::now() > deadline {
                let text = self.texts("main").await.join("\n");
                panic!("the page did not go to …{part}…; it is at {url}, saying: {text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

/// The test shop's listings and a 2,000-listing demo catalog around them, so pages
/// look as they do in use.
async fn busy_shop(app: &TestApp) {
    shop_with_listings(app).await;
    let lines = DemoCatalog::new(2_000, 20, 7).map(|r| Ok(RawLine::Bytes(r.to_string().into_bytes())));
    import::import(&app.db, lines, ImportOptions::default(), |_| {}).await.unwrap();
    app.wait_for_index().await;
}

#[tokio::test]
async fn a_shopper_searches_filters_and_opens_a_listing_on_a_phone() {
    let app = spawn_app().await;
    busy_shop(&app).await;
    let browser = Browser::open(PHONE).await;

    browser.goto(&app.url("/")).await;
    assert_eq!(
        browser.client.find(Locator::Css("html")).await.unwrap().attr("dir").await.unwrap().as_deref(),
        Some("rtl")
    );
    browser.screenshot("home-phone-ar").await;

    // Suggestions arrive as the shopper types (the script, the suggest API, the policy).
    let search = browser.client.find(Locator::Id("q")).await.unwrap();
    search.send_keys("فلتر ز").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while browser.client.find_all(Locator::Css("#suggestions option")).await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no suggestions appeared");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let suggestion = browser.client.find(Locator::Css("#suggestions option")).await.unwrap();
    assert!(suggestion.attr("value").await.unwrap().unwrap().contains("فلتر"));

    search.clear().await.unwrap();
    search.send_keys("فلتر زيت كامري ٢٠١٩").await.unwrap();
    browser.client.find(Locator::Css("form.search button")).await.unwrap().click().await.unwrap();
    browser.client.wait().for_element(Locator::Css(".cards")).await.unwrap();
    let titles = browser.texts(".card h2").await;
    assert!(titles.len() >= 2, "{titles:?}");
    assert!(titles.iter().any(|t| t == "فلتر زيت تويوتا كامري 2018-2024"), "{titles:?}");
    assert!(titles.iter().all(|t| !t.contains("سوناتا")), "{titles:?}");
    let chips = browser.texts(".chips li span").await;
    assert!(chips.contains(&"فلتر زيت".to_string()) && chips.contains(&"تويوتا كامري".to_string()), "{chips:?}");
    browser.screenshot("results-phone-ar").await;

    // On a phone the filters open on demand; ticking one applies it (the script
    // submits the form).
    browser.client.find(Locator::Css(".filters summary")).await.unwrap().click().await.unwrap();
    browser.client.find(Locator::Css(r#"input[name="condition"][value="used"]"#)).await.unwrap().click().await.unwrap();
    browser.wait_for_url("condition=used").await;
    let conditions = browser.texts(".card .meta").await;
    assert!(!conditions.is_empty() && conditions.iter().step_by(2).all(|m| m.contains("مستعمل")), "{conditions:?}");

    browser.client.find(Locator::Css(".card h2 a")).await.unwrap().click().await.unwrap();
    browser.wait_for_url("/listings/").await;
    let heading = browser.texts("h1").await;
    assert!(heading[0].contains("كامري") || heading[0].to_lowercase().contains("camry"), "{heading:?}");
    assert!(!browser.texts("table td").await.is_empty(), "the fitment table");
    browser.screenshot("listing-phone-ar").await;
    browser.close().await;
}

#[tokio::test]
async fn my_car_is_chosen_with_the_narrowed_models_and_narrows_the_results() {
    let app = spawn_app().await;
    shop_with_listings(&app).await;
    let browser = Browser::open(PHONE).await;
    browser.goto(&app.url("/en/")).await;

    browser.client.find(Locator::Id("car-make")).await.unwrap().select_by_value("Hyundai").await.unwrap();
    // Only Hyundai's models remain choosable.
    let shown: Vec<String> = {
        let groups = browser.client.find_all(Locator::Css("#car-model optgroup:not([disabled])")).await.unwrap();
        let mut makes = Vec::new();
        for group in groups {
            makes.push(group.attr("data-make").await.unwrap().unwrap_or_default());
        }
        makes
    };
    assert_eq!(shown, ["Hyundai"]);
    browser.client.find(Locator::Id("car-model")).await.unwrap().select_by_value("Hyundai|Sonata").await.unwrap();
    browser.client.find(Locator::Id("car-year")).await.unwrap().select_by_value("2017").await.unwrap();
    browser.client.find(Locator::Css(".car-actions button")).await.unwrap().click().await.unwrap();
    browser.wait_for_url("/en/search").await;
    let chips = browser.texts(".chips li span").await;
    assert_eq!(chips, ["Parts that fit Hyundai Sonata 2017"]);
    let titles = browser.texts(".card h2").await;
    assert_eq!(titles, ["فحمات فرامل هيونداي سوناتا 2015-2019"]);

    // Every other search keeps to the car until the shopper lifts it.
    browser.goto(&app.url("/en/search?q=brake+pads")).await;
    assert_eq!(browser.texts(".card h2").await.len(), 1);
    browser.client.find(Locator::Css(".chips li:last-child a")).await.unwrap().click().await.unwrap();
    browser.wait_for_url("all_cars=1").await;
    let chips = browser.texts(".chips li span").await;
    assert!(chips.iter().all(|c| !c.contains("Parts that fit")), "the car is lifted: {chips:?}");
    browser.close().await;
}

#[tokio::test]
async fn the_site_reads_the_same_in_english_on_a_desktop() {
    let app = spawn_app().await;
    busy_shop(&app).await;
    let browser = Browser::open(DESKTOP).await;

    browser.goto(&app.url("/en/")).await;
    assert_eq!(
        browser.client.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap().as_deref(),
        Some("en")
    );
    browser.screenshot("home-desktop-en").await;
    let search = browser.client.find(Locator::Id("q")).await.unwrap();
    search.send_keys("camry 2019 oil filter").await.unwrap();
    browser.client.find(Locator::Css("form.search button")).await.unwrap().click().await.unwrap();
    browser.client.wait().for_element(Locator::Css(".cards")).await.unwrap();
    let chips = browser.texts(".chips li span").await;
    assert!(chips.contains(&"Oil filter".to_string()) && chips.contains(&"Toyota Camry".to_string()), "{chips:?}");
    assert!(browser.texts(".price").await.iter().all(|p| p.starts_with("SAR ")));
    browser.screenshot("results-desktop-en").await;

    // The switch keeps the search, in Arabic.
    browser.client.find(Locator::Css("a.lang")).await.unwrap().click().await.unwrap();
    browser.wait_for_url("/search?q=camry").await;
    assert_eq!(
        browser.client.find(Locator::Css("html")).await.unwrap().attr("dir").await.unwrap().as_deref(),
        Some("rtl")
    );
    browser.screenshot("results-desktop-ar").await;
    browser.close().await;
}

#[tokio::test]
async fn a_hostile_title_renders_as_text_in_the_browser() {
    let app = spawn_app().await;
    let records = shop_with_listings(&app).await;
    let hostile = records.iter().find(|r| r["sku"] == "HOSTILE").unwrap()["title"].as_str().unwrap().to_string();
    let browser = Browser::open(DESKTOP).await;
    browser.goto(&app.url("/search?q=%D9%81%D9%84%D8%AA%D8%B1+%D9%87%D9%88%D8%A7%D8%A1")).await;
    let titles = browser.texts(".card h2").await;
    assert!(titles.contains(&hostile), "the title shows as written: {titles:?}");
    let injected = browser
        .client
        .execute("return document.querySelectorAll('script:not([src]), img[src=\"x\"], [onerror]').length", vec![])
        .await
        .unwrap();
    assert_eq!(injected, json!(0), "nothing of the title became markup");
    browser.client.find(Locator::Css(".card h2 a")).await.unwrap().click().await.unwrap();
    browser.wait_for_url("/listings/").await;
    assert_eq!(browser.texts("h1").await, [hostile]);
    browser.close().await;
}
