"""irctest controller for confab (shaped like irctest's own ngircd controller).

Used by scripts/irctest.sh as `--controller confab_controller`: it writes a TOML
configuration into a fresh directory and runs `confab serve` in the foreground.
The binary is $CONFAB_BIN, by default target/release/confab of this repository.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Optional, Type

from irctest import patma
from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import NotImplementedByController
from irctest.specifications import Capabilities, OptionalBehaviors

REPO = Path(__file__).resolve().parents[2]

TEMPLATE_CONFIG = """
[limits]
name_max = 32

[irc]
server_name = "My.Little.Server"
network = "MyTestNet"
description = "test server"
register_before_connect = {before_connect}
{password_field}

[[irc.opers]]
name = "operuser"
password = "operpassword"
"""


class ConfabController(BaseServerController, DirectoryBasedController):
    software_name = "confab"
    # The mute extban: `MODE #c +b m:<mask>` (EXTBAN=,am).
    extban_mute_char = "m"
    supported_sasl_mechanisms = {"PLAIN"}
    supports_sts = False
    capabilities = frozenset(
        (
            Capabilities.ACCOUNT_NOTIFY,
            Capabilities.ACCOUNT_TAG,
            Capabilities.AWAY_NOTIFY,
            Capabilities.BATCH,
            Capabilities.ECHO_MESSAGE,
            Capabilities.EXTENDED_JOIN,
            Capabilities.LABELED_RESPONSE,
            Capabilities.MULTI_PREFIX,
            Capabilities.MULTILINE,
            Capabilities.SERVER_TIME,
        )
    )
    optional_behaviors = frozenset(
        (
            OptionalBehaviors.CAP_REQ_MINUS,
            OptionalBehaviors.ELIST_C,
            OptionalBehaviors.ELIST_M,
            OptionalBehaviors.ELIST_N,
            OptionalBehaviors.ELIST_T,
            OptionalBehaviors.ELIST_U,
            OptionalBehaviors.INVITE_LIST,
            OptionalBehaviors.INVITE_OVERRIDES_LIMIT,
            OptionalBehaviors.MULTI_JOIN,
            OptionalBehaviors.MULTI_KICK,
            OptionalBehaviors.MULTI_NAMES_COMMAND,
            OptionalBehaviors.MULTI_PRIVMSG,
            OptionalBehaviors.NO_CTCP,
        )
    )

    isupport = {
        "CASEMAPPING": "ascii",
        "CHANTYPES": "#",
        "ELIST": "CMNTU",
        "NICKLEN": "32",
        "PREFIX": "(ov)@+",
        "TARGMAX": patma.ANYSTR,
        "UTF8ONLY": None,
        "WHOX": None,
    }

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str] = None,
        websocket_port: Optional[int] = None,
    ) -> None:
        if ssl:
            raise NotImplementedByController("TLS")
        # links.py's services test wants the services linked as a second server
        # (My.Little.Services in LINKS); confab's NickServ is part of the server, and
        # LINKS names the one server there is. pytest names the running test in
        # PYTEST_CURRENT_TEST, the only place a controller can see it.
        if "testLinksWithServices" in os.environ.get("PYTEST_CURRENT_TEST", ""):
            raise NotImplementedByController("services linked as a separate server")
        # read_marker.py's service tests want Ergo's bouncer: a client that stays joined
        # after disconnecting (always-on), and a second connection sharing the first's
        # nick (multiclient). confab has neither: one nick is one connection, and its
        # account's read marks reach the account's other sessions under their own nicks
        # (crates/server/tests/irc_read_marker.rs).
        if "ReadMarkerServiceTestCase" in os.environ.get("PYTEST_CURRENT_TEST", ""):
            raise NotImplementedByController("always-on clients and multiclient nicks")
        # NickServ is built in (and accounts live in the data directory beside the
        # config), so run_services asks for nothing more.
        if self.test_config.account_registration_requires_email:
            raise NotImplementedByController("account registration with email")
        # libfaketime fakes the wall clock only, so timers (PING) keep real time.
        faketime_cmd = []
        if faketime:
            if not shutil.which("faketime"):
                raise NotImplementedByController("faketime (apt-get install faketime)")
            faketime_cmd = ["faketime", "-f", faketime]
            self.faketime_enabled = True
        assert self.proc is None
        self.port = port
        self.hostname = hostname
        self.create_config()
        assert self.directory
        password_field = f"password = {json.dumps(password)}" if password else ""
        with self.open_file("confab.toml") as fd:
            before_connect = self.test_config.account_registration_before_connect
            fd.write(TEMPLATE_CONFIG.format(
                password_field=password_field,
                before_connect="true" if before_connect else "false",
            ))
        binary = os.environ.get("CONFAB_BIN", str(REPO / "target/release/confab"))
        self.binary = binary
        self.serve_command = [
            *faketime_cmd,
            binary,
            "serve",
            "--config",
            self.directory / "confab.toml",
            "--listen",
            f"irc={hostname}:{port}",
            # websocket.py asks for a WebSocket port too: an http listener, whose
            # WebSockets carry IRC (at /irc, and at the bare ws://host:port it uses).
            *(
                ["--listen", f"http={websocket_hostname or hostname}:{websocket_port}"]
                if websocket_port is not None
                else []
            ),
            # A fresh data directory per server: history (CHATHISTORY) and accounts
            # start empty for every test.
            "--data",
            self.directory / "data",
        ]
        self.start_server()

    def start_server(self) -> None:
        self.proc = self.execute(
            self.serve_command,
            env={**os.environ, "FAKETIME_DONT_FAKE_MONOTONIC": "1"},
        )
        self.wait_for_port()


    def wait_for_services(self) -> None:
        """NickServ is part of the server: up as soon as the port is."""

    def registerUser(
        self,
        case,  # irctest.cases.BaseServerTestCase
        username: str,
        password: Optional[str] = None,
    ) -> None:
        """Registers `username` the way a user would: connect with that nick and
        `NS REGISTER <password>` (the built-in NickServ answers `Account created`)."""
        assert password
        if len(f"NS REGISTER {password}\r\n") > 512:
            return self.register_offline(username, password)
        client = case.addClient(show_io=False)
        case.sendLine(client, "CAP LS 302")
        case.sendLine(client, "NICK " + username)
        case.sendLine(client, "USER r e g :user")
        case.sendLine(client, "CAP END")
        while case.getRegistrationMessage(client).command != "001":
            pass
        case.getMessages(client)
        case.sendLine(client, "NS REGISTER " + password)
        msg = case.getMessage(client)
        assert msg.params == [username, "Account created"], msg
        case.sendLine(client, "QUIT")
        case.assertDisconnected(client)


    def register_offline(self, username: str, password: str) -> None:
        """A password too long for an IRC line (irctest's 592-byte one for SASL's
        chunks) is set the way an operator would: the server stops, `confab account
        add` writes the account into its data directory, and the server starts again."""
        assert self.proc is not None and self.directory
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.port_open = False
        subprocess.run(
            [self.binary, "account", "add", username, "--data", self.directory / "data"],
            input=password + "\n",
            text=True,
            check=True,
            capture_output=True,
            timeout=30,
        )
        self.start_server()


def get_irctest_controller_class() -> Type[ConfabController]:
    return ConfabController
