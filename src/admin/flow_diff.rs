//! A line diff between the live flow and a draft, for the console's flow editor: the longest
//! common subsequence of lines after the common head and tail are set aside. Pure: two texts in,
//! lines out, each kept, removed or added with its line numbers on either side.

use serde::Serialize;

/// Beyond this many cells (changed lines before × after), the changed middle is shown as all
/// removed then all added instead of searched for common lines (flows are far smaller).
pub const MAX_CELLS: usize = 4_000_000;

/// What happened to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Same,
    Removed,
    Added,
}

/// One line of the diff; `old`/`new` are 1-based line numbers in the live text and the draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DiffLine {
    pub change: Change,
    pub old: Option<usize>,
    pub new: Option<usize>,
    pub text: String,
}

/// Every line of `old` and `new` in order, kept lines once.
pub fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (mid_a, mid_b) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let same = |out: &mut Vec<DiffLine>, i: usize, j: usize, text: &str| {
        out.push(DiffLine {
            change: Change::Same,
            old: Some(i + 1),
            new: Some(j + 1),
            text: text.to_string(),
        })
    };
    for (i, text) in a[..head].iter().enumerate() {
        same(&mut out, i, i, text);
    }
    for step in middle(mid_a, mid_b) {
        out.push(match step {
            Step::Same(i, j) => DiffLine {
                change: Change::Same,
                old: Some(head + i + 1),
                new: Some(head + j + 1),
                text: mid_a[i].to_string(),
            },
            Step::Removed(i) => DiffLine {
                change: Change::Removed,
                old: Some(head + i + 1),
                new: None,
                text: mid_a[i].to_string(),
            },
            Step::Added(j) => DiffLine {
                change: Change::Added,
                old: None,
                new: Some(head + j + 1),
                text: mid_b[j].to_string(),
            },
        });
    }
    for k in 0..tail {
        let (i, j) = (a.len() - tail + k, b.len() - tail + k);
        same(&mut out, i, j, a[i]);
    }
    out
}

/// How many lines the draft adds and removes.
pub fn counts(diff: &[DiffLine]) -> (usize, usize) {
    let added = diff.iter().filter(|l| l.change == Change::Added).count();
    let removed = diff.iter().filter(|l| l.change == Change::Removed).count();
    (added, removed)
}

enum Step {
    Same(usize, usize),
    Removed(usize),
    Added(usize),
}

/// The changed middle: a longest common subsequence table, walked from the start; removals
/// before additions where both are possible.
fn middle(a: &[&str], b: &[&str]) -> Vec<Step> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > MAX_CELLS {
        return (0..n)
            .map(Step::Removed)
            .chain((0..m).map(Step::Added))
            .collect();
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let width = m + 1;
    let mut lcs = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * width + j] = if a[i] == b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut steps = Vec::with_capacity(n + m);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            steps.push(Step::Same(i, j));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
            steps.push(Step::Removed(i));
            i += 1;
        } else {
            steps.push(Step::Added(j));
            j += 1;
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The diff as `  text`, `- text`, `+ text` lines, as a reader sees it.
    fn shown(old: &str, new: &str) -> Vec<String> {
        line_diff(old, new)
            .iter()
            .map(|l| {
                let mark = match l.change {
                    Change::Same => ' ',
                    Change::Removed => '-',
                    Change::Added => '+',
                };
                format!("{mark} {}", l.text)
            })
            .collect()
    }

    #[test]
    fn identical_texts_have_no_change() {
        let text = "flow: shop\nnodes:\n  start: {}\n";
        let diff = line_diff(text, text);
        assert_eq!(diff.len(), 3);
        assert!(diff.iter().all(|l| l.change == Change::Same));
        assert_eq!(counts(&diff), (0, 0));
    }

    #[test]
    fn a_changed_wording_is_one_line_removed_and_one_added() {
        let old = "flow: shop\ngreeting:\n  say: Hello and welcome.\nend: true\n";
        let new = "flow: shop\ngreeting:\n  say: Hi, thanks for calling.\nend: true\n";
        assert_eq!(
            shown(old, new),
            [
                "  flow: shop",
                "  greeting:",
                "-   say: Hello and welcome.",
                "+   say: Hi, thanks for calling.",
                "  end: true",
            ]
        );
        let diff = line_diff(old, new);
        assert_eq!((diff[2].old, diff[2].new), (Some(3), None));
        assert_eq!((diff[3].old, diff[3].new), (None, Some(3)));
        assert_eq!((diff[4].old, diff[4].new), (Some(4), Some(4)));
    }

    #[test]
    fn insertions_and_deletions_keep_line_numbers_on_both_sides() {
        let old = "a\nb\nc\nd\ne";
        let new = "a\nc\nd\nx\ny\ne\nz";
        assert_eq!(
            shown(old, new),
            ["  a", "- b", "  c", "  d", "+ x", "+ y", "  e", "+ z"]
        );
        let diff = line_diff(old, new);
        assert_eq!(counts(&diff), (3, 1));
        let e = diff.iter().find(|l| l.text == "e").unwrap();
        assert_eq!((e.old, e.new), (Some(5), Some(6)));
    }

    #[test]
    fn empty_sides() {
        assert_eq!(shown("", "a\nb"), ["+ a", "+ b"]);
        assert_eq!(shown("a\nb", ""), ["- a", "- b"]);
        assert!(line_diff("", "").is_empty());
    }

    #[test]
    fn a_trailing_newline_alone_is_no_change() {
        assert_eq!(counts(&line_diff("a\nb\n", "a\nb")), (0, 0));
    }
}
