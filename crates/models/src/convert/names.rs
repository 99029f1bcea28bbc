//! Maps CTranslate2 Whisper variable names to the OpenAI tensor names whisper.cpp looks up.

/// Where a CTranslate2 variable goes in the ggml file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One tensor, renamed.
    Single(String),
    /// A fused projection: split its rows into equal parts, in order; `None` parts are dropped
    /// (Whisper's key projections have no bias, so the fused bias's key slice is not written).
    Split(Vec<Option<String>>),
}

/// The ggml tensor(s) for a CTranslate2 variable, or `None` for a name this converter does not know.
pub fn map_variable(name: &str) -> Option<Target> {
    let parts: Vec<&str> = name.split('/').collect();
    let single = |s: String| Some(Target::Single(s));
    match parts.as_slice() {
        ["encoder", conv @ ("conv1" | "conv2"), wb @ ("weight" | "bias")] => {
            single(format!("encoder.{conv}.{wb}"))
        }
        [side @ ("encoder" | "decoder"), "position_encodings", "encodings"] => {
            single(format!("{side}.positional_embedding"))
        }
        ["decoder", "embeddings", "weight"] => single("decoder.token_embedding.weight".into()),
        ["encoder", "layer_norm", g] => single(format!("encoder.ln_post.{}", norm_param(g)?)),
        ["decoder", "layer_norm", g] => single(format!("decoder.ln.{}", norm_param(g)?)),
        [side @ ("encoder" | "decoder"), layer, module, rest @ ..] => {
            let index: u32 = layer.strip_prefix("layer_")?.parse().ok()?;
            let prefix = format!("{side}.blocks.{index}.");
            let local = map_block(side, module, rest)?;
            Some(match local {
                Target::Single(s) => Target::Single(prefix + &s),
                Target::Split(v) => Target::Split(
                    v.into_iter()
                        .map(|p| p.map(|s| format!("{prefix}{s}")))
                        .collect(),
                ),
            })
        }
        _ => None,
    }
}

/// Names inside one transformer block, relative to `{side}.blocks.{i}.`.
fn map_block(side: &str, module: &str, rest: &[&str]) -> Option<Target> {
    let single = |s: String| Some(Target::Single(s));
    match (module, rest) {
        ("self_attention", ["layer_norm", g]) => single(format!("attn_ln.{}", norm_param(g)?)),
        ("self_attention", ["linear_0", "weight"]) => Some(Target::Split(vec![
            Some("attn.query.weight".into()),
            Some("attn.key.weight".into()),
            Some("attn.value.weight".into()),
        ])),
        ("self_attention", ["linear_0", "bias"]) => Some(Target::Split(vec![
            Some("attn.query.bias".into()),
            None,
            Some("attn.value.bias".into()),
        ])),
        ("self_attention", ["linear_1", wb @ ("weight" | "bias")]) => {
            single(format!("attn.out.{wb}"))
        }
        ("attention", _) if side != "decoder" => None,
        ("attention", ["layer_norm", g]) => single(format!("cross_attn_ln.{}", norm_param(g)?)),
        ("attention", ["linear_0", wb @ ("weight" | "bias")]) => {
            single(format!("cross_attn.query.{wb}"))
        }
        ("attention", ["linear_1", "weight"]) => Some(Target::Split(vec![
            Some("cross_attn.key.weight".into()),
            Some("cross_attn.value.weight".into()),
        ])),
        ("attention", ["linear_1", "bias"]) => Some(Target::Split(vec![
            None,
            Some("cross_attn.value.bias".into()),
        ])),
        ("attention", ["linear_2", wb @ ("weight" | "bias")]) => {
            single(format!("cross_attn.out.{wb}"))
        }
        ("ffn", ["layer_norm", g]) => single(format!("mlp_ln.{}", norm_param(g)?)),
        ("ffn", ["linear_0", wb @ ("weight" | "bias")]) => single(format!("mlp.0.{wb}")),
        ("ffn", ["linear_1", wb @ ("weight" | "bias")]) => single(format!("mlp.2.{wb}")),
        _ => None,
    }
}

fn norm_param(g: &str) -> Option<&'static str> {
    match g {
        "gamma" => Some("weight"),
        "beta" => Some("bias"),
        _ => None,
    }
}

/// Whether whisper.cpp expects this tensor in f32 (1-D tensors, conv biases, positional
/// embeddings) rather than f16.
pub fn stored_as_f32(name: &str, n_dims: usize) -> bool {
    n_dims < 2 || is_conv_bias(name) || name.ends_with(".positional_embedding")
}

/// Conv biases are written with shape (n, 1), as whisper.cpp adds them to (frames, n) activations.
pub fn is_conv_bias(name: &str) -> bool {
    name == "encoder.conv1.bias" || name == "encoder.conv2.bias"
}

/// The number of tensors whisper.cpp loads for a model with these layer counts.
pub fn expected_tensor_count(encoder_layers: usize, decoder_layers: usize) -> usize {
    // encoder: conv1 w/b, conv2 w/b, positional, ln_post w/b; decoder: positional, tokens, ln w/b.
    11 + 15 * encoder_layers + 24 * decoder_layers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(s: &str) -> Option<Target> {
        Some(Target::Single(s.into()))
    }

    #[test]
    fn maps_top_level_tensors() {
        assert_eq!(
            map_variable("encoder/conv1/weight"),
            single("encoder.conv1.weight")
        );
        assert_eq!(
            map_variable("decoder/embeddings/weight"),
            single("decoder.token_embedding.weight")
        );
        assert_eq!(
            map_variable("encoder/position_encodings/encodings"),
            single("encoder.positional_embedding")
        );
        assert_eq!(
            map_variable("encoder/layer_norm/gamma"),
            single("encoder.ln_post.weight")
        );
        assert_eq!(
            map_variable("decoder/layer_norm/beta"),
            single("decoder.ln.bias")
        );
    }

    #[test]
    fn maps_block_tensors_and_splits_fused_projections() {
        assert_eq!(
            map_variable("encoder/layer_3/self_attention/layer_norm/gamma"),
            single("encoder.blocks.3.attn_ln.weight")
        );
        assert_eq!(
            map_variable("decoder/layer_11/ffn/linear_1/bias"),
            single("decoder.blocks.11.mlp.2.bias")
        );
        assert_eq!(
            map_variable("decoder/layer_0/attention/linear_2/weight"),
            single("decoder.blocks.0.cross_attn.out.weight")
        );
        assert_eq!(
            map_variable("encoder/layer_0/self_attention/linear_0/bias"),
            Some(Target::Split(vec![
                Some("encoder.blocks.0.attn.query.bias".into()),
                None,
                Some("encoder.blocks.0.attn.value.bias".into()),
            ]))
        );
        assert_eq!(
            map_variable("decoder/layer_1/attention/linear_1/weight"),
            Some(Target::Split(vec![
                Some("decoder.blocks.1.cross_attn.key.weight".into()),
                Some("decoder.blocks.1.cross_attn.value.weight".into()),
            ]))
        );
    }

    #[test]
    fn unknown_names_are_rejected() {
        assert_eq!(map_variable("encoder/layer_x/ffn/linear_0/weight"), None);
        assert_eq!(
            map_variable("encoder/layer_0/attention/linear_0/weight"),
            None
        );
        assert_eq!(map_variable("decoder/projection/weight"), None);
        assert_eq!(map_variable("encoder/layer_norm/scale"), None);
    }

    #[test]
    fn small_tensors_stay_f32() {
        assert!(stored_as_f32("encoder.conv1.bias", 2));
        assert!(stored_as_f32("decoder.positional_embedding", 2));
        assert!(stored_as_f32("decoder.ln.weight", 1));
        assert!(!stored_as_f32("decoder.token_embedding.weight", 2));
        assert!(!stored_as_f32("encoder.conv1.weight", 3));
    }
}
