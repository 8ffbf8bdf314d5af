fn main() {
    // Generates $OUT_DIR/asyncapi.rs from the AsyncAPI document, and reruns when it changes.
    if let Err(error) = socketsundso_codegen::compile("asyncapi.yaml") {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
