//! Whisper's vocabulary for the ggml header: `tokenizer.json` tokens in id order, decoded from
//! GPT-2's byte-level alphabet back to raw bytes.

use std::collections::HashMap;

use serde::Deserialize;

use crate::error::{ModelsError, TokenizerProblem};

const END_OF_TEXT: &str = "<|endoftext|>";

#[derive(Deserialize)]
struct TokenizerJson {
    model: BpeModel,
    #[serde(default)]
    added_tokens: Vec<AddedToken>,
}

#[derive(Deserialize)]
struct BpeModel {
    vocab: HashMap<String, u32>,
}

#[derive(Deserialize)]
struct AddedToken {
    id: u32,
    content: String,
}

/// The tokens with ids `0..id(<|endoftext|>)`, as bytes. whisper.cpp adds the special tokens itself.
pub fn vocabulary_bytes(tokenizer_json: &[u8]) -> Result<Vec<Vec<u8>>, ModelsError> {
    let parsed: TokenizerJson = serde_json::from_slice(tokenizer_json)
        .map_err(|source| ModelsError::TokenizerJson { source })?;
    let eot = parsed
        .added_tokens
        .iter()
        .find(|t| t.content == END_OF_TEXT)
        .map(|t| t.id)
        .or_else(|| parsed.model.vocab.get(END_OF_TEXT).copied())
        .ok_or(ModelsError::Tokenizer {
            problem: TokenizerProblem::NoEndOfText,
        })?;
    let mut by_id: Vec<Option<&str>> = vec![None; eot as usize];
    for (token, &id) in &parsed.model.vocab {
        if let Some(slot) = by_id.get_mut(id as usize) {
            *slot = Some(token);
        }
    }
    by_id
        .iter()
        .enumerate()
        .map(|(id, token)| {
            let id = id as u32;
            let token = token.ok_or(ModelsError::Tokenizer {
                problem: TokenizerProblem::Gap { id },
            })?;
            token
                .chars()
                .map(|ch| {
                    byte_for_char(ch).ok_or(ModelsError::Tokenizer {
                        problem: TokenizerProblem::NotByteLevel { id, ch },
                    })
                })
                .collect()
        })
        .collect()
}

/// Whether GPT-2's byte-level encoding shows this byte as its own code point.
fn is_printable(b: u8) -> bool {
    matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF)
}

/// The byte a GPT-2 byte-level character stands for. Printable bytes map to themselves; the
/// other 68 bytes, in ascending order, map to U+0100, U+0101, ...
pub fn byte_for_char(ch: char) -> Option<u8> {
    let code = u32::from(ch);
    if code < 256 {
        let b = code as u8;
        return is_printable(b).then_some(b);
    }
    let index = usize::try_from(code - 256).ok()?;
    (0..=255u8).filter(|b| !is_printable(*b)).nth(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_level_characters_decode_to_bytes() {
        assert_eq!(byte_for_char('a'), Some(b'a'));
        assert_eq!(byte_for_char('Ġ'), Some(b' '));
        assert_eq!(byte_for_char('Ċ'), Some(b'\n'));
        assert_eq!(byte_for_char('Ā'), Some(0));
        assert_eq!(byte_for_char('ġ'), Some(0x7F));
        assert_eq!(byte_for_char('ł'), Some(0xA0));
        assert_eq!(byte_for_char('Ń'), Some(0xAD));
        assert_eq!(byte_for_char('é'), Some(0xE9));
        // Bytes that are shifted never appear as themselves, and nothing maps past U+0143.
        assert_eq!(byte_for_char(' '), None);
        assert_eq!(byte_for_char('ń'), None);
    }

    #[test]
    fn every_byte_has_exactly_one_character() {
        let mut seen = [0u32; 256];
        for code in 0..0x200u32 {
            if let Some(b) = char::from_u32(code).and_then(byte_for_char) {
                seen[b as usize] += 1;
            }
        }
        assert!(seen.iter().all(|n| *n == 1));
    }

    #[test]
    fn vocabulary_stops_before_end_of_text_and_decodes_utf8() {
        let json = r#"{"model":{"type":"BPE","vocab":{"!":0,"Ġthe":1,"Ã©":2,"<|endoftext|>":3}},
            "added_tokens":[{"id":3,"content":"<|endoftext|>"},{"id":4,"content":"<|en|>"}]}"#;
        let vocab = vocabulary_bytes(json.as_bytes()).unwrap();
        assert_eq!(
            vocab,
            vec![b"!".to_vec(), b" the".to_vec(), "é".as_bytes().to_vec()]
        );
    }

    #[test]
    fn gaps_and_missing_end_of_text_are_errors() {
        let gap = r#"{"model":{"vocab":{"a":0,"<|endoftext|>":2}},"added_tokens":[]}"#;
        assert!(matches!(
            vocabulary_bytes(gap.as_bytes()),
            Err(ModelsError::Tokenizer {
                problem: TokenizerProblem::Gap { id: 1 }
            })
        ));
        let none = r#"{"model":{"vocab":{"a":0}}}"#;
        assert!(matches!(
            vocabulary_bytes(none.as_bytes()),
            Err(ModelsError::Tokenizer {
                problem: TokenizerProblem::NoEndOfText
            })
        ));
    }
}
