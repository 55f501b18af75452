//! The console's tables view beside the Lambdas' DynamoDB calls: a table of
//! 50,000 items, GetItem's latency measured alone, then while a console
//! client refreshes the tables view without pause. The view reads a page
//! (the first 500 items of each table), so a refresh should cost a GetItem
//! little; it once copied every item of every table, and GetItem's p99 went
//! from 0.3 ms to 256 ms while one page was built.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::super::{TABLE, address_of, dynamodb_client, mib};
use super::measured;

const ITEMS: usize = 50_000;
const GETS: usize = 3_000;

fn key(n: usize) -> AttributeValue {
    AttributeValue::S(format!("conn-{n:06}="))
}

/// Fills the table, 25 items to a batch.
async fn fill(client: &aws_sdk_dynamodb::Client) -> anyhow::Result<()> {
    for first in (0..ITEMS).step_by(25) {
        let puts = (first..first + 25)
            .map(|n| {
                let item = PutRequest::builder()
                    .item("ConnectionId", key(n))
                    .item("Room", AttributeValue::S(format!("room-{}", n % 30)))
                    .item("Joined", AttributeValue::N(n.to_string()))
                    .build()?;
                Ok(WriteRequest::builder().put_request(item).build())
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        client
            .batch_write_item()
            .request_items(TABLE, puts)
            .send()
            .await?;
    }
    Ok(())
}

/// `GETS` GetItems one after the other; their p50 and p99, in ms.
async fn get_items(client: &aws_sdk_dynamodb::Client) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::with_capacity(GETS);
    for n in 0..GETS {
        let started = Instant::now();
        let got = client
            .get_item()
            .table_name(TABLE)
            .key("ConnectionId", key(n * 7_919 % ITEMS))
            .send()
            .await?;
        times.push(started.elapsed());
        anyhow::ensure!(got.item().is_some(), "item {n} not found");
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    Ok((at(0.5), at(0.99)))
}

/// The tables view, and a page of the console that reads no table.
const TABLES: &str = "/@console/api/tables";
const STACK: &str = "/@console/api/stack";

/// One `GET` of the console's `path`: the answer's bytes.
async fn console_page(address: &str, path: &str) -> anyhow::Result<usize> {
    let mut stream = TcpStream::connect(address).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await??;
    anyhow::ensure!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{path} answered {}",
        String::from_utf8_lossy(&answer[..answer.len().min(100)])
    );
    Ok(answer.len())
}

/// Refreshes the console's `path` until `stop`: pages, the largest page's bytes, the slowest in ms.
async fn refresh(
    address: String,
    path: &'static str,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<(usize, usize, f64)> {
    let (mut pages, mut largest, mut slowest) = (0, 0, Duration::ZERO);
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        largest = largest.max(console_page(&address, path).await?);
        slowest = slowest.max(started.elapsed());
        pages += 1;
    }
    Ok((pages, largest, slowest.as_secs_f64() * 1000.0))
}

/// GetItem's p50 and p99 while a console client refreshes `path` without pause.
async fn beside(
    client: &aws_sdk_dynamodb::Client,
    address: &str,
    path: &'static str,
) -> anyhow::Result<String> {
    let stop = Arc::new(AtomicBool::new(false));
    let console = tokio::spawn(refresh(address.to_owned(), path, stop.clone()));
    let (p50, p99) = get_items(client).await?;
    stop.store(true, Ordering::Relaxed);
    let (pages, largest, slowest) = console.await??;
    Ok(format!(
        "GetItem p50 {p50:.2} ms, p99 {p99:.2} ms beside {pages} refreshes of {path} \
         ({:.1} KB, the slowest {slowest:.1} ms)",
        largest as f64 / 1000.0
    ))
}

pub(crate) async fn run() -> anyhow::Result<()> {
    let view = measured(true, |url| async move {
        let address = address_of(&url);
        let client = dynamodb_client(&address);
        fill(&client).await?;
        let (p50, p99) = get_items(&client).await?;
        println!(
            "- a table of 50,000 items, {GETS} GetItems at a time: p50 {p50:.2} ms, p99 {p99:.2} ms alone"
        );
        println!("  {}", beside(&client, &address, TABLES).await?);
        println!("  {}", beside(&client, &address, STACK).await?);
        Ok(())
    })
    .await?;
    // Most of the growth is the table itself: each item a tree of
    // `serde_json` maps, a B-tree node per attribute value.
    println!(
        "  RSS {} at start, {} at peak with the 50,000 items stored",
        mib(view.start_kib),
        mib(view.peak_kib)
    );
    Ok(())
}
