"""Gateway throughput: scones' patched twisted server, upstream twisted, and LocalStack's hypercorn server.

Why: issue 12 made the gateway bind exactly the host of GATEWAY_LISTEN (loopback by default). LocalStack's
twisted server ignores the IPv4 host, hypercorn honours it; scones patches twisted (see
`localstack_ext/scones_localstack/gateway.py`) because it is the faster of the two. This benchmark is that
measurement: for each server it starts its own stack (free port, temporary state) and runs, through boto3
over loopback, a request mix that touches three protocols (S3 rest-xml PutObject 1 KiB + GetObject,
Step Functions JSON ListStateMachines, the health route), sequentially and with 8 threads.
All stacks run at once and the rounds alternate between them. It prints requests/s per round and the
median of the rounds.

Run: `.venv/bin/python benchmarks/bench_gateway.py [--rounds 5] [--requests 400]`
(`--servers` picks among twisted, twisted-upstream, twisted-no-timeout, hypercorn; default all four).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scones import stack  # noqa: E402
from scones.stack.settings import StackSettings  # noqa: E402

WORKERS = 8
SERVICES = ("s3", "stepfunctions")


# LocalStack environment per variant: scones' default (twisted, bound to the host, request-read timeout),
# the same without the timeout (what the timer costs), upstream twisted (the patch not installed: the
# before), LocalStack's hypercorn server (GATEWAY_SERVER). {tmp} is this run's temporary directory.
VARIANTS = {
    "twisted": {},
    "twisted-upstream": {"PYTHONPATH": "{tmp}/upstream"},
    "twisted-no-timeout": {"SCONES_GATEWAY_BODY_TIMEOUT_S": "0"},
    "hypercorn": {"GATEWAY_SERVER": "hypercorn"},
}


@dataclass(frozen=True)
class ServerSettings(StackSettings):
    """The stack as `scones up` starts it, with the variant's LocalStack settings on top."""

    server: str = "twisted"

    def localstack_environment(self, base: Mapping[str, str]) -> dict[str, str]:
        env = super().localstack_environment(base)
        env.update({k: v.format(tmp=self.state_root) for k, v in VARIANTS[self.server].items()})
        return env


# Imported first by LocalStack's interpreter in the twisted-upstream variant: the gateway hook does nothing.
UPSTREAM_SITECUSTOMIZE = "import scones_localstack.gateway as gateway\ngateway.install = lambda: None\n"


def one_request(i: int, s3: Any, sfn: Any, session: requests.Session, url: str) -> None:
    """One unit of the mix; i picks the request so every round sends the same sequence."""
    kind = i % 4
    if kind == 0:
        s3.put_object(Bucket="bench-gateway", Key=f"k{i % 50}", Body=b"x" * 1024)
    elif kind == 1:
        s3.get_object(Bucket="bench-gateway", Key="k0")["Body"].read()
    elif kind == 2:
        sfn.list_state_machines()
    else:
        session.get(f"{url}/_localstack/health", timeout=5).raise_for_status()


def prepare(url: str) -> list[tuple[Any, Any, requests.Session]]:
    """One client set per worker (as apps do), the bucket, and every connection and handler cache warm."""
    clients = [
        (stack.local_client("s3", url), stack.local_client("stepfunctions", url), requests.Session())
        for _ in range(WORKERS)
    ]
    clients[0][0].create_bucket(Bucket="bench-gateway")
    clients[0][0].put_object(Bucket="bench-gateway", Key="k0", Body=b"x" * 1024)
    for i in range(4 * WORKERS):
        s3, sfn, session = clients[i % WORKERS]
        one_request(i, s3, sfn, session, url)
    return clients


@dataclass
class Results:
    """Per round: requests/s sequentially and over 8 threads, LocalStack CPU ms per request (both modes)."""

    sequential: list[float] = field(default_factory=list)
    concurrent: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def one_round(
    url: str,
    clients: list[tuple[Any, Any, requests.Session]],
    count: int,
    server: psutil.Process,
    out: Results,
) -> None:
    """`count` requests sequentially, then `count` over 8 threads. The server's CPU time per request is
    the steadier number when the machine is shared: wall time also counts everyone else's work."""
    cpu_before = cpu_seconds(server)
    s3, sfn, session = clients[0]
    began = time.perf_counter()
    for i in range(count):
        one_request(i, s3, sfn, session, url)
    out.sequential.append(count / (time.perf_counter() - began))

    def worker(w: int) -> None:
        s3, sfn, session = clients[w]
        for i in range(w, count, WORKERS):
            one_request(i, s3, sfn, session, url)

    began = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(worker, range(WORKERS)))
    out.concurrent.append(count / (time.perf_counter() - began))
    out.cpu_ms.append((cpu_seconds(server) - cpu_before) * 1000 / (2 * count))


def listening(pid: int) -> list[str]:
    """Where the stack's LocalStack process listens (the reason for the comparison)."""
    found = []
    for conn in psutil.Process(pid).net_connections(kind="inet"):
        if conn.status == psutil.CONN_LISTEN:
            found.append(f"{conn.laddr.ip}:{conn.laddr.port}")
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=400, help="requests per round and mode")
    parser.add_argument("--servers", default=",".join(VARIANTS))
    args = parser.parse_args()
    servers = args.servers.split(",")
    results = {server: Results() for server in servers}
    where: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "upstream").mkdir()
        (Path(tmp) / "upstream" / "sitecustomize.py").write_text(UPSTREAM_SITECUSTOMIZE)
        running: list[tuple[str, ServerSettings, psutil.Process]] = []
        try:
            for server in servers:
                settings = ServerSettings(
                    port=stack.free_port(), state_root=Path(tmp), services=SERVICES, server=server
                )
                pid = stack.start(settings).pid
                where[server] = listening(pid)
                running.append((server, settings, psutil.Process(pid)))
            clients = {server: prepare(settings.endpoint_url) for server, settings, _ in running}
            # Every stack runs for the whole measurement and the rounds alternate between them, so load
            # from elsewhere on the machine falls on all alike.
            for _ in range(args.rounds):
                for server, settings, proc in running:
                    one_round(settings.endpoint_url, clients[server], args.requests, proc, results[server])
        finally:
            for _, settings, _ in running:
                stack.stop(settings)

    def line(label: str, values: list[float], unit: str, digits: int) -> str:
        rounds = ", ".join(f"{v:.{digits}f}" for v in values)
        return f"  {label:<22} median {statistics.median(values):7.{digits}f} {unit}  (rounds: {rounds})"

    for server in servers:
        r = results[server]
        print(f"{server:<18} listens on {', '.join(where[server])}")
        print(line("sequential", r.sequential, "req/s", 0))
        print(line(f"{WORKERS} threads", r.concurrent, "req/s", 0))
        print(line("LocalStack CPU/request", r.cpu_ms, "ms", 2))


if __name__ == "__main__":
    main()
