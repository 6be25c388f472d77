//! Seller verification (KYC): sellers upload their commercial registration, VAT
//! certificate and bank letter with the numbers on them; administrators approve or
//! reject each; a seller whose three current documents are approved, and whose
//! registration has not expired, is verified (the badge in search and on its profile).
//!
//! Numbers are checked before anything is stored (`numbers`) and sealed at rest; the
//! files go to a private store that nothing serves publicly, and only the seller and
//! administrators read them back.

pub mod documents;
pub mod error;
pub mod numbers;
pub mod review;
mod routes;
pub mod store;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::auth::keys::Keys;
use crate::platform::clock::{Clock, SystemClock};
use crate::platform::config::{MediaSettings, Settings};
use crate::platform::media::MediaStore;

pub use error::KycError;
pub use routes::routes;

/// The event of a seller that became verified; the notifications tell its accounts.
pub const SELLER_VERIFIED: &str = "seller.verified";
/// The event of a seller that is no longer verified (a document replaced or rejected,
/// the registration expired).
pub const SELLER_UNVERIFIED: &str = "seller.unverified";

/// What the verification endpoints share.
#[derive(Clone)]
pub struct KycState {
    pub db: PgPool,
    /// The private document store.
    pub documents: MediaStore,
    /// Seals the documents' numbers.
    pub keys: Arc<Keys>,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
}

impl KycState {
    pub fn new(db: PgPool, settings: Arc<Settings>, keys: Arc<Keys>) -> anyhow::Result<KycState> {
        let private = MediaSettings {
            dir: settings.kyc.dir.clone(),
            // Never used: the store answers only through the authorized endpoints.
            public_url: String::new(),
            max_upload_bytes: settings.media.max_upload_bytes,
            max_photos_per_listing: 0,
            s3: settings.kyc.s3.clone(),
        };
        let documents = MediaStore::open(&private)?;
        Ok(KycState { db, documents, keys, settings, clock: Arc::new(SystemClock) })
    }

    pub fn now(&self) -> DateTime<Utc> {
        use chrono::SubsecRound;
        self.clock.now().trunc_subsecs(6)
    }
}
