//! The local copy of an API Gateway WebSocket API and its Lambdas: one port
//! that serves WebSocket clients, the `@connections` management API (plain
//! and TLS) and the stack's DynamoDB tables and, per function, child
//! processes behind the Lambda Runtime API.

mod body;
mod callers;
mod connections;
mod console;
mod dynamodb;
pub mod events;
mod gateway;
mod hooks;
mod iam;
mod ids;
pub mod lambda;
mod management;
mod regional;
mod routing;
mod server;
mod tls;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::stack::Stack;
use callers::Callers;
use connections::Connections;
use events::EventBus;
use lambda::{FunctionPool, FunctionSpec};
use routing::RouteSelection;

pub use dynamodb::{DynamoError, TableDump};
pub use hooks::LocalHooks;

/// API Gateway's quotas for WebSocket APIs.
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;
pub const MAX_FRAME_BYTES: usize = 32 * 1024;

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
    /// the one waiting longest is closed.
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

pub(crate) struct Route {
    pub(crate) function: Arc<FunctionPool>,
    pub(crate) two_way: bool,
}

/// Everything the request handlers share.
pub(crate) struct Shared {
    pub(crate) stage: String,
    /// The stack's region: the one in every ARN.
    pub(crate) region: String,
    pub(crate) api_id: String,
    /// `127.0.0.1:{port}`, what Lambdas see as `requestContext.domainName`.
    pub(crate) domain_name: String,
    pub(crate) route_selection: RouteSelection,
    pub(crate) routes: HashMap<String, Route>,
    /// Every function by its name in `serverless.yml` (the console replays through them).
    pub(crate) functions: HashMap<String, Arc<FunctionPool>>,
    /// The stack as `checker stack --json` prints it, for the console.
    pub(crate) stack: serde_json::Value,
    pub(crate) callers: Arc<Callers>,
    pub(crate) connections: Connections,
    pub(crate) dynamodb: dynamodb::Tables,
    pub(crate) events: Arc<EventBus>,
    /// Who calls and what its role allows.
    pub(crate) iam: Arc<iam::Iam>,
    pub(crate) settings: Settings,
    pub(crate) tls: tls::LocalTls,
}

pub struct Emulator {
    shared: Arc<Shared>,
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
        let tables = match settings.dynamodb_endpoint {
            Some(_) => dynamodb::Tables::default(),
            None => dynamodb::Tables::new(&stack.tables, &stack.region),
        };
        let listener = bind(settings.port).await?;
        let address = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                port: settings.port,
                source,
            })?;
        let tls = tls::LocalTls::generate()?;
        let domain_name = address.to_string();
        let dynamodb_endpoint = settings
            .dynamodb_endpoint
            .clone()
            .unwrap_or_else(|| format!("http://{domain_name}"));
        let events = Arc::new(EventBus::default());
        let callers = Arc::new(Callers::default());
        let iam = Arc::new(iam::Iam::new(stack));

        let mut pools = HashMap::new();
        for function in &stack.functions {
            let binary =
                binaries
                    .get(&function.binary)
                    .ok_or_else(|| EmulatorError::MissingBinary {
                        function: function.name.clone(),
                        binary: function.binary.clone(),
                    })?;
            let mut environment =
                emulator_environment(&domain_name, &tls.ca_file, &dynamodb_endpoint);
            environment.extend(function.environment.clone());
            let spec = FunctionSpec {
                name: function.name.clone(),
                deployed_name: function.deployed_name.clone(),
                binary: binary.clone(),
                timeout: function.timeout,
                memory_size: function.memory_size,
                region: stack.region.clone(),
                environment,
            };
            let pool = FunctionPool::start(
                spec,
                events.clone(),
                callers.clone(),
                settings.max_concurrency,
            );
            pools.insert(function.name.clone(), Arc::new(pool));
        }
        let routes = stack
            .routes
            .iter()
            .filter_map(|route| {
                let function = pools.get(&route.function)?.clone();
                let target = Route {
                    function,
                    two_way: route.two_way,
                };
                Some((route.key.clone(), target))
            })
            .collect();

        let shared = Arc::new(Shared {
            stage: stack.stage.clone(),
            region: stack.region.clone(),
            api_id: ids::api_id(),
            domain_name,
            route_selection: RouteSelection::parse(&stack.route_selection_expression),
            routes,
            functions: pools.clone(),
            stack: stack.reading(),
            callers,
            connections: Connections::default(),
            dynamodb: tables,
            events,
            iam,
            settings,
            tls,
        });
        let server = tokio::spawn(server::serve(listener, shared.clone()));
        Ok(Self {
            shared,
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
        format!("ws://{}/{}", self.address, self.shared.stage)
    }

    /// The live console's page: `http://127.0.0.1:{port}/@console/`.
    pub fn console_url(&self) -> String {
        format!("http://{}{}", self.address, console::PATH)
    }

    pub fn events(&self) -> &EventBus {
        &self.shared.events
    }

    /// What a local run may read and arrange: events, tables, a throttled management API.
    pub fn local_hooks(&self) -> LocalHooks {
        LocalHooks::new(self.shared.clone())
    }

    /// The PEM bundle that makes the emulator's TLS certificate trusted.
    pub fn ca_file(&self) -> &Path {
        &self.shared.tls.ca_file
    }

    /// Stops serving and kills every Lambda process; returns once they are gone.
    pub async fn shutdown(self) {
        self.server.abort();
        let _ = self.server.await;
        for pool in &self.pools {
            pool.shutdown().await;
        }
        // The console's feeds hold subscriptions: they end here.
        self.shared.events.close();
    }
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
    dynamodb_endpoint: &str,
) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "AWS_ENDPOINT_URL".to_owned(),
            format!("http://{domain_name}/{}", regional::PATH),
        ),
        (
            "AWS_ENDPOINT_URL_DYNAMODB".to_owned(),
            dynamodb_endpoint.to_owned(),
        ),
        ("SSL_CERT_FILE".to_owned(), ca_file.display().to_string()),
    ])
}
