fn main() {
    // Generates $OUT_DIR/asyncapi.rs from the AsyncAPI document, and reruns when it changes.
    // The chat page's TypeScript types and client go to web/generated/ (committed; tsc compiles
    // them with web/app.ts into web/dist/, which the server embeds).
    let config = socketsundso_codegen::Config::new("asyncapi.yaml").typescript_dir("web/generated");
    if let Err(error) = config.compile() {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
