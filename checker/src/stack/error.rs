//! Everything that can be wrong with a serverless.yml, each said the way a
//! learner can act on: where (`file:line:column`), what, and what to write instead.

use std::fmt;
use std::path::PathBuf;

use super::yaml::Pos;

/// What one problem is and where: the innermost node it is at, and a
/// sentence that the caller puts in a [`StackErrorKind`] with its context.
pub(crate) type Problem = (Pos, String);

/// A place in a file, shown as `file:line:column` (the form editors and terminals link).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: u64,
    pub column: u64,
}

impl Location {
    pub(crate) fn new(file: impl Into<PathBuf>, pos: Pos) -> Location {
        Location {
            file: file.into(),
            line: pos.line,
            column: pos.column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A character as a message shows it: `.` in backticks, but a blank as words.
pub(crate) fn shown(character: &char) -> String {
    match character {
        ' ' => "a space".to_owned(),
        c if c.is_whitespace() || c.is_control() => format!("the character {c:?}"),
        c => format!("`{c}`"),
    }
}

/// Why a serverless.yml cannot be loaded; see [`StackErrorKind`] for the cases.
/// Boxed, so that the `Result`s on the way stay small.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StackError(Box<StackErrorKind>);

impl StackError {
    pub fn kind(&self) -> &StackErrorKind {
        &self.0
    }
}

impl From<StackErrorKind> for StackError {
    fn from(kind: StackErrorKind) -> StackError {
        StackError(Box::new(kind))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StackErrorKind {
    #[error(
        "{}: cannot read this file ({cause}); check the path: it should name the serverless.yml \
         of an exercise, e.g. `exercises/01-connect/serverless.yml`",
        file.display()
    )]
    Read {
        file: PathBuf,
        cause: std::io::Error,
    },

    #[error(
        "{at}: this is not valid YAML: {message}. Fix the YAML at that spot: indent with spaces \
         (not tabs), put a space after each `key:`, and close every quote and bracket"
    )]
    Yaml { at: Location, message: String },

    #[error("{at}: `{field}` is missing; add {example}")]
    Missing {
        at: Location,
        field: String,
        example: String,
    },

    #[error("{at}: `{field}` must be {expected}, but it is {found}; write it like {example}")]
    WrongType {
        at: Location,
        field: String,
        expected: &'static str,
        found: String,
        example: String,
    },

    #[error(
        "{at}: function \"{function}\" has no package.artifact; add \
         `package: {{ artifact: target/lambda/<binary>.zip }}` naming the cargo binary of this \
         function"
    )]
    NoArtifact { at: Location, function: String },

    #[error(
        "{at}: the artifact `{artifact}` of function \"{function}\" does not end in `.zip`; \
         Lambda takes a zip file: write `target/lambda/<binary>.zip`, where <binary> is the \
         cargo binary of this function"
    )]
    ArtifactNotZip {
        at: Location,
        function: String,
        artifact: String,
    },

    #[error(
        "{at}: functions \"{function}\" (`{artifact}`) and \"{other_function}\" \
         (`{other_artifact}`, at {other_at}) use two different artifacts with the same file \
         name `{file_name}`; Serverless v3 uploads artifacts by file name only, so one would \
         replace the other (serverless/serverless#5939): give each binary a zip of its own, \
         named after it, e.g. `target/lambda/<binary>.zip`"
    )]
    ArtifactNameClash {
        at: Location,
        function: String,
        artifact: String,
        other_at: Location,
        other_function: String,
        other_artifact: String,
        file_name: String,
    },

    #[error(
        "{at}: the websocket event of function \"{function}\" {problem}; write either \
         `- websocket: $default` or \
         `- websocket: {{ route: sendMessage, routeResponseSelectionExpression: $default }}`"
    )]
    RouteForm {
        at: Location,
        function: String,
        problem: String,
    },

    #[error(
        "{at}: `{property}:` sits directly under `functions:`, where each key is a function's \
         name, so it reads as a function called \"{property}\"; {fix}"
    )]
    MisindentedProperty {
        at: Location,
        property: String,
        fix: String,
    },

    #[error(
        "{at}: `{property}:` sits under `package:` of function \"{function}\", where Serverless \
         ignores it with only a warning, so the function would have no {property} (on AWS as \
         here); it belongs beside `package:`: move `{property}:` and the lines under it {more} \
         space(s) to the left, so that it starts in column {column}, under `package:`"
    )]
    PropertyUnderPackage {
        at: Location,
        function: String,
        property: String,
        more: u64,
        column: u64,
    },

    #[error(
        "{at}: the websocket event of function \"{function}\" names no route, so it points \
         nowhere; write the route key after `websocket:`, e.g. `- websocket: $default`"
    )]
    RouteMissing { at: Location, function: String },

    #[error(
        "{at}: the websocket event of function \"{function}\" has an empty route key; write a \
         route such as `$connect`, `$disconnect`, `$default` or a custom one like `sendMessage`"
    )]
    RouteEmpty { at: Location, function: String },

    #[error(
        "{at}: route `{route}` of function \"{function}\" starts with `$`, but the only `$` \
         routes are `$connect`, `$disconnect` and `$default`; fix the spelling, or drop the `$` \
         for a custom route"
    )]
    RouteReserved {
        at: Location,
        function: String,
        route: String,
    },

    #[error(
        "{at}: route `{route}` is bound twice: to function \"{function}\" here and to function \
         \"{first_function}\" at {first_at}; a route calls exactly one function, so remove one \
         of the two events"
    )]
    RouteTwice {
        at: Location,
        route: String,
        function: String,
        first_at: Location,
        first_function: String,
    },

    #[error(
        "{at}: route `{route}` of function \"{function}\" and route `{first_route}` of function \
         \"{first_function}\" (at {first_at}) become one route when deployed: Serverless names \
         both the CloudFormation resource `{logical_id}` (writing `$` as `S`, `/` as `Slash`, \
         `-` as `Dash`, `_` as `Underscore` and `.` as `Period`), and the later one wins, so AWS \
         would have route `{route}` only; rename one of the two routes"
    )]
    RouteLogicalIdClash {
        at: Location,
        route: String,
        function: String,
        first_at: Location,
        first_route: String,
        first_function: String,
        logical_id: String,
    },

    #[error(
        "{at}: route `{route}` of function \"{function}\" has {}; Serverless names \
         the route's CloudFormation resource after its key, CloudFormation takes only letters \
         and digits there (Serverless turns `$ / - _ .` into words), so the deploy fails: use \
         only letters, digits and `$ / - _ .` in route keys, e.g. `sendMessage`",
        shown(.character)
    )]
    RouteCharacter {
        at: Location,
        route: String,
        function: String,
        character: char,
    },

    #[error(
        "{at}: routeResponseSelectionExpression of route `{route}` (function \"{function}\") is \
         {found}; Serverless only \
         warns about that and passes it on, but API Gateway supports only `$default` for \
         WebSocket route responses (AWS: \"currently only the $default key is supported\"), so \
         the checker cannot tell what AWS would do with it; write \
         `routeResponseSelectionExpression: $default` to send the function's response back to \
         the client, or remove the key for a one-way route"
    )]
    ResponseSelection {
        at: Location,
        route: String,
        function: String,
        found: String,
    },

    #[error(
        "{at}: function key \"{function}\" has {}; Serverless names the function's \
         CloudFormation resources after its key, CloudFormation takes only letters and digits \
         there (Serverless turns `-` and `_` into `Dash` and `Underscore`), so the deploy fails: \
         rename the function with letters, digits, `-` and `_` only, e.g. `onMessage`",
        shown(.character)
    )]
    FunctionKey {
        at: Location,
        function: String,
        character: char,
    },

    #[error(
        "{at}: functions \"{function}\" (here) and \"{other_function}\" (at {other_at}) become \
         one Lambda when deployed: Serverless names both the CloudFormation resource \
         `{logical_id}` (the key with its first letter upper-cased, `-` as `Dash` and `_` as \
         `Underscore`), and the later one, \"{function}\", replaces the other, so the routes of \
         \"{other_function}\" would run its code; rename one of the two functions"
    )]
    FunctionLogicalIdClash {
        at: Location,
        function: String,
        other_at: Location,
        other_function: String,
        logical_id: String,
    },

    #[error(
        "{at}: function \"{function}\" would be deployed as the Lambda `{deployed_name}`, but \
         {problem}, so the deploy fails; {advice}"
    )]
    DeployedName {
        at: Location,
        function: String,
        deployed_name: String,
        problem: String,
        advice: String,
    },

    #[error(
        "{at}: functions \"{function}\" and \"{other_function}\" (at {other_at}) would both be \
         deployed as the Lambda `{deployed_name}`; Lambda names are unique in an account and \
         region, so the deploy fails: give one of them another `name:` (or remove its `name:` \
         for the default `<service>-<stage>-<function>`)"
    )]
    DeployedNameTwice {
        at: Location,
        function: String,
        other_at: Location,
        other_function: String,
        deployed_name: String,
    },

    #[error(
        "{at}: the timeout {whose} is {found}, but it must be a whole number of seconds from 1 \
         to 900 (CloudFormation refuses anything else on deploy); write e.g. `timeout: 6`"
    )]
    Timeout {
        at: Location,
        whose: String,
        found: String,
    },

    #[error(
        "{at}: memorySize {whose} is {found}, but Lambda takes a whole number of MB from 128 to \
         10240; write e.g. `memorySize: 1024`"
    )]
    MemorySize {
        at: Location,
        whose: String,
        found: String,
    },

    #[error(
        "{at}: architecture is {found}, but Lambda only knows `x86_64` and `arm64`; write \
         `architecture: arm64` (what `cargo lambda build --arm64` builds) or `x86_64`"
    )]
    Architecture { at: Location, found: String },

    #[error("{at}: environment variable `{name}` {problem}")]
    Intrinsic {
        at: Location,
        name: String,
        problem: String,
    },

    #[error("{at}: {problem}")]
    Iam { at: Location, problem: String },

    #[error("{at}: the authorizer of function \"{function}\"'s websocket event {problem}")]
    Authorizer {
        at: Location,
        function: String,
        problem: String,
    },

    #[error("{at}: the DynamoDB table `{resource}` {problem}")]
    Table {
        at: Location,
        resource: String,
        problem: String,
    },

    #[error("{at}: `{variable}` has no value: {reason}; {advice}")]
    VariableUnresolved {
        at: Location,
        variable: String,
        reason: String,
        advice: String,
    },

    #[error(
        "{at}: `{variable}` uses the variable source `{kind}`, which the checker does not know; \
         it resolves `self:`, `opt:`, `sls:`, `env:`, `aws:` and `file(...)`, so use one of those, e.g. \
         `${{env:NAME, 'default'}}`"
    )]
    VariableSource {
        at: Location,
        variable: String,
        kind: String,
    },

    #[error("{at}: `{variable}` cannot be resolved here: {reason}")]
    VariableUnsupported {
        at: Location,
        variable: String,
        reason: String,
    },

    #[error(
        "{at}: `{variable}` reads `{path}`, which does not exist (looked for {}); create that \
         file or fix the path, which is relative to the folder of serverless.yml",
        resolved.display()
    )]
    FileMissing {
        at: Location,
        variable: String,
        path: String,
        resolved: PathBuf,
    },

    #[error("{at}: `{variable}` cannot read {}: {cause}", path.display())]
    FileRead {
        at: Location,
        variable: String,
        path: PathBuf,
        cause: std::io::Error,
    },

    #[error(
        "{parsed_at}: cannot parse this file, which `{variable}` reads at {at}: {message}; fix \
         its syntax"
    )]
    FileParse {
        parsed_at: Location,
        at: Location,
        variable: String,
        message: String,
    },

    #[error(
        "{at}: these variables refer back to themselves in a loop: {chain}; replace one of them \
         with a plain value"
    )]
    VariableCycle { at: Location, chain: String },

    #[error("{at}: cannot read the variable in `{text}`: {problem}")]
    VariableSyntax {
        at: Location,
        text: String,
        problem: String,
    },

    #[error(
        "{at}: `{variable}` gives {found}, which cannot be part of the text `{text}`; only text, \
         numbers and true/false mix into a string, so make `{variable}` the whole value or \
         point it at a plain value"
    )]
    VariableNotText {
        at: Location,
        variable: String,
        found: String,
        text: String,
    },
}

/// As it is shown: `file:line:column`.
impl serde::Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
