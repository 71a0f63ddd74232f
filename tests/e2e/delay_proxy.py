"""A TCP proxy that delays every chunk by half a round trip each way: a remote kernel on localhost.

Used to put a network between Chromium and a Jupyter server (``benchmarks/bench_live.py
--rtt-ms [--mbps]``, ``tests/e2e/test_live_remote.py``). It models latency: each chunk read from
one side is written to the other ``rtt_ms / 2`` after it was read, in order, while later chunks
keep flowing (a pipe of that length, as a long link is). With ``mbps`` it models bandwidth too:
each direction is one link shared by all connections, on which a chunk of n bytes occupies
n * 8 / (mbps * 10^6) s after the chunks before it (a queue, as at a home uplink). Both sockets have Nagle's
algorithm off, so the proxy adds no delay of its own. It runs an asyncio loop on a daemon thread.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time


class DelayProxy:
    """Listen on a free localhost port and forward to ``127.0.0.1:target_port`` with ``rtt_ms`` of round trip.

    Use as a context manager; ``url`` is ``http://127.0.0.1:<port>`` of the proxy.
    """

    def __init__(self, target_port: int, rtt_ms: float, mbps: float = 0.0) -> None:
        self.target_port = target_port
        self.delay_s = max(0.0, rtt_ms) / 2000.0
        self.bytes_per_s = mbps * 1e6 / 8 if mbps > 0 else 0.0
        self._link_free = {"up": 0.0, "down": 0.0}  # when each direction's link is free again
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="delay-proxy", daemon=True)
        self._server: asyncio.base_events.Server | None = None

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "DelayProxy":
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connection, "127.0.0.1", 0), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc) -> None:
        async def shut() -> None:
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        for w in (writer, up_writer):
            sock = w.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(self._pipe(reader, up_writer, "up"), self._pipe(up_reader, writer, "down"),
                             return_exceptions=True)

    def _due(self, direction: str, size: int) -> float:
        """When a chunk of ``size`` bytes read now reaches the other side."""
        now = time.monotonic()
        if not self.bytes_per_s or not size:
            return now + self.delay_s
        sent = max(now, self._link_free[direction]) + size / self.bytes_per_s
        self._link_free[direction] = sent
        return sent + self.delay_s

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: str) -> None:
        """Copy ``reader`` to ``writer``, each chunk ``delay_s`` after it arrived (and after the link
        carried it, with a bandwidth); EOF likewise."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    break
                writer.write(data)
                await writer.drain()

        sender = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await reader.read(65536)
                queue.put_nowait((self._due(direction, len(data)), data))
                if not data:
                    break
            await sender
        except (ConnectionError, asyncio.CancelledError):
            sender.cancel()
        finally:
            try:
                writer.close()
            except Exception:
                pass
