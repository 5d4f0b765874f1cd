//! An IRC `/me` (CTCP ACTION) reaches the line protocols as `* nick (action): text`, a
//! form of its own: never raw `\x01ACTION ...\x01` bytes, and never a line that reads as a
//! notice the server sends (`* amy left`, `amy left the conversation`), whoever types it.

use confab_check::wire::Wire;
use confab_check::Failure;
use confab_testkit::TestServer;

const WELCOME: &[u8] = b"Welcome to the chat. Enter 'bye' anytime to exit.\n";

/// Turns a scenario-style result into a test failure showing the escaped bytes.
fn ok(result: Result<(), Failure>) {
    if let Err(failure) = result {
        panic!("\n{failure}");
    }
}

#[tokio::test]
async fn actions_read_as_actions_and_cannot_forge_server_notices() {
    let server = TestServer::start().await;
    ok(actions(&server).await);
}

async fn actions(server: &TestServer) -> Result<(), Failure> {
    let mut carol = Wire::connect(server.addr("rooms"), "carol").await?;
    carol.send(b"/join lobby\n/nick carol\n").await?;
    carol.expect(b"0\n0\n").await?;
    let mut bob = Wire::connect(server.addr("broadcast"), "bob").await?;
    bob.send(b"bob\n").await?;
    bob.expect(WELCOME).await?;
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
