// RFC 8785 in another language: reads one JSON document per line on stdin and prints, per line,
// the SHA-256 (hex) of its canonical form by `canonicalize` (the JCS reference implementation
// for JavaScript), then a tab, then the canonical form itself.
const canonicalize = require("canonicalize");
const crypto = require("crypto");
const lines = require("fs").readFileSync(0, "utf8").split("\n").filter((l) => l.length > 0);
for (const line of lines) {
  const canonical = canonicalize(JSON.parse(line));
  const digest = crypto.createHash("sha256").update(Buffer.from(canonical, "utf8")).digest("hex");
  process.stdout.write(digest + "\t" + canonical + "\n");
}
