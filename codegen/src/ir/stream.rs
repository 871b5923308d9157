//! Whether a paged operation (`x-crisp-pagination`) gets a `…_stream` form in the client, and
//! what it streams: decided here once, for the check that reports a paging that cannot work and
//! for the client emitter that writes the stream.

use super::{
    Api, IntType, Operation, Pagination, Param, ParamLocation, Response, TypeKind, TypeRef,
};

/// What a paged operation streams.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Page after page from 1 (`page_number`), until a page comes back empty.
    Pages {
        /// The type of one item of a page.
        item: TypeRef,
    },
    /// Going back in time with `timestamp_before`, from each page's oldest item.
    History {
        /// The type of one item of a page.
        item: TypeRef,
        /// The Rust name of the item's `timestamp` field, and whether it is always there.
        timestamp: (String, bool),
    },
}

/// Why an operation has no stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoStream {
    /// It does not page.
    NotPaged,
    /// It pages but answers no list (an object, or an answer that comes as an event): there
    /// is nothing to stream, and its docs say so.
    NoList,
    /// It pages and answers a list, but the paging cannot work as declared: a spec problem.
    Broken(String),
}

/// The stream of `op`, or why it has none.
pub fn stream(api: &Api, op: &Operation) -> Result<Stream, NoStream> {
    let Some(pagination) = op.docs.pagination else {
        return Err(NoStream::NotPaged);
    };
    let item = list_item(api, &op.response).ok_or(NoStream::NoList)?;
    match pagination {
        Pagination::PageNumber => {
            let param = find(op, "page_number").ok_or_else(|| {
                NoStream::Broken("it has no `page_number` parameter to page with".to_owned())
            })?;
            if !param.required || api.resolve(&param.ty) != &TypeRef::Int(IntType::U32) {
                return Err(NoStream::Broken(
                    "its `page_number` parameter is not a required `uint32` integer".to_owned(),
                ));
            }
            Ok(Stream::Pages { item })
        }
        Pagination::TimestampBefore => {
            let param = find(op, "timestamp_before").filter(|param| {
                param.location == ParamLocation::Query
                    && !param.required
                    && api.resolve(&param.ty) == &TypeRef::Int(IntType::U64)
            });
            if param.is_none() || op.options.is_none() {
                return Err(NoStream::Broken(
                    "it has no optional `timestamp_before` query parameter (a `uint64` integer) to page back with".to_owned(),
                ));
            }
            let timestamp = item_timestamp(api, &item).ok_or_else(|| {
                NoStream::Broken(
                    "its items have no `timestamp` (a `uint64` integer that is never `null`) to page back from".to_owned(),
                )
            })?;
            Ok(Stream::History { item, timestamp })
        }
    }
}

/// The parameter of `op` named `wire` on the wire.
fn find<'a>(op: &'a Operation, wire: &str) -> Option<&'a Param> {
    op.path_params
        .iter()
        .chain(&op.other_params)
        .find(|param| param.name.wire == wire)
}

/// The item type of a list answer.
fn list_item(api: &Api, response: &Response) -> Option<TypeRef> {
    let Response::Data(ty) = response else {
        return None;
    };
    match api.resolve(ty) {
        TypeRef::Array(item) => Some((**item).clone()),
        _ => None,
    }
}

/// The `timestamp` field of a history item: its Rust name and whether it is required.
fn item_timestamp(api: &Api, item: &TypeRef) -> Option<(String, bool)> {
    let TypeRef::Named(id) = item else {
        return None;
    };
    let TypeKind::Struct { fields } = &api.types[id.0].kind else {
        return None;
    };
    let field = fields.iter().find(|field| field.name.wire == "timestamp")?;
    if field.nullable || field.ty != TypeRef::Int(IntType::U64) {
        return None;
    }
    Some((field.name.ident.clone(), field.required))
}
