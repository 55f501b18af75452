//! The CloudFormation logical ids Serverless v3 gives functions and routes
//! (`lib/plugins/aws/lib/naming.js`). Two names with one id are one resource when
//! deployed, and CloudFormation rejects an id that is not all ASCII letters and digits.

/// `getLambdaLogicalId`: `-` becomes `Dash`, `_` `Underscore`, the first letter is
/// upper-cased (`normalizeName`), then `LambdaFunction`. `Err` holds the first
/// character of `function` that CloudFormation cannot take.
pub(crate) fn lambda_logical_id(function: &str) -> Result<String, char> {
    let normalized = replace(function, &[('-', "Dash"), ('_', "Underscore")])?;
    let mut chars = normalized.chars();
    let first: String = chars
        .next()
        .map(char::to_uppercase)
        .into_iter()
        .flatten()
        .collect();
    Ok(format!("{first}{}LambdaFunction", chars.as_str()))
}

/// `getWebsocketsRouteLogicalId`: `$` becomes `S`, `/` `Slash`, `-` `Dash`, `_`
/// `Underscore`, `.` `Period`, then `WebsocketsRoute` (no upper-casing). `Err` holds
/// the first character of `route` that CloudFormation cannot take.
pub(crate) fn route_logical_id(route: &str) -> Result<String, char> {
    let replacements = [
        ('$', "S"),
        ('/', "Slash"),
        ('-', "Dash"),
        ('_', "Underscore"),
        ('.', "Period"),
    ];
    Ok(format!("{}WebsocketsRoute", replace(route, &replacements)?))
}

fn replace(name: &str, replacements: &[(char, &str)]) -> Result<String, char> {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match replacements.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.push_str(to),
            None if c.is_ascii_alphanumeric() => out.push(c),
            None => return Err(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_ids_as_serverless_names_them() {
        assert_eq!(
            lambda_logical_id("sendMessage").as_deref(),
            Ok("SendMessageLambdaFunction")
        );
        assert_eq!(
            lambda_logical_id("SendMessage"),
            lambda_logical_id("sendMessage")
        );
        assert_eq!(
            lambda_logical_id("on-connect_2").as_deref(),
            Ok("OnDashconnectUnderscore2LambdaFunction")
        );
        assert_eq!(lambda_logical_id("a-b"), lambda_logical_id("aDashb"));
        assert_eq!(lambda_logical_id("on.connect"), Err('.'));
        assert_eq!(lambda_logical_id("é"), Err('é'));
    }

    #[test]
    fn route_ids_as_serverless_names_them() {
        assert_eq!(
            route_logical_id("$default").as_deref(),
            Ok("SdefaultWebsocketsRoute")
        );
        assert_eq!(route_logical_id("$default"), route_logical_id("Sdefault"));
        assert_eq!(
            route_logical_id("a/b-c_d.e").as_deref(),
            Ok("aSlashbDashcUnderscoredPeriodeWebsocketsRoute")
        );
        assert_eq!(route_logical_id("a-b"), route_logical_id("aDashb"));
        // No upper-casing: these two stay apart.
        assert_ne!(route_logical_id("send"), route_logical_id("Send"));
        assert_eq!(route_logical_id("send message"), Err(' '));
        assert_eq!(route_logical_id("chat:send"), Err(':'));
    }
}
