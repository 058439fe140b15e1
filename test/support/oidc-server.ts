// A real OAuth 2.0 authorization server for end-to-end tests: node-oidc-provider (written by
// others, certified OpenID provider) with the device authorization grant (RFC 8628) on plain
// HTTP on loopback. Approval goes through the provider's own HTML pages (the device-flow pages
// and devInteractions' login and consent pages), driven over HTTP as a browser would: cookie
// jar with paths, redirects, forms submitted with their hidden fields and the button pressed.
//
// Facts about oidc-provider 9.13.3 that a device client must respect (lib/ paths):
// - the device authorization response carries no `interval` (actions/authorization/device.js:151-159),
//   so RFC 8628 §3.2's default of 5 s applies; `slow_down` is defined (helpers/errors.js:164) but
//   never raised: polling faster is answered `authorization_pending` every time.
// - a redeemed device_code polled again answers `invalid_grant` and revokes every token issued
//   from it (helpers/grant_source.js:23-31 via actions/grants/device_code.js:49).
// - public clients get a new refresh token on every refresh (helpers/defaults.js:534-539); using a
//   rotated one again answers `invalid_grant` and revokes the grant (actions/grants/refresh_token.js:107-113).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface OidcServer {
  /** http://127.0.0.1:PORT (loopback, plain http). */
  issuer: string;
  deviceAuthorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string;
  revocationEndpoint?: string;
  /** A public native client: token_endpoint_auth_method "none", grant_types device_code + refresh_token. */
  clientId: string;
  /**
   * Drive the server's own HTML pages as a browser would: enter the user code, log in as
   * `account` (the dev login form; the name becomes the account's `sub` and `name`), consent,
   * and end on the success page. `deny` cancels at the consent page, so the device gets
   * `access_denied`. `viaCompleteUri` opens verification_uri_complete (what the QR code holds)
   * instead of typing the code. Throws with the page text if a step fails.
   */
  approve(userCode: string, opts?: { account?: string; deny?: boolean; viaCompleteUri?: boolean }): Promise<void>;
  /** Every request it served, in order of arrival (`at`: Date.now() on arrival; `status` 0 until answered). */
  requests: { method: string; path: string; status: number; at: number }[];
  close(): Promise<void>;
}

export interface OidcServerOptions {
  port?: number;
  /** Seconds; oidc-provider's default is 3600. */
  accessTokenTTL?: number;
  /** Seconds; oidc-provider's default is 600. */
  deviceCodeTTL?: number;
  /**
   * Seconds. oidc-provider sends no `interval`; when set, it is added to the device authorization
   * response (RFC 8628 §3.2) by a post-middleware. The server never enforces it.
   */
  interval?: number;
}

export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"; // RFC 8628 §3.4
const CLIENT_ID = "codepair-device";

// --- oidc-provider's console notices --------------------------------------------------------
// oidc-provider prints development notices through console.info/console.warn
// (lib/helpers/attention.js). These are expected here and only noise in test output: Node 20 (the
// repo supports it; lib/index.js:10 wants 22), the in-memory adapter, generated signing keys,
// devInteractions and the default device-flow pages we drive on purpose, default TTL helpers.
// Anything else still reaches the console.
const NOISE = [
  /Unsupported runtime/,
  /development-only in-memory adapter/,
  /development-only signing keys/,
  /development-only feature devInteractions/,
  /default [\w.]+ function called, you SHOULD change it/,
];
let quietDepth = 0;
let restoreConsole: (() => void) | undefined;

function isNoise(args: unknown[]): boolean {
  const text = typeof args[0] === "string" ? args[0].replace(/\x1b\[[0-9;]*m/g, "") : "";
  return text.startsWith("oidc-provider ") && NOISE.some((re) => re.test(text));
}

function quietNoise(): () => void {
  if (quietDepth++ === 0) {
    const { info, warn } = console;
    console.info = (...args: unknown[]) => { if (!isNoise(args)) info.apply(console, args); };
    console.warn = (...args: unknown[]) => { if (!isNoise(args)) warn.apply(console, args); };
    restoreConsole = () => { console.info = info; console.warn = warn; };
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--quietDepth === 0) restoreConsole?.();
  };
}

// --- the server ------------------------------------------------------------------------------
interface KoaContext { oidc?: { route?: string }; status: number; body: unknown }
interface ProviderInstance {
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

export async function startOidcServer(opts: OidcServerOptions = {}): Promise<OidcServer> {
  const unquiet = quietNoise();
  try {
    return await start(opts, unquiet);
  } catch (error) {
    unquiet();
    throw error;
  }
}

async function start(opts: OidcServerOptions, unquiet: () => void): Promise<OidcServer> {
  // Imported here, with the notice filter in place: lib/index.js warns at import on Node 20.
  // oidc-provider ships no types; the few members used are typed below.
  const specifier: string = "oidc-provider";
  const { default: Provider, errors } = (await import(specifier)) as {
    default: ProviderConstructor;
    errors: { InvalidTarget: new () => Error };
  };

  const requests: OidcServer["requests"] = [];
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    const entry = { method: req.method ?? "", path: new URL(req.url ?? "/", "http://x").pathname, status: 0, at: Date.now() };
    requests.push(entry);
    res.on("finish", () => { entry.status = res.statusCode; });
    if (handle) handle(req, res);
    else { res.statusCode = 503; res.end(); }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => { server.off("error", reject); resolve(); });
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const accessTokenTTL = opts.accessTokenTTL ?? 3600;
  const deviceCodeTTL = opts.deviceCodeTTL ?? 600;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_name: "codepair",
      application_type: "native",
      token_endpoint_auth_method: "none",
      grant_types: [DEVICE_CODE_GRANT, "refresh_token"],
      response_types: [],
      redirect_uris: [],
    }],
    // The account is whatever name was typed at the dev login form.
    async findAccount(_ctx: unknown, sub: string) {
      return { accountId: sub, claims: () => ({ sub, name: sub }) };
    },
    // OpenID Connect Core §5.4: `profile` releases `name`.
    claims: { openid: ["sub"], profile: ["name"] },
    scopes: ["openid", "offline_access", "profile"],
    // Refresh tokens are issued when the grant holds offline_access (lib/helpers/defaults.js:306-311);
    // the device flow carries no `prompt`, so offline_access survives without prompt=consent
    // (lib/actions/authorization/request_parameters.js:13-19,45-47; scopes.js:33-41).
    features: {
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      devInteractions: { enabled: true },
      // Enabled by default (lib/helpers/defaults.js:2225-2226). This server knows no resource
      // server, so a `resource` parameter is refused with invalid_target (RFC 8707 §2), as the
      // default does, minus its "you MUST change it" console warning.
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo() { throw new errors.InvalidTarget(); },
      },
    },
    cookies: { keys: ["codepair-test-cookie-key"] },
    ttl: {
      AccessToken: accessTokenTTL,
      DeviceCode: deviceCodeTTL,
      RefreshToken: 14 * 24 * 3600,
      IdToken: 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
  });

  if (opts.interval !== undefined) {
    const interval = opts.interval;
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.oidc?.route === "device_authorization" && ctx.status === 200 && ctx.body && typeof ctx.body === "object") {
        (ctx.body as Record<string, unknown>).interval = interval;
      }
    });
  }
  handle = provider.callback();

  return {
    issuer,
    deviceAuthorizationEndpoint: `${issuer}/device/auth`,
    tokenEndpoint: `${issuer}/token`,
    userinfoEndpoint: `${issuer}/me`,
    revocationEndpoint: `${issuer}/token/revocation`,
    clientId: CLIENT_ID,
    requests,
    approve: (userCode, o = {}) => approveInBrowser(issuer, userCode, o.account ?? "Alice Example", o.deny === true, o.viaCompleteUri === true),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
      unquiet();
    },
  };
}

// --- a small browser -------------------------------------------------------------------------
interface Page { url: string; status: number; html: string }
interface Field { name: string; value: string }
interface Form { id?: string; action: string; method: string; fields: Field[]; buttons: { text: string; field?: Field }[] }

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
  for (let m = re.exec(tag); m; m = re.exec(tag)) out[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? "");
  return out;
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const k = e.toLowerCase();
    if (k[0] === "#") return String.fromCodePoint(k[1] === "x" ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10));
    return ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[k];
  });
}

export function pageText(html: string): string {
  return decodeEntities(html.replace(/<(style|script)\b[\s\S]*?<\/\1>/gi, " ").replace(/<[^>]+>/g, " ")).replace(/\s+/g, " ").trim();
}

/** Forms in the page with their successful controls (HTML §4.10.21.4), and the submit buttons
 * that belong to each (inside it, or naming it with the `form` attribute). */
function parseForms(html: string, baseUrl: string): Form[] {
  const forms: (Form & { start: number; end: number })[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const a = attrs(m[1]);
    const fields: Field[] = [];
    for (const i of m[2].matchAll(/<input\b([^>]*)>/gi)) {
      const ia = attrs(i[1]);
      const type = (ia.type ?? "text").toLowerCase();
      if (!ia.name || type === "submit" || type === "button" || ((type === "checkbox" || type === "radio") && !("checked" in ia))) continue;
      fields.push({ name: ia.name, value: ia.value ?? "" });
    }
    const start = m.index ?? 0;
    forms.push({ id: a.id, action: new URL(a.action || baseUrl, baseUrl).href, method: (a.method || "get").toLowerCase(), fields, buttons: [], start, end: start + m[0].length });
  }
  for (const b of html.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
    const ba = attrs(b[1]);
    if ((ba.type ?? "submit").toLowerCase() !== "submit") continue;
    const at = b.index ?? 0;
    const owner = ba.form !== undefined ? forms.find((f) => f.id === ba.form) : forms.find((f) => f.start < at && at < f.end);
    owner?.buttons.push({ text: pageText(b[2]), field: ba.name ? { name: ba.name, value: ba.value ?? "" } : undefined });
  }
  return forms;
}

function links(html: string, baseUrl: string): { text: string; href: string }[] {
  return [...html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a>/gi)].map((m) => ({ text: pageText(m[2]), href: new URL(attrs(m[1]).href ?? "", baseUrl).href }));
}

class Browser {
  private cookies = new Map<string, { value: string; path: string }>();

  private cookieHeader(url: URL): string {
    const out: string[] = [];
    for (const [key, c] of this.cookies) {
      // RFC 6265 §5.1.4 path-match
      if (url.pathname === c.path || (url.pathname.startsWith(c.path) && (c.path.endsWith("/") || url.pathname[c.path.length] === "/"))) {
        out.push(`${key.slice(0, key.indexOf(" "))}=${c.value}`);
      }
    }
    return out.join("; ");
  }

  private store(setCookies: string[], url: URL): void {
    for (const line of setCookies) {
      const [pair, ...parts] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = url.pathname.slice(0, url.pathname.lastIndexOf("/")) || "/"; // RFC 6265 §5.1.4 default-path
      let expired = false;
      for (const part of parts) {
        const [k, v = ""] = part.split("=").map((s) => s.trim());
        const key = k.toLowerCase();
        if (key === "path" && v.startsWith("/")) path = v;
        if (key === "max-age" && Number(v) <= 0) expired = true;
        if (key === "expires" && Date.parse(v) <= Date.now()) expired = true;
      }
      const key = `${name} ${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { value, path });
    }
  }

  /** One navigation: the request, then redirects followed as a browser does (Fetch §4.4). */
  async navigate(url: string, method = "GET", body?: URLSearchParams): Promise<Page> {
    for (let hops = 0; hops < 20; hops++) {
      const u = new URL(url);
      const headers: Record<string, string> = { "user-agent": "codepair-test-browser", accept: "text/html" };
      const cookie = this.cookieHeader(u);
      if (cookie) headers.cookie = cookie;
      if (body) headers["content-type"] = "application/x-www-form-urlencoded";
      const res = await fetch(u, { method, headers, body: body?.toString(), redirect: "manual" });
      this.store(res.headers.getSetCookie(), u);
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        url = new URL(location, u).href;
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
          method = "GET";
          body = undefined;
        }
        continue;
      }
      return { url: u.href, status: res.status, html: await res.text() };
    }
    throw new Error(`too many redirects, last at ${url}`);
  }

  /** Submit `form` by pressing the button whose text is `buttonText`, with `fill` typed into its fields. */
  submit(form: Form, buttonText: string, fill: Record<string, string> = {}): Promise<Page> {
    const button = form.buttons.find((b) => b.text === buttonText);
    if (!button) throw new Error(`no "${buttonText}" button on form ${form.id ?? form.action}`);
    const data = new URLSearchParams();
    const filled = new Set<string>();
    for (const f of form.fields) {
      const typed = Object.hasOwn(fill, f.name);
      if (typed) filled.add(f.name);
      data.append(f.name, typed ? fill[f.name] : f.value);
    }
    for (const name of Object.keys(fill)) if (!filled.has(name)) throw new Error(`form ${form.id ?? form.action} has no field "${name}"`);
    if (button.field) data.append(button.field.name, button.field.value);
    if (form.method === "post") return this.navigate(form.action, "POST", data);
    const target = new URL(form.action);
    target.search = data.toString();
    return this.navigate(target.href);
  }
}

function fail(step: string, page: Page): never {
  throw new Error(`approve: ${step} (HTTP ${page.status} at ${new URL(page.url).pathname}): ${pageText(page.html).slice(0, 600)}`);
}

function findForm(page: Page, step: string, pick: (f: Form) => boolean): Form {
  return parseForms(page.html, page.url).find(pick) ?? fail(step, page);
}

async function approveInBrowser(issuer: string, userCode: string, account: string, deny: boolean, viaCompleteUri: boolean): Promise<void> {
  const browser = new Browser();
  let page: Page;
  if (viaCompleteUri) {
    // verification_uri_complete answers a self-submitting form (lib/response_modes/form_post.js);
    // a browser runs its script, which submits the first form.
    const complete = new URL("/device", issuer);
    complete.searchParams.set("user_code", userCode);
    page = await browser.navigate(complete.href);
    const form = parseForms(page.html, page.url)[0] ?? fail("expected the self-submitting user code form", page);
    page = await browser.navigate(form.action, "POST", new URLSearchParams(form.fields.map((f): [string, string] => [f.name, f.value])));
  } else {
    page = await browser.navigate(new URL("/device", issuer).href);
    const input = findForm(page, "expected the user code form", (f) => f.id === "op.deviceInputForm");
    page = await browser.submit(input, "Continue", { user_code: userCode });
  }

  // "Confirm Device": the code should match the device's; Continue (or [ Abort ]).
  const confirm = findForm(page, "expected the device confirmation page", (f) => f.id === "op.deviceConfirmForm");
  page = await browser.submit(confirm, "Continue");

  // devInteractions: login (any name, any password), then consent. The order follows the
  // provider's interaction policy, so each page is recognised by its hidden `prompt` field.
  for (let step = 0; step < 4; step++) {
    const prompt = parseForms(page.html, page.url).find((f) => f.fields.some((x) => x.name === "prompt"));
    const name = prompt?.fields.find((x) => x.name === "prompt")?.value;
    if (prompt && name === "login") {
      page = await browser.submit(prompt, "Sign-in", { login: account, password: "any password" });
    } else if (prompt && name === "consent") {
      if (deny) {
        const cancel = links(page.html, page.url).find((l) => l.text === "[ Cancel ]") ?? fail("expected a Cancel link on the consent page", page);
        page = await browser.navigate(cancel.href);
        if (!/The Sign-in request was interrupted/.test(pageText(page.html))) fail("expected the interrupted page after cancelling", page);
        return;
      }
      page = await browser.submit(prompt, "Continue");
    } else {
      break;
    }
  }
  if (deny) fail("expected a consent page to cancel", page);
  if (page.status !== 200 || !/Sign-in Success/.test(pageText(page.html))) fail("expected the success page", page);
}
