"""Simulator throughput: signed listZones per second on one process, and paging through 10,000 hosts.

Prints figures; asserts nothing. Baselines measured in the same run: unsigned calls on the
integration port (the cost of signature checking), and one unpaged listHosts (pagesize=-1)
against paging 500 at a time.

    .venv/bin/python bench/simulator_throughput.py [--requests 2000] [--hosts 10000]
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import sign, start_simulator


def rate(label: str, count: int, seconds: float) -> None:
    print(f"{label:<58} {count / seconds:8.0f} req/s  ({count} in {seconds:.2f} s)")


def signed_queries(sim, count: int) -> list[str]:
    """Signed listZones query strings, made before the clock starts: the server's work is measured."""
    return [urlencode(sign({"command": "listZones", "response": "json"}, sim.apikey, sim.secretkey))
            for _ in range(count)]


def send_all(url: str, queries: list[str], clients: int) -> float:
    """Send the queries over keep-alive connections (http.client: little client-side cost)."""
    parts = urlsplit(url)

    def worker(batch: list[str]) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        for query in batch:
            conn.request("GET", f"{parts.path}?{query}")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
        conn.close()

    batches = [queries[index::clients] for index in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, batches))
    return time.perf_counter() - started


def signed_calls(sim, count: int, clients: int) -> float:
    return send_all(sim.url, signed_queries(sim, count), clients)


def unsigned_calls(sim, count: int) -> float:
    query = urlencode({"command": "listZones", "response": "json"})
    return send_all(sim.integration_url, [query] * count, 1)


def integration(session: requests.Session, sim, command: str, **params) -> dict:
    reply = session.get(sim.integration_url, params={"command": command, "response": "json", **params}, timeout=60)
    reply.raise_for_status()
    return reply.json()


def add_hosts(sim, count: int) -> float:
    session = requests.Session()
    zone = integration(session, sim, "createZone", name="bench", dns1="198.18.0.53", internaldns1="198.18.0.53",
                       networktype="Advanced")["createzoneresponse"]["zone"]
    pod = integration(session, sim, "createPod", zoneid=zone["id"], name="bench-pod", gateway="198.18.0.1",
                      netmask="255.255.255.0", startip="198.18.0.100", endip="198.18.0.200")["createpodresponse"]["pod"]
    cluster = integration(session, sim, "addCluster", zoneid=zone["id"], podid=pod["id"], clustername="bench-cluster",
                          hypervisor="KVM", clustertype="CloudManaged")["addclusterresponse"]["cluster"][0]

    def worker(indexes: range) -> None:
        own = requests.Session()
        for index in indexes:
            integration(own, sim, "addHost", zoneid=zone["id"], podid=pod["id"], clusterid=cluster["id"],
                        hypervisor="KVM", url=f"http://10.{index // 65536}.{index // 256 % 256}.{index % 256}",
                        username="root", password="unused")

    started = time.perf_counter()
    step = count // 4
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(worker, [range(i, min(i + step, count)) for i in range(0, count, step)]))
    return time.perf_counter() - started


def page_hosts(sim, pagesize: int) -> tuple[float, int]:
    session = requests.Session()
    seen, page, started = 0, 1, time.perf_counter()
    while True:
        params = {"command": "listHosts", "response": "json", "pagesize": str(pagesize)}
        if pagesize != -1:
            params["page"] = str(page)
        body = session.get(sim.url, params=sign(params, sim.apikey, sim.secretkey), timeout=120).json()
        hosts = body["listhostsresponse"].get("host", [])
        seen += len(hosts)
        if pagesize == -1 or not hosts or seen >= body["listhostsresponse"]["count"]:
            return time.perf_counter() - started, seen
        page += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=10000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sim = start_simulator(Path(tmp), job_delay=0, host_up_delay=0.5)
        try:
            signed_calls(sim, 100, 1)  # warm up
            rate("signed listZones, 1 client, one simulator process", args.requests,
                 signed_calls(sim, args.requests, 1))
            rate("signed listZones, 4 clients, one simulator process", args.requests,
                 signed_calls(sim, args.requests, 4))
            rate("baseline: unsigned listZones on the integration port", args.requests,
                 unsigned_calls(sim, args.requests))
            seconds = add_hosts(sim, args.hosts)
            rate(f"addHost x{args.hosts} (integration port, 4 clients)", args.hosts, seconds)
            seconds, seen = page_hosts(sim, 500)
            print(f"{'page through ' + str(seen) + ' hosts, pagesize 500 (signed)':<58} {seconds:8.2f} s")
            seconds, seen = page_hosts(sim, -1)
            print(f"{'baseline: ' + str(seen) + ' hosts in one pagesize=-1 call':<58} {seconds:8.2f} s")
        finally:
            sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
