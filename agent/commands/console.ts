// `thingd console [--listen 127.0.0.1:8080]`: serve the web console (the static files built into
// dist/console, or installed in /usr/share/thingd/console) for local use and the demo. The console
// talks XMPP over the server's WebSocket from the browser; this server only hands out files,
// with a strict Content-Security-Policy and exact MIME types. Runs until SIGINT/SIGTERM.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../errors.js";
import type { Io } from "./io.js";

export const DEFAULT_LISTEN = "127.0.0.1:8080";

/**
 * Scripts and styles only from this origin, nothing inline, no frames, no plugins. connect-src
 * allows what the console itself connects to: the XMPP WebSocket (wss: anywhere, ws: only on
 * loopback, as the login form enforces) and host-meta (XEP-0156) lookups over https.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' https: wss: ws://localhost:* ws://127.0.0.1:* ws://[::1]:*",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** Where the Debian package installs the built console (docs/packaging.md). */
export const PACKAGED_CONSOLE_DIR = "/usr/share/thingd/console";

/**
 * Folders that may hold the built console, in order, for a module at `moduleUrl`: next to it in
 * dist/ (a checkout after `npm run build`, or /opt/thingd/app/dist in the package), the package's
 * copy under /usr/share/thingd/console found from the app's place (so an unpacked `dpkg-deb -x`
 * tree finds its own), then the installed package's absolute path.
 */
export function consoleDirCandidates(moduleUrl: string): string[] {
  const bundled = moduleUrl.endsWith("/thingd.bundle.mjs"); // dist/thingd.bundle.mjs, else dist/agent/commands/console.js
  const dist = new URL(bundled ? "./" : "../../", moduleUrl);
  // dist/ is <root>/opt/thingd/app/dist/ in the package.
  const packaged = new URL(`../../../..${PACKAGED_CONSOLE_DIR}/`, dist);
  return [...new Set([fileURLToPath(new URL("console/", dist)), fileURLToPath(packaged), `${PACKAGED_CONSOLE_DIR}/`])];
}

/** Where the built console is: the first of consoleDirCandidates() with an index.html. */
export async function findConsoleDir(moduleUrl: string = import.meta.url): Promise<string | undefined> {
  for (const dir of consoleDirCandidates(moduleUrl)) {
    try {
      if ((await stat(path.join(dir, "index.html"))).isFile()) return dir;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export function parseListen(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s.trim());
  const port = Number(m?.[3]);
  if (!m || !(port >= 0 && port <= 65535)) return undefined;
  return { host: m[1] ?? m[2] ?? "", port };
}

export interface ConsoleServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startConsoleServer(dir: string, host: string, port: number): Promise<ConsoleServer> {
  const root = path.resolve(dir);
  const server = createServer((req, res) => {
    const headers = {
      "Content-Security-Policy": CONSOLE_CSP,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-cache",
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...headers, Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" }).end("method not allowed\n");
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? "/", "http://console").pathname);
    } catch {
      res.writeHead(400, { ...headers, "Content-Type": "text/plain; charset=utf-8" }).end("bad request\n");
      return;
    }
    if (rel.endsWith("/")) rel += "index.html";
    const file = path.resolve(root, `.${rel}`);
    const type = MIME[path.extname(file)];
    if (!file.startsWith(root + path.sep) || !type) {
      res.writeHead(404, { ...headers, "Content-Type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, { ...headers, "Content-Type": type, "Content-Length": body.length });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      () => res.writeHead(404, { ...headers, "Content-Type": "text/plain; charset=utf-8" }).end("not found\n"),
    );
  });
  server.listen(port, host);
  await once(server, "listening");
  const addr = server.address();
  const actual = typeof addr === "object" && addr ? addr.port : port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${actual}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function consoleCommand(opts: { listen?: string | undefined }, io: Io): Promise<number> {
  const listen = parseListen(opts.listen ?? DEFAULT_LISTEN);
  if (!listen) {
    io.err(`thingd console: --listen: expected HOST:PORT, e.g. ${DEFAULT_LISTEN}`);
    return EXIT_USAGE;
  }
  const dir = await findConsoleDir();
  if (!dir) {
    io.err("thingd console: the console's files are not installed (run `npm run build`, or install the package)");
    return EXIT_FAILURE;
  }
  let s: ConsoleServer;
  try {
    s = await startConsoleServer(dir, listen.host, listen.port);
  } catch (err) {
    io.err(`thingd console: cannot listen on ${opts.listen ?? DEFAULT_LISTEN}: ${(err as Error).message}`);
    return EXIT_FAILURE;
  }
  io.out(`thingd console: serving ${dir} at ${s.url} (Ctrl-C to stop)`);
  const ac = new AbortController();
  await Promise.race([once(process, "SIGINT", { signal: ac.signal }), once(process, "SIGTERM", { signal: ac.signal })]);
  ac.abort();
  await s.close();
  return EXIT_OK;
}
