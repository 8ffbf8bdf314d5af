{# Askama template for the generated Rust client (`Config::rust_client(true)`). Rendered with
   escaping off, then parsed with syn and formatted with prettyplease. #}
/// A typed client of this API, on the runtime's WebSocket client. It needs the `client` feature
/// of `socketsundso`.
///
/// [`Client::connect`] returns the client and the [`Events`]: every message from the server
/// that is not the reply to a request. Each message the server receives has a `send_*` method
/// (fire and forget){% if has_id %}, and each one whose operation declares a reply a `request_*` method
/// that awaits it, matched by the `{{ id_field_name }}` field{% endif %}. Every message is checked against its schema
/// before it is sent, with the server's own decoding: an invalid one fails with
/// [`ClientError::Invalid`] and the error object the server would have sent.
pub mod client {
    #[allow(unused_imports, reason = "re-exported for users; a binary that includes this file privately may not name `Closed`")]
    pub use ::socketsundso::codegen::client::{ClientError, Closed, Settings};

    /// The messages from the server that are not replies to a request, as a `Stream`.
    pub type Events = ::socketsundso::codegen::client::Events<super::ServerMessage>;

    /// The untyped connection under a [`Client`]: raw text, settings.
    pub type Connection = ::socketsundso::codegen::client::Connection<super::ClientMessage, super::ServerMessage>;

    /// A connection to a server of this API, with one method per message it receives.
    ///
    /// Cheap to clone: the clones share the connection. It closes on [`Client::close`], or when
    /// every clone is dropped.
    #[derive(Clone, Debug)]
    pub struct Client {
        connection: Connection,
    }

    impl Client {
        /// Connects to `request` (a `ws://` URL, or an `http::Request` with headers) with the
        /// default [`Settings`].
        ///
        /// # Errors
        ///
        /// Fails with a [`ClientError`] when the connection cannot be opened.
        pub async fn connect<R>(request: R) -> ::std::result::Result<(Self, Events), ClientError>
        where
            R: ::socketsundso::codegen::client::IntoClientRequest + ::std::marker::Unpin,
        {
            Self::connect_with(request, Settings::default()).await
        }

        /// Connects to `request` with `settings` (timeouts, buffers, outgoing checks).
        ///
        /// # Errors
        ///
        /// Fails with a [`ClientError`] when the connection cannot be opened.
        pub async fn connect_with<R>(request: R, settings: Settings) -> ::std::result::Result<(Self, Events), ClientError>
        where
            R: ::socketsundso::codegen::client::IntoClientRequest + ::std::marker::Unpin,
        {
            let (connection, events) = Connection::connect(request, settings).await?;
            ::std::result::Result::Ok((Self { connection }, events))
        }

        /// A client over a connection that is open already.
        #[must_use]
        pub fn from_connection(connection: Connection) -> Self {
            Self { connection }
        }

        /// The connection: to send raw text, or read the settings.
        #[must_use]
        pub fn connection(&self) -> &Connection {
            &self.connection
        }

        /// Closes the connection and waits for the server's close frame. Requests still waiting
        /// fail with [`ClientError::Closed`].
        pub async fn close(&self) {
            self.connection.close().await;
        }
{% for s in sends %}
        {{ s.doc }}
        pub async fn {{ s.method }}(&self, message: super::{{ s.message }}) -> ::std::result::Result<(), ClientError> {
            self.connection.send(super::ClientMessage::{{ s.message }}(message)).await
        }
{% endfor %}
{%- for r in requests %}
        {{ r.doc }}
        pub async fn {{ r.method }}(&self, message: super::{{ r.message }}) -> ::std::result::Result<super::{{ r.reply_type }}, ClientError> {
            match self.connection.request(super::ClientMessage::{{ r.message }}(message)).await? {
{%- for a in r.arms %}
                super::ServerMessage::{{ a.variant }}(reply) => ::std::result::Result::Ok({{ a.value }}),
{%- endfor %}
{%- if !r.exhaustive %}
                other => ::std::result::Result::Err(ClientError::unexpected_reply(&other)),
{%- endif %}
            }
        }
{% endfor %}
    }

    /// Decoding what the server sends, in two steps as the server decodes what it receives:
    /// the tag first, then the payload of the type it names.
    impl ::socketsundso::codegen::Incoming for super::ServerMessage {
        const TAG_FIELD: &'static str = {{ tag_field_lit }};
        const TAGS: &'static [&'static str] = &[{% for t in tags %}{{ t.tag_lit }},{% endfor %}];
        const ID_FIELD: ::std::option::Option<&'static str> = {{ id_field }};
{%- if !open_objects.is_empty() %}
        const OPEN_OBJECTS: &'static [&'static str] = &[{% for o in open_objects %}{{ o }},{% endfor %}];
{%- endif %}

        fn deserialize_payload<'de, D>(tag: &str, payload: D) -> ::std::result::Result<Self, D::Error>
        where
            D: ::socketsundso::codegen::serde::Deserializer<'de>,
        {
{%- if tags.is_empty() %}
            let _ = payload;
            ::std::result::Result::Err(<D::Error as ::socketsundso::codegen::serde::de::Error>::unknown_variant(tag, Self::TAGS))
{%- else %}
            match tag {
{%- for t in tags %}
{%- if t.variants.len() == 1 %}
                {{ t.tag_lit }} => ::socketsundso::codegen::payload(payload).map(Self::{{ t.variants[0] }}),
{%- else %}
                // Several messages share this tag: the first that fits wins.
                {{ t.tag_lit }} => ::socketsundso::codegen::client::one_of(payload, &[
{%- for v in t.variants %}
                    |value| ::socketsundso::codegen::client::candidate::<super::{{ v }}>(value).map(Self::{{ v }}),
{%- endfor %}
                ]),
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
{%- if variants.is_empty() %}
            match *self {}
{%- else %}
            match self {
{%- for v in variants %}
                Self::{{ v }}(message) => ::socketsundso::codegen::Check::check(message),
{%- endfor %}
            }
{%- endif %}
        }

        fn validator(tag: &str) -> ::std::option::Option<&'static ::socketsundso::codegen::Validator> {
{%- if tags.is_empty() %}
            let _ = tag;
            ::std::option::Option::None
{%- else %}
            // The schema of each tag in `TAGS`, in that order.
            static SCHEMAS: ::socketsundso::codegen::Validators<{{ tags.len() }}> = ::socketsundso::codegen::Validators::new([
{%- for t in tags %}
                {{ t.schema_lit }},
{%- endfor %}
            ]);
            SCHEMAS.get(Self::TAGS.iter().position(|t| *t == tag)?)
{%- endif %}
        }
{%- if let Some(b) = binary %}

        fn from_binary(bytes: ::socketsundso::codegen::Bytes) -> ::std::option::Option<Self> {
            ::std::option::Option::Some(Self::{{ b }}(bytes))
        }
{%- endif %}
{%- if !untagged.is_empty() %}

        const UNTAGGED: &'static [::socketsundso::codegen::Untagged] = &[
{%- for u in untagged %}
            {{ u.entry }},
{%- endfor %}
        ];

        fn deserialize_untagged<'de, D>(index: usize, payload: D) -> ::std::result::Result<Self, D::Error>
        where
            D: ::socketsundso::codegen::serde::Deserializer<'de>,
        {
            match index {
{%- for u in untagged %}
                {{ loop.index0 }} => ::socketsundso::codegen::payload(payload).map(Self::{{ u.name }}),
{%- endfor %}
                _ => ::std::result::Result::Err(<D::Error as ::socketsundso::codegen::serde::de::Error>::custom("no such untagged message")),
            }
        }

        fn untagged_validator(index: usize) -> ::std::option::Option<&'static ::socketsundso::codegen::Validator> {
            // The schema of each entry of `UNTAGGED`, in that order.
            static SCHEMAS: ::socketsundso::codegen::Validators<{{ untagged.len() }}> = ::socketsundso::codegen::Validators::new([
{%- for u in untagged %}
                {{ u.schema_lit }},
{%- endfor %}
            ]);
            SCHEMAS.get(index)
        }
{%- endif %}
    }
}
