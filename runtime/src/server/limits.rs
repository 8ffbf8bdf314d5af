//! The limits of an endpoint that need state: its connection count (server-wide and per client
//! address), the counters of every limit that triggered, and, per connection, the message-rate
//! bucket and the clock of the idle timeout and the pings.
//!
//! Every time a limit triggers it is counted here ([`EndpointStats`]) and logged with the running
//! total, so a log shows how often each limit hits.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::settings::RateLimit;

/// How often each limit of an endpoint has triggered, and how many connections it serves now:
/// [`Endpoint::stats`](crate::Endpoint::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointStats {
    /// Connections open now.
    pub connections: usize,
    /// Upgrades refused with 503 because [`max_connections`](crate::Settings::max_connections)
    /// were open.
    pub refused_full: u64,
    /// Upgrades refused with 429 by
    /// [`max_connections_per_ip`](crate::Settings::max_connections_per_ip).
    pub refused_per_ip: u64,
    /// Upgrades refused with 403 by [`allowed_origins`](crate::Settings::allowed_origins).
    pub refused_origin: u64,
    /// Upgrades refused by the authentication hook (401 or 403).
    pub refused_auth: u64,
    /// Upgrades refused with 503 because the server is shutting down.
    pub refused_shutdown: u64,
    /// Messages answered with `rate_limited` (and pings over the limit).
    pub rate_limited: u64,
    /// Connections closed with 1008 for going on over their rate limit.
    pub rate_limit_closes: u64,
    /// Handlers stopped by the handler timeout (the client got `timeout`).
    pub handler_timeouts: u64,
    /// Connections closed by the idle timeout.
    pub idle_closes: u64,
    /// Connections closed because a ping got no answer in time.
    pub pong_timeouts: u64,
    /// Upgrades refused with 503 because the authentication hook took longer than
    /// [`auth_timeout`](crate::Settings::auth_timeout).
    pub auth_timeouts: u64,
    /// Upgrades refused with 500 because the authentication hook panicked.
    pub auth_panics: u64,
    /// Connections closed with 1009 for a message or frame over
    /// [`max_message_size`](crate::Settings::max_message_size) or
    /// [`max_frame_size`](crate::Settings::max_frame_size) (the client got `too_large`).
    pub too_large: u64,
    /// Connections closed with 1002 (a WebSocket protocol error: an unmasked frame, reserved
    /// bits or opcodes, a bad continuation, ...) or 1007 (a text frame that is not UTF-8).
    pub protocol_errors: u64,
    /// Connections closed as slow consumers because a write took longer than
    /// [`write_timeout`](crate::Settings::write_timeout).
    pub write_timeouts: u64,
    /// Closing handshakes that took longer than
    /// [`close_timeout`](crate::Settings::close_timeout) (the socket was dropped).
    pub close_timeouts: u64,
}

/// What can trigger, for [`Shared::count`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    RefusedFull,
    RefusedPerIp,
    RefusedOrigin,
    RefusedAuth,
    RefusedShutdown,
    RateLimited,
    RateLimitClose,
    HandlerTimeout,
    IdleClose,
    PongTimeout,
    AuthTimeout,
    AuthPanic,
    TooLarge,
    ProtocolError,
    WriteTimeout,
    CloseTimeout,
}

/// How many kinds of [`Event`] there are.
const EVENTS: usize = Event::CloseTimeout as usize + 1;

/// The state an endpoint's clones share.
#[derive(Default)]
pub(crate) struct Shared {
    connections: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    counts: [AtomicU64; EVENTS],
    /// Whether the missing peer address was reported (once).
    warned_no_peer: AtomicBool,
}

/// Why an upgrade gets no slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoSlot {
    Full,
    PerIp,
}

impl Shared {
    /// Counts `event` and returns the new total.
    pub(crate) fn count(&self, event: Event) -> u64 {
        self.counts[event as usize].fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn stats(&self) -> EndpointStats {
        let get = |event: Event| self.counts[event as usize].load(Ordering::Relaxed);
        EndpointStats {
            connections: self.connections.load(Ordering::Relaxed),
            refused_full: get(Event::RefusedFull),
            refused_per_ip: get(Event::RefusedPerIp),
            refused_origin: get(Event::RefusedOrigin),
            refused_auth: get(Event::RefusedAuth),
            refused_shutdown: get(Event::RefusedShutdown),
            rate_limited: get(Event::RateLimited),
            rate_limit_closes: get(Event::RateLimitClose),
            handler_timeouts: get(Event::HandlerTimeout),
            idle_closes: get(Event::IdleClose),
            pong_timeouts: get(Event::PongTimeout),
            auth_timeouts: get(Event::AuthTimeout),
            auth_panics: get(Event::AuthPanic),
            too_large: get(Event::TooLarge),
            protocol_errors: get(Event::ProtocolError),
            write_timeouts: get(Event::WriteTimeout),
            close_timeouts: get(Event::CloseTimeout),
        }
    }

    /// Takes a connection slot, server-wide and for the client's address; released when the
    /// returned [`Slot`] drops.
    pub(crate) fn acquire(
        self: &Arc<Self>,
        max: Option<usize>,
        max_per_ip: Option<usize>,
        peer: Option<IpAddr>,
    ) -> Result<Slot, NoSlot> {
        let max = max.unwrap_or(usize::MAX);
        self.connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .map_err(|_| NoSlot::Full)?;
        let mut slot = Slot {
            shared: Arc::clone(self),
            ip: None,
        };
        if let Some(limit) = max_per_ip {
            match peer {
                Some(ip) => {
                    let mut per_ip = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
                    let n = per_ip.entry(ip).or_insert(0);
                    if *n >= limit {
                        return Err(NoSlot::PerIp);
                    }
                    *n += 1;
                    slot.ip = Some(ip);
                }
                None => {
                    if !self.warned_no_peer.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            "max_connections_per_ip is set, but the endpoint does not know the \
                             client's address: serve it with socketsundso::serve, or with \
                             into_make_service_with_connect_info::<SocketAddr>(); the limit is \
                             not applied"
                        );
                    }
                }
            }
        }
        Ok(slot)
    }
}

/// A taken connection slot; given back when dropped.
pub(crate) struct Slot {
    shared: Arc<Shared>,
    ip: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(ip) = self.ip {
            let mut per_ip = self.shared.per_ip.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = per_ip.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    per_ip.remove(&ip);
                }
            }
        }
        self.shared.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the rate limit says about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rate {
    Allowed,
    /// Over the limit: answer `rate_limited`.
    Rejected,
    /// Over the limit for the `close_after`th time since the bucket was last full: close.
    Close,
}

/// One connection's token bucket (see [`RateLimit`]).
pub(crate) struct Bucket {
    limit: RateLimit,
    tokens: f64,
    last: Instant,
    rejected: u32,
}

impl Bucket {
    pub(crate) fn new(limit: RateLimit, now: Instant) -> Self {
        Self {
            limit,
            tokens: f64::from(limit.burst),
            last: now,
            rejected: 0,
        }
    }

    pub(crate) fn take(&mut self, now: Instant) -> Rate {
        let burst = f64::from(self.limit.burst);
        let gained = now.saturating_duration_since(self.last).as_secs_f64() * self.limit.per_second;
        self.tokens = (self.tokens + gained).min(burst);
        self.last = now;
        if self.tokens >= burst {
            // The client paused long enough to earn its whole burst back: forgiven.
            self.rejected = 0;
        }
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Rate::Allowed;
        }
        self.rejected = self.rejected.saturating_add(1);
        if self.limit.close_after > 0 && self.rejected >= self.limit.close_after {
            Rate::Close
        } else {
            Rate::Rejected
        }
    }
}

/// What the connection's clock asks for when its timer fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tick {
    /// Nothing yet.
    Wait,
    /// Send a ping.
    Ping,
    /// The ping got no answer in time: close.
    NoPong,
    /// No message within the idle timeout: close.
    Idle,
}

/// The idle timeout and the pings of one connection. The timer is lazy: a frame only records
/// the time it came, and the connection's one timer is set again only when it fires.
pub(crate) struct Clock {
    ping_interval: Option<Duration>,
    pong_timeout: Duration,
    idle_timeout: Option<Duration>,
    /// When the client last sent anything (a ping or a pong included).
    seen: Instant,
    /// When the client last sent a message, or its last message was handled.
    active: Instant,
    /// When the unanswered ping was sent.
    ping_sent: Option<Instant>,
}

impl Clock {
    pub(crate) fn new(
        ping_interval: Option<Duration>,
        pong_timeout: Duration,
        idle_timeout: Option<Duration>,
        now: Instant,
    ) -> Self {
        Self {
            ping_interval,
            pong_timeout,
            idle_timeout,
            seen: now,
            active: now,
            ping_sent: None,
        }
    }

    /// Whether there is anything to time.
    pub(crate) fn enabled(&self) -> bool {
        self.ping_interval.is_some() || self.idle_timeout.is_some()
    }

    /// Whether the idle timeout is on (then the end of a handler counts as activity too).
    pub(crate) fn times_idleness(&self) -> bool {
        self.idle_timeout.is_some()
    }

    /// The client sent a frame; `message`: a text or binary message.
    pub(crate) fn seen(&mut self, now: Instant, message: bool) {
        self.seen = now;
        self.ping_sent = None;
        if message {
            self.active = now;
        }
    }

    /// A message was handled now (for the idle timeout: a client that waits for a slow reply is
    /// not idle).
    pub(crate) fn handled(&mut self, now: Instant) {
        self.active = now;
    }

    /// When the timer should fire next.
    pub(crate) fn next(&self) -> Option<Instant> {
        let ping = match (self.ping_sent, self.ping_interval) {
            (Some(sent), _) => Some(sent + self.pong_timeout),
            (None, Some(interval)) => Some(self.seen + interval),
            (None, None) => None,
        };
        let idle = self.idle_timeout.map(|timeout| self.active + timeout);
        match (ping, idle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The timer fired at `now`: what to do.
    pub(crate) fn tick(&mut self, now: Instant) -> Tick {
        if let Some(timeout) = self.idle_timeout
            && now >= self.active + timeout
        {
            return Tick::Idle;
        }
        match (self.ping_sent, self.ping_interval) {
            (Some(sent), _) if now >= sent + self.pong_timeout => Tick::NoPong,
            (None, Some(interval)) if now >= self.seen + interval => {
                self.ping_sent = Some(now);
                Tick::Ping
            }
            _ => Tick::Wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_a_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(RateLimit::per_second(10).burst(3).close_after(4), start);
        assert_eq!(bucket.take(start), Rate::Allowed);
        assert_eq!(bucket.take(start), Rate::Allowed);
        assert_eq!(bucket.take(start), Rate::Allowed);
        assert_eq!(bucket.take(start), Rate::Rejected);
        // 100 ms earn one token
        let later = start + Duration::from_millis(100);
        assert_eq!(bucket.take(later), Rate::Allowed);
        assert_eq!(bucket.take(later), Rate::Rejected);
        assert_eq!(bucket.take(later), Rate::Rejected);
        // the fourth rejection since the bucket was full closes
        assert_eq!(bucket.take(later), Rate::Close);
    }

    #[test]
    fn a_pause_that_refills_the_bucket_forgives() {
        let start = Instant::now();
        let mut bucket = Bucket::new(RateLimit::per_second(10).burst(2).close_after(3), start);
        for _ in 0..2 {
            assert_eq!(bucket.take(start), Rate::Allowed);
        }
        assert_eq!(bucket.take(start), Rate::Rejected);
        assert_eq!(bucket.take(start), Rate::Rejected);
        // 200 ms refill both tokens: the count starts over
        let later = start + Duration::from_millis(200);
        for _ in 0..2 {
            assert_eq!(bucket.take(later), Rate::Allowed);
        }
        assert_eq!(bucket.take(later), Rate::Rejected);
        assert_eq!(bucket.take(later), Rate::Rejected);
        assert_eq!(bucket.take(later), Rate::Close);
        // close_after(0) never closes
        let mut lenient = Bucket::new(RateLimit::per_second(1).close_after(0), start);
        assert_eq!(lenient.take(start), Rate::Allowed);
        for _ in 0..1000 {
            assert_eq!(lenient.take(start), Rate::Rejected);
        }
    }

    #[test]
    fn the_clock_pings_the_quiet_and_closes_the_silent() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut clock = Clock::new(Some(s(30)), s(20), None, t0);
        assert_eq!(clock.next(), Some(t0 + s(30)));
        assert_eq!(clock.tick(t0 + s(10)), Tick::Wait);
        // a frame at 10 s moves the ping to 40 s
        clock.seen(t0 + s(10), false);
        assert_eq!(clock.tick(t0 + s(30)), Tick::Wait);
        assert_eq!(clock.next(), Some(t0 + s(40)));
        assert_eq!(clock.tick(t0 + s(40)), Tick::Ping);
        assert_eq!(clock.next(), Some(t0 + s(60)));
        // the pong (any frame) comes: the next ping is due 30 s after it
        clock.seen(t0 + s(45), false);
        assert_eq!(clock.next(), Some(t0 + s(75)));
        assert_eq!(clock.tick(t0 + s(75)), Tick::Ping);
        assert_eq!(clock.tick(t0 + s(94)), Tick::Wait);
        assert_eq!(clock.tick(t0 + s(95)), Tick::NoPong);
    }

    #[test]
    fn the_clock_counts_only_messages_for_idleness() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut clock = Clock::new(None, s(20), Some(s(60)), t0);
        clock.seen(t0 + s(50), false);
        assert_eq!(clock.next(), Some(t0 + s(60)));
        assert_eq!(clock.tick(t0 + s(60)), Tick::Idle);
        clock.seen(t0 + s(55), true);
        assert_eq!(clock.tick(t0 + s(60)), Tick::Wait);
        clock.handled(t0 + s(70));
        assert_eq!(clock.next(), Some(t0 + s(130)));
        assert!(!Clock::new(None, s(1), None, t0).enabled());
    }
}
