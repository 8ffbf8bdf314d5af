//! The chat page: `web/index.html` at `/`, and the modules that tsc compiled from `web/app.ts` and
//! the generated TypeScript client (`web/dist/`) at their paths below `/`.
//!
//! They are embedded in the binary, so serving them needs neither node nor the files at run time.
//! `tests/js/web.test.mjs` checks that `web/dist/` is what tsc makes of the sources now.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::routing::get;

/// The page.
const INDEX: &str = include_str!("../web/index.html");

/// Every compiled module, by the path the page loads it from.
const MODULES: &[(&str, &str)] = &[
    ("/app.js", include_str!("../web/dist/app.js")),
    (
        "/generated/api.js",
        include_str!("../web/dist/generated/api.js"),
    ),
    (
        "/generated/client.js",
        include_str!("../web/dist/generated/client.js"),
    ),
];

/// The page's routes; merge them into the app next to the WebSocket route.
pub fn routes() -> axum::Router {
    let mut router = axum::Router::new().route(
        "/",
        get(|| async {
            (
                [
                    (CONTENT_TYPE, "text/html; charset=utf-8"),
                    (CACHE_CONTROL, "no-cache"),
                ],
                INDEX,
            )
        }),
    );
    for &(path, body) in MODULES {
        router = router.route(
            path,
            get(move || async move {
                (
                    [
                        (CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (CACHE_CONTROL, "no-cache"),
                    ],
                    body,
                )
            }),
        );
    }
    router
}
