// host-sim/wifi.ts: require("Wifi") as the ESP32 build of Espruino 2v29 has it
// (libs/network/esp32/jswrap_esp32_network.c; the Linux interpreter has no Wifi to compare).
import { describe, expect, it } from "vitest";
import { Board } from "../host-sim/board.ts";

/** Prints every Wifi event and callback as `name JSON`. */
const WATCH = `
function ev(){ var a=[]; for (var i=0;i<arguments.length;i++) a.push(i && arguments[i] !== undefined ? JSON.stringify(arguments[i]) : String(arguments[i])); print(a.join(" ")); }
var wifi = require("Wifi");
["associated", "connected", "disconnected"].forEach(function(name){ wifi.on(name, function(d){ ev(name, d); }); });
`;

function board(code: string, networks: Record<string, string> = { home: "secret" }): Board {
  const b = new Board();
  b.wifi.networks = networks;
  b.boot(WATCH + code);
  return b;
}

const JOIN = 1500;

describe("connect", () => {
  it("joins after the join delay: 'associated', then the callback, then 'connected'", () => {
    const b = board(`wifi.connect("home", {password:"secret"}, function(err){ ev("cb", err); });`);
    expect(b.wifi.joinDelayMs).toBe(JOIN);
    b.advance(JOIN - 1);
    expect(b.console.lines).toEqual([]);
    expect(b.wifi.online).toBe(false);
    b.advance(1);
    expect(b.console.lines).toEqual([
      'associated {"ssid":"home","mac":"a0:b1:c2:d3:e4:f5","channel":"6"}',
      "cb null",
      'connected {"ip":"192.168.1.50","netmask":"255.255.255.0","gw":"192.168.1.1"}',
    ]);
    expect(b.wifi.online).toBe(true);
  });

  it("an SSID not in range fails after three attempts: 'disconnected', then the callback with NO_AP_FOUND", () => {
    const b = board(`wifi.connect("elsewhere", {password:"x"}, function(err){ ev("cb", err); });`);
    b.advance(3 * JOIN - 1);
    expect(b.console.lines).toEqual([]);
    b.advance(1);
    expect(b.console.lines).toEqual(['disconnected {"ssid":"elsewhere","mac":"00:00:00:00:00:00","reason":"201","msg":"NO_AP_FOUND"}', 'cb "NO_AP_FOUND"']);
    // the station gave up: no more attempts
    b.advance(10 * JOIN);
    expect(b.console.lines.length).toBe(2);
  });

  it("a wrong password fails with 4WAY_HANDSHAKE_TIMEOUT (reason 15)", () => {
    const b = board(`wifi.connect("home", {password:"guess"}, function(err){ ev("cb", err); });`);
    b.advance(3 * JOIN);
    expect(b.console.lines).toEqual(['disconnected {"ssid":"home","mac":"a0:b1:c2:d3:e4:f5","reason":"15","msg":"4WAY_HANDSHAKE_TIMEOUT"}', 'cb "4WAY_HANDSHAKE_TIMEOUT"']);
  });

  it("with no networks configured nothing can be joined; an open network takes any password", () => {
    const none = board(`wifi.connect("home", {password:"secret"}, function(err){ ev("cb", err); });`, {});
    none.advance(3 * JOIN);
    expect(none.console.lines[1]).toBe('cb "NO_AP_FOUND"');
    const open = board(`wifi.connect("cafe", {password:"whatever"}, function(err){ ev("cb", err, wifi.getStatus().authMode); });`, { cafe: "" });
    open.advance(JOIN);
    expect(open.console.lines[1]).toBe('cb null "open"');
  });

  it("connect while connected leaves and joins again; traffic stops meanwhile", () => {
    const b = board(`wifi.connect("home", {password:"secret"}, function(err){ ev("cb", err); });`);
    b.advance(JOIN);
    b.evaluate(`wifi.connect("home", {password:"secret"}, function(err){ ev("cb again", err); });`);
    expect(b.wifi.online).toBe(false);
    b.advance(JOIN);
    expect(b.console.lines.slice(3)).toEqual([
      'associated {"ssid":"home","mac":"a0:b1:c2:d3:e4:f5","channel":"6"}',
      "cb again null",
      'connected {"ip":"192.168.1.50","netmask":"255.255.255.0","gw":"192.168.1.1"}',
    ]);
    expect(b.wifi.online).toBe(true);
  });

  it("bad arguments throw the device's errors", () => {
    const b = board(`
try { wifi.connect(5); } catch (e) { ev("caught", e.message); }
try { wifi.connect("home", "secret"); } catch (e) { ev("caught", e.message); }
try { wifi.connect("home", {password:5}); } catch (e) { ev("caught", e.message); }
try { wifi.connect("home", {password:"secret"}, 7); } catch (e) { ev("caught", e.message); }`);
    expect(b.console.lines).toEqual([
      'caught "No SSID provided"',
      'caught "Expecting Object, got String"',
      'caught "Expecting options.password to be a string but got Number"',
      'caught "Expecting callback function but got 7"',
    ]);
  });
});

describe("the access point vanishing", () => {
  it("stops traffic at once; 'disconnected' comes after the beacon timeout and two more attempts", () => {
    const b = board(`wifi.connect("home", {password:"secret"}, function(err){ ev("cb", err); });`);
    b.advance(JOIN);
    b.wifi.drop();
    expect(b.wifi.online).toBe(false);
    b.advance(b.wifi.beaconTimeoutMs + 2 * JOIN - 1);
    expect(b.console.lines.length).toBe(3);
    b.advance(1);
    expect(b.console.lines.slice(3)).toEqual(['disconnected {"ssid":"home","mac":"00:00:00:00:00:00","reason":"201","msg":"NO_AP_FOUND"}']);
    expect(b.evaluate(`wifi.getStatus()`)).toEqual({ station: "NO_AP_FOUND", mode: "NULL", powersave: "min_modem" });
    // it does not come back by itself, even with the access point back
    b.wifi.restore();
    b.advance(10 * JOIN);
    expect(b.wifi.online).toBe(false);
  });

  it("back before the beacon timeout: the link just resumes, no event", () => {
    const b = board(`wifi.connect("home", {password:"secret"}, function(){});`);
    b.advance(JOIN);
    b.wifi.drop();
    b.advance(1000);
    b.wifi.restore();
    expect(b.wifi.online).toBe(true);
    b.advance(30000);
    expect(b.console.lines.length).toBe(2);
  });

  it("back during the retries: joined again with 'associated' and 'connected'", () => {
    const b = board(`wifi.connect("home", {password:"secret"}, function(err){ ev("cb", err); });`);
    b.advance(JOIN);
    b.wifi.drop();
    b.advance(b.wifi.beaconTimeoutMs);
    b.wifi.restore();
    b.advance(JOIN);
    expect(b.console.lines.slice(3)).toEqual([
      'associated {"ssid":"home","mac":"a0:b1:c2:d3:e4:f5","channel":"6"}',
      'connected {"ip":"192.168.1.50","netmask":"255.255.255.0","gw":"192.168.1.1"}',
    ]);
    expect(b.wifi.online).toBe(true);
  });
});

describe("disconnect, getIP, getStatus, getDetails, hostname", () => {
  it("disconnect(cb) when connected: cb twice, then 'disconnected' with ASSOC_LEAVE", () => {
    const b = board(`wifi.connect("home", {password:"secret"}, function(){});`);
    b.advance(JOIN);
    b.evaluate(`wifi.disconnect(function(){ ev("bye"); });`);
    expect(b.wifi.online).toBe(false);
    b.advance(0);
    expect(b.console.lines.slice(2)).toEqual(["bye", "bye", 'disconnected {"ssid":"home","mac":"a0:b1:c2:d3:e4:f5","reason":"8","msg":"ASSOC_LEAVE"}']);
  });

  it("disconnect(cb) when not connected: cb once", () => {
    const b = board(`wifi.disconnect(function(){ ev("bye"); });`);
    b.advance(0);
    expect(b.console.lines).toEqual(["bye"]);
  });

  it("disconnect() during a join ends it: the connect callback gets ASSOC_LEAVE", () => {
    const b = board(`wifi.connect("home", {password:"secret"}, function(err){ ev("cb", err); }); wifi.disconnect();`);
    b.advance(JOIN);
    expect(b.console.lines).toEqual(['disconnected {"ssid":"home","mac":"a0:b1:c2:d3:e4:f5","reason":"8","msg":"ASSOC_LEAVE"}', 'cb "ASSOC_LEAVE"']);
  });

  it("getIP: zeros until joined, the lease after; the callback gets (null, info) later", () => {
    const b = board(`ev("ip", wifi.getIP().ip); wifi.connect("home", {password:"secret"}, function(){ wifi.getIP(function(err, info){ ev("later", err, info); }); ev("now"); });`);
    b.advance(JOIN);
    expect(b.console.lines.filter((l) => !/^(associated|connected)/.test(l))).toEqual([
      'ip "0.0.0.0"',
      "now",
      'later null {"ip":"192.168.1.50","netmask":"255.255.255.0","gw":"192.168.1.1","mac":"24:0a:c4:00:00:01"}',
    ]);
  });

  it("getStatus and getDetails before and after joining", () => {
    const b = board(``);
    expect(b.evaluate(`wifi.getStatus()`)).toEqual({ station: "Unknown reason", mode: "NULL", powersave: "min_modem" });
    b.evaluate(`wifi.connect("home", {password:"secret"})`);
    b.advance(JOIN);
    expect(b.evaluate(`wifi.getStatus()`)).toEqual({
      station: "connected",
      ssid: "home",
      bssid: "a0:b1:c2:d3:e4:f5",
      channel: 6,
      rssi: -55,
      htMode: "HT20",
      authMode: "wpa2",
      mode: "STA",
      powersave: "min_modem",
    });
    expect(b.evaluate(`wifi.getDetails()`)).toEqual({ ssid: "home", password: "secret", status: "connected", authMode: "wpa2" });
  });

  it("setHostname / getHostname", () => {
    const b = board(`ev("default", wifi.getHostname()); wifi.setHostname("codepair", function(){ ev("set", wifi.getHostname()); });`);
    b.advance(0);
    expect(b.console.lines).toEqual(['default "espressif"', 'set "codepair"']);
  });
});

describe("reboot", () => {
  it("starts with the radio off; a join in progress does not call the old firmware back", () => {
    const b = board(`wifi.connect("home", {password:"secret"}, function(err){ ev("cb", err); });`);
    b.advance(JOIN / 2);
    b.reboot();
    expect(b.wifi.online).toBe(false);
    expect(b.evaluate(`require("Wifi").getStatus().station`)).toBe("Unknown reason");
    // when the old join would have ended, nothing; the rebooted firmware's own join ends later
    b.advance(JOIN / 2);
    expect(b.console.lines).toEqual([]);
    b.advance(JOIN / 2);
    expect(b.console.lines.filter((l) => l.startsWith("cb"))).toEqual(["cb null"]);
  });

  it("a throw in a Wifi callback is reported as Uncaught", () => {
    const b = board(`wifi.connect("home", {password:"secret"}, function(){ throw new Error("in cb"); });`);
    b.advance(JOIN);
    expect(b.console.lines).toContain("Uncaught Error: in cb");
  });
});

describe("the access point: startAP, stopAP, getAPIP, scan", () => {
  it("startAP checks its arguments as the ESP32 build does, then calls back with null", () => {
    const b = board(`
      function t(f){ try { f(); print("ok"); } catch (e) { print("threw " + e.message); } }
      t(function(){ wifi.startAP(1); });
      t(function(){ wifi.startAP("ap", 5); });
      t(function(){ wifi.startAP("ap", {password:"short"}); });
      t(function(){ wifi.startAP("ap", {password:"longenough", authMode:"wep"}); });
      t(function(){ wifi.startAP("ap", {authMode:"wpa2"}); });
      t(function(){ wifi.startAP("ap", {password:"longenough", authMode:"open"}); });
      t(function(){ wifi.startAP("ap", {}, 3); });
      wifi.startAP("codepair-ABCD", {password:"abcdefghjk", authMode:"wpa2", channel:11}, function(err){ ev("started", err, wifi.getStatus().mode); });
    `);
    expect(b.console.lines).toEqual([
      "threw No SSID",
      "threw Expecting Object, got Number",
      "threw Password must be string of at least 8 characters",
      "threw Unknown authMode value",
      "threw Password not set but authMode not open",
      "threw Auth mode set to open but password supplied",
      "threw Expecting callback function but got 3",
    ]);
    b.advance(100);
    expect(b.console.lines.slice(7)).toEqual(['started null "AP"']);
    expect(b.wifi.ap).toEqual({ ssid: "codepair-ABCD", password: "abcdefghjk", authMode: "wpa2", channel: 11 });
  });

  it("getAPIP gives the AP interface's address and MAC; stopAP ends the AP and calls back", () => {
    const b = board(`
      wifi.startAP("ap", {password:"abcdefghjk"});
      ev("ip", wifi.getAPIP());
      wifi.getAPIP(function(err, info){ ev("cb", err, info.ip); });
      wifi.stopAP(function(){ ev("stopped", wifi.getStatus().mode); });
    `);
    b.advance(0);
    expect(b.console.lines).toEqual([
      'ip {"ip":"192.168.4.1","netmask":"255.255.255.0","gw":"192.168.4.1","mac":"24:0a:c4:00:00:02"}',
      'cb null "192.168.4.1"',
      'stopped "NULL"',
    ]);
    expect(b.wifi.ap).toBeNull();
  });

  it("scan lists the networks in range after the scan's time (a hidden one with no name); one scan at a time", () => {
    const b = board(
      `
      wifi.scan(function(list){ ev("list", list); });
      try { wifi.scan(function(){}); } catch (e) { print("threw " + e.message); }
      try { wifi.scan(); } catch (e) { print("threw " + e.message); }
    `,
      { home: "secret", cafe: "", hidden: "pw" },
    );
    b.wifi.seen = { home: { rssi: -48, channel: 1 }, hidden: { rssi: -70, channel: 11, hidden: true } };
    expect(b.console.lines).toEqual(["threw A scan is already in progress", "threw A scan is already in progress"]);
    b.advance(b.wifi.scanDelayMs - 1);
    expect(b.console.lines.length).toBe(2);
    b.advance(1);
    const list = JSON.parse(b.console.lines[2].slice("list ".length));
    expect(list.map((n: { ssid: string; rssi: number; authMode: string; channel: string }) => [n.ssid, n.rssi, n.authMode, n.channel])).toEqual([
      ["home", -48, "wpa2", "1"],
      ["cafe", -60, "open", "6"],
      ["", -70, "wpa2", "11"],
    ]);
  });
});
