"""Echo load from Python `websockets` clients, for scripts/bench-peer.

    python echo_client.py load LABEL URL CLIENTS MESSAGES [PIPELINE]
    python echo_client.py floor PORT

`load`: CLIENTS clients each send MESSAGES unique bodies (`c<client>-<seq>`),
PIPELINE at a time (1: stop-and-wait), and count every echo; prints one row:
p50/p99 round trip, messages per second, sent/echoed/lost. `floor`: a bare
`websockets` echo server on 127.0.0.1:PORT (the physical floor for these clients).
"""

import asyncio
import statistics
import sys
import time

import websockets


async def client(url, index, messages, pipeline, latencies, counts):
    async with websockets.connect(url, max_size=None, compression=None) as ws:
        sent = 0
        while sent < messages:
            batch = min(pipeline, messages - sent)
            started = {}
            for seq in range(sent, sent + batch):
                body = f"c{index}-{seq}"
                started[body] = time.perf_counter()
                await ws.send(body)
            counts["sent"] += batch
            for _ in range(batch):
                try:
                    body = await asyncio.wait_for(ws.recv(), timeout=10)
                except asyncio.TimeoutError:
                    counts["lost"] += len(started)
                    return
                began = started.pop(body, None)
                if began is None:
                    counts["wrong"] += 1
                    continue
                latencies.append(time.perf_counter() - began)
                counts["echoed"] += 1
            sent += batch


async def load(label, url, clients, messages, pipeline):
    latencies = []
    counts = {"sent": 0, "echoed": 0, "lost": 0, "wrong": 0}
    # One round first, so a cold Lambda is not in the figures.
    await client(url, 999, 1, 1, [], dict(counts))
    began = time.perf_counter()
    await asyncio.gather(
        *(client(url, i, messages, pipeline, latencies, counts) for i in range(clients))
    )
    elapsed = time.perf_counter() - began
    latencies.sort()
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("nan")
    mode = "stop-and-wait" if pipeline == 1 else f"pipelined x{pipeline}"
    print(
        f"  {label:<36} {clients:>3} clients {mode:<14} p50 {p50:7.3f} ms  p99 {p99:7.3f} ms"
        f"  {counts['echoed'] / elapsed:8.0f} msg/s  sent {counts['sent']} echoed {counts['echoed']}"
        f" lost {counts['lost']} wrong {counts['wrong']}"
    )


async def floor(port):
    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async with websockets.serve(echo, "127.0.0.1", port, max_size=None, compression=None):
        await asyncio.Future()


def main():
    if sys.argv[1] == "floor":
        asyncio.run(floor(int(sys.argv[2])))
    else:
        label, url, clients, messages = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        pipeline = int(sys.argv[6]) if len(sys.argv) > 6 else 1
        asyncio.run(load(label, url, clients, messages, pipeline))


if __name__ == "__main__":
    main()
