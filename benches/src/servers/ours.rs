//! Ours: the API generated from `benches/asyncapi.yaml`, served by the runtime with its default
//! settings (every received message is validated against its schema).

use axum::serve::ListenerExt as _;
use socketsundso::rooms::redis::Redis;
use socketsundso::{HandlerError, Hub};
use tokio::net::TcpListener;

use crate::api::{self, Context, Echo, Event, Publish, Subscribe, Subscribed};

/// The handlers: an echo, a join, a broadcast.
#[derive(Debug, Default)]
pub struct Bench;

impl api::Handler for Bench {
    async fn on_echo(&self, _ctx: &Context, message: Echo) -> Result<Echo, HandlerError> {
        Ok(message)
    }

    async fn on_subscribe(
        &self,
        ctx: &Context,
        message: Subscribe,
    ) -> Result<Subscribed, HandlerError> {
        ctx.join(&message.room);
        Ok(Subscribed { room: message.room })
    }

    async fn on_publish(&self, ctx: &Context, message: Publish) -> Result<(), HandlerError> {
        let Publish {
            room,
            seq,
            text,
            ts,
        } = message;
        let event = Event {
            room: room.clone(),
            seq,
            text,
            ts,
        };
        ctx.broadcast(&room, event).await;
        Ok(())
    }
}

/// The router: the API on `/ws`, with rooms in `hub`.
pub fn app(hub: Hub) -> axum::Router {
    let endpoint = api::Server::new(Bench).endpoint().hub(hub);
    axum::Router::new().route("/ws", endpoint.into_method_router())
}

/// Serves ours on `listener`; with `redis`, as one node of several on that Redis.
pub async fn serve(listener: TcpListener, redis: Option<&str>) -> std::io::Result<()> {
    let hub = match redis {
        Some(url) => Hub::with_backend(Redis::connect(url).await?),
        None => Hub::new(),
    };
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app(hub)).await
}
