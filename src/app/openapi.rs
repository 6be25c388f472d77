//! The OpenAPI document's frame; each handler contributes its own path.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "CargoParts API",
        description = "Auto spare parts marketplace for Saudi Arabia: catalog, search and the sellers' inventory sync.\n\nErrors use one envelope: `{\"error\": {\"code\", \"message\", \"details\"}}`.\n\nArabic first: every error `message`, and every `reason` in `details`, is in Arabic unless the request's `Accept-Language` prefers English (`en`, `en-US`, `ar;q=0.5, en;q=0.9`); the answer's `Content-Language` says which. The `code`, the field names in `details` and every other value are the same in both languages: branch on those, show the message.",
        version = "1"
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "search", description = "Search and browse listings; completions"),
        (name = "catalog", description = "Listings, sellers and the taxonomy"),
        (name = "seller", description = "The sellers' inventory sync API (seller API key)"),
        (name = "operations", description = "Health and readiness")
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "seller_api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A seller API key (`cpk_…`) from `cargoparts seller create-key`"))
                    .build(),
            ),
        );
    }
}
