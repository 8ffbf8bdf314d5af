fn main() {
    // Generates $OUT_DIR/asyncapi.rs, the benchmark's own server ("ours"), from asyncapi.yaml,
    // and reruns when it changes.
    if let Err(error) = socketsundso_codegen::Config::new("asyncapi.yaml").compile() {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
