//! The local copy of an API Gateway WebSocket API and its Lambdas: one port
//! that serves WebSocket clients, the `@connections` management API (plain
//! and TLS), the stack's DynamoDB tables and the console, and, per function,
//! child processes behind the Lambda Runtime API.
//!
//! A message's path through the modules; each calls the next, none calls
//! back up:
//!
//! ```text
//! a client's text frame
//!  → server                the one port: TLS or plain by the first byte, then by path
//!  → gateway::connection   the connection's loop reads it (gateway::socket: limits, close codes)
//!  → gateway::message      route selection (routing) picks its route, else $default
//!  → gateway::invoke       the route's function with the Lambda's event (gateway::lambda_event)
//!  → lambda                FunctionPool → dispatch → worker → process
//!  → lambda::runtime_api   the child process takes it (/next, thawed: lambda::sandbox), answers
//!  ← gateway::message      a two-way reply or an error frame, queued on the connection (connections)
//!
//! the Lambda's own calls come back to the port:
//!  → server → management   @connections: its signer read once (lambda::callers, sigv4), its role
//!                          checked (iam), the frame queued on the connection (connections)
//!           → dynamodb     the same checks, then the tables
//!           → regional     the SDK's regional endpoint, refused as AWS refuses it
//!  ← gateway::connection   its writer sends the queued frames in order (gateway::socket)
//! ```
//!
//! A connection's own life (the handshake, `$connect`, that loop, and one
//! finish with `$disconnect`) is `gateway/connection.rs`. Every HTTP answer
//! is shaped by `response`; every step reports on `events`, the one stream
//! the console, `serve`'s log and the transcripts read. What a step needs is
//! handed down to it: the gateway's `WebSocketApi` (routes, connections) to
//! the gateway and `@connections`, the `Services` (DynamoDB, IAM, callers,
//! events) to the AWS services. A scenario reads and arranges the emulator
//! through [`Probe`]. `SHAPE_UNDER=emulator cargo test -p checker --test shape
//! -- --ignored --nocapture module_graph` prints the module graph.

mod body;
mod connections;
mod console;
mod dynamodb;
pub mod events;
mod gateway;
mod iam;
mod invoke_error;
mod lambda;
mod listener;
mod management;
mod probe;
mod regional;
mod routing;
mod server;
mod services;
mod sigv4;
mod tls;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

// The crate's: the class server answers through the same `response`.
use crate::stack::Stack;
use crate::{ids, response};
use console::Console;
use dynamodb::tables::Tables;
use events::EventBus;
use gateway::{ConnectAuthorizer, RouteTarget, WebSocketApi};
use lambda::callers::Callers;
use lambda::{FunctionPool, FunctionSpec};
use routing::RouteSelection;
use server::Server;
use services::Services;

pub use dynamodb::{DynamoError, TableDump};
pub use invoke_error::InvokeError;
pub use probe::Probe;

/// What can be tuned per run; tests shorten the lifetimes.
#[derive(Debug, Clone)]
pub struct Settings {
    /// 0 picks a free port.
    pub port: u16,
    pub idle_timeout: Duration,
    pub max_lifetime: Duration,
    /// Processes one function may run at once.
    pub max_concurrency: usize,
    /// How long a new connection may take to send its first byte, to finish
    /// TLS, and to send each request's head; also how long a keep-alive
    /// connection may sit idle between requests.
    pub header_timeout: Duration,
    /// How long a request's body may take to arrive.
    pub body_timeout: Duration,
    /// How long a frame may wait to be written to a client that reads
    /// nothing before the connection is dropped as vanished.
    pub write_timeout: Duration,
    /// Connections that may wait for their first request at once; past it
    /// those waiting longest are closed once they have waited a tenth of
    /// `header_timeout`, and past four times it new ones are answered 429.
    /// The Runtime API ports keep the same bound.
    pub max_pending_connections: usize,
    /// An external DynamoDB-compatible endpoint for the Lambdas (DynamoDB
    /// Local, LocalStack…); then the emulator creates no tables of its own.
    pub dynamodb_endpoint: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            port: 3001,
            idle_timeout: Duration::from_secs(10 * 60),
            max_lifetime: Duration::from_secs(2 * 60 * 60),
            max_concurrency: lambda::DEFAULT_MAX_CONCURRENCY,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            max_pending_connections: 256,
            dynamodb_endpoint: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error(
        "port {port} is already in use ({source}). Stop the program that holds it, or pass `--port 0` to pick a free port."
    )]
    PortInUse { port: u16, source: std::io::Error },
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("cannot set up the local TLS certificate: {0}")]
    Tls(String),
    #[error(
        "function \"{function}\" has no built binary \"{binary}\". Check that a cargo binary target with that name exists (its artifact path names it)."
    )]
    MissingBinary { function: String, binary: String },
}

pub struct Emulator {
    api: Arc<WebSocketApi>,
    services: Arc<Services>,
    tables: Arc<Tables>,
    tls: tls::LocalTls,
    address: SocketAddr,
    pools: Vec<Arc<FunctionPool>>,
    server: JoinHandle<()>,
}

impl Emulator {
    /// Binds the port, starts one warm process per function and serves.
    /// `binaries` maps each cargo binary name to its built executable.
    pub async fn start(
        stack: &Stack,
        binaries: &BTreeMap<String, PathBuf>,
        settings: Settings,
    ) -> Result<Self, EmulatorError> {
        let listener = bind(settings.port).await?;
        let address = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                port: settings.port,
                source,
            })?;
        let tls =
            tls::LocalTls::generate().map_err(|error| EmulatorError::Tls(error.to_string()))?;
        let domain_name = address.to_string();
        let environment = emulator_environment(
            &domain_name,
            &tls.ca_file,
            settings.dynamodb_endpoint.as_deref(),
        );
        let tables = Arc::new(match settings.dynamodb_endpoint {
            Some(_) => Tables::default(),
            None => Tables::new(&stack.tables, &stack.region),
        });
        let services = Arc::new(Services {
            region: stack.region.clone(),
            iam: iam::Iam::new(stack),
            callers: Arc::new(Callers::default()),
            events: Arc::new(EventBus::default()),
            body_timeout: settings.body_timeout,
        });
        let pools = start_functions(stack, binaries, &environment, &services, &settings)?;
        let api = Arc::new(WebSocketApi {
            stage: stack.stage.clone(),
            region: stack.region.clone(),
            api_id: ids::api_id(),
            domain_name,
            route_selection: RouteSelection::parse(&stack.route_selection_expression),
            routes: routes(stack, &pools),
            connections: connections::Connections::default(),
            events: services.events.clone(),
            idle_timeout: settings.idle_timeout,
            max_lifetime: settings.max_lifetime,
            write_timeout: settings.write_timeout,
        });
        let server = Server {
            api: api.clone(),
            services: services.clone(),
            tables: tables.clone(),
            console: Console {
                stack: Arc::new(stack.reading()),
                functions: pools.clone(),
                services: services.clone(),
                tables: tables.clone(),
                feeds: Default::default(),
                api: api.clone(),
            },
            tls: tls.acceptor.clone(),
            header_timeout: settings.header_timeout,
            max_pending_connections: settings.max_pending_connections,
        };
        let server = tokio::spawn(server::serve(listener, Arc::new(server)));
        Ok(Self {
            api,
            services,
            tables,
            tls,
            address,
            pools: pools.into_values().collect(),
            server,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The URL clients connect to: `ws://127.0.0.1:{port}/{stage}`.
    pub fn websocket_url(&self) -> String {
        format!("ws://{}/{}", self.address, self.api.stage)
    }

    /// The live console's page: `http://127.0.0.1:{port}/@console/`.
    pub fn console_url(&self) -> String {
        format!("http://{}{}", self.address, console::PATH)
    }

    pub fn events(&self) -> &EventBus {
        &self.services.events
    }

    /// What a local run may read and arrange: events, tables, a throttled management API.
    pub fn probe(&self) -> Probe {
        Probe::new(self.api.clone(), self.services.clone(), self.tables.clone())
    }

    /// The PEM bundle that makes the emulator's TLS certificate trusted.
    pub fn ca_file(&self) -> &Path {
        &self.tls.ca_file
    }

    /// Stops serving and kills every Lambda process; returns once they are gone.
    pub async fn shutdown(self) {
        self.server.abort();
        let _ = self.server.await;
        for pool in &self.pools {
            pool.shutdown().await;
        }
        // The console's feeds hold subscriptions: they end here.
        self.services.events.close();
    }
}

/// One pool per function, each with a warm process, by its name in
/// `serverless.yml`; `environment` is what the emulator adds to each.
fn start_functions(
    stack: &Stack,
    binaries: &BTreeMap<String, PathBuf>,
    environment: &BTreeMap<String, String>,
    services: &Services,
    settings: &Settings,
) -> Result<HashMap<String, Arc<FunctionPool>>, EmulatorError> {
    let mut pools = HashMap::new();
    for function in &stack.functions {
        let binary =
            binaries
                .get(&function.binary)
                .ok_or_else(|| EmulatorError::MissingBinary {
                    function: function.name.clone(),
                    binary: function.binary.clone(),
                })?;
        let mut environment = environment.clone();
        environment.extend(function.environment.clone());
        let spec = FunctionSpec {
            name: function.name.clone(),
            deployed_name: function.deployed_name.clone(),
            binary: binary.clone(),
            timeout: function.timeout,
            memory_size: function.memory_size,
            region: stack.region.clone(),
            environment,
            listen: listener::PortLimits {
                header_timeout: settings.header_timeout,
                max_pending: settings.max_pending_connections,
            },
        };
        let pool = FunctionPool::start(
            spec,
            services.events.clone(),
            services.callers.clone(),
            settings.max_concurrency,
        );
        pools.insert(function.name.clone(), Arc::new(pool));
    }
    Ok(pools)
}

/// The stack's routes, by key, each to its function's pool.
fn routes(
    stack: &Stack,
    pools: &HashMap<String, Arc<FunctionPool>>,
) -> HashMap<String, RouteTarget> {
    stack
        .routes
        .iter()
        .filter_map(|route| {
            let function = pools.get(&route.function)?.clone();
            let authorizer =
                route.authorizer.as_ref().map(|authorizer| {
                    ConnectAuthorizer {
                function: pools
                    .get(&authorizer.function)
                    .expect(
                        "start_functions starts a pool for every function, the authorizer's too",
                    )
                    .clone(),
                identity_sources: authorizer.identity_sources.clone(),
            }
                });
            let target = RouteTarget {
                function,
                two_way: route.two_way,
                authorizer,
            };
            Some((route.key.clone(), target))
        })
        .collect()
}

/// A fresh connection id in API Gateway's style (`R1kmxc2VNjMCFIA=`), for
/// ids of connections that never existed, such as a stale one in a table.
pub fn new_connection_id() -> String {
    ids::connection_id()
}

async fn bind(port: u16) -> Result<TcpListener, EmulatorError> {
    TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => EmulatorError::PortInUse { port, source },
            _ => EmulatorError::Bind { port, source },
        })
}

/// What the emulator adds to every function's environment. Nothing points
/// the `@connections` client anywhere: on AWS nothing does, and a client built
/// from the environment alone goes to the SDK's regional endpoint, where every
/// call fails. `AWS_ENDPOINT_URL` keeps such calls on this machine: it sends
/// every service without an endpoint of its own to [`regional::PATH`], which
/// answers as that endpoint would and reports the call. DynamoDB's own variable
/// stands for DynamoDB's regional endpoint, which the emulator's tables serve.
fn emulator_environment(
    domain_name: &str,
    ca_file: &Path,
    dynamodb_endpoint: Option<&str>,
) -> BTreeMap<String, String> {
    let dynamodb_endpoint =
        dynamodb_endpoint.map_or_else(|| format!("http://{domain_name}"), str::to_owned);
    BTreeMap::from([
        (
            "AWS_ENDPOINT_URL".to_owned(),
            format!("http://{domain_name}/{}", regional::PATH),
        ),
        ("AWS_ENDPOINT_URL_DYNAMODB".to_owned(), dynamodb_endpoint),
        ("SSL_CERT_FILE".to_owned(), ca_file.display().to_string()),
    ])
}
