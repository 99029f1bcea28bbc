//! CTranslate2 Whisper -> whisper.cpp ggml conversion, streamed one tensor at a time.
//!
//! No package ships Whisper in ggml format, but two ship it in CTranslate2 format; this
//! module turns the latter into the former (format facts in docs/ASSETS.md).

mod ct2;
mod ggml;
mod mel;
mod names;
mod vocab;

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{Ct2Problem, ModelsError};
use ct2::{Ct2Reader, DType, Variable};
use ggml::{Elements, HParams};
use names::Target;

pub use mel::mel_filter_bank;
pub(crate) use vocab::vocabulary_bytes;

/// Whisper's audio front end: 16 kHz, 400-sample FFT, 80 mel bands.
const SAMPLE_RATE: u32 = 16_000;
const N_FFT: usize = 400;
const N_MELS: usize = 80;

/// What a conversion produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertReport {
    /// Token embedding rows (51864 for English-only models, 51865 for multilingual).
    pub n_vocab: u32,
    /// Encoder width (384 tiny, 512 base).
    pub n_audio_state: u32,
    /// Encoder layers.
    pub n_audio_layer: u32,
    /// Decoder layers.
    pub n_text_layer: u32,
    /// Tensors written.
    pub tensors: usize,
    /// Bytes of `model.bin` read.
    pub bytes_in: u64,
    /// Bytes of ggml written.
    pub bytes_out: u64,
}

/// Converts a CTranslate2 Whisper model (`model.bin` plus its `tokenizer.json`) to a whisper.cpp
/// ggml file at `out`. The file is written next to `out` and renamed into place when complete.
/// Only float32/float16 models convert; matrices are written as f16.
pub fn convert_ct2_to_ggml(
    model_bin: &Path,
    tokenizer_json: &Path,
    out: &Path,
) -> Result<ConvertReport, ModelsError> {
    let tokenizer = std::fs::read(tokenizer_json).map_err(ModelsError::io(tokenizer_json))?;
    let tokens = vocabulary_bytes(&tokenizer)?;
    let model = File::open(model_bin).map_err(ModelsError::io(model_bin))?;
    let partial = out.with_extension("partial");
    let file = File::create(&partial).map_err(ModelsError::io(&partial))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let result = convert_reader(
        BufReader::with_capacity(1 << 20, model),
        &tokens,
        &mut writer,
    )
    .and_then(|(report, _)| {
        writer.flush().map_err(ModelsError::io(&partial))?;
        Ok(report)
    });
    drop(writer);
    match result {
        Ok(report) => {
            std::fs::rename(&partial, out).map_err(ModelsError::io(out))?;
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Converts from any reader positioned at the start of `model.bin`; returns the reader after
/// the model's last byte, so a caller hashing the stream can finish the hash.
pub(crate) fn convert_reader<R: Read, W: Write + Seek>(
    model: R,
    tokens: &[Vec<u8>],
    out: &mut W,
) -> Result<(ConvertReport, R), ModelsError> {
    let io_err = |source| ModelsError::Io {
        path: "ggml output".into(),
        source,
    };
    let mut reader = Ct2Reader::new(model)?;
    if !reader.spec().starts_with("Whisper") {
        let spec = reader.spec().to_string();
        return Err(ModelsError::Ct2Format {
            offset: reader.offset(),
            problem: Ct2Problem::NotWhisper { spec },
        });
    }
    // Placeholder header: the hyper-parameters are known only after the last tensor.
    HParams::default().write(out).map_err(io_err)?;
    let bank = mel_filter_bank(SAMPLE_RATE, N_FFT, N_MELS);
    ggml::write_mel_filters(out, N_MELS, N_FFT / 2 + 1, &bank).map_err(io_err)?;
    ggml::write_vocabulary(out, tokens).map_err(io_err)?;

    let mut shapes = ShapeFacts::default();
    let mut scratch = Vec::new();
    let mut tensors = 0usize;
    let mut bytes_out = HParams::ENCODED_LEN + 8 + 4 * bank.len() as u64 + 4;
    bytes_out += tokens.iter().map(|t| 4 + t.len() as u64).sum::<u64>();
    while let Some(var) = reader.next_variable()? {
        let bad = |problem| ModelsError::Ct2Format {
            offset: reader.offset(),
            problem,
        };
        if var.dims.is_empty() {
            shapes.note_scalar(&var);
            continue;
        }
        let target = names::map_variable(&var.name).ok_or_else(|| {
            bad(Ct2Problem::UnknownVariable {
                name: var.name.clone(),
            })
        })?;
        shapes.note_tensor(&var).map_err(bad)?;
        let elements = match var.dtype {
            DType::F32 => Elements::F32(&var.data),
            DType::F16 => Elements::F16(&var.data),
            other => {
                return Err(bad(Ct2Problem::UnsupportedDtype {
                    name: var.name.clone(),
                    dtype: other.code(),
                }))
            }
        };
        let dims: Vec<usize> = var.dims.iter().map(|d| *d as usize).collect();
        match target {
            Target::Single(name) => {
                let dims = if names::is_conv_bias(&name) {
                    vec![dims[0], 1]
                } else {
                    dims
                };
                let as_f32 = names::stored_as_f32(&name, dims.len());
                bytes_out += ggml::write_tensor(out, &name, &dims, as_f32, elements, &mut scratch)
                    .map_err(io_err)?;
                tensors += 1;
            }
            Target::Split(parts) => {
                let k = parts.len();
                if !dims[0].is_multiple_of(k) {
                    return Err(bad(Ct2Problem::BadFusedShape {
                        name: var.name.clone(),
                        parts: k,
                    }));
                }
                let mut part_dims = dims.clone();
                part_dims[0] = dims[0] / k;
                let chunk = var.data.len() / k;
                for (i, name) in parts.iter().enumerate() {
                    let Some(name) = name else { continue };
                    let slice = &var.data[i * chunk..(i + 1) * chunk];
                    let elements = match elements {
                        Elements::F32(_) => Elements::F32(slice),
                        Elements::F16(_) => Elements::F16(slice),
                    };
                    let as_f32 = names::stored_as_f32(name, part_dims.len());
                    bytes_out +=
                        ggml::write_tensor(out, name, &part_dims, as_f32, elements, &mut scratch)
                            .map_err(io_err)?;
                    tensors += 1;
                }
            }
        }
    }
    let bytes_in = reader.offset();
    let end = reader.offset();
    let model = reader.finish()?;
    let hparams = shapes.hparams().map_err(|problem| ModelsError::Ct2Format {
        offset: end,
        problem,
    })?;
    let expected = names::expected_tensor_count(
        hparams.n_audio_layer as usize,
        hparams.n_text_layer as usize,
    );
    if tensors != expected {
        return Err(ModelsError::Ct2Format {
            offset: end,
            problem: Ct2Problem::TensorCount {
                expected,
                written: tensors,
            },
        });
    }
    out.seek(SeekFrom::Start(0)).map_err(io_err)?;
    hparams.write(out).map_err(io_err)?;
    out.seek(SeekFrom::End(0)).map_err(io_err)?;
    Ok((
        ConvertReport {
            n_vocab: hparams.n_vocab as u32,
            n_audio_state: hparams.n_audio_state as u32,
            n_audio_layer: hparams.n_audio_layer as u32,
            n_text_layer: hparams.n_text_layer as u32,
            tensors,
            bytes_in,
            bytes_out,
        },
        model,
    ))
}

/// Hyper-parameters gathered from tensor shapes and the `num_heads` scalars while streaming.
#[derive(Default)]
struct ShapeFacts {
    vocab_and_width: Option<(u32, u32)>,
    audio_ctx_and_width: Option<(u32, u32)>,
    text_ctx: Option<u32>,
    audio_heads: Option<i64>,
    text_heads: Option<i64>,
    mels_seen: bool,
    audio_layers: u32,
    text_layers: u32,
}

impl ShapeFacts {
    fn note_scalar(&mut self, var: &Variable) {
        match var.name.as_str() {
            "encoder/num_heads" => self.audio_heads = var.scalar_int(),
            "decoder/num_heads" => self.text_heads = var.scalar_int(),
            _ => {}
        }
    }

    fn note_tensor(&mut self, var: &Variable) -> Result<(), Ct2Problem> {
        let two = || match var.dims.as_slice() {
            [a, b] => Some((*a, *b)),
            _ => None,
        };
        match var.name.as_str() {
            "decoder/embeddings/weight" => self.vocab_and_width = two(),
            "encoder/position_encodings/encodings" => self.audio_ctx_and_width = two(),
            "decoder/position_encodings/encodings" => self.text_ctx = two().map(|(a, _)| a),
            "encoder/conv1/weight" => {
                let found = var.dims.get(1).copied().unwrap_or(0);
                if found as usize != N_MELS {
                    return Err(Ct2Problem::MelBands { found });
                }
                self.mels_seen = true;
            }
            _ => {}
        }
        let mut parts = var.name.split('/');
        let side = parts.next();
        if let Some(index) = parts
            .next()
            .and_then(|p| p.strip_prefix("layer_"))
            .and_then(|i| i.parse::<u32>().ok())
        {
            let count = match side {
                Some("encoder") => &mut self.audio_layers,
                _ => &mut self.text_layers,
            };
            *count = (*count).max(index + 1);
        }
        Ok(())
    }

    fn hparams(&self) -> Result<HParams, Ct2Problem> {
        let missing = |name| Ct2Problem::MissingVariable { name };
        let (n_vocab, n_text_state) = self
            .vocab_and_width
            .ok_or(missing("decoder/embeddings/weight"))?;
        let (n_audio_ctx, n_audio_state) = self
            .audio_ctx_and_width
            .ok_or(missing("encoder/position_encodings/encodings"))?;
        let n_text_ctx = self
            .text_ctx
            .ok_or(missing("decoder/position_encodings/encodings"))?;
        let n_audio_head = self.audio_heads.ok_or(missing("encoder/num_heads"))?;
        let n_text_head = self.text_heads.ok_or(missing("decoder/num_heads"))?;
        if !self.mels_seen {
            return Err(missing("encoder/conv1/weight"));
        }
        let int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        Ok(HParams {
            n_vocab: int(n_vocab),
            n_audio_ctx: int(n_audio_ctx),
            n_audio_state: int(n_audio_state),
            n_audio_head: i32::try_from(n_audio_head).unwrap_or(0),
            n_audio_layer: int(self.audio_layers),
            n_text_ctx: int(n_text_ctx),
            n_text_state: int(n_text_state),
            n_text_head: i32::try_from(n_text_head).unwrap_or(0),
            n_text_layer: int(self.text_layers),
            n_mels: N_MELS as i32,
            ftype: 1,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
