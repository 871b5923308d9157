//! The models crate: a serde type for every named type of the IR, one module per area.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_lines, ident, rust_type};
use crate::ir::{Api, Field, Home, TypeDef, TypeKind};

/// The module path that named types are reached through inside the models crate.
fn root() -> TokenStream {
    quote!(crate)
}

/// The file name of a module holding types of `home`.
pub fn module_of(api: &Api, home: Home) -> String {
    match home {
        Home::Components => "components".to_owned(),
        Home::Area(area) => api.areas[area].module.clone(),
    }
}

/// The modules of the crate in order: components first, then areas in spec order, each with
/// its doc, its `#[cfg]` (compiled when any of its types is) and the tokens of its types.
/// Modules without types are left out.
pub fn modules(api: &Api) -> Vec<(String, String, TokenStream, TokenStream)> {
    let mut homes = vec![(
        Home::Components,
        "Shared types that many operations use (`components/schemas`).".to_owned(),
    )];
    for (index, area) in api.areas.iter().enumerate() {
        homes.push((
            Home::Area(index),
            format!("Types of the `{}` operations.", area.tag),
        ));
    }
    let mut out = Vec::new();
    for (home, doc) in homes {
        let ids: Vec<usize> = (0..api.types.len())
            .filter(|id| api.types[*id].home == home && !api.types[*id].hidden)
            .collect();
        if ids.is_empty() {
            continue;
        }
        let types = ids.iter().map(|id| type_def(api, *id, &api.types[*id]));
        out.push((
            module_of(api, home),
            doc,
            module_cfg(api, &ids),
            quote!(#(#types)*),
        ));
    }
    out
}

/// The `#[cfg]` of a module: none if one of its types is always compiled, else any of the
/// features its types are compiled under.
fn module_cfg(api: &Api, ids: &[usize]) -> TokenStream {
    let mut features = std::collections::BTreeSet::new();
    for id in ids {
        match super::type_features(api, *id) {
            Some(more) => features.extend(more),
            None => return quote!(),
        }
    }
    super::features_cfg(Some(features))
}

fn type_def(api: &Api, id: usize, def: &TypeDef) -> TokenStream {
    let TypeDef {
        name,
        component,
        description,
        kind,
        home: _,
        hidden: _,
        internal: _,
        example: _,
        pointer: _,
    } = def;
    let cfg = super::type_cfg(api, id);
    let mut doc_text = description.clone().unwrap_or_else(|| match component {
        Some(component) => format!("The `{component}` schema."),
        None => format!("The `{name}` type."),
    });
    if let Some(component) = component {
        doc_text.push_str(&format!("\n\nSchema `#/components/schemas/{component}`."));
    }
    let docs = doc_lines(&doc_text);
    let name = ident(name);
    match kind {
        TypeKind::Struct { fields } => struct_def(api, &name, &docs, &cfg, fields),
        TypeKind::Enum { variants } => {
            let idents: Vec<_> = variants.iter().map(|v| ident(&v.name.ident)).collect();
            let wires: Vec<&str> = variants.iter().map(|v| v.name.wire.as_str()).collect();
            let variant_docs: Vec<String> = wires.iter().map(|w| format!(" `{w}`.")).collect();
            let other = ident(crate::ir::enum_fallback(variants).unwrap_or("Other"));
            let other_doc = format!(
                " Values this version does not know are kept in [`Self::{other}`], so a value Crisp"
            );
            quote! {
                #docs
                ///
                #[doc = #other_doc]
                /// adds later does not break decoding.
                #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
                #[non_exhaustive]
                #cfg
                pub enum #name {
                    #(#[doc = #variant_docs] #idents,)*
                    /// A value this version of the crate does not know.
                    #other(String),
                }

                #cfg

                impl #name {
                    /// Every value this version knows, in the order of the spec.
                    pub const KNOWN: &'static [#name] = &[#(#name::#idents),*];

                    /// The value as it travels on the wire.
                    pub fn as_str(&self) -> &str {
                        match self {
                            #(#name::#idents => #wires,)*
                            #name::#other(value) => value,
                        }
                    }
                }

                #cfg

                impl From<&str> for #name {
                    fn from(value: &str) -> Self {
                        match value {
                            #(#wires => #name::#idents,)*
                            other => #name::#other(other.to_owned()),
                        }
                    }
                }

                #cfg

                impl ::std::str::FromStr for #name {
                    type Err = ::std::convert::Infallible;

                    fn from_str(value: &str) -> Result<Self, Self::Err> {
                        Ok(#name::from(value))
                    }
                }

                #cfg

                impl ::std::fmt::Display for #name {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(self.as_str())
                    }
                }

                #cfg

                impl ::serde::Serialize for #name {
                    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                        serializer.serialize_str(self.as_str())
                    }
                }

                #cfg

                impl<'de> ::serde::Deserialize<'de> for #name {
                    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                        let value = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                        Ok(#name::from(value.as_str()))
                    }
                }
            }
        }
        TypeKind::OneOf {
            discriminator: None,
            variants,
        } => {
            let idents: Vec<_> = variants.iter().map(|v| ident(&v.name)).collect();
            let types: Vec<_> = variants
                .iter()
                .map(|v| rust_type(api, &v.ty, &root()))
                .collect();
            let variant_docs: Vec<String> = variants
                .iter()
                .map(|v| format!(" The `{}` shape.", v.name))
                .collect();
            quote! {
                #docs
                ///
                /// Decoding tries the shapes in order and keeps the first that fits.
                #[derive(Clone, Debug, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
                #[serde(untagged)]
                #[non_exhaustive]
                #cfg
                pub enum #name {
                    #(#[doc = #variant_docs] #idents(#types),)*
                }
            }
        }
        TypeKind::OneOf {
            discriminator: Some(property),
            variants,
        } => {
            let idents: Vec<_> = variants.iter().map(|v| ident(&v.name)).collect();
            let types: Vec<_> = variants
                .iter()
                .map(|v| rust_type(api, &v.ty, &root()))
                .collect();
            let tags: Vec<TokenStream> = variants
                .iter()
                .map(|v| {
                    let tags = &v.tags;
                    quote!(#(#tags)|*)
                })
                .collect();
            let variant_docs: Vec<String> = variants
                .iter()
                .map(|v| {
                    format!(
                        " `{property}` is {}.",
                        v.tags
                            .iter()
                            .map(|t| format!("`{t}`"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )
                })
                .collect();
            let fallback = crate::ir::one_of_fallback(variants).unwrap_or("Other");
            let property_doc = format!(
                " Variants are told apart by the `{property}` property; unknown values are kept in [`Self::{fallback}`]."
            );
            let fallback = ident(fallback);
            quote! {
                #docs
                ///
                #[doc = #property_doc]
                #[derive(Clone, Debug, PartialEq)]
                #[non_exhaustive]
                #cfg
                pub enum #name {
                    #(#[doc = #variant_docs] #idents(#types),)*
                    /// A variant this version of the crate does not know, kept as JSON.
                    #fallback(::serde_json::Value),
                }

                #cfg

                impl ::serde::Serialize for #name {
                    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                        match self {
                            #(#name::#idents(value) => ::serde::Serialize::serialize(value, serializer),)*
                            #name::#fallback(value) => ::serde::Serialize::serialize(value, serializer),
                        }
                    }
                }

                #cfg

                impl<'de> ::serde::Deserialize<'de> for #name {
                    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                        let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                        let tag = value.get(#property).and_then(::serde_json::Value::as_str).map(str::to_owned);
                        match tag.as_deref() {
                            #(Some(#tags) => ::crisp_runtime::from_value(value).map(#name::#idents),)*
                            Some(_) => Ok(#name::#fallback(value)),
                            None => Err(::serde::de::Error::missing_field(#property)),
                        }
                    }
                }
            }
        }
        TypeKind::Alias(target) => {
            let target = rust_type(api, target, &root());
            quote! {
                #docs
                #cfg
                pub type #name = #target;
            }
        }
    }
}

/// A struct, `#[non_exhaustive]` so that a field the spec adds later is not a breaking change:
/// users build it with `Default` when every field is optional, else with `new` taking the
/// required fields in spec order, and set optional fields afterwards (see the README's
/// "Compatibility policy", which `cargo xtask diff` follows).
fn struct_def(
    api: &Api,
    name: &proc_macro2::Ident,
    docs: &TokenStream,
    cfg: &TokenStream,
    fields: &[Field],
) -> TokenStream {
    let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
    let default = if required.is_empty() {
        quote!(Default,)
    } else {
        quote!()
    };
    let constructor = if required.is_empty() {
        quote!()
    } else {
        let args = required.iter().map(|field| {
            let arg = ident(&field.name.ident);
            let ty = field_type(api, field, &root());
            quote!(#arg: #ty)
        });
        let inits = fields.iter().map(|field| {
            let field_ident = ident(&field.name.ident);
            if field.required {
                quote!(#field_ident,)
            } else {
                quote!(#field_ident: ::std::default::Default::default(),)
            }
        });
        let order = required
            .iter()
            .map(|field| format!("`{}`", field.name.ident.trim_start_matches("r#")))
            .collect::<Vec<_>>()
            .join(", ");
        let doc = format!(
            " Builds one from its required fields, in this order: {order}. The optional ones start left out, to be set afterwards."
        );
        // Clippy's limit is seven arguments; the spec decides how many a struct requires.
        let allow = if required.len() > 7 {
            quote!(#[allow(clippy::too_many_arguments)])
        } else {
            quote!()
        };
        quote! {
            #cfg
            impl #name {
                #[doc = #doc]
                #allow
                pub fn new(#(#args),*) -> Self {
                    Self { #(#inits)* }
                }
            }
        }
    };
    let field_defs: Vec<TokenStream> = fields.iter().map(|field| field_def(api, field)).collect();
    let serde = serde_impls(api, name, cfg, fields);
    quote! {
        #docs
        #[derive(Clone, Debug, #default PartialEq)]
        #[non_exhaustive]
        #cfg
        pub struct #name {
            #(#field_defs)*
        }
        #constructor
        #serde
    }
}

/// The struct's `Serialize` and `Deserialize`: one `crisp_runtime::model_serde!` listing its
/// fields (index, name, type, wire name, kind), which expands to what
/// `#[derive(Serialize, Deserialize)]` with `skip_serializing_if` and `default` would accept
/// and write, in a fraction of the code to type-check (see `crisp_runtime::de`) and of the
/// tokens to format here.
fn serde_impls(
    api: &Api,
    name: &proc_macro2::Ident,
    cfg: &TokenStream,
    fields: &[Field],
) -> TokenStream {
    let entries = fields.iter().enumerate().map(|(index, field)| {
        let index = proc_macro2::Literal::usize_unsuffixed(index);
        let field_ident = ident(&field.name.ident);
        let ty = field_type(api, field, &root());
        let wire = &field.name.wire;
        let kind = match (field.required, field.nullable) {
            (true, _) => quote!(required),
            (false, false) => quote!(optional),
            (false, true) => quote!(patch),
        };
        quote!(#index #field_ident: #ty = #wire #kind)
    });
    quote! {
        #cfg
        ::crisp_runtime::model_serde! {
            #name { #(#entries,)* }
        }
    }
}

/// The Rust type of a field: `T`, `Option<T>` or `Patch<T>`, boxed when it closes a cycle.
pub fn field_type(api: &Api, field: &Field, root: &TokenStream) -> TokenStream {
    let mut ty = rust_type(api, &field.ty, root);
    if field.boxed {
        ty = quote!(Box<#ty>);
    }
    match (field.required, field.nullable) {
        (true, false) => ty,
        (true, true) | (false, false) => quote!(Option<#ty>),
        (false, true) => quote!(::crisp_runtime::Patch<#ty>),
    }
}

fn field_def(api: &Api, field: &Field) -> TokenStream {
    let Field {
        name,
        ty: _,
        required,
        nullable,
        boxed: _,
        description,
        pointer: _,
    } = field;
    let doc = description
        .clone()
        .unwrap_or_else(|| format!("The `{}` property.", name.wire));
    let note = match (required, nullable) {
        (true, true) => Some(" Always sent; `None` stands for `null`."),
        (false, true) => Some(
            " May be left out ([`Patch::Absent`](crate::Patch::Absent)), set to `null` ([`Patch::Null`](crate::Patch::Null)) or set to a value.",
        ),
        _ => None,
    };
    let mut docs = doc_lines(&doc);
    if let Some(note) = note {
        docs.extend(quote!(#[doc = ""] #[doc = #note]));
    }
    let ident = ident(&name.ident);
    let ty = field_type(api, field, &root());
    quote! {
        #docs
        pub #ident: #ty,
    }
}
