//! The plain tokio-tungstenite reference: written the way its documentation suggests, with a
//! 4 KiB read buffer (tungstenite zero-fills its whole read buffer on every read, so its 128 KiB
//! default would make it much slower; socketsundso's runtime uses 4 KiB too).
//!
//! One task per connection reads and answers (`send`: one write and flush per reply). A
//! connection that joins a room gets an unbounded channel; a publish is serialized once and its
//! bytes are sent into every member's channel under the rooms' lock, and each member's task
//! writes what its channel holds, flushing once it is empty.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::protocol::{Action, handle};

type Tx = UnboundedSender<Utf8Bytes>;

#[derive(Default)]
struct Rooms {
    next_id: AtomicU64,
    rooms: Mutex<HashMap<String, Vec<(u64, Tx)>>>,
}

impl Rooms {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<(u64, Tx)>>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Serves the reference on `listener`.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let rooms = Arc::new(Rooms::default());
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, Arc::clone(&rooms)));
    }
}

async fn connection(stream: TcpStream, rooms: Arc<Rooms>) {
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let id = rooms.next_id.fetch_add(1, Ordering::Relaxed);
    let mut inbox: Option<(Tx, UnboundedReceiver<Utf8Bytes>)> = None;
    let mut joined: Vec<String> = Vec::new();
    loop {
        tokio::select! {
            frame = ws.next() => {
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    Some(Ok(_)) => continue,
                };
                let sent = match handle(text.as_str()) {
                    Action::Reply(reply) => ws.send(Message::text(reply)).await,
                    Action::Join(room, reply) => {
                        let (tx, _) = inbox.get_or_insert_with(unbounded_channel);
                        let tx = tx.clone();
                        rooms.lock().entry(room.clone()).or_default().push((id, tx));
                        joined.push(room);
                        ws.send(Message::text(reply)).await
                    }
                    Action::Broadcast(room, event) => {
                        let event = Utf8Bytes::from(event);
                        if let Some(members) = rooms.lock().get(&room) {
                            for (_, tx) in members {
                                let _ = tx.send(event.clone());
                            }
                        }
                        Ok(())
                    }
                };
                if sent.is_err() {
                    break;
                }
            }
            Some(text) = recv(&mut inbox) => {
                let Some((_, rx)) = inbox.as_mut() else { break };
                let mut result = ws.feed(Message::Text(text)).await;
                while result.is_ok() {
                    match rx.try_recv() {
                        Ok(text) => result = ws.feed(Message::Text(text)).await,
                        Err(_) => break,
                    }
                }
                if result.is_err() || ws.flush().await.is_err() {
                    break;
                }
            }
        }
    }
    let mut all = rooms.lock();
    for room in joined {
        if let Some(members) = all.get_mut(&room) {
            members.retain(|(member, _)| *member != id);
            if members.is_empty() {
                all.remove(&room);
            }
        }
    }
}

/// The next message of the connection's channel; never, before it joined a room.
async fn recv(inbox: &mut Option<(Tx, UnboundedReceiver<Utf8Bytes>)>) -> Option<Utf8Bytes> {
    match inbox {
        Some((_, rx)) => rx.recv().await,
        None => std::future::pending().await,
    }
}
