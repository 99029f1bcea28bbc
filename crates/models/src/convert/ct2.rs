//! Streaming reader for CTranslate2's `model.bin`: one variable at a time, so a model is never held twice in memory.

use std::io::Read;

use crate::error::{Ct2Problem, ModelsError};

/// The largest variable accepted (the biggest Whisper matrix is ~130 MB in f16).
const MAX_VARIABLE_BYTES: u64 = 1 << 31;

/// Element type of a CTranslate2 variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl DType {
    fn from_code(code: u8) -> Option<DType> {
        Some(match code {
            0 => DType::F32,
            1 => DType::I8,
            2 => DType::I16,
            3 => DType::I32,
            4 => DType::F16,
            5 => DType::BF16,
            _ => return None,
        })
    }

    /// The on-disk code, for error messages.
    pub fn code(self) -> u8 {
        match self {
            DType::F32 => 0,
            DType::I8 => 1,
            DType::I16 => 2,
            DType::I32 => 3,
            DType::F16 => 4,
            DType::BF16 => 5,
        }
    }

    /// Bytes per element.
    pub fn size(self) -> u64 {
        match self {
            DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::F32 | DType::I32 => 4,
        }
    }
}

/// One named tensor (or scalar) from the model file.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    /// Row-major dimensions; empty for a scalar.
    pub dims: Vec<u32>,
    pub dtype: DType,
    /// Raw little-endian element bytes.
    pub data: Vec<u8>,
}

impl Variable {
    /// The scalar's value as an integer, for `num_heads`-style variables.
    pub fn scalar_int(&self) -> Option<i64> {
        if !self.dims.is_empty() {
            return None;
        }
        let b = &self.data;
        match self.dtype {
            DType::I8 => b.first().map(|v| i64::from(*v as i8)),
            DType::I16 => Some(i64::from(i16::from_le_bytes(b.get(..2)?.try_into().ok()?))),
            DType::I32 => Some(i64::from(i32::from_le_bytes(b.get(..4)?.try_into().ok()?))),
            _ => None,
        }
    }
}

/// Reads a CTranslate2 model file front to back.
pub struct Ct2Reader<R> {
    inner: R,
    offset: u64,
    remaining: u32,
    spec: String,
}

impl<R: Read> Ct2Reader<R> {
    /// Reads the header (version, spec name, revision, variable count).
    pub fn new(inner: R) -> Result<Self, ModelsError> {
        let mut reader = Ct2Reader {
            inner,
            offset: 0,
            remaining: 0,
            spec: String::new(),
        };
        let version = reader.u32()?;
        if !(5..=6).contains(&version) {
            return Err(reader.problem(Ct2Problem::UnsupportedVersion { version }));
        }
        reader.spec = reader.string()?;
        let _revision = reader.u32()?;
        reader.remaining = reader.u32()?;
        Ok(reader)
    }

    /// The model spec name, e.g. `WhisperSpec`.
    pub fn spec(&self) -> &str {
        &self.spec
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next variable, or `None` after the last one.
    pub fn next_variable(&mut self) -> Result<Option<Variable>, ModelsError> {
        if self.remaining == 0 {
            return Ok(None);
        }
        self.remaining -= 1;
        let name = self.string()?;
        let rank = self.u8()?;
        let mut dims = Vec::with_capacity(usize::from(rank));
        for _ in 0..rank {
            dims.push(self.u32()?);
        }
        let code = self.u8()?;
        let Some(dtype) = DType::from_code(code) else {
            return Err(self.problem(Ct2Problem::UnsupportedDtype { name, dtype: code }));
        };
        let actual = u64::from(self.u32()?);
        let expected = dims
            .iter()
            .try_fold(dtype.size(), |acc, d| acc.checked_mul(u64::from(*d)));
        if expected != Some(actual) || actual > MAX_VARIABLE_BYTES {
            let expected = expected.unwrap_or(u64::MAX);
            return Err(self.problem(Ct2Problem::ByteCount {
                name,
                expected,
                actual,
            }));
        }
        let len = usize::try_from(actual).map_err(|_| self.problem(Ct2Problem::Truncated))?;
        let mut data = vec![0u8; len];
        self.fill(&mut data)?;
        Ok(Some(Variable {
            name,
            dims,
            dtype,
            data,
        }))
    }

    /// Consumes the alias table that follows the variables and returns the inner reader.
    pub fn finish(mut self) -> Result<R, ModelsError> {
        while self.next_variable()?.is_some() {}
        let aliases = self.u32()?;
        for _ in 0..aliases {
            self.string()?;
            self.string()?;
        }
        Ok(self.inner)
    }

    fn problem(&self, problem: Ct2Problem) -> ModelsError {
        ModelsError::Ct2Format {
            offset: self.offset,
            problem,
        }
    }

    fn fill(&mut self, buf: &mut [u8]) -> Result<(), ModelsError> {
        match self.inner.read_exact(buf) {
            Ok(()) => {
                self.offset += buf.len() as u64;
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Err(self.problem(Ct2Problem::Truncated))
            }
            Err(source) => Err(ModelsError::Io {
                path: "model.bin".into(),
                source,
            }),
        }
    }

    fn u8(&mut self) -> Result<u8, ModelsError> {
        let mut b = [0u8; 1];
        self.fill(&mut b)?;
        Ok(b[0])
    }

    fn u32(&mut self) -> Result<u32, ModelsError> {
        let mut b = [0u8; 4];
        self.fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn string(&mut self) -> Result<String, ModelsError> {
        let mut b = [0u8; 2];
        self.fill(&mut b)?;
        let mut bytes = vec![0u8; usize::from(u16::from_le_bytes(b))];
        self.fill(&mut bytes)?;
        if bytes.pop() != Some(0) {
            return Err(self.problem(Ct2Problem::BadString));
        }
        String::from_utf8(bytes).map_err(|_| self.problem(Ct2Problem::BadString))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a CTranslate2 file in memory: (name, dims, dtype code, data).
    pub(crate) fn ct2_bytes(spec: &str, vars: &[(&str, Vec<u32>, u8, Vec<u8>)]) -> Vec<u8> {
        fn string(out: &mut Vec<u8>, s: &str) {
            out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
            out.push(0);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&6u32.to_le_bytes());
        string(&mut out, spec);
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&(vars.len() as u32).to_le_bytes());
        for (name, dims, dtype, data) in vars {
            string(&mut out, name);
            out.push(dims.len() as u8);
            for d in dims {
                out.extend_from_slice(&d.to_le_bytes());
            }
            out.push(*dtype);
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(data);
        }
        out.extend_from_slice(&1u32.to_le_bytes());
        string(&mut out, "decoder/projection/weight");
        string(&mut out, "decoder/embeddings/weight");
        out
    }

    #[test]
    fn reads_variables_scalars_and_aliases() {
        let bytes = ct2_bytes(
            "WhisperSpec",
            &[
                ("encoder/num_heads", vec![], 2, 6i16.to_le_bytes().to_vec()),
                ("encoder/conv1/bias", vec![2], 0, vec![0; 8]),
            ],
        );
        let mut reader = Ct2Reader::new(&bytes[..]).unwrap();
        assert_eq!(reader.spec(), "WhisperSpec");
        let heads = reader.next_variable().unwrap().unwrap();
        assert_eq!(heads.scalar_int(), Some(6));
        let bias = reader.next_variable().unwrap().unwrap();
        assert_eq!((bias.dims.clone(), bias.dtype), (vec![2], DType::F32));
        assert!(reader.next_variable().unwrap().is_none());
        let rest = reader.finish().unwrap();
        assert!(rest.is_empty());
    }

    #[test]
    fn truncated_and_inconsistent_files_are_errors() {
        let bytes = ct2_bytes("WhisperSpec", &[("a", vec![4], 0, vec![0; 16])]);
        let mut reader = Ct2Reader::new(&bytes[..bytes.len() - 70]).unwrap();
        let err = reader.next_variable().unwrap_err();
        assert!(matches!(
            err,
            ModelsError::Ct2Format {
                problem: Ct2Problem::Truncated,
                ..
            }
        ));

        let bad = ct2_bytes("WhisperSpec", &[("a", vec![4], 0, vec![0; 12])]);
        let mut reader = Ct2Reader::new(&bad[..]).unwrap();
        let err = reader.next_variable().unwrap_err();
        assert!(matches!(
            err,
            ModelsError::Ct2Format {
                problem: Ct2Problem::ByteCount {
                    expected: 16,
                    actual: 12,
                    ..
                },
                ..
            }
        ));
    }
}
