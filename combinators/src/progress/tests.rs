//! Unit tests of the progress bar: its layout on an in-memory terminal, the time and rate
//! formats.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressDrawTarget, TermLike};

use super::{Progress, rate, short_duration};

/// A terminal kept in memory: the lines on screen, the cursor's row, the column ignored
/// (indicatif redraws whole lines).
#[derive(Clone, Debug, Default)]
struct Screen(Arc<Mutex<(Vec<String>, usize)>>);

impl Screen {
    fn lines(&self) -> Vec<String> {
        let screen = self.0.lock().unwrap();
        let mut lines = screen.0.clone();
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    }

    fn with_row(&self, f: impl FnOnce(&mut String)) {
        let mut screen = self.0.lock().unwrap();
        let (lines, row) = &mut *screen;
        if lines.len() <= *row {
            lines.resize(*row + 1, String::new());
        }
        f(&mut lines[*row]);
    }
}

impl TermLike for Screen {
    fn width(&self) -> u16 {
        80
    }
    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        let mut screen = self.0.lock().unwrap();
        screen.1 = screen.1.saturating_sub(n);
        Ok(())
    }
    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.0.lock().unwrap().1 += n;
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> io::Result<()> {
        self.with_row(|line| line.push_str(s));
        self.0.lock().unwrap().1 += 1;
        Ok(())
    }
    fn write_str(&self, s: &str) -> io::Result<()> {
        self.with_row(|line| line.push_str(s));
        Ok(())
    }
    fn clear_line(&self) -> io::Result<()> {
        self.with_row(String::clear);
        Ok(())
    }
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
}

fn on_screen<I: Iterator>(inner: I, total: Option<u64>) -> (Progress<I>, Screen) {
    let screen = Screen::default();
    let target = ProgressDrawTarget::term_like(Box::new(screen.clone()));
    (Progress::with_target(inner, total, target), screen)
}

#[test]
fn the_templates_parse() {
    // `style` panics on a template indicatif rejects.
    drop(super::style(true));
    drop(super::style(false));
}

#[test]
fn finishing_leaves_the_last_line_with_tqdm_figures() {
    let (progress, screen) = on_screen(0..40_u32, Some(40));
    let progress = progress.label("hashing");
    assert_eq!(progress.count(), 40);
    let lines = screen.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert!(line.starts_with("hashing: 100%|"), "{line}");
    assert!(line.contains("| 40/40 ["), "{line}");
    assert!(line.contains("s<0.0s, "), "{line}");
    assert!(
        line.ends_with(" calls/s]") || line.ends_with("s/call]"),
        "{line}"
    );
    assert!(line.contains('█'), "{line}");
}

#[test]
fn dropping_midway_leaves_the_bar_where_it_stopped() {
    let (mut progress, screen) = on_screen(0..10_u32, Some(10));
    for _ in 0..4 {
        progress.next();
    }
    drop(progress);
    let lines = screen.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with(" 40%|"), "{}", lines[0]);
    assert!(lines[0].contains("| 4/10 ["), "{}", lines[0]);
}

#[test]
fn an_unknown_total_counts_calls() {
    let (progress, screen) = on_screen(0..7_u32, None);
    let progress = progress.label("fetching");
    assert_eq!(progress.count(), 7);
    let line = &screen.lines()[0];
    assert!(line.starts_with("fetching: "), "{line}");
    assert!(line.contains(" 7 calls ["), "{line}");
}

#[test]
fn durations_read_below_a_second() {
    assert_eq!(short_duration(Duration::from_millis(400)), "0.4s");
    assert_eq!(short_duration(Duration::ZERO), "0.0s");
    assert_eq!(short_duration(Duration::from_millis(12_340)), "12.3s");
    assert_eq!(short_duration(Duration::from_millis(59_990)), "1m00s");
    assert_eq!(short_duration(Duration::from_secs(185)), "3m05s");
    assert_eq!(short_duration(Duration::from_millis(3_599_600)), "1h00m");
    assert_eq!(short_duration(Duration::from_secs(3720)), "1h02m");
}

#[test]
fn rates_carry_their_unit() {
    assert_eq!(rate(0, 0.0), "? calls/s");
    assert_eq!(rate(5, 38.24), "38.2 calls/s");
    assert_eq!(rate(5, 1234.6), "1235 calls/s");
    assert_eq!(rate(1, 0.4), "2.50s/call");
    assert_eq!(rate(3, f64::INFINITY), "? calls/s");
}
