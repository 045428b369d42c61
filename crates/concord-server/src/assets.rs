//! The console's static files, compiled into the binary (see `assets/README.md`): the
//! vendored Leaflet, Natural Earth borders and TopoJSON client, and the console's own
//! script.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

macro_rules! asset {
    ($path:literal, $kind:literal) => {
        (
            $path,
            $kind,
            include_bytes!(concat!("../assets/", $path)) as &[u8],
        )
    };
}

/// Every asset: its path under `/assets/`, its media type, its bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    asset!("vendor/leaflet-1.9.4/leaflet.js", "text/javascript"),
    asset!("vendor/leaflet-1.9.4/leaflet.css", "text/css"),
    asset!("vendor/leaflet-1.9.4/images/layers.png", "image/png"),
    asset!("vendor/leaflet-1.9.4/images/layers-2x.png", "image/png"),
    asset!("vendor/leaflet-1.9.4/images/marker-icon.png", "image/png"),
    asset!(
        "vendor/leaflet-1.9.4/images/marker-icon-2x.png",
        "image/png"
    ),
    asset!("vendor/leaflet-1.9.4/images/marker-shadow.png", "image/png"),
    asset!(
        "vendor/world-atlas-2.0.2/countries-50m.json",
        "application/json"
    ),
    asset!(
        "vendor/topojson-client-3.1.0/topojson-client.min.js",
        "text/javascript"
    ),
    asset!("console.js", "text/javascript"),
    asset!("console.css", "text/css"),
];

/// The assets' route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{*path}", get(asset))
}

async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(p, _, _)| *p == path) {
        Some((_, kind, bytes)) => (
            [
                (header::CONTENT_TYPE, *kind),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
