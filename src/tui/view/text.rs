//! Prose fitted into a box. A preset's `about` is written with hard line breaks (a TOML
//! multi-line string) and an error line can be longer than the screen is wide, so both are
//! reflowed to the room they get, and a cut is shown with `…` rather than hidden.

use ratatui::text::Span;

/// Display columns of `text` (so `ℓ2` counts 2, a wide character 2).
fn columns(text: &str) -> usize {
    Span::raw(text).width()
}

/// `word` in pieces of at most `width` columns (a path or URL longer than the box).
fn pieces(word: &str, width: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    for ch in word.chars() {
        let last = pieces.last_mut().expect("never empty");
        if !last.is_empty() && columns(last) + columns(ch.encode_utf8(&mut [0; 4])) > width {
            pieces.push(String::new());
        }
        pieces.last_mut().expect("never empty").push(ch);
    }
    pieces
}

/// `text` reflowed into lines of at most `width` columns: the lines of a paragraph are joined,
/// a blank line between paragraphs is kept, words are wrapped (a word wider than the box is
/// split), and when more than `max_lines` lines would be needed the last one kept ends in `…`.
#[must_use]
pub fn fit(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    if width == 0 || max_lines == 0 {
        return vec![];
    }
    let mut lines: Vec<String> = vec![];
    let mut paragraphs = vec![String::new()];
    for line in text.lines() {
        let paragraph = paragraphs.last_mut().expect("never empty");
        if line.trim().is_empty() {
            paragraphs.push(String::new());
        } else {
            paragraph.push(' ');
            paragraph.push_str(line);
        }
    }
    for paragraph in paragraphs.iter().filter(|p| !p.trim().is_empty()) {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        let mut current = String::new();
        for piece in paragraph
            .split_whitespace()
            .flat_map(|word| pieces(word, width))
        {
            if !current.is_empty() && columns(&current) + 1 + columns(&piece) > width {
                lines.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&piece);
        }
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        while lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        let last = lines.last_mut().expect("max_lines > 0");
        while !last.is_empty() && columns(last) + 1 > width {
            last.pop();
        }
        let kept = last.trim_end().len();
        last.truncate(kept);
        last.push('…');
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of `text`, in order, as a plain split sees them (the reference for reflowing).
    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn hard_breaks_are_joined_and_paragraphs_kept() {
        let about = "GD drifts to the\nl2 max-margin direction,\nslowly.\n\nWatch the angle.";
        let lines = fit(about, 20, 10);
        assert!(lines.iter().all(|l| columns(l) <= 20), "{lines:?}");
        // Same words in the same order as the source, a blank line where the paragraph broke.
        let blank = lines
            .iter()
            .position(String::is_empty)
            .expect("a paragraph break");
        assert_eq!(
            words(&lines[..blank].join(" ")),
            words(about.split("\n\n").next().unwrap())
        );
        assert_eq!(lines[blank + 1..], ["Watch the angle."]);
        // Joined, not one output line per source line: "GD drifts to the l2" fills 19 columns.
        assert_eq!(lines[0], "GD drifts to the l2");
    }

    #[test]
    fn a_cut_ends_with_an_ellipsis_and_fits() {
        let text = "one two three four five six seven eight nine ten";
        let lines = fit(text, 10, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        assert!(lines.iter().all(|l| columns(l) <= 10), "{lines:?}");
        // Nothing is cut when everything fits.
        assert!(fit(text, 80, 2).iter().all(|l| !l.contains('…')));
        assert!(fit(text, 0, 3).is_empty() && fit(text, 5, 0).is_empty());
    }

    #[test]
    fn a_word_wider_than_the_box_is_split() {
        let lines = fit("see /a/very/long/path/to/a/file.csv now", 8, 20);
        assert!(lines.iter().all(|l| columns(l) <= 8), "{lines:?}");
        assert_eq!(
            lines.concat().replace(' ', ""),
            "see/a/very/long/path/to/a/file.csvnow"
        );
    }
}
