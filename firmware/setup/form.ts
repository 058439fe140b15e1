// The set-up page's form as it comes back (application/x-www-form-urlencoded, the HTML
// standard's urlencoded serializer): `ssid` (a network of the list, or "" for another),
// `other` (the name of a network not in the list, e.g. a hidden one) and `password`. Read
// strictly: any other field, a field twice, a broken %-escape, a name over 32 bytes or a
// password of 1-7 or over 63 characters is refused with a reason for the page, and nothing is
// saved.

import { PASSWORD_MAX, PASSWORD_MIN, SSID_MAX } from "../store/config";

export interface WifiChoice {
  ssid: string;
  password: string;
}

/**
 * A %-encoded form value as bytes (one character a byte: what the interpreter's strings hold
 * and what the WiFi driver takes), `+` a space; null when an escape is broken.
 */
export function formDecode(v: string): string | null {
  let out = "";
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === "+") out += " ";
    else if (c !== "%") out += c;
    else {
      const hex = v.substr(i + 1, 2);
      if (!/^[0-9A-Fa-f][0-9A-Fa-f]$/.test(hex)) return null;
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    }
  }
  return out;
}

/** The choice the form holds, or the reason it is refused (a sentence for the page). */
export function readForm(body: string): WifiChoice | string {
  const got: { [name: string]: string } = {};
  const parts = body.split("&");
  for (let i = 0; i < parts.length; i++) {
    if (!parts[i]) continue;
    const eq = parts[i].indexOf("=");
    const name = eq < 0 ? parts[i] : parts[i].substr(0, eq);
    if (name !== "ssid" && name !== "other" && name !== "password") return "The form has a field it should not have.";
    if (Object.prototype.hasOwnProperty.call(got, name)) return "The form has a field twice.";
    const value = formDecode(eq < 0 ? "" : parts[i].substr(eq + 1));
    if (value === null) return "The form is garbled.";
    got[name] = value;
  }
  if (got.ssid === undefined && got.other === undefined) return "Pick a network.";
  const ssid = got.ssid || got.other || "";
  if (!ssid) return "Pick a network, or type its name.";
  if (ssid.length > SSID_MAX) return "A network's name is at most " + SSID_MAX + " bytes.";
  const password = got.password || "";
  if (password.length && password.length < PASSWORD_MIN) return "A WiFi password has at least " + PASSWORD_MIN + " characters.";
  if (password.length > PASSWORD_MAX) return "A WiFi password has at most " + PASSWORD_MAX + " characters.";
  return { ssid: ssid, password: password };
}
