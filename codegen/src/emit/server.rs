//! The server crate: per area a trait with one method per operation, handlers that
//! authenticate, extract and validate, and a builder that serves them as one `axum::Router`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{argument_params, ident, is_enum, operation_docs, rust_type};
use crate::ir::{
    Api, AreaId, Body, HttpMethod, Operation, Param, ParamLocation, Response, TypeKind, TypeRef,
};

fn models() -> TokenStream {
    quote!(::crisp_models)
}

/// The root module: re-exports, the router builder and `NotImplemented`.
pub fn lib(api: &Api) -> TokenStream {
    let areas: Vec<AreaId> = api.areas_with_operations().map(|(id, _)| id).collect();
    let cfg = |area: &AreaId| super::internal_cfg(api.areas[*area].internal);
    let modules = areas.iter().map(|area| {
        let module = ident(&api.areas[*area].module);
        let ty = ident(&api.areas[*area].type_name);
        let cfg = cfg(area);
        quote! {
            #cfg
            mod #module;
            #cfg
            pub use #module::#ty;
        }
    });
    let fields = areas.iter().map(|area| {
        let module = ident(&api.areas[*area].module);
        let cfg = cfg(area);
        quote!(#cfg #module: Option<Routes>,)
    });
    let field_inits = areas.iter().map(|area| {
        let module = ident(&api.areas[*area].module);
        let cfg = cfg(area);
        quote!(#cfg #module: None,)
    });
    let setters = areas.iter().map(|area| {
        let info = &api.areas[*area];
        let module = ident(&info.module);
        let ty = ident(&info.type_name);
        let doc = format!(" Serves the `{}` operations with `service`.", info.tag);
        let cfg = cfg(area);
        quote! {
            #[doc = #doc]
            #cfg
            pub fn #module<T: #ty>(mut self, service: T) -> Self {
                self.#module = Some(#module::routes(self.auth.clone(), Arc::new(service)));
                self
            }
        }
    });
    let collect = areas.iter().map(|area| {
        let module = ident(&api.areas[*area].module);
        let cfg = cfg(area);
        quote! {
            #cfg
            routes.extend(self.#module.unwrap_or_else(|| #module::routes(self.auth.clone(), not_implemented.clone())));
        }
    });
    let all_routes = areas.iter().map(|area| {
        let module = ident(&api.areas[*area].module);
        let cfg = cfg(area);
        quote!(#cfg routes.extend(#module::routes(auth.clone(), service.clone()));)
    });
    // Internal areas are bounds of `router` only with the `internal` feature, so there are two
    // versions of it when the API has internal areas.
    let all_bounds: Vec<TokenStream> = areas
        .iter()
        .map(|area| {
            let ty = ident(&api.areas[*area].type_name);
            quote!(#ty)
        })
        .collect();
    let public_bounds: Vec<TokenStream> = areas
        .iter()
        .filter(|area| !api.areas[**area].internal)
        .map(|area| {
            let ty = ident(&api.areas[*area].type_name);
            quote!(#ty)
        })
        .collect();
    let has_internal_areas = public_bounds.len() != all_bounds.len();
    let not_implemented_impls = areas.iter().map(|area| {
        let ty = ident(&api.areas[*area].type_name);
        let cfg = cfg(area);
        quote!(#cfg impl #ty for NotImplemented {})
    });
    let all_routes: Vec<TokenStream> = all_routes.collect();
    let router_fn = |bounds: &[TokenStream], cfg: TokenStream| {
        quote! {
            /// A router that serves every area with one implementation, with the default [`Limits`].
            #cfg
            pub fn router<A, S>(auth: A, service: S) -> ::axum::Router
            where
                A: Authenticate,
                S: #(#bounds)+*,
            {
                let auth = Arc::new(auth);
                let service = Arc::new(service);
                let mut routes: Routes = Vec::new();
                #(#all_routes)*
                assemble(routes, Limits::default())
            }
        }
    };
    let every_area_sets: Vec<TokenStream> = areas.iter().map(|area| {
        let module = ident(&api.areas[*area].module);
        let cfg = cfg(area);
        quote!(#cfg { self.#module = Some(#module::routes(self.auth.clone(), service.clone())); })
    }).collect();
    let every_area_fn = |bounds: &[TokenStream], cfg: TokenStream| {
        quote! {
            /// Serves every area with one implementation (areas given before are replaced).
            #cfg
            pub fn every_area<S>(mut self, service: S) -> Self
            where
                S: #(#bounds)+*,
            {
                let service = Arc::new(service);
                #(#every_area_sets)*
                self
            }
        }
    };
    let every_area_fns = if has_internal_areas {
        let all = every_area_fn(&all_bounds, quote!(#[cfg(feature = "internal")]));
        let public = every_area_fn(&public_bounds, quote!(#[cfg(not(feature = "internal"))]));
        quote!(#all #public)
    } else {
        every_area_fn(&all_bounds, quote!())
    };
    let router_fns = if has_internal_areas {
        let all = router_fn(&all_bounds, quote!(#[cfg(feature = "internal")]));
        let public = router_fn(&public_bounds, quote!(#[cfg(not(feature = "internal"))]));
        quote!(#all #public)
    } else {
        router_fn(&all_bounds, quote!())
    };
    let title = format!(
        " Server side of the {}: traits to implement and an `axum` router.",
        api.title
    );
    let base = format!(
        " The router serves every operation under `{}` and answers in Crisp's envelope.",
        api.base_path
    );
    quote! {
        #![doc = #title]
        //!
        //! Each area of the API is a trait with one method per operation. Every method has a
        //! default body that answers `501 not_implemented`, so an implementation provides only
        //! what it needs. [`RouterBuilder`] turns implementations into an [`axum::Router`] that
        //! authenticates each request through an [`Authenticate`] hook, decodes and validates
        //! path, query and body into the typed models, and calls the trait method.
        //!
        #![doc = #base]
        //! An unknown route answers `404 not_found`, a known route with the wrong method
        //! `405`, invalid input `400 invalid_data` naming the field, missing or bad
        //! credentials `401 invalid_session`, and a tier or plugin scope the operation does
        //! not admit `403 not_allowed`, before the implementation runs. Bodies over the limit
        //! get `413`, requests over the time limit `408`, and a panic in an implementation
        //! `500`, while the server keeps serving. Each request runs in a `crisp.request`
        //! tracing span.

        use std::sync::Arc;

        pub use ::crisp_models as models;
        pub use ::crisp_runtime::server::{Access, ApiError, Authenticate, Caller, Credentials, Limits, Scopes, StaticTokens};
        pub use ::crisp_runtime::Tier;

        #(#modules)*

        #[cfg(feature = "examples")]
        pub mod examples;

        use ::crisp_runtime::server::{assemble, Routes};
        pub(crate) use ::crisp_runtime::server::Ctx;

        /// An implementation of every area that implements nothing: each operation answers
        /// `501 not_implemented`. The builder uses it for areas it was not given.
        #[derive(Clone, Copy, Debug, Default)]
        pub struct NotImplemented;

        #(#not_implemented_impls)*

        /// Builds an [`axum::Router`] from one implementation per area.
        pub struct RouterBuilder<A> {
            auth: Arc<A>,
            limits: Limits,
            #(#fields)*
        }

        impl<A: Authenticate> RouterBuilder<A> {
            /// Starts a router whose requests are authenticated by `auth`.
            pub fn new(auth: A) -> Self {
                RouterBuilder { auth: Arc::new(auth), limits: Limits::default(), #(#field_inits)* }
            }

            /// Sets the largest request body accepted, in bytes (2 MiB unless set); a larger
            /// one is answered `413 payload_too_large`.
            pub fn body_limit(mut self, bytes: usize) -> Self {
                self.limits.body_limit = bytes;
                self
            }

            /// Sets how long one request may take, a slow client included (30 seconds unless
            /// set); a longer one is answered `408 request_timeout`.
            pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.limits.timeout = timeout;
                self
            }

            #(#setters)*

            #every_area_fns

            /// The router: every area given, and [`NotImplemented`] for the others.
            pub fn build(self) -> ::axum::Router {
                let not_implemented = Arc::new(NotImplemented);
                let mut routes: Routes = Vec::new();
                #(#collect)*
                assemble(routes, self.limits)
            }
        }

        #router_fns
    }
}

/// The module of one area: its trait, its handlers and the function listing its routes.
pub fn area(api: &Api, area: AreaId) -> TokenStream {
    let info = &api.areas[area];
    let trait_name = ident(&info.type_name);
    let ops: Vec<&Operation> = api.operations_of(area).collect();
    let mut doc = format!("The `{}` operations.", info.tag);
    if let Some(description) = &info.description {
        doc.push_str("\n\n");
        doc.push_str(description);
    }
    let docs = super::doc_lines(&doc);
    let module_doc = format!(" Server side of the `{}` area.", info.tag);
    let methods = ops.iter().map(|op| trait_method(api, op));
    let handlers = ops.iter().map(|op| handler(api, op, &trait_name));
    // Routes of one path are merged into one method router here; HEAD goes after GET so that
    // its explicit handler wins over the one GET implies.
    let mut ordered: Vec<&&Operation> = ops.iter().collect();
    ordered.sort_by_key(|op| op.method == HttpMethod::Head);
    let routes = ordered.iter().map(|op| {
        let handler = ident(&format!("handle_{}", op.method_name.bare()));
        let path = format!("{}{}", api.base_path, axum_path(op));
        let method = ident(&op.method.as_str().to_lowercase());
        let cfg = super::internal_cfg(op.docs.internal);
        quote!(#cfg routes.push((#path, ::axum::routing::#method(#handler::<A, T>).with_state(ctx.clone())));)
    });
    quote! {
        #![doc = #module_doc]

        use std::sync::Arc;

        use ::crisp_runtime::server::{ApiError, Authenticate, Caller};

        use crate::Ctx;

        #docs
        ///
        /// Every method has a default body that answers `501 not_implemented`; implement the
        /// ones your server needs. The futures must be `Send`: implement them with `async fn`
        /// and keep non-`Send` values out of `.await` points.
        pub trait #trait_name: Send + Sync + 'static {
            #(#methods)*
        }

        /// The routes of this area, bound to `auth` and `service`.
        // One push per route, so that each can carry its own `cfg`.
        #[allow(clippy::vec_init_then_push)]
        pub(crate) fn routes<A: Authenticate, T: #trait_name + ?Sized>(auth: Arc<A>, service: Arc<T>) -> crate::Routes {
            let ctx = Ctx { auth, service };
            let mut routes: crate::Routes = Vec::new();
            #(#routes)*
            routes
        }

        #(#handlers)*
    }
}

/// The path as axum's router writes it, a multi-segment parameter taking the rest of it.
fn axum_path(op: &Operation) -> String {
    op.path.axum_route(|name| {
        op.path_params
            .iter()
            .any(|p| p.name.wire == name && p.multi_segment)
    })
}

/// The Rust type of a server-side argument: owned.
fn owned_type(api: &Api, ty: &TypeRef) -> TokenStream {
    rust_type(api, ty, &models())
}

fn output_type(api: &Api, response: &Response) -> TokenStream {
    match response {
        Response::Data(ty) => rust_type(api, ty, &models()),
        Response::Empty | Response::Exists => quote!(()),
    }
}

fn trait_method(api: &Api, op: &Operation) -> TokenStream {
    let Operation {
        id,
        method_name,
        options,
        body,
        response,
        // Read through `op` by the helpers called below, or not needed here; listed so
        // that a new field of `Operation` is a compile error until it is considered.
        type_prefix: _,
        method: _,
        path: _,
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
    let mut args = vec![quote!(caller: Caller)];
    let mut names = vec![quote!(caller)];
    for param in argument_params(op) {
        let arg = ident(&param.name.ident);
        let ty = owned_type(api, &param.ty);
        args.push(quote!(#arg: #ty));
        names.push(quote!(#arg));
    }
    if let Some(options) = options {
        let ty = ident(&api.types[options.0].name);
        args.push(quote!(options: ::crisp_models::#ty));
        names.push(quote!(options));
    }
    if let Some(body) = body {
        let ty = rust_type(api, &body.ty, &models());
        args.push(if body.required {
            quote!(body: #ty)
        } else {
            quote!(body: Option<#ty>)
        });
        names.push(quote!(body));
    }
    let output = output_type(api, response);
    let exists = if matches!(response, Response::Exists) {
        quote! {
            #[doc = ""]
            #[doc = " Answer `Ok(())` when the resource exists and `Err(ApiError::not_found(..))` when it does not."]
        }
    } else {
        quote!()
    };
    // The default body ignores its inputs; one input needs no tuple around it.
    let ignored = if names.len() == 1 {
        quote!(#(#names)*)
    } else {
        quote!((#(#names),*))
    };
    let cfg = super::internal_cfg(op.docs.internal);
    quote! {
        #docs
        #exists
        #cfg
        fn #name(&self, #(#args),*) -> impl Future<Output = Result<#output, ApiError>> + Send {
            let _ = #ignored;
            async { Err(ApiError::not_implemented(#id)) }
        }
    }
}

fn handler(api: &Api, op: &Operation, trait_name: &proc_macro2::Ident) -> TokenStream {
    let Operation {
        method_name,
        other_params,
        options,
        body,
        response,
        // Read through `op` by the helpers called below, or not needed here; listed so
        // that a new field of `Operation` is a compile error until it is considered.
        id: _,
        type_prefix: _,
        method: _,
        path: _,
        area: _,
        docs: _,
        path_params: _,
        response_example: _,
        pointer: _,
        response_pointer: _,
    } = op;
    let handler = ident(&format!("handle_{}", method_name.bare()));
    let method = ident(&method_name.ident);
    let doc = format!(
        " Handles `{}`: authenticates, decodes the input and calls [`{}::{}`].",
        op.id,
        trait_name,
        method_name.bare()
    );

    let mut extractors =
        vec![quote!(::axum::extract::State(ctx): ::axum::extract::State<Ctx<A, T>>)];
    let id = &op.id;
    let mut steps = vec![
        quote!(::crisp_runtime::server::record_operation(#id);),
        quote!(let caller = ::crisp_runtime::server::authenticate(&*ctx.auth, &headers).await?;),
    ];
    // Tiers and scope are checked before any input is read, so a call the token may not make
    // learns nothing about the input it sent.
    let tiers = op.docs.tiers.iter().map(|tier| match tier.as_str() {
        "user" => quote!(::crisp_runtime::Tier::User),
        _ => quote!(::crisp_runtime::Tier::Plugin),
    });
    let access = match op.method {
        HttpMethod::Get | HttpMethod::Head => quote!(::crisp_runtime::server::Access::Read),
        _ => quote!(::crisp_runtime::server::Access::Write),
    };
    let scope = match &op.docs.scope {
        Some(scope) => quote!(Some((#scope, #access))),
        None => quote!(None),
    };
    steps.push(quote!(::crisp_runtime::server::authorize(&caller, #id, &[#(#tiers),*], #scope)?;));
    if !op.path_params.is_empty() {
        extractors.push(quote!(path: Result<::axum::extract::RawPathParams, ::axum::extract::rejection::RawPathParamsRejection>));
        steps.push(quote!(let path = ::crisp_runtime::server::PathParams::from_raw(path)?;));
        for param in &op.path_params {
            let arg = ident(&param.name.ident);
            let wire = &param.name.wire;
            let value = match &param.ty {
                TypeRef::String => quote!(path.string(#wire)?),
                ty => {
                    let ty = owned_type(api, ty);
                    quote!(path.parse::<#ty>(#wire)?)
                }
            };
            steps.push(quote!(let #arg = #value;));
        }
    }
    let has_query = other_params
        .iter()
        .any(|p| p.location == ParamLocation::Query);
    if has_query {
        extractors.push(quote!(::axum::extract::RawQuery(query): ::axum::extract::RawQuery));
        steps.push(
            quote!(let query = ::crisp_runtime::server::QueryParams::parse(query.as_deref())?;),
        );
    }
    extractors.push(quote!(headers: ::axum::http::HeaderMap));
    let mut call_args = vec![quote!(caller)];
    for param in argument_params(op) {
        let arg = ident(&param.name.ident);
        if param.location != ParamLocation::Path {
            let value = read_param(api, param);
            steps.push(quote!(let #arg = #value;));
        }
        call_args.push(quote!(#arg));
    }
    if let Some(options) = options {
        let ty = ident(&api.types[options.0].name);
        let fields = other_params.iter().filter(|p| !p.required).map(|param| {
            let field = ident(&param.name.ident);
            let value = read_param(api, param);
            quote!(options.#field = #value;)
        });
        steps.push(quote! {
            let mut options = <::crisp_models::#ty as ::std::default::Default>::default();
            #(#fields)*
        });
        call_args.push(quote!(options));
    }
    // Every field of the body, so that a new one is a compile error here until it is
    // considered (the docs and examples read the others).
    if let Some(Body {
        required,
        ty: body_ty,
        description: _,
        example: _,
        pointer: _,
    }) = body
    {
        extractors.push(
            quote!(body: Result<::axum::body::Bytes, ::axum::extract::rejection::BytesRejection>),
        );
        let ty = rust_type(api, body_ty, &models());
        let kind = json_kind(api, body_ty);
        if *required {
            steps.push(
                quote!(let body = ::crisp_runtime::server::decode_json_body::<#ty>(body, #kind)?;),
            );
        } else {
            steps.push(quote!(let body = ::crisp_runtime::server::decode_optional_json_body::<#ty>(body, #kind)?;));
        }
        call_args.push(quote!(body));
    }
    let output = output_type(api, response);
    let respond = match response {
        Response::Data(_) => quote!(::crisp_runtime::server::respond(result)),
        Response::Empty => quote!(::crisp_runtime::server::respond_empty(result)),
        Response::Exists => quote!(::crisp_runtime::server::respond_head(result)),
    };
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
        async fn #handler<A: Authenticate, T: #trait_name + ?Sized>(#(#extractors),*) -> ::axum::response::Response {
            let result: Result<#output, ApiError> = async {
                #(#steps)*
                ctx.service.#method(#(#call_args),*).await
            }
            .await;
            #respond
        }
    }
}

/// The JSON kind a body of this type has at its top level, which the server checks before
/// decoding (serde alone would read a struct from an array of its fields).
fn json_kind(api: &Api, ty: &TypeRef) -> TokenStream {
    match api.resolve(ty) {
        TypeRef::FreeObject | TypeRef::Map(_) => quote!(::crisp_runtime::server::JsonKind::Object),
        TypeRef::Array(_) => quote!(::crisp_runtime::server::JsonKind::Array),
        TypeRef::Named(id) if matches!(api.types[id.0].kind, TypeKind::Struct { .. }) => {
            quote!(::crisp_runtime::server::JsonKind::Object)
        }
        _ => quote!(::crisp_runtime::server::JsonKind::Any),
    }
}

/// The expression that reads one query or header parameter, checking its type.
fn read_param(api: &Api, param: &Param) -> TokenStream {
    // Every field, so that a new one is a compile error here until it is considered.
    let Param {
        name,
        location,
        required: is_required,
        ty,
        multi_segment: _,
        description: _,
        example: _,
        pointer: _,
    } = param;
    let wire = &name.wire;
    if *location == ParamLocation::Header {
        let value = quote!(::crisp_runtime::server::header_string(&headers, #wire)?);
        return if *is_required {
            quote!(#value.ok_or_else(|| ApiError::invalid_data(format!("missing header `{}`", #wire)))?)
        } else {
            value
        };
    }
    let is_bool = api.resolve(ty) == &TypeRef::Bool;
    let (required, optional) = match ty {
        TypeRef::String => (quote!(required_string), quote!(optional_string)),
        _ if is_bool => (quote!(required_bool), quote!(optional_bool)),
        ty if is_enum(api, ty) => (quote!(required_parse), quote!(optional_parse)),
        ty if ty.is_structured(&api.types) => (quote!(required_json), quote!(optional_json)),
        _ => (quote!(required_parse), quote!(optional_parse)),
    };
    if *is_required {
        quote!(query.#required(#wire)?)
    } else {
        quote!(query.#optional(#wire)?)
    }
}
