"""The delaying proxy of the remote-kernel tests and benchmarks: its delay and bandwidth model."""

from __future__ import annotations

import socket
import threading
import time

from .delay_proxy import DelayProxy


def echo_server() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve():
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def round_trip_s(rtt_ms: float, mbps: float, size: int) -> float:
    """Seconds for ``size`` bytes to go through the proxy to an echo server and all the way back."""
    server, port = echo_server()
    with server, DelayProxy(port, rtt_ms, mbps) as proxy, socket.create_connection(("127.0.0.1", proxy.port)) as c:
        start = time.monotonic()
        c.sendall(b"x" * size)
        got = 0
        while got < size:
            got += len(c.recv(65536))
        return time.monotonic() - start


def test_the_proxy_adds_its_round_trip_and_with_a_bandwidth_the_time_the_bytes_take():
    small = round_trip_s(40, 0, 1000)
    assert small >= 0.040  # half the round trip each way
    # 200 kB at 8 Mbit/s (1 MB/s) takes 0.2 s on the link each way, on top of the 40 ms
    slow = round_trip_s(40, 8, 200_000)
    assert slow >= 0.040 + 0.2
    fast = round_trip_s(40, 0, 200_000)
    assert slow - fast >= 0.15  # the bandwidth, not the machine, made it slow
