//! The stylesheet and the one ES module, embedded in the binary and served
//! from this origin (no CDN, no build step). The module is the readable
//! source, not minified: anyone can read what runs with their key.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The stylesheet.
const STYLESHEET: &str = include_str!("static/app.css");

/// The icon browsers show in tabs (and ask for on every page).
const ICON: &str = include_str!("static/icon.svg");

/// The ES module: keys, signing and receipt checks in the browser.
const MODULE: &str = include_str!("static/scrutineer.js");

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // Revalidated on every use: the binary may have been upgraded.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// `GET /static/app.css`.
pub async fn stylesheet() -> Response {
    asset(STYLESHEET, "text/css; charset=utf-8")
}

/// `GET /static/scrutineer.js`.
pub async fn module() -> Response {
    asset(MODULE, "text/javascript; charset=utf-8")
}

/// `GET /static/icon.svg`.
pub async fn icon() -> Response {
    asset(ICON, "image/svg+xml")
}
