//! axum integration: the route handler that upgrades to WebSocket and serves the connection.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, RawPathParams, State};
use axum::http::request::Parts;
use axum::routing::MethodRouter;

use super::Settings;
use super::connection::serve;
use crate::Service;
use crate::rooms::{Hub, SlowConsumer};

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
}

impl<S> Clone for Endpoint<S> {
    fn clone(&self) -> Self {
        Self {
            service: Arc::clone(&self.service),
            hub: self.hub.clone(),
            settings: self.settings.clone(),
        }
    }
}

impl<S> std::fmt::Debug for Endpoint<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("hub", &self.hub)
            .field("settings", &self.settings)
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
        let Self {
            service,
            hub,
            settings,
        } = self;
        axum::routing::get(
            move |State(state): State<St>, ws: WebSocketUpgrade, PathParams(params): PathParams| {
                let service = Arc::clone(&service);
                let hub = hub.clone();
                let settings = settings.clone();
                let state: Arc<dyn std::any::Any + Send + Sync> = Arc::new(state);
                async move {
                    settings.apply(ws).on_upgrade(move |socket| {
                        serve(service, hub, params, socket, settings, Some(state))
                    })
                }
            },
        )
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
