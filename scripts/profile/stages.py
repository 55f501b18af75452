"""CPU time per message by process and by stage, from a folded profile.

    python stages.py FOLDED PIDS MESSAGES FREQUENCY

FOLDED: `perf script | inferno-collapse-perf --pid --all` (each line a stack,
root first, and its CPU time in ns); PIDS: lines `checker PID` and `lambda
PID`. A sample goes to the stage of the frame nearest its leaf that names
one (so a `malloc` counts for whoever called it); a sample whose leaf is in
the kernel counts as the process's kernel time.
"""

import re
import sys
from collections import Counter, defaultdict

TOKIO = ("tokio: scheduling, epoll, wake-ups", r"tokio::|mio::|parking_lot|futures_util|event_listener|async_channel")
STAGES = {
    "checker": [
        ("TLS of the @connections call (rustls, aws-lc)", r"rustls|aws_lc"),
        ("WebSocket frames in and out (tungstenite)", r"tungstenite"),
        ("HTTP: Runtime API and @connections (hyper)", r"hyper::|hyper_util|http::"),
        ("IAM: the caller's role", r"emulator::iam|stack::iam"),
        ("event stream: serve log, console history", r"emulator::events|cli::serve::log|Event"),
        ("freeze and thaw (SIGSTOP, SIGCONT)", r"lambda::sandbox|lambda::group"),
        ("the event's JSON built", r"gateway::event::|serde_json"),
        ("Runtime API: hand-over, response", r"lambda::runtime_api|lambda::worker|lambda::process|lambda::FunctionPool"),
        ("@connections: answer, queue the frame", r"emulator::management|emulator::connections"),
        ("routing, invocation bookkeeping", r"emulator::gateway|emulator::callers|emulator::server"),
        TOKIO,
    ],
    "lambda": [
        ("SigV4 signing", r"aws_sigv4"),
        ("TLS (rustls, aws-lc)", r"rustls|aws_lc"),
        ("HTTP client (hyper)", r"hyper::|hyper_util|http::"),
        ("the event deserialised (serde)", r"aws_lambda_events|serde_json|serde_core|serde::|Deserialize"),
        ("SDK orchestrator: PostToConnection", r"aws_smithy|aws_sdk|aws_runtime|aws_config|aws_types|aws_credential"),
        ("Runtime API client (lambda_runtime)", r"lambda_runtime"),
        TOKIO,
        ("the handler's own code", r"on_message|solution"),
    ],
}
NAMES = {"checker": "checker serve (emulator)", "lambda": "Lambda processes (ex02-on-message)", "client": "client (Python websockets)"}


def main():
    folded, pids_file, messages, frequency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    roles = {}
    for line in open(pids_file):
        role, pid = line.split()
        roles[pid] = role
    compiled = {role: [(name, re.compile(pattern)) for name, pattern in stages] for role, stages in STAGES.items()}
    per_role = Counter()
    per_stage = defaultdict(Counter)
    for line in open(folded):
        stack, _, value = line.rstrip("\n").rpartition(" ")
        frames = stack.split(";")
        process, _, pid = frames[0].rpartition("-")
        if process == "swapper":
            continue
        role = roles.get(pid, "client" if process.startswith("python") else "other: " + process)
        ns = int(value)
        per_role[role] += ns
        if role not in compiled:
            continue
        if frames[-1].endswith("_[k]"):
            stage = "kernel: TCP loopback, signals, scheduling"
        else:
            stage = next(
                (name for frame in reversed(frames[1:]) for name, pattern in compiled[role] if pattern.search(frame)),
                "other (std, allocation, unresolved)",
            )
        per_stage[role][stage] += ns
    total = sum(per_role.values())
    print(f"\nCPU time per message ({messages} messages, {frequency} Hz samples), all processes: {total / messages / 1000:.0f} µs")
    for role, ns in per_role.most_common():
        print(f"  {NAMES.get(role, role):<44} {ns / messages / 1000:7.0f} µs  {100 * ns / total:5.1f}%")
        for stage, stage_ns in per_stage[role].most_common():
            print(f"      {stage:<48} {stage_ns / messages / 1000:7.0f} µs  {100 * stage_ns / ns:5.1f}%")


if __name__ == "__main__":
    main()
