"""A loopback SMTP relay for tests/mail_delivery.rs, on aiosmtpd.

Usage: relay.py DIR PORT [CERT KEY]

Listens on 127.0.0.1:PORT (0: any free port) and prints "ready PORT" once
it accepts connections. With CERT and KEY (PEM files), it offers STARTTLS
with that certificate and refuses mail before it (require_starttls). Each accepted message is written to DIR/NNNN.eml
(in order of acceptance). Behaviour the test controls with files in DIR:

- DIR/tempfail holds a number N: the next N messages are answered
  "451 4.3.0" at the end of their data (the number counts down);
- a recipient whose local part starts with "bounce" is refused with
  "550 5.1.1" at RCPT.

Stops on SIGTERM or when its standard input closes.
"""

import asyncio
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("bounce"):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        control = os.path.join(self.directory, "tempfail")
        if os.path.exists(control):
            with open(control) as f:
                left = int(f.read().strip() or "0")
            if left > 0:
                with open(control, "w") as f:
                    f.write(str(left - 1))
                return "451 4.3.0 try again later"
        self.count += 1
        name = os.path.join(self.directory, "%06d.eml" % self.count)
        while os.path.exists(name):
            self.count += 1
            name = os.path.join(self.directory, "%06d.eml" % self.count)
        with open(name + ".tmp", "wb") as f:
            f.write(envelope.original_content)
            f.flush()
            os.fsync(f.fileno())
        os.rename(name + ".tmp", name)
        return "250 2.0.0 queued as %06d" % self.count


def main():
    directory, port = sys.argv[1], int(sys.argv[2])
    os.makedirs(directory, exist_ok=True)
    tls = {}
    if len(sys.argv) == 5:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        tls = {"tls_context": context, "require_starttls": True}
    if port == 0:
        # Controller needs a port: find a free one.
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    controller = Controller(Handler(directory), hostname="127.0.0.1", port=port, **tls)
    controller.start()
    print("ready %d" % controller.port, flush=True)
    stop = asyncio.Event()

    def done(*_):
        controller.stop()
        os._exit(0)

    signal.signal(signal.SIGTERM, done)
    try:
        sys.stdin.read()
    finally:
        done()


if __name__ == "__main__":
    main()
