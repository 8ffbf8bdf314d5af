// Front-end code that uses the generated clients correctly: tsc must accept it.
import { ApiError, connect } from "./basics/client.js";
import { connect as connectChat } from "./chat/client.js";

export async function chat(room: string, id: number): Promise<string[]> {
  const client = await connectChat(`ws://127.0.0.1:8080/room/${room}/${id}`);
  const lines: string[] = [];
  client.send.message({ msg: "hi" });
  client.send.whisper({ to: 2, msg: "psst" });
  const offs = [
    client.on("join", (m) => lines.push(`${m.client_id.toFixed(0)} joined`)),
    client.on("leave", (m) => lines.push(`${m.client_id} left`)),
    client.on("message", (m) => lines.push(`${m.sender}: ${m.msg}`)),
    client.on("whisper", (m) => lines.push(`${m.from} whispers: ${m.msg}`)),
    client.on("error", (e) => lines.push(`${e.code}: ${e.errors.map((v) => `${v.path} ${v.message}`).join()}`)),
  ];
  client.onState((state) => {
    if (state === "reconnecting" || state === "open" || state === "connecting" || state === "closed") {
      lines.push(state);
    }
  });
  for (const off of offs) off();
  client.close();
  return lines;
}

export async function basics(): Promise<string> {
  const client = await connect("ws://127.0.0.1:8080/", {
    reconnect: { initialDelay: 100, maxDelay: 5000, factor: 2, jitter: 0.2, maxAttempts: 10 },
    queueLimit: 10,
    validate: true,
    timeout: 1000,
  });
  const pong = await client.request.ping({});
  const time: string = pong.time;
  const reply = await client.request.message({ msg: "hi" }, { timeout: 500 });
  const echo = await client.request.echo({ message: "x" });
  const now = await client.request.time({});
  client.send.goodbye({});
  try {
    await client.request.goodbye({});
  } catch (e) {
    if (e instanceof ApiError && (e.code === "timeout" || e.code === "validation_failed")) {
      return e.errors.map((v) => v.path).join();
    }
  }
  return `${time} ${reply.msg} ${echo.message} ${now.now}`;
}
