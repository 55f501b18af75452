//! What large DynamoDB requests cost the emulator's memory: a Scan of 12 MB
//! with 500,000 `ExpressionAttributeValues` (one used), and a PutItem of an
//! item with 300,000 attributes (7 MB), each alone and eight at once, with
//! the resident memory at its peak and 2 s after the answers. As trees of
//! `serde_json::Value`s these bodies are 400 and 240 MB.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::super::{TABLE, address_of, mib};
use super::{rss_kib, sample_peak, serve};

/// One signed DynamoDB call over its own connection: the error type of the answer, or "OK".
async fn call(address: &str, operation: &str, body: &[u8]) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(address).await?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nX-Amz-Target: DynamoDB_20120810.{operation}\r\n\
         Content-Type: application/x-amz-json-1.0\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential=AKIDSOAK/20240101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, \
         Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), stream.read_to_end(&mut answer)).await??;
    let text = String::from_utf8_lossy(&answer[..answer.len().min(4096)]);
    Ok(text
        .lines()
        .find_map(|line| line.strip_prefix("x-amzn-errortype: "))
        .unwrap_or("OK")
        .to_owned())
}

/// `requests` calls at once: what they were answered, the peak RSS and the RSS 1 s after.
async fn at_once(
    pid: u32,
    address: &str,
    operation: &'static str,
    body: Arc<Vec<u8>>,
    requests: usize,
) -> anyhow::Result<String> {
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_peak(pid, stop.clone());
    let calls: Vec<_> = (0..requests)
        .map(|_| {
            let (address, body) = (address.to_owned(), body.clone());
            tokio::spawn(async move { call(&address, operation, &body).await })
        })
        .collect();
    let mut answers = std::collections::BTreeMap::<String, usize>::new();
    for answered in calls {
        *answers.entry(answered.await??).or_default() += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let peak = sampler.join().unwrap_or(0);
    // The emulator returns memory once more a second after an answer.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(format!(
        "{requests} at once: {answers:?}; RSS peak {}, 2 s after {}",
        mib(peak),
        mib(rss_kib(pid))
    ))
}

fn scan_body() -> Vec<u8> {
    let values: Vec<String> = (0..500_000)
        .map(|n| format!(r#"":v{n}":{{"S":"x"}}"#))
        .collect();
    format!(
        r#"{{"TableName":"{TABLE}","FilterExpression":"ConnectionId = :v0","ExpressionAttributeValues":{{{}}}}}"#,
        values.join(",")
    )
    .into_bytes()
}

fn put_body() -> Vec<u8> {
    let attributes: Vec<String> = (0..300_000)
        .map(|n| format!(r#""a{n}":{{"S":"x"}}"#))
        .collect();
    format!(
        r#"{{"TableName":"{TABLE}","Item":{{"ConnectionId":{{"S":"big"}},{}}}}}"#,
        attributes.join(",")
    )
    .into_bytes()
}

pub(crate) async fn run() -> anyhow::Result<()> {
    let serving = tokio::task::spawn_blocking(move || serve(true)).await??;
    let pid = serving.child.id();
    let address = address_of(&serving.url);
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!(
        "- large DynamoDB requests, on one emulator (RSS {} at start):",
        mib(rss_kib(pid))
    );
    for (what, operation, body) in [
        ("a Scan of 500,000 values", "Scan", Arc::new(scan_body())),
        (
            "a PutItem of 300,000 attributes",
            "PutItem",
            Arc::new(put_body()),
        ),
    ] {
        for requests in [1, 8] {
            let line = at_once(pid, &address, operation, body.clone(), requests).await?;
            println!(
                "  {what} ({:.1} MB), {line}",
                body.len() as f64 / 1_000_000.0
            );
        }
    }
    Ok(())
}
