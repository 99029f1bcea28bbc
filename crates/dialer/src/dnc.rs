//! Do-not-call lists: numbers that must never be dialled, read from plain files (one number a
//! line, `#` comments) and added to while a campaign runs (an opt-out, the CLI, the API).

use std::collections::HashSet;

use crate::phone::{normalise, NumberProblem, E164};

/// A line of a do-not-call file that is not a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DncProblem {
    pub line: usize,
    pub raw: String,
    pub problem: NumberProblem,
}

/// Every number that must not be called, from all lists together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DoNotCall {
    numbers: HashSet<E164>,
}

impl DoNotCall {
    /// Adds the numbers of one list file's text; returns the lines that are not numbers.
    pub fn add_list(&mut self, text: &str, default_country: Option<&str>) -> Vec<DncProblem> {
        let mut problems = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or("").trim();
            if entry.is_empty() {
                continue;
            }
            match normalise(entry, default_country) {
                Ok(number) => {
                    self.numbers.insert(number);
                }
                Err(problem) => problems.push(DncProblem {
                    line: i + 1,
                    raw: entry.to_string(),
                    problem,
                }),
            }
        }
        problems
    }

    /// Puts one number on the list.
    pub fn add(&mut self, number: E164) {
        self.numbers.insert(number);
    }

    /// Every number on the list, in no order.
    pub fn numbers(&self) -> impl Iterator<Item = &E164> {
        self.numbers.iter()
    }

    pub fn contains(&self, number: &E164) -> bool {
        self.numbers.contains(number)
    }

    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }
}
