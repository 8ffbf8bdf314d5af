{# Askama template for the glue code of one API. Rendered with escaping off, then parsed with
   syn and formatted with prettyplease, so whitespace here does not matter. #}
/// The context a handler gets: this connection's id, path parameters, rooms, and sending.
pub type Context = ::socketsundso::codegen::Context<ServerMessage>;
{% for b in binary_types %}
{{ b.doc }}
pub type {{ b.name }} = ::socketsundso::codegen::Bytes;
{% endfor %}
/// Every message the server receives, tagged by its `{{ tag_field }}` field.
#[allow(clippy::large_enum_variant, reason = "a message moves once, from the decoder to its handler; a box would cost an allocation per message")]
#[derive(Clone, Debug, PartialEq, ::socketsundso::codegen::serde::Serialize, ::socketsundso::codegen::serde::Deserialize)]
{%- if client.is_empty() %}
#[serde(crate = "::socketsundso::codegen::serde")]
{%- else if nested_tag %}
#[serde(crate = "::socketsundso::codegen::serde", untagged)]
{%- else %}
#[serde(crate = "::socketsundso::codegen::serde", tag = {{ tag_field_lit }})]
{%- endif %}
pub enum ClientMessage {
{%- for v in client %}
    {{ v.doc }}
{%- if v.binary %}
    #[serde(skip)]
{%- else if nested_tag %}
{%- else if v.untagged %}
    #[serde(untagged)]
{%- else %}
    #[serde(rename = {{ v.tag_lit }})]
{%- endif %}
    {{ v.name }}({{ v.name }}),
{%- endfor %}
}

/// Every message the server sends, tagged by its `{{ tag_field }}` field.
#[allow(clippy::large_enum_variant, reason = "a message moves once, from its handler to the encoder; a box would cost an allocation per message")]
#[derive(Clone, Debug, PartialEq, ::socketsundso::codegen::serde::Serialize, ::socketsundso::codegen::serde::Deserialize)]
{%- if server.is_empty() %}
#[serde(crate = "::socketsundso::codegen::serde")]
{%- else if nested_tag %}
#[serde(crate = "::socketsundso::codegen::serde", untagged)]
{%- else %}
#[serde(crate = "::socketsundso::codegen::serde", tag = {{ tag_field_lit }})]
{%- endif %}
pub enum ServerMessage {
{%- for v in server %}
    {{ v.doc }}
{%- if v.binary %}
    #[serde(skip)]
{%- else if nested_tag %}
{%- else if v.untagged %}
    #[serde(untagged)]
{%- else %}
    #[serde(rename = {{ v.tag_lit }})]
{%- endif %}
{%- if v.skip_de %}
    #[serde(skip_deserializing)]
{%- endif %}
    {{ v.name }}({{ v.name }}),
{%- endfor %}
}
{% for v in client %}{% if v.from_impl %}
impl ::std::convert::From<{{ v.name }}> for ClientMessage {
    fn from(message: {{ v.name }}) -> Self {
        Self::{{ v.name }}(message)
    }
}
{% endif %}{% endfor %}
{% for v in server %}{% if v.from_impl %}
impl ::std::convert::From<{{ v.name }}> for ServerMessage {
    fn from(message: {{ v.name }}) -> Self {
        Self::{{ v.name }}(message)
    }
}
{% endif %}{% endfor %}

{% for e in reply_enums %}
{{ e.doc }}
#[derive(Clone, Debug, PartialEq)]
pub enum {{ e.name }} {
{%- for v in e.variants %}
    /// A [`{{ v }}`] reply.
    {{ v }}({{ v }}),
{%- endfor %}
}
{% for v in e.variants %}
impl ::std::convert::From<{{ v }}> for {{ e.name }} {
    fn from(message: {{ v }}) -> Self {
        Self::{{ v }}(message)
    }
}
{% endfor %}
impl ::std::convert::From<{{ e.name }}> for ServerMessage {
    fn from(reply: {{ e.name }}) -> Self {
        match reply {
{%- for v in e.variants %}
            {{ e.name }}::{{ v }}(message) => Self::{{ v }}(message),
{%- endfor %}
        }
    }
}
{% endfor %}
/// Decoding in two steps: the tag first, then the payload of the type it names.
impl ::socketsundso::codegen::Incoming for ClientMessage {
    const TAG_FIELD: &'static str = {{ tag_field_lit }};
    const TAGS: &'static [&'static str] = &[{% for v in client %}{% if !v.untagged %}{{ v.tag_lit }},{% endif %}{% endfor %}];
    const ID_FIELD: ::std::option::Option<&'static str> = {{ id_field }};
{%- if !open_objects.is_empty() %}
    const OPEN_OBJECTS: &'static [&'static str] = &[{% for o in open_objects %}{{ o }},{% endfor %}];
{%- endif %}

    fn deserialize_payload<'de, D>(tag: &str, payload: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::socketsundso::codegen::serde::Deserializer<'de>,
    {
{%- if client_schemas.is_empty() %}
        let _ = payload;
        ::std::result::Result::Err(<D::Error as ::socketsundso::codegen::serde::de::Error>::unknown_variant(tag, Self::TAGS))
{%- else %}
        match tag {
{%- for v in client %}
{%- if !v.untagged %}
            {{ v.tag_lit }} => ::socketsundso::codegen::payload(payload).map(Self::{{ v.name }}),
{%- endif %}
{%- endfor %}
            _ => ::std::result::Result::Err(<D::Error as ::socketsundso::codegen::serde::de::Error>::unknown_variant(tag, Self::TAGS)),
        }
{%- endif %}
    }
{% if !declares_id.is_empty() %}
    fn payload_declares_id(tag: &str) -> bool {
        matches!(tag, {% for t in declares_id %}{{ t }}{% if !loop.last %} | {% endif %}{% endfor %})
    }
{% endif %}
    fn check(&self) -> bool {
{%- if client.is_empty() %}
        match *self {}
{%- else %}
        match self {
{%- for v in client %}
            Self::{{ v.name }}(message) => ::socketsundso::codegen::Check::check(message),
{%- endfor %}
        }
{%- endif %}
    }

    fn validator(tag: &str) -> ::std::option::Option<&'static ::socketsundso::codegen::Validator> {
{%- if client_schemas.is_empty() %}
        let _ = tag;
        ::std::option::Option::None
{%- else %}
        // The schema of each tag in `TAGS`, in that order.
        static SCHEMAS: ::socketsundso::codegen::Validators<{{ client_schemas.len() }}> = ::socketsundso::codegen::Validators::new([
{%- for schema in client_schemas %}
            {{ schema }},
{%- endfor %}
        ]);
        SCHEMAS.get(Self::TAGS.iter().position(|t| *t == tag)?)
{%- endif %}
    }
{%- if !client_untagged.is_empty() %}

    const UNTAGGED: &'static [::socketsundso::codegen::Untagged] = &[
{%- for u in client_untagged %}
        {{ u.entry }},
{%- endfor %}
    ];

    fn deserialize_untagged<'de, D>(index: usize, payload: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::socketsundso::codegen::serde::Deserializer<'de>,
    {
        match index {
{%- for u in client_untagged %}
            {{ loop.index0 }} => ::socketsundso::codegen::payload(payload).map(Self::{{ u.name }}),
{%- endfor %}
            _ => ::std::result::Result::Err(<D::Error as ::socketsundso::codegen::serde::de::Error>::custom("no such untagged message")),
        }
    }

    fn untagged_validator(index: usize) -> ::std::option::Option<&'static ::socketsundso::codegen::Validator> {
        // The schema of each entry of `UNTAGGED`, in that order.
        static SCHEMAS: ::socketsundso::codegen::Validators<{{ client_untagged.len() }}> = ::socketsundso::codegen::Validators::new([
{%- for u in client_untagged %}
            {{ u.schema_lit }},
{%- endfor %}
        ]);
        SCHEMAS.get(index)
    }

    fn untagged_index(&self) -> ::std::option::Option<usize> {
        match self {
{%- for u in client_untagged %}
            Self::{{ u.name }}(_) => ::std::option::Option::Some({{ loop.index0 }}),
{%- endfor %}
{%- if client_untagged.len() < client.len() %}
            _ => ::std::option::Option::None,
{%- endif %}
        }
    }
{%- endif %}
{%- if let Some(b) = binary_in %}

    fn from_binary(bytes: ::socketsundso::codegen::Bytes) -> ::std::option::Option<Self> {
        ::std::option::Option::Some(Self::{{ b }}(bytes))
    }

    fn to_binary(&self) -> ::std::option::Option<::socketsundso::codegen::Bytes> {
        match self {
            Self::{{ b }}(bytes) => ::std::option::Option::Some(::std::clone::Clone::clone(bytes)),
{%- if !binary_in_only %}
            _ => ::std::option::Option::None,
{%- endif %}
        }
    }
{%- endif %}
}

/// Lets debug builds check every message the server sends against its schema.
impl ::socketsundso::codegen::Outgoing for ServerMessage {
{%- if !sent_declares_id.is_empty() %}
    fn declares_id(&self) -> bool {
        matches!(self, {% for v in sent_declares_id %}Self::{{ v }}(_){% if !loop.last %} | {% endif %}{% endfor %})
    }
{% endif %}
    fn validator(&self) -> ::std::option::Option<&'static ::socketsundso::codegen::Validator> {
{%- if server.is_empty() %}
        match *self {}
{%- else %}
{%- if server_schemas.is_empty() %}
        // Bytes: nothing to check.
        let _ = self;
        ::std::option::Option::None
{%- else %}
        // The schema of each variant (but the binary ones), in order.
        static SCHEMAS: ::socketsundso::codegen::Validators<{{ server_schemas.len() }}> = ::socketsundso::codegen::Validators::new([
{%- for schema in server_schemas %}
            {{ schema }},
{%- endfor %}
        ]);
        let index = match self {
{%- for v in server %}
{%- if let Some(i) = v.schema_index %}
            Self::{{ v.name }}(_) => {{ i }},
{%- else %}
            // Bytes: nothing to check.
            Self::{{ v.name }}(_) => return ::std::option::Option::None,
{%- endif %}
{%- endfor %}
        };
        SCHEMAS.get(index)
{%- endif %}
{%- endif %}
    }
{%- if !server_binary.is_empty() %}

    fn binary(&self) -> ::std::option::Option<::socketsundso::codegen::Bytes> {
        match self {
{%- for b in server_binary %}
            Self::{{ b }}(bytes) => ::std::option::Option::Some(::std::clone::Clone::clone(bytes)),
{%- endfor %}
{%- if !server_all_binary %}
            _ => ::std::option::Option::None,
{%- endif %}
        }
    }
{%- endif %}
}

/// The API's handlers: one method per message the server receives.
///
/// Implement it with plain `async fn`s. A method's `Ok` value is the reply to the message
/// (`()` where the operation declares no reply); an `Err` is sent back as an error message.
pub trait Handler: ::std::marker::Send + ::std::marker::Sync + 'static {
    /// Called once after the WebSocket upgrade. Return `Err` to refuse the connection with a
    /// close code and reason.
    fn on_connect(&self, ctx: &Context) -> impl ::std::future::Future<Output = ::std::result::Result<(), ::socketsundso::codegen::Reject>> + ::std::marker::Send {
        let _ = ctx;
        async { ::std::result::Result::Ok(()) }
    }

    /// Called once when the connection has ended, before it leaves its rooms.
    fn on_disconnect(&self, ctx: &Context) -> impl ::std::future::Future<Output = ()> + ::std::marker::Send {
        let _ = ctx;
        async {}
    }
{% for h in handlers %}
    {{ h.doc }}
{%- if h.blocking %}
    fn {{ h.method }}(&self, ctx: &Context, message: {{ h.message }}) -> ::std::result::Result<{{ h.reply_type }}, ::socketsundso::codegen::HandlerError>;
{%- else %}
    fn {{ h.method }}(&self, ctx: &Context, message: {{ h.message }}) -> impl ::std::future::Future<Output = ::std::result::Result<{{ h.reply_type }}, ::socketsundso::codegen::HandlerError>> + ::std::marker::Send;
{%- endif %}
{% endfor %}
}

/// Plugs a [`Handler`] into the runtime. Mount it on an axum route with [`Server::into_route`],
/// or configure limits and rooms first with [`Server::endpoint`].
pub struct Server<H> {
    handler: ::std::sync::Arc<H>,
}

impl<H> ::std::clone::Clone for Server<H> {
    fn clone(&self) -> Self {
        Self { handler: ::std::clone::Clone::clone(&self.handler) }
    }
}

impl<H: Handler> Server<H> {
    /// Wraps a handler.
    pub fn new(handler: H) -> Self {
        Self { handler: ::std::sync::Arc::new(handler) }
    }

    /// Wraps a handler that is shared already.
    #[must_use]
    #[allow(dead_code, reason = "for handlers shared elsewhere; a binary that includes this file privately may never call it")]
    pub fn from_arc(handler: ::std::sync::Arc<H>) -> Self {
        Self { handler }
    }

    /// The handler.
    #[must_use]
    #[allow(dead_code, reason = "for handlers shared elsewhere; a binary that includes this file privately may never call it")]
    pub fn handler(&self) -> &::std::sync::Arc<H> {
        &self.handler
    }

    /// The runtime endpoint, to set limits or share a room hub before mounting it.
    #[must_use]
    pub fn endpoint(self) -> ::socketsundso::codegen::Endpoint<Self> {
        ::socketsundso::codegen::Endpoint::new(self)
    }

    /// An axum route with the default settings: `Router::new().route("/ws", server.into_route())`.
    pub fn into_route<S>(self) -> ::socketsundso::codegen::axum::routing::MethodRouter<S>
    where
        S: ::std::clone::Clone + ::std::marker::Send + ::std::marker::Sync + 'static,
    {
        self.endpoint().into_method_router()
    }
}

impl<H: Handler> ::socketsundso::codegen::Service for Server<H> {
    type Incoming = ClientMessage;
    type Outgoing = ServerMessage;

    fn on_connect(&self, ctx: &Context) -> impl ::std::future::Future<Output = ::std::result::Result<(), ::socketsundso::codegen::Reject>> + ::std::marker::Send {
        self.handler.on_connect(ctx)
    }

    fn on_disconnect(&self, ctx: &Context) -> impl ::std::future::Future<Output = ()> + ::std::marker::Send {
        self.handler.on_disconnect(ctx)
    }

    async fn handle(&self, ctx: &Context, message: ClientMessage) -> ::std::result::Result<::std::option::Option<ServerMessage>, ::socketsundso::codegen::HandlerError> {
{%- if handlers.is_empty() %}
        let _ = ctx;
        match message {}
{%- else %}
        match message {
{%- for h in handlers %}
{%- if h.blocking %}
            ClientMessage::{{ h.message }}(message) => {
                let handler = ::std::sync::Arc::clone(&self.handler);
                let ctx = ::std::clone::Clone::clone(ctx);
                ::socketsundso::codegen::run_blocking(move || handler.{{ h.method }}(&ctx, message))
                    .await
{%- if h.has_reply %}
                    .map(|reply| ::std::option::Option::Some({{ h.reply_ctor }}(reply)))
{%- else %}
                    .map(|()| ::std::option::Option::None)
{%- endif %}
            }
{%- else if h.has_reply %}
            ClientMessage::{{ h.message }}(message) => self.handler.{{ h.method }}(ctx, message).await.map(|reply| ::std::option::Option::Some({{ h.reply_ctor }}(reply))),
{%- else %}
            ClientMessage::{{ h.message }}(message) => self.handler.{{ h.method }}(ctx, message).await.map(|()| ::std::option::Option::None),
{%- endif %}
{%- endfor %}
        }
{%- endif %}
    }
}
