"""A TCP proxy in front of the backoffice: the network's faults, at run time.

* :meth:`FaultyLink.down` stops listening and cuts every open connection, so new
  connections are refused, as when the 4G link or the backoffice is gone;
  :meth:`FaultyLink.up` listens again on the same port.
* :meth:`FaultyLink.drop_next` forwards the next requests but cuts the
  connection instead of returning their answers: the request was processed, the
  client never learns it.
* :attr:`FaultyLink.blackhole` accepts and swallows everything (timeouts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)
CHUNK = 65536


class FaultyLink:
    """Forward ``host:port`` to ``upstream``, with switchable faults."""

    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self.host = host
        self.port = 0
        self.blackhole = False
        self.connections = 0
        self.dropped = 0
        self._drops = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    @property
    def is_up(self) -> bool:
        """Whether the proxy accepts connections."""
        return self._server is not None

    async def start(self, port: int = 0) -> int:
        """Listen (port 0: any free port, kept for later :meth:`up`)."""
        self._server = await asyncio.start_server(
            self._handle, self.host, port or self.port, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def up(self) -> None:
        """End an outage: listen again on the same port."""
        if self._server is None:
            await self.start(self.port)
            log.info("link up on port %d", self.port)

    async def down(self) -> None:
        """Start an outage: refuse new connections, cut open ones."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()
        if server is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await server.wait_closed()
        log.info("link down on port %d", self.port)

    async def close(self) -> None:
        """Stop for good."""
        await self.down()

    def drop_next(self, count: int = 1) -> None:
        """Lose the answers of the next ``count`` requests."""
        self._drops += count

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        self._open.add(writer)
        try:
            if self.blackhole:
                while await reader.read(CHUNK):
                    pass
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                return
            self._open.add(up_writer)
            try:
                await self._pipe(reader, writer, up_reader, up_writer)
            finally:
                self._open.discard(up_writer)
                up_writer.transport.abort()
        except (ConnectionError, OSError):
            pass
        finally:
            self._open.discard(writer)
            writer.transport.abort()

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        async def forward() -> None:
            while data := await reader.read(CHUNK):
                up_writer.write(data)
                await up_writer.drain()

        async def back() -> None:
            while data := await up_reader.read(CHUNK):
                if self._drops > 0:
                    self._drops -= 1
                    self.dropped += 1
                    return
                writer.write(data)
                await writer.drain()

        tasks = {asyncio.create_task(forward()), asyncio.create_task(back())}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
