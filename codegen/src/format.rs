//! Tokens → source text: `syn` parses, `prettyplease` prints, and the generator's header goes on top.

use proc_macro2::TokenStream;

use crate::write::header;

/// Prints a Rust file with the generated-file header.
///
/// Tokens that do not parse are a bug in an emitter, not in the spec: the error names the file
/// so the emitter can be found.
pub fn rust_file(path: &str, tokens: TokenStream) -> Result<String, String> {
    let file: syn::File = syn::parse2(tokens)
        .map_err(|error| format!("generator bug: `{path}` does not parse: {error}"))?;
    let body = prettyplease::unparse(&file);
    Ok(format!("{}\n{}", header("//"), body))
}

/// Prints a TOML file with the generated-file header.
pub fn toml_file(body: &str) -> String {
    format!("{}\n{}\n", header("#"), body.trim())
}
