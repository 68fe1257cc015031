"""A TCP relay in front of the EMP (a stand-in for a load balancer) that can be made slow.

Run: python -m bench.loadrun.relay LISTEN_PORT TARGET_PORT. SIGUSR1 adds DELAY seconds before each
chunk from a client is forwarded (a slow EMP); SIGUSR2 removes it.
"""

from __future__ import annotations

import asyncio
import signal
import sys

DELAY = 0.4


class Relay:
    def __init__(self, target: int) -> None:
        self.target = target
        self.delay = 0.0

    async def pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, slow: bool) -> None:
        try:
            while chunk := await reader.read(65536):
                if slow and self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()  # the EMP is down: the client sees the connection closed
            return
        await asyncio.gather(self.pipe(reader, up_writer, True), self.pipe(up_reader, writer, False))


async def main(listen: int, target: int) -> None:
    relay = Relay(target)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, lambda: setattr(relay, "delay", DELAY))
    loop.add_signal_handler(signal.SIGUSR2, lambda: setattr(relay, "delay", 0.0))
    server = await asyncio.start_server(relay.handle, "127.0.0.1", listen, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
