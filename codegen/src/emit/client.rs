//! The client crate: a `Client`, one accessor per area, one method per operation returning
//! the runtime's sending future.

use proc_macro2::TokenStream;
use quote::quote;

use super::{argument_params, ident, is_enum, operation_docs, rust_type};
use crate::ir::stream::Stream;
use crate::ir::{Api, AreaId, Operation, Pagination, Param, ParamLocation, Response, TypeRef};

fn models() -> TokenStream {
    quote!(::crisp_models)
}

/// The root module: re-exports, the `Client`, its builder and its area accessors.
pub fn lib(api: &Api) -> TokenStream {
    let accessors = api.areas_with_operations().map(|(index, area)| {
        let method = ident(&area.module);
        let ty = ident(&area.type_name);
        let doc = format!(" Operations of the `{}` area.", area.tag);
        let cfg = super::area_cfg(api, index);
        quote! {
            #[doc = #doc]
            #cfg
            pub fn #method(&self) -> #ty<'_, T> {
                #ty { core: &self.core, tier: ::std::marker::PhantomData }
            }
        }
    });
    let modules = api.areas_with_operations().map(|(index, area)| {
        let module = ident(&area.module);
        let ty = ident(&area.type_name);
        let cfg = super::area_cfg(api, index);
        quote! {
            #cfg
            mod #module;
            #cfg
            pub use #module::#ty;
        }
    });
    let realtime = realtime(api);
    let realtime_doc = if api.events_declared {
        quote! {
            //!
            //! # Real-time events
            //!
            //! With the `rtm` feature, `Client::realtime` listens to Crisp's real-time API with the
            //! client's token: a stream of [`models::Event`]s that authenticates and reconnects on
            //! its own (see the `rtm` module).
        }
    } else {
        quote!()
    };
    let title = format!(" An async client for the {}.", api.title);
    let base = format!(
        " Requests go to [`DEFAULT_BASE_URL`] (`{}`) unless another base URL is given.",
        api.base_url
    );
    quote! {
        #![doc = #title]
        //!
        //! Build a [`Client`] with [`Client::builder`] (or [`Client::from_env`]), then call
        //! operations through its area accessors, e.g. `client.website_conversation()`. Each
        //! operation answers the typed `data` of Crisp's envelope, or an [`Error`] that keeps the
        //! HTTP status and Crisp's [`Reason`].
        //!
        //! # Tiers
        //!
        //! The client's type carries its token's tier: `Client<tier::Plugin>`,
        //! `Client<tier::User>`, or `Client<tier::Dynamic>` when the tier is only known at run
        //! time. An operation that Crisp reserves for one tier is only callable on a client of
        //! that tier (or a dynamic one): calling it on the other does not compile. Operations
        //! whose tiers the reference does not state are callable on every client.
        //!
        //! # Retries, timeouts and tracing
        //!
        //! Rate-limited requests (429, 420) are retried with exponential backoff and jitter,
        //! honouring `Retry-After`; server errors and timeouts are retried for idempotent
        //! methods only (see [`RetryPolicy`]). Each attempt times out after 30 s by default.
        //! Every call runs in a `crisp.call` tracing span with the operation, method, path
        //! template, status and attempt; never a credential or a body.
        //!
        //! # Lists
        //!
        //! Paged list operations also have a `…_stream` form that returns a
        //! [`Stream`](::crisp_runtime::client::Stream) of items, fetching pages as they are
        //! consumed.
        #realtime_doc
        //!
        //! # Cargo features
        //!
        //! One feature per area (`website-conversation`, `website-people`, …), all on by
        //! default: turn default features off and pick areas to compile only those. `legacy`
        //! adds the deprecated help center routes and `internal` the routes Crisp reserves for
        //! its own apps.
        //!
        #![doc = #base]

        pub use ::crisp_models as models;
        pub use ::crisp_runtime::client::{tier, Credentials, Error, RetryPolicy, DEFAULT_BASE_URL};
        pub use ::crisp_runtime::{Reason, Tier};

        #(#modules)*

        #[cfg(feature = "examples")]
        pub mod examples;

        /// A client of the Crisp REST API for tokens of tier `T` (see [`tier`]), cheap to clone
        /// (clones share one connection pool).
        ///
        /// The `Debug` output never shows the token key.
        #[derive(Clone, Debug)]
        pub struct Client<T> {
            core: ::crisp_runtime::client::ClientCore,
            tier: ::std::marker::PhantomData<T>,
        }

        impl Client<tier::Dynamic> {
            /// Starts building a client; pick the token with
            /// [`plugin`](::crisp_runtime::client::ClientBuilder::plugin),
            /// [`user`](::crisp_runtime::client::ClientBuilder::user) or
            /// [`credentials`](::crisp_runtime::client::ClientBuilder::credentials), which also
            /// fixes the client's type.
            ///
            /// ```no_run
            /// # fn main() -> Result<(), crisp_client::Error> {
            /// let client = crisp_client::Client::builder()
            ///     .plugin("token-identifier", "token-key")
            ///     .build()?;
            /// # let _ = client;
            /// # Ok(())
            /// # }
            /// ```
            pub fn builder() -> ClientBuilder<tier::NoCredentials> {
                ClientBuilder::new()
            }
        }

        impl<T: tier::ClientTier> Client<T> {
            /// A client configured from the environment: `CRISP_IDENTIFIER`, `CRISP_KEY`,
            /// `CRISP_TIER` (`plugin` or `user`; optional when `T` fixes the tier) and,
            /// optionally, `CRISP_BASE_URL`.
            ///
            /// # Errors
            ///
            /// [`Error::Config`] when a variable is missing or `CRISP_TIER` is not the tier of
            /// `T`, and the errors of [`ClientBuilder::build`](::crisp_runtime::client::ClientBuilder::build).
            pub fn from_env() -> Result<Self, Error> {
                Self::from_config(::crisp_runtime::client::ClientConfig::from_env_for(T::TIER)?)
            }

            /// A client from a complete configuration.
            ///
            /// # Errors
            ///
            /// [`Error::Config`] when the credentials are missing or not of the tier of `T`, and
            /// the errors of [`ClientBuilder::build`](::crisp_runtime::client::ClientBuilder::build).
            pub fn from_config(config: ::crisp_runtime::client::ClientConfig) -> Result<Self, Error> {
                ::crisp_runtime::client::client_from_config(config)
            }

            /// The base URL requests go to.
            pub fn base_url(&self) -> &str {
                self.core.base_url()
            }

            /// The tier of the token.
            pub fn tier(&self) -> Tier {
                self.core.credentials().tier()
            }

            #(#accessors)*
        }

        #realtime

        /// Builds a [`Client`]: credentials first, then any setting, then
        /// [`build`](::crisp_runtime::client::ClientBuilder::build).
        ///
        /// The type parameter records the credentials' tier, so `build` only exists once they
        /// are given. The `Debug` output never shows the token key.
        pub type ClientBuilder<T> = ::crisp_runtime::client::ClientBuilder<Client<T>>;

        impl<T> ::crisp_runtime::client::FromCore for Client<T> {
            type Tier = T;
            type WithTier<U> = Client<U>;
            fn from_core(core: ::crisp_runtime::client::ClientCore) -> Self {
                Client { core, tier: ::std::marker::PhantomData }
            }
        }
    }
}

/// `Client::realtime` and the `rtm` re-export, when the spec declares events: a subscription
/// to Crisp's real-time API that decodes into `models::Event` and finds its endpoint through
/// the operation marked `x-crisp-rtm-endpoints` for the token's tier.
fn realtime(api: &Api) -> TokenStream {
    if !api.events_declared {
        return quote!();
    }
    let arms = [("plugin", quote!(Plugin)), ("user", quote!(User))].map(|(tier, variant)| {
        let op = api.operations.iter().find(|op| op.docs.rtm_endpoints && op.docs.tiers.iter().any(|t| t == tier));
        let body = match op {
            Some(op) => {
                let features: Vec<String> = super::client_operation_features(api, op).into_iter().collect();
                let area = ident(&api.areas[op.area].type_name);
                let method = ident(&op.method_name.ident);
                let named: Vec<String> = features.iter().map(|f| format!("`{f}`")).collect();
                let missing = format!(
                    "finding the real-time endpoint of {tier} tokens calls `{}`, which needs the {} feature{} of crisp-client; or give the endpoint with `realtime().endpoint(..)`",
                    op.id,
                    named.join(" and "),
                    if named.len() > 1 { "s" } else { "" },
                );
                let predicate = match features.as_slice() {
                    [feature] => quote!(feature = #feature),
                    _ => quote!(all(#(feature = #features),*)),
                };
                quote! {
                    #[cfg(#predicate)]
                    {
                        let answer = #area::<tier::Dynamic> { core: &self.core, tier: ::std::marker::PhantomData }
                            .#method()
                            .await
                            .map_err(rtm::Error::Discovery)?;
                        rtm::socket_url(&answer)
                    }
                    #[cfg(not(#predicate))]
                    {
                        Err(rtm::Error::Discovery(Error::Config { message: #missing.to_owned() }))
                    }
                }
            }
            None => {
                let missing = format!("the spec names no operation that tells {tier} tokens where the real-time socket is; give the endpoint with `realtime().endpoint(..)`");
                quote!(Err(rtm::Error::Discovery(Error::Config { message: #missing.to_owned() })))
            }
        };
        quote!(Tier::#variant => { #body })
    });
    quote! {
        /// Crisp's real-time API: [`Realtime`](rtm::Realtime), [`Subscription`](rtm::Subscription),
        /// the [`Reconnect`](rtm::Reconnect) policy and the errors.
        #[cfg(feature = "rtm")]
        pub use ::crisp_runtime::rtm;

        #[cfg(feature = "rtm")]
        impl<T: tier::ClientTier> Client<T> {
            /// Listens to Crisp's real-time events (the RTM API) with this client's token.
            ///
            /// Pick the events with [`events`](rtm::Realtime::events) (every event the crate knows
            /// by default), then [`subscribe`](rtm::Realtime::subscribe) for a stream of
            /// [`models::Event`]s. The subscription asks Crisp where the socket is (the
            /// connect-endpoints operation of the token's tier) unless given an
            /// [`endpoint`](rtm::Realtime::endpoint), authenticates, and reconnects after a loss
            /// with backoff, authenticating again each time. An event this version does not know
            /// arrives as [`models::Event::Unknown`]; one whose payload does not fit its type as
            /// [`models::Event::Undecoded`], with its JSON and the reason.
            ///
            /// ```no_run
            /// # async fn run(client: crisp_client::Client<crisp_client::tier::Plugin>) -> Result<(), crisp_client::rtm::Error> {
            /// use crisp_client::models::Event;
            ///
            /// let mut events = client.realtime().events(["message:send", "session:set_state"]).subscribe();
            /// while let Some(event) = events.next().await {
            ///     match event? {
            ///         Event::MessageSend(message) => println!("a visitor wrote: {message:?}"),
            ///         other => println!("{}", other.name()),
            ///     }
            /// }
            /// # Ok(())
            /// # }
            /// ```
            pub fn realtime(&self) -> rtm::Realtime<models::Event> {
                let client = Client::<tier::Dynamic> { core: self.core.clone(), tier: ::std::marker::PhantomData };
                let discover: rtm::Discover = ::std::sync::Arc::new(move || {
                    let client = client.clone();
                    ::std::boxed::Box::pin(async move { client.rtm_endpoint().await })
                });
                rtm::Realtime::new(self.core.credentials().clone(), models::Event::NAMES, models::Event::decode, Some(discover))
            }

            /// Asks Crisp where the real-time socket of the token's tier is.
            async fn rtm_endpoint(&self) -> Result<String, rtm::Error> {
                match self.tier() {
                    #(#arms)*
                }
            }
        }
    }
}

/// The module of one area: its accessor type and one method per operation (plus a stream per
/// paged operation).
pub fn area(api: &Api, area: AreaId) -> TokenStream {
    let info = &api.areas[area];
    let ty = ident(&info.type_name);
    let mut doc = format!("Operations of the `{}` area.", info.tag);
    if let Some(description) = &info.description {
        doc.push_str("\n\n");
        doc.push_str(description);
    }
    let docs = super::doc_lines(&doc);
    let module_doc = format!(" Client operations of the `{}` area.", info.tag);
    let mut methods = Vec::new();
    let mut builders = Vec::new();
    for op in api.operations_of(area) {
        // A paged operation's method and stream share the function that builds its call.
        let shape = crate::ir::stream::stream(api, op).ok();
        let (method, builder) = operation(api, op, shape.is_some());
        methods.push(method);
        if let Some(shape) = &shape {
            methods.push(stream(api, op, shape));
        }
        builders.push(builder);
    }
    quote! {
        #![doc = #module_doc]

        #docs
        ///
        /// Get it from [`Client`](crate::Client); `T` is the client's tier.
        #[derive(Clone, Copy, Debug)]
        pub struct #ty<'a, T> {
            pub(crate) core: &'a ::crisp_runtime::client::ClientCore,
            pub(crate) tier: ::std::marker::PhantomData<T>,
        }

        impl<'a, T: ::crisp_runtime::client::tier::ClientTier> #ty<'a, T> {
            #(#methods)*
        }

        #(#builders)*
    }
}

/// The name of the function that builds a paged operation's call, shared by its method
/// and its stream.
fn builder_name(op: &Operation) -> proc_macro2::Ident {
    ident(&format!(
        "{}_call",
        op.method_name.ident.trim_start_matches("r#")
    ))
}

/// The `where` clause that restricts an operation to the tiers it admits.
fn tier_bound(op: &Operation) -> TokenStream {
    let tiers: Vec<&str> = op.docs.tiers.iter().map(String::as_str).collect();
    match tiers.as_slice() {
        ["user"] => quote!(where T: ::crisp_runtime::client::tier::UserTier),
        ["plugin"] => quote!(where T: ::crisp_runtime::client::tier::PluginTier),
        _ => quote!(),
    }
}

/// The `…_stream` method of a paged operation.
fn stream(api: &Api, op: &Operation, shape: &Stream) -> TokenStream {
    let (item, pagination) = match shape {
        Stream::Pages { item } => (item, Pagination::PageNumber),
        Stream::History { item, .. } => (item, Pagination::TimestampBefore),
    };
    let item_ty = rust_type(api, item, &models());
    let name = ident(&format!("{}_stream", op.method_name.ident));
    let builder = builder_name(op);
    let history = pagination == Pagination::TimestampBefore;
    let mut params = Vec::new();
    let mut owned = Vec::new();
    let mut call_args = Vec::new();
    for param in argument_params(op) {
        let arg = ident(&param.name.ident);
        if !history && param.name.wire == "page_number" {
            call_args.push(quote!(#arg));
            continue;
        }
        let ty = arg_type(api, &param.ty);
        params.push(quote!(#arg: #ty));
        if param.ty.is_copy() {
            call_args.push(quote!(#arg));
        } else {
            owned.push(quote!(let #arg = #arg.to_owned();));
            call_args.push(quote!(&#arg));
        }
    }
    if let Some(options) = op.options {
        let ty = ident(&api.types[options.0].name);
        params.push(quote!(options: &::crisp_models::#ty));
        // The history stream moves the cursor in its own copy of the options.
        owned.push(if history {
            quote!(let mut options = options.clone();)
        } else {
            quote!(let options = options.clone();)
        });
        call_args.push(quote!(&options));
    }
    if let Some(body) = &op.body {
        let ty = rust_type(api, &body.ty, &models());
        if body.required {
            params.push(quote!(body: &#ty));
            owned.push(quote!(let body = body.clone();));
            call_args.push(quote!(&body));
        } else {
            params.push(quote!(body: Option<&#ty>));
            owned.push(quote!(let body = body.cloned();));
            call_args.push(quote!(body.as_ref()));
        }
    }
    let bound = tier_bound(op);
    let cfg = super::client_operation_cfg(api, op);
    let deprecated = if op.docs.deprecated {
        quote!(#[deprecated])
    } else {
        quote!()
    };
    let (doc, body) = match shape {
        Stream::Pages { .. } => (
            format!(
                " Every item of [`{0}`](Self::{0}), page after page from page 1 until a page comes back empty.",
                op.method_name.ident
            ),
            if params.is_empty() {
                // The page number is the builder's only argument.
                quote!(self.core.stream_pages(#builder))
            } else {
                quote!(self.core.stream_pages(move |page_number| #builder(#(#call_args),*)))
            },
        ),
        Stream::History {
            timestamp: (field, required),
            ..
        } => {
            let field = ident(field);
            let timestamp = if *required {
                quote!(Some(item.#field))
            } else {
                quote!(item.#field)
            };
            (
                format!(
                    " Every item of [`{0}`](Self::{0}), page after page going back in time with `timestamp_before` until nothing older is left (the newest page first; each page in the order Crisp sends it).",
                    op.method_name.ident
                ),
                // The first page is asked with the caller's options as they are; each
                // later one with the cursor the stream moved.
                quote!(self.core.stream_history(
                    move |before| {
                        if before.is_some() {
                            options.timestamp_before = before;
                        }
                        #builder(#(#call_args),*)
                    },
                    |item: &#item_ty| #timestamp,
                )),
            )
        }
    };
    quote! {
        #[doc = #doc]
        ///
        /// Pages are fetched one at a time, as items are consumed; the stream ends after the
        /// first error, which is its last item. Takes the same arguments and options as the
        /// single-page call.
        #cfg
        #deprecated
        pub fn #name(&self, #(#params),*) -> impl ::crisp_runtime::client::Stream<Item = Result<#item_ty, ::crisp_runtime::client::Error>> + Send + Unpin + 'static #bound {
            #(#owned)*
            #body
        }
    }
}

/// The argument type of a parameter: borrowed unless it is `Copy`.
fn arg_type(api: &Api, ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::String => quote!(&str),
        ty if ty.is_copy() => rust_type(api, ty, &models()),
        ty => {
            let ty = rust_type(api, ty, &models());
            quote!(&#ty)
        }
    }
}

/// An operation's method, and for a paged operation the function that builds its call
/// (which its stream calls for each page).
///
/// The method is a plain function returning the runtime's sending future: building the
/// call cannot fail (an encoding failure is kept in the call and reported when it is sent),
/// so no operation needs an `async` body, and the compiler builds no state machine per
/// operation. The future borrows the client only (`use<'a, T>`), not the arguments.
fn operation(api: &Api, op: &Operation, paged: bool) -> (TokenStream, TokenStream) {
    let Operation {
        id,
        method_name,
        method,
        path,
        options,
        body,
        response,
        // Read through `op` by the helpers called below, or not needed here; listed so
        // that a new field of `Operation` is a compile error until it is considered.
        type_prefix: _,
        area: _,
        docs: _,
        path_params: _,
        other_params: _,
        response_example: _,
        pointer: _,
        response_pointer: _,
    } = op;
    let docs = operation_docs(api, op);
    let name = ident(&method_name.ident);
    let mut args = Vec::new();
    for param in argument_params(op) {
        let arg = ident(&param.name.ident);
        let ty = arg_type(api, &param.ty);
        args.push(quote!(#arg: #ty));
    }
    if let Some(options) = options {
        let ty = ident(&api.types[options.0].name);
        args.push(quote!(options: &::crisp_models::#ty));
    }
    if let Some(body) = body {
        let ty = rust_type(api, &body.ty, &models());
        args.push(if body.required {
            quote!(body: &#ty)
        } else {
            quote!(body: Option<&#ty>)
        });
    }

    // The path, with each placeholder encoded as one segment (`check` has made sure that
    // every placeholder is a declared path parameter).
    let format = path.format_string();
    let format_args: Vec<TokenStream> = path
        .params()
        .map(
            |name| match op.path_params.iter().find(|p| p.name.wire == name) {
                Some(param) => path_value(api, param),
                None => quote!(""),
            },
        )
        .collect();
    let path_expr = if format_args.is_empty() {
        quote!(String::from(#format))
    } else {
        quote!(format!(#format, #(#format_args),*))
    };

    // The query string: required parameters from arguments, optional ones from `options`.
    let mut query_pushes = Vec::new();
    let mut header_pushes = Vec::new();
    for param in &op.other_params {
        let push = push_param(api, param);
        match param.location {
            ParamLocation::Query => query_pushes.push(push),
            ParamLocation::Header => header_pushes.push(push),
            ParamLocation::Path => {}
        }
    }
    let query_decl = if query_pushes.is_empty() {
        quote!()
    } else {
        quote!(let mut query = ::crisp_runtime::client::QueryPairs::new(); #(#query_pushes)*)
    };
    let header_decl = if header_pushes.is_empty() {
        quote!()
    } else {
        quote!(let mut headers = ::crisp_runtime::client::HeaderPairs::new(); #(#header_pushes)*)
    };
    let http_method = ident(method.as_str());
    let template = &path.raw;
    let mut call = quote!(::crisp_runtime::client::Call::new(#id, ::reqwest::Method::#http_method, #template, path));
    if !query_pushes.is_empty() {
        call = quote!(#call.query(query));
    }
    if !header_pushes.is_empty() {
        call = quote!(#call.headers(headers));
    }
    // The statements that build the call, and the expression that finishes it.
    let (call_decl, call) = match body {
        Some(body) if body.required => (quote!(), quote!(#call.json(body))),
        Some(_) => (
            quote!(let call = #call;),
            quote! {
                match body {
                    Some(body) => call.json(body),
                    None => call,
                }
            },
        ),
        None => (quote!(), call),
    };
    let build = quote! {
        let path = #path_expr;
        #query_decl
        #header_decl
        #call_decl
    };
    let cfg = super::client_operation_cfg(api, op);
    // The method's statements up to `let call = …;`, and the builder function if any.
    let (prepare, builder) = if paged {
        let builder = builder_name(op);
        let names = argument_names(op);
        let doc = format!(
            " The call of `{}`, built for the method and for each page of its stream.",
            op.method_name.ident.trim_start_matches("r#")
        );
        let builder_fn = quote! {
            #[doc = #doc]
            #cfg
            fn #builder(#(#args),*) -> ::crisp_runtime::client::Call {
                #build
                #call
            }
        };
        (quote!(let call = #builder(#(#names),*);), builder_fn)
    } else {
        (quote!(#build let call = #call;), quote!())
    };
    let (output, send) = match response {
        Response::Exists => (quote!(bool), quote!(self.core.send_head(call))),
        Response::Empty => (quote!(()), quote!(self.core.send_unit(call))),
        Response::Data(ty) => (
            rust_type(api, ty, &models()),
            quote!(self.core.send_json(call)),
        ),
    };
    let returns = match response {
        Response::Exists => {
            "\n\nAnswers `Ok(true)` when the resource exists and `Ok(false)` when Crisp answers 404."
        }
        _ => "",
    };
    let returns = super::doc_lines(returns.trim());
    let returns = if returns.is_empty() {
        quote!()
    } else {
        quote!(#[doc = ""] #returns)
    };
    let bound = tier_bound(op);
    let method = quote! {
        #docs
        #returns
        #cfg
        pub fn #name(&self, #(#args),*) -> impl ::std::future::Future<Output = Result<#output, ::crisp_runtime::client::Error>> + use<'a, T> #bound {
            #prepare
            #send
        }
    };
    (method, builder)
}

/// The names of an operation's arguments, in the order of its method's parameters.
fn argument_names(op: &Operation) -> Vec<proc_macro2::Ident> {
    let mut names: Vec<_> = argument_params(op)
        .map(|param| ident(&param.name.ident))
        .collect();
    if op.options.is_some() {
        names.push(ident("options"));
    }
    if op.body.is_some() {
        names.push(ident("body"));
    }
    names
}

/// The expression that puts a path parameter into the path.
fn path_value(api: &Api, param: &Param) -> TokenStream {
    let arg = ident(&param.name.ident);
    if param.multi_segment {
        return quote!(::crisp_runtime::client::encode_path(#arg));
    }
    match &param.ty {
        TypeRef::String => quote!(::crisp_runtime::client::encode_path_segment(#arg)),
        ty if is_enum(api, ty) => {
            quote!(::crisp_runtime::client::encode_path_segment(#arg.as_str()))
        }
        ty if ty.is_copy() => quote!(#arg),
        _ => quote!(::crisp_runtime::client::encode_path_segment(&#arg.to_string())),
    }
}

/// The statement that adds one query or header parameter, encoded the way Crisp's clients do:
/// booleans as `1`/`0`, objects and arrays as JSON.
fn push_param(api: &Api, param: &Param) -> TokenStream {
    // Every field, so that a new one is a compile error here until it is considered.
    let Param {
        name,
        location,
        required,
        ty,
        multi_segment: _,
        description: _,
        example: _,
        pointer: _,
    } = param;
    let wire = &name.wire;
    let field = ident(&name.ident);
    let target = match *location {
        ParamLocation::Header => quote!(headers),
        _ => quote!(query),
    };
    let push = |value: TokenStream| -> TokenStream {
        match ty {
            TypeRef::Bool => quote!(#target.push_bool(#wire, *#value);),
            TypeRef::String => quote!(#target.push_str(#wire, #value);),
            ty if is_enum(api, ty) => quote!(#target.push_str(#wire, #value.as_str());),
            ty if ty.is_structured(&api.types) => {
                quote!(#target.push_json(#wire, #value);)
            }
            ty if api.resolve(ty) == &TypeRef::Bool => {
                quote!(#target.push_bool(#wire, *#value);)
            }
            _ => quote!(#target.push_display(#wire, #value);),
        }
    };
    if *required {
        // Required values are arguments: strings are already `&str`, `Copy` values are owned.
        let value = match ty {
            TypeRef::String => quote!(#field),
            ty if ty.is_copy() => quote!((&#field)),
            _ => quote!(#field),
        };
        push(value)
    } else {
        let statement = push(quote!(value));
        quote! {
            if let Some(value) = &options.#field {
                #statement
            }
        }
    }
}
