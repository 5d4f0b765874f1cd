//! An IRC `/me` (CTCP ACTION) reaches the line protocols as `* nick (action): text`, a
//! form of its own: never raw `\x01ACTION ...\x01` bytes, and never a line that reads as a
//! notice the server sends (`* amy left`, `amy left the conversation`), whoever types it.

use confab_testkit::classroom::{broadcast_user, rooms_user};
use confab_testkit::{ok, Step, TestServer, Wire};

#[tokio::test]
async fn actions_read_as_actions_and_cannot_forge_server_notices() {
    let server = TestServer::start().await;
    ok(actions(&server).await);
}

async fn actions(server: &TestServer) -> Step {
    let mut carol = rooms_user(server, "lobby", "carol").await?;
    let mut bob = broadcast_user(server, "bob").await?;
    carol.expect(b"* bob joined\n").await?;
    let mut amy = Wire::connect(server.addr("irc"), "amy").await?;
    amy.send(b"NICK amy\r\nUSER amy 0 * :Amy\r\nJOIN #lobby\r\n")
        .await?;
    amy.skip_until(b"End of /NAMES list\r\n").await?;
    carol.expect(b"* amy joined\n").await?;
    bob.expect(b"amy joined the conversation\n").await?;

    // An IRC /me, and the same words as the real notices, are actions.
    amy.send(b"PRIVMSG #lobby :\x01ACTION waves\x01\r\nPRIVMSG #lobby :\x01ACTION left\x01\r\n")
        .await?;
    carol
        .expect(b"* amy (action): waves\n* amy (action): left\n")
        .await?;
    bob.expect(b"* amy (action): waves\n* amy (action): left\n")
        .await?;
    // The same bytes typed by a rooms or a broadcast user are actions too.
    carol.send(b"\x01ACTION is now known as bob\x01\n").await?;
    bob.expect(b"* carol (action): is now known as bob\n")
        .await?;
    amy.expect(b":carol!carol@rooms PRIVMSG #lobby :\x01ACTION is now known as bob\x01\r\n")
        .await?;
    bob.send(b"\x01ACTION left the conversation\x01\n").await?;
    carol
        .expect(b"* bob (action): left the conversation\n")
        .await?;
    Ok(())
}
