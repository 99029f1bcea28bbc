//! Writer for whisper.cpp's legacy ggml model file: header, mel filters, vocabulary, tensors.

use std::io::{self, Write};

use half::f16;

/// ggml file magic, `ggml` in hex.
pub const MAGIC: u32 = 0x6767_6d6c;

/// The eleven hyper-parameters after the magic, in file order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HParams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    /// 1: matrices in f16.
    pub ftype: i32,
}

impl HParams {
    /// Size of magic plus hyper-parameters.
    pub const ENCODED_LEN: u64 = 48;

    /// Writes the magic and the hyper-parameters.
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&MAGIC.to_le_bytes())?;
        for v in [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ] {
            out.write_all(&v.to_le_bytes())?;
        }
        Ok(())
    }
}

/// Writes the mel filter bank section: `n_mel`, `n_fft` (the bin count), then the values.
pub fn write_mel_filters(
    out: &mut impl Write,
    n_mel: usize,
    n_bins: usize,
    bank: &[f32],
) -> io::Result<()> {
    write_i32(out, n_mel)?;
    write_i32(out, n_bins)?;
    for v in bank {
        out.write_all(&v.to_le_bytes())?;
    }
    Ok(())
}

/// Writes the vocabulary section: count, then each token's length and bytes.
pub fn write_vocabulary(out: &mut impl Write, tokens: &[Vec<u8>]) -> io::Result<()> {
    write_i32(out, tokens.len())?;
    for token in tokens {
        write_i32(out, token.len())?;
        out.write_all(token)?;
    }
    Ok(())
}

/// Element data of a tensor about to be written.
#[derive(Debug, Clone, Copy)]
pub enum Elements<'a> {
    /// Little-endian f32 values.
    F32(&'a [u8]),
    /// Little-endian f16 values.
    F16(&'a [u8]),
}

/// Writes one tensor record, converting `data` to f32 (`as_f32`) or f16. `dims` are row-major
/// (outermost first); ggml stores them innermost first. Returns the bytes written.
pub fn write_tensor(
    out: &mut impl Write,
    name: &str,
    dims: &[usize],
    as_f32: bool,
    data: Elements<'_>,
    scratch: &mut Vec<u8>,
) -> io::Result<u64> {
    write_i32(out, dims.len())?;
    write_i32(out, name.len())?;
    write_i32(out, usize::from(!as_f32))?;
    for d in dims.iter().rev() {
        write_i32(out, *d)?;
    }
    out.write_all(name.as_bytes())?;
    scratch.clear();
    match (data, as_f32) {
        (Elements::F32(b), true) | (Elements::F16(b), false) => scratch.extend_from_slice(b),
        (Elements::F16(b), true) => {
            for c in b.chunks_exact(2) {
                let v = f16::from_le_bytes([c[0], c[1]]).to_f32();
                scratch.extend_from_slice(&v.to_le_bytes());
            }
        }
        (Elements::F32(b), false) => {
            for c in b.chunks_exact(4) {
                let v = f16::from_f32(f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
                scratch.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    out.write_all(scratch)?;
    Ok(12 + 4 * dims.len() as u64 + name.len() as u64 + scratch.len() as u64)
}

fn write_i32(out: &mut impl Write, v: usize) -> io::Result<()> {
    let v = i32::try_from(v).map_err(|_| io::Error::other("value exceeds i32 in ggml header"))?;
    out.write_all(&v.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_record_layout() {
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        let f16s: Vec<u8> = [1.0f32, -2.0, 0.5, 3.0, 0.0, 1.5]
            .iter()
            .flat_map(|v| f16::from_f32(*v).to_le_bytes())
            .collect();
        let n = write_tensor(
            &mut out,
            "w",
            &[2, 3],
            false,
            Elements::F16(&f16s),
            &mut scratch,
        )
        .unwrap();
        assert_eq!(n, out.len() as u64);
        let ints: Vec<i32> = out[..20]
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        // n_dims, name length, type f16, dims innermost first.
        assert_eq!(ints, vec![2, 1, 1, 3, 2]);
        assert_eq!(out[20], b'w');
        assert_eq!(&out[21..], &f16s[..]);
    }

    #[test]
    fn f16_input_widens_to_f32() {
        let mut out = Vec::new();
        let data: Vec<u8> = [0.25f32, -4.0]
            .iter()
            .flat_map(|v| f16::from_f32(*v).to_le_bytes())
            .collect();
        write_tensor(
            &mut out,
            "b",
            &[2],
            true,
            Elements::F16(&data),
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(&out[..12], &[1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
        let values: Vec<f32> = out[17..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(values, vec![0.25, -4.0]);
    }
}
