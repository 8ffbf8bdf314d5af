//! axum integration: the route handler that upgrades to WebSocket and serves the connection.
//!
//! Before the upgrade, in this order: a shutting-down server refuses it (503), then the
//! `Origin` allow-list (403), the connection limits (503 server-wide, 429 per client address),
//! and last the authentication hook (401 or 403), so a full server spends nothing on checking
//! credentials. A refused request gets no upgrade, registers no connection and runs no handler.

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Query, RawPathParams, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::MethodRouter;
use futures_util::FutureExt as _;

use super::connection::{Extras, Setup, panic_message, serve};
use super::limits::{EndpointStats, Event, NoSlot, Shared};
use super::listener::PeerAddr;
use super::settings::RateLimit;
use super::{Settings, Shutdown};
use crate::Service;
use crate::error::AuthError;
use crate::rooms::{Hub, SlowConsumer};

/// What a connection's authentication gave: its identity, for [`Context::identity`](crate::Context::identity).
pub(crate) type Identity = Arc<dyn Any + Send + Sync>;

type AuthFuture = Pin<Box<dyn Future<Output = Result<Identity, AuthError>> + Send>>;
type AuthHook = Arc<dyn Fn(UpgradeRequest) -> AuthFuture + Send + Sync>;

/// What an authentication hook sees of an upgrade request: the path and its parameters, the
/// query, the headers and the client's address.
///
/// See [`Endpoint::authenticate`].
#[derive(Debug, Clone)]
pub struct UpgradeRequest {
    uri: Uri,
    headers: HeaderMap,
    params: Vec<(String, String)>,
    peer: Option<SocketAddr>,
}

impl UpgradeRequest {
    /// The request's path, such as `/room/lobby/7`.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The request's query string, without the `?`.
    pub fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    /// The first value of the query parameter `name`, form-decoded as
    /// `application/x-www-form-urlencoded` is: `?token=a%20b` and `?token=a+b` both give `a b`,
    /// and `%2B` gives `+`. A token that may hold a `+` (base64) must be percent-encoded by the
    /// client, or read as it is from [`query`](Self::query).
    pub fn query_param(&self, name: &str) -> Option<String> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&self.uri).ok()?;
        pairs
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// The value of the route's path parameter `name`, as
    /// [`Context::param`](crate::Context::param) gives it.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The request's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The value of header `name`, if it is present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The client's address, when the server knows it (see [`PeerAddr`]).
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// The request's URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }
}

/// A [`Service`] ready to be mounted on an axum route.
///
/// ```no_run
/// # use socketsundso::{Endpoint, Service};
/// # fn mount<S: Service>(service: S) -> axum::Router {
/// let endpoint = Endpoint::new(service).max_pending_bytes(1 << 20);
/// axum::Router::new().route("/ws/{room}", endpoint.into_method_router())
/// # }
/// ```
pub struct Endpoint<S> {
    service: Arc<S>,
    hub: Hub,
    settings: Settings,
    shared: Arc<Shared>,
    auth: Option<AuthHook>,
    shutdown: Shutdown,
}

impl<S> Clone for Endpoint<S> {
    fn clone(&self) -> Self {
        Self {
            service: Arc::clone(&self.service),
            hub: self.hub.clone(),
            settings: self.settings.clone(),
            shared: Arc::clone(&self.shared),
            auth: self.auth.clone(),
            shutdown: self.shutdown.clone(),
        }
    }
}

impl<S> std::fmt::Debug for Endpoint<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("hub", &self.hub)
            .field("settings", &self.settings)
            .field("authenticates", &self.auth.is_some())
            .field("shutdown", &self.shutdown)
            .finish_non_exhaustive()
    }
}

impl<S: Service> Endpoint<S> {
    /// An endpoint for `service`, with a new [`Hub`] and default [`Settings`].
    pub fn new(service: S) -> Self {
        Self::from_arc(Arc::new(service))
    }

    /// An endpoint for a shared `service`.
    pub fn from_arc(service: Arc<S>) -> Self {
        Self {
            service,
            hub: Hub::new(),
            settings: Settings::default(),
            shared: Arc::default(),
            auth: None,
            shutdown: Shutdown::new(),
        }
    }

    /// Uses `hub` for connections and rooms (endpoints sharing a hub share rooms).
    pub fn hub(mut self, hub: Hub) -> Self {
        self.hub = hub;
        self
    }

    /// Replaces all settings.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// See [`Settings::read_buffer_size`].
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.settings = self.settings.read_buffer_size(bytes);
        self
    }

    /// See [`Settings::write_buffer_size`].
    pub fn write_buffer_size(mut self, bytes: usize) -> Self {
        self.settings = self.settings.write_buffer_size(bytes);
        self
    }

    /// See [`Settings::max_message_size`].
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.settings = self.settings.max_message_size(bytes);
        self
    }

    /// See [`Settings::max_frame_size`].
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.settings = self.settings.max_frame_size(bytes);
        self
    }

    /// See [`Settings::max_pending_bytes`].
    pub fn max_pending_bytes(mut self, bytes: usize) -> Self {
        self.settings = self.settings.max_pending_bytes(bytes);
        self
    }

    /// See [`Settings::write_timeout`].
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.settings = self.settings.write_timeout(timeout);
        self
    }

    /// See [`Settings::slow_consumer`].
    pub fn slow_consumer(mut self, policy: SlowConsumer) -> Self {
        self.settings = self.settings.slow_consumer(policy);
        self
    }

    /// See [`Settings::close_timeout`].
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.settings = self.settings.close_timeout(timeout);
        self
    }

    /// See [`Settings::max_connections`].
    pub fn max_connections(mut self, limit: impl Into<Option<usize>>) -> Self {
        self.settings = self.settings.max_connections(limit);
        self
    }

    /// See [`Settings::max_connections_per_ip`].
    pub fn max_connections_per_ip(mut self, limit: impl Into<Option<usize>>) -> Self {
        self.settings = self.settings.max_connections_per_ip(limit);
        self
    }

    /// See [`Settings::rate_limit`].
    pub fn rate_limit(mut self, limit: impl Into<Option<RateLimit>>) -> Self {
        self.settings = self.settings.rate_limit(limit);
        self
    }

    /// See [`Settings::handler_timeout`].
    pub fn handler_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.settings = self.settings.handler_timeout(timeout);
        self
    }

    /// See [`Settings::auth_timeout`].
    pub fn auth_timeout(mut self, timeout: Duration) -> Self {
        self.settings = self.settings.auth_timeout(timeout);
        self
    }

    /// See [`Settings::idle_timeout`].
    pub fn idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.settings = self.settings.idle_timeout(timeout);
        self
    }

    /// See [`Settings::ping_interval`].
    pub fn ping_interval(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.settings = self.settings.ping_interval(interval);
        self
    }

    /// See [`Settings::pong_timeout`].
    pub fn pong_timeout(mut self, timeout: Duration) -> Self {
        self.settings = self.settings.pong_timeout(timeout);
        self
    }

    /// See [`Settings::allowed_origins`].
    pub fn allowed_origins<I, O>(mut self, origins: impl Into<Option<I>>) -> Self
    where
        I: IntoIterator<Item = O>,
        O: Into<String>,
    {
        self.settings = self.settings.allowed_origins(origins);
        self
    }

    /// Authenticates every upgrade request before it is upgraded.
    ///
    /// `hook` sees the request ([`UpgradeRequest`]: path, query, headers, the client's
    /// address) and returns either an identity of any type, which the connection's handlers
    /// read with [`Context::identity`](crate::Context::identity), or an [`AuthError`]: the
    /// client then gets HTTP 401 or 403 with the error's message, and no upgrade. It runs after
    /// the origin and connection-limit checks, once per request, within
    /// [`Settings::auth_timeout`] (10 s by default; past it, HTTP 503). A hook that panics
    /// gets the request refused with HTTP 500; both are logged and counted
    /// ([`EndpointStats`]).
    ///
    /// ```
    /// # use socketsundso::{AuthError, Endpoint, Service, UpgradeRequest};
    /// # fn with_auth<S: Service>(endpoint: Endpoint<S>) -> Endpoint<S> {
    /// struct User(String);
    ///
    /// endpoint.authenticate(|request: UpgradeRequest| async move {
    ///     match request.query_param("token").as_deref() {
    ///         Some("secret-alice") => Ok(User("alice".to_owned())),
    ///         Some(_) => Err(AuthError::forbidden("unknown token")),
    ///         None => Err(AuthError::unauthorized("add ?token=...")),
    ///     }
    /// })
    /// # }
    /// ```
    pub fn authenticate<F, Fut, I>(mut self, hook: F) -> Self
    where
        F: Fn(UpgradeRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<I, AuthError>> + Send + 'static,
        I: Any + Send + Sync,
    {
        self.auth = Some(Arc::new(move |request| {
            let identity = hook(request);
            Box::pin(async move { identity.await.map(|i| Arc::new(i) as Identity) })
        }));
        self
    }

    /// Takes part in `shutdown` (see [`Shutdown`]): several endpoints can share one. Each
    /// endpoint has its own otherwise ([`Endpoint::shutdown_handle`]).
    pub fn graceful_shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// This endpoint's [`Shutdown`].
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// How many connections this endpoint (and its clones) serve now, and how often each of
    /// its limits has triggered.
    pub fn stats(&self) -> EndpointStats {
        self.shared.stats()
    }

    /// A handle to this endpoint's hub, e.g. to inspect rooms from elsewhere.
    pub fn hub_handle(&self) -> Hub {
        self.hub.clone()
    }

    /// The service.
    pub fn service(&self) -> &Arc<S> {
        &self.service
    }

    /// The settings.
    pub fn current_settings(&self) -> &Settings {
        &self.settings
    }

    /// A `GET` route handler that upgrades to WebSocket and serves the connection.
    ///
    /// The route's path parameters (for `/room/{room_id}`, `room_id`) reach handlers through
    /// [`Context::param`](crate::Context::param). Routes without parameters work too. The
    /// router's state (`Router::with_state`) reaches them through
    /// [`Context::app_state`](crate::Context::app_state).
    pub fn into_method_router<St>(self) -> MethodRouter<St>
    where
        St: Clone + Send + Sync + 'static,
    {
        // Every connection of the route shares these.
        let settings = Arc::new(self.settings.clone());
        let endpoint = Arc::new(self);
        axum::routing::get(
            move |State(state): State<St>,
                  ws: WebSocketUpgrade,
                  PathParams(params): PathParams,
                  Peer(peer): Peer,
                  uri: Uri,
                  headers: HeaderMap| {
                let endpoint = Arc::clone(&endpoint);
                let settings = Arc::clone(&settings);
                let state: Arc<dyn Any + Send + Sync> = Arc::new(state);
                async move {
                    endpoint
                        .upgrade(&settings, ws, state, params, peer, uri, headers)
                        .await
                }
            },
        )
    }

    /// Checks the request and upgrades it, or refuses it.
    #[allow(clippy::too_many_arguments)]
    async fn upgrade(
        &self,
        settings: &Arc<Settings>,
        ws: WebSocketUpgrade,
        app_state: Arc<dyn Any + Send + Sync>,
        params: Vec<(String, String)>,
        peer: Option<SocketAddr>,
        uri: Uri,
        headers: HeaderMap,
    ) -> Response {
        let shared = &self.shared;
        let refuse = |event: Event, status: StatusCode, why: &'static str| {
            let total = shared.count(event);
            tracing::info!(peer = ?peer, status = status.as_u16(), total, "upgrade refused: {why}");
            (status, why).into_response()
        };
        if self.shutdown.is_triggered() {
            return refuse(
                Event::RefusedShutdown,
                StatusCode::SERVICE_UNAVAILABLE,
                "server shutting down",
            );
        }
        if !settings.origin_allowed(headers.get(header::ORIGIN).map(|v| v.as_bytes())) {
            return refuse(
                Event::RefusedOrigin,
                StatusCode::FORBIDDEN,
                "origin not allowed",
            );
        }
        let slot = match shared.acquire(
            settings.max_connections,
            settings.max_connections_per_ip,
            peer.map(|p| p.ip()),
        ) {
            Ok(slot) => slot,
            Err(NoSlot::Full) => {
                return refuse(
                    Event::RefusedFull,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many connections",
                );
            }
            Err(NoSlot::PerIp) => {
                return refuse(
                    Event::RefusedPerIp,
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many connections from this address",
                );
            }
        };
        let identity = match &self.auth {
            None => None,
            Some(hook) => {
                let request = UpgradeRequest {
                    uri,
                    headers,
                    params: params.clone(),
                    peer,
                };
                // Bounded by the auth timeout, and ended by a shutdown; a panic is caught.
                let hooked = AssertUnwindSafe(async move { hook(request).await }).catch_unwind();
                let hooked = tokio::select! {
                    hooked = tokio::time::timeout(settings.auth_timeout, hooked) => hooked,
                    () = self.shutdown.triggered() => {
                        return refuse(
                            Event::RefusedShutdown,
                            StatusCode::SERVICE_UNAVAILABLE,
                            "server shutting down",
                        );
                    }
                };
                let hooked = match hooked {
                    Ok(Ok(hooked)) => hooked,
                    Ok(Err(panic)) => {
                        let total = shared.count(Event::AuthPanic);
                        tracing::error!(peer = ?peer, panic = panic_message(&*panic), total, "the authentication hook panicked: upgrade refused with 500");
                        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error")
                            .into_response();
                    }
                    Err(_) => {
                        let total = shared.count(Event::AuthTimeout);
                        tracing::warn!(peer = ?peer, timeout = ?settings.auth_timeout, total, "the authentication hook timed out: upgrade refused with 503");
                        return (StatusCode::SERVICE_UNAVAILABLE, "authentication timed out")
                            .into_response();
                    }
                };
                if self.shutdown.is_triggered() {
                    return refuse(
                        Event::RefusedShutdown,
                        StatusCode::SERVICE_UNAVAILABLE,
                        "server shutting down",
                    );
                }
                match hooked {
                    Ok(identity) => Some(identity),
                    Err(e) => {
                        let total = shared.count(Event::RefusedAuth);
                        tracing::info!(peer = ?peer, status = e.status(), reason = e.message(), total, "upgrade refused by the authentication hook");
                        let status =
                            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN);
                        return (status, e.message().to_owned()).into_response();
                    }
                }
            }
        };
        let ws = settings.apply(ws);
        let setup = Box::new(Setup {
            service: Arc::clone(&self.service),
            hub: self.hub.clone(),
            params,
            settings: Arc::clone(settings),
            extras: Extras {
                slot: Some(slot),
                app_state: Some(app_state),
                identity,
                shared: Arc::clone(shared),
                shutdown: Some(self.shutdown.clone()),
            },
        });
        // The callback holds one pointer until the upgrade is done.
        ws.on_upgrade(move |socket| serve(setup, socket))
    }
}

/// The client's address, from the connect info of [`serve`](crate::serve) ([`PeerAddr`]) or
/// of axum's `into_make_service_with_connect_info::<SocketAddr>()`.
struct Peer(Option<SocketAddr>);

impl<St: Send + Sync> FromRequestParts<St> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &St) -> Result<Self, Self::Rejection> {
        let ext = &parts.extensions;
        Ok(Self(
            ext.get::<ConnectInfo<PeerAddr>>()
                .map(|ConnectInfo(PeerAddr(addr))| *addr)
                .or_else(|| ext.get::<ConnectInfo<SocketAddr>>().map(|info| info.0)),
        ))
    }
}

/// The route's path parameters, or none for a route without any.
struct PathParams(Vec<(String, String)>);

impl<St: Send + Sync> FromRequestParts<St> for PathParams {
    type Rejection = RawPathParamsRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        match RawPathParams::from_request_parts(parts, state).await {
            Ok(params) => Ok(Self(
                params
                    .iter()
                    .map(|(key, value)| (key.to_owned(), value.to_owned()))
                    .collect(),
            )),
            Err(RawPathParamsRejection::MissingPathParams(_)) => Ok(Self(Vec::new())),
            Err(e) => Err(e),
        }
    }
}
