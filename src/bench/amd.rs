//! `hotline bench amd`: the answering-machine detector on a labelled set of greetings, offline.
//! People answering ("Hello?", "Yes, speaking.", "This is Anna.") in several espeak-ng voices and
//! Asterisk's recorded "hello"; machines from Asterisk's real recorded voicemail prompts (`vm-*`,
//! with its recorded beep or a generated 1 kHz one) and espeak-ng greetings. Every greeting goes
//! through the G.711 µ-law codec, then frame by frame into the detector with virtual time. Prints
//! accuracy, people taken for machines, machines taken for people and time to verdict, for our
//! settings and for Asterisk's own rules (at most 2 words split by 50 ms of silence, a silent
//! answer is a machine).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hotline_dialer::{AmdEvent, Detector, GreetingEnd, MachineDetection, Verdict};
use hotline_media::{ulaw_decode, ulaw_encode};

use crate::bench::wer::PROMPTS_DIR;

const VOICES: [&str; 6] = [
    "en-us",
    "en-gb",
    "en-us+f3",
    "en-gb-x-rp+m3",
    "en-029+f2",
    "en-gb-scotland+f4",
];

const PEOPLE: [&str; 10] = [
    "Hello?",
    "Yes, speaking.",
    "This is Anna.",
    "Hello, who is this?",
    "Yeah?",
    "Hi.",
    "Speaking.",
    "Hello, Anna speaking.",
    "Yes?",
    "Hello, this is Tom.",
];

const MACHINES: [&str; 4] = [
    "Hi, you have reached Anna. I can't take your call right now, please leave a message after the beep.",
    "The person you are calling is not available. Please leave your message after the tone.",
    "Hello, this is Tom. Sorry I missed you, leave your name and number and I will call you back.",
    "You have reached the voicemail of the Baker family. Please leave a message.",
];

/// Recorded voicemail greetings built from Asterisk's prompts, in order; `beep` ends them with
/// the recorded beep, `tone` with a generated 1 kHz one.
const RECORDED: [&[&str]; 12] = [
    &["vm-nobodyavail", "vm-intro", "beep"],
    &[
        "vm-theperson",
        "digits/2",
        "digits/0",
        "digits/1",
        "vm-isunavail",
        "vm-intro",
        "tone",
    ],
    &[
        "vm-theperson",
        "digits/4",
        "digits/5",
        "vm-isonphone",
        "vm-intro",
        "beep",
    ],
    &["vm-rec-unv", "beep"],
    &["vm-rec-busy", "tone"],
    &["vm-rec-name", "beep"],
    &["vm-rec-temp", "tone"],
    &["vm-nobodyavail", "vm-leavemsg", "beep"],
    &["vm-intro", "tone"],
    &["vm-nobodyavail", "tone"],
    &["vm-theperson", "digits/7", "vm-isunavail", "beep"],
    &["hello-world", "vm-nobodyavail", "vm-intro", "beep"],
];

struct Greeting {
    label: String,
    machine: bool,
    pcm: Vec<i16>,
}

struct Score {
    right: usize,
    people_as_machines: usize,
    machines_as_people: usize,
    unknown: usize,
    people: usize,
    machines: usize,
    times_ms: Vec<u64>,
    beep_ends: usize,
    silence_ends: usize,
}

fn silence(ms: u64) -> Vec<i16> {
    vec![0; (ms * 8) as usize]
}

fn tone_1khz(ms: u64) -> Vec<i16> {
    (0..ms * 8)
        .map(|i| (8000.0 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 8000.0).sin()) as i16)
        .collect()
}

fn prompt(name: &str) -> anyhow::Result<Vec<i16>> {
    let path = Path::new(PROMPTS_DIR).join(format!("{name}.wav"));
    crate::dial::read_wav_8k(&path).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (install the Debian package asterisk-core-sounds-en-wav)",
            path.display()
        )
    })
}

fn espeak(text: &str, voice: &str, speed: u32, scratch: &Path) -> anyhow::Result<Vec<i16>> {
    let status = Command::new("espeak-ng")
        .args(["-v", voice, "-s", &speed.to_string(), "-w"])
        .arg(scratch)
        .arg(text)
        .status()
        .map_err(|e| anyhow::anyhow!("espeak-ng: {e} (install the Debian package espeak-ng)"))?;
    anyhow::ensure!(status.success(), "espeak-ng failed for voice {voice}");
    Ok(crate::dial::read_wav_8k(scratch)?)
}

fn greetings(scratch: &Path) -> anyhow::Result<Vec<Greeting>> {
    let mut set = Vec::new();
    // People: a moment to lift the phone, the answer, then they wait for us.
    for (v, voice) in VOICES.iter().enumerate() {
        for (p, text) in PEOPLE.iter().enumerate() {
            let mut pcm = silence(200 + 100 * ((v + p) % 5) as u64);
            pcm.extend(espeak(
                text,
                voice,
                150 + 15 * ((v * 3 + p) % 4) as u32,
                scratch,
            )?);
            pcm.extend(silence(5000));
            set.push(Greeting {
                label: format!("person {voice}: {text}"),
                machine: false,
                pcm,
            });
        }
    }
    let mut hello = silence(400);
    hello.extend(prompt("hello")?);
    hello.extend(silence(5000));
    set.push(Greeting {
        label: "person (recorded): hello".into(),
        machine: false,
        pcm: hello,
    });
    // Machines.
    for (i, parts) in RECORDED.iter().enumerate() {
        let mut pcm = silence(300 + 150 * (i % 4) as u64);
        for part in parts.iter() {
            match *part {
                "tone" => pcm.extend(tone_1khz(500)),
                name => pcm.extend(prompt(name)?),
            }
        }
        pcm.extend(silence(4000));
        set.push(Greeting {
            label: format!("machine (recorded): {}", parts.join(" + ")),
            machine: true,
            pcm,
        });
    }
    for (v, voice) in VOICES.iter().enumerate() {
        for (m, text) in MACHINES.iter().enumerate() {
            let mut pcm = silence(300 + 200 * ((v + m) % 3) as u64);
            pcm.extend(espeak(
                text,
                voice,
                160 + 10 * ((v + m) % 3) as u32,
                scratch,
            )?);
            pcm.extend(silence(300));
            if (v + m) % 2 == 0 {
                pcm.extend(tone_1khz(400));
            }
            pcm.extend(silence(4000));
            set.push(Greeting {
                label: format!("machine {voice}: {text}"),
                machine: true,
                pcm,
            });
        }
    }
    Ok(set)
}

/// The detector's verdict, its time, and how a machine's greeting ended, over the whole clip.
fn detect(
    config: &MachineDetection,
    pcm: &[i16],
) -> (Verdict, Duration, Option<GreetingEnd>, String) {
    let line: Vec<f32> = pcm
        .iter()
        .map(|&s| f32::from(ulaw_decode(ulaw_encode(s))) / 32768.0)
        .collect();
    let mut detector = Detector::new(config.clone());
    let (mut decision, mut end) = (None, None);
    for (i, frame) in line.chunks(160).enumerate() {
        let at = Duration::from_millis(20 * (i as u64 + 1));
        for event in detector.on_frame(at, frame) {
            match event {
                AmdEvent::Decided(d) => decision = Some(d),
                AmdEvent::GreetingEnded { how, .. } => end = Some(how),
            }
        }
        if detector.is_done() {
            break;
        }
    }
    match decision {
        Some(d) => (d.verdict, d.at, end, d.reason.name().to_string()),
        None => (
            Verdict::Unknown,
            config.total_analysis,
            end,
            "no verdict".into(),
        ),
    }
}

fn score(config: &MachineDetection, set: &[Greeting], verbose: bool) -> Score {
    let mut s = Score {
        right: 0,
        people_as_machines: 0,
        machines_as_people: 0,
        unknown: 0,
        people: 0,
        machines: 0,
        times_ms: Vec::new(),
        beep_ends: 0,
        silence_ends: 0,
    };
    for g in set {
        let (verdict, at, end, reason) = detect(config, &g.pcm);
        s.times_ms.push(at.as_millis() as u64);
        if verdict == Verdict::Unknown {
            s.unknown += 1;
        }
        let said_machine = verdict == Verdict::Machine;
        let right = said_machine == g.machine;
        if g.machine {
            s.machines += 1;
            if !said_machine {
                s.machines_as_people += 1;
            }
            match end {
                Some(GreetingEnd::Beep) => s.beep_ends += 1,
                Some(GreetingEnd::Silence) => s.silence_ends += 1,
                _ => {}
            }
        } else {
            s.people += 1;
            if said_machine {
                s.people_as_machines += 1;
            }
        }
        if right {
            s.right += 1;
        }
        if verbose || !right {
            println!(
                "  {} {:<8} {reason:<16} {:>5} ms  {}",
                if right { "ok  " } else { "MISS" },
                verdict.name(),
                at.as_millis(),
                g.label
            );
        }
    }
    s.times_ms.sort_unstable();
    s
}

fn print(name: &str, s: &Score) {
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    let at = |q: f64| s.times_ms[((s.times_ms.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name}: {:.1}% right ({}/{}), people taken for machines {} of {} ({:.1}%), machines taken for people {} of {} ({:.1}%), unknown {}, decision p50 {} ms p95 {} ms; machines' greeting end found by beep {}, by silence {}",
        pct(s.right, s.people + s.machines),
        s.right,
        s.people + s.machines,
        s.people_as_machines,
        s.people,
        pct(s.people_as_machines, s.people),
        s.machines_as_people,
        s.machines,
        pct(s.machines_as_people, s.machines),
        s.unknown,
        at(0.5),
        at(0.95),
        s.beep_ends,
        s.silence_ends
    );
}

/// Asterisk's own `amd.conf` defaults and rules.
fn asterisk() -> MachineDetection {
    MachineDetection {
        maximum_words: 2,
        between_words_silence: Duration::from_millis(50),
        initial_silence_is_machine: true,
        transcript_words: 0,
        ..MachineDetection::default()
    }
}

pub fn run(ours_config: MachineDetection, verbose: bool) -> anyhow::Result<()> {
    let scratch =
        std::env::temp_dir().join(format!("hotline-bench-amd-{}.wav", std::process::id()));
    let set = greetings(&scratch);
    let _ = std::fs::remove_file(&scratch);
    let set = set?;
    println!(
        "{} greetings ({} people, {} machines), G.711 µ-law, 20 ms frames, virtual time",
        set.len(),
        set.iter().filter(|g| !g.machine).count(),
        set.iter().filter(|g| g.machine).count()
    );
    println!(
        "ours (maximum_words {}, greeting {} ms, between_words_silence {} ms):",
        ours_config.maximum_words,
        ours_config.greeting.as_millis(),
        ours_config.between_words_silence.as_millis()
    );
    let ours = score(&ours_config, &set, verbose);
    println!(
        "Asterisk's rules (maximum_words 2, between_words_silence 50 ms, silent answer = machine):"
    );
    let theirs = score(&asterisk(), &set, verbose);
    print("ours", &ours);
    print("asterisk", &theirs);
    Ok(())
}
