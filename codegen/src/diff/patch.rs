//! JSON Patch over YAML, the form of the diff's fixture edits.

/// Applies a JSON Patch (RFC 6902: `add`, `remove` and `replace`; `-` appends to a list) to a
/// YAML document. The diff's fixture pairs are written this way: a base spec and, per case,
/// the edit that makes the new one.
pub fn apply_patch(doc: &mut serde_yaml::Value, patch: &serde_yaml::Value) -> Result<(), String> {
    use serde_yaml::Value;
    let ops = patch
        .as_sequence()
        .ok_or("a patch is a list of operations")?;
    for op in ops {
        let kind = op["op"].as_str().ok_or("an operation without `op`")?;
        let path = op["path"].as_str().ok_or("an operation without `path`")?;
        let (parent, last) = path
            .rsplit_once('/')
            .ok_or_else(|| format!("`{path}` is not a pointer below the root"))?;
        let unescape = |token: &str| token.replace("~1", "/").replace("~0", "~");
        let index = |token: &str| {
            token
                .parse::<usize>()
                .map_err(|_| format!("{path}: `{token}` is not an index"))
        };
        let mut node = &mut *doc;
        for token in parent.split('/').skip(1) {
            let token = unescape(token);
            node = match node {
                Value::Sequence(items) => {
                    let at = index(&token)?;
                    items
                        .get_mut(at)
                        .ok_or_else(|| format!("{path}: no item {at}"))?
                }
                Value::Mapping(map) => map
                    .get_mut(token.as_str())
                    .ok_or_else(|| format!("{path}: no `{token}`"))?,
                _ => return Err(format!("{path}: `{token}` is not in a list or a map")),
            };
        }
        let last = unescape(last);
        let value = || op["value"].clone();
        match (kind, node) {
            ("add", Value::Sequence(items)) if last == "-" => items.push(value()),
            ("add", Value::Sequence(items)) => {
                let at = index(&last)?;
                if at > items.len() {
                    return Err(format!("{path}: no item {at}"));
                }
                items.insert(at, value());
            }
            ("remove" | "replace", Value::Sequence(items)) => {
                let at = index(&last)?;
                if at >= items.len() {
                    return Err(format!("{path}: no item {at}"));
                }
                if kind == "remove" {
                    items.remove(at);
                } else {
                    items[at] = value();
                }
            }
            ("add", Value::Mapping(map)) => {
                map.insert(Value::String(last), value());
            }
            ("remove", Value::Mapping(map)) => {
                map.remove(last.as_str())
                    .ok_or_else(|| format!("{path}: nothing to remove"))?;
            }
            ("replace", Value::Mapping(map)) => {
                *map.get_mut(last.as_str())
                    .ok_or_else(|| format!("{path}: nothing to replace"))? = value();
            }
            (kind, _) => return Err(format!("{path}: cannot `{kind}` there")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::apply_patch;

    #[test]
    fn json_patches_add_remove_and_replace() {
        let mut doc: serde_yaml::Value =
            serde_yaml::from_str("a: {b~c: [1, 2]}\nd/e: x\n").unwrap();
        let patch: serde_yaml::Value = serde_yaml::from_str(
            "- {op: add, path: /a/b~0c/-, value: 3}\n- {op: add, path: /a/b~0c/0, value: 0}\n- {op: remove, path: /a/b~0c/1}\n- {op: replace, path: /d~1e, value: y}\n- {op: add, path: /f, value: {g: 1}}\n",
        )
        .unwrap();
        apply_patch(&mut doc, &patch).unwrap();
        let want: serde_yaml::Value =
            serde_yaml::from_str("a: {b~c: [0, 2, 3]}\nd/e: y\nf: {g: 1}\n").unwrap();
        assert_eq!(doc, want);
        for bad in [
            "- {op: remove, path: /nope}",
            "- {op: add, path: /a/b~0c/9, value: 1}",
            "- {op: move, path: /a}",
            "- {op: add, path: '', value: 1}",
        ] {
            let patch: serde_yaml::Value = serde_yaml::from_str(bad).unwrap();
            assert!(apply_patch(&mut doc.clone(), &patch).is_err(), "{bad}");
        }
    }
}
