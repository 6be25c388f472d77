//! Load scenario: the whole checkout, over HTTP, from many buyers at once.
//!
//! ```sh
//! cargo run --release --example checkout_load -- --base http://127.0.0.1:8080 \
//!     --seller-key cpk_... --orders 3000 --concurrency 16
//! ```
//!
//! Each checkout is six requests: the buyer places an order (`POST /orders`, one to
//! three lines, a fresh `Idempotency-Key`), pays it with the sandbox provider (opens the
//! payment, approves it on the sandbox's page, comes back through the return URL, where
//! the service asks the provider and marks the order paid), and the seller accepts and
//! ships it. The server's `payments.public_url` must be its own address. Setup, through the API:
//! the seller's listings (`--listings` of them, plenty of stock) and one buyer account
//! per worker. At the end the stock is checked: every listing must have lost exactly
//! the units ordered from it, and the seller must see every order shipped.
//!
//! Reports checkouts/s and p50/p95/p99 of each step and of the whole checkout. Any
//! answer that is not the expected 2xx is counted and printed (the first few). For a
//! server on this machine only; run it with the rate limits off
//! (`CARGOPARTS__RATE_LIMIT__{PUBLIC,AUTH,SELLER_SYNC}__LIMIT=0`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Mutex;

#[derive(Debug, Clone)]
struct Options {
    base: String,
    seller_key: String,
    orders: usize,
    concurrency: usize,
    listings: usize,
}

fn options() -> Options {
    let mut args = std::env::args().skip(1);
    let mut found: HashMap<String, String> = HashMap::new();
    while let Some(name) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{name} needs a value"));
        found.insert(name.trim_start_matches("--").to_string(), value);
    }
    let get = |name: &str, default: Option<&str>| {
        found.get(name).cloned().or(default.map(str::to_string)).unwrap_or_else(|| panic!("--{name} is required"))
    };
    Options {
        base: get("base", Some("http://127.0.0.1:8080")),
        seller_key: get("seller-key", None),
        orders: get("orders", Some("3000")).parse().expect("--orders is a number"),
        concurrency: get("concurrency", Some("16")).parse().expect("--concurrency is a number"),
        listings: get("listings", Some("100")).parse().expect("--listings is a number"),
    }
}

/// Latencies of one step, in microseconds.
#[derive(Default)]
struct Timings(Vec<u64>);

impl Timings {
    fn line(&mut self, name: &str) -> String {
        self.0.sort_unstable();
        let at = |q: f64| self.0.get(((self.0.len() as f64 * q) as usize).min(self.0.len().saturating_sub(1))).copied();
        let ms = |v: Option<u64>| v.map_or("-".to_string(), |v| format!("{:.2}", v as f64 / 1000.0));
        format!(
            "{name:<10} n={:<6} p50={:>7} ms  p95={:>7} ms  p99={:>7} ms",
            self.0.len(),
            ms(at(0.50)),
            ms(at(0.95)),
            ms(at(0.99))
        )
    }
}

struct Shared {
    client: reqwest::Client,
    options: Options,
    listings: Vec<String>,
    started: AtomicUsize,
    errors: AtomicUsize,
    /// Units ordered of each listing.
    ordered: Mutex<HashMap<String, i64>>,
    timings: Mutex<HashMap<&'static str, Timings>>,
}

impl Shared {
    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.options.base)
    }

    async fn record(&self, step: &'static str, took: Duration) {
        self.timings.lock().await.entry(step).or_default().0.push(took.as_micros() as u64);
    }

    /// Sends `request`, expecting `status`; the answer's body, or `None` after counting an error.
    async fn expect(&self, step: &'static str, request: reqwest::RequestBuilder, status: u16) -> Option<Value> {
        let started = Instant::now();
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                self.failed(step, &error.to_string());
                return None;
            }
        };
        let code = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        self.record(step, started.elapsed()).await;
        if code != status {
            self.failed(step, &format!("{code} {body}"));
            return None;
        }
        Some(body)
    }

    fn failed(&self, step: &str, what: &str) {
        if self.errors.fetch_add(1, Ordering::Relaxed) < 5 {
            eprintln!("{step} failed: {}", what.chars().take(300).collect::<String>());
        }
    }
}

async fn setup_listings(client: &reqwest::Client, options: &Options) -> Vec<String> {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let skus: Vec<String> = (0..options.listings).map(|i| format!("LOAD-{}-{i:04}", &run[..8])).collect();
    let body: String = skus
        .iter()
        .enumerate()
        .map(|(i, sku)| {
            json!({
                "sku": sku, "title": format!("Brake pads set {i}"), "category": "brake-pads",
                "condition": "new", "price_sar": format!("{}.{:02}", 50 + i % 400, i % 100),
                "quantity": 1_000_000, "city": "Riyadh"
            })
            .to_string()
                + "\n"
        })
        .collect();
    let response = client
        .post(format!("{}/api/v1/seller/inventory", options.base))
        .bearer_auth(&options.seller_key)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .expect("the server answers");
    assert!(response.status().is_success(), "listing the stock failed: {}", response.text().await.unwrap_or_default());
    let mut ids = Vec::new();
    for sku in &skus {
        let listing: Value = client
            .get(format!("{}/api/v1/seller/listings/{sku}", options.base))
            .bearer_auth(&options.seller_key)
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("a listing");
        ids.push(listing["id"].as_str().expect("the listing has an id").to_string());
    }
    ids
}

async fn register_buyer(client: &reqwest::Client, base: &str, n: usize) -> String {
    let email = format!("load-{}-{n}@example.com", uuid::Uuid::new_v4().simple());
    let password = "load test buyer password 1";
    let created: Value = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"email": email, "password": password, "name": "Load buyer"}))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("an account");
    created["tokens"]["access_token"].as_str().unwrap_or_else(|| panic!("registration failed: {created}")).to_string()
}

/// One buyer's checkouts until the run has placed `--orders` of them.
async fn buyer(shared: Arc<Shared>, token: String, worker: usize) {
    let mut turn = worker;
    while shared.started.fetch_add(1, Ordering::Relaxed) < shared.options.orders {
        turn += 1;
        let lines = 1 + turn % 3;
        let items: Vec<(String, i64)> = (0..lines)
            .map(|l| (shared.listings[(turn * 7 + l * 13) % shared.listings.len()].clone(), 1 + (l as i64 % 2)))
            .collect();
        let body = json!({
            "items": items.iter().map(|(id, q)| json!({"listing_id": id, "quantity": q})).collect::<Vec<_>>(),
            "shipping_address": {"name": "Load buyer", "phone": "0501234567", "city": "Riyadh", "district": "Olaya",
                                 "street": "King Fahd Road", "building_number": "1234", "postal_code": "12345"}
        });
        let checkout = Instant::now();
        let request = shared
            .client
            .post(shared.url("/orders"))
            .bearer_auth(&token)
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(&body);
        let Some(order) = shared.expect("order", request, 201).await else { continue };
        {
            let mut ordered = shared.ordered.lock().await;
            for (id, units) in &items {
                *ordered.entry(id.clone()).or_default() += units;
            }
        }
        let id = order["id"].as_str().unwrap_or_default().to_string();
        let group = order["groups"][0]["id"].as_str().unwrap_or_default().to_string();
        if !pay(&shared, &token, &id).await {
            continue;
        }
        let accept = shared
            .client
            .post(shared.url(&format!("/seller/orders/{group}/accept")))
            .bearer_auth(&shared.options.seller_key);
        if shared.expect("accept", accept, 200).await.is_none() {
            continue;
        }
        let ship = shared
            .client
            .post(shared.url(&format!("/seller/orders/{group}/ship")))
            .bearer_auth(&shared.options.seller_key)
            .json(&json!({"carrier": "SMSA", "tracking_number": format!("T{turn}")}));
        if shared.expect("ship", ship, 200).await.is_some() {
            shared.record("checkout", checkout.elapsed()).await;
        }
    }
}

/// Pays order `id` with the sandbox: open the payment, approve it on the sandbox's page,
/// come back through the return URL. Whether the order was paid.
async fn pay(shared: &Shared, token: &str, id: &str) -> bool {
    let open = shared
        .client
        .post(shared.url(&format!("/orders/{id}/payments")))
        .bearer_auth(token)
        .json(&json!({"method": "mada"}));
    let Some(payment) = shared.expect("pay", open, 201).await else { return false };
    let page = payment["checkout"]["redirect_url"].as_str().unwrap_or_default().to_string();
    let started = Instant::now();
    let decided = match shared.client.post(&page).form(&[("decision", "approve")]).send().await {
        Ok(response) if response.status().as_u16() == 303 => response,
        Ok(response) => {
            shared.failed("approve", &format!("{} from {page}", response.status()));
            return false;
        }
        Err(error) => {
            shared.failed("approve", &error.to_string());
            return false;
        }
    };
    shared.record("approve", started.elapsed()).await;
    let back = decided.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
    let Some(returned) = shared.expect("return", shared.client.get(&back), 200).await else { return false };
    if returned["status"] != "paid" {
        shared.failed("return", &returned.to_string());
        return false;
    }
    true
}

/// Every listing lost exactly the units ordered from it.
async fn check_stock(shared: &Shared) -> usize {
    let ordered = shared.ordered.lock().await;
    let mut wrong = 0;
    for id in &shared.listings {
        let listing: Value = shared
            .client
            .get(shared.url(&format!("/listings/{id}")))
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .unwrap_or(Value::Null);
        let expected = 1_000_000 - ordered.get(id).copied().unwrap_or(0);
        if listing["quantity"].as_i64() != Some(expected) {
            wrong += 1;
            eprintln!("listing {id}: quantity {} where {expected} was expected", listing["quantity"]);
        }
    }
    wrong
}

#[tokio::main]
async fn main() {
    let options = options();
    // reqwest is built without a TLS crypto provider of its own (the service installs ring).
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The sandbox's page answers 303 to the return URL: the driver follows it itself, timed.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency * 2)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let listings = setup_listings(&client, &options).await;
    let mut tokens = Vec::new();
    for n in 0..options.concurrency {
        tokens.push(register_buyer(&client, &options.base, n).await);
    }
    let shared = Arc::new(Shared {
        client,
        options: options.clone(),
        listings,
        started: AtomicUsize::new(0),
        errors: AtomicUsize::new(0),
        ordered: Mutex::new(HashMap::new()),
        timings: Mutex::new(HashMap::new()),
    });
    println!("{} checkouts by {} buyers over {} listings", options.orders, options.concurrency, options.listings);
    let started = Instant::now();
    let workers: Vec<_> =
        tokens.into_iter().enumerate().map(|(n, token)| tokio::spawn(buyer(shared.clone(), token, n))).collect();
    for worker in workers {
        worker.await.expect("a worker finished");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut timings = shared.timings.lock().await;
    let completed = timings.get("checkout").map_or(0, |t| t.0.len());
    println!(
        "{completed} checkouts in {elapsed:.1} s: {:.0} checkouts/s ({:.0} requests/s)",
        completed as f64 / elapsed,
        completed as f64 * 6.0 / elapsed
    );
    for step in ["order", "pay", "approve", "return", "accept", "ship", "checkout"] {
        if let Some(t) = timings.get_mut(step) {
            println!("{}", t.line(step));
        }
    }
    drop(timings);
    let errors = shared.errors.load(Ordering::Relaxed);
    let wrong = check_stock(&shared).await;
    println!("errors: {errors}; listings with wrong stock: {wrong}");
    if errors > 0 || wrong > 0 {
        std::process::exit(1);
    }
}
