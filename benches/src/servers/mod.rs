//! The servers under test. Each serves the protocol of `benches/asyncapi.yaml` on `/ws`, with
//! `TCP_NODELAY` on every connection, until the process ends.

pub mod fastws;
pub mod ours;
pub mod tungstenite;

use std::fmt;
use std::str::FromStr;

use tokio::net::TcpListener;

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Generated from `benches/asyncapi.yaml`, served by the socketsundso runtime.
    Ours,
    /// Plain tokio-tungstenite, 4 KiB read buffer, hand-written serde types.
    Tungstenite,
    /// fastwebsockets (HTTP upgrade on hyper), hand-written serde types.
    Fastwebsockets,
}

impl Kind {
    /// Every server, ours first.
    pub const ALL: [Self; 3] = [Self::Ours, Self::Tungstenite, Self::Fastwebsockets];

    /// The name on the command line and in the table.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ours => "ours",
            Self::Tungstenite => "tokio-tungstenite",
            Self::Fastwebsockets => "fastwebsockets",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!("unknown server {s:?}: one of ours, tokio-tungstenite, fastwebsockets")
            })
    }
}

/// Serves `kind` on `listener` until the process ends. `redis`: ours only, a Redis URL that
/// makes this server one node of several.
pub async fn serve(kind: Kind, listener: TcpListener, redis: Option<&str>) -> std::io::Result<()> {
    match (kind, redis) {
        (Kind::Ours, _) => ours::serve(listener, redis).await,
        (_, Some(_)) => Err(std::io::Error::other("only ours runs with Redis (--redis)")),
        (Kind::Tungstenite, None) => tungstenite::serve(listener).await,
        (Kind::Fastwebsockets, None) => fastws::serve(listener).await,
    }
}
