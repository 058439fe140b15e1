// The approval page a person opens on a phone: one code field, a name, Approve and Deny. Plain
// HTML, no script. The code is prefilled from ?user_code= (RFC 8628 §3.3.1
// verification_uri_complete) or from the path (simkl.com/pin/ABCDE); case, dashes and spaces
// are ignored (RFC 8628 §6.1).

import type { DeviceFlow } from "./flow.ts";
import { field, html, type Ctx, type Reply } from "./reply.ts";

export const DEFAULT_WHO = "Alice Example";

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
}

function page(title: string, inner: string): string {
  return (
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">" +
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
    "<title>" + escapeHtml(title) + "</title>" +
    "<style>body{font:18px/1.4 sans-serif;max-width:26em;margin:1em auto;padding:0 1em}" +
    "input,button{font:inherit;padding:.4em;margin:.2em 0;width:100%;box-sizing:border-box}" +
    "input[name=user_code]{font-family:monospace;font-size:1.6em;letter-spacing:.1em;text-transform:uppercase}" +
    "</style></head><body>\n" + inner + "\n</body></html>\n"
  );
}

function form(title: string, action: string, code: string): string {
  return page(
    title,
    "<h1>" + escapeHtml(title) + "</h1>\n" +
      "<p>Enter the code your device shows.</p>\n" +
      "<form method=\"post\" action=\"" + escapeHtml(action) + "\">\n" +
      "<label>Code <input name=\"user_code\" value=\"" + escapeHtml(code) + "\" autocomplete=\"off\" autocapitalize=\"characters\" spellcheck=\"false\" required></label>\n" +
      "<label>Signed in as <input name=\"who\" value=\"" + escapeHtml(DEFAULT_WHO) + "\"></label>\n" +
      "<button name=\"action\" value=\"approve\">Approve</button>\n" +
      "<button name=\"action\" value=\"deny\">Deny</button>\n" +
      "</form>",
  );
}

function result(title: string, status: number, heading: string, text: string, outcome: string, again: string): Reply {
  const body = "<h1>" + escapeHtml(heading) + "</h1>\n<p>" + escapeHtml(text) + "</p>\n<p><a href=\"" + escapeHtml(again) + "\">Enter another code</a></p>";
  return html(status, page(title + ": " + heading, body), outcome);
}

/**
 * GET shows the form; POST approves or denies. `action` is the page's own path as the browser
 * sees it; `pathCode` a code taken from the path, if any.
 */
export function approvalPage(ctx: Ctx, flow: DeviceFlow, title: string, action: string, pathCode?: string): Reply {
  if (ctx.method !== "POST") return html(200, form(title, action, ctx.query.user_code ?? pathCode ?? ""), "page");
  const code = field(ctx.form, "user_code") ?? "";
  const who = (field(ctx.form, "who") ?? "").trim() || DEFAULT_WHO;
  if (field(ctx.form, "action") === "deny") {
    return flow.deny(code, ctx.now)
      ? result(title, 200, "Denied", "The device was not connected.", "denied", action)
      : result(title, 400, "Unknown or expired code", "Check the code on the device and try again.", "unknown_code", action);
  }
  return flow.approve(code, who, ctx.now)
    ? result(title, 200, "Device approved", "Connected as " + who + ". You can close this page.", "approved", action)
    : result(title, 400, "Unknown or expired code", "Check the code on the device and try again.", "unknown_code", action);
}
