// The config's schema (firmware/store/config.ts `configSchema`) read on the host: each field's
// dotted name, kind, default, limits and help text (the field's doc comment in the schema, which
// the bundle does not carry), the README's config table written from them, and the names the
// flash tool suggests for a typo.
//
//   npx tsx tools/config-schema.ts          rewrite the README's config table from the schema
//   npx tsx tools/config-schema.ts --check  exit 1 if the README's table is not the schema's
//
// test/config-schema.test.ts fails when the README's table differs from what this writes.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type * as TS from "typescript";
import { configSchema, fieldOf, Kind, type Field, type Group } from "../firmware/store/config.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SCHEMA_SOURCE = join(ROOT, "firmware/store/config.ts");
export const README = join(ROOT, "README.md");
/** The README's table sits between these lines. */
export const TABLE_START = "<!-- the config table: written from the schema by tools/config-schema.ts -->";
export const TABLE_END = "<!-- end of the config table -->";

export interface FieldDoc {
  /** as in codepair.json: "wifi.ssid" */
  name: string;
  field: Field;
  /** the field's doc comment, without its tags */
  help: string;
  /** the doc comment's `@default`, for a default that is not a value ("" when none) */
  dflt: string;
}

/**
 * The doc comment of each property of the schema's object literals, by its path in the source
 * (a flat group's name included: "provider.clientId").
 */
function docComments(): Map<string, { help: string; dflt: string }> {
  // loaded here, not with the module: the flash tool needs only namesBeside
  const ts: typeof TS = createRequire(import.meta.url)("typescript");
  const file = ts.createSourceFile(SCHEMA_SOURCE, readFileSync(SCHEMA_SOURCE, "utf8"), ts.ScriptTarget.ES2022, true);
  const docs = new Map<string, { help: string; dflt: string }>();
  const visit = (node: TS.Node, path: string[]): void => {
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name)) {
      path = path.concat(node.name.text);
      const jsDoc = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
      if (jsDoc.length) {
        const doc = jsDoc[jsDoc.length - 1];
        const tag = (doc.tags || []).find((t) => t.tagName.text === "default");
        const flat = (s: string | undefined): string => (s || "").replace(/\s+/g, " ").trim();
        docs.set(path.join("."), { help: flat(ts.getTextOfJSDocComment(doc.comment)), dflt: flat(tag && ts.getTextOfJSDocComment(tag.comment)) });
      }
    }
    ts.forEachChild(node, (child) => visit(child, path));
  };
  const fn = file.statements.find((s): s is TS.FunctionDeclaration => ts.isFunctionDeclaration(s) && s.name?.text === "configSchema");
  if (!fn) throw new Error("no configSchema() in " + SCHEMA_SOURCE);
  visit(fn, []);
  return docs;
}

/** Every field of the schema, in its order, with its help text. */
export function schemaFields(): FieldDoc[] {
  const docs = docComments();
  const out: FieldDoc[] = [];
  const walk = (g: Group, source: string, name: string): void => {
    const fields = g.fields as { [name: string]: Field | Group };
    for (const k of Object.keys(fields)) {
      const f = fields[k];
      if ("fields" in f) walk(f, source + k + ".", f.flat ? name : name + k + ".");
      else {
        const doc = docs.get(source + k);
        out.push({ name: name + k, field: f, help: doc ? doc.help : "", dflt: doc ? doc.dflt : "" });
      }
    }
  };
  walk(configSchema(), "", "");
  return out;
}

/** The names known beside the dotted field `name` (the names at its level): for "did you mean". */
export function namesBeside(name: string): string[] {
  let level: Group | null = configSchema();
  const parts = name.split(".");
  for (const p of parts.slice(0, -1)) {
    const f: Field | Group | null = level ? fieldOf(level, p) : null;
    level = f && "fields" in f ? f : null;
  }
  if (!level) return [];
  const names: string[] = [];
  const add = (g: Group): void => {
    for (const [k, f] of Object.entries(g.fields as { [name: string]: Field | Group })) {
      if ("fields" in f && f.flat) add(f);
      else names.push(k);
    }
  };
  add(level);
  return names;
}

const code = (v: unknown): string => "`" + (typeof v === "string" ? JSON.stringify(v) : String(v)) + "`";

/** "`a`, `b` or `c`"; "64 or 32" */
function list(values: (string | number)[], quote: boolean): string {
  const shown = values.map((v) => (quote ? "`" + v + "`" : String(v)));
  return shown.length > 1 ? shown.slice(0, -1).join(", ") + " or " + shown[shown.length - 1] : shown[0];
}

/** What a field accepts, in words, from its kind and limits. */
export function allowed(f: Field, name: string): string {
  if (f.kind === Kind.Bool) return "`true` or `false`";
  if (f.kind === Kind.Pem) return "PEM text (one certificate or more), or a list of such texts";
  if (f.kind === Kind.Whole) {
    const range = f.of ? list(f.of, false) : `${f.min}–${f.max}`;
    return range + (f.unlike ? `, not \`${name.replace(/[^.]*$/, f.unlike)}\`` : "");
  }
  const parts: string[] = [];
  if (f.of) parts.push(list(f.of, true));
  if (f.url) parts.push("a URL (below)" + (f.bare ? ", without `?` or `#`" : ""));
  if (f.ascii) parts.push("printable ASCII");
  if (f.min) parts.push(`none, or ${f.min}–${f.max} characters`);
  else if (f.max) parts.push(`at most ${f.max} bytes`);
  return parts.join("; ") || "text";
}

/** The default, as the README says it. */
export function defaultOf(d: FieldDoc): string {
  if (d.field.need) return "(required)";
  if (d.dflt) return d.dflt;
  return code(d.field.dflt === undefined ? "" : d.field.dflt);
}

/** The README's config table, written from the schema. */
export function configTable(): string {
  const rows = ["| field | default | allowed | what |", "|---|---|---|---|"];
  for (const d of schemaFields()) rows.push(`| \`${d.name}\` | ${defaultOf(d)} | ${allowed(d.field, d.name)} | ${d.help} |`);
  return rows.join("\n");
}

/** The README with its config table written from the schema. */
export function readmeWithTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no config table between "${TABLE_START}" and "${TABLE_END}"`);
  return readme.slice(0, start + TABLE_START.length) + "\n" + configTable() + "\n" + readme.slice(end);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const readme = readFileSync(README, "utf8");
  const written = readmeWithTable(readme);
  if (process.argv.includes("--check")) {
    if (written !== readme) {
      process.stderr.write("README.md's config table is not the schema's: run npx tsx tools/config-schema.ts\n");
      process.exitCode = 1;
    }
  } else if (written !== readme) {
    writeFileSync(README, written);
    process.stdout.write("README.md: config table written from the schema\n");
  } else process.stdout.write("README.md: config table already the schema's\n");
}
