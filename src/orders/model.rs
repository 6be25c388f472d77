//! The order as the API shows it, and the request that places one.
//!
//! Amounts are SAR decimal strings with two places (`"45.00"`), as everywhere in the
//! API; times are UTC, with the Hijri date where a person reads them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::state::{GroupStatus, OrderStatus};

/// `POST /orders`: what to buy and where to send it.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    /// One line per listing, each listing at most once; from any number of sellers.
    pub items: Vec<OrderItem>,
    pub shipping_address: ShippingAddress,
    /// For the sellers, up to 1000 characters.
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderItem {
    pub listing_id: Uuid,
    /// Units, at least 1.
    pub quantity: u32,
}

/// A Saudi national address: the building number and postal code, or the short address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ShippingAddress {
    /// Who receives the parcel, 1 to 200 characters.
    pub name: String,
    /// Saudi mobile number in any usual form (`0501234567`, `+966 50 123 4567`); shown
    /// back in E.164 (`+966501234567`).
    pub phone: String,
    /// City, in Arabic or English (`الرياض`, `Riyadh`); shown back in its usual English name.
    pub city: String,
    pub district: String,
    pub street: String,
    /// Four digits. Give it with `postal_code`, or give `short_address` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "1234")]
    pub building_number: Option<String>,
    /// Five digits, the first naming the region (not 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "12345")]
    pub postal_code: Option<String>,
    /// Four digits, when the address has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_number: Option<String>,
    /// The national address's short form: four letters and four digits (`RRRD2929`), in
    /// any case and spacing. Stands for the building and postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "RRRD2929")]
    pub short_address: Option<String>,
}

/// An order as its buyer (or an admin) sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct OrderView {
    pub id: Uuid,
    /// Human order number, `CP-2026-000123`.
    pub number: String,
    pub status: OrderStatus,
    pub groups: Vec<GroupView>,
    /// Total less VAT.
    #[schema(example = "200.00")]
    pub subtotal_sar: String,
    #[schema(example = "30.00")]
    pub vat_sar: String,
    /// What the buyer pays, VAT included.
    #[schema(example = "230.00")]
    pub total_sar: String,
    #[schema(example = "SAR")]
    pub currency: String,
    /// Where the order goes. A seller reading the order sees it once its group is paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<ShippingAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Until when the stock is held for payment.
    pub reserved_until: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// `created_at` as a date of the Umm al-Qura calendar, in Saudi Arabia.
    #[schema(example = "1448-06-12")]
    pub created_at_hijri: String,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<DateTime<Utc>>,
}

/// One seller's part of an order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct GroupView {
    /// The group's id: what a seller accepts, ships and delivers.
    pub id: Uuid,
    pub seller: SellerRef,
    pub status: GroupStatus,
    pub lines: Vec<LineView>,
    pub subtotal_sar: String,
    pub vat_sar: String,
    pub total_sar: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment: Option<Shipment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct SellerRef {
    pub id: Uuid,
    pub name: String,
}

/// Where a shipped group is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
}

/// One line of a group, priced as it was listed when the order was placed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct LineView {
    pub listing_id: Uuid,
    pub sku: String,
    pub title: String,
    pub quantity: u32,
    /// VAT included.
    #[schema(example = "115.00")]
    pub unit_price_sar: String,
    /// `unit_price_sar` × `quantity`, VAT included.
    #[schema(example = "230.00")]
    pub line_total_sar: String,
    /// The VAT in `line_total_sar`: line_total × 15 / 115, rounded half up to the halala.
    #[schema(example = "30.00")]
    pub vat_sar: String,
}

/// A seller's view of its group: its own lines, and where to send them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SellerOrderView {
    /// The group's id, used in `/seller/orders/{id}/…`.
    pub id: Uuid,
    pub order_id: Uuid,
    pub order_number: String,
    pub status: GroupStatus,
    pub lines: Vec<LineView>,
    pub subtotal_sar: String,
    pub vat_sar: String,
    pub total_sar: String,
    /// Shown once the group is paid: nobody ships an unpaid order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<ShippingAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment: Option<Shipment>,
    pub created_at: DateTime<Utc>,
    pub created_at_hijri: String,
    pub updated_at: DateTime<Utc>,
}

/// `POST /seller/orders/{id}/ship`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipRequest {
    /// The carrier, e.g. `SMSA`, `Aramex`, `SPL`; 1 to 100 characters.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub carrier: String,
    /// 1 to 100 characters.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub tracking_number: String,
}
