//! A realistic demo catalog, generated in process for `cargoparts seed`.
//!
//! Search relevance, facets and the Arabic analyzers can only be judged on listings
//! that look like the ones sellers really send, and a fresh install or a benchmark
//! box has no production data (and should not need Python). This module ports
//! `shared/datagen/catalog.py`: listings are written the way Gulf sellers write them
//! (Arabic with diacritics, tatweel, letter variants and Arabic-Indic digits, English
//! or mixed titles, part numbers typed loosely, fitment often only in the title).
//!
//! The taxonomy and every part, car, condition and city name come from the market
//! [`Vocabulary`], so the catalog always agrees with what the feed validator and the
//! query parser know. Only what a generator needs and the vocabulary has no business
//! holding lives here: model generations, part-number formats, aftermarket brands,
//! prices, description phrases and seller names.
//!
//! Records are produced one at a time from a seeded RNG: a catalog of any size
//! streams in constant memory, and the same arguments always give the same catalog.

use cargoparts_analyzers::{Make, Model, Vocabulary};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

/// Inclusive year ranges, one per generation of a model.
type Generations = &'static [(u16, u16)];

/// Model generations by make and model: a part family fits one generation.
const GENERATIONS: &[(&str, &str, Generations)] = &[
    ("Toyota", "Camry", &[(2012, 2017), (2018, 2024)]),
    ("Toyota", "Corolla", &[(2014, 2019), (2020, 2024)]),
    ("Toyota", "Land Cruiser", &[(2008, 2015), (2016, 2021), (2022, 2024)]),
    ("Toyota", "Hilux", &[(2006, 2015), (2016, 2024)]),
    ("Toyota", "Yaris", &[(2013, 2018), (2019, 2024)]),
    ("Toyota", "Prado", &[(2010, 2017), (2018, 2024)]),
    ("Toyota", "Avalon", &[(2013, 2018), (2019, 2022)]),
    ("Toyota", "Fortuner", &[(2005, 2015), (2016, 2024)]),
    ("Toyota", "RAV4", &[(2013, 2018), (2019, 2024)]),
    ("Lexus", "LX", &[(2008, 2015), (2016, 2021), (2022, 2024)]),
    ("Lexus", "ES", &[(2013, 2018), (2019, 2024)]),
    ("Lexus", "RX", &[(2016, 2022), (2023, 2024)]),
    ("Nissan", "Patrol", &[(2010, 2019), (2020, 2024)]),
    ("Nissan", "Sunny", &[(2012, 2019), (2020, 2024)]),
    ("Nissan", "Altima", &[(2013, 2018), (2019, 2024)]),
    ("Nissan", "Maxima", &[(2016, 2023)]),
    ("Nissan", "Navara", &[(2015, 2024)]),
    ("Nissan", "X-Trail", &[(2014, 2021), (2022, 2024)]),
    ("Hyundai", "Accent", &[(2011, 2017), (2018, 2024)]),
    ("Hyundai", "Elantra", &[(2016, 2020), (2021, 2024)]),
    ("Hyundai", "Sonata", &[(2015, 2019), (2020, 2024)]),
    ("Hyundai", "Tucson", &[(2016, 2021), (2022, 2024)]),
    ("Hyundai", "Azera", &[(2012, 2017), (2018, 2022)]),
    ("Hyundai", "Santa Fe", &[(2013, 2018), (2019, 2023), (2024, 2024)]),
    ("Kia", "Cerato", &[(2014, 2018), (2019, 2024)]),
    ("Kia", "Optima", &[(2016, 2020)]),
    ("Kia", "Sportage", &[(2016, 2021), (2022, 2024)]),
    ("Kia", "Sorento", &[(2015, 2020), (2021, 2024)]),
    ("Kia", "Pegas", &[(2017, 2024)]),
    ("Kia", "K5", &[(2021, 2024)]),
    ("Honda", "Accord", &[(2013, 2017), (2018, 2022)]),
    ("Honda", "Civic", &[(2016, 2021), (2022, 2024)]),
    ("Honda", "CR-V", &[(2017, 2022), (2023, 2024)]),
    ("Honda", "Pilot", &[(2016, 2022), (2023, 2024)]),
    ("Chevrolet", "Tahoe", &[(2015, 2020), (2021, 2024)]),
    ("Chevrolet", "Caprice", &[(2011, 2017)]),
    ("Chevrolet", "Silverado", &[(2014, 2018), (2019, 2024)]),
    ("Chevrolet", "Malibu", &[(2016, 2024)]),
    ("Chevrolet", "Suburban", &[(2015, 2020), (2021, 2024)]),
    ("GMC", "Yukon", &[(2015, 2020), (2021, 2024)]),
    ("GMC", "Sierra", &[(2014, 2018), (2019, 2024)]),
    ("Ford", "Explorer", &[(2011, 2019), (2020, 2024)]),
    ("Ford", "Expedition", &[(2018, 2024)]),
    ("Ford", "F-150", &[(2015, 2020), (2021, 2024)]),
    ("Ford", "Taurus", &[(2010, 2019), (2022, 2024)]),
    ("Mitsubishi", "Pajero", &[(2007, 2021)]),
    ("Mitsubishi", "Lancer", &[(2008, 2017)]),
    ("Mazda", "Mazda6", &[(2014, 2021)]),
    ("Mazda", "CX-9", &[(2016, 2023)]),
    ("Mercedes-Benz", "E-Class", &[(2010, 2016), (2017, 2023)]),
    ("Mercedes-Benz", "S-Class", &[(2014, 2020), (2021, 2024)]),
    ("BMW", "X5", &[(2014, 2018), (2019, 2024)]),
    ("BMW", "5 Series", &[(2011, 2016), (2017, 2023)]),
    ("Isuzu", "D-Max", &[(2012, 2019), (2020, 2024)]),
    ("Suzuki", "Swift", &[(2011, 2017), (2018, 2024)]),
    ("Suzuki", "Jimny", &[(2005, 2018), (2019, 2024)]),
];

/// Used when the vocabulary gains a model before [`GENERATIONS`] does, so `seed` keeps
/// working; the tests flag the gap.
const FALLBACK_GENERATIONS: Generations = &[(2016, 2024)];

/// The shape of the part numbers each make prints (sister brands share a catalog).
const MAKE_NUMBER_FORMATS: &[(&str, NumberFormat)] = &[
    ("Toyota", NumberFormat::Toyota),
    ("Lexus", NumberFormat::Toyota),
    ("Nissan", NumberFormat::Nissan),
    ("Hyundai", NumberFormat::Hyundai),
    ("Kia", NumberFormat::Hyundai),
    ("Honda", NumberFormat::Honda),
    ("Chevrolet", NumberFormat::Gm),
    ("GMC", NumberFormat::Gm),
    ("Ford", NumberFormat::Ford),
    ("Mitsubishi", NumberFormat::Mitsubishi),
    ("Mazda", NumberFormat::Mazda),
    ("Mercedes-Benz", NumberFormat::Mercedes),
    ("BMW", NumberFormat::Bmw),
    ("Isuzu", NumberFormat::Isuzu),
    ("Suzuki", NumberFormat::Suzuki),
];

/// Aftermarket brands that print their own (cross-reference) numbers, by category.
const AFTERMARKET: &[(&str, &[(&str, NumberFormat)])] = &[
    ("spark-plug", &[("NGK", NumberFormat::Ngk), ("Denso", NumberFormat::Denso)]),
    ("oil-filter", &[("Mann", NumberFormat::Mann), ("Mahle", NumberFormat::Mahle), ("Bosch", NumberFormat::Bosch)]),
    ("air-filter", &[("Mann", NumberFormat::Mann), ("Bosch", NumberFormat::Bosch)]),
    ("brake-pads", &[("Brembo", NumberFormat::Brembo), ("TRW", NumberFormat::Trw), ("Akebono", NumberFormat::Akebono)]),
    ("brake-disc", &[("Brembo", NumberFormat::Brembo)]),
    ("shock-absorber", &[("KYB", NumberFormat::Kyb), ("Monroe", NumberFormat::Monroe)]),
    ("battery", &[("Varta", NumberFormat::Varta), ("AC Delco", NumberFormat::AcDelco)]),
    ("wiper-blade", &[("Bosch", NumberFormat::Bosch), ("Valeo", NumberFormat::Valeo)]),
    ("timing-belt", &[("Gates", NumberFormat::Gates)]),
    ("water-pump", &[("Aisin", NumberFormat::Aisin)]),
    ("clutch-kit", &[("Exedy", NumberFormat::Exedy), ("Valeo", NumberFormat::Valeo)]),
];

/// Typical asking price in SAR of a mid-range new part, before the per-listing spread.
const BASE_PRICES: &[(&str, u32)] = &[
    ("oil-filter", 35),
    ("air-filter", 60),
    ("cabin-filter", 45),
    ("fuel-filter", 70),
    ("spark-plug", 90),
    ("brake-pads", 180),
    ("brake-disc", 320),
    ("radiator", 650),
    ("battery", 380),
    ("alternator", 900),
    ("starter", 750),
    ("headlight", 900),
    ("tail-light", 450),
    ("side-mirror", 500),
    ("front-bumper", 1100),
    ("shock-absorber", 400),
    ("timing-belt", 350),
    ("water-pump", 300),
    ("fuel-pump", 550),
    ("ac-compressor", 1400),
    ("clutch-kit", 850),
    ("gearbox", 6500),
    ("engine", 9000),
    ("wheel-rim", 600),
    ("tire", 420),
    ("wiper-blade", 45),
    ("ignition-coil", 220),
    ("oxygen-sensor", 280),
    ("thermostat", 110),
    ("control-arm", 350),
];

/// For a category added to the vocabulary before [`BASE_PRICES`] knows it.
const FALLBACK_BASE_PRICE: u32 = 250;

/// Makes whose parts cost noticeably more than the market average.
const PREMIUM_MAKES: &[&str] = &["Lexus", "Mercedes-Benz", "BMW"];

/// Wear parts are bought new; nobody lists a used oil filter.
const MOSTLY_NEW: &[&str] = &[
    "oil-filter",
    "air-filter",
    "cabin-filter",
    "fuel-filter",
    "spark-plug",
    "brake-pads",
    "wiper-blade",
    "timing-belt",
    "thermostat",
];

/// What scrap yards (تشليح) mostly sell: expensive assemblies and body parts.
const MOSTLY_USED: &[&str] = &[
    "engine",
    "gearbox",
    "front-bumper",
    "side-mirror",
    "headlight",
    "tail-light",
    "alternator",
    "starter",
    "ac-compressor",
    "wheel-rim",
];

const DESCRIPTION_PHRASES: &[&str] = &[
    "قطعة أصلية",
    "نظيفة جدا",
    "الشحن لجميع مناطق المملكة",
    "ضمان سنة",
    "التركيب متوفر",
    "السعر نهائي",
    "يوجد كمية",
    "للتواصل واتساب",
    "مناسب للاستخدام اليومي",
    "جودة عالية",
    "مفحوصة ومضمونة",
    "السعر قابل للتفاوض",
    "Original part",
    "Fast delivery across KSA",
    "Warranty included",
    "Installation available",
];

const SELLER_WORDS: &[&str] = &["قطع غيار", "تشليح", "مؤسسة", "محلات", "شركة", "مركز"];

const SELLER_NAMES: &[&str] = &[
    "الراشد",
    "النخبة",
    "الخليج",
    "الأمانة",
    "الصقر",
    "الوفاء",
    "السلام",
    "البركة",
    "الريان",
    "الفيصل",
    "النجم",
    "الأصيل",
    "المستقبل",
    "الجزيرة",
    "الشرق",
    "الهدى",
    "الماسة",
    "العربية",
];

/// Short vowel marks some writers add, fatha to shadda.
const HARAKAT: &[char] = &['\u{064E}', '\u{064F}', '\u{0650}', '\u{0652}', '\u{064B}', '\u{0651}'];
const TATWEEL: char = '\u{0640}';
/// Letters that do not join the next one, so tatweel after them would never be typed.
const NON_JOINING: &[char] = &['ا', 'أ', 'إ', 'آ', 'د', 'ذ', 'ر', 'ز', 'و', 'ة', 'ى'];

const DIGITS: &[u8] = b"0123456789";
/// Part-number letters: catalogs skip I, O and Q, which read as digits.
const ALNUM: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";

/// Where listing photos live in the demo.
const PHOTO_BASE: &str = "https://img.example.com";

/// Deterministic generator of a realistic multi-seller catalog.
///
/// Yields `listings` inventory-feed records (see `shared/specs/inventory-feed.md`)
/// spread over `max(sellers, 1)` sellers.
#[derive(Debug, Clone)]
pub struct DemoCatalog {
    rng: StdRng,
    remaining: usize,
    words: Words,
    families: Vec<Family>,
    sellers: Vec<Seller>,
}

impl DemoCatalog {
    /// Prepares a catalog of `listings` records over `sellers` sellers (at least one).
    pub fn new(listings: usize, sellers: usize, seed: u64) -> DemoCatalog {
        let words = Words::from_vocabulary(Vocabulary::builtin());
        // Part numbers get their own stream so that the families of a seed do not
        // depend on the seller count.
        let families = Family::all(&words, &mut StdRng::seed_from_u64(seed ^ 0x5EED_FA41));
        let mut rng = StdRng::seed_from_u64(seed);
        let sellers = (0..sellers.max(1)).map(|i| Seller::random(&mut rng, &words, i)).collect();
        DemoCatalog { rng, remaining: listings, words, families, sellers }
    }

    /// Draws the seller of the next listing.
    fn pick_seller(&mut self) -> usize {
        let n = self.sellers.len();
        if self.rng.random_bool(0.8) {
            return self.rng.random_range(0..n);
        }
        // A Pareto rank gives a few large scrap yards a big share of the stock, as on
        // the real market, instead of equally sized sellers.
        let u: f64 = self.rng.random();
        let rank = (1.0 - u).powf(-1.0 / 1.6) as usize - 1;
        rank.min(n - 1)
    }

    /// Generates one listing.
    fn listing(&mut self) -> Value {
        let seller_index = self.pick_seller();
        let Self { rng, words, families, sellers, .. } = self;
        let seller = &mut sellers[seller_index];
        seller.listed += 1;
        let sku = format!("{}-{:06}", seller.external_id, seller.listed);

        let family = &families[rng.random_range(0..families.len())];
        let category = &words.categories[family.category];
        let make = &words.makes[family.make];
        let model = &make.models[family.model];
        let condition = ConditionKind::random(rng, category.slug);

        let mut typed = vec![retype_number(rng, &family.oem)];
        let mut brand = None;
        if !family.aftermarket.is_empty() && rng.random_bool(0.4) {
            let (name, number) = pick(rng, &family.aftermarket);
            brand = Some((*name).to_owned());
            typed.push(retype_number(rng, number));
        } else if condition == ConditionKind::New && rng.random_bool(0.5) {
            brand = Some(format!("{} Genuine", make.name));
        }
        // An aftermarket listing is titled with the brand's own number.
        let title_number = if brand.is_some() && typed.len() > 1 { &typed[1] } else { &typed[0] };

        let parts = TitleParts {
            category,
            make,
            model,
            years: family.years,
            condition: &words.conditions[condition as usize],
            number: title_number,
            brand: brand.as_deref(),
        };
        let (title, style) = parts.render(rng);
        let description = describe(rng, make, model, &typed[0]);
        // Sellers often name the car only in the title.
        let fitment = if rng.random_bool(0.15) {
            Vec::new()
        } else {
            let mut car = Map::new();
            car.insert("make".to_owned(), Value::from(make.name));
            car.insert("model".to_owned(), Value::from(model.name));
            car.insert("year_from".to_owned(), Value::from(family.years.0));
            car.insert("year_to".to_owned(), Value::from(family.years.1));
            vec![Value::Object(car)]
        };
        let quantity: u32 = match condition {
            // Used parts come off one car.
            ConditionKind::Used => 1,
            _ => *pick(rng, &[0, 1, 1, 2, 3, 5, 10, 25]),
        };
        let city = if rng.random_bool(0.9) { seller.city } else { pick_str(rng, &words.cities) };
        let photos: Vec<Value> = (0..rng.random_range(0..=4u8))
            .map(|k| {
                let mut url = String::with_capacity(PHOTO_BASE.len() + sku.len() + 8);
                url.push_str(PHOTO_BASE);
                url.push('/');
                url.push_str(&sku);
                url.push('/');
                url.push(char::from(b'0' + k));
                url.push_str(".jpg");
                Value::String(url)
            })
            .collect();
        let price = price_sar(rng, category.base_price, make.premium, condition);

        // Built by hand rather than with `json!`, which would clone every string.
        let mut record = Map::new();
        record.insert("seller".to_owned(), seller.record.clone());
        record.insert("sku".to_owned(), Value::String(sku));
        record.insert("title".to_owned(), Value::String(title));
        if style == TitleStyle::English && rng.random_bool(0.5) {
            let plain = format!("{} {} {}", category.name_ar, make.name_ar, model.name_ar);
            let title_ar = noisy_arabic(rng, &plain, 0.3);
            record.insert("title_ar".to_owned(), Value::String(title_ar));
        }
        record.insert("description".to_owned(), Value::String(description));
        record.insert("category".to_owned(), Value::from(category.slug));
        record.insert("fitment".to_owned(), Value::Array(fitment));
        let typed = typed.into_iter().map(Value::String).collect();
        record.insert("oem_numbers".to_owned(), Value::Array(typed));
        record.insert("brand".to_owned(), brand.map_or(Value::Null, Value::String));
        record.insert("condition".to_owned(), Value::from(condition.slug()));
        record.insert("price_sar".to_owned(), Value::String(price));
        record.insert("quantity".to_owned(), Value::from(quantity));
        record.insert("city".to_owned(), Value::from(city));
        record.insert("photos".to_owned(), Value::Array(photos));
        Value::Object(record)
    }
}

impl Iterator for DemoCatalog {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some(self.listing())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// The vocabulary, split by script and joined with the generator's own tables.
#[derive(Debug, Clone)]
struct Words {
    categories: Vec<CategoryWords>,
    makes: Vec<MakeWords>,
    /// Indexed by [`ConditionKind`].
    conditions: [ConditionWords; 3],
    cities: Vec<&'static str>,
    cities_ar: Vec<&'static str>,
}

/// A category's names by script, with its generator data.
#[derive(Debug, Clone)]
struct CategoryWords {
    slug: &'static str,
    name_ar: &'static str,
    arabic: Vec<&'static str>,
    english: Vec<&'static str>,
    aftermarket: &'static [(&'static str, NumberFormat)],
    base_price: u32,
}

/// A make's names by script, with its part-number format and models.
#[derive(Debug, Clone)]
struct MakeWords {
    name: &'static str,
    name_ar: &'static str,
    arabic: Vec<&'static str>,
    english: Vec<&'static str>,
    format: NumberFormat,
    premium: bool,
    models: Vec<ModelWords>,
}

/// A model's names by script, with its generations.
#[derive(Debug, Clone)]
struct ModelWords {
    name: &'static str,
    name_ar: &'static str,
    arabic: Vec<&'static str>,
    english: Vec<&'static str>,
    generations: Generations,
}

/// The words for a condition, by script.
#[derive(Debug, Clone)]
struct ConditionWords {
    arabic: Vec<&'static str>,
    english: Vec<&'static str>,
}

impl Words {
    fn from_vocabulary(vocab: &'static Vocabulary) -> Words {
        let categories = vocab
            .categories()
            .iter()
            .map(|c| CategoryWords {
                slug: &c.slug,
                name_ar: &c.name_ar,
                arabic: arabic_or(&c.terms, &c.name_ar),
                english: english_or(&c.terms, &c.name_en),
                aftermarket: lookup(AFTERMARKET, &c.slug).unwrap_or(&[]),
                base_price: lookup(BASE_PRICES, &c.slug).unwrap_or(FALLBACK_BASE_PRICE),
            })
            .collect();
        let makes = vocab.makes().iter().map(MakeWords::new).collect();
        let conditions = ConditionKind::ALL.map(|kind| {
            let terms = vocab.condition(kind.slug()).map(|c| c.terms.as_slice()).unwrap_or_default();
            ConditionWords { arabic: arabic_or(terms, kind.slug_ar()), english: english_or(terms, kind.slug()) }
        });
        Words {
            categories,
            makes,
            conditions,
            cities: vocab.cities().iter().map(|c| c.name.as_str()).collect(),
            cities_ar: vocab.cities().iter().map(|c| c.name_ar.as_str()).collect(),
        }
    }
}

impl MakeWords {
    fn new(make: &'static Make) -> MakeWords {
        MakeWords {
            name: &make.name,
            name_ar: &make.name_ar,
            arabic: arabic_or(&make.spellings, &make.name_ar),
            english: english_or(&make.spellings, &make.name),
            format: lookup(MAKE_NUMBER_FORMATS, &make.name).unwrap_or(NumberFormat::Toyota),
            premium: PREMIUM_MAKES.contains(&make.name.as_str()),
            models: make.models.iter().map(|model| ModelWords::new(make, model)).collect(),
        }
    }
}

impl ModelWords {
    fn new(make: &Make, model: &'static Model) -> ModelWords {
        ModelWords {
            name: &model.name,
            name_ar: &model.name_ar,
            arabic: arabic_or(&model.spellings, &model.name_ar),
            english: english_or(&model.spellings, &model.name),
            generations: generations_of(&make.name, &model.name).unwrap_or(FALLBACK_GENERATIONS),
        }
    }
}

/// The generation table of a model, if [`GENERATIONS`] has one.
fn generations_of(make: &str, model: &str) -> Option<Generations> {
    GENERATIONS.iter().find(|(mk, md, _)| *mk == make && *md == model).map(|(_, _, generations)| *generations)
}

/// The value for `key` in a small static table.
fn lookup<V: Copy>(table: &[(&str, V)], key: &str) -> Option<V> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn is_arabic_letter(c: char) -> bool {
    ('\u{0621}'..='\u{064A}').contains(&c)
}

/// The Arabic-script spellings, or `fallback` if there are none.
fn arabic_or(spellings: &'static [String], fallback: &'static str) -> Vec<&'static str> {
    let found: Vec<&str> = spellings.iter().filter(|s| s.chars().any(is_arabic_letter)).map(String::as_str).collect();
    if found.is_empty() { vec![fallback] } else { found }
}

/// The ASCII spellings, or `fallback` if there are none.
fn english_or(spellings: &'static [String], fallback: &'static str) -> Vec<&'static str> {
    let found: Vec<&str> = spellings.iter().filter(|s| s.is_ascii()).map(String::as_str).collect();
    if found.is_empty() { vec![fallback] } else { found }
}

/// A uniformly chosen element; every table picked from here is non-empty.
fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A uniformly chosen string of a non-empty list.
fn pick_str<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// The canonical name most of the time, otherwise any of the spellings people use.
fn name_or_spelling(rng: &mut StdRng, canonical: &'static str, spellings: &[&'static str], p: f64) -> &'static str {
    if rng.random_bool(p) { canonical } else { pick_str(rng, spellings) }
}

/// A seller of the demo market.
#[derive(Debug, Clone)]
struct Seller {
    external_id: String,
    city: &'static str,
    /// The feed's `seller` object, built once.
    record: Value,
    /// Listings generated so far, which numbers the seller's SKUs.
    listed: u32,
}

impl Seller {
    fn random(rng: &mut StdRng, words: &Words, index: usize) -> Seller {
        let external_id = format!("S{index:04}");
        let city_index = rng.random_range(0..words.cities.len());
        let city = words.cities[city_index];
        let mut name = format!("{} {}", pick_str(rng, SELLER_WORDS), pick_str(rng, SELLER_NAMES));
        if rng.random_bool(0.25) {
            name.push_str(" - ");
            name.push_str(words.cities_ar[city_index]);
        }
        let record = json!({"external_id": external_id, "name": name, "city": city});
        Seller { external_id, city, record, listed: 0 }
    }
}

/// One part number set: a category for one generation of one model.
#[derive(Debug, Clone)]
struct Family {
    category: usize,
    make: usize,
    model: usize,
    years: (u16, u16),
    /// The car maker's number, canonical spelling.
    oem: String,
    /// Cross-reference numbers of the aftermarket brands that make this part.
    aftermarket: Vec<(&'static str, String)>,
}

impl Family {
    /// Every family of the market, each with its numbers drawn once so that all
    /// listings of a family share them, as real listings of one part do.
    fn all(words: &Words, rng: &mut StdRng) -> Vec<Family> {
        let mut families = Vec::new();
        for (make_index, make) in words.makes.iter().enumerate() {
            for (model_index, model) in make.models.iter().enumerate() {
                for &years in model.generations {
                    for (category_index, category) in words.categories.iter().enumerate() {
                        let oem = make.format.random(rng);
                        let mut aftermarket = Vec::new();
                        for &(brand, format) in category.aftermarket {
                            // Not every brand makes every part.
                            if rng.random_bool(0.6) {
                                aftermarket.push((brand, format.random(rng)));
                            }
                        }
                        families.push(Family {
                            category: category_index,
                            make: make_index,
                            model: model_index,
                            years,
                            oem,
                            aftermarket,
                        });
                    }
                }
            }
        }
        families
    }
}

/// The feed's conditions; the discriminant indexes [`Words::conditions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConditionKind {
    New = 0,
    Used = 1,
    Refurbished = 2,
}

impl ConditionKind {
    const ALL: [ConditionKind; 3] = [Self::New, Self::Used, Self::Refurbished];

    fn slug(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Used => "used",
            Self::Refurbished => "refurbished",
        }
    }

    /// The Arabic word, in case the vocabulary has none for a condition.
    fn slug_ar(self) -> &'static str {
        match self {
            Self::New => "جديد",
            Self::Used => "مستعمل",
            Self::Refurbished => "مجدد",
        }
    }

    /// A condition, weighted by what the category's sellers usually have.
    fn random(rng: &mut StdRng, category: &str) -> ConditionKind {
        let (new, used) = if MOSTLY_NEW.contains(&category) {
            (90, 8)
        } else if MOSTLY_USED.contains(&category) {
            (30, 58)
        } else {
            (55, 38)
        };
        match rng.random_range(0..100) {
            r if r < new => Self::New,
            r if r < new + used => Self::Used,
            _ => Self::Refurbished,
        }
    }
}

/// The part-number shapes of car makers and aftermarket brands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberFormat {
    Toyota,
    Nissan,
    Hyundai,
    Honda,
    Gm,
    Ford,
    Mitsubishi,
    Mazda,
    Mercedes,
    Bmw,
    Isuzu,
    Suzuki,
    Ngk,
    Denso,
    Mann,
    Mahle,
    Bosch,
    Valeo,
    Brembo,
    Trw,
    Akebono,
    Kyb,
    Monroe,
    Varta,
    AcDelco,
    Gates,
    Aisin,
    Exedy,
}

impl NumberFormat {
    /// A random number in this format, spelled the way the catalog prints it.
    fn random(self, rng: &mut StdRng) -> String {
        let mut s = String::with_capacity(16);
        match self {
            // 04152-YZZA1
            Self::Toyota | Self::Nissan | Self::Hyundai => {
                push_random(rng, &mut s, DIGITS, 5);
                s.push('-');
                push_random(rng, &mut s, ALNUM, 5);
            }
            // 15400-PLM-A02
            Self::Honda => {
                push_random(rng, &mut s, DIGITS, 5);
                s.push('-');
                push_random(rng, &mut s, ALNUM, 3);
                s.push('-');
                push_random(rng, &mut s, ALNUM, 3);
            }
            // 12640206
            Self::Gm => push_random(rng, &mut s, DIGITS, 8),
            // BL3Z-06731-A
            Self::Ford => {
                push_random(rng, &mut s, ALNUM, 4);
                s.push('-');
                push_random(rng, &mut s, DIGITS, 5);
                s.push('-');
                s.push(*pick(rng, &['A', 'B', 'C', 'D', 'E']));
                s.push_str(pick_str(rng, &["", "A", "B"]));
            }
            // MD360935 or 1230A045
            Self::Mitsubishi => {
                if rng.random_bool(0.5) {
                    s.push_str("MD");
                    push_random(rng, &mut s, DIGITS, 6);
                } else {
                    push_random(rng, &mut s, DIGITS, 4);
                    s.push('A');
                    push_random(rng, &mut s, DIGITS, 3);
                }
            }
            // PE01-14-302A
            Self::Mazda => {
                push_random(rng, &mut s, ALNUM, 4);
                s.push('-');
                push_random(rng, &mut s, DIGITS, 2);
                s.push('-');
                push_random(rng, &mut s, DIGITS, 3);
                s.push(*pick(rng, &['A', 'B', 'C']));
            }
            // A271 180 01 09
            Self::Mercedes => {
                s.push('A');
                for n in [3, 3, 2, 2] {
                    if s.len() > 1 {
                        s.push(' ');
                    }
                    push_random(rng, &mut s, DIGITS, n);
                }
            }
            // 11 42 7 953 129
            Self::Bmw => join_digit_groups(rng, &mut s, &[2, 2, 1, 3, 3]),
            // 8-97309927-0
            Self::Isuzu => {
                s.push_str("8-");
                push_random(rng, &mut s, DIGITS, 8);
                s.push('-');
                push_random(rng, &mut s, DIGITS, 1);
            }
            // 16510-61A31
            Self::Suzuki => {
                push_random(rng, &mut s, DIGITS, 5);
                s.push('-');
                push_random(rng, &mut s, DIGITS, 2);
                push_random(rng, &mut s, b"ABCDEGHJKM", 1);
                push_random(rng, &mut s, DIGITS, 2);
            }
            // BKR6E
            Self::Ngk => {
                s.push_str(pick_str(rng, &["BKR", "LFR", "IFR", "ILZKR"]));
                s.push_str(&rng.random_range(5..=7).to_string());
                s.push_str(pick_str(rng, &["E", "A", "D", "EIX"]));
            }
            // K20R-U
            Self::Denso => {
                s.push_str(pick_str(rng, &["K", "SK", "FK"]));
                s.push_str(&rng.random_range(16..=22).to_string());
                s.push_str(pick_str(rng, &["R-U", "HR-A8", "PR-U11"]));
            }
            Self::Mann | Self::Mahle | Self::Valeo => {
                s.push_str(match self {
                    Self::Mann => "W",
                    Self::Mahle => "OC",
                    _ => "VM",
                });
                push_random(rng, &mut s, DIGITS, 3);
            }
            // 0 986 452 041
            Self::Bosch => {
                s.push_str("0 986 ");
                join_digit_groups(rng, &mut s, &[3, 3]);
            }
            // P83 024
            Self::Brembo => {
                s.push('P');
                join_digit_groups(rng, &mut s, &[2, 3]);
            }
            Self::Trw | Self::Akebono => {
                s.push_str(if self == Self::Trw { "GDB" } else { "ACT" });
                push_random(rng, &mut s, DIGITS, 4);
            }
            Self::Kyb => push_random(rng, &mut s, DIGITS, 6),
            Self::Monroe => {
                s.push('G');
                push_random(rng, &mut s, DIGITS, 4);
            }
            // 574 012 068
            Self::Varta => join_digit_groups(rng, &mut s, &[3, 3, 3]),
            Self::AcDelco => join_digit_groups_with(rng, &mut s, &[2, 3], '-'),
            // 5540XS or T295
            Self::Gates => {
                if rng.random_bool(0.5) {
                    push_random(rng, &mut s, DIGITS, 4);
                    s.push_str("XS");
                } else {
                    s.push('T');
                    push_random(rng, &mut s, DIGITS, 3);
                }
            }
            // WPT-190
            Self::Aisin => {
                s.push_str(pick_str(rng, &["WPT-", "WPN-", "WPH-"]));
                push_random(rng, &mut s, DIGITS, 3);
            }
            // TYK2046
            Self::Exedy => {
                s.push_str(pick_str(rng, &["TYK", "NSK", "HCK", "MBK"]));
                push_random(rng, &mut s, DIGITS, 4);
            }
        }
        s
    }
}

fn push_random(rng: &mut StdRng, out: &mut String, alphabet: &[u8], n: usize) {
    for _ in 0..n {
        out.push(char::from(*pick(rng, alphabet)));
    }
}

fn join_digit_groups(rng: &mut StdRng, out: &mut String, groups: &[usize]) {
    join_digit_groups_with(rng, out, groups, ' ');
}

fn join_digit_groups_with(rng: &mut StdRng, out: &mut String, groups: &[usize], sep: char) {
    for (i, &n) in groups.iter().enumerate() {
        if i > 0 {
            out.push(sep);
        }
        push_random(rng, out, DIGITS, n);
    }
}

/// A part number as a seller types it: as printed, without separators, with spaces
/// for dashes, or lowercased.
fn retype_number(rng: &mut StdRng, number: &str) -> String {
    match rng.random_range(0..100) {
        0..45 => number.to_owned(),
        45..70 => number.chars().filter(|c| !matches!(c, '-' | ' ')).collect(),
        70..85 => number.replace('-', " "),
        _ => number.to_ascii_lowercase(),
    }
}

/// How a title is written, which decides its script mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TitleStyle {
    Arabic,
    English,
    Mixed,
}

/// Everything a title may mention.
struct TitleParts<'a> {
    category: &'a CategoryWords,
    make: &'a MakeWords,
    model: &'a ModelWords,
    years: (u16, u16),
    condition: &'a ConditionWords,
    number: &'a str,
    brand: Option<&'a str>,
}

impl TitleParts<'_> {
    /// A title in one of the styles sellers use: 55% Arabic, 25% English, 20% mixed.
    fn render(&self, rng: &mut StdRng) -> (String, TitleStyle) {
        match rng.random_range(0..100) {
            0..55 => (self.arabic(rng), TitleStyle::Arabic),
            55..80 => (self.english(rng), TitleStyle::English),
            _ => (self.mixed(rng), TitleStyle::Mixed),
        }
    }

    fn arabic(&self, rng: &mut StdRng) -> String {
        let category = name_or_spelling(rng, self.category.name_ar, &self.category.arabic, 0.35);
        let make = name_or_spelling(rng, self.make.name_ar, &self.make.arabic, 0.5);
        let model = name_or_spelling(rng, self.model.name_ar, &self.model.arabic, 0.5);
        let mut title = String::with_capacity(96);
        title.push_str(category);
        title.push(' ');
        // "فلتر زيت لكامري": the make is dropped and the model takes the ل of "for".
        if rng.random_bool(0.15) && !model.contains(' ') {
            title.push_str(&with_lam(model));
        } else {
            title.push_str(make);
            title.push(' ');
            title.push_str(model);
        }
        title.push(' ');
        title.push_str(&arabic_years(rng, self.years));
        if rng.random_bool(0.5) {
            title.push(' ');
            title.push_str(pick_str(rng, &self.condition.arabic));
        }
        if rng.random_bool(0.3) {
            title.push(' ');
            title.push_str(self.number);
        }
        let level = rng.random();
        noisy_arabic(rng, &title, level)
    }

    fn english(&self, rng: &mut StdRng) -> String {
        let mut title = String::with_capacity(96);
        if let Some(brand) = self.brand.filter(|_| rng.random_bool(0.5)) {
            title.push_str(brand);
            title.push(' ');
        }
        title.push_str(pick_str(rng, &self.category.english));
        title.push(' ');
        title.push_str(name_or_spelling(rng, self.make.name, &self.make.english, 0.6));
        title.push(' ');
        title.push_str(name_or_spelling(rng, self.model.name, &self.model.english, 0.6));
        title.push(' ');
        title.push_str(&english_years(rng, self.years));
        if rng.random_bool(0.4) {
            title.push(' ');
            title.push_str(pick_str(rng, &self.condition.english));
        }
        if rng.random_bool(0.4) {
            title.push(' ');
            title.push_str(self.number);
        }
        if rng.random_bool(0.5) { capitalize_words(&title) } else { title }
    }

    fn mixed(&self, rng: &mut StdRng) -> String {
        let title = if rng.random_bool(0.7) {
            // Arabic part name, the car as on its badge: "فحمات فرامل Toyota Camry".
            let condition = if rng.random_bool(0.5) {
                pick_str(rng, &self.condition.arabic)
            } else {
                pick_str(rng, &self.condition.english)
            };
            format!(
                "{} {} {} {} {}",
                pick_str(rng, &self.category.arabic),
                self.make.name,
                self.model.name,
                year_span(self.years),
                condition
            )
        } else {
            // English part name, Arabic car: "brake pads كامري 2019".
            format!(
                "{} {} {} {}",
                pick_str(rng, &self.category.english),
                pick_str(rng, &self.make.arabic),
                pick_str(rng, &self.model.arabic),
                arabic_years(rng, self.years)
            )
        };
        let level = rng.random::<f64>() * 0.5;
        noisy_arabic(rng, &title, level)
    }
}

/// `word` with the attached preposition ل; ل before the article ال makes لل.
fn with_lam(word: &str) -> String {
    match word.strip_prefix("ال") {
        Some(rest) => format!("لل{rest}"),
        None => format!("ل{word}"),
    }
}

fn arabic_years(rng: &mut StdRng, (y1, y2): (u16, u16)) -> String {
    let text = if y1 == y2 {
        match rng.random_range(0..2) {
            0 => y1.to_string(),
            _ => format!("موديل {y1}"),
        }
    } else {
        match rng.random_range(0..4) {
            0 => format!("{y1}-{y2}"),
            1 => format!("من {y1} إلى {y2}"),
            2 => format!("{y1} - {y2}"),
            _ => format!("موديل {}", rng.random_range(y1..=y2)),
        }
    };
    if rng.random_bool(0.2) { to_arabic_indic(&text) } else { text }
}

/// `2018-2024`, or the single year of a one-year generation.
fn year_span((y1, y2): (u16, u16)) -> String {
    if y1 == y2 { y1.to_string() } else { format!("{y1}-{y2}") }
}

fn english_years(rng: &mut StdRng, (y1, y2): (u16, u16)) -> String {
    if y1 == y2 {
        return y1.to_string();
    }
    match rng.random_range(0..5) {
        0..3 => year_span((y1, y2)),
        3 => format!("{y1} - {y2}"),
        _ => rng.random_range(y1..=y2).to_string(),
    }
}

fn to_arabic_indic(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32('\u{0660}' as u32 + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// Title Case as sellers produce it: only first letters change, part numbers keep theirs.
fn capitalize_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at_word_start = true;
    for c in text.chars() {
        out.push(if at_word_start { c.to_ascii_uppercase() } else { c });
        at_word_start = c == ' ';
    }
    out
}

/// A description in the sellers' stock phrases, sometimes with the part number and
/// the car written out.
fn describe(rng: &mut StdRng, make: &MakeWords, model: &ModelWords, number: &str) -> String {
    let mut order: [usize; DESCRIPTION_PHRASES.len()] = std::array::from_fn(|i| i);
    let count = rng.random_range(1..=4);
    let mut text = String::with_capacity(160);
    // A partial Fisher-Yates shuffle picks distinct phrases without allocating.
    for i in 0..count {
        let j = rng.random_range(i..order.len());
        order.swap(i, j);
        if i > 0 {
            text.push_str("، ");
        }
        text.push_str(DESCRIPTION_PHRASES[order[i]]);
    }
    if rng.random_bool(0.5) {
        text.push_str(". رقم القطعة: ");
        text.push_str(number);
    }
    if rng.random_bool(0.3) {
        text.push_str(". يركب على ");
        text.push_str(pick_str(rng, &make.arabic));
        text.push(' ');
        text.push_str(pick_str(rng, &model.arabic));
    }
    let level = rng.random::<f64>() * 0.6;
    noisy_arabic(rng, &text, level)
}

/// `text` with the spelling habits of Arabic writers at intensity `level` (0..1):
/// added diacritics and tatweel, hamza dropped or added on alef, ة written ه and
/// final ي written ى. Words without Arabic letters are left alone.
fn noisy_arabic(rng: &mut StdRng, text: &str, level: f64) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut word: Vec<char> = Vec::new();
    // A char-set pattern: `split(' ')` would call memchr for every short word.
    for (i, w) in text.split([' ']).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let (Some(first), Some(last)) = (w.chars().next(), w.chars().next_back()) else {
            continue;
        };
        let (len, arabic) = w.chars().fold((0, false), |(n, arabic), c| (n + 1, arabic || is_arabic_letter(c)));
        if level <= 0.0 || !arabic {
            out.push_str(w);
            continue;
        }
        // Decide every change first: most words come through untouched and are then
        // copied as they are, which keeps the generator fast.
        let harakah =
            (len > 2 && rng.random_bool(0.25 * level)).then(|| (rng.random_range(1..len), *pick(rng, HARAKAT)));
        let tatweel = (len > 3 && rng.random_bool(0.10 * level)).then(|| rng.random_range(1..len - 1));
        let new_first = match first {
            'أ' | 'إ' | 'آ' if rng.random_bool(0.5 * level) => Some('ا'),
            'ا' if rng.random_bool(0.15 * level) => Some(*pick(rng, &['أ', 'إ'])),
            _ => None,
        };
        let new_last = match last {
            'ة' if rng.random_bool(0.4 * level) => Some('ه'),
            'ي' if rng.random_bool(0.3 * level) => Some('ى'),
            _ => None,
        };
        if harakah.is_none() && tatweel.is_none() && new_first.is_none() && new_last.is_none() {
            out.push_str(w);
            continue;
        }
        word.clear();
        word.extend(w.chars());
        if let Some(c) = new_first {
            word[0] = c;
        }
        if let Some(c) = new_last {
            word[len - 1] = c;
        }
        // Insert from the back so the earlier position stays valid; a mark only
        // follows a letter, and tatweel only a letter that joins the next one.
        let tatweel = tatweel.filter(|&pos| is_arabic_letter(word[pos - 1]) && !NON_JOINING.contains(&word[pos - 1]));
        let harakah = harakah.filter(|&(pos, _)| is_arabic_letter(word[pos - 1]));
        let mut inserts = [harakah, tatweel.map(|pos| (pos, TATWEEL))];
        inserts.sort_by_key(|insert| std::cmp::Reverse(insert.map(|(pos, _)| pos)));
        for (pos, c) in inserts.into_iter().flatten() {
            word.insert(pos, c);
        }
        out.extend(word.iter());
    }
    out
}

/// An asking price: spread around the category's typical price, cheaper used or
/// refurbished, dearer for premium makes, usually in whole riyals.
fn price_sar(rng: &mut StdRng, base_price: u32, premium: bool, condition: ConditionKind) -> String {
    let mut price = f64::from(base_price) * rng.random_range(0.5..2.2);
    price *= match condition {
        ConditionKind::New => 1.0,
        ConditionKind::Used => 0.55,
        ConditionKind::Refurbished => 0.75,
    };
    if premium {
        price *= 1.6;
    }
    let halalas = if rng.random_bool(0.7) {
        (price.round() as u64).max(1) * 100
    } else {
        ((price * 100.0).round() as u64).max(1)
    };
    format!("{}.{:02}", halalas / 100, halalas % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn catalog(listings: usize, sellers: usize, seed: u64) -> Vec<Value> {
        DemoCatalog::new(listings, sellers, seed).collect()
    }

    fn title(record: &Value) -> &str {
        record["title"].as_str().expect("title is a string")
    }

    fn share(records: &[Value], matches: impl Fn(&Value) -> bool) -> f64 {
        records.iter().filter(|r| matches(r)).count() as f64 / records.len() as f64
    }

    /// The script a title is written in; part-number tokens (which carry digits) do
    /// not make an Arabic title mixed.
    fn script(title: &str) -> TitleStyle {
        let arabic = title.chars().any(is_arabic_letter);
        let latin = title
            .split_whitespace()
            .any(|w| w.chars().any(|c| c.is_ascii_alphabetic()) && !w.chars().any(|c| c.is_ascii_digit()));
        match (arabic, latin) {
            (true, false) => TitleStyle::Arabic,
            (false, _) => TitleStyle::English,
            (true, true) => TitleStyle::Mixed,
        }
    }

    fn is_price(text: &str) -> bool {
        let Some((riyals, halalas)) = text.split_once('.') else {
            return false;
        };
        !riyals.is_empty()
            && riyals.bytes().all(|b| b.is_ascii_digit())
            && halalas.len() == 2
            && halalas.bytes().all(|b| b.is_ascii_digit())
            && text.parse::<f64>().is_ok_and(|p| p > 0.0)
    }

    #[test]
    fn the_same_arguments_give_the_same_catalog() {
        assert_eq!(catalog(2_000, 40, 7), catalog(2_000, 40, 7));
    }

    #[test]
    fn another_seed_gives_another_catalog() {
        assert_ne!(catalog(200, 40, 7), catalog(200, 40, 8));
    }

    #[test]
    fn it_yields_exactly_the_requested_number_of_listings() {
        let mut catalog = DemoCatalog::new(1_234, 10, 1);
        assert_eq!(catalog.size_hint(), (1_234, Some(1_234)));
        catalog.next();
        assert_eq!(catalog.size_hint(), (1_233, Some(1_233)));
        assert_eq!(catalog.count(), 1_233);
        assert_eq!(DemoCatalog::new(0, 10, 1).count(), 0);
    }

    #[test]
    fn every_record_satisfies_the_inventory_feed_contract() {
        let vocab = Vocabulary::builtin();
        let allowed: HashSet<&str> = [
            "seller",
            "sku",
            "title",
            "title_ar",
            "description",
            "category",
            "fitment",
            "oem_numbers",
            "brand",
            "condition",
            "price_sar",
            "quantity",
            "city",
            "photos",
        ]
        .into();
        let mut skus = HashSet::new();
        for record in DemoCatalog::new(20_000, 60, 3) {
            let object = record.as_object().expect("a record is an object");
            for key in object.keys() {
                assert!(allowed.contains(key.as_str()), "unexpected key {key}");
            }
            let seller = &record["seller"];
            let external_id = seller["external_id"].as_str().expect("seller id");
            assert!(!seller["name"].as_str().expect("seller name").is_empty());
            let seller_city = seller["city"].as_str().expect("seller city");
            assert_eq!(vocab.city(seller_city).map(|c| c.name.as_str()), Some(seller_city));

            let sku = record["sku"].as_str().expect("sku");
            assert!((1..=64).contains(&sku.len()), "{sku}");
            assert!(sku.starts_with(&format!("{external_id}-")), "{sku}");
            assert!(skus.insert(sku.to_owned()), "duplicate sku {sku}");

            let title = title(&record);
            assert!((1..=300).contains(&title.chars().count()), "{title}");
            if let Some(title_ar) = record.get("title_ar") {
                assert!(title_ar.as_str().expect("title_ar").chars().any(is_arabic_letter));
            }
            let description = record["description"].as_str().expect("description");
            assert!(description.chars().count() <= 5_000);

            let slug = record["category"].as_str().expect("category");
            assert!(vocab.category(slug).is_some(), "unknown category {slug}");

            for car in record["fitment"].as_array().expect("fitment") {
                let make = car["make"].as_str().expect("make");
                let model = car["model"].as_str().expect("model");
                let known = vocab.make(make).filter(|m| m.name == make).expect(make);
                let known_model = known.model(model).expect(model);
                assert_eq!(known_model.name, model, "model names are canonical");
                let from = car["year_from"].as_u64().expect("year_from");
                let to = car["year_to"].as_u64().expect("year_to");
                assert!((1990..=2030).contains(&from) && from <= to, "{from}-{to}");
            }

            let numbers = record["oem_numbers"].as_array().expect("oem_numbers");
            assert!(!numbers.is_empty());
            assert!(numbers.iter().all(|n| n.as_str().is_some_and(|n| !n.is_empty())));
            assert!(record["brand"].is_null() || record["brand"].is_string());

            let condition = record["condition"].as_str().expect("condition");
            assert!(["new", "used", "refurbished"].contains(&condition), "{condition}");
            let price = record["price_sar"].as_str().expect("price_sar");
            assert!(is_price(price), "bad price {price}");
            assert!(record["quantity"].is_u64(), "quantity is an integer >= 0");

            let city = record["city"].as_str().expect("city");
            assert_eq!(vocab.city(city).map(|c| c.name.as_str()), Some(city));
            for photo in record["photos"].as_array().expect("photos") {
                let url = photo.as_str().expect("photo url");
                assert!(url.starts_with("https://img.example.com/"), "{url}");
            }
        }
    }

    #[test]
    fn skus_count_up_from_one_for_each_seller() {
        let mut last: HashMap<String, u32> = HashMap::new();
        for record in DemoCatalog::new(5_000, 30, 5) {
            let sku = record["sku"].as_str().expect("sku");
            let (seller, counter) = sku.split_once('-').expect("seller-counter");
            assert_eq!(seller, record["seller"]["external_id"]);
            assert_eq!(counter.len(), 6);
            let counter: u32 = counter.parse().expect("numeric counter");
            let previous = last.insert(seller.to_owned(), counter).unwrap_or(0);
            assert_eq!(counter, previous + 1, "{sku}");
        }
    }

    #[test]
    fn the_catalog_uses_exactly_the_requested_sellers() {
        let ids: HashSet<String> = DemoCatalog::new(5_000, 25, 9)
            .map(|r| r["seller"]["external_id"].as_str().expect("id").to_owned())
            .collect();
        let expected: HashSet<String> = (0..25).map(|i| format!("S{i:04}")).collect();
        assert_eq!(ids, expected);
        assert!(DemoCatalog::new(100, 1, 9).all(|r| r["seller"]["external_id"] == "S0000"));
    }

    #[test]
    fn zero_sellers_still_gives_every_listing_a_seller() {
        let records = catalog(10, 0, 1);
        assert_eq!(records.len(), 10);
        assert!(records.iter().all(|r| r["seller"]["external_id"] == "S0000"));
    }

    #[test]
    fn the_mix_has_arabic_english_and_mixed_titles() {
        let records = catalog(5_000, 50, 11);
        let arabic = share(&records, |r| script(title(r)) == TitleStyle::Arabic);
        let english = share(&records, |r| script(title(r)) == TitleStyle::English);
        let mixed = share(&records, |r| script(title(r)) == TitleStyle::Mixed);
        assert!((0.45..0.65).contains(&arabic), "arabic {arabic}");
        assert!((0.18..0.32).contains(&english), "english {english}");
        assert!((0.12..0.30).contains(&mixed), "mixed {mixed}");
        // Only English titles get an Arabic one beside them.
        assert!(
            records.iter().filter(|r| r.get("title_ar").is_some()).all(|r| script(title(r)) == TitleStyle::English)
        );
        assert!(share(&records, |r| r.get("title_ar").is_some()) > 0.05);
    }

    #[test]
    fn about_one_record_in_seven_leaves_fitment_to_the_title() {
        let records = catalog(5_000, 50, 13);
        let empty = share(&records, |r| r["fitment"].as_array().is_some_and(Vec::is_empty));
        assert!((0.10..0.20).contains(&empty), "empty fitment {empty}");
    }

    #[test]
    fn arabic_titles_carry_the_noise_of_real_writing() {
        let records = catalog(5_000, 50, 17);
        let has = |pattern: fn(char) -> bool| records.iter().any(|r| title(r).chars().any(pattern));
        assert!(has(|c| ('\u{0660}'..='\u{0669}').contains(&c)), "arabic-indic digits");
        assert!(has(|c| HARAKAT.contains(&c)), "diacritics");
        assert!(has(|c| c == TATWEEL), "tatweel");
        let models_with_lam: HashSet<String> = Vocabulary::builtin()
            .makes()
            .iter()
            .flat_map(|make| &make.models)
            .flat_map(|model| &model.spellings)
            .map(|spelling| with_lam(spelling))
            .collect();
        assert!(
            records.iter().any(|r| title(r).split(' ').any(|w| models_with_lam.contains(w))),
            "a model with the preposition ل"
        );
    }

    #[test]
    fn part_numbers_are_typed_in_several_formats() {
        let numbers: Vec<String> = catalog(3_000, 50, 19)
            .iter()
            .flat_map(|r| r["oem_numbers"].as_array().cloned().unwrap_or_default())
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect();
        let any = |f: fn(&str) -> bool| numbers.iter().any(|n| f(n));
        assert!(any(|n| n.contains('-')), "with dashes");
        assert!(any(|n| n.contains(' ')), "with spaces");
        assert!(any(|n| n.len() >= 10 && n.bytes().all(|b| b.is_ascii_alphanumeric())), "compact");
        assert!(any(|n| n.bytes().any(|b| b.is_ascii_lowercase())), "lowercased");
        // Each make's own shape shows up: Toyota's `04152-YZZA1`, Mercedes' `A271 180 01 09`.
        assert!(any(|n| n.len() == 11 && n.as_bytes()[5] == b'-'), "toyota style");
        assert!(any(|n| n.starts_with('A') && n.len() == 14 && n.matches(' ').count() == 3));
    }

    #[test]
    fn every_vocabulary_model_has_generations_and_every_make_a_number_format() {
        for make in Vocabulary::builtin().makes() {
            assert!(lookup(MAKE_NUMBER_FORMATS, &make.name).is_some(), "no part-number format for {}", make.name);
            for model in &make.models {
                let generations = generations_of(&make.name, &model.name)
                    .unwrap_or_else(|| panic!("no generations for {} {}", make.name, model.name));
                assert!(!generations.is_empty());
                assert!(generations.iter().all(|(from, to)| from <= to));
            }
        }
    }

    #[test]
    fn arabic_titles_use_arabic_names_and_english_titles_ascii_ones() {
        let words = Words::from_vocabulary(Vocabulary::builtin());
        for category in &words.categories {
            assert!(category.arabic.iter().all(|t| t.chars().any(is_arabic_letter)));
            assert!(category.english.iter().all(|t| t.is_ascii()));
        }
        for make in &words.makes {
            assert!(make.english.iter().all(|t| t.is_ascii()), "{}", make.name);
            for model in &make.models {
                assert!(model.arabic.iter().all(|t| t.chars().any(is_arabic_letter)));
            }
        }
    }

    #[test]
    fn a_model_takes_the_preposition_lam_as_arabic_spelling_does() {
        assert_eq!(with_lam("كامري"), "لكامري");
        assert_eq!(with_lam("التيما"), "للتيما");
    }
}
