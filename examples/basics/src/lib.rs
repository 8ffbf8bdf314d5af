//! The basics example: request/reply handlers on `/`, generated from `asyncapi.yaml`.

use socketsundso::HandlerError;

/// The code generated from `asyncapi.yaml` by `build.rs`.
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/asyncapi.rs"));
}

use api::{Context, Echo, Goodbye, Message, Now, Ping, Pong, Reply, Time};

/// The basics handlers. They keep no state.
#[derive(Debug, Default)]
pub struct Basics;

impl api::Handler for Basics {
    async fn on_ping(&self, _ctx: &Context, _message: Ping) -> Result<Pong, HandlerError> {
        Ok(Pong {
            time: socketsundso::codegen::chrono::Utc::now(),
        })
    }

    async fn on_message(&self, _ctx: &Context, message: Message) -> Result<Reply, HandlerError> {
        Ok(Reply { msg: message.msg })
    }

    async fn on_time(&self, _ctx: &Context, _message: Time) -> Result<Now, HandlerError> {
        Ok(Now {
            now: socketsundso::codegen::chrono::Utc::now(),
        })
    }

    async fn on_echo(&self, _ctx: &Context, message: Echo) -> Result<Echo, HandlerError> {
        Ok(message)
    }

    async fn on_goodbye(&self, ctx: &Context, _message: Goodbye) -> Result<Reply, HandlerError> {
        // The reply is written first, then the connection closes normally (1000).
        ctx.close(1000, "goodbye");
        Ok(Reply {
            msg: "goodbye".to_owned(),
        })
    }
}

/// The basics API on `/`, ready for `axum::serve`.
pub fn app() -> axum::Router {
    axum::Router::new().route("/", api::Server::new(Basics).into_route())
}

/// The route, as `asyncapi.yaml` declares it.
pub const ROUTE: &str = "/";
