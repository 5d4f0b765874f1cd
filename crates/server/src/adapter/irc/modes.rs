//! IRC's notation for room modes: the letter of each flag and change, and a list of
//! changes written the IRC way (`+mo-v bob carol`; masks as `extban.rs` writes them). The line protocols show IRC users'
//! mode changes in the same notation.

use confab_core::{ChannelFlag, ModeChange};

use super::extban;

/// The IRC mode letter of a flag.
pub fn flag_letter(flag: ChannelFlag) -> char {
    match flag {
        ChannelFlag::NoExternal => 'n',
        ChannelFlag::TopicLock => 't',
        ChannelFlag::Moderated => 'm',
        ChannelFlag::Secret => 's',
        ChannelFlag::InviteOnly => 'i',
        ChannelFlag::NoCtcp => 'C',
    }
}

/// The IRC mode letter of a change.
pub fn change_letter(change: &ModeChange) -> char {
    match change {
        ModeChange::Flag { flag, .. } => flag_letter(*flag),
        ModeChange::Key(_) => 'k',
        ModeChange::Limit(_) => 'l',
        ModeChange::Op { .. } => 'o',
        ModeChange::Voice { .. } => 'v',
        ModeChange::Ban { .. } => 'b',
        ModeChange::Except { .. } => 'e',
        ModeChange::Quiet { .. } => 'q',
        ModeChange::InviteExcept { .. } => 'I',
        ModeChange::QuietExcept { .. } => 'e',
        ModeChange::Slow(_) => 'f',
    }
}

/// The parameter a change carries on the wire, if any (`-k` carries `*`).
pub fn parameter(change: &ModeChange) -> Option<String> {
    match change {
        ModeChange::Flag { .. } | ModeChange::Limit(None) | ModeChange::Slow(None) => None,
        ModeChange::Slow(Some(seconds)) => Some(seconds.to_string()),
        ModeChange::Key(key) => Some(key.clone().unwrap_or_else(|| "*".into())),
        ModeChange::Limit(Some(n)) => Some(n.to_string()),
        ModeChange::Op { who, .. } | ModeChange::Voice { who, .. } => Some(who.to_string()),
        ModeChange::Ban { mask, .. }
        | ModeChange::Except { mask, .. }
        | ModeChange::InviteExcept { mask, .. }
        | ModeChange::Quiet { mask, .. } => Some(extban::write(mask)),
        ModeChange::QuietExcept { mask, .. } => Some(extban::write_mute(mask)),
    }
}

/// Writes changes the IRC way: `+mo-v bob carol`.
pub fn mode_string(changes: &[ModeChange]) -> String {
    let mut letters = String::new();
    let mut params = Vec::new();
    let mut sign = None;
    for change in changes {
        let on = change.is_on();
        if sign != Some(on) {
            letters.push(if on { '+' } else { '-' });
            sign = Some(on);
        }
        letters.push(change_letter(change));
        params.extend(parameter(change));
    }
    std::iter::once(letters)
        .chain(params)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_core::Name;

    #[test]
    fn mode_strings_group_signs_and_keep_parameters_in_order() {
        let bob = Name::parse("bob", 20).unwrap();
        let changes = vec![
            ModeChange::Flag {
                flag: ChannelFlag::Moderated,
                on: true,
            },
            ModeChange::Op {
                on: true,
                who: bob.clone(),
            },
            ModeChange::Voice {
                on: false,
                who: bob,
            },
            ModeChange::Key(None),
            ModeChange::Limit(Some(5)),
        ];
        assert_eq!(mode_string(&changes), "+mo-vk+l bob bob * 5");
        let exceptions = vec![
            ModeChange::Except {
                on: true,
                mask: "bob!*@*".into(),
            },
            ModeChange::Except {
                on: false,
                mask: "*!*@h".into(),
            },
        ];
        assert_eq!(mode_string(&exceptions), "+e-e bob!*@* *!*@h");
    }

    #[test]
    fn extbans_are_written_back_as_extbans() {
        let changes = vec![
            ModeChange::Ban {
                on: true,
                mask: confab_core::mask::Mask::Account("bob".into()),
            },
            ModeChange::Quiet {
                on: true,
                mask: "x!*@*".into(),
            },
            ModeChange::QuietExcept {
                on: false,
                mask: "*!*evan@*".into(),
            },
        ];
        assert_eq!(mode_string(&changes), "+bq-e a:bob x!*@* m:*!*evan@*");
    }
}
