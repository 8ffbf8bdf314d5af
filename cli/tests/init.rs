//! `socketsundso init`, then what its README tells a new user to do: build it, run the server
//! and talk to it, add a message to the spec and read the compile error that names the missing
//! handler, write the handler, build again.
//!
//! The project builds in the workspace's target directory (`CARGO_TARGET_DIR`), with the
//! workspace's `Cargo.lock` and debug profile, so that it reuses the workspace's compiled
//! dependencies and needs no network (`--offline`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use assert_cmd::cargo::cargo_bin;

/// The repository's root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_owned()
}

fn socketsundso(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(cargo_bin("socketsundso"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("socketsundso runs")
}

/// `cargo build` of the project at `dir`; its output.
fn cargo_build(dir: &Path) -> std::process::Output {
    cargo(dir, &["build"])
}

/// `cargo <args>` in the project at `dir`, offline, in the workspace's target directory.
fn cargo(dir: &Path, args: &[&str]) -> std::process::Output {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let (command, rest) = args.split_first().expect("a cargo command");
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .arg(command)
        .args(["--offline", "--color", "never"])
        .args(rest)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs")
}

/// The server, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(binary: &Path) -> Self {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server prints where it listens");
        let port = line
            .trim()
            .strip_prefix("listening on ws://127.0.0.1:")
            .and_then(|rest| rest.strip_suffix('/'))
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
        Server { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The README's conversation: what the user sends (`> `) and what comes back (`< `).
fn conversation(readme: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("> {"))
        .take_while(|l| l.starts_with("> ") || l.starts_with("< "))
        .collect();
    lines
        .chunks(2)
        .map(|pair| {
            let sent = pair[0].strip_prefix("> ").expect("a line sent").to_owned();
            let got = pair
                .get(1)
                .and_then(|l| l.strip_prefix("< "))
                .expect("its answer")
                .to_owned();
            (sent, got)
        })
        .collect()
}

/// The generated code in a private module of a binary, with the handlers of the new project.
const PRIVATE_MODULE: &str = r#"
mod api {
    include!(concat!(env!("OUT_DIR"), "/asyncapi.rs"));
}

use socketsundso::HandlerError;

struct App;

impl api::Handler for App {
    async fn on_hello(&self, _ctx: &api::Context, message: api::Hello) -> Result<api::Welcome, HandlerError> {
        Ok(api::Welcome { greeting: format!("Hello, {}!", *message.name) })
    }

    async fn on_add(&self, _ctx: &api::Context, message: api::Add) -> Result<api::Sum, HandlerError> {
        Ok(api::Sum { value: message.a + message.b })
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = axum::Router::new().route("/", api::Server::new(App).into_route());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    axum::serve(listener, app).await
}
"#;

const GOODBYE_MESSAGE: &str = "
    goodbye:
      summary: The last message of a session.
      payload:
        type: object
        properties:
          type:
            const: goodbye
        required: [type]
";

const GOODBYE_OPERATION: &str = "
  goodbye:
    action: receive
    channel:
      $ref: '#/channels/root'
    messages:
      - $ref: '#/channels/root/messages/goodbye'
    reply:
      channel:
        $ref: '#/channels/root'
      messages:
        - $ref: '#/channels/root/messages/welcome'
";

const GOODBYE_HANDLER: &str = "
    async fn on_goodbye(&self, _ctx: &Context, _message: api::Goodbye) -> Result<Welcome, HandlerError> {
        Ok(Welcome { greeting: \"Goodbye!\".to_owned() })
    }
";

#[test]
fn init_builds_runs_and_names_a_missing_handler() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let project = temp.path().join("my-api");
    let out = socketsundso(&[
        "init".as_ref(),
        project.as_os_str(),
        "--socketsundso-path".as_ref(),
        repo().as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for file in [
        "asyncapi.yaml",
        "Cargo.toml",
        "build.rs",
        "src/lib.rs",
        "src/main.rs",
        "README.md",
        ".gitignore",
    ] {
        assert!(project.join(file).is_file(), "{file}");
        assert!(
            stderr.contains(&format!("wrote {}", project.join(file).display())),
            "{stderr}"
        );
    }
    let manifest = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!(
            "socketsundso = {{ path = {:?} }}",
            repo().join("runtime").display().to_string()
        )),
        "{manifest}"
    );
    let spec = project.join("asyncapi.yaml");
    let validate = socketsundso(&["validate".as_ref(), spec.as_os_str()]);
    assert_eq!(
        String::from_utf8_lossy(&validate.stderr),
        "ok: no problems\n"
    );

    // A second init overwrites nothing, and says so.
    let original = std::fs::read_to_string(project.join("src/lib.rs")).unwrap();
    std::fs::write(project.join("src/lib.rs"), "// mine\n").unwrap();
    let again = socketsundso(&["init".as_ref(), project.as_os_str()]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not overwriting"), "{stderr}");
    assert!(stderr.contains("src/lib.rs"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(project.join("src/lib.rs")).unwrap(),
        "// mine\n"
    );
    std::fs::write(project.join("src/lib.rs"), original).unwrap();

    // Build as the workspace does, from its lock file.
    std::fs::copy(repo().join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
    std::fs::create_dir_all(temp.path().join(".cargo")).unwrap();
    std::fs::write(
        temp.path().join(".cargo/config.toml"),
        "[profile.dev]\ndebug = 1\n\n[profile.dev.package.\"*\"]\ndebug = 0\n",
    )
    .unwrap();
    let build = cargo_build(&project);
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(build.status.success(), "cargo build:\n{stderr}");
    assert!(
        !stderr.contains("warning"),
        "the new project builds without warnings:\n{stderr}"
    );
    let client = std::fs::read_to_string(project.join("web/generated/client.ts"))
        .expect("build.rs wrote the TypeScript client");
    assert!(client.contains("hello"), "{client}");

    // The README's conversation, with the real server.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let server = Server::start(&target.join("debug").join("my-api"));
    let (mut socket, _) = tungstenite::connect(format!("ws://127.0.0.1:{}/", server.port))
        .expect("the server accepts a WebSocket");
    let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
    let talk = conversation(&readme);
    assert_eq!(talk.len(), 3, "{readme}");
    for (sent, expected) in talk {
        socket
            .send(tungstenite::Message::text(sent.clone()))
            .expect("sent");
        let reply = loop {
            match socket.read().expect("a reply") {
                tungstenite::Message::Text(text) => break text.to_string(),
                tungstenite::Message::Ping(_) | tungstenite::Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        };
        assert_eq!(reply, expected, "the reply to {sent}");
    }
    let _ = socket.close(None);
    drop(server);

    // Clippy, pedantic included, has nothing to say about the project; nor about the
    // generated code in a private module of a binary, the first thing a new user writes.
    std::fs::create_dir_all(project.join("src/bin")).unwrap();
    std::fs::write(project.join("src/bin/private.rs"), PRIVATE_MODULE).unwrap();
    let clippy = cargo(
        &project,
        &[
            "clippy",
            "--all-targets",
            "--",
            "-D",
            "warnings",
            "-W",
            "clippy::pedantic",
        ],
    );
    assert!(
        clippy.status.success(),
        "cargo clippy:\n{}",
        String::from_utf8_lossy(&clippy.stderr)
    );
    std::fs::remove_dir_all(project.join("src/bin")).unwrap();

    // A new message: the build fails and names the missing handler.
    let text = std::fs::read_to_string(&spec).unwrap();
    let text = text
        .replace(
            "      sum:\n        $ref: '#/components/messages/sum'\n",
            "      sum:\n        $ref: '#/components/messages/sum'\n      goodbye:\n        $ref: '#/components/messages/goodbye'\n",
        )
        .replace("\ncomponents:\n", &format!("{GOODBYE_OPERATION}\ncomponents:\n"))
        .replace("  messages:\n    hello:\n", &format!("  messages:{GOODBYE_MESSAGE}    hello:\n"));
    assert_eq!(text.matches("goodbye").count(), 6, "{text}");
    std::fs::write(&spec, text).unwrap();
    let build = cargo_build(&project);
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(!build.status.success(), "the build fails:\n{stderr}");
    assert!(
        stderr.contains("error[E0046]: not all trait items implemented, missing: `on_goodbye`"),
        "the error names the handler:\n{stderr}"
    );

    // Write it, as the README says; the build passes, the TypeScript client has the message.
    let lib = std::fs::read_to_string(project.join("src/lib.rs")).unwrap();
    let lib = lib.replacen(
        "impl api::Handler for App {\n",
        &format!("impl api::Handler for App {{{GOODBYE_HANDLER}"),
        1,
    );
    std::fs::write(project.join("src/lib.rs"), lib).unwrap();
    let build = cargo_build(&project);
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let client = std::fs::read_to_string(project.join("web/generated/client.ts")).unwrap();
    assert!(
        client.contains("goodbye"),
        "build.rs regenerated the client"
    );

    // And the docs, as the README says.
    let docs = project.join("docs");
    let out = socketsundso(&[
        "docs".as_ref(),
        spec.as_os_str(),
        "--out".as_ref(),
        docs.as_os_str(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let markdown = std::fs::read_to_string(docs.join("api.md")).unwrap();
    assert!(markdown.contains("### `goodbye`"), "{markdown}");
    assert!(
        markdown.contains("{\"type\": \"hello\", \"name\": \"Ada\"}"),
        "{markdown}"
    );
    assert!(docs.join("api.html").is_file());
}

#[test]
fn init_refuses_a_bad_name_and_a_bad_checkout() {
    let temp = tempfile::tempdir().unwrap();
    let out = socketsundso(&["init".as_ref(), temp.path().join("2fa").as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("`2fa` cannot be a crate name"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = socketsundso(&[
        "init".as_ref(),
        temp.path().join("api").as_os_str(),
        "--socketsundso-path".as_ref(),
        temp.path().as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not a socketsundso checkout"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!temp.path().join("api").exists(), "nothing written");
}

/// Review 13, finding 3: Rust keywords and the standard library's crate names are refused, as
/// `cargo new` refuses them; they would write a project that does not build.
#[test]
fn init_refuses_keywords_and_standard_crate_names() {
    let temp = tempfile::tempdir().unwrap();
    for (name, why) in [
        ("self", "it is a Rust keyword"),
        ("fn", "it is a Rust keyword"),
        ("std", "of Rust's standard library"),
        ("core", "of Rust's standard library"),
        (
            "socketsundso",
            "the project depends on a crate of that name",
        ),
    ] {
        let out = socketsundso(&["init".as_ref(), temp.path().join(name).as_os_str()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("`{name}` cannot be a crate name: ")) && stderr.contains(why),
            "{name}: {stderr}"
        );
        assert!(stderr.contains("--name my-api"), "{name}: {stderr}");
        assert!(!temp.path().join(name).exists(), "{name}: nothing written");
    }
    // `--name` picks another name for the same directory.
    let out = socketsundso(&[
        "init".as_ref(),
        temp.path().join("self").as_os_str(),
        "--name".as_ref(),
        "self-service".as_ref(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Review 13, finding 7: the "Next:" line quotes a directory with a space, and the template's
/// example greeting is one string, `Hello, Ada!`, not a list of two.
#[test]
fn init_quotes_the_next_step_and_keeps_the_greeting_whole() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("my api");
    let out = socketsundso(&["init".as_ref(), dir.as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("Next: cd '{}' && cargo run", dir.display())),
        "{stderr}"
    );
    let docs = temp.path().join("docs");
    let out = socketsundso(&[
        "docs".as_ref(),
        dir.join("asyncapi.yaml").as_os_str(),
        "--out".as_ref(),
        docs.as_os_str(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let markdown = std::fs::read_to_string(docs.join("api.md")).unwrap();
    assert!(
        markdown.contains("\"greeting\": \"Hello, Ada!\""),
        "{markdown}"
    );
    // Review 13, finding 6: the operations' summaries are in the docs too.
    assert!(
        markdown.contains("- **Operation:** Add two numbers."),
        "{markdown}"
    );
    let html = std::fs::read_to_string(docs.join("api.html")).unwrap();
    assert!(
        html.contains("<dt>Operation</dt><dd>Add two numbers.</dd>"),
        "{html}"
    );
}
