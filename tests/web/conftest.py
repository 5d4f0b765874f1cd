"""Shared by the browser tests: the real `confab serve` on 127.0.0.1 port-0 listeners
(restartable on the same ports and data directory), Debian's chromium driven by
Playwright (the system browser, never a downloaded one), a page logged in with a nick,
and raw-socket IRC and rooms-protocol users. Every wait has a timeout."""

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("CONFAB_BIN", str(ROOT / "target/debug/confab"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
STEP = 10.0  # seconds any one thing may take
PROTOCOLS = ["http", "irc", "rooms"]

expect.set_options(timeout=STEP * 1000)


class Server:
    """`confab serve` with http, irc and rooms listeners; `restart` keeps their ports."""

    def __init__(self, data):
        self.data = data
        self.addrs = {p: ("127.0.0.1", 0) for p in PROTOCOLS}
        self.child = None
        self.start()

    def start(self):
        listen = []
        for protocol, (host, port) in self.addrs.items():
            listen += ["--listen", f"{protocol}={host}:{port}"]
        self.child = subprocess.Popen(
            [BIN, "serve", "--data", str(self.data), *listen],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "RUST_LOG": "warn"},
            text=True,
        )
        for _ in PROTOCOLS:
            line = self._line()
            # `listening http 127.0.0.1:40123`
            _, protocol, addr = line.split()
            host, port = addr.rsplit(":", 1)
            self.addrs[protocol] = (host, int(port))
        # Keep reading stdout so the server never blocks on a full pipe.
        threading.Thread(target=self.child.stdout.read, daemon=True).start()

    def _line(self):
        found = []
        reader = threading.Thread(target=lambda: found.append(self.child.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(STEP)
        assert found and found[0].startswith("listening "), f"no listening line: {found}"
        return found[0]

    def stop(self):
        if self.child and self.child.poll() is None:
            self.child.terminate()
            self.child.wait(STEP)

    def restart(self):
        self.stop()
        self.start()

    def add_account(self, name, password):
        """`confab account add` on the data directory, between a stop and a start."""
        self.stop()
        subprocess.run(
            [BIN, "account", "add", name, "--data", str(self.data)],
            input=password + "\n", text=True, check=True, timeout=STEP,
            capture_output=True,
        )
        self.start()

    @property
    def url(self):
        host, port = self.addrs["http"]
        return f"http://{host}:{port}/"


class LineClient:
    """A raw TCP client that reads lines, each wait bounded."""

    def __init__(self, addr):
        self.sock = socket.create_connection(addr, timeout=STEP)
        self.buffer = b""
        self.seen = []

    def send(self, line):
        self.sock.sendall(line.encode() + self.ending)

    def line(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            assert chunk, f"closed; seen: {self.seen}"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        text = line.decode().rstrip("\r")
        self.seen.append(text)
        return text

    def expect(self, wanted):
        """Reads until a line contains `wanted`, within STEP seconds; returns it."""
        deadline = time.monotonic() + STEP
        while time.monotonic() < deadline:
            line = self.line()
            if wanted in line:
                return line
            if line.startswith("PING "):
                self.send("PONG " + line[5:])
        raise AssertionError(f"no line with {wanted!r}; seen: {self.seen}")

    def close(self):
        self.sock.close()


class IrcUser(LineClient):
    ending = b"\r\n"

    def __init__(self, addr, nick):
        super().__init__(addr)
        self.nick = nick
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick}")
        self.expect(" 001 ")

    def sync(self):
        """PING answered: everything sent before it took effect (docs/irc.md)."""
        self.send("PING sync")
        self.expect("PONG")


class RoomsUser(LineClient):
    """A rooms-protocol user (docs/protocols/rooms.md) with `nick` in `room`."""

    ending = b"\n"

    def __init__(self, addr, room, nick):
        super().__init__(addr)
        self.send(f"/join {room}")
        assert self.line() == "0"
        self.send(f"/nick {nick}")
        assert self.line() == "0"


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        # Root in a container needs --no-sandbox; the tests open only 127.0.0.1.
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture
def server(tmp_path):
    server = Server(tmp_path / "data")
    yield server
    server.stop()


@pytest.fixture
def login(browser, server):
    """`login(nick)`: a new browser profile on the page, connected as `nick`."""
    contexts = []

    def login(nick, password=None, **options):
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(STEP * 1000)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(server.url)
        page.fill("#nick", nick)
        if password:
            page.click("#login summary")
            page.fill("#password", password)
        page.click("#connect")
        expect(page.locator("#me")).to_have_text(nick)
        expect(page.locator("#status")).to_have_attribute("data-state", "connected")
        return page

    yield login
    pages = [page for context in contexts for page in context.pages]
    for context in contexts:
        context.close()
    # No script error on any page, in any test.
    assert [error for page in pages for error in page.errors] == []
