#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/corpus/<target>/ from the literal inputs of confab's
protocol tests (crates/proto unit tests, crates/check scenarios, crates/server IRC tests).
Run from the repository root: python3 fuzz/seeds.py. Files are small; rerunning rewrites
the seed-* files only, so crash regressions added by hand stay."""

import glob
import os
import re
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def unescape(lit):
    """A Rust (byte) string literal's body to bytes (the escapes tests use)."""
    out = bytearray()
    i = 0
    while i < len(lit):
        c = lit[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = lit[i + 1]
        if n == "x":
            out.append(int(lit[i + 2:i + 4], 16))
            i += 4
        elif n == "u":
            end = lit.index("}", i)
            out += chr(int(lit[i + 3:end], 16)).encode()
            i = end + 1
        else:
            out += {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\",
                    '"': b'"', "'": b"'"}[n]
            i += 2
    return bytes(out)


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def frame2(p):
    return b"%02d" % len(p) + p


def frame4(p):
    return b"%04d" % len(p) + p


def name(s):
    return bytes([len(s)]) + s


def text(s):
    return struct.pack(">I", len(s)) + s


def packet(kind, body):
    return bytes([kind]) + struct.pack(">I", len(body)) + body


# Control byte (first byte of the targets that take one): chunk size 64, no timer, EOF.
WHOLE = b"\xbf"
# Chunks of 3 bytes, with the timer fired after each (the 500 ms rules), EOF.
SMALL_TIMED = b"\xc2"

# line: LineDecoder unit tests. The control byte 0xff gives max 31 and chunks of 64.
for i, s in enumerate([b"hello\nworld\r\n\npart", b"a\r\r\n", b"abcd\r\n",
                       b"abcdef\nxy\n", b"abcdefghij\nklm\nok\n", b"one two three\n",
                       b"a\nalice\r", b"a\rb\nc\0d\r\n"]):
    write("line", str(i), b"\xff" + s)
    write("line", "small-%d" % i, b"\x20" + s)

# prefixed: framing and command tests.
prefixed_seeds = [
    b"06NAME A09GET_NAMES", b"0006NAME A", b"00", b"x5hello",
    frame4(b"MSG B HELLO WORLD"), frame2(b"exit\r\n"), frame2(b"getnames x"),
    frame2(b"Foo bar") + frame2(b"MSG") + frame2(b"MSG B ") + frame2(b"\xff"),
    frame2(b"abcdefghi " * 9) + frame2(b"abcdefghi " * 3),
]
for i, s in enumerate(prefixed_seeds):
    write("prefixed", str(i), WHOLE + s)
write("prefixed", "settle", b"\x41" + b"00" + frame2(b"NAME A"))

# packet: exact encodings from the packet tests.
packets = [
    packet(1, name(b"bob")), packet(2, b""), packet(3, name(b"A") + text(b"hi")),
    packet(4, b""), packet(0x81, b"\0\x02" + name(b"A") + name(b"bc")),
    packet(0x82, b"\x02"), packet(0x83, name(b"A") + text(b"hi")),
    b"\x03\0\x01\x11\x71", packet(1, b"\x03bo"), packet(1, b"\x01\xff"),
    packet(3, b"\x01A\0\0\0\x05hi"), packet(0x82, b"\x07"), packet(9, b""),
]
for i, s in enumerate(packets):
    write("packet", str(i), WHOLE + s)
write("packet", "all", WHOLE + b"".join(packets[:7]))
write("packet", "tiny-max", b"\xc7" + b"".join(packets[:7]))


def check_lines(path):
    src = open(path).read()
    return [unescape(m) for m in re.findall(r'send_line\(b"((?:[^"\\]|\\.)*)"\)', src)]


# rooms: parse tests and the rooms conformance scenario. No control byte.
rooms_lines = [b"/list", b"/LIST extra", b"/join  lobby ", b"/join", b"/Nick bob",
               b"/who", b"/logout", b"/Foo bar", b"/", b"hello /join", b"", b" /list",
               b"x\ry\r"]
write("rooms", "parse", b"\n".join(rooms_lines) + b"\n")
write("rooms", "check", b"\n".join(check_lines("crates/check/src/rooms.rs")) + b"\n")

# broadcast: parse tests and the broadcast conformance scenario. No control byte.
write("broadcast", "parse", b"bye\n  ByE \nbye now\n\nx\ry\0z\n")
write("broadcast", "check",
      b"\n".join(check_lines("crates/check/src/broadcast.rs")) + b"\n")

# irc: message and framing tests.
irc_lines = [
    rb"@msgid=a\sb :n!u@h PRIVMSG #chan :hello world", b"PRIVMSG #a :caf\xe9",
    b"privMsg #a :x", b"@a=b :srv PING x", b"TOPIC #a :", b"PRIVMSG #a ::)",
    b"QUIT", b"@a=b :src", b"@a=b  ", b"   ", b"MODE * _x a_b last",
    rb"@time=2024-01-01T00:00:00.000Z;+draft/reply=abc;bot;empty= TAGMSG #a",
    rb"@;;a=1;=x;;b :n!u@h NOTICE bob :hi", rb"@msg=hello\sworld\:\sok\b\ PING x",
    b": :weird command", b"@t @cmd x", b"PRIVMSG #a x y z :trailing with  spaces  ",
]
write("irc", "lines", WHOLE + b"\r\n".join(irc_lines) + b"\r\n")
for i, l in enumerate(irc_lines):
    write("irc", str(i), WHOLE + l)

# adapter_prefixed: a session in both widths, against the hub's bob and carol.
write("adapter_prefixed", "two", WHOLE + b"".join(frame2(p) for p in [
    b"NAME amy", b"GET_NAMES", b"MSG bob HELLO WORLD", b"MSG nobody hi", b"NAME bob",
    b"NAME bad name!", b"MSG", b"", b"\xff", b"FOO", b"NAME amy2", b"GETNAMES", b"EXIT"]))
write("adapter_prefixed", "four", WHOLE + b"".join(frame4(p) for p in [
    b"MSG carol before a name", b"NAME Amy", b"get_names", b"MSG carol hi", b"exit"]))
write("adapter_prefixed", "timed", SMALL_TIMED + b"00" + frame2(b"NAME x"))
write("adapter_prefixed", "bad-length", WHOLE + b"06NAME Ax5hello")

# adapter_packet: login, list, sendto, logout, errors.
write("adapter_packet", "session", WHOLE + b"".join([
    packet(3, name(b"bob") + text(b"before login")), packet(1, name(b"me")),
    packet(2, b""), packet(3, name(b"bob") + text(b"hi bob")),
    packet(3, name(b"me") + text(b"to myself")), packet(3, name(b"nobody") + text(b"x")),
    packet(1, name(b"again")), packet(4, b""), packet(4, b""), packet(1, name(b"bob")),
    packet(1, name(b"new")), packet(9, b""), packet(1, b"\x01\xff")]))
write("adapter_packet", "oversized", WHOLE + packet(1, name(b"me")) + b"\x03\0\x01\x11\x71")

# adapter_rooms: the rooms scenario lines with a join and a nick first.
write("adapter_rooms", "session", WHOLE + b"\n".join([
    b"hello", b"/nick early", b"/join lobby", b"hi before nick", b"/nick bob",
    b"/nick amy", b"hello room", b"/who", b"/list", b"/join chat", b"/who",
    b"\x01ACTION waves\x01", b"/nick Amy", b"/join bad room!", b"/foo", b"caf\xc3 \xff",
    b"/logout"]) + b"\n")
write("adapter_rooms", "check", WHOLE + b"/join r\n/nick a\n" +
      b"\n".join(check_lines("crates/check/src/rooms.rs")) + b"\n")
write("adapter_rooms", "eof", WHOLE + b"/join a\n/nick b\nhi")

# adapter_broadcast: name line then chat; a taken name; a name without newline.
write("adapter_broadcast", "session", WHOLE + b"amy\n" +
      b"\n".join(check_lines("crates/check/src/broadcast.rs")) + b"\n")
write("adapter_broadcast", "taken", WHOLE + b"bob\nhello\n")
write("adapter_broadcast", "timed", SMALL_TIMED + b"amy")
write("adapter_broadcast", "bye", WHOLE + b"amy\r\nhello\r\n  ByE \r\nafter\r\n")

# adapter_irc: every line the IRC integration tests send, one file per test file, after
# a registration; plus operator and channel-rule sessions.
REGISTER = [b"CAP LS 302", b"NICK amy", b"USER amy 0 * :Real amy",
            b"CAP REQ :message-tags echo-message server-time multi-prefix extended-join",
            b"CAP END"]
for path in sorted(glob.glob("crates/server/tests/irc_*.rs")):
    src = open(path).read()
    sent = [unescape(m) for m in re.findall(r'\.send\("((?:[^"\\]|\\.)*)"\)', src)]
    sent = [s for s in sent if "{" not in s.decode("utf-8", "replace")]
    if sent:
        stem = os.path.basename(path)[:-3]
        write("adapter_irc", stem, WHOLE + b"\r\n".join(REGISTER + sent) + b"\r\n")
write("adapter_irc", "oper", WHOLE + b"\r\n".join(REGISTER + [
    b"OPER admin secret", b"JOIN #lobby,#new key", b"MODE #new +kl k 2", b"MODE #new +imnst",
    b"MODE #new +b bob!*@*", b"MODE #new +e bob!*@*", b"MODE #new +ov carol carol",
    b"INVITE bob #new", b"KICK #lobby bob :out", b"TOPIC #new :the topic", b"TOPIC #new",
    b"NAMES #lobby", b"WHO #lobby", b"WHOIS carol", b"LIST", b"LIST >0,<100",
    b"AWAY :gone", b"AWAY", b"MODE amy +i", b"MODE amy", b"NICK bob", b"NICK amy2",
    b"PRIVMSG #lobby,carol :\x01ACTION waves\x01", b"NOTICE #chan :x", b"TAGMSG #lobby",
    b"@+draft/reply=1;label=a\\sb PRIVMSG carol :tagged", b"PING x", b"PONG x",
    b"PART #new :bye", b"QUIT :done"]) + b"\r\n")
# History and accounts: every subcommand and selector, SASL in chunks, REGISTER, NickServ.
write("adapter_irc", "history_accounts", WHOLE + b"\r\n".join([
    b"CAP LS 302", b"CAP REQ :sasl batch draft/chathistory draft/event-playback labeled-response",
    b"AUTHENTICATE PLAIN", b"AUTHENTICATE AGFteQBodW50ZXIy", b"AUTHENTICATE +",
    b"AUTHENTICATE *", b"AUTHENTICATE " + b"A" * 400, b"NICK amy", b"USER amy 0 * :amy",
    b"CAP END", b"REGISTER amy * hunter2", b"REGISTER * * x", b"VERIFY amy 123",
    b"PRIVMSG NickServ :REGISTER hunter2", b"NS IDENTIFY amy hunter2", b"NS IDENTIFY",
    b"JOIN #lobby", b"PRIVMSG #lobby :one",
    b"CHATHISTORY LATEST #lobby * 10", b"CHATHISTORY BEFORE #lobby msgid=01HF7YAT3V003G00000000001A 5",
    b"CHATHISTORY AFTER #lobby timestamp=2026-12-06T00:00:00.000Z 5",
    b"CHATHISTORY AROUND #lobby msgid=x 5",
    b"CHATHISTORY BETWEEN #lobby timestamp=2026-01-01T00:00:00.000Z timestamp=2027-01-01T00:00:00.000Z 500",
    b"CHATHISTORY TARGETS timestamp=2026-01-01T00:00:00.000Z timestamp=2027-01-01T00:00:00.000Z 10",
    b"CHATHISTORY LATEST carol * 1", b"CHATHISTORY NOPE #lobby * 1", b"CHATHISTORY LATEST",
    b"@label=x CHATHISTORY LATEST #lobby * -1"]) + b"\r\n")
write("adapter_irc", "unregistered", SMALL_TIMED + b"PRIVMSG #x :hi\r\nPASS x\r\n"
      b"NICK\r\nNICK carol\r\nNICK a b\r\nUSER\r\nJOIN #a\r\nPING\r\n\xff\xfe\r\n"
      b"@" + b"a" * 5000 + b" PING x\r\n")

# http: requests for the page and for what is not there, bad and oversized heads, and
# WebSocket sessions on /irc: a registration and a chat in masked frames, then each way a
# client can break RFC 6455 (unmasked, fragmented past the limit, bad UTF-8, bad opcode,
# oversized control frame), ending with a close frame.
def ws_frame(payload, opcode=1, fin=True, mask=b"\x01\x02\x03\x04"):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    m = 0x80 if mask is not None else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack(">H", n)
    else:
        head += bytes([m | 127]) + struct.pack(">Q", n)
    if mask is None:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def upgrade(protocol=b"text.ircv3.net"):
    return (b"GET /irc HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:8080\r\n"
            b"Sec-WebSocket-Protocol: " + protocol + b"\r\n\r\n")


CHUNK = b"\x3f"  # 64-byte chunks, the client's side closed at the end
CHAT = [b"NICK amy", b"USER amy 0 * :amy", b"JOIN #lobby", b"PRIVMSG #lobby :hello",
        b"PRIVMSG carol :hi", b"NAMES #lobby", b"PING x"]
write("http", "page", CHUNK + b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n"
      b"GET /app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: \"x\"\r\n\r\n"
      b"HEAD /style.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
      b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
write("http", "bad_requests", CHUNK + b"GET /irc HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
      b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nOrigin: http://evil.example\r\n\r\n"
      b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
      b"GET / HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n")
write("http", "garbage", CHUNK + b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03GET\r\n\r\n")
write("http", "slow_head", b"\x80GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
write("http", "ws_text", CHUNK + upgrade() + b"".join(ws_frame(l) for l in CHAT)
      + ws_frame(b"\x03\xe8bye", opcode=8))
write("http", "ws_binary", CHUNK + upgrade(b"binary.ircv3.net")
      + b"".join(ws_frame(l, opcode=2) for l in CHAT) + ws_frame(b"x", opcode=9)
      + ws_frame(b"QUIT :done", opcode=2))
write("http", "ws_fragmented", CHUNK + upgrade() + ws_frame(b"NICK a", fin=False)
      + ws_frame(b"my", opcode=0) + ws_frame(b"ping", opcode=9)
      + b"".join(ws_frame(b"A" * 1000, opcode=0, fin=False) for _ in range(20)))
write("http", "ws_bad_utf8", CHUNK + upgrade() + ws_frame(b"NICK amy") + ws_frame(b"PRIVMSG #a :\xff\xfe"))
write("http", "ws_unmasked", CHUNK + upgrade() + ws_frame(b"NICK amy", mask=None))
write("http", "ws_bad_opcode", CHUNK + upgrade() + ws_frame(b"NICK amy", opcode=3)
      + ws_frame(b"p" * 200, opcode=9))
write("http", "ws_oversized", b"\xff" + upgrade() + ws_frame(b"A" * 70000))
