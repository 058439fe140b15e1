// The set-up page a phone sees: the networks the device can hear, strongest first; a field for
// a network not in the list (a hidden one); the password; Save. One small HTML document with
// its style inside: no script, no image, nothing fetched from elsewhere (the phone has no
// other network while it is on the device's access point), readable on a phone.

/** A network as Wifi.scan reports it (the fields the page uses). */
export interface ScannedNetwork {
  ssid: string;
  rssi: number;
  authMode: string;
}

/** Text made safe inside HTML text and attribute values (quoted with "). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c: string) => "&#" + c.charCodeAt(0) + ";");
}

/** The networks to list: named ones, strongest first, each name once (its strongest), at most `max`. */
export function networksToList(scan: ScannedNetwork[], max: number): ScannedNetwork[] {
  const sorted = scan.filter((n) => !!n.ssid).sort((a, b) => b.rssi - a.rssi);
  const out: ScannedNetwork[] = [];
  const seen: { [ssid: string]: number } = {};
  for (let i = 0; i < sorted.length && out.length < max; i++) {
    if (seen["_" + sorted[i].ssid]) continue;
    seen["_" + sorted[i].ssid] = 1;
    out.push(sorted[i]);
  }
  return out;
}

/** A signal's strength as 1..4 bars (RSSI in dBm), as HTML: filled and empty boxes. */
function bars(rssi: number): string {
  const n = rssi >= -55 ? 4 : rssi >= -67 ? 3 : rssi >= -78 ? 2 : 1;
  let out = "";
  for (let k = 0; k < 4; k++) out += k < n ? "&#9646;" : "&#9647;";
  return out;
}

const HEAD =
  '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
  "<title>codepair WiFi</title><style>body{font:18px/1.4 sans-serif;max-width:26em;margin:0 auto;padding:.5em 1em}" +
  "label{display:block;padding:.45em 0}input[type=text],input[type=password]{font:inherit;width:100%;box-sizing:border-box;padding:.4em}" +
  "button{font:inherit;padding:.5em 2em;margin:.8em 0}.m{background:#fee;border-left:4px solid #c00;padding:.5em}fieldset{border:1px solid #999}" +
  "small{color:#555}</style></head><body><h1>codepair WiFi</h1>";

/**
 * The page: `message` (a reason, e.g. why the last join failed or why the form was refused)
 * above the form; `networks` as listed by networksToList.
 */
export function setupPage(networks: ScannedNetwork[], message: string): string {
  let list = "";
  for (let i = 0; i < networks.length; i++) {
    const n = networks[i];
    list +=
      '<label><input type="radio" name="ssid" required value="' + escapeHtml(n.ssid) + '"> ' + escapeHtml(n.ssid) +
      " <small>" + bars(n.rssi) + (n.authMode === "open" ? " open" : "") + "</small></label>";
  }
  return (
    HEAD +
    (message ? '<p class="m">' + escapeHtml(message) + "</p>" : "") +
    '<form method="post" action="/"><fieldset><legend>Network</legend>' + list +
    '<label><input type="radio" name="ssid" required value=""> Another network, by name:</label>' +
    '<input type="text" name="other" maxlength="32" autocapitalize="off" autocorrect="off" spellcheck="false"></fieldset>' +
    '<label>Password <small>(empty for an open network)</small><input type="password" name="password" maxlength="63" autocomplete="off"></label>' +
    "<button>Save</button></form><p><small>The display then leaves this network and joins yours.</small></p></body></html>"
  );
}

/** The page after Save: what happens next. */
export function savedPage(ssid: string): string {
  return HEAD + "<p>Saved. codepair now joins <b>" + escapeHtml(ssid) + "</b> and leaves this network: watch its display.</p></body></html>";
}
