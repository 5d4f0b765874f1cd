//! A room's lists beyond hostmasks: bans, exceptions and invite exceptions that name an
//! account, and mutes with their exceptions, as every protocol's user meets them.

use super::tests::{events, flag, n, named, room_with_op};
use super::*;
use crate::event::{ChannelFlag, ModeChange};
use crate::mask::Mask;
use crate::text::Text;

fn account(name: &str) -> Mask {
    Mask::Account(name.into())
}

#[test]
fn an_account_ban_keeps_out_whoever_is_logged_in_to_it_and_nobody_else() {
    let (hub, alice, _bob) = room_with_op();
    let ban = |on| ModeChange::Ban {
        on,
        mask: account("dave"),
    };
    hub.change_modes(&alice, "r", vec![ban(true)]).unwrap();
    // carol is logged in to the account dave; dave is only named so.
    let carol = named(&hub, "irc", "carol");
    hub.log_in(&carol, n("Dave")).unwrap();
    let dave = named(&hub, "rooms", "dave");
    assert_eq!(hub.join(&carol, n("r")), Err(HubError::Banned("r".into())));
    assert_eq!(
        hub.check_join(&carol, &n("r")),
        Err(HubError::Banned("r".into()))
    );
    hub.join(&dave, n("r")).unwrap();
    hub.change_modes(&alice, "r", vec![ban(false)]).unwrap();
    hub.join(&carol, n("r")).unwrap();
}

#[test]
fn account_exceptions_let_the_account_past_bans_and_invitation_only() {
    let (hub, alice, _bob) = room_with_op();
    let changes = vec![
        ModeChange::Ban {
            on: true,
            mask: "*!*@*".into(),
        },
        ModeChange::Except {
            on: true,
            mask: account("carol"),
        },
        ModeChange::InviteExcept {
            on: true,
            mask: account("carol"),
        },
        flag(ChannelFlag::InviteOnly, true),
    ];
    hub.change_modes(&alice, "r", changes).unwrap();
    let carol = named(&hub, "irc", "carol");
    // Her name alone is not her account.
    assert_eq!(
        hub.join(&carol, n("r")),
        Err(HubError::InviteOnly("r".into()))
    );
    hub.log_in(&carol, n("carol")).unwrap();
    hub.join(&carol, n("r")).unwrap();
    hub.say(&carol, "r", Text::new("hi")).unwrap();
}

#[test]
fn the_same_account_mask_is_listed_once_whatever_its_case() {
    let (hub, alice, bob) = room_with_op();
    let ban = |name: &str| ModeChange::Ban {
        on: true,
        mask: account(name),
    };
    let outcome = hub
        .change_modes(&alice, "r", vec![ban("dave"), ban("DAVE"), ban("*")])
        .unwrap();
    assert_eq!(outcome.applied, vec![ban("dave"), ban("*")]);
    assert!(matches!(
        &events(&bob)[..],
        [EventKind::ModesChanged { .. }]
    ));
    let bans = hub.room_view("r").unwrap().bans;
    assert_eq!(bans.len(), 2);
    assert_eq!(bans[0].mask, account("dave"));
}

#[test]
fn a_mute_exception_lets_its_match_speak() {
    let (hub, alice, bob) = room_with_op();
    let quiet = ModeChange::Quiet {
        on: true,
        mask: "bob!*@*".into(),
    };
    let except = |on| ModeChange::QuietExcept {
        on,
        mask: "*!bob@*".into(),
    };
    hub.change_modes(&alice, "r", vec![quiet]).unwrap();
    assert_eq!(
        hub.say(&bob, "r", Text::new("hi")),
        Err(HubError::Muted("r".into()))
    );
    let outcome = hub.change_modes(&alice, "r", vec![except(true)]).unwrap();
    assert_eq!(outcome.applied, vec![except(true)]);
    assert_eq!(hub.room_view("r").unwrap().quiet_exceptions.len(), 1);
    hub.say(&bob, "r", Text::new("hi")).unwrap();
    hub.change_modes(&alice, "r", vec![except(false)]).unwrap();
    assert!(hub.say(&bob, "r", Text::new("hi")).is_err());
}
