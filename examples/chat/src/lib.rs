//! The chat example: rooms of clients that talk to the whole room or whisper to one client.
//!
//! Everything about the protocol comes from `asyncapi.yaml`; this file only says what happens
//! when a message arrives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use socketsundso::{AuthError, ConnectionId, HandlerError, Hub, Reject, Shutdown, UpgradeRequest};

/// The code generated from `asyncapi.yaml` by `build.rs`.
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/asyncapi.rs"));
}

use api::{ChatMessage, Context, Join, Leave, Message, Whisper, WhisperDelivery};

pub mod web;

/// The route, as `asyncapi.yaml` declares it.
pub const ROUTE: &str = "/room/{room_id}/{client_id}";

/// The chat server's state: which connection is which client in which room.
#[derive(Debug, Default)]
pub struct Chat {
    clients: Mutex<HashMap<(String, i64), ConnectionId>>,
}

/// Who a connection is: set as its state in `on_connect`.
#[derive(Debug, Clone)]
struct Member {
    room: String,
    client_id: i64,
}

/// The connection's room and client id. Every accepted connection has them: `on_connect` set
/// them before any other handler runs.
fn who(ctx: &Context) -> Member {
    ctx.state::<Member>().cloned().unwrap_or(Member {
        room: String::new(),
        client_id: 0,
    })
}

impl Chat {
    fn clients(&self) -> std::sync::MutexGuard<'_, HashMap<(String, i64), ConnectionId>> {
        // A poisoned lock only means another handler panicked; the map is still consistent.
        self.clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The hub room of a chat room. Rooms of clients (see [`client_room`]) have another prefix, so a
/// chat room cannot be named like one of them.
fn chat_room(room: &str) -> String {
    format!("room:{room}")
}

/// The hub room that only client `client_id` of chat room `room` joins: how a whisper finds its
/// recipient on any node.
fn client_room(room: &str, client_id: i64) -> String {
    format!("client:{client_id}:{room}")
}

/// Who may connect as which client, when the server asks for tokens: each token belongs to one
/// client id. Empty: anyone may connect as any client.
pub type Tokens = HashMap<String, i64>;

/// The identity the authentication hook gives a connection: the client id its token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The client id of the token.
    pub client_id: i64,
}

/// The authentication hook: `?token=…` must be the token of the route's `client_id`.
///
/// - no token: 401;
/// - a token nobody has: 401;
/// - another client's token: 403.
pub fn check_token(tokens: &Tokens, request: &UpgradeRequest) -> Result<Verified, AuthError> {
    let token = request
        .query_param("token")
        .ok_or_else(|| AuthError::unauthorized("a token is required: add ?token=..."))?;
    let client_id = *tokens
        .get(&token)
        .ok_or_else(|| AuthError::unauthorized("unknown token"))?;
    match request
        .param("client_id")
        .and_then(|id| id.parse::<i64>().ok())
    {
        Some(id) if id == client_id => Ok(Verified { client_id }),
        _ => Err(AuthError::forbidden(format!(
            "this token is client {client_id}'s"
        ))),
    }
}

impl api::Handler for Chat {
    async fn on_connect(&self, ctx: &Context) -> Result<(), Reject> {
        let room = ctx.param("room_id").unwrap_or_default().to_owned();
        // With tokens, the hook has checked the route's client id against the token already.
        let client_id: i64 = match ctx.identity::<Verified>() {
            Some(verified) => verified.client_id,
            None => ctx
                .param("client_id")
                .and_then(|id| id.parse().ok())
                .ok_or_else(|| Reject::policy("client_id must be an integer"))?,
        };
        let taken = || Reject::policy(format!("client {client_id} is already in room {room}"));
        {
            let mut clients = self.clients();
            if clients.contains_key(&(room.clone(), client_id)) {
                return Err(taken());
            }
            clients.insert((room.clone(), client_id), ctx.id());
        }
        // On the other nodes (with Redis): the client may be connected there.
        let me = client_room(&room, client_id);
        if !ctx.members(&me).await.is_empty() {
            self.clients().remove(&(room.clone(), client_id));
            return Err(taken());
        }
        ctx.join(&me);
        ctx.join(&chat_room(&room));
        ctx.broadcast(
            &chat_room(&room),
            Join {
                client_id: client_id.into(),
            },
        )
        .await;
        // The first and only set_state of this connection cannot fail.
        let _ = ctx.set_state(Member { room, client_id });
        Ok(())
    }

    async fn on_disconnect(&self, ctx: &Context) {
        let Member { room, client_id } = who(ctx);
        {
            let mut clients = self.clients();
            if clients.get(&(room.clone(), client_id)) != Some(&ctx.id()) {
                return;
            }
            clients.remove(&(room.clone(), client_id));
        }
        // The runtime leaves every room after this; the leave goes to the others only.
        ctx.leave(&chat_room(&room));
        ctx.broadcast(
            &chat_room(&room),
            Leave {
                client_id: client_id.into(),
            },
        )
        .await;
    }

    async fn on_message(&self, ctx: &Context, message: Message) -> Result<(), HandlerError> {
        let Member {
            room,
            client_id: sender,
        } = who(ctx);
        ctx.broadcast(
            &chat_room(&room),
            ChatMessage {
                sender: sender.into(),
                msg: message.msg,
            },
        )
        .await;
        Ok(())
    }

    async fn on_whisper(&self, ctx: &Context, message: Whisper) -> Result<(), HandlerError> {
        let Member {
            room,
            client_id: from,
        } = who(ctx);
        let to = *message.to;
        let here = self.clients().get(&(room.clone(), to)).copied();
        let recipient = match here {
            Some(id) => Some(id),
            // Not on this node: ask the others.
            None => ctx.members(&client_room(&room, to)).await.first().copied(),
        };
        let Some(recipient) = recipient else {
            return Err(HandlerError::invalid("/to", "recipient not found"));
        };
        ctx.send_to(
            recipient,
            WhisperDelivery {
                from: from.into(),
                msg: message.msg,
            },
        )
        .map_err(|_| HandlerError::invalid("/to", "recipient not found"))
    }
}

/// The chat API on its route and the chat page at `/`, ready for `axum::serve`; one node.
pub fn app() -> axum::Router {
    app_with_hub(Hub::new())
}

/// [`app`] with rooms in `hub`: with a Redis backend, this server is one node of several that
/// share their rooms.
pub fn app_with_hub(hub: Hub) -> axum::Router {
    app_with(hub, Tokens::new(), Shutdown::new())
}

/// [`app_with_hub`], with tokens (none: no authentication) and the shutdown the connections take
/// part in.
pub fn app_with(hub: Hub, tokens: Tokens, shutdown: Shutdown) -> axum::Router {
    let mut endpoint = api::Server::new(Chat::default())
        .endpoint()
        .hub(hub)
        .graceful_shutdown(shutdown);
    if !tokens.is_empty() {
        let tokens = Arc::new(tokens);
        endpoint = endpoint.authenticate(move |request: UpgradeRequest| {
            let tokens = Arc::clone(&tokens);
            async move { check_token(&tokens, &request) }
        });
    }
    axum::Router::new()
        .route(ROUTE, endpoint.into_method_router())
        .merge(web::routes())
}
