//! User `MODE <nick> [<modes>]`: `221 RPL_UMODEIS`, or change one's own `+i`
//! (invisible), `+B` (bot, IRCv3 bot mode: ISUPPORT `BOT=B`) and `-o` (drop operator
//! status; `+o` comes only from OPER).

use confab_proto::irc::{Message, Numeric};

use super::super::settings::BOT_MODE;
use super::super::IrcAdapter;
use crate::adapter::{Context, Flow};

pub fn umode(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let target = m.params[0];
    let Some(nick) = me.nick.clone() else {
        return Flow::Continue;
    };
    if !target.eq_ignore_ascii_case(nick.as_str()) {
        let numeric = if cx.hub.lookup(target).is_some() {
            Numeric::ERR_USERSDONTMATCH
        } else {
            Numeric::ERR_NOSUCHNICK
        };
        me.out.num(numeric, &[target]);
        return Flow::Continue;
    }
    let Some(modes) = m.param(1) else {
        let current = me.umodes(cx.hub.is_oper(cx.session));
        me.out.num(Numeric::RPL_UMODEIS, &[&current]);
        return Flow::Continue;
    };
    let mut on = true;
    let mut applied: Vec<(bool, char)> = Vec::new();
    let mut unknown = false;
    for letter in modes.chars() {
        match letter {
            '+' | '-' => on = letter == '+',
            'i' if me.invisible != on => {
                me.invisible = on;
                let _ = cx.hub.set_invisible(cx.session, on);
                applied.push((on, 'i'));
            }
            BOT_MODE if me.bot != on => {
                me.bot = on;
                let _ = cx.hub.set_bot(cx.session, on);
                applied.push((on, BOT_MODE));
            }
            'o' if !on && cx.hub.is_oper(cx.session) => {
                let _ = cx.hub.set_oper(cx.session, false);
                applied.push((false, 'o'));
            }
            // Already so, or `+o` (only OPER grants it): nothing to do.
            'i' | BOT_MODE | 'o' => {}
            _ => unknown = true,
        }
    }
    if unknown {
        me.out.num(Numeric::ERR_UMODEUNKNOWNFLAG, &[]);
    }
    if !applied.is_empty() {
        let changes = mode_letters(&applied);
        let mask = me.mask();
        me.out.line(&mask, "MODE", &[nick.as_str(), &changes]);
    }
    Flow::Continue
}

/// `+i-o` from a list of changes, with a sign only where it changes.
fn mode_letters(changes: &[(bool, char)]) -> String {
    let mut out = String::new();
    let mut sign = None;
    for &(on, letter) in changes {
        if sign != Some(on) {
            out.push(if on { '+' } else { '-' });
            sign = Some(on);
        }
        out.push(letter);
    }
    out
}

impl IrcAdapter {
    /// The client's user modes as `221` shows them: `+`, `+i`, `+Bio`.
    pub(crate) fn umodes(&self, oper: bool) -> String {
        let mut modes = String::from("+");
        if self.bot {
            modes.push(BOT_MODE);
        }
        if self.invisible {
            modes.push('i');
        }
        if oper {
            modes.push('o');
        }
        modes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_group_by_sign() {
        assert_eq!(mode_letters(&[(true, 'i')]), "+i");
        assert_eq!(mode_letters(&[(true, 'i'), (false, 'o')]), "+i-o");
    }
}
