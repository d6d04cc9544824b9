//! Compiles `proto/factgate/v1/*.proto` into `OUT_DIR` with a vendored `protoc`, and writes the
//! file descriptor set that gRPC reflection serves.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("PROTOC").is_none() {
        let protoc = protoc_bin_vendored::protoc_bin_path()?;
        // `set_var` is only unsafe in edition 2024; this crate is edition 2021.
        std::env::set_var("PROTOC", protoc);
    }
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        // Decode errors are the client's (INVALID_ARGUMENT), not INTERNAL: see src/serve/codec.rs.
        .codec_path("crate::serve::codec::Codec")
        .file_descriptor_set_path(out_dir.join("factgate_descriptor.bin"))
        .compile_protos(&["proto/factgate/v1/guard.proto"], &["proto"])?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
