// Parses an AsyncAPI document with the AsyncAPI project's own parser and prints, as JSON, the
// diagnostics it reports (errors and warnings) and the message names of each channel.
// Usage: node asyncapi.js FILE
const fs = require("fs");
const { Parser } = require("@asyncapi/parser");

async function main() {
  const text = fs.readFileSync(process.argv[2], "utf8");
  const { document, diagnostics } = await new Parser().parse(text);
  const severity = ["error", "warning", "information", "hint"];
  const out = {
    diagnostics: diagnostics.map((d) => ({
      severity: severity[d.severity] ?? String(d.severity),
      code: String(d.code), message: d.message, path: (d.path || []).join("."),
    })),
    channels: {},
    operations: [],
  };
  if (document) {
    for (const channel of document.channels().all()) {
      out.channels[channel.address()] = channel.messages().all().map((m) => m.name());
    }
    out.operations = document.operations().all().map((o) => o.id());
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => { console.error(error); process.exit(2); });
