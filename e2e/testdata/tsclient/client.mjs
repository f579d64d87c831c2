// client.mjs drives the gateway with the official TypeScript SDK client
// (@modelcontextprotocol/sdk, session-based protocol only) for
// e2e/tssdk_test.go:
//
//	node client.mjs stdio GATEWAY ARG...   spawn the gateway on stdio
//	node client.mjs http URL               streamable HTTP at URL
//
// It answers sampling and elicitation with texts that name the request, calls
// the kitchen server (named "modern") through the gateway and prints one JSON
// object with what it saw. Any error ends it with status 1 and a message on
// stderr. The SDK is resolved from a node_modules next to this file: the test
// runs a copy of it in a directory whose node_modules links to
// testdeps/node_modules.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ProgressNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";

const [mode, target, ...rest] = process.argv.slice(2);

function transport() {
  if (mode === "stdio" && target) {
    // stderr inherited: the gateway's log ends up in ours.
    return new StdioClientTransport({ command: target, args: rest, env: process.env, stderr: "inherit" });
  }
  if (mode === "http" && target && rest.length === 0) {
    return new StreamableHTTPClientTransport(new URL(target));
  }
  throw new Error("usage: client.mjs stdio GATEWAY ARG... | client.mjs http URL");
}

const out = { sampling: [], elicitation: [], progress: [], errors: [] };

const client = new Client(
  { name: "ts-e2e-client", version: "1.2.3" },
  { capabilities: { sampling: {}, elicitation: { form: {} } } },
);
client.onerror = (err) => out.errors.push(String(err));
client.setRequestHandler(CreateMessageRequestSchema, (req) => {
  const text = req.params.messages[0].content.text;
  out.sampling.push(text);
  return { role: "assistant", model: "ts-model", content: { type: "text", text: `ts sampled: ${text}` } };
});
client.setRequestHandler(ElicitRequestSchema, (req) => {
  out.elicitation.push(req.params.message);
  return { action: "accept", content: { answer: `ts answer to: ${req.params.message}` } };
});
// Replaces the SDK's own progress routing, to see the token as it arrives.
client.setNotificationHandler(ProgressNotificationSchema, (n) => out.progress.push(n.params));

async function call(name, args, meta) {
  const res = await client.callTool({ name, arguments: args, ...(meta && { _meta: meta }) });
  const text = res.content.filter((c) => c.type === "text").map((c) => c.text).join("\n");
  if (res.isError) throw new Error(`${name}: tool error: ${text}`);
  return text;
}

try {
  const t = transport();
  await client.connect(t);
  out.protocol = t.protocolVersion ?? null; // set by the HTTP transport only
  out.echo = await call("modern__echo", { message: "hello from ts" });
  out.sample = await call("modern__sample", { prompt: "write a haiku" });
  out.elicit = await call("modern__elicit", { question: "favourite colour?" });
  out.slow = await call("modern__slow", { steps: 3, delayMs: 1 }, { progressToken: "ts-progress-1" });
  out.whoami = await call("modern__whoami", {});
  out.tools = (await client.listTools()).tools.map((tool) => tool.name);
  if (t.terminateSession) await t.terminateSession();
  await client.close();
} catch (err) {
  console.error(`tsclient: ${err?.stack ?? err}`);
  process.exit(1);
}
console.log(JSON.stringify(out));
