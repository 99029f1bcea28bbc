//! End-to-end conversion of a tiny synthetic CTranslate2 Whisper model, read back with an
//! independent ggml parser.

use std::collections::BTreeMap;
use std::io::Cursor;

use half::f16;

use super::ct2::tests::ct2_bytes;
use super::*;

const D: u32 = 4; // model width
const VOCAB_ROWS: u32 = 6;

fn f16_values(start: f32, n: u32) -> Vec<u8> {
    (0..n)
        .flat_map(|i| f16::from_f32(start + i as f32).to_le_bytes())
        .collect()
}

/// One encoder layer, one decoder layer, width 4, 80 mel bands.
pub(crate) fn synthetic_model() -> Vec<u8> {
    let mut vars: Vec<(String, Vec<u32>)> = vec![
        ("decoder/embeddings/weight".into(), vec![VOCAB_ROWS, D]),
        ("decoder/layer_norm/beta".into(), vec![D]),
        ("decoder/layer_norm/gamma".into(), vec![D]),
        ("decoder/position_encodings/encodings".into(), vec![3, D]),
        ("encoder/conv1/bias".into(), vec![D]),
        ("encoder/conv1/weight".into(), vec![D, 80, 3]),
        ("encoder/conv2/bias".into(), vec![D]),
        ("encoder/conv2/weight".into(), vec![D, D, 3]),
        ("encoder/layer_norm/beta".into(), vec![D]),
        ("encoder/layer_norm/gamma".into(), vec![D]),
        ("encoder/position_encodings/encodings".into(), vec![5, D]),
    ];
    for side in ["encoder", "decoder"] {
        let mut block = vec![
            ("self_attention/layer_norm/gamma", vec![D]),
            ("self_attention/layer_norm/beta", vec![D]),
            ("self_attention/linear_0/weight", vec![3 * D, D]),
            ("self_attention/linear_0/bias", vec![3 * D]),
            ("self_attention/linear_1/weight", vec![D, D]),
            ("self_attention/linear_1/bias", vec![D]),
            ("ffn/layer_norm/gamma", vec![D]),
            ("ffn/layer_norm/beta", vec![D]),
            ("ffn/linear_0/weight", vec![2 * D, D]),
            ("ffn/linear_0/bias", vec![2 * D]),
            ("ffn/linear_1/weight", vec![D, 2 * D]),
            ("ffn/linear_1/bias", vec![D]),
        ];
        if side == "decoder" {
            block.extend([
                ("attention/layer_norm/gamma", vec![D]),
                ("attention/layer_norm/beta", vec![D]),
                ("attention/linear_0/weight", vec![D, D]),
                ("attention/linear_0/bias", vec![D]),
                ("attention/linear_1/weight", vec![2 * D, D]),
                ("attention/linear_1/bias", vec![2 * D]),
                ("attention/linear_2/weight", vec![D, D]),
                ("attention/linear_2/bias", vec![D]),
            ]);
        }
        for (name, dims) in block {
            vars.push((format!("{side}/layer_0/{name}"), dims));
        }
    }
    // Element i of every variable holds i (exact in f16 below 2048).
    let mut encoded: Vec<(String, Vec<u32>, u8, Vec<u8>)> = vars
        .into_iter()
        .map(|(name, dims)| {
            let n: u32 = dims.iter().product();
            (name, dims, 4u8, f16_values(0.0, n))
        })
        .collect();
    encoded.push((
        "encoder/num_heads".into(),
        vec![],
        2,
        2i16.to_le_bytes().into(),
    ));
    encoded.push((
        "decoder/num_heads".into(),
        vec![],
        2,
        2i16.to_le_bytes().into(),
    ));
    encoded.push((
        "decoder/alignment_layer".into(),
        vec![],
        2,
        (-1i16).to_le_bytes().into(),
    ));
    let borrowed: Vec<(&str, Vec<u32>, u8, Vec<u8>)> = encoded
        .iter()
        .map(|(n, d, t, b)| (n.as_str(), d.clone(), *t, b.clone()))
        .collect();
    ct2_bytes("WhisperSpec", &borrowed)
}

/// A tensor as read back from ggml: (type, dims innermost first, data).
type Tensor = (i32, Vec<i32>, Vec<u8>);

struct Parsed {
    header: Vec<i32>,
    mel: (i32, i32, Vec<f32>),
    vocab: Vec<Vec<u8>>,
    tensors: BTreeMap<String, Tensor>,
}

fn parse_ggml(bytes: &[u8]) -> Parsed {
    let mut pos = 0usize;
    let i32_at = |pos: &mut usize| {
        let v = i32::from_le_bytes(bytes[*pos..*pos + 4].try_into().unwrap());
        *pos += 4;
        v
    };
    let header: Vec<i32> = (0..12).map(|_| i32_at(&mut pos)).collect();
    let (n_mel, n_fft) = (i32_at(&mut pos), i32_at(&mut pos));
    let mel: Vec<f32> = (0..n_mel * n_fft)
        .map(|_| f32::from_bits(i32_at(&mut pos) as u32))
        .collect();
    let n_vocab = i32_at(&mut pos);
    let mut vocab = Vec::new();
    for _ in 0..n_vocab {
        let len = i32_at(&mut pos) as usize;
        vocab.push(bytes[pos..pos + len].to_vec());
        pos += len;
    }
    let mut tensors = BTreeMap::new();
    while pos < bytes.len() {
        let (n_dims, name_len, ty) = (i32_at(&mut pos), i32_at(&mut pos), i32_at(&mut pos));
        let dims: Vec<i32> = (0..n_dims).map(|_| i32_at(&mut pos)).collect();
        let name = String::from_utf8(bytes[pos..pos + name_len as usize].to_vec()).unwrap();
        pos += name_len as usize;
        let elems: i32 = dims.iter().product();
        let size = elems as usize * if ty == 0 { 4 } else { 2 };
        tensors.insert(name, (ty, dims, bytes[pos..pos + size].to_vec()));
        pos += size;
    }
    Parsed {
        header,
        mel: (n_mel, n_fft, mel),
        vocab,
        tensors,
    }
}

fn as_f32(t: &Tensor) -> Vec<f32> {
    match t.0 {
        0 => {
            t.2.chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                .collect()
        }
        _ => {
            t.2.chunks_exact(2)
                .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect()
        }
    }
}

#[test]
fn synthetic_model_converts_to_whisper_cpp_layout() {
    let tokens = vec![b"a".to_vec(), b" b".to_vec(), vec![0xC3, 0xA9]];
    let mut out = Cursor::new(Vec::new());
    let model = synthetic_model();
    let (report, rest) = convert_reader(&model[..], &tokens, &mut out).unwrap();
    assert!(rest.is_empty(), "the alias table is consumed");
    let bytes = out.into_inner();
    assert_eq!(report.bytes_out, bytes.len() as u64);
    assert_eq!(report.tensors, 11 + 15 + 24);
    let parsed = parse_ggml(&bytes);

    // magic, n_vocab, audio ctx/state/head/layer, text ctx/state/head/layer, n_mels, ftype
    assert_eq!(
        parsed.header,
        vec![0x6767_6d6c, 6, 5, 4, 2, 1, 3, 4, 2, 1, 80, 1]
    );
    assert_eq!((parsed.mel.0, parsed.mel.1), (80, 201));
    assert_eq!(parsed.mel.2, mel_filter_bank(16000, 400, 80));
    assert_eq!(parsed.vocab, tokens);
    assert_eq!(parsed.tensors.len(), report.tensors);

    let t = |name: &str| {
        parsed
            .tensors
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    // Fused q/k/v rows split in order; no key bias; biases as f32.
    for side in ["encoder", "decoder"] {
        let q = t(&format!("{side}.blocks.0.attn.query.weight"));
        let k = t(&format!("{side}.blocks.0.attn.key.weight"));
        let v = t(&format!("{side}.blocks.0.attn.value.weight"));
        assert_eq!((q.0, q.1.clone()), (1, vec![4, 4]));
        assert_eq!(as_f32(q)[0], 0.0);
        assert_eq!(as_f32(k)[0], 16.0);
        assert_eq!(as_f32(v)[15], 47.0);
        let vb = t(&format!("{side}.blocks.0.attn.value.bias"));
        assert_eq!((vb.0, vb.1.clone()), (0, vec![4]));
        assert_eq!(as_f32(vb), vec![8.0, 9.0, 10.0, 11.0]);
        assert!(!parsed
            .tensors
            .contains_key(&format!("{side}.blocks.0.attn.key.bias")));
    }
    let ck = t("decoder.blocks.0.cross_attn.key.weight");
    let cv = t("decoder.blocks.0.cross_attn.value.weight");
    assert_eq!(as_f32(cv)[0] - as_f32(ck)[0], 16.0);
    assert!(!parsed
        .tensors
        .contains_key("decoder.blocks.0.cross_attn.key.bias"));
    // Conv bias as (n, 1) f32; positional embeddings f32; matrices f16, dims innermost first.
    assert_eq!(t("encoder.conv1.bias").0, 0);
    assert_eq!(t("encoder.conv1.bias").1, vec![1, 4]);
    assert_eq!(t("encoder.conv1.weight").1, vec![3, 80, 4]);
    assert_eq!(t("encoder.positional_embedding").0, 0);
    assert_eq!(t("decoder.positional_embedding").1, vec![4, 3]);
    assert_eq!(t("decoder.token_embedding.weight").0, 1);
    assert_eq!(t("decoder.ln.weight").0, 0);
    assert_eq!(as_f32(t("decoder.ln.weight")), vec![0.0, 1.0, 2.0, 3.0]);
}

#[test]
fn non_whisper_and_int8_models_are_rejected() {
    let other = ct2_bytes("TransformerSpec", &[]);
    let err = convert_reader(&other[..], &[], &mut Cursor::new(Vec::new())).unwrap_err();
    assert!(matches!(
        err,
        ModelsError::Ct2Format {
            problem: Ct2Problem::NotWhisper { .. },
            ..
        }
    ));
    let int8 = ct2_bytes(
        "WhisperSpec",
        &[("decoder/embeddings/weight", vec![2, 2], 1, vec![0; 4])],
    );
    let err = convert_reader(&int8[..], &[], &mut Cursor::new(Vec::new())).unwrap_err();
    assert!(matches!(
        err,
        ModelsError::Ct2Format {
            problem: Ct2Problem::UnsupportedDtype { dtype: 1, .. },
            ..
        }
    ));
}

#[test]
fn model_missing_a_layer_tensor_is_rejected() {
    // Header tensors present, but only one tensor of two encoder layers.
    let top_only = ct2_bytes(
        "WhisperSpec",
        &[
            ("encoder/num_heads", vec![], 2, 2i16.to_le_bytes().into()),
            ("decoder/num_heads", vec![], 2, 2i16.to_le_bytes().into()),
            ("decoder/embeddings/weight", vec![2, 2], 4, vec![0; 8]),
            (
                "decoder/position_encodings/encodings",
                vec![2, 2],
                4,
                vec![0; 8],
            ),
            (
                "encoder/position_encodings/encodings",
                vec![2, 2],
                4,
                vec![0; 8],
            ),
            ("encoder/conv1/weight", vec![2, 80, 3], 4, vec![0; 960]),
            ("encoder/layer_1/ffn/linear_0/bias", vec![2], 4, vec![0; 4]),
        ],
    );
    let err = convert_reader(&top_only[..], &[], &mut Cursor::new(Vec::new())).unwrap_err();
    assert!(matches!(
        err,
        ModelsError::Ct2Format {
            problem: Ct2Problem::TensorCount {
                expected: 41,
                written: 5
            },
            ..
        }
    ));
}
