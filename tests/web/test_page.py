"""The web page as a person uses it, in Debian's chromium: pages chat with each other, with
an IRC client and with a rooms-protocol user; a reload keeps the nick and the rooms; a
server restart is survived with the gap filled from history; a message is shown as
text, never run; a direct message gets its own tab. Asserts exact visible texts."""

from playwright.sync_api import expect

from conftest import ROOT, IrcUser, RoomsUser


def type_line(page, line):
    page.fill("#input", line)
    page.press("#input", "Enter")


def join(page, room):
    type_line(page, f"/join {room}")
    expect(page.locator("#title")).to_have_text(room)


def said(page):
    """The open tab's chat lines: their nicks and their texts."""
    return page.locator("#log .msg.privmsg .nick"), page.locator("#log .msg.privmsg .text")


def expect_said(page, lines):
    nicks, texts = said(page)
    expect(texts).to_have_text([text for _, text in lines])
    expect(nicks).to_have_text([nick for nick, _ in lines])


def said_in(login, nick, room, line):
    """A page logged in as `nick` that joined `room` and said `line` there (and saw it)."""
    page = login(nick)
    join(page, room)
    type_line(page, line)
    expect_said(page, [(nick, line)])
    return page


def members(page):
    return page.locator("#member-list li")


def test_two_pages_chat_in_a_room(login):
    alice = login("alice")
    join(alice, "#room")
    bob = login("bob")
    join(bob, "#room")
    # The room's first member is its operator (@).
    expect(members(bob)).to_have_text(["@alice", "bob"])
    expect(members(alice)).to_have_text(["@alice", "bob"])
    expect(alice.locator("#log .msg.join .text")).to_have_text(["bob joined"])
    type_line(alice, "hello bob")
    expect_said(bob, [("alice", "hello bob")])
    # alice sees her own line once: the server's echo, not a local copy as well.
    expect_said(alice, [("alice", "hello bob")])
    type_line(bob, "/me waves")
    expect(alice.locator("#log .msg.action .nick")).to_have_text(["bob"])
    expect(alice.locator("#log .msg.action .text")).to_have_text(["waves"])
    assert alice.errors == [] and bob.errors == []


def test_a_page_an_irc_user_and_a_rooms_user_chat(server, login):
    carol = RoomsUser(server.addrs["rooms"], "lounge", "carol")
    dave = IrcUser(server.addrs["irc"], "dave")
    dave.send("JOIN #lounge")
    dave.expect("366")
    ann = login("ann")
    join(ann, "#lounge")
    # Users of every protocol are members; nobody is operator of a rooms user's room.
    expect(members(ann)).to_have_text(["ann", "carol", "dave"])
    carol.send("hi from rooms")
    dave.expect(":carol!carol@rooms PRIVMSG #lounge :hi from rooms")
    dave.send("PRIVMSG #lounge :hi from irc")
    expect_said(ann, [("carol", "hi from rooms"), ("dave", "hi from irc")])
    type_line(ann, "hello both")
    assert carol.expect("ann:") == "ann: hello both"
    assert dave.expect("PRIVMSG #lounge").endswith(" PRIVMSG #lounge :hello both")
    carol.close()
    dave.close()


def test_a_reload_keeps_the_nick_and_rejoins(login):
    erin = said_in(login, "erin", "#keep", "before the reload")
    erin.reload()
    # No login form: the page connects again as erin, rejoins #keep and shows its history.
    expect(erin.locator("#me")).to_have_text("erin")
    expect(erin.locator("#login")).to_be_hidden()
    expect(erin.locator("#title")).to_have_text("#keep")
    expect(erin.locator("#tabs .tab-name")).to_have_text(["confab", "#keep"])
    expect(members(erin)).to_have_text(["@erin"])
    expect_said(erin, [("erin", "before the reload")])


def test_a_server_restart_reconnects_and_fills_the_gap(server, login):
    frank = said_in(login, "frank", "#steady", "first")
    server.stop()
    # The first retry (after 1 s) fails; the next is 2 s away: room to say something
    # frank cannot hear live.
    expect(frank.locator("#status")).to_contain_text("(attempt 2)")
    server.start()
    gina = IrcUser(server.addrs["irc"], "gina")
    gina.send("JOIN #steady")
    gina.send("PRIVMSG #steady :said while you were away")
    gina.sync()
    expect(frank.locator("#status")).to_have_attribute("data-state", "connected")
    expect_said(frank, [("frank", "first"), ("gina", "said while you were away")])
    expect(members(frank)).to_have_text(["@gina", "frank"])
    gina.close()


def test_a_script_in_a_message_shows_as_text(login):
    henry = login("henry")
    join(henry, "#safe")
    iris = login("iris")
    join(iris, "#safe")
    dialogs = []
    iris.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)> see http://example.test/a?b=<c>"
    type_line(henry, evil)
    expect_said(iris, [("henry", evil)])
    expect(iris.locator("#log script, #log img")).to_have_count(0)
    # The address is a link; the text around it stays text.
    expect(iris.locator("#log .msg.privmsg a")).to_have_attribute("href", "http://example.test/a?b=")
    assert dialogs == []


def test_a_direct_message_opens_its_own_tab(login):
    jack = login("jack")
    kim = login("kim")
    type_line(jack, "/msg kim psst, kim")
    expect(jack.locator("#title")).to_have_text("kim")
    expect_said(jack, [("jack", "psst, kim")])
    # kim gets a tab for jack with one unread (a DM counts as a mention), not opened.
    tab = kim.locator("#tabs .tab", has_text="jack")
    expect(tab.locator(".badge.hot")).to_have_text("1")
    expect(kim.locator("#title")).to_have_text("confab")
    tab.click()
    expect(kim.locator("#title")).to_have_text("jack")
    expect_said(kim, [("jack", "psst, kim")])
    expect(kim.locator("#log .msg.mention")).to_have_count(1)
    expect(tab.locator(".badge")).to_have_count(0)


def test_the_screenshot_for_the_readme(server, login):
    """Not a check: draws a conversation and saves docs/web.png."""
    size = {"viewport": {"width": 1100, "height": 560}, "color_scheme": "light"}
    maya = login("maya", **size)
    join(maya, "#club")
    type_line(maya, "/topic Welcome! Say hello, from any client")
    ned = IrcUser(server.addrs["irc"], "ned")
    ned.send("JOIN #club")
    ned.sync()
    olga = RoomsUser(server.addrs["rooms"], "club", "olga")
    ned.send("PRIVMSG #club :hi maya, I'm on irssi")
    olga.send("and I'm on the rooms protocol")
    type_line(maya, "Welcome both! Notes are at https://example.org/notes")
    ned.send("PRIVMSG #club :\x01ACTION waves\x01")
    ned.sync()
    expect(maya.locator("#log .msg.action")).to_have_count(1)
    expect(members(maya)).to_have_text(["@maya", "ned", "olga"])
    maya.screenshot(path=str(ROOT / "docs/web.png"))
    ned.close()
    olga.close()


def test_the_room_list_shows_member_counts_and_joins(server, login):
    pat = RoomsUser(server.addrs["rooms"], "games", "pat")
    quinn = login("quinn")
    quinn.click("#rooms-button")
    expect(quinn.locator("#room-table .room-name")).to_have_text(["#games"])
    expect(quinn.locator("#room-table .room-users")).to_have_text(["1"])
    quinn.locator("#room-table button", has_text="Join").click()
    expect(quinn.locator("#title")).to_have_text("#games")
    expect(members(quinn)).to_have_text(["pat", "quinn"])
    # Leaving closes the tab and the rooms user hears it.
    quinn.click("#leave-button")
    expect(quinn.locator("#tabs .tab-name")).to_have_text(["confab"])
    assert pat.line() == "* quinn joined"
    assert pat.line() == "* quinn left"
    pat.close()


def test_scrolling_up_loads_older_messages(server, login):
    ray = IrcUser(server.addrs["irc"], "ray")
    ray.send("JOIN #long")
    for n in range(1, 71):
        ray.send(f"PRIVMSG #long :line {n}")
    ray.sync()
    sam = login("sam")
    join(sam, "#long")
    # Joining shows the latest 50; the top of the log asks for the 50 before them.
    texts = said(sam)[1]
    expect(texts).to_have_text([f"line {n}" for n in range(21, 71)])
    sam.locator("#log").evaluate("log => log.scrollTop = 0")
    # In order, though the burst shares milliseconds: a page goes above, as it came.
    expect(texts).to_have_text([f"line {n}" for n in range(1, 71)])
    expect(sam.locator("#older")).to_be_hidden()
    ray.close()


def test_tab_completes_nicks_and_alt_number_switches_tabs(server, login):
    tess = login("tess")
    join(tess, "#one")
    uma = IrcUser(server.addrs["irc"], "umawilliams")
    uma.send("JOIN #one")
    expect(members(tess)).to_have_text(["@tess", "umawilliams"])
    tess.fill("#input", "um")
    tess.press("#input", "Tab")
    expect(tess.locator("#input")).to_have_value("umawilliams: ")
    join(tess, "#two")
    tess.press("#input", "Alt+2")
    expect(tess.locator("#title")).to_have_text("#one")
    tess.press("#input", "Alt+1")
    expect(tess.locator("#title")).to_have_text("confab")
    uma.close()


def test_on_a_phone_the_members_are_behind_a_button(login):
    vic = login("vic", viewport={"width": 390, "height": 740}, is_mobile=True, has_touch=True)
    join(vic, "#small")
    expect(vic.locator("#members")).to_be_hidden()
    expect(vic.locator("#tabs")).to_be_hidden()
    vic.click("#members-button")
    expect(members(vic)).to_have_text(["@vic"])
    vic.click("#members-button")
    expect(vic.locator("#members")).to_be_hidden()
    vic.click("#tabs-button")
    expect(vic.locator("#tabs .tab-name")).to_have_text(["confab", "#small"])


def test_an_account_logs_in_with_sasl_plain(server, login):
    server.add_account("wren", "sesame")
    wren = login("wren", password="sesame")
    expect(wren.locator("#log .msg.info .text").filter(has_text="logged in")).to_have_text(
        ["You are now logged in as wren"]
    )
