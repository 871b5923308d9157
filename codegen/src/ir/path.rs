//! Path templates (`/website/{website_id}/conversations/{page_number}`): parsing and rendering.

/// One piece of a path template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Text that is sent as is.
    Literal(String),
    /// A `{name}` placeholder.
    Param(String),
}

/// A parsed path template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathTemplate {
    /// The template as the spec writes it.
    pub raw: String,
    /// Its pieces in order.
    pub segments: Vec<Segment>,
}

impl PathTemplate {
    /// Parses a template; the error says what is wrong with it.
    ///
    /// Rejects `/a/{b` (unclosed), `/a/b}` (stray close), `/a/{}` (empty name) and
    /// `/a/{b}{c}` (two placeholders with no text between them, which cannot be split).
    pub fn parse(raw: &str) -> Result<PathTemplate, String> {
        if !raw.starts_with('/') {
            return Err(format!("path `{raw}` must start with `/`"));
        }
        let mut segments = Vec::new();
        let mut rest = raw;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                None => {
                    segments.push(Segment::Literal(rest.to_owned()));
                    rest = "";
                }
                Some(at) if rest.as_bytes()[at] == b'}' => {
                    return Err(format!("path `{raw}` has a `}}` without a matching `{{`"));
                }
                Some(at) => {
                    if at > 0 {
                        segments.push(Segment::Literal(rest[..at].to_owned()));
                    } else if matches!(segments.last(), Some(Segment::Param(_))) {
                        return Err(format!(
                            "path `{raw}` has two placeholders with nothing between them"
                        ));
                    }
                    let after = &rest[at + 1..];
                    let close = after
                        .find('}')
                        .ok_or_else(|| format!("path `{raw}` has a `{{` that is never closed"))?;
                    let name = &after[..close];
                    if name.is_empty() || name.contains(['{', '/']) {
                        return Err(format!(
                            "path `{raw}` has an invalid placeholder `{{{name}}}`"
                        ));
                    }
                    segments.push(Segment::Param(name.to_owned()));
                    rest = &after[close + 1..];
                }
            }
        }
        Ok(PathTemplate {
            raw: raw.to_owned(),
            segments,
        })
    }

    /// The template as a Rust format string, each placeholder a `{}` (the client fills them
    /// with the encoded parameters, in the order of [`params`](Self::params)). Literals hold
    /// no braces: [`parse`](Self::parse) refuses them.
    pub fn format_string(&self) -> String {
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => text.as_str(),
                Segment::Param(_) => "{}",
            })
            .collect()
    }

    /// The template as an axum route: `{name}` for a placeholder, and `{*name}` (which takes
    /// the rest of the path, slashes included) for those `multi_segment` says span segments.
    pub fn axum_route(&self, multi_segment: impl Fn(&str) -> bool) -> String {
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => text.clone(),
                Segment::Param(name) if multi_segment(name) => format!("{{*{name}}}"),
                Segment::Param(name) => format!("{{{name}}}"),
            })
            .collect()
    }

    /// The placeholder names in order.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Param(name) => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_format_string_for_the_client() {
        for (raw, format) in [
            ("/website/{website_id}", "/website/{}"),
            ("/a/{b}/c/{d}", "/a/{}/c/{}"),
            ("/plain/path", "/plain/path"),
            ("/x/{y}.json", "/x/{}.json"),
        ] {
            let path = PathTemplate::parse(raw).unwrap();
            assert_eq!(path.format_string(), format, "{raw}");
        }
    }

    #[test]
    fn renders_an_axum_route_for_the_server() {
        let path = PathTemplate::parse("/website/{website_id}/file/{path}").unwrap();
        assert_eq!(
            path.axum_route(|_| false),
            "/website/{website_id}/file/{path}"
        );
        assert_eq!(
            path.axum_route(|name| name == "path"),
            "/website/{website_id}/file/{*path}"
        );
    }

    #[test]
    fn parses_placeholders() {
        let path =
            PathTemplate::parse("/website/{website_id}/conversations/{page_number}").unwrap();
        assert_eq!(
            path.params().collect::<Vec<_>>(),
            ["website_id", "page_number"]
        );
        assert_eq!(path.segments.len(), 4);
        assert_eq!(path.segments[0], Segment::Literal("/website/".into()));
    }

    #[test]
    fn rejects_bad_templates() {
        for bad in ["website", "/a/{b", "/a/b}", "/a/{}", "/a/{b}{c}"] {
            assert!(
                PathTemplate::parse(bad).is_err(),
                "{bad} should be rejected"
            );
        }
    }
}
