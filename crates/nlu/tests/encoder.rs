//! The sentence encoder on the real MiniLM model: unit vectors, meaning reflected in cosine
//! similarity, and batching that does not change the result.

mod support;

use hotline_nlu::{NluError, SentenceEncoder};

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn embeddings_are_unit_vectors_of_384_values() {
    let encoder = support::encoder();
    let embeddings = encoder
        .embed(&["How long does delivery take?", "", "ok"])
        .expect("embeds");
    assert_eq!(embeddings.len(), 3);
    for embedding in &embeddings {
        assert_eq!(embedding.len(), 384);
        assert!((cosine(embedding, embedding) - 1.0).abs() < 1e-3);
    }
}

#[test]
fn paraphrases_are_closer_than_unrelated_sentences() {
    let encoder = support::encoder();
    let e = encoder
        .embed(&[
            "when will my parcel arrive",
            "how long until my package is delivered",
            "what's the weather like today",
        ])
        .expect("embeds");
    let paraphrase = cosine(&e[0], &e[1]);
    let unrelated = cosine(&e[0], &e[2]);
    assert!(paraphrase > 0.5, "paraphrase similarity {paraphrase}");
    assert!(unrelated < 0.3, "unrelated similarity {unrelated}");
}

#[test]
fn batching_and_padding_do_not_change_embeddings() {
    let encoder = support::encoder();
    let short = "refund please";
    let long = "I ordered a blue jacket three weeks ago and it still has not arrived, where is it?";
    let alone = encoder.embed_one(short).expect("embeds");
    let batched = encoder.embed(&[long, short, long]).expect("embeds");
    assert!(cosine(&alone, &batched[1]) > 0.999);
    assert!(cosine(&batched[0], &batched[2]) > 0.999);
}

#[test]
fn very_long_text_is_truncated_not_rejected() {
    let encoder = support::encoder();
    let long = "please tell me about my order ".repeat(200);
    let embedding = encoder.embed_one(&long).expect("embeds");
    assert_eq!(embedding.len(), 384);
}

#[test]
fn missing_model_file_is_a_load_error() {
    support::encoder();
    let missing = std::path::Path::new("/nonexistent/minilm.onnx");
    let tokenizer = support::model_asset(hotline_nlu::TOKENIZER_FILE);
    assert!(matches!(
        SentenceEncoder::load(missing, &tokenizer),
        Err(NluError::ModelLoad { .. })
    ));
    assert!(matches!(
        SentenceEncoder::load(&tokenizer, missing),
        Err(NluError::TokenizerLoad { .. })
    ));
}

#[test]
fn the_same_sentence_embedded_twice_gives_the_same_vector_as_a_batch() {
    let encoder = support::encoder();
    let first = encoder.embed_one("Where is my order?").expect("embeds");
    let again = encoder.embed_one("Where is my order?").expect("embeds");
    let other = encoder
        .embed_one("Do you sell gift cards?")
        .expect("embeds");
    let batch = encoder.embed(&["Where is my order?"]).expect("embeds");
    assert_eq!(first, again);
    assert!((cosine(&first, &batch[0]) - 1.0).abs() < 1e-5);
    assert!(cosine(&first, &other) < 0.9);
}
