//! The dialer: a sans-IO state machine that is told the time and how attempts ended, and answers
//! which contacts to dial now (within pacing, calling windows, retry rules and do-not-call) and
//! when to ask it again. Its state can be rebuilt from the list of attempts after a crash.

use std::collections::{BTreeSet, HashMap, VecDeque};

use chrono::{DateTime, TimeDelta, Utc};

use crate::campaign_file::{Campaign, Pacing};
use crate::contacts::Contact;
use crate::dnc::DoNotCall;
use crate::error::DialerError;
use crate::phone::E164;
use crate::retry::{Outcome, RetryPolicy};
use crate::window::CallingWindow;

/// Why a contact will not be called again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Settled {
    /// The last attempt ended in a way that is not retried (a person, a message left, invalid,
    /// declined, opted out).
    Completed(Outcome),
    /// The outcome's retries are used up.
    RetriesExhausted(Outcome),
    /// The number is on a do-not-call list when its turn came.
    DoNotCall,
    /// The calling window does not open again before the campaign ends.
    WindowClosed,
}

/// Where one contact stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactStatus {
    /// To be dialled at `due` (or when pacing allows after it).
    Waiting {
        due: DateTime<Utc>,
    },
    InFlight {
        since: DateTime<Utc>,
    },
    Settled(Settled),
}

/// One call to place now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dial {
    pub number: E164,
    /// 1 for the contact's first attempt, 2 for the next...
    pub attempt: u32,
}

/// One attempt as the server persists it: written before the INVITE leaves, completed with its
/// outcome when it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    pub number: E164,
    pub started_at: DateTime<Utc>,
    pub ended: Option<(DateTime<Utc>, Outcome)>,
}

/// Counts for a progress line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub waiting: usize,
    pub in_flight: usize,
    pub settled: HashMap<Settled, usize>,
}

struct Tracked {
    contact: Contact,
    status: ContactStatus,
    starts: Vec<DateTime<Utc>>,
    outcomes: HashMap<Outcome, u32>,
}

/// The campaign's dialer.
pub struct Dialer {
    window: CallingWindow,
    pacing: Pacing,
    retries: RetryPolicy,
    contacts: Vec<Tracked>,
    by_number: HashMap<E164, usize>,
    dnc: DoNotCall,
    /// Starts in the last second, oldest first.
    recent_starts: VecDeque<DateTime<Utc>>,
    first_start: Option<DateTime<Utc>>,
    in_flight: usize,
    /// Free agents in `pacing.agents`' queue, as last told (0 until told).
    free_agents: usize,
    /// The waiting contacts by due time: `poll_dial` and `poll_timeout` look only at the head,
    /// so a poll costs the dials it makes, not the size of the list.
    waiting: BTreeSet<(DateTime<Utc>, usize)>,
}

const SECOND: TimeDelta = TimeDelta::seconds(1);

impl Dialer {
    /// A dialer for `contacts`, each first due when its window next opens after `now`.
    pub fn new(
        campaign: &Campaign,
        contacts: Vec<Contact>,
        dnc: DoNotCall,
        now: DateTime<Utc>,
    ) -> Dialer {
        let mut dialer = Dialer {
            window: campaign.window.clone(),
            pacing: campaign.pacing.clone(),
            retries: campaign.retries.clone(),
            contacts: Vec::with_capacity(contacts.len()),
            by_number: HashMap::new(),
            dnc,
            recent_starts: VecDeque::new(),
            first_start: None,
            in_flight: 0,
            free_agents: 0,
            waiting: BTreeSet::new(),
        };
        for contact in contacts {
            dialer
                .by_number
                .insert(contact.number.clone(), dialer.contacts.len());
            dialer.contacts.push(Tracked {
                contact,
                status: ContactStatus::Settled(Settled::WindowClosed),
                starts: Vec::new(),
                outcomes: HashMap::new(),
            });
        }
        for i in 0..dialer.contacts.len() {
            dialer.schedule(i, now);
        }
        dialer
    }

    /// The dialer as it was before a crash, from every attempt the server recorded; an attempt
    /// without an outcome is settled as `server_restart` at `now` and retried by the policy.
    pub fn rebuild(
        campaign: &Campaign,
        contacts: Vec<Contact>,
        dnc: DoNotCall,
        attempts: &[AttemptRecord],
        now: DateTime<Utc>,
    ) -> Result<Dialer, DialerError> {
        let mut dialer = Dialer::new(campaign, contacts, dnc, now);
        let mut attempts: Vec<&AttemptRecord> = attempts.iter().collect();
        attempts.sort_by_key(|a| a.started_at);
        for attempt in attempts {
            dialer.attempt_started(&attempt.number, attempt.started_at)?;
            let (at, outcome) = attempt.ended.unwrap_or((now, Outcome::ServerRestart));
            dialer.attempt_ended(&attempt.number, outcome, at)?;
        }
        dialer.recent_starts.retain(|&t| t > now - SECOND);
        Ok(dialer)
    }

    /// The contacts to dial now, in order, each counted as started at `now`: the server records
    /// each attempt before its INVITE leaves.
    pub fn poll_dial(&mut self, now: DateTime<Utc>) -> Vec<Dial> {
        self.recent_starts.retain(|&t| t > now - SECOND);
        let mut dials = Vec::new();
        // Contacts found outside their window or day's quota are put back after the loop, so
        // one whose next opening is not after `now` is not looked at twice in this poll.
        let mut later = Vec::new();
        while let Some(&(due, i)) = self.waiting.first() {
            if due > now
                || self.in_flight >= self.concurrency_at(now).min(self.agent_cap())
                || self.recent_starts.len() >= self.pacing.calls_per_second as usize
            {
                break;
            }
            self.waiting.pop_first();
            let contact = &self.contacts[i].contact;
            if self.dnc.contains(&contact.number) {
                self.contacts[i].status = ContactStatus::Settled(Settled::DoNotCall);
                continue;
            }
            if !self.window.is_open(now, contact.zone)
                || self.attempts_on_day_of(i, now) >= self.retries.max_per_day
            {
                later.push(i);
                continue;
            }
            let number = contact.number.clone();
            self.start(i, now);
            dials.push(Dial {
                number,
                attempt: self.contacts[i].starts.len() as u32,
            });
        }
        for i in later {
            self.schedule(i, now);
        }
        dials
    }

    /// Records an attempt the server placed (used when rebuilding; `poll_dial` does it itself).
    pub fn attempt_started(&mut self, number: &E164, at: DateTime<Utc>) -> Result<(), DialerError> {
        let i = self.index(number)?;
        if matches!(self.contacts[i].status, ContactStatus::InFlight { .. }) {
            return Err(DialerError::NotInProgress {
                number: number.to_string(),
            });
        }
        self.start(i, at);
        Ok(())
    }

    /// An attempt ended: settle the contact or schedule its retry inside its window.
    pub fn attempt_ended(
        &mut self,
        number: &E164,
        outcome: Outcome,
        at: DateTime<Utc>,
    ) -> Result<(), DialerError> {
        let i = self.index(number)?;
        if !matches!(self.contacts[i].status, ContactStatus::InFlight { .. }) {
            return Err(DialerError::NotInProgress {
                number: number.to_string(),
            });
        }
        self.in_flight -= 1;
        let count = {
            let c = self.contacts[i].outcomes.entry(outcome).or_insert(0);
            *c += 1;
            *c
        };
        if outcome == Outcome::OptedOut {
            self.dnc.add(number.clone());
        }
        self.contacts[i].status = match self.retries.rule_for(outcome) {
            None => ContactStatus::Settled(Settled::Completed(outcome)),
            Some(rule) if count > rule.count => {
                ContactStatus::Settled(Settled::RetriesExhausted(outcome))
            }
            Some(rule) => {
                let delay = TimeDelta::from_std(rule.delay).unwrap_or(TimeDelta::MAX);
                self.schedule(i, at + delay);
                return Ok(());
            }
        };
        Ok(())
    }

    /// Puts a number on the do-not-call list; it is not dialled from now on.
    pub fn add_do_not_call(&mut self, number: E164) {
        self.dnc.add(number);
    }

    /// A dial `poll_dial` just gave was not placed because the number is on a do-not-call list
    /// the server keeps (the global list, read right before the INVITE): the start is undone
    /// and the contact settled as do-not-call.
    pub fn skip_do_not_call(&mut self, number: &E164) -> Result<(), DialerError> {
        let i = self.index(number)?;
        if !matches!(self.contacts[i].status, ContactStatus::InFlight { .. }) {
            return Err(DialerError::NotInProgress {
                number: number.to_string(),
            });
        }
        self.in_flight -= 1;
        if let Some(at) = self.contacts[i].starts.pop() {
            if let Some(pos) = self.recent_starts.iter().rposition(|&t| t == at) {
                self.recent_starts.remove(pos);
            }
        }
        self.dnc.add(number.clone());
        self.contacts[i].status = ContactStatus::Settled(Settled::DoNotCall);
        Ok(())
    }

    /// When `poll_dial` may have something new to do, if the dialer is not waiting for an
    /// attempt to end. May be in the past: then poll at once.
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        let earliest = self.waiting.first()?.0;
        if self.in_flight >= (self.pacing.max_concurrent as usize).min(self.agent_cap()) {
            return None;
        }
        let mut at = earliest;
        if self.recent_starts.len() >= self.pacing.calls_per_second as usize {
            at = at.max(self.recent_starts[0] + SECOND);
        }
        if self.in_flight >= self.concurrency_at(at) {
            at = at.max(self.ramp_reaches(self.in_flight + 1)?);
        }
        Some(at)
    }

    /// Where a contact stands.
    pub fn status(&self, number: &E164) -> Option<ContactStatus> {
        self.by_number.get(number).map(|&i| self.contacts[i].status)
    }

    /// The contact behind a number, for the flow's variables.
    pub fn contact(&self, number: &E164) -> Option<&Contact> {
        self.by_number
            .get(number)
            .map(|&i| &self.contacts[i].contact)
    }

    /// The do-not-call numbers as the dialer knows them, opt-outs included, for the server to
    /// persist.
    pub fn do_not_call(&self) -> &DoNotCall {
        &self.dnc
    }

    /// The queue whose free agents pace this campaign, if any: the server tells the dialer how
    /// many are free with [`Dialer::set_free_agents`] before each `poll_dial`.
    pub fn agents_queue(&self) -> Option<&str> {
        self.pacing.agents.as_ref().map(|a| a.queue.as_str())
    }

    /// How many agents of the pacing queue are free now. With agent pacing, at most `ratio` x
    /// this many calls are in flight at once (rounded down); none while no agent is free.
    pub fn set_free_agents(&mut self, free: usize) {
        self.free_agents = free;
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// True when every contact is settled.
    pub fn is_finished(&self) -> bool {
        // Every contact is waiting (in `waiting`), in flight (counted) or settled.
        self.waiting.is_empty() && self.in_flight == 0
    }

    /// Counts for a status line.
    pub fn progress(&self) -> Progress {
        let mut progress = Progress::default();
        for c in &self.contacts {
            match c.status {
                ContactStatus::Waiting { .. } => progress.waiting += 1,
                ContactStatus::InFlight { .. } => progress.in_flight += 1,
                ContactStatus::Settled(s) => *progress.settled.entry(s).or_insert(0) += 1,
            }
        }
        progress
    }

    fn index(&self, number: &E164) -> Result<usize, DialerError> {
        self.by_number
            .get(number)
            .copied()
            .ok_or_else(|| DialerError::UnknownContact {
                number: number.to_string(),
            })
    }

    fn start(&mut self, i: usize, at: DateTime<Utc>) {
        if let ContactStatus::Waiting { due } = self.contacts[i].status {
            self.waiting.remove(&(due, i));
        }
        self.contacts[i].starts.push(at);
        self.contacts[i].status = ContactStatus::InFlight { since: at };
        self.recent_starts.push_back(at);
        self.first_start = Some(self.first_start.map_or(at, |f| f.min(at)));
        self.in_flight += 1;
    }

    /// Waits the contact for the first instant at or after `earliest` that is inside its window
    /// and on a local day with attempts left.
    fn schedule(&mut self, i: usize, earliest: DateTime<Utc>) {
        let zone = self.contacts[i].contact.zone;
        let mut from = earliest;
        let status = loop {
            let Some(open) = self.window.next_open(from, zone) else {
                break ContactStatus::Settled(Settled::WindowClosed);
            };
            if self.attempts_on_day_of(i, open) < self.retries.max_per_day {
                break ContactStatus::Waiting { due: open };
            }
            match self.window.next_day_open(open, zone) {
                Some(next) => from = next,
                None => break ContactStatus::Settled(Settled::WindowClosed),
            }
        };
        if let ContactStatus::Waiting { due } = self.contacts[i].status {
            self.waiting.remove(&(due, i));
        }
        if let ContactStatus::Waiting { due } = status {
            self.waiting.insert((due, i));
        }
        self.contacts[i].status = status;
    }

    /// Attempts started on the contact's local calendar day of `at`.
    fn attempts_on_day_of(&self, i: usize, at: DateTime<Utc>) -> u32 {
        let zone = self.contacts[i].contact.zone;
        let day = at.with_timezone(&zone).date_naive();
        self.contacts[i]
            .starts
            .iter()
            .filter(|s| s.with_timezone(&zone).date_naive() == day)
            .count() as u32
    }

    /// How many calls may be in flight at `at`, growing over the ramp from the first call.
    fn concurrency_at(&self, at: DateTime<Utc>) -> usize {
        let max = self.pacing.max_concurrent as usize;
        if self.pacing.ramp.is_zero() || max <= 1 {
            return max;
        }
        let Some(first) = self.first_start else {
            return 1;
        };
        let elapsed = (at - first).to_std().unwrap_or_default();
        let grown = (max - 1) as f64 * elapsed.as_secs_f64() / self.pacing.ramp.as_secs_f64();
        (1 + grown.floor() as usize).min(max)
    }

    /// Calls in flight the free agents allow: unlimited without agent pacing.
    fn agent_cap(&self) -> usize {
        match &self.pacing.agents {
            None => usize::MAX,
            Some(a) => (a.ratio * self.free_agents as f64 + 1e-9).floor() as usize,
        }
    }

    /// When the ramp first allows `calls` at once.
    fn ramp_reaches(&self, calls: usize) -> Option<DateTime<Utc>> {
        let max = self.pacing.max_concurrent as usize;
        let first = self.first_start?;
        if calls > max || max <= 1 {
            return None;
        }
        let share = (calls - 1) as f64 / (max - 1) as f64;
        let after = self.pacing.ramp.mul_f64(share);
        Some(first + TimeDelta::from_std(after).ok()? + TimeDelta::milliseconds(1))
    }
}
