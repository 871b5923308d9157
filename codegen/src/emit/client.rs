//! The client crate: a `Client`, one accessor per area, one async method per operation.

use proc_macro2::TokenStream;
use quote::quote;

use super::{argument_params, ident, is_enum, operation_docs, rust_type};
use crate::ir::path::Segment;
use crate::ir::{Api, AreaId, Operation, Param, ParamLocation, Response, TypeKind, TypeRef};

fn models() -> TokenStream {
    quote!(::crisp_models)
}

/// The root module: re-exports, the `Client` and its area accessors.
pub fn lib(api: &Api) -> TokenStream {
    let accessors = api.areas.iter().enumerate().filter(|(index, _)| has_operations(api, *index)).map(|(_, area)| {
        let method = ident(&area.module);
        let ty = ident(&area.type_name);
        let doc = format!(" Operations of the `{}` area.", area.tag);
        let cfg = super::internal_cfg(area.internal);
        quote! {
            #[doc = #doc]
            #cfg
            pub fn #method(&self) -> #ty<'_> {
                #ty { core: &self.core }
            }
        }
    });
    let modules = api.areas.iter().enumerate().filter(|(index, _)| has_operations(api, *index)).map(|(_, area)| {
        let module = ident(&area.module);
        let ty = ident(&area.type_name);
        let cfg = super::internal_cfg(area.internal);
        quote! {
            #cfg
            mod #module;
            #cfg
            pub use #module::#ty;
        }
    });
    let title = format!(" An async client for the {}.", api.title);
    let base = format!(" Requests go to [`DEFAULT_BASE_URL`] (`{}`) unless another base URL is given.", api.base_url);
    quote! {
        #![doc = #title]
        //!
        //! Build a [`Client`] from [`Credentials`] (token identifier, key and tier), then call
        //! operations through its area accessors, e.g. `client.website_conversation()`. Each
        //! operation answers the typed `data` of Crisp's envelope, or an [`Error`] that keeps the
        //! HTTP status and Crisp's `reason`.
        //!
        #![doc = #base]

        pub use ::crisp_models as models;
        pub use ::crisp_runtime::client::{Credentials, Error, DEFAULT_BASE_URL};
        pub use ::crisp_runtime::Tier;

        #(#modules)*

        #[cfg(feature = "examples")]
        pub mod examples;

        /// A client of the Crisp REST API, cheap to clone (clones share one connection pool).
        #[derive(Clone, Debug)]
        pub struct Client {
            core: ::crisp_runtime::client::ClientCore,
        }

        impl Client {
            /// A client of the production API at [`DEFAULT_BASE_URL`].
            pub fn new(credentials: Credentials) -> Result<Self, Error> {
                Self::with_base_url(credentials, DEFAULT_BASE_URL)
            }

            /// A client of the API at `base_url` (for example a local server in tests).
            pub fn with_base_url(credentials: Credentials, base_url: &str) -> Result<Self, Error> {
                Ok(Client { core: ::crisp_runtime::client::ClientCore::new(credentials, base_url)? })
            }

            /// A client that sends its requests through an existing `reqwest::Client`.
            pub fn with_http_client(credentials: Credentials, base_url: &str, http: ::reqwest::Client) -> Result<Self, Error> {
                Ok(Client { core: ::crisp_runtime::client::ClientCore::with_http_client(credentials, base_url, http)? })
            }

            /// The base URL requests go to.
            pub fn base_url(&self) -> &str {
                self.core.base_url()
            }

            #(#accessors)*
        }
    }
}

fn has_operations(api: &Api, area: AreaId) -> bool {
    api.operations.iter().any(|op| op.area == area)
}

/// The module of one area: its accessor type and one method per operation.
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
    let methods = api.operations.iter().filter(|op| op.area == area).map(|op| operation(api, op));
    quote! {
        #![doc = #module_doc]

        #docs
        ///
        /// Get it from [`Client`](crate::Client).
        #[derive(Clone, Copy, Debug)]
        pub struct #ty<'a> {
            pub(crate) core: &'a ::crisp_runtime::client::ClientCore,
        }

        impl #ty<'_> {
            #(#methods)*
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

fn operation(api: &Api, op: &Operation) -> TokenStream {
    let Operation { id, method_name, method, path, options, body, response, .. } = op;
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
        args.push(if body.required { quote!(body: &#ty) } else { quote!(body: Option<&#ty>) });
    }

    // The path, with each placeholder encoded as one segment.
    let mut format = String::new();
    let mut format_args = Vec::new();
    for segment in &path.segments {
        match segment {
            Segment::Literal(text) => format.push_str(text),
            Segment::Param(name) => {
                format.push_str("{}");
                let param = op.path_params.iter().find(|p| &p.name.wire == name);
                format_args.push(match param {
                    Some(param) => path_value(api, param),
                    None => quote!(""),
                });
            }
        }
    }
    let path_expr = if format_args.is_empty() {
        quote!(String::from(#format))
    } else {
        quote!(format!(#format, #(#format_args),*))
    };

    // The query string: required parameters from arguments, optional ones from `options`.
    let mut query_pushes = Vec::new();
    let mut header_pushes = Vec::new();
    for param in &op.other_params {
        let push = push_param(api, id, param);
        match param.location {
            ParamLocation::Query => query_pushes.push(push),
            ParamLocation::Header => header_pushes.push(push),
            ParamLocation::Path => {}
        }
    }
    let query_decl = if query_pushes.is_empty() {
        quote!(let query = ::crisp_runtime::client::QueryPairs::new();)
    } else {
        quote!(let mut query = ::crisp_runtime::client::QueryPairs::new(); #(#query_pushes)*)
    };
    let header_decl = if header_pushes.is_empty() {
        quote!(let headers = ::crisp_runtime::client::HeaderPairs::new();)
    } else {
        quote!(let mut headers = ::crisp_runtime::client::HeaderPairs::new(); #(#header_pushes)*)
    };
    let body_expr = match body {
        Some(body) if body.required => quote!(Some(::crisp_runtime::client::json_body(#id, body)?)),
        Some(_) => quote!(match body { Some(body) => Some(::crisp_runtime::client::json_body(#id, body)?), None => None }),
        None => quote!(None),
    };
    let http_method = ident(method.as_str());
    let (output, call) = match response {
        Response::Exists => (
            quote!(bool),
            quote!(self.core.send_head(#id, path, query, headers).await),
        ),
        Response::Empty => (
            quote!(()),
            quote!(self.core.send_unit(#id, ::reqwest::Method::#http_method, path, query, headers, #body_expr).await),
        ),
        Response::Data(ty) => (
            rust_type(api, ty, &models()),
            quote!(self.core.send_json(#id, ::reqwest::Method::#http_method, path, query, headers, #body_expr).await),
        ),
    };
    let returns = match response {
        Response::Exists => "\n\nAnswers `Ok(true)` when the resource exists and `Ok(false)` when Crisp answers 404.",
        _ => "",
    };
    let returns = super::doc_lines(returns.trim());
    let returns = if returns.is_empty() { quote!() } else { quote!(#[doc = ""] #returns) };
    let cfg = super::internal_cfg(op.docs.internal);
    quote! {
        #docs
        #returns
        #cfg
        pub async fn #name(&self, #(#args),*) -> Result<#output, ::crisp_runtime::client::Error> {
            let path = #path_expr;
            #query_decl
            #header_decl
            #call
        }
    }
}

/// The expression that puts a path parameter into the path.
fn path_value(api: &Api, param: &Param) -> TokenStream {
    let arg = ident(&param.name.ident);
    if param.multi_segment {
        return quote!(::crisp_runtime::client::encode_path(#arg));
    }
    match &param.ty {
        TypeRef::String => quote!(::crisp_runtime::client::encode_path_segment(#arg)),
        ty if is_enum(api, ty) => quote!(::crisp_runtime::client::encode_path_segment(#arg.as_str())),
        ty if ty.is_copy() => quote!(#arg),
        _ => quote!(::crisp_runtime::client::encode_path_segment(&#arg.to_string())),
    }
}

/// The statement that adds one query or header parameter, encoded the way Crisp's clients do:
/// booleans as `1`/`0`, objects and arrays as JSON.
fn push_param(api: &Api, operation_id: &str, param: &Param) -> TokenStream {
    let wire = &param.name.wire;
    let field = ident(&param.name.ident);
    let target = match param.location {
        ParamLocation::Header => quote!(headers),
        _ => quote!(query),
    };
    let push = |value: TokenStream| -> TokenStream {
        match &param.ty {
            TypeRef::Bool => quote!(#target.push_bool(#wire, *#value);),
            TypeRef::String => quote!(#target.push_str(#wire, #value);),
            ty if is_enum(api, ty) => quote!(#target.push_str(#wire, #value.as_str());),
            ty if ty.is_structured(&api.types) => quote!(#target.push_json(#operation_id, #wire, #value)?;),
            TypeRef::Named(id) if matches!(api.types[id.0].kind, TypeKind::Alias(TypeRef::Bool)) => {
                quote!(#target.push_bool(#wire, *#value);)
            }
            _ => quote!(#target.push_display(#wire, #value);),
        }
    };
    if param.required {
        // Required values are arguments: strings are already `&str`, `Copy` values are owned.
        let value = match &param.ty {
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
