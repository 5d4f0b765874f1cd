//! Users of different classroom protocols reach each other through the one chat core:
//! direct messages between prefixed and packet, the shared room `lobby` between rooms
//! and broadcast, and private notices for protocols without direct messages.

use confab_check::wire::{kind, list_body, result, sendto_body};
use confab_testkit::classroom::*;
use confab_testkit::{ok, Step, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixed_and_packet_users_message_each_other() {
    let server = TestServer::start().await;
    ok(prefixed_and_packet(&server).await);
}

async fn prefixed_and_packet(server: &TestServer) -> Step {
    // pak logs in over packet, Pre names himself over prefixed (2 digits).
    let mut pak = packet_user(server, "pak").await?;
    let mut pre = prefixed_user(server, "Pre").await?;
    // Each sees the other in its own list form, in the order names were taken.
    pre.send_frame(2, b"GET_NAMES").await?;
    pre.expect_frame(2, b"pak Pre").await?;
    pak.send_packet(kind::LIST, b"").await?;
    pak.expect_packet(kind::LIST_REPLY, &list_body(&[b"pak", b"Pre"]))
        .await?;
    // Pre -> pak arrives as a SENDTO packet.
    pre.send_frame(2, b"MSG pak hi").await?;
    pak.expect_packet(kind::SENDTO_REPLY, &sendto_body(b"Pre", b"hi"))
        .await?;
    // pak -> Pre arrives as "pak sent hi".
    pak.send_packet(kind::SENDTO, &sendto_body(b"Pre", b"hi"))
        .await?;
    pak.expect_response(result::OK).await?;
    pre.expect_frame(2, b"pak sent hi").await?;
    // A long text with no spaces is split for Pre at UTF-8 character boundaries, each
    // part a message of its own from pak: 9 bytes of "pak sent " and 45 é fill 99.
    let text = "é".repeat(60);
    pak.send_packet(kind::SENDTO, &sendto_body(b"Pre", text.as_bytes()))
        .await?;
    pak.expect_response(result::OK).await?;
    pre.expect_frame(2, format!("pak sent {}", "é".repeat(45)).as_bytes())
        .await?;
    pre.expect_frame(2, format!("pak sent {}", "é".repeat(15)).as_bytes())
        .await?;
    // Both leave.
    pre.send_frame(2, b"EXIT").await?;
    pre.expect_closed().await?;
    pak.send_packet(kind::LOGOUT, b"").await?;
    pak.expect_response(result::OK).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_lobby_and_broadcast_share_one_conversation() {
    let server = TestServer::start().await;
    ok(rooms_and_broadcast(&server).await);
}

async fn rooms_and_broadcast(server: &TestServer) -> Step {
    // alice joins the broadcast conversation.
    let mut alice = broadcast_user(server, "alice").await?;
    // carol joins room lobby over rooms; alice is told when carol takes her nickname.
    let mut carol = rooms_user(server, "lobby", "carol").await?;
    alice.expect_line(b"carol joined the conversation").await?;
    // bob arrives over broadcast; carol sees it in rooms' form, alice in broadcast's.
    let mut bob = broadcast_user(server, "bob").await?;
    carol.expect_line(b"* bob joined").await?;
    alice.expect_line(b"bob joined the conversation").await?;
    // Lines both ways, in both forms (which happen to be the same: "NAME: text").
    alice.send_line(b"hi").await?;
    carol.expect_line(b"alice: hi").await?;
    bob.expect_line(b"alice: hi").await?;
    carol.send_line(b"hi").await?;
    alice.expect_line(b"carol: hi").await?;
    bob.expect_line(b"carol: hi").await?;
    // /who in lobby lists the broadcast users too, in join order.
    carol.send_line(b"/who").await?;
    carol.expect(b"3\nalice\ncarol\nbob\n").await?;
    // bob says bye; carol sees "* bob left", alice "bob left the conversation".
    bob.send_line(b"bye").await?;
    bob.expect_closed().await?;
    carol.expect_line(b"* bob left").await?;
    alice.expect_line(b"bob left the conversation").await?;
    // carol logs out; alice is told in broadcast's form.
    carol.send_line(b"/logout").await?;
    carol.expect_closed().await?;
    alice.expect_line(b"carol left the conversation").await?;
    alice.send_line(b"bye").await?;
    alice.expect_closed().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_messages_to_rooms_and_broadcast_are_private_notices() {
    let server = TestServer::start().await;
    ok(private_notices(&server).await);
}

async fn private_notices(server: &TestServer) -> Step {
    // carol is in room lobby over rooms; alice in the broadcast conversation.
    let mut carol = rooms_user(server, "lobby", "carol").await?;
    let mut alice = broadcast_user(server, "alice").await?;
    carol.expect_line(b"* alice joined").await?;
    // A names himself over prefixed and writes to each of them.
    let mut a = prefixed_user(server, "A").await?;
    a.send_frame(2, b"MSG carol hi").await?;
    carol.expect_line(b"* A (private): hi").await?;
    a.send_frame(2, b"MSG alice hi").await?;
    alice.expect_line(b"* A (private): hi").await?;
    // Everyone leaves.
    a.send_frame(2, b"EXIT").await?;
    a.expect_closed().await?;
    alice.send_line(b"bye").await?;
    alice.expect_closed().await?;
    carol.expect_line(b"* alice left").await?;
    carol.send_line(b"/logout").await?;
    carol.expect_closed().await
}
