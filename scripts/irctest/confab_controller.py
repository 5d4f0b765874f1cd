"""irctest controller for confab (shaped like irctest's own ngircd controller).

Used by scripts/irctest.sh as `--controller confab_controller`: it writes a TOML
configuration into a fresh directory and runs `confab serve` in the foreground.
The binary is $CONFAB_BIN, by default target/release/confab of this repository.
"""

import json
import os
import shutil
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
{password_field}

[[irc.opers]]
name = "operuser"
password = "operpassword"
"""


class ConfabController(BaseServerController, DirectoryBasedController):
    software_name = "confab"
    supported_sasl_mechanisms: set = set()
    supports_sts = False
    capabilities = frozenset(
        (
            Capabilities.AWAY_NOTIFY,
            Capabilities.ECHO_MESSAGE,
            Capabilities.EXTENDED_JOIN,
            Capabilities.MULTI_PREFIX,
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
        if websocket_hostname is not None or websocket_port is not None:
            raise NotImplementedByController("Websocket")
        if ssl:
            raise NotImplementedByController("TLS")
        if run_services:
            raise NotImplementedByController("Services")
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
            fd.write(TEMPLATE_CONFIG.format(password_field=password_field))
        binary = os.environ.get("CONFAB_BIN", str(REPO / "target/release/confab"))
        self.proc = self.execute(
            [
                *faketime_cmd,
                binary,
                "serve",
                "--config",
                self.directory / "confab.toml",
                "--listen",
                f"irc={hostname}:{port}",
            ],
            env={**os.environ, "FAKETIME_DONT_FAKE_MONOTONIC": "1"},
        )
        self.wait_for_port()


def get_irctest_controller_class() -> Type[ConfabController]:
    return ConfabController
