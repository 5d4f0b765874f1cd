//! Draws the full-screen UI from an [`App`]: the message pane (timestamps, word wrap,
//! scrollback), the side pane (names, and rooms where the protocol has them), the input
//! line and the status bar. Drawing only reads the app, except to clamp the scroll.

use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthChar;

use super::app::{App, Message};
use crate::session::Kind;

/// Columns of the side pane; it is left out on terminals narrower than this much more.
const SIDE_WIDTH: u16 = 20;
const SIDE_MIN_TOTAL: u16 = 50;
/// `HH:MM:SS ` before every message; wrapped rows are indented by as much.
const TIME_WIDTH: usize = 9;

pub fn draw(frame: &mut Frame, app: &mut App) {
    let [main, input, status] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(3),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    if main.width >= SIDE_MIN_TOTAL {
        let [messages, side] =
            Layout::horizontal([Constraint::Min(10), Constraint::Length(SIDE_WIDTH)]).areas(main);
        draw_messages(frame, app, messages);
        draw_side(frame, app, side);
    } else {
        draw_messages(frame, app, main);
    }
    draw_input(frame, app, input);
    draw_status(frame, app, status);
}

fn draw_messages(frame: &mut Frame, app: &mut App, area: Rect) {
    let title = match (&app.roster.window, app.scroll > 0) {
        (Some(window), true) => format!(" {window} (scrolled back; PgDn returns) "),
        (Some(window), false) => format!(" {window} "),
        (None, true) => " messages (scrolled back; PgDn returns) ".to_owned(),
        (None, false) => " messages ".to_owned(),
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = usize::from(inner.height);
    app.page = height.max(1);
    let rows = visible_rows(app, usize::from(inner.width), height);
    frame.render_widget(Paragraph::new(rows), inner);
}

/// The rows to show, wrapping only as many messages from the end as the view needs;
/// clamps `app.scroll` when it goes past the oldest message.
fn visible_rows(app: &mut App, width: usize, height: usize) -> Vec<Line<'static>> {
    let wanted = height + app.scroll;
    let mut rows: Vec<Line<'static>> = Vec::new();
    for message in app.messages.iter().rev().filter(|m| app.in_view(m)) {
        let mut wrapped = message_rows(message, width);
        wrapped.reverse();
        rows.extend(wrapped);
        if rows.len() >= wanted {
            break;
        }
    }
    app.scroll = app.scroll.min(rows.len().saturating_sub(height));
    rows.reverse();
    let end = rows.len() - app.scroll;
    let start = end.saturating_sub(height);
    rows.drain(start..end).collect()
}

/// One message as rows: the time, then the text wrapped under itself.
fn message_rows(message: &Message, width: usize) -> Vec<Line<'static>> {
    let text_width = width.saturating_sub(TIME_WIDTH).max(1);
    let style = kind_style(message.kind);
    wrap(&message.text, text_width)
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let lead = if i == 0 {
                Span::styled(
                    format!("{} ", message.time),
                    Style::new().fg(Color::DarkGray),
                )
            } else {
                Span::raw(" ".repeat(TIME_WIDTH))
            };
            Line::from(vec![lead, Span::styled(chunk, style)])
        })
        .collect()
}

fn kind_style(kind: Kind) -> Style {
    match kind {
        Kind::Received => Style::new(),
        Kind::Info => Style::new().fg(Color::Cyan),
        Kind::Error => Style::new().fg(Color::Red),
        Kind::Own => Style::new().fg(Color::Green),
    }
}

/// Splits `text` into rows of at most `width` columns, breaking after the last space
/// that fits, or inside a word longer than a row.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width && !row.is_empty() {
            if c == ' ' {
                // The break falls on this space: it starts no row.
                rows.push(std::mem::take(&mut row));
                used = 0;
                continue;
            }
            let carry = match row.rfind(' ') {
                Some(space) if space + 1 < row.len() => row.split_off(space + 1),
                _ => String::new(),
            };
            rows.push(std::mem::replace(&mut row, carry));
            used = row.chars().map(|c| c.width().unwrap_or(0)).sum();
        }
        row.push(c);
        used += w;
    }
    rows.push(row);
    rows
}

fn draw_side(frame: &mut Frame, app: &App, area: Rect) {
    let me = app.roster.me.as_deref();
    let names = list(&app.roster.names, me);
    if app.has_windows() {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
        frame.render_widget(
            Paragraph::new(names).block(Block::bordered().title(" names ")),
            top,
        );
        frame.render_widget(
            Paragraph::new(windows(app)).block(Block::bordered().title(" windows ")),
            bottom,
        );
        return;
    }
    if !app.has_rooms {
        frame.render_widget(
            Paragraph::new(names).block(Block::bordered().title(" names ")),
            area,
        );
        return;
    }
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
    frame.render_widget(
        Paragraph::new(names).block(Block::bordered().title(" names ")),
        top,
    );
    let rooms = list(&app.roster.rooms, app.roster.room.as_deref());
    frame.render_widget(
        Paragraph::new(rooms).block(Block::bordered().title(" rooms ")),
        bottom,
    );
}

/// The windows numbered for `/window N` and Alt-N, the one shown in bold, those with
/// unread lines marked `*`.
fn windows(app: &App) -> Vec<Line<'static>> {
    app.roster
        .windows
        .iter()
        .enumerate()
        .map(|(i, window)| {
            let unread = if app.unread.contains(window) {
                " *"
            } else {
                ""
            };
            let style = if app.roster.window.as_ref() == Some(window) {
                Style::new().add_modifier(Modifier::BOLD)
            } else {
                Style::new()
            };
            Line::styled(format!("{} {window}{unread}", i + 1), style)
        })
        .collect()
}

/// One row per item, sorted without regard to case; `current` in bold (an IRC
/// nick list's `@` and `+` are not part of the name).
fn list(items: &[String], current: Option<&str>) -> Vec<Line<'static>> {
    let mut items: Vec<&String> = items.iter().collect();
    items.sort_by_key(|item| item.to_ascii_lowercase());
    items
        .into_iter()
        .map(|item| {
            let name = item.trim_start_matches(['@', '+']);
            let bold = current.is_some_and(|c| c.eq_ignore_ascii_case(name));
            let style = if bold {
                Style::new().add_modifier(Modifier::BOLD)
            } else {
                Style::new()
            };
            Line::styled(item.clone(), style)
        })
        .collect()
}

fn draw_input(frame: &mut Frame, app: &App, area: Rect) {
    let block = Block::bordered().title(" input ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let prompt_style = if app.prompt.is_some() {
        Style::new().add_modifier(Modifier::BOLD)
    } else {
        // Waiting for the server: the prompt dims and Enter waits.
        Style::new().fg(Color::DarkGray)
    };
    let prompt_width = app
        .last_prompt
        .chars()
        .map(|c| c.width().unwrap_or(0))
        .sum::<usize>()
        .min(usize::from(inner.width));
    let room = usize::from(inner.width).saturating_sub(prompt_width).max(1);
    let scroll = app.input.visual_scroll(room);
    let value: String = app.input.value().chars().skip(scroll).collect();
    let line = Line::from(vec![
        Span::styled(app.last_prompt.clone(), prompt_style),
        Span::raw(value),
    ]);
    frame.render_widget(Paragraph::new(line), inner);
    let cursor = prompt_width + app.input.visual_cursor().saturating_sub(scroll);
    let x = inner.x + u16::try_from(cursor).unwrap_or(u16::MAX).min(inner.width);
    frame.set_cursor_position(Position::new(x, inner.y));
}

fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let keys = if app.has_windows() {
        "Ctrl-N/P windows, PgUp/PgDn scroll, Ctrl-C quits"
    } else {
        "PgUp/PgDn scroll, Ctrl-C quits"
    };
    let text = format!(" {}  |  {keys}", app.status());
    let style = Style::new().add_modifier(Modifier::REVERSED);
    frame.render_widget(Paragraph::new(Line::styled(text, style)).style(style), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Shown;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn screen(app: &mut App, width: u16, height: u16) -> Vec<String> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|f| draw(f, app)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        (0..height)
            .map(|y| {
                (0..width)
                    .map(|x| buffer[(x, y)].symbol().to_owned())
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            })
            .collect()
    }

    fn say(app: &mut App, text: &str) {
        let shown = Shown {
            kind: Kind::Received,
            text: text.into(),
            window: None,
        };
        app.push(&shown, "12:34:56".into());
    }

    #[test]
    fn wraps_at_spaces_and_inside_long_words() {
        assert_eq!(wrap("hello big world", 9), ["hello big", "world"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("ab cdefgh", 4), ["ab ", "cdef", "gh"]);
    }

    #[test]
    fn draws_every_pane() {
        let mut app = App::new("127.0.0.1:5220", true);
        app.roster.me = Some("amy".into());
        app.roster.room = Some("lobby".into());
        app.roster.names = vec!["bob".into(), "amy".into()];
        app.roster.rooms = vec!["lobby".into()];
        say(&mut app, "bob: hi");
        app.ready("amy> ");
        let rows = screen(&mut app, 60, 12);
        assert_eq!(
            rows[0],
            format!("┌ messages {}┐┌ names {}┐", "─".repeat(28), "─".repeat(11))
        );
        assert!(rows[1].starts_with("│12:34:56 bob: hi"), "{rows:#?}");
        assert!(rows[1].ends_with("││amy               │"), "{rows:#?}");
        assert!(rows[2].ends_with("││bob               │"), "{rows:#?}");
        assert!(rows.iter().any(|r| r.contains("┌ rooms")), "{rows:#?}");
        assert_eq!(rows[9], format!("│amy>{}│", " ".repeat(54)));
        assert!(
            rows[11].starts_with(" connected to 127.0.0.1:5220 as amy in lobby  |"),
            "{rows:#?}"
        );
    }

    #[test]
    fn irc_shows_the_current_window_its_nick_list_and_the_windows() {
        let mut app = App::new("127.0.0.1:6667", false);
        say(&mut app, "welcome");
        app.set_roster(&crate::session::Roster {
            me: Some("amy".into()),
            room: Some("#lobby".into()),
            names: vec!["@bob".into(), "amy".into()],
            windows: vec!["status".into(), "#lobby".into()],
            window: Some("#lobby".into()),
            ..Default::default()
        });
        app.push(
            &Shown {
                kind: Kind::Received,
                text: "[#lobby] <bob> hi".into(),
                window: Some("#lobby".into()),
            },
            "12:34:56".into(),
        );
        app.ready("[#lobby] ");
        let rows = screen(&mut app, 70, 14);
        assert!(rows[0].starts_with("┌ #lobby ─"), "{rows:#?}");
        assert!(rows[1].starts_with("│12:34:56 <bob> hi "), "{rows:#?}");
        assert!(!rows.iter().any(|r| r.contains("welcome")), "{rows:#?}");
        assert!(rows[1].ends_with("││@bob              │"), "{rows:#?}");
        assert!(rows[2].ends_with("││amy               │"), "{rows:#?}");
        assert!(
            rows.iter().any(|r| r.ends_with("│┌ windows ─────────┐")),
            "{rows:#?}"
        );
        assert!(
            rows.iter().any(|r| r.ends_with("││1 status          │")),
            "{rows:#?}"
        );
        assert!(
            rows.iter().any(|r| r.ends_with("││2 #lobby          │")),
            "{rows:#?}"
        );
        assert!(
            rows[13].starts_with(" connected to 127.0.0.1:6667 as amy in #lobby  |  Ctrl-N/P"),
            "{rows:#?}"
        );
    }

    #[test]
    fn scrolls_back_by_rows_and_clamps_at_the_oldest() {
        let mut app = App::new("h:1", false);
        for i in 0..20 {
            say(&mut app, &format!("m{i}"));
        }
        let rows = screen(&mut app, 40, 10);
        // 10 rows: 3 for input, 1 status, 2 borders: 4 message rows.
        assert!(rows[4].contains("m19"), "{rows:#?}");
        app.scroll = 4;
        let rows = screen(&mut app, 40, 10);
        assert!(
            rows[1].contains("m12") && rows[4].contains("m15"),
            "{rows:#?}"
        );
        app.scroll = 100;
        let rows = screen(&mut app, 40, 10);
        assert_eq!(app.scroll, 16);
        assert!(rows[1].contains("m0 "), "{rows:#?}");
        assert!(rows[0].contains("scrolled back"), "{rows:#?}");
    }
}
