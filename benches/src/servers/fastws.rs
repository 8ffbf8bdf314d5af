//! The fastwebsockets reference, written like its `echo_server` example: the HTTP upgrade on
//! hyper, then one task per connection that reads a frame and writes the reply (one `write` per
//! frame; fastwebsockets does not buffer). Messages are not fragmented by the load generator, so
//! no `FragmentCollector`.
//!
//! A connection that joins a room is split (fastwebsockets' `unstable-split`, as in its
//! `echo_server_split` example): its read half stays in the task, and a second task owns the
//! write half and writes what an unbounded channel brings (the replies and the room's events).
//! A publish is serialized once; its bytes are shared by every member's channel.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use fastwebsockets::{Frame, OpCode, Payload, WebSocket, WebSocketError, upgrade};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::protocol::{Action, handle};

type Tx = UnboundedSender<Bytes>;

#[derive(Default)]
struct Rooms {
    next_id: AtomicU64,
    rooms: Mutex<HashMap<String, Vec<(u64, Tx)>>>,
}

impl Rooms {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<(u64, Tx)>>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn broadcast(&self, room: &str, event: String) {
        let event = Bytes::from(event);
        if let Some(members) = self.lock().get(room) {
            for (_, tx) in members {
                let _ = tx.send(event.clone());
            }
        }
    }

    fn leave_all(&self, id: u64, joined: &[String]) {
        let mut all = self.lock();
        for room in joined {
            if let Some(members) = all.get_mut(room) {
                members.retain(|(member, _)| *member != id);
                if members.is_empty() {
                    all.remove(room);
                }
            }
        }
    }
}

/// Serves the reference on `listener`.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let rooms = Arc::new(Rooms::default());
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let rooms = Arc::clone(&rooms);
        tokio::spawn(async move {
            let service = service_fn(move |mut req: Request<Incoming>| {
                let rooms = Arc::clone(&rooms);
                async move {
                    let (response, fut) = upgrade::upgrade(&mut req)?;
                    tokio::spawn(async move {
                        if let Ok(ws) = fut.await {
                            let _ = connection(ws, rooms).await;
                        }
                    });
                    Ok::<Response<Empty<Bytes>>, WebSocketError>(response)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

type Socket = WebSocket<TokioIo<hyper::upgrade::Upgraded>>;

async fn connection(mut ws: Socket, rooms: Arc<Rooms>) -> Result<(), WebSocketError> {
    let id = rooms.next_id.fetch_add(1, Ordering::Relaxed);
    // Unsplit while the connection only asks and gets answers.
    let (room, reply) = loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text => {}
            _ => continue,
        }
        let Ok(text) = std::str::from_utf8(&frame.payload) else {
            return Ok(());
        };
        match handle(text) {
            Action::Reply(reply) => {
                ws.write_frame(Frame::text(Payload::Owned(reply.into_bytes())))
                    .await?;
            }
            Action::Broadcast(room, event) => rooms.broadcast(&room, event),
            Action::Join(room, reply) => break (room, reply),
        }
    };

    // Joined a room: split, with a writer task for the replies and the events.
    ws.set_auto_close(false);
    ws.set_auto_pong(false);
    let (mut read, mut write) = ws.split(tokio::io::split);
    let (tx, mut rx) = unbounded_channel::<Bytes>();
    let writer = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if write
                .write_frame(Frame::text(Payload::Borrowed(&bytes)))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    let mut joined = vec![room.clone()];
    rooms.lock().entry(room).or_default().push((id, tx.clone()));
    let _ = tx.send(Bytes::from(reply));
    let mut no_obligations = |_: Frame<'_>| async { Ok::<(), WebSocketError>(()) };
    let result = loop {
        let frame = match read.read_frame(&mut no_obligations).await {
            Ok(frame) => frame,
            Err(e) => break Err(e),
        };
        match frame.opcode {
            OpCode::Close => break Ok(()),
            OpCode::Text => {}
            _ => continue,
        }
        let Ok(text) = std::str::from_utf8(&frame.payload) else {
            break Ok(());
        };
        match handle(text) {
            Action::Reply(reply) => {
                let _ = tx.send(Bytes::from(reply));
            }
            Action::Join(room, reply) => {
                rooms
                    .lock()
                    .entry(room.clone())
                    .or_default()
                    .push((id, tx.clone()));
                joined.push(room);
                let _ = tx.send(Bytes::from(reply));
            }
            Action::Broadcast(room, event) => rooms.broadcast(&room, event),
        }
    };
    rooms.leave_all(id, &joined);
    drop(tx);
    writer.abort();
    result
}
