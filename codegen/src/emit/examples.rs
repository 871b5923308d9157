//! The `examples` modules: the spec's examples as code, behind the `examples` feature.
//!
//! In the server crate, `Examples` implements every area by answering each operation with its
//! example (and, when strict, by first checking that the inputs are the example inputs). In the
//! client crate, `call_every_operation` calls each operation with its example inputs and checks
//! the answer against the example. Together they prove every operation end to end.

use std::str::FromStr;

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use serde_json::Value;

use super::{argument_params, ident, rust_type};
use crate::ir::{Api, Operation, Response};

fn models() -> TokenStream {
    quote!(::crisp_models)
}

/// A string literal holding compact JSON, raw when that reads better.
fn json_literal(value: &Value) -> TokenStream {
    let text = value.to_string();
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    let raw = format!("r{hashes}\"{text}\"{hashes}");
    match Literal::from_str(&raw) {
        Ok(literal) => quote!(#literal),
        Err(_) => {
            let literal = Literal::string(&text);
            quote!(#literal)
        }
    }
}

/// The example inputs of an operation, as the server's strict check expects them.
fn expected_inputs(op: &Operation) -> Value {
    let mut inputs = serde_json::Map::new();
    for param in argument_params(op) {
        if let Some(example) = &param.example {
            inputs.insert(param.name.wire.clone(), example.clone());
        }
    }
    if op.options.is_some() {
        inputs.insert("options".to_owned(), Value::Object(option_examples(op)));
    }
    if let Some(example) = op.body.as_ref().and_then(|body| body.example.as_ref()) {
        inputs.insert("body".to_owned(), example.clone());
    }
    Value::Object(inputs)
}

/// The examples of the optional parameters, keyed as the options struct serializes them.
fn option_examples(op: &Operation) -> serde_json::Map<String, Value> {
    op.other_params
        .iter()
        .filter(|param| !param.required)
        .filter_map(|param| {
            param
                .example
                .clone()
                .map(|example| (param.name.wire.clone(), example))
        })
        .collect()
}

/// The server's `examples` module.
pub fn server(api: &Api) -> TokenStream {
    let impls = api.areas_with_operations().map(|(index, area)| {
        let trait_name = ident(&area.type_name);
        let methods = api.operations_of(index).map(|op| server_method(api, op));
        let cfg = super::internal_cfg(area.internal);
        quote! {
            #cfg
            impl crate::#trait_name for Examples {
                #(#methods)*
            }
        }
    });
    quote! {
        //! Every operation answered with the example of the spec.
        //!
        //! [`Examples`] implements every area. It answers each operation with the `data` of the
        //! success example in the spec; built with [`Examples::strict`], it first checks that
        //! the inputs it received are the spec's example inputs and answers `400 invalid_data`
        //! naming the first difference otherwise. It is a ready-made test double, and with the
        //! client's `examples` module it proves every operation end to end.

        use ::crisp_runtime::server::{ApiError, Caller};

        /// An implementation of every area that answers with the spec's examples.
        #[derive(Clone, Copy, Debug, Default)]
        pub struct Examples {
            strict: bool,
        }

        impl Examples {
            /// Answers every valid request with its operation's example.
            pub fn new() -> Self {
                Examples { strict: false }
            }

            /// Like [`Examples::new`], but only accepts the spec's example inputs.
            pub fn strict() -> Self {
                Examples { strict: true }
            }
        }

        #(#impls)*
    }
}

fn server_method(api: &Api, op: &Operation) -> TokenStream {
    let Operation {
        id,
        method_name,
        options,
        body,
        response,
        response_example,
        // Read through `op` by the helpers called below, or not needed here; listed so
        // that a new field of `Operation` is a compile error until it is considered.
        type_prefix: _,
        method: _,
        path: _,
        area: _,
        docs: _,
        path_params: _,
        other_params: _,
        pointer: _,
        response_pointer: _,
    } = op;
    let name = ident(&method_name.ident);
    let mut args = vec![quote!(caller: Caller)];
    let mut parts = Vec::new();
    for param in argument_params(op) {
        let arg = ident(&param.name.ident);
        let ty = rust_type(api, &param.ty, &models());
        let wire = &param.name.wire;
        args.push(quote!(#arg: #ty));
        parts.push(quote!((#wire, Some(::crisp_runtime::examples::encode(#id, #wire, &#arg).map_err(ApiError::internal)?)),));
    }
    if let Some(options) = options {
        let ty = ident(&api.types[options.0].name);
        args.push(quote!(options: ::crisp_models::#ty));
        parts.push(quote!(("options", Some(::crisp_runtime::examples::encode(#id, "options", &options).map_err(ApiError::internal)?)),));
    }
    if let Some(body) = body {
        let ty = rust_type(api, &body.ty, &models());
        if body.required {
            args.push(quote!(body: #ty));
            parts.push(quote!(("body", Some(::crisp_runtime::examples::encode(#id, "body", &body).map_err(ApiError::internal)?)),));
        } else {
            args.push(quote!(body: Option<#ty>));
            parts.push(quote!(("body", body.as_ref().map(|body| ::crisp_runtime::examples::encode(#id, "body", body)).transpose().map_err(ApiError::internal)?),));
        }
    }
    let expected = json_literal(&expected_inputs(op));
    let (output, answer) = match (response, response_example) {
        (Response::Data(ty), Some(example)) => {
            let example = json_literal(example);
            (
                rust_type(api, ty, &models()),
                quote!(::crisp_runtime::examples::decode(#id, "the answer", #example).map_err(ApiError::internal)),
            )
        }
        (Response::Data(ty), None) => {
            let message = format!("{id}: the spec has no example answer");
            (
                rust_type(api, ty, &models()),
                quote!(Err(ApiError::internal(#message))),
            )
        }
        (Response::Empty | Response::Exists, _) => (quote!(()), quote!(Ok(()))),
    };
    let cfg = super::internal_cfg(op.docs.internal);
    quote! {
        #cfg
        async fn #name(&self, #(#args),*) -> Result<#output, ApiError> {
            let _ = caller;
            if self.strict {
                let inputs = ::crisp_runtime::examples::object(Vec::from([#(#parts)*]));
                ::crisp_runtime::examples::check_matches(#id, "the request", #expected, &inputs).map_err(ApiError::invalid_data)?;
            }
            #answer
        }
    }
}

/// The client's `examples` module.
pub fn client(api: &Api) -> TokenStream {
    let calls = api.operations.iter().map(|op| {
        let id = &op.id;
        let function = ident(&op.method_name.ident);
        let tiers = op.docs.tiers.iter().map(|tier| match tier.as_str() {
            "user" => quote!(crate::Tier::User),
            _ => quote!(crate::Tier::Plugin),
        });
        let cfg = super::internal_cfg(op.docs.internal);
        quote!(#cfg calls.push(ExampleCall { operation: #id, tiers: &[#(#tiers),*], outcome: #function(client).await });)
    });
    let functions = api.operations.iter().map(|op| client_function(api, op));
    quote! {
        //! Every operation called with the example inputs of the spec.
        //!
        //! [`call_every_operation`] calls each operation with its example path, query and body
        //! values, and checks that the answer decodes and says what the spec's example says.
        //! Against a server built from the server crate's `Examples::strict()`, this proves
        //! every operation end to end: inputs encoded, sent, decoded and checked; the answer
        //! encoded, sent and decoded into its type.

        /// The outcome of calling one operation with its examples.
        #[derive(Clone, Debug)]
        pub struct ExampleCall {
            /// The operation's `operationId`.
            pub operation: &'static str,
            /// The tiers the operation admits (`x-crisp-tiers`); empty when the spec does not say.
            pub tiers: &'static [crate::Tier],
            /// `Ok` when the answer matched the example, or what went wrong.
            pub outcome: Result<(), String>,
        }

        /// Calls every operation with its example inputs, one after the other, in spec order.
        ///
        /// Operations the client's tier may not call are called too: their outcome is the
        /// server's `403 not_allowed`, which shows that the server enforces tiers.
        // One push per operation, so that each can carry its own `cfg`.
        #[allow(clippy::vec_init_then_push)]
        pub async fn call_every_operation(client: &crate::Client<crate::tier::Dynamic>) -> Vec<ExampleCall> {
            let mut calls = Vec::new();
            #(#calls)*
            calls
        }

        #(#functions)*
    }
}

fn client_function(api: &Api, op: &Operation) -> TokenStream {
    let Operation {
        id,
        method_name,
        options,
        body,
        response,
        response_example,
        area,
        // Read through `op` by the helpers called below, or not needed here; listed so
        // that a new field of `Operation` is a compile error until it is considered.
        type_prefix: _,
        method: _,
        path: _,
        docs: _,
        path_params: _,
        other_params: _,
        pointer: _,
        response_pointer: _,
    } = op;
    let name = ident(&method_name.ident);
    let accessor = ident(&api.areas[*area].module);
    let doc = format!(" Calls `{id}` with its examples.");
    let mut steps = Vec::new();
    let mut args = Vec::new();
    for param in argument_params(op) {
        let arg = ident(&param.name.ident);
        let wire = &param.name.wire;
        let ty = rust_type(api, &param.ty, &models());
        steps.push(match &param.example {
            Some(example) => {
                let example = json_literal(example);
                quote!(let #arg: #ty = ::crisp_runtime::examples::decode(#id, #wire, #example)?;)
            }
            None => {
                let message = format!("{id}: the spec has no example for `{wire}`");
                quote!(let #arg: #ty = Err(#message.to_owned())?;)
            }
        });
        args.push(if param.ty.is_copy() {
            quote!(#arg)
        } else {
            quote!(&#arg)
        });
    }
    if let Some(options) = options {
        let ty = ident(&api.types[options.0].name);
        let example = json_literal(&Value::Object(option_examples(op)));
        steps.push(quote!(let options: ::crisp_models::#ty = ::crisp_runtime::examples::decode(#id, "options", #example)?;));
        args.push(quote!(&options));
    }
    if let Some(body) = body {
        let ty = rust_type(api, &body.ty, &models());
        match (&body.example, body.required) {
            (Some(example), required) => {
                let example = json_literal(example);
                steps.push(quote!(let body: #ty = ::crisp_runtime::examples::decode(#id, "body", #example)?;));
                args.push(if required {
                    quote!(&body)
                } else {
                    quote!(Some(&body))
                });
            }
            (None, false) => args.push(quote!(None)),
            (None, true) => {
                let message = format!("{id}: the spec has no example body");
                steps.push(quote!(let body: #ty = Err(#message.to_owned())?;));
                args.push(quote!(&body));
            }
        }
    }
    let call =
        quote!(client.#accessor().#name(#(#args),*).await.map_err(|error| error.to_string())?);
    let check = match (response, response_example) {
        (Response::Data(_), Some(example)) => {
            let example = json_literal(example);
            quote! {
                let answer = #call;
                ::crisp_runtime::examples::check_matches(#id, "the answer", #example, &::crisp_runtime::examples::encode(#id, "the answer", &answer)?)
            }
        }
        (Response::Data(_), None) => {
            let message = format!("{id}: the spec has no example answer");
            quote! {
                let _answer = #call;
                Err(#message.to_owned())
            }
        }
        (Response::Exists, _) => {
            let message = format!("{id}: answered that the resource does not exist");
            quote! {
                if #call { Ok(()) } else { Err(#message.to_owned()) }
            }
        }
        (Response::Empty, _) => quote! {
            #call;
            Ok(())
        },
    };
    // Legacy operations are still proven, without warning about their deprecation.
    let allow = if op.docs.deprecated {
        quote!(#[allow(deprecated)])
    } else {
        quote!()
    };
    let cfg = super::internal_cfg(op.docs.internal);
    quote! {
        #[doc = #doc]
        #allow
        #cfg
        async fn #name(client: &crate::Client<crate::tier::Dynamic>) -> Result<(), String> {
            #(#steps)*
            #check
        }
    }
}

/// The models crate's tests that every schema example decodes into its type and says the same
/// when encoded again, and that every event example decodes into its event's variant and says
/// the same when encoded again; `None` when there is no example to check.
pub fn models_test(api: &Api) -> Option<TokenStream> {
    let checks: Vec<TokenStream> = api
        .types
        .iter()
        .enumerate()
        .filter(|(_, def)| !def.hidden)
        .filter_map(|(id, def)| {
            let example = def.example.as_ref()?;
            let name = &def.name;
            let ty = ident(name);
            let example = json_literal(example);
            let cfg = super::type_cfg(api, id);
            Some(quote!(#cfg failures.extend(check::<crate::#ty>(#name, #example).err());))
        })
        .collect();
    let event_checks: Vec<TokenStream> = api
        .events
        .iter()
        .filter_map(|event| {
            let example = json_literal(event.example.as_ref()?);
            let name = &event.name.wire;
            let cfg = super::internal_cfg(event.internal);
            Some(quote!(#cfg failures.extend(check_event(#name, #example).err());))
        })
        .collect();
    if checks.is_empty() && event_checks.is_empty() {
        return None;
    }
    let schemas = if checks.is_empty() {
        quote!()
    } else {
        quote! {
            /// Decodes `example` as `T`, encodes it again and compares.
            fn check<T: ::serde::Serialize + ::serde::de::DeserializeOwned>(name: &str, example: &str) -> Result<(), String> {
                let value: T = decode(name, "the schema", example)?;
                check_matches(name, "the schema", example, &encode(name, "the schema", &value)?)
            }

            #[test]
            fn schema_examples_decode() {
                let mut failures: Vec<String> = Vec::new();
                #(#checks)*
                assert!(failures.is_empty(), "{}", failures.join("\n"));
            }
        }
    };
    let events_feature = super::EVENTS_FEATURE;
    let events = if event_checks.is_empty() {
        quote!()
    } else {
        quote! {
            /// Decodes the example `data` of the event `name` into its typed variant (not
            /// `Unknown`, and named `name` again), encodes the event again and compares its `data`.
            #[cfg(feature = #events_feature)]
            fn check_event(name: &str, example: &str) -> Result<(), String> {
                let data: ::serde_json::Value = decode(name, "the event", example)?;
                let event = crate::Event::from_parts(name.to_owned(), data).map_err(|error| format!("{name}: the example of the event does not decode: {error}"))?;
                if let crate::Event::Unknown { .. } = &event {
                    return Err(format!("{name}: the example decodes as an event this crate does not know"));
                }
                if event.name() != name {
                    return Err(format!("{name}: the example decodes as the event `{}`", event.name()));
                }
                let encoded = encode(name, "the event", &event)?;
                if encoded.get("event").and_then(::serde_json::Value::as_str) != Some(name) {
                    return Err(format!("{name}: the event encodes under another name: {encoded}"));
                }
                check_matches(name, "the event's data", example, encoded.get("data").unwrap_or(&::serde_json::Value::Null))
            }

            #[cfg(feature = #events_feature)]
            #[test]
            fn event_examples_decode() {
                let mut failures: Vec<String> = Vec::new();
                #(#event_checks)*
                assert!(failures.is_empty(), "{}", failures.join("\n"));
            }
        }
    };
    let doc = if event_checks.is_empty() {
        " Every schema example of the spec decodes into its type."
    } else {
        " Every schema example of the spec decodes into its type, and every event example into its event."
    };
    Some(quote! {
        #![doc = #doc]

        use ::crisp_runtime::examples::{check_matches, decode, encode};

        #schemas

        #events
    })
}
