//! A supervisor's slip of the keyboard never crashes the flow loader: thousands of seeded edits
//! of the example flows (lines dropped, doubled or re-indented, characters swapped, the file cut
//! short) are each either loaded or refused with errors that point inside the file.

use hotline_flow::{check, load_flow};

const FLOWS: &[(&str, &str)] = &[
    ("shop.yaml", include_str!("../../../flows/shop.yaml")),
    ("bank.yaml", include_str!("../../../flows/bank.yaml")),
];

/// splitmix64, so every run makes the same edits.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One random edit of the kind a person makes in an editor.
fn edit(source: &str, state: &mut u64) -> String {
    const SPICE: &[&str] = &[
        ":", " ", "  ", "-", "{", "}", "[", "]", "\"", "'", "#", "\t", "x", "0", "é",
    ];
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return String::new();
    }
    let at = (next(state) % lines.len() as u64) as usize;
    match next(state) % 6 {
        0 => {
            lines.remove(at);
        }
        1 => {
            let copy = lines[at].clone();
            lines.insert(at, copy);
        }
        2 => lines[at].insert_str(0, "  "),
        3 => {
            let line = &lines[at];
            let trimmed = line.trim_start();
            let dedented = line.len() - trimmed.len();
            lines[at] = format!("{}{trimmed}", " ".repeat(dedented.saturating_sub(2)));
        }
        4 => {
            let chars: Vec<char> = lines[at].chars().collect();
            let spot = (next(state) % (chars.len() as u64 + 1)) as usize;
            let spice = SPICE[(next(state) % SPICE.len() as u64) as usize];
            let mut changed: String = chars[..spot].iter().collect();
            changed.push_str(spice);
            changed.extend(chars[spot..].iter().skip(1));
            lines[at] = changed;
        }
        _ => lines.truncate(at),
    }
    lines.join("\n")
}

#[test]
fn edited_flows_load_or_are_refused_with_positions_inside_the_file() {
    let mut state = 0x0f10_u64;
    let (mut refused, mut loaded) = (0, 0);
    for (name, original) in FLOWS {
        for _ in 0..600 {
            let mut source = original.to_string();
            for _ in 0..1 + next(&mut state) % 3 {
                source = edit(&source, &mut state);
            }
            let lines = source.lines().count().max(1);
            match load_flow(&source, name) {
                Ok(_) => loaded += 1,
                Err(diagnostics) => {
                    refused += 1;
                    assert!(
                        diagnostics.iter().any(|d| d.is_error()),
                        "refused without an error:\n{diagnostics:?}\n--- source ---\n{source}"
                    );
                    for d in &diagnostics {
                        assert_eq!(d.file, *name);
                        assert!(
                            (1..=lines + 1).contains(&d.line) && d.column >= 1,
                            "{d} points outside the {lines} lines of the file\n--- source ---\n{source}"
                        );
                        assert!(!d.message.trim().is_empty(), "{d} gives no reason");
                    }
                    assert_eq!(check(&source, name), diagnostics);
                }
            }
        }
    }
    // Both outcomes happen: the edits are neither all harmless nor all fatal.
    assert!(
        refused > 100 && loaded > 100,
        "refused {refused}, loaded {loaded}"
    );
}
