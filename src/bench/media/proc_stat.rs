//! Reading a process's CPU time, memory and open sockets from `/proc`, and turning two readings
//! into `hotline bench media`'s figures (the parsing and arithmetic are pure and tested).

use std::time::Instant;

use anyhow::Context;

/// CPU ticks of the server and of SIPp at one instant.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub server_ticks: u64,
    pub sipp_ticks: u64,
    pub at: Instant,
}

/// One row of the bench: N calls placed, what the server spent on them.
#[derive(Debug)]
pub struct Figures {
    pub calls: usize,
    /// Calls with their RTP socket open on the server during the window.
    pub up: usize,
    pub idle_rss_kib: u64,
    pub rss_kib: u64,
    pub before: Sample,
    pub after: Sample,
    pub ticks_per_second: u64,
    pub load_average: String,
}

impl Figures {
    /// Share of one core used over the window, in percent.
    fn percent(&self, ticks: u64) -> f64 {
        let seconds = (self.after.at - self.before.at).as_secs_f64();
        if seconds <= 0.0 {
            return 0.0;
        }
        ticks as f64 / self.ticks_per_second.max(1) as f64 / seconds * 100.0
    }

    pub fn server_percent(&self) -> f64 {
        self.percent(
            self.after
                .server_ticks
                .saturating_sub(self.before.server_ticks),
        )
    }

    pub fn sipp_percent(&self) -> f64 {
        self.percent(self.after.sipp_ticks.saturating_sub(self.before.sipp_ticks))
    }

    /// Listening calls one core carries at this cost (`None` if the server used no
    /// measurable CPU).
    pub fn calls_per_core(&self) -> Option<f64> {
        let cores = self.server_percent() / 100.0;
        (cores > 0.0).then(|| self.up as f64 / cores)
    }

    /// Memory per call beyond the idle server, in MiB.
    pub fn mib_per_call(&self) -> f64 {
        if self.up == 0 {
            return 0.0;
        }
        self.rss_kib.saturating_sub(self.idle_rss_kib) as f64 / 1024.0 / self.up as f64
    }

    /// The row of the table `hotline bench media` prints.
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | {:.1}% | {} | {:.0} MiB | {:.0} MiB | {:.2} MiB | {:.1}% | {} |",
            self.calls,
            self.up,
            self.server_percent(),
            self.calls_per_core()
                .map_or("-".to_string(), |c| format!("{c:.0}")),
            self.idle_rss_kib as f64 / 1024.0,
            self.rss_kib as f64 / 1024.0,
            self.mib_per_call(),
            self.sipp_percent(),
            self.load_average
        )
    }
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line. The command name may hold
/// spaces and parentheses, so fields are counted after its last `)`.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name, field 3 (state) is index 0, so utime (14) is index 11.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS` in KiB from `/proc/PID/status`.
pub fn parse_rss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

pub fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path}: has the process exited?"))?;
    parse_stat_ticks(&stat).with_context(|| format!("{path}: no CPU times in {stat:?}"))
}

pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path}: has the process exited?"))?;
    parse_rss_kib(&status).with_context(|| format!("{path}: no VmRSS line"))
}

/// Open file descriptors of the process (each call adds its RTP socket).
pub fn open_fds(pid: u32) -> anyhow::Result<usize> {
    let path = format!("/proc/{pid}/fd");
    Ok(std::fs::read_dir(&path)
        .with_context(|| format!("cannot list {path}"))?
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn cpu_ticks_are_read_after_a_command_name_with_spaces() {
        let stat = "4242 (hotline (x) y) S 1 4242 4242 0 -1 4194560 2000 0 0 0 150 30 0 0 20 0 9 0 100 1000 200";
        assert_eq!(parse_stat_ticks(stat), Some(180));
        assert_eq!(parse_stat_ticks("garbage"), None);
    }

    #[test]
    fn rss_is_read_from_status() {
        let status = "Name:\thotline\nVmPeak:\t  900 kB\nVmRSS:\t  123456 kB\nThreads:\t9\n";
        assert_eq!(parse_rss_kib(status), Some(123_456));
        assert_eq!(parse_rss_kib("Name: x\n"), None);
    }

    #[test]
    fn figures_give_cpu_calls_per_core_and_memory_per_call() {
        let at = Instant::now();
        let figures = Figures {
            calls: 100,
            up: 100,
            idle_rss_kib: 500 * 1024,
            rss_kib: 700 * 1024,
            before: Sample {
                server_ticks: 1000,
                sipp_ticks: 10,
                at,
            },
            after: Sample {
                server_ticks: 1000 + 266,
                sipp_ticks: 16,
                at: at + Duration::from_secs(2),
            },
            ticks_per_second: 100,
            load_average: "0.50".into(),
        };
        // 2.66 s of CPU in 2 s: 133% of a core, so 100 calls on 1.33 cores.
        assert!((figures.server_percent() - 133.0).abs() < 1e-9);
        assert!((figures.calls_per_core().unwrap() - 75.19).abs() < 0.01);
        assert!((figures.mib_per_call() - 2.0).abs() < 1e-9);
        assert!((figures.sipp_percent() - 3.0).abs() < 1e-9);
        assert!(figures.row().starts_with("| 100 | 100 | 133.0% | 75 |"));
    }
}
