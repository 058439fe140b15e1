// URLs as the firmware meets them in its config and in provider replies: absolute http(s) URLs.

export interface Url {
  https: boolean;
  host: string;
  port: number;
  /** path and query, at least "/" */
  path: string;
}

/**
 * An absolute http:// or https:// URL split for a request, or null when it is not one. A URL
 * goes into the request line as it is, so one with a byte outside 0x21..0x7E (a space, CR, LF,
 * NUL, a raw UTF-8 byte) is refused: it could end the request line and add headers of its own.
 * IPv6 literals are refused too: the device's network (lwIP as Espruino builds it) has IPv4 only.
 */
export function parseUrl(url: string): Url | null {
  if (!/^[!-~]+$/.test(url)) return null;
  const https = url.indexOf("https://") === 0;
  if (!https && url.indexOf("http://") !== 0) return null;
  const rest = url.substr(https ? 8 : 7);
  let end = rest.length;
  for (let k = 0; k < end; k++) {
    const c = rest.charAt(k);
    if (c === "/" || c === "?" || c === "#") end = k;
  }
  const authority = rest.substr(0, end);
  let path = rest.substr(end);
  const hash = path.indexOf("#");
  if (hash >= 0) path = path.substr(0, hash);
  if (path.charAt(0) === "?") path = "/" + path;
  // user:password@ in a URL would be sent nowhere: refuse it rather than drop it silently
  if (!authority || authority.indexOf("@") >= 0) return null;
  if (authority.indexOf("[") >= 0) return null;
  let host = authority;
  let port = https ? 443 : 80;
  const colon = authority.indexOf(":");
  if (colon >= 0) {
    host = authority.substr(0, colon);
    const digits = authority.substr(colon + 1);
    port = parseInt(digits, 10);
    if (!/^[0-9]+$/.test(digits) || port < 1 || port > 65535) return null;
  }
  if (!host) return null;
  return { https: https, host: host, port: port, path: path || "/" };
}

/** Loopback addresses: the only hosts plain http:// is allowed to (a simulator, a test). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host);
}

const HEX = "0123456789ABCDEF";

/**
 * Percent-encodes a byte string: every byte but the unreserved ones (RFC 3986 §2.3). Not
 * encodeURIComponent: on the device it mangles bytes >= 0x80 (2v29 gives %33%19 for "é").
 */
export function percent(s: string): string {
  let out = "";
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95 || c === 126) out += s.charAt(k);
    else out += "%" + HEX.charAt((c >> 4) & 15) + HEX.charAt(c & 15);
  }
  return out;
}

/** `k=v&k=v`, each part percent-encoded (application/x-www-form-urlencoded). */
export function formEncode(fields: { [name: string]: string }): string {
  const parts: string[] = [];
  const names = Object.keys(fields);
  for (let k = 0; k < names.length; k++) parts.push(percent(names[k]) + "=" + percent(fields[names[k]]));
  return parts.join("&");
}

/** Whether `url` may be shown, put in a QR code or asked: https, or plain http to loopback. */
export function usableUrl(url: string): boolean {
  const u = parseUrl(url);
  return !!u && (u.https || isLoopback(u.host));
}
