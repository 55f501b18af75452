//! Slips the files show before anything runs, which would otherwise fail
//! without a cause in the report: a predefined route written without its
//! `$` (a custom route nobody takes), and a send whose future is dropped
//! (`let _ = ….send();`, which also silences the compiler's warning).

use std::path::Path;

use syn::visit::Visit;

use crate::stack::Stack;

/// Notes on the stack's routes: `default`, `connect` or `disconnect`
/// written without the `$` of the route API Gateway predefines.
pub(super) fn in_routes(stack: &Stack) -> Vec<String> {
    stack
        .routes
        .iter()
        .filter_map(|route| {
            let predefined = match route.key.to_ascii_lowercase().as_str() {
                "default" => "the route of every message no other route takes",
                "connect" => "the route API Gateway calls on each handshake",
                "disconnect" => "the route API Gateway calls once a connection has closed",
                _ => return None,
            };
            Some(format!(
                "{}: the route `{}` of function \"{}\" has no `$`, so it is a custom route, taken \
                 only by a message whose route selection expression ({}) gives \"{}\"; {predefined} \
                 is `${}`, with the `$`",
                route.at,
                route.key,
                route.function,
                stack.route_selection_expression,
                route.key,
                route.key.to_ascii_lowercase()
            ))
        })
        .collect()
}

/// Notes on the crate's source under `dir/src`: each `let _ = ….send();`
/// (or `_ = ….send();`), with its file and line. A binary under `src/bin/`
/// that is none of the stack's `binaries` is another program's, left out.
pub(super) fn in_source<'b>(
    dir: &Path,
    binaries: impl IntoIterator<Item = &'b str>,
) -> Vec<String> {
    let binaries: Vec<&str> = binaries.into_iter().collect();
    let others_binary = |path: &Path| {
        let Ok(inside) = path.strip_prefix(dir.join("src").join("bin")) else {
            return false;
        };
        // `src/bin/name.rs` or `src/bin/name/…`: the binary `name`.
        let name = inside
            .components()
            .next()
            .map(|first| {
                first
                    .as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned()
            })
            .unwrap_or_default();
        !binaries.contains(&name.as_str())
    };
    let mut notes = Vec::new();
    let sources = walkdir::WalkDir::new(dir.join("src"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "rs"))
        .filter(|entry| !others_binary(entry.path()));
    for entry in sources {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        // A file that does not parse is the compiler's to report.
        let Ok(file) = syn::parse_file(&text) else {
            continue;
        };
        let mut finder = DroppedSends::default();
        finder.visit_file(&file);
        let shown = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        for line in finder.lines {
            notes.push(format!(
                "{}:{line}: `let _ = ….send();` drops the request unsent: `send()` returns a \
                 future, which does nothing unless it is awaited, and `let _ =` also silences \
                 the compiler's warning (clippy's `let_underscore_future` names it); write \
                 `.send().await?;`",
                shown.display()
            ));
        }
    }
    notes
}

/// The lines of `let _ = ….send();` and `_ = ….send();` in a file.
#[derive(Default)]
struct DroppedSends {
    lines: Vec<usize>,
}

impl<'ast> Visit<'ast> for DroppedSends {
    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let (syn::Pat::Wild(_), Some(init)) = (&local.pat, &local.init)
            && is_send(&init.expr)
        {
            self.lines.push(local.let_token.span.start().line);
        }
        syn::visit::visit_local(self, local);
    }

    fn visit_expr_assign(&mut self, assign: &'ast syn::ExprAssign) {
        if let syn::Expr::Infer(underscore) = &*assign.left
            && is_send(&assign.right)
        {
            self.lines
                .push(underscore.underscore_token.span.start().line);
        }
        syn::visit::visit_expr_assign(self, assign);
    }
}

/// Whether `expr` is a call of `send()` (not awaited: `.await` is an
/// expression of its own).
fn is_send(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::MethodCall(call) => call.method == "send",
        syn::Expr::Paren(inner) => is_send(&inner.expr),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(source: &str) -> Vec<usize> {
        let mut finder = DroppedSends::default();
        finder.visit_file(&syn::parse_file(source).unwrap());
        finder.lines
    }

    #[test]
    fn a_dropped_send_is_found_and_an_awaited_one_is_not() {
        let source = "async fn f(client: Client) -> Result<(), Error> {
    let _ = client.post_to_connection().send();
    _ = client
        .post_to_connection()
        .send();
    let _ = client.post_to_connection().send().await;
    client.post_to_connection().send().await?;
    let _kept = client.post_to_connection().send();
    Ok(())
}
";
        assert_eq!(lines(source), [2, 3]);
    }
}
