#!/usr/bin/env python3
"""rendezvous.py: the torchrun pattern without PyTorch (rendezvous.sh starts one copy per task).

Every task knows the first node of the job (MASTER_ADDR), a port (MASTER_PORT), its rank
(RANK, else SLURM_PROCID) and the number of tasks (WORLD_SIZE, else SLURM_NTASKS). Rank 0
listens at MASTER_ADDR:MASTER_PORT; every other rank connects there (retrying while rank 0 is
not yet up), sends its rank and node, and gets back the whole table, as a c10d store does. Each
rank prints one line: "rank R of W on NODE: met rank 0 on N0, rank 1 on N1, ...".
Standard library only.
"""
import json
import os
import socket
import sys
import time

TIMEOUT = 120  # seconds for the whole rendezvous


def node_name():
    return os.environ.get("SLURMD_NODENAME") or socket.gethostname()


def send(sock, obj):
    sock.sendall(json.dumps(obj).encode() + b"\n")


def recv(sock):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("peer closed the connection")
        buf += chunk
    return json.loads(buf)


def main():
    addr = os.environ["MASTER_ADDR"]
    port = int(os.environ["MASTER_PORT"])
    rank = int(os.environ.get("RANK") or os.environ.get("SLURM_PROCID") or "0")
    world = int(os.environ.get("WORLD_SIZE") or os.environ.get("SLURM_NTASKS") or "1")
    me = node_name()
    deadline = time.monotonic() + TIMEOUT
    if rank == 0:
        table = {0: me}
        with socket.create_server((addr, port)) as srv:
            srv.settimeout(TIMEOUT)
            peers = []
            while len(table) < world:
                conn, _ = srv.accept()
                conn.settimeout(max(1, deadline - time.monotonic()))
                hello = recv(conn)
                table[int(hello["rank"])] = hello["node"]
                peers.append(conn)
            for conn in peers:
                send(conn, table)
                conn.close()
    else:
        while True:
            try:
                conn = socket.create_connection((addr, port), timeout=5)
                break
            except OSError as e:
                if time.monotonic() > deadline:
                    sys.exit(f"rank {rank}: no rank 0 at {addr}:{port}: {e}")
                time.sleep(0.2)
        with conn:
            conn.settimeout(max(1, deadline - time.monotonic()))
            send(conn, {"rank": rank, "node": me})
            table = {int(k): v for k, v in recv(conn).items()}
    met = ", ".join(f"rank {r} on {table[r]}" for r in sorted(table))
    print(f"rank {rank} of {world} on {me}: met {met}", flush=True)


if __name__ == "__main__":
    main()
