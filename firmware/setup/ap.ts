// The set-up's access point: its name from the board's MAC address, a password made fresh for
// each set-up from the hardware's random numbers, and the text of the QR code that a phone's
// camera turns into "join this network".
//
// Espruino 2v29's startAP (libs/network/esp32/jswrap_esp32_network.c) prints the settings,
// password included, when ESP-IDF's esp_wifi_set_config refuses them. What is given here stays
// far inside every limit the driver checks: an ASCII SSID of 13 bytes (of 32), a password of
// AP_PASSWORD_LENGTH ASCII characters (8..63 for WPA2-PSK, IEEE 802.11i), authMode "wpa2", and
// an explicit channel in 1..13. Interpreter-side checks (not a string, fewer than 8 characters)
// throw before anything is printed.

/** The AP's name is this and four hex digits of the MAC. */
export const AP_PREFIX = "codepair-";
/** Characters of the AP's password: lower case and digits without look-alikes (0 o, 1 l i). */
export const AP_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";
/**
 * 10 characters of 31: 49 bits, for an access point that lives minutes. The QR code's text is
 * then 41 bytes with the name, which fits version 3 at error correction M (42 bytes, ISO/IEC
 * 18004 Table 7); 12 characters would need L.
 */
export const AP_PASSWORD_LENGTH = 10;
/** The channel the AP starts on (any of 1..13 is valid everywhere; 1, 6, 11 do not overlap). */
export const AP_CHANNEL = 6;

/** codepair-XXXX: the last two bytes of the MAC ("24:0a:c4:12:ab:cd") in upper-case hex. */
export function apName(mac: string): string {
  const hex = mac.replace(/[^0-9a-fA-F]/g, "").toUpperCase();
  return AP_PREFIX + (hex.length >= 4 ? hex.substr(hex.length - 4) : "0000");
}

/**
 * A fresh password: AP_PASSWORD_LENGTH characters of AP_ALPHABET, each from 5 bits of a random
 * int32 (`rand`: E.hwRand, the ESP32's hardware RNG), a 5-bit value past the alphabet's end
 * drawn again so that every character is equally likely.
 */
export function newApPassword(rand: () => number): string {
  let out = "";
  let bits = 0;
  let left = 0;
  while (out.length < AP_PASSWORD_LENGTH) {
    if (left < 5) {
      bits = rand();
      left = 30;
    }
    const v = bits & 31;
    bits = bits >>> 5;
    left -= 5;
    if (v < AP_ALPHABET.length) out += AP_ALPHABET[v];
  }
  return out;
}

/**
 * A WiFi QR code's text (the form phone cameras read, from the ZXing project's
 * "Barcode Contents" WIFI: format): `WIFI:T:WPA;S:<ssid>;P:<password>;;`, with `\`, `;`, `,`,
 * `:` and `"` in the name and password escaped by a backslash.
 */
export function wifiQrText(ssid: string, password: string): string {
  const esc = (s: string): string => s.replace(/[\\;,:"]/g, (c: string) => "\\" + c);
  return "WIFI:T:WPA;S:" + esc(ssid) + ";P:" + esc(password) + ";;";
}

/** startAP's options: everything the driver takes, chosen (see the top of this file). */
export function apOptions(password: string): { password: string; authMode: "wpa2"; channel: number } {
  return { password: password, authMode: "wpa2", channel: AP_CHANNEL };
}
