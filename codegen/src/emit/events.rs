//! The models crate's `events` module: the `Event` enum (one typed payload per event of
//! `x-crisp-events`) and `Delivery`, the body Crisp posts to a web hook.
//!
//! serde's adjacently tagged enums cannot keep an unknown tag together with its data, so the
//! tagging is written out: a private raw `{event, data}` struct is decoded first, then the name
//! picks the payload type. An unknown name is kept as `Event::Unknown`. A known name whose
//! `data` does not fit is kept as `Event::Undecoded` with the path that failed by the total
//! `Event::decode` (what deserializing an `Event` or a `Delivery` and real-time streams use), and
//! is an error naming the event and the path for the strict `Event::from_parts`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_lines, ident, internal_cfg, rust_type};
use crate::ir::{Api, Event};

/// The module's tokens, or `None` when the spec declares no events.
pub fn module(api: &Api) -> Option<TokenStream> {
    if !api.events_declared {
        return None;
    }
    let events = &api.events;
    let variants: Vec<TokenStream> = events.iter().map(|event| variant(api, event)).collect();
    let cfgs: Vec<TokenStream> = events
        .iter()
        .map(|event| internal_cfg(event.internal))
        .collect();
    let idents: Vec<_> = events
        .iter()
        .map(|event| ident(&event.name.ident))
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|event| event.name.wire.as_str())
        .collect();

    // Without a public event, the feature-less build has nothing to decode.
    let public = events.iter().any(|event| !event.internal);
    let decode = if events.is_empty() {
        quote!(Event::Unknown { event, data })
    } else {
        let allow = if public {
            quote!()
        } else {
            quote!(#[allow(clippy::match_single_binding)])
        };
        quote! {
            #allow
            let decoded: Option<Result<Event, ::serde_json::Error>> = match event.as_str() {
                #(#cfgs #names => Some(payload(&data).map(Event::#idents)),)*
                _ => None,
            };
            match decoded {
                None => Event::Unknown { event, data },
                Some(Ok(decoded)) => decoded,
                Some(Err(error)) => {
                    let error = error.to_string();
                    ::crisp_runtime::warn_undecoded_event(&event, &error);
                    Event::Undecoded { event, data, error }
                }
            }
        }
    };
    let payload_fn = if events.is_empty() {
        quote!()
    } else {
        let cfg = if public {
            quote!()
        } else {
            quote!(#[cfg(feature = "internal")])
        };
        quote! {
            /// Decodes the `data` of a known event into its payload type; a failure names the path
            /// inside `data` that failed.
            #cfg
            fn payload<T: ::serde::de::DeserializeOwned>(data: &::serde_json::Value) -> Result<T, ::serde_json::Error> {
                ::crisp_runtime::from_value_ref_at(data, "data")
            }
        }
    };
    // The events a scope governs, each arm compiled with its event.
    let scoped: Vec<(&TokenStream, &str, &str)> = cfgs
        .iter()
        .zip(events)
        .filter_map(|(cfg, event)| {
            event
                .scope
                .as_deref()
                .map(|scope| (cfg, event.name.wire.as_str(), scope))
        })
        .collect();
    let scope_arms = scoped
        .iter()
        .map(|(cfg, name, scope)| quote!(#cfg #name => Some(#scope),));
    let scope_body = if scoped.is_empty() {
        quote!(let _ = name; None)
    } else {
        // Without an arm in the feature-less build, the match is a single binding.
        let allow = if scoped.iter().any(|(cfg, ..)| cfg.is_empty()) {
            quote!()
        } else {
            quote!(#[allow(clippy::match_single_binding)])
        };
        quote! {
            #allow
            match name {
                #(#scope_arms)*
                _ => None,
            }
        }
    };

    Some(quote! {
        //! Web hook and real-time events: [`Event`], one typed payload per event Crisp sends, and
        //! [`Delivery`], the whole body Crisp posts to a web hook.

        /// An event Crisp sends to web hooks and real-time clients: its name and its payload.
        ///
        /// Each event the spec knows has a variant holding its typed payload (the `data` of the
        /// event); events this version does not know are kept in [`Event::Unknown`], and known
        /// events whose payload does not fit in [`Event::Undecoded`]. Decode one with
        /// [`Event::decode`] (or the strict [`Event::from_parts`]), or a whole web hook body with
        /// [`Delivery`]. Serialized on its own, an event is the object
        /// `{"event": <name>, "data": <payload>}`.
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            #(#variants)*
            /// An event this version of the crate does not know, kept as it came.
            Unknown {
                /// The event name, such as `message:send`.
                event: String,
                /// The event's `data`, as JSON.
                data: ::serde_json::Value,
            },
            /// A known event whose `data` does not fit its payload type in this version of the
            /// crate, kept as it came with the reason (see [`Event::decode`]), so that an event is
            /// never lost because its payload surprised the types.
            Undecoded {
                /// The event name, such as `message:send`.
                event: String,
                /// The event's `data`, as JSON.
                data: ::serde_json::Value,
                /// Why `data` did not decode: the path inside it that failed and what was
                /// wrong there, as in ``at `data.state`: invalid type: integer `1`, expected a
                /// string``.
                error: String,
            },
        }

        impl Event {
            /// The name of every event this version knows, in the order of the spec.
            pub const NAMES: &'static [&'static str] = &[#(#cfgs #names),*];

            /// Decodes an event from its name and its `data`, whatever they hold.
            ///
            /// A name this version does not know comes back as [`Event::Unknown`], and a known
            /// event whose `data` does not fit its payload type as [`Event::Undecoded`], with
            /// `data` untouched and the reason (and a warning is logged, naming the event and the
            /// path); so no event is lost. Deserializing an `Event` or a [`Delivery`] decodes with
            /// it, as real-time streams do.
            pub fn decode(event: String, data: ::serde_json::Value) -> Event {
                #decode
            }

            /// Decodes an event from its name and its `data`, refusing a payload that does not
            /// fit.
            ///
            /// A name this version does not know is not an error: the event comes back as
            /// [`Event::Unknown`], with `data` untouched.
            ///
            /// # Errors
            ///
            /// When `event` is a known event and `data` does not fit its payload type. The message
            /// names the event and the path that failed, as in ``event `session:set_state`: at
            /// `data.state`: invalid type: integer `1`, expected a string``. [`Event::decode`]
            /// keeps such an event as [`Event::Undecoded`] instead.
            pub fn from_parts(event: String, data: ::serde_json::Value) -> Result<Event, ::serde_json::Error> {
                match Event::decode(event, data) {
                    Event::Undecoded { event, error, .. } => Err(<::serde_json::Error as ::serde::de::Error>::custom(format_args!("event `{event}`: {error}"))),
                    decoded => Ok(decoded),
                }
            }

            /// The plugin scope a token must hold, at read level at least, to receive the event
            /// `name` over the real-time API or as a web hook; `None` when the spec ties the
            /// event to no scope (user tokens, and plugin tokens in development, receive every
            /// event).
            pub fn scope_of(name: &str) -> Option<&'static str> {
                #scope_body
            }

            /// The event name as it travels, such as `message:send`.
            pub fn name(&self) -> &str {
                match self {
                    #(#cfgs Event::#idents(_) => #names,)*
                    Event::Unknown { event, .. } | Event::Undecoded { event, .. } => event,
                }
            }

            /// The payload as JSON: the event's `data`.
            ///
            /// # Errors
            ///
            /// When the payload cannot be represented as JSON, which the generated types never do.
            pub fn to_data(&self) -> Result<::serde_json::Value, ::serde_json::Error> {
                ::serde_json::to_value(Data(self))
            }
        }

        #payload_fn

        /// The payload of an event, serialized on its own.
        struct Data<'a>(&'a Event);

        impl ::serde::Serialize for Data<'_> {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self.0 {
                    #(#cfgs Event::#idents(payload) => ::serde::Serialize::serialize(payload, serializer),)*
                    Event::Unknown { data, .. } | Event::Undecoded { data, .. } => ::serde::Serialize::serialize(data, serializer),
                }
            }
        }

        impl ::serde::Serialize for Event {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("event", self.name())?;
                map.serialize_entry("data", &Data(self))?;
                map.end()
            }
        }

        /// An event as it travels, before its name picks the payload type.
        #[derive(::serde::Deserialize)]
        struct RawEvent {
            event: String,
            data: ::serde_json::Value,
        }

        impl<'de> ::serde::Deserialize<'de> for Event {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let RawEvent { event, data } = RawEvent::deserialize(deserializer)?;
                Ok(Event::decode(event, data))
            }
        }

        /// The body Crisp posts to a web hook: `{"website_id", "event", "data", "timestamp"}`,
        /// with its event decoded by [`Event::decode`], which never refuses one.
        pub type Delivery = ::crisp_runtime::Delivery<Event>;

        impl ::crisp_runtime::DecodeEvent for Event {
            fn decode(event: String, data: ::serde_json::Value) -> Self {
                Event::decode(event, data)
            }
            fn name(&self) -> &str {
                Event::name(self)
            }
            fn serialize_data<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                ::serde::Serialize::serialize(&Data(self), serializer)
            }
        }
    })
}

/// One variant of `Event`, with its docs.
fn variant(api: &Api, event: &Event) -> TokenStream {
    let wire = &event.name.wire;
    let mut text = event
        .description
        .clone()
        .unwrap_or_else(|| format!("The `{wire}` event."));
    text.push_str(&format!("\n\n- Event: `{wire}`"));
    text.push_str(match (event.webhook_documented, event.internal) {
        (true, _) => "\n- Web hooks: documented by Crisp as a web hook event",
        (false, false) => {
            "\n- Web hooks: not documented as a web hook event; known from the real-time event lists of the official clients"
        }
        (false, true) => "\n- Web hooks: not documented as a web hook event; Crisp's internal reference names it as a real-time event",
    });
    if !event.fired_by.is_empty() {
        let ops: Vec<String> = event.fired_by.iter().map(|op| format!("`{op}`")).collect();
        text.push_str(&format!("\n- Fired by: {}", ops.join(", ")));
    }
    if let Some(scope) = &event.scope {
        text.push_str(&format!("\n- Plugin scope: `{scope}`, to receive it"));
    }
    if event.internal {
        text.push_str("\n- Internal: Crisp reserves this event for its own apps, and it may change without notice; compiled with the `internal` feature");
    }
    let docs = doc_lines(&text);
    let cfg = internal_cfg(event.internal);
    let name = ident(&event.name.ident);
    let payload = rust_type(api, &event.payload, &quote!(crate));
    quote! {
        #docs
        #cfg
        #name(#payload),
    }
}
