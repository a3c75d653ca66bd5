"""A fast loopback webhook receiver for the benchmarks, in its own process.

``python benchmarks/_receiver.py PORT FILE`` (or :func:`start_receiver`): asyncio (uvloop when
installed), HTTP/1.1 keep-alive; it answers 200 to every request and appends one line per
request to ``FILE``: ``<arrival epoch> <connection #> <webhook-id> <recipient> <incident
number> <bundled incident numbers, comma-separated, or ->``. :class:`Arrivals` reads that
file as it grows. Used by ``worker.py``, ``ingest.py`` and ``paging.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks._support

from benchmarks._support import HOST, Proc, free_port, wait_for_port

FLUSH_S = 0.05  # how often lines reach the file (arrival times are stamped on arrival)


async def _serve(port: int, out_path: Path) -> None:
    """Answer 200 to every request; append one line per request to a file:
    ``<arrival epoch> <connection #> <webhook-id> <recipient> <incident number> <bundled
    incident numbers, comma-separated, or ->``."""
    import orjson

    pending: list[str] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    reply = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"

    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        conn = connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, hook_id, close = 0, "-", False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value.strip())
                    elif name == b"webhook-id":
                        hook_id = value.strip().decode("ascii", "replace")
                    elif name == b"connection":
                        close = value.strip().lower() == b"close"
                body = await reader.readexactly(length) if length else b""
                arrived = time.time()
                recipient, number, bundled = "-", "-", "-"
                try:
                    data = orjson.loads(body).get("data") or {}
                    recipient = str(data.get("recipient") or "-")
                    number = str(data.get("number") or "-")
                    bundled = ",".join(str(b["number"]) for b in data.get("bundle") or []) or "-"
                except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
                    pass
                pending.append(f"{arrived:.6f} {conn} {hook_id} {recipient} {number} {bundled}\n")
                writer.write(reply)
                await writer.drain()
                if close:
                    break
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            asyncio.CancelledError,  # the server is shutting down: nothing more to answer
            ConnectionError,
        ):
            pass
        finally:
            writer.close()

    async def flush_forever(out: io.TextIOWrapper) -> None:
        while True:
            await asyncio.sleep(FLUSH_S)
            if pending:
                out.write("".join(pending))
                pending.clear()
                out.flush()

    with out_path.open("a", encoding="ascii") as out:
        server = await asyncio.start_server(handle, HOST, port, backlog=1024)
        flusher = asyncio.create_task(flush_forever(out))
        async with server:
            await stop.wait()
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
        out.write("".join(pending))
        pending.clear()


def receiver_main(port: int, out_path: str) -> int:
    try:
        import uvloop  # a faster event loop when it is installed (uvicorn[standard] brings it)

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve(port, Path(out_path)))
    return 0


class Arrivals:
    """Reads the receiver's file as it grows.

    A message (one HTTP request) carries one notification, or several when the engine
    bundled a contact's notifications into one: the first is the message's own incident,
    the others are listed in its ``bundle``. A notification is known by (recipient,
    incident number); its arrival is that of the first message that carried it.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0
        self._rest = b""
        self.first: dict[tuple[str, int], float] = {}  # (user, number) -> first arrival
        self.counts: Counter[tuple[str, int]] = Counter()  # (user, number) -> times carried
        self.hook_ids: Counter[str] = Counter()  # webhook-id -> messages
        self.requests = 0
        self.bundled_messages = 0  # messages that carried more than one notification
        self.unparsed = 0  # messages without a recipient and an incident number
        self.connections: set[str] = set()

    def poll(self) -> int:
        """Read what was added; returns the number of distinct notifications seen so far."""
        try:
            with self._path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except OSError:
            return len(self.first)
        self._offset += len(data)
        data = self._rest + data
        lines = data.split(b"\n")
        self._rest = lines.pop()
        for line in lines:
            stamp, conn, hook_id, user, number, bundled = line.decode("ascii", "replace").split()
            at = float(stamp)
            self.requests += 1
            self.connections.add(conn)
            self.hook_ids[hook_id] += 1
            if user == "-" or not number.isdigit():
                self.unparsed += 1
                continue
            numbers = [int(number)]
            if bundled != "-":
                self.bundled_messages += 1
                numbers += [int(n) for n in bundled.split(",")]
            for n in numbers:
                self.counts[(user, n)] += 1
                self.first.setdefault((user, n), at)
        return len(self.first)

    @property
    def duplicates(self) -> int:
        """Notifications carried more than once (the extra copies)."""
        return sum(n - 1 for n in self.counts.values() if n > 1)

    @property
    def duplicate_ids(self) -> int:
        """Messages whose ``webhook-id`` had been seen before."""
        return sum(n - 1 for n in self.hook_ids.values() if n > 1)


def start_receiver(workdir: Path) -> tuple[Proc, str, Arrivals]:
    """Start a receiver on a free loopback port: the process, its base URL, its arrivals."""
    port = free_port()
    path = workdir / f"arrivals-{port}.txt"
    path.touch()
    proc = Proc(
        "receiver",
        [sys.executable, str(Path(__file__).resolve()), str(port), str(path)],
        dict(os.environ),
        workdir / f"receiver-{port}.log",
    )
    proc.start()
    wait_for_port(port, proc)
    return proc, f"http://{HOST}:{port}", Arrivals(path)


if __name__ == "__main__":
    sys.exit(receiver_main(int(sys.argv[1]), sys.argv[2]))
