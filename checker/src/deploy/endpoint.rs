//! Reading the WebSocket endpoint from what Serverless Framework v3 prints.
//!
//! `serverless deploy` and `serverless info` print the service's outputs on
//! stdout: `endpoint: wss://…` when there is one endpoint, or an `endpoints:`
//! section of indented lines when there are several (a WebSocket API with HTTP
//! routes beside it, say). On a terminal the section names are styled.

/// The first `wss://` URL among the `endpoint:`/`endpoints:` outputs of
/// Serverless v3's `deploy` or `info` output, else the first one anywhere.
pub fn parse(output: &str) -> Option<String> {
    let text = anstream::adapter::strip_str(output).to_string();
    let mut in_endpoints = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("endpoint:") {
            if let Some(url) = wss_url(rest) {
                return Some(url);
            }
            in_endpoints = false;
        } else if trimmed == "endpoints:" {
            in_endpoints = true;
        } else if in_endpoints && line.starts_with(char::is_whitespace) {
            if let Some(url) = wss_url(trimmed) {
                return Some(url);
            }
        } else {
            in_endpoints = false;
        }
    }
    text.lines().find_map(wss_url)
}

/// The `wss://…` URL in `text`, up to the next space; a plain `ws://` one too
/// (AWS prints none, a local stand-in may).
fn wss_url(text: &str) -> Option<String> {
    let start = text.find("wss://").or_else(|| text.find("ws://"))?;
    let url: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | ',' | ')'))
        .collect();
    (!url.ends_with("://")).then_some(url)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// `serverless deploy --stage ada` of exercise 02 (v3.40, output piped: no colours).
    /// The progress lines go to stderr, the outputs to stdout; a capture of both
    /// interleaves them like this.
    const DEPLOY_ONE: &str = "
Deploying rust-ws-02-there-and-back-again to stage ada (eu-west-1)
Packaging
Retrieving CloudFormation stack
Uploading
Uploading CloudFormation file to S3
Uploading State file to S3
Uploading service ex02-on-connect.zip file to S3 (1.21 MB)
Uploading service ex02-on-message.zip file to S3 (1.24 MB)
Updating CloudFormation stack
Creating new change set
Waiting for new change set to be created
Change Set did not reach desired state, retrying
Executing created change set

✔ Service deployed to stack rust-ws-02-there-and-back-again-ada (68s)

endpoint: wss://abc123defg.execute-api.eu-west-1.amazonaws.com/ada
functions:
  onConnect: rust-ws-02-there-and-back-again-ada-onConnect (1.2 MB)
  onMessage: rust-ws-02-there-and-back-again-ada-onMessage (1.2 MB)

Want a better experience? Check out Serverless Dashboard: https://serverless.com/dashboard
";

    /// Several endpoints (a WebSocket API beside an HTTP API): an `endpoints:` section.
    const DEPLOY_MANY: &str = "
Deploying rust-websockets-workshop to stage dev (eu-west-1)

✔ Service deployed to stack rust-websockets-workshop-dev (112s)

endpoints:
  GET - https://q1w2e3r4t5.execute-api.eu-west-1.amazonaws.com/
  wss://abc123.execute-api.eu-west-1.amazonaws.com/dev
functions:
  onConnect: rust-websockets-workshop-dev-onConnect (1.2 MB)
  sendMessage: rust-websockets-workshop-dev-sendMessage (1.3 MB)
";

    /// `serverless info --stage ada`, on a terminal (styled section names).
    const INFO_STYLED: &str = "\u{1b}[90mservice:\u{1b}[39m rust-ws-05-chat-rooms
\u{1b}[90mstage:\u{1b}[39m ada
\u{1b}[90mregion:\u{1b}[39m eu-west-1
\u{1b}[90mstack:\u{1b}[39m rust-ws-05-chat-rooms-ada
\u{1b}[90mendpoint:\u{1b}[39m wss://zyx987.execute-api.eu-west-1.amazonaws.com/ada
\u{1b}[90mfunctions:\u{1b}[39m
  onConnect: rust-ws-05-chat-rooms-ada-onConnect
  onDisconnect: rust-ws-05-chat-rooms-ada-onDisconnect
  joinChat: rust-ws-05-chat-rooms-ada-joinChat
";

    /// A deploy that failed: no endpoint.
    const DEPLOY_FAILED: &str = "
Deploying rust-ws-02-there-and-back-again to stage ada (eu-west-1)

✖ Stack rust-ws-02-there-and-back-again-ada failed to deploy (42s)
Environment: linux, node 20.11.1, framework 3.40.0, plugin 7.2.3, SDK 4.5.1
Credentials: Local, environment variables
Docs:        docs.serverless.com
Support:     forum.serverless.com
Bugs:        github.com/serverless/serverless/issues

Error:
CREATE_FAILED: IamRoleLambdaExecution (AWS::IAM::Role)
1 validation error detected: Value 'rust-ws-02-there-and-back-again-maximilian-muste-eu-west-1-lambdaRole' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64
";

    #[test]
    fn one_endpoint_from_deploy() {
        assert_eq!(
            parse(DEPLOY_ONE).as_deref(),
            Some("wss://abc123defg.execute-api.eu-west-1.amazonaws.com/ada")
        );
    }

    #[test]
    fn the_websocket_one_among_several_endpoints() {
        assert_eq!(
            parse(DEPLOY_MANY).as_deref(),
            Some("wss://abc123.execute-api.eu-west-1.amazonaws.com/dev")
        );
    }

    #[test]
    fn styled_info_output() {
        assert_eq!(
            parse(INFO_STYLED).as_deref(),
            Some("wss://zyx987.execute-api.eu-west-1.amazonaws.com/ada")
        );
    }

    #[test]
    fn the_sample_of_the_brief() {
        assert_eq!(
            parse("endpoints:\n  wss://abc123.execute-api.eu-west-1.amazonaws.com/dev\n")
                .as_deref(),
            Some("wss://abc123.execute-api.eu-west-1.amazonaws.com/dev")
        );
    }

    #[test]
    fn no_endpoint_in_a_failed_deploy_or_an_http_only_one() {
        assert_eq!(parse(DEPLOY_FAILED), None);
        assert_eq!(
            parse("endpoint: GET - https://x.execute-api.eu-west-1.amazonaws.com/"),
            None
        );
        assert_eq!(parse(""), None);
        assert_eq!(parse("endpoint: wss://"), None);
        assert_eq!(
            parse("endpoint: ws://127.0.0.1:3001/dev").as_deref(),
            Some("ws://127.0.0.1:3001/dev")
        );
    }

    #[test]
    fn ansi_sequences_go() {
        // Serverless colours its output and prints OSC 8 links.
        let strip_ansi = |text| anstream::adapter::strip_str(text).to_string();
        assert_eq!(strip_ansi("\u{1b}[1;32m✔\u{1b}[0m done"), "✔ done");
        assert_eq!(
            strip_ansi("\u{1b}]8;;https://x\u{7}link\u{1b}]8;;\u{7}"),
            "link"
        );
    }
}
